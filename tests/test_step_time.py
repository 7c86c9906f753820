"""benchmarks/step_time.py on the fixture corpus: two tiny variants of a preset timed side by side."""
import pytest

from benchmarks import ablation, step_time

TINY = {"base": ["--embed", "8", "--hidden", "16", "--layers", "1", "--heads", "2", "--batch-size", "4"],
        "variants": {"plain": [], "se": ["--channel-attention", "se"]}}


def test_variants_are_built_as_train_builds_them_and_timed(built_corpus, capsys):
    model, optim = step_time.variant_configs(str(built_corpus), TINY["base"] + TINY["variants"]["se"], 50)
    assert (model.vocab_size, model.hidden_dim, model.channel_attention, optim.batch_size) == (50, 16, "se", 4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(ablation.PRESETS, "tiny", TINY)
        assert step_time.main(["--data", str(built_corpus), "--preset", "tiny", "--only", "plain", "se",
                               "--steps", "2", "--repeats", "3", "--warmup", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == {"plain", "se"} and rows["plain"][3] == "1.000"
    assert int(rows["se"][1].replace(",", "")) > int(rows["plain"][1].replace(",", ""))  # the gate's parameters
    assert len(rows["se"]) == 4 + 3  # one mean step time per repeat

"""`poetry-gen bench` end to end on the fixture corpus with tiny settings, and its arithmetic on fake
timings. Nothing here asserts speed."""
import contextlib
import io
import json

import pytest

from poetry_gen.bench import spread_batches, summarize, time_interleaved
from poetry_gen.config import BENCH_CANDIDATES as CANDIDATES, BENCH_HEADS as HEADS
from poetry_gen.cli import main
from poetry_gen.corpus import load_vocab
from poetry_gen.vocab import Vocab

TINY = ["--steps", "2", "--repeats", "2", "--batch-size", "8", "--threads", "1", "--device", "cpu"]


@pytest.fixture(scope="module")
def checkpoint(built_corpus, tmp_path_factory, tiny_checkpoint):
    """A small random model whose vocabulary (the corpus's plus the acrostic heads it may lack) is not the
    corpus's: the default row must still train on the corpus's vocabulary."""
    tokens = load_vocab(built_corpus).to_list()
    vocab = Vocab(tokens + [ch for ch in HEADS if ch not in tokens] + ["龘"])
    return tiny_checkpoint(tmp_path_factory.mktemp("bench") / "model.pt", vocab)


@pytest.fixture(scope="module")
def report(built_corpus, checkpoint):
    """The --json report of one tiny run with the classic recipe (capsys is per test: capture it here)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["bench", "--data", str(built_corpus), "--checkpoint", str(checkpoint), "--classic-recipe",
                     "--json", *TINY]) == 0
    return json.loads(out.getvalue())


def test_summarize_takes_medians_over_repeats_and_pairs_ratios_within_a_repeat():
    chars = [[100, 100], [100, 300]]  # row 1 trains on other batches: its throughput counts its own chars
    seconds = [[[1, 1], [2, 2], [4, 4]],  # 100, 50, 25 chars/s
               [[1, 1 / 3], [5, 5], [2, 6]]]  # 300, 40, 50 chars/s
    base, other = summarize(chars, seconds, baseline=0)
    assert base.per_repeat == [100, 50, 25] and base.chars_per_s == 50 and base.ratio == 1
    assert other.per_repeat == pytest.approx([300, 40, 50]) and other.chars_per_s == pytest.approx(50)
    # ratios within each repeat: 3, 0.8, 2 → median 2 (not the 50/50 of the medians)
    assert other.ratio == pytest.approx(2)
    assert base.step_s == 2 and other.step_s == 3.5  # median of all six steps


def test_timed_batches_spread_over_poem_lengths_in_epoch_order():
    import numpy as np

    lengths = np.array([24, 32, 48, 56, 64, 90, 120, 200])  # poem i has lengths[i] characters
    batches = [np.array([i]) for i in (5, 0, 7, 2, 6, 1, 4, 3)]  # an epoch: one poem a batch, shuffled
    picked = spread_batches(batches, lengths, 2)
    assert [int(b[0]) for b in picked] == [2, 6]  # the 3rd and 7th shortest of 8 (48, 120), in epoch order
    assert [int(b[0]) for b in spread_batches(batches, lengths, 4)] == [5, 7, 1, 3]  # 90, 200, 32, 56
    assert spread_batches(batches, lengths, 9) == batches


def test_rows_take_turns_step_by_step_on_their_own_batches():
    calls = []

    class Fake:
        def __init__(self, name):
            self.name = name

        def step(self, batch):
            calls.append((self.name, batch))
            return 1.0

    rounds = []
    seconds = time_interleaved([Fake("A"), Fake("B")], [["a0", "a1", "a2"], ["b0", "b1", "b2"]], steps=2,
                               repeats=2, warmup=1, on_round=lambda: rounds.append(len(calls)))
    assert calls == [("A", "a0"), ("B", "b0"),  # warm-up
                     ("A", "a0"), ("B", "b0"), ("A", "a1"), ("B", "b1"),  # repeat 1
                     ("A", "a0"), ("B", "b0"), ("A", "a1"), ("B", "b1")]  # repeat 2
    assert seconds == [[[1.0, 1.0], [1.0, 1.0]]] * 2 and rounds == [2, 4, 6, 8, 10]


@pytest.mark.slow
def test_json_report(report, built_corpus, checkpoint):
    rows = {row["name"]: row for row in report["training"]}
    assert list(rows) == ["classic recipe", "classic", "default"] and report["baseline"] == "classic recipe"
    for row in rows.values():
        assert row["device"] == "cpu" and row["threads"] == 1
        assert row["chars_per_s"] > 0 and row["ratio"] > 0 and row["step_s"] > 0 and len(row["per_repeat"]) == 2
        assert len(row["chars_per_step"]) == 2 and all(c > 0 for c in row["chars_per_step"])
    assert rows["classic recipe"]["ratio"] == 1 and rows["classic recipe"]["amp"] is False
    # the same poems in every row (the fixture's poems are all shorter than the recipe's 125 tokens) ...
    assert rows["classic recipe"]["chars_per_step"] == rows["classic"]["chars_per_step"] == rows["default"]["chars_per_step"]
    # ... padded to 125 in the recipe, bucketed (at most a few pads) in the others
    assert all(t % 125 == 0 and t > c for t, c in zip(rows["classic recipe"]["tokens_per_step"],
                                                              rows["classic recipe"]["chars_per_step"]))
    assert sum(rows["classic"]["tokens_per_step"]) < sum(rows["classic recipe"]["tokens_per_step"])
    classic = rows["classic"]["config"]
    assert (classic["embed_dim"], classic["hidden_dim"], classic["num_layers"], classic["attention"]) == (128, 256, 2, "none")
    vocab_size = len(load_vocab(built_corpus))
    default = rows["default"]["config"]
    assert (default["embed_dim"], default["hidden_dim"], default["vocab_size"]) == (24, 32, vocab_size)
    assert any("vocabulary" in note for note in report["notes"])  # the checkpoint's vocabulary differs
    gen = report["generation"]
    assert gen["checkpoint"] == str(checkpoint) and gen["candidates"] == CANDIDATES and gen["heads"] == HEADS
    assert gen["one_s"] > 0 and gen["many_s"] > 0 and gen["repeats"] == 2
    assert report["options"]["steps"] == 2 and report["options"]["classic_recipe"] is True


@pytest.mark.slow
def test_table_names_every_row_and_setting(built_corpus, checkpoint, capsys):
    assert main(["bench", "--data", str(built_corpus), "--checkpoint", str(checkpoint), "--classic-recipe",
                 "--no-amp", *TINY]) == 0
    out = capsys.readouterr().out
    rows = {line.split("  ")[0].strip(): line for line in out.splitlines()
            if line.startswith(("classic", "default"))}
    assert set(rows) == {"classic recipe", "classic", "default"}
    assert all(" cpu " in line and " 1 " in line and " off " in line for line in rows.values())
    assert "padded to 125" in rows["classic recipe"] and "length-bucketed" in rows["default"]
    assert "real characters" in out and f"{CANDIDATES} candidates" in out and HEADS in out


@pytest.mark.slow
def test_without_a_model_the_default_row_uses_train_defaults_and_generation_is_skipped(
        built_corpus, monkeypatch, capsys):
    import importlib.resources

    monkeypatch.setattr(importlib.resources, "files", lambda package: built_corpus)  # no default.pt there
    assert main(["bench", "--data", str(built_corpus), "--json", "--steps", "1", "--repeats", "1",
                 "--batch-size", "4", "--threads", "1", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in report["training"]] == ["classic", "default"] and report["baseline"] == "classic"
    assert report["training"][0]["ratio"] == 1
    assert report["training"][1]["config"]["attention"] == "causal" and report["generation"] is None
    assert any("generation latency is skipped" in note for note in report["notes"])


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be a whole number of 1 or more"),
    (["--repeats", "0"], "--repeats must be a whole number of 1 or more"),
    (["--checkpoint", "/nonexistent/model.pt"], "no checkpoint at"),
])
def test_bad_options_are_one_line(built_corpus, capsys, argv, message):
    assert main(["bench", "--data", str(built_corpus), "--device", "cpu", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error: ") and message in err and err.count("\n") == 1


def test_a_missing_corpus_is_one_line(tmp_path, capsys):
    assert main(["bench", "--data", str(tmp_path / "none"), "--device", "cpu"]) == 2
    assert capsys.readouterr().err.startswith("poetry-gen: error: ")

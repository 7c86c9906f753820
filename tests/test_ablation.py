"""benchmarks/ablation.py end to end on the fixture corpus: two tiny variants trained by real
`poetry-gen train` processes, measured, tabled; a finished run is not trained again."""
import json

import pytest

from benchmarks import ablation

TINY = {"base": ["--embed", "8", "--hidden", "8", "--layers", "1", "--heads", "2", "--batch-size", "4",
                 "--max-steps", "2", "--eval-interval", "1", "--warmup", "0"],
        "variants": {"attention": [], "no attention": ["--attention", "none"]}}


@pytest.fixture(scope="module")
def runs(built_corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("ablation")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(ablation.PRESETS, "tiny", TINY)
        code = ablation.main(["--data", str(built_corpus), "--out", str(out), "--preset", "tiny", "--parallel", "2",
                              "--threads", "1"])
    return code, out


@pytest.mark.slow
def test_every_variant_is_trained_and_measured(runs):
    code, out = runs
    assert code == 0
    report = json.loads((out / "ablation.json").read_text(encoding="utf-8"))
    rows = {row["variant"]: row for row in report["rows"]}
    assert list(rows) == ["attention", "no attention"]
    assert rows["no attention"]["parameters"] < rows["attention"]["parameters"]
    for row in rows.values():
        assert row["steps"] == 2 and row["best_step"] in (1, 2)
        assert 1 < row["test_ppl"] < 1e6 and 1 < row["novel_ppl"] < 1e6
        # float16 storage moves perplexity a little, and only a little
        assert row["half_test_ppl"] == pytest.approx(row["test_ppl"], rel=1e-2)
        assert row["int8_test_ppl"] == pytest.approx(row["test_ppl"], rel=1e-2) and row["int8_mb"] < row["half_mb"]
    table = (out / "ablation.md").read_text(encoding="utf-8")
    assert "| no attention | `--attention none` |" in table and "| attention | `(recipe)` |" in table


@pytest.mark.slow
def test_a_finished_variant_is_not_trained_again(runs, built_corpus):
    _, out = runs
    metrics = out / "no-attention" / "metrics.jsonl"
    before = metrics.read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(ablation.PRESETS, "tiny", TINY)
        assert ablation.main(["--data", str(built_corpus), "--out", str(out), "--preset", "tiny",
                              "--only", "no attention"]) == 0
    assert metrics.read_text(encoding="utf-8") == before


@pytest.mark.slow
def test_the_table_keeps_the_variants_only_left_out_and_measures_each_run_once(runs, built_corpus):
    _, out = runs

    def measure_again(*args):
        raise AssertionError("a measured run was evaluated again")

    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(ablation.PRESETS, "tiny", TINY)
        mp.setattr(ablation, "measure", measure_again)
        assert ablation.main(["--data", str(built_corpus), "--out", str(out), "--preset", "tiny",
                              "--only", "attention"]) == 0
    rows = json.loads((out / "ablation.json").read_text(encoding="utf-8"))["rows"]
    assert [row["variant"] for row in rows] == ["attention", "no attention"]


def test_a_resumed_run_is_given_only_the_options_a_resumed_run_takes(tmp_path):
    (tmp_path / "model.last.pt").write_bytes(b"")
    command = ablation.train_command("corpus", tmp_path, ["--tie", "--epochs", "3", "--lr", "1e-3"], "cpu", 1)
    assert command[command.index("--no-progress") + 1:] == ["--epochs", "3", "--resume", "--threads", "1"]


def test_an_unknown_variant_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        ablation.main(["--data", "corpus", "--out", str(tmp_path), "--preset", "cpu", "--only", "huge"])
    assert exit_info.value.code == 2 and "no variant 'huge'" in capsys.readouterr().err


@pytest.mark.parametrize("preset", sorted(ablation.PRESETS))
def test_every_variant_of_the_presets_is_a_valid_train_command(preset):
    from poetry_gen.cli import build_parser

    parser = build_parser()
    for options in ablation.PRESETS[preset]["variants"].values():
        options = ablation.with_corpora(options, {"all": "corpus/all"})
        args = parser.parse_args(["train", "--data", "corpus", "--out", "model.pt",
                                  *ablation.PRESETS[preset]["base"], *options])
        assert args.func.__name__ == "_train"


def test_a_variant_names_a_further_corpus_by_its_name():
    assert ablation.with_corpora(["--data", "@all", "--tie"], {"all": "corpus/all"}) == ["--data", "corpus/all", "--tie"]
    with pytest.raises(KeyError):
        ablation.with_corpora(["--data", "@all"], {})


def test_issue_20s_levers_are_each_on_and_off():
    variants = ablation.PRESETS["issue20"]["variants"]
    assert variants["neither"] == ["--form-rate", "0", "--plan-rate", "0"]
    assert {"form tokens", "plan", "form tokens and plan", "embed 384, hidden 768", "all shi and ci"} <= set(variants)
    assert set(ablation.PRESETS["issue20-cpu"]["variants"]) < set(variants)  # the CPU scale leaves out the big model

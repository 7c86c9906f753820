"""The command line's own behaviour: bare help, --version, a mistyped command."""
import sys
from pathlib import Path

import pytest

import poetry_gen
from poetry_gen.cli import _commands, build_parser, main


def test_bare_poetry_gen_prints_the_full_help_one_line_per_command(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main([]) == 0
    out = capsys.readouterr().out
    commands = _commands(build_parser())
    assert len(commands) >= 9 and "generate" in commands
    lines = out.splitlines()
    rows = [line.split(maxsplit=1) for line in lines]
    named = [i for i, row in enumerate(rows) if len(row) == 2 and row[0] in commands]
    assert [rows[i][0] for i in named] == commands  # each command with its help on its line...
    assert named == list(range(named[0], named[0] + len(commands)))  # ...and no wrapped rest between them
    assert max(len(l) for l in lines) <= 80


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"poetry-gen {poetry_gen.__version__}\n"


@pytest.mark.parametrize("typed,meant", [("generat", "generate"), ("scroe", "score"), ("chekc", "check"),
                                         ("xyzzy", None)])
def test_a_mistyped_command_gets_a_suggestion(capsys, typed, meant):
    assert main([typed, "--num", "3"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("usage: poetry-gen") and len(err) == 2
    assert err[1].startswith(f"poetry-gen: error: unknown command '{typed}'")
    assert (f"did you mean {meant}?" in err[1]) if meant else "did you mean" not in err[1]


def test_json_and_another_format_are_not_both_taken(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "--json", "--format", "lines"])
    assert exit_.value.code == 2 and "not allowed with argument --json" in capsys.readouterr().err


def test_run_turns_errors_into_one_line_and_a_status(capsys):
    """The runner `poetry-gen` and `python -m benchmarks.NAME` share."""
    from poetry_gen.cli import exit_status
    from poetry_gen.errors import PoetryGenError

    def refuse():
        raise PoetryGenError("no poems")

    def missing():
        open("/nonexistent/poems.txt")

    assert exit_status(refuse) == 2 and capsys.readouterr().err == "poetry-gen: error: no poems\n"
    assert exit_status(missing) == 2 and capsys.readouterr().err.startswith("poetry-gen: error: /nonexistent/poems.txt: ")
    assert exit_status(lambda: None) == 0 and exit_status(lambda: 3) == 3


@pytest.mark.parametrize("module,argv,message", [
    ("benchmarks.ci_shape", ["--tunes", "0"], "--tunes must be"),
    ("benchmarks.cold_start", ["--rounds", "0"], "--rounds must be"),
    ("benchmarks.checkpoint_storage", ["--rounds", "0"], "--rounds must be"),
])
def test_benchmarks_refuse_counts_that_leave_nothing_to_measure(module, argv, message, monkeypatch):
    import importlib

    from poetry_gen.errors import PoetryGenError

    benchmark = importlib.import_module(module)
    monkeypatch.setattr(benchmark, "load_generator", lambda *a, **k: pytest.fail("loaded a model"), raising=False)
    monkeypatch.setattr(benchmark, "load_checkpoint", lambda *a, **k: pytest.fail("loaded a model"), raising=False)
    with pytest.raises(PoetryGenError, match=message):
        benchmark.main(argv)


BENCHMARKS = sorted(p.stem for p in (Path(__file__).parent.parent / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_runs_as_a_module_and_takes_help(name, monkeypatch, capsys):
    """`python -m benchmarks.NAME --help`: the module's __main__ block runs its main through exit_status."""
    import runpy

    monkeypatch.setattr(sys, "argv", [name, "--help"])
    monkeypatch.delitem(sys.modules, f"benchmarks.{name}", raising=False)  # run afresh, as python -m does
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module(f"benchmarks.{name}", run_name="__main__")
    assert exit_.value.code == 0 and "usage:" in capsys.readouterr().out

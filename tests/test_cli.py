"""The command line's own behaviour: bare help, --version, a mistyped command."""
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

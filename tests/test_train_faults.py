"""Faults around training (issue 24): options that did harm, runs started over runs, two trainings on
one --out, and what a SIGKILL leaves behind."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import poetry_gen.train as train_module
from poetry_gen.checkpoint import read_checkpoint
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.train import last_checkpoint_path, train
from test_train import Interrupt, config

CLI_TINY = ["--embed", "8", "--hidden", "16", "--layers", "1", "--heads", "2", "--batch-size", "8", "--no-progress",
            "--device", "cpu", "--no-amp"]


def cli_train(corpus, out, *argv):
    return main(["train", "--data", str(corpus), "--out", str(out), *CLI_TINY, *argv])


@pytest.mark.parametrize("option,value", [
    ("--clip", "-1"), ("--epochs", "0"), ("--max-steps", "-5"), ("--keyword-rate", "2"), ("--min-lr-ratio", "5"),
    ("--eval-interval", "0"), ("--log-interval", "0"), ("--batch-size", "0"), ("--batch-tokens", "-1"),
    ("--lr", "0"), ("--lr", "inf"), ("--warmup", "-1"), ("--weight-decay", "nan"), ("--dropout", "1"),
    ("--max-minutes", "-1"), ("--threads", "-1"), ("--seed", "-1"), ("--embed", "0"), ("--hidden", "0"),
    ("--layers", "0"), ("--heads", "0"), ("--span", "-1"), ("--hidden", "1000000"),
])
def test_bad_train_options_are_one_line_before_anything_runs(built_corpus, tmp_path, capsys, option, value):
    out = tmp_path / "run" / "model.pt"
    assert main(["train", "--data", str(built_corpus), "--out", str(out), option, value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"poetry-gen: error: {option} must be") and err.count("\n") == 1
    assert not out.parent.exists() or not any(out.parent.iterdir())


@pytest.mark.parametrize("resume", [[], ["--resume"]])
@pytest.mark.parametrize("out", ["", "newrun/", "newrun/.", "."])
def test_an_out_that_names_no_file_is_one_line(built_corpus, tmp_path, capsys, monkeypatch, out, resume):
    """'' is the current directory, and newrun/ would put the run beside newrun, not in it."""
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data", str(built_corpus), "--out", out, *resume]) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error: --out must name the checkpoint") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_fresh_run_over_an_existing_one_needs_overwrite(built_corpus, tmp_path, capsys):
    out = tmp_path / "model.pt"
    assert cli_train(built_corpus, out, "--max-steps", "2") == 0
    trained = out.read_bytes()
    capsys.readouterr()
    assert cli_train(built_corpus, out, "--max-steps", "2", "--seed", "1") == 2
    assert "--resume" in capsys.readouterr().err and out.read_bytes() == trained
    assert cli_train(built_corpus, out, "--max-steps", "2", "--seed", "1", "--overwrite") == 0
    assert out.read_bytes() != trained
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [2]


def test_resuming_another_run_never_writes_over_the_run_at_out(built_corpus, tmp_path, capsys):
    first, second = tmp_path / "a" / "model.pt", tmp_path / "b" / "model.pt"
    assert cli_train(built_corpus, first, "--max-steps", "2") == 0
    assert cli_train(built_corpus, second, "--max-steps", "2", "--seed", "1") == 0
    kept = second.read_bytes(), (second.parent / "metrics.jsonl").read_text()
    capsys.readouterr()
    assert main(["train", "--data", str(built_corpus), "--out", str(second), "--resume",
                 str(first.with_name("model.last.pt")), "--max-steps", "4", "--no-progress"]) == 2
    assert "holds a run" in capsys.readouterr().err
    assert (second.read_bytes(), (second.parent / "metrics.jsonl").read_text()) == kept
    fresh = tmp_path / "c" / "model.pt"  # into an empty directory it continues, its metrics its own from there
    assert main(["train", "--data", str(built_corpus), "--out", str(fresh), "--resume",
                 str(first.with_name("model.last.pt")), "--max-steps", "4", "--no-progress"]) == 0
    assert [json.loads(row)["step"] for row in (fresh.parent / "metrics.jsonl").read_text().splitlines()] == [4]


def test_train_never_writes_over_an_unrelated_file_or_through_a_link(built_corpus, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine", encoding="utf-8")
    assert cli_train(built_corpus, notes, "--max-steps", "2", "--overwrite") == 2
    assert "not a poetry-gen checkpoint" in capsys.readouterr().err and notes.read_text() == "mine"
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").symlink_to(notes)
    assert cli_train(built_corpus, run / "model.pt", "--max-steps", "2") == 2
    assert "symbolic link" in capsys.readouterr().err and notes.read_text() == "mine"


def test_a_bare_resume_continues_with_the_run_s_own_length_and_intervals(built_corpus, tmp_path, monkeypatch):
    out = tmp_path / "model.pt"
    Interrupt(monkeypatch, at=3)
    assert cli_train(built_corpus, out, "--max-steps", "6", "--eval-interval", "2", "--log-interval", "1") == 130
    monkeypatch.undo()
    assert main(["train", "--data", str(built_corpus), "--out", str(out), "--resume", "--no-progress"]) == 0
    assert read_checkpoint(last_checkpoint_path(out))["train_state"]["step"] == 6  # not the 12 default epochs
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]  # eval every 2 steps, as the run was started


def _hold_lock(out):
    """A process that takes the run's lock and sleeps (as a training would hold it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    code = ("import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
            "f.write('4242'); f.flush(); print('locked', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(out.with_name(f".{out.name}.lock"))],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_two_trainings_on_one_out_do_not_interleave_and_a_killed_one_leaves_no_stale_lock(built_corpus, tmp_path):
    cfg = config(built_corpus, tmp_path, max_steps=2)
    holder = _hold_lock(Path(cfg.run.out))
    try:
        with pytest.raises(PoetryGenError, match="another training"):
            train(cfg)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    train(cfg)  # the kernel released the killed holder's lock


def test_orphan_temporaries_of_a_killed_run_are_removed_and_metrics_not_duplicated(built_corpus, tmp_path, monkeypatch):
    kw = dict(max_steps=6, eval_interval=2)
    Interrupt(monkeypatch, at=3)
    cfg = config(built_corpus, tmp_path, **kw)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    monkeypatch.undo()
    run_dir = tmp_path / "run"
    # What a SIGKILL after step 3's checkpoint leaves: half-written checkpoints, rows past the checkpoint
    orphans = [run_dir / ".model.pt.0badf00d.tmp", run_dir / ".model.last.pt.deadbeef.tmp"]
    for orphan in orphans:
        orphan.write_bytes(b"\0" * 1000)
    (run_dir / ".notes.md.tmp").write_text("not ours")
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"step": 4}) + "\n" + '{"step": 5, "val')
    train(config(built_corpus, tmp_path, resume=str(last_checkpoint_path(cfg.run.out)), **kw))
    assert not any(o.exists() for o in orphans) and (run_dir / ".notes.md.tmp").exists()
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == [2, 4, 6]


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs."""


def test_the_best_model_is_written_before_the_resumable_checkpoint(built_corpus, tmp_path, monkeypatch):
    """Killed between the two writes of an evaluation that improved (the first always does), the run
    keeps its best model; the other order would leave a .last.pt that records a best nobody saved."""
    real_save = train_module.save_checkpoint

    def save_or_die(path, **kwargs):
        if str(path).endswith(".last.pt"):
            raise Killed
        real_save(path, **kwargs)
    monkeypatch.setattr(train_module, "save_checkpoint", save_or_die)
    cfg = config(built_corpus, tmp_path, max_steps=4, eval_interval=2)
    with pytest.raises(Killed):
        train(cfg)
    assert read_checkpoint(cfg.run.out)["train_state"]["step"] == 2
    assert not last_checkpoint_path(cfg.run.out).exists()


def test_checkpoints_are_written_with_the_umask(built_corpus, tmp_path):
    old = os.umask(0o027)
    try:
        cfg = config(built_corpus, tmp_path, max_steps=2)
        train(cfg)
    finally:
        os.umask(old)
    for path in (cfg.run.out, last_checkpoint_path(cfg.run.out)):
        assert os.stat(path).st_mode & 0o777 == 0o640

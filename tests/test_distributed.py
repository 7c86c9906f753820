"""DistributedDataParallel on CPU: a real `torchrun --nproc_per_node 2 -m poetry_gen train` (gloo)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from poetry_gen.checkpoint import load_checkpoint, read_checkpoint
from poetry_gen.cli import distributed_env, main
from poetry_gen.train import last_checkpoint_path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--embed", "16", "--hidden", "32", "--heads", "2", "--dropout", "0", "--keyword-rate", "0.5",
        "--batch-size", "8", "--max-steps", "10", "--eval-interval", "5", "--log-interval", "5", "--lr", "0.01",
        "--warmup", "2", "--device", "cpu", "--no-amp", "--no-progress"]


def test_distributed_env():
    assert distributed_env({}) == {"rank": 0, "world_size": 1, "local_rank": 0}
    assert distributed_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"}) == \
        {"rank": 3, "world_size": 4, "local_rank": 1}


def metrics(out: Path) -> list:
    return [json.loads(line) for line in (out.parent / "metrics.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_two_gloo_processes_match_one_process(built_corpus, tmp_path):
    one, two = tmp_path / "one" / "model.pt", tmp_path / "two" / "model.pt"
    assert main(["train", "--data", str(built_corpus), "--out", str(one), "--threads", "1"] + ARGS) == 0
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    run = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "poetry_gen", "train", "--data", str(built_corpus), "--out", str(two)] + ARGS,
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.count("best model:") == 1  # only rank 0 talks

    a, b = metrics(one), metrics(two)
    assert [r["step"] for r in a] == [r["step"] for r in b]
    assert [r["chars_seen"] for r in a] == [r["chars_seen"] for r in b]
    for ra, rb in zip(a, b):
        assert rb["train_loss"] == pytest.approx(ra["train_loss"], rel=1e-4)
        assert rb["val_ppl"] == pytest.approx(ra["val_ppl"], rel=1e-4)
    pa, pb = load_checkpoint(one).model.state_dict(), load_checkpoint(two).model.state_dict()
    # 1e-3, not less: the attention's key bias gets a gradient of pure rounding noise (softmax ignores a
    # constant added to every score), which Adam scales up to steps the size of the learning rate.
    assert all(torch.allclose(pa[k], pb[k], atol=1e-3) for k in pa)

    # the multi-process run's checkpoint generates, and a single process resumes it
    ckpt = load_checkpoint(two)
    state, token, chars = ckpt.model.init_state(1), torch.tensor([ckpt.vocab.bos_id]), []
    with torch.no_grad():
        for _ in range(12):
            logits, state = ckpt.model.step(token, state)
            token = logits.argmax(-1)
            chars.append(token.item())
    assert len(chars) == 12
    assert main(["train", "--data", str(built_corpus), "--out", str(two), "--resume", "--max-steps", "12",
                 "--no-progress"]) == 0
    assert read_checkpoint(last_checkpoint_path(two))["train_state"]["step"] == 12

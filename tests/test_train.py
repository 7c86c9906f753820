import json
import math
import os
import signal
from dataclasses import asdict, fields

import pytest
import torch

import poetry_gen.train as train_module
from poetry_gen.checkpoint import load_checkpoint, read_checkpoint
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.config import ModelConfig, OptimConfig, TrainConfig
from poetry_gen.train import last_checkpoint_path, lr_at, train

TINY = dict(embed_dim=16, hidden_dim=32, num_layers=2, attention_heads=2, batch_size=8, warmup_steps=3,
            lr=1e-2, progress=False, device="cpu", amp=False)


def config(corpus, tmp_path, **kw):
    return TrainConfig.from_options(data=str(corpus), out=str(tmp_path / "run" / "model.pt"), **(TINY | kw))


def test_lr_warms_up_then_decays_to_the_floor():
    cfg = OptimConfig(lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    lrs = [lr_at(step, cfg, 100) for step in range(120)]
    assert lrs[0] == pytest.approx(0.1) and lrs[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert lrs[100] == lrs[119] == pytest.approx(0.1)


def test_last_checkpoint_path():
    assert str(last_checkpoint_path("runs/a/model.pt")) == os.path.join("runs", "a", "model.last.pt")


def test_training_writes_checkpoints_and_metrics(built_corpus, tmp_path):
    best = train(config(built_corpus, tmp_path, max_steps=10, eval_interval=5))
    assert best == tmp_path / "run" / "model.pt"
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    poems = (built_corpus / "train.txt").read_text(encoding="utf-8").splitlines()
    epoch_steps = math.ceil(len(poems) / 8)
    assert 5 < epoch_steps < 10
    assert [r["step"] for r in records] == [5, epoch_steps, 10]  # every 5 steps and at the end of epoch 0
    for r in records:
        assert {"step", "epoch", "elapsed_s", "chars_seen", "train_loss", "val_ppl", "lr"} <= r.keys()
        assert math.isfinite(r["train_loss"]) and r["val_ppl"] > 1
    assert records[1]["chars_seen"] == sum(len(p) for p in poems)
    ckpt = load_checkpoint(best)
    assert ckpt.train_state["val_ppl"] == min(r["val_ppl"] for r in records)
    assert "optimizer" not in ckpt.train_state
    state = read_checkpoint(last_checkpoint_path(best))["train_state"]
    assert state["step"] == 10 and state["epoch"] == 1 and "optimizer" in state


def parameters(path):
    return {k: v for k, v in load_checkpoint(path).model.state_dict().items()}


class Interrupt:
    """Wraps train_step: sends this process SIGINT during step `at`, like a user's Ctrl-C."""

    def __init__(self, monkeypatch, at):
        self.calls, self.at, self.step = 0, at, train_module.train_step
        monkeypatch.setattr(train_module, "train_step", self)

    def __call__(self, *args, **kw):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.step(*args, **kw)


@pytest.mark.slow
def test_sigint_writes_a_resumable_checkpoint_and_resume_continues_exactly(built_corpus, tmp_path, monkeypatch):
    # dropout and keyword prefixes on, so that random state matters
    kw = dict(max_steps=12, eval_interval=100, dropout=0.2, keyword_rate=0.5)
    straight = train(config(built_corpus, tmp_path / "a", **kw))

    Interrupt(monkeypatch, at=5)
    cfg = config(built_corpus, tmp_path / "b", **kw)
    with pytest.raises(KeyboardInterrupt):
        train(cfg)
    last = last_checkpoint_path(cfg.run.out)
    assert read_checkpoint(last)["train_state"]["step"] == 5
    monkeypatch.undo()
    resumed = train(config(built_corpus, tmp_path / "b", resume=str(last), **kw))
    a, b = parameters(last_checkpoint_path(straight)), parameters(last_checkpoint_path(resumed))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert read_checkpoint(last)["train_state"]["step"] == 12


def test_cli_interrupt_exits_130(built_corpus, tmp_path, monkeypatch, capsys):
    Interrupt(monkeypatch, at=2)
    out = tmp_path / "model.pt"
    code = main(["train", "--data", str(built_corpus), "--out", str(out), "--embed", "8", "--hidden", "16",
                 "--heads", "2", "--batch-size", "8", "--no-progress"])
    assert code == 130 and last_checkpoint_path(out).is_file()
    assert "--resume" in capsys.readouterr().out


def test_resume_refuses_model_options_and_best_checkpoints(built_corpus, tmp_path, capsys):
    best = train(config(built_corpus, tmp_path, max_steps=2))
    assert main(["train", "--data", str(built_corpus), "--out", str(best), "--resume", "--embed", "8"]) == 2
    assert "resumed run keeps" in capsys.readouterr().err
    with pytest.raises(PoetryGenError, match="no optimizer state; resume from .*model.last.pt instead"):
        train(config(built_corpus, tmp_path, resume=str(best)))
    last_checkpoint_path(best).unlink()  # a model without its run (the shipped one): no .last.pt to point to
    with pytest.raises(PoetryGenError, match="no optimizer state; a model to train on goes to --init"):
        train(config(built_corpus, tmp_path, resume=str(best)))


def test_a_run_saved_before_the_attention_options_existed_resumes_as_it_was(built_corpus, tmp_path):
    cfg = config(built_corpus, tmp_path, max_steps=2, attention_combine="luong", attention_values="hidden")
    last = last_checkpoint_path(train(cfg))
    old = torch.load(last, weights_only=True)
    del old["config"]["attention_combine"], old["config"]["attention_values"]  # as such a file stores it
    torch.save(old, last)
    resumed = train(config(built_corpus, tmp_path, resume=str(last), max_steps=4,
                           attention_combine="residual", attention_values="embedding"))
    ckpt = load_checkpoint(last_checkpoint_path(resumed))
    assert ckpt.train_state["step"] == 4
    assert (ckpt.config.attention_combine, ckpt.config.attention_values) == ("luong", "hidden")


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(built_corpus, tmp_path, monkeypatch):
    real = train_module.train_step
    calls = []

    def poisoned(*args, **kw):
        calls.append(1)
        loss = real(*args, **kw)
        return loss * float("nan") if len(calls) > 4 else loss

    monkeypatch.setattr(train_module, "train_step", poisoned)
    cfg = config(built_corpus, tmp_path, max_steps=20, eval_interval=4, log_interval=2)
    with pytest.raises(PoetryGenError, match="diverged"):
        train(cfg)
    assert load_checkpoint(cfg.run.out).train_state["step"] == 4
    assert read_checkpoint(last_checkpoint_path(cfg.run.out))["train_state"]["step"] == 4


def test_max_minutes_stops_and_saves(built_corpus, tmp_path):
    best = train(config(built_corpus, tmp_path, max_minutes=1e-9, epochs=100))
    assert read_checkpoint(last_checkpoint_path(best))["train_state"]["step"] == 1


@pytest.mark.slow
def test_end_to_end_through_the_cli(poem_source, tmp_path, capsys):
    data, out = tmp_path / "corpus", tmp_path / "run" / "model.pt"
    assert main(["corpus", "build", str(poem_source), "--out", str(data)]) == 0
    assert main(["train", "--data", str(data), "--out", str(out), "--embed", "16", "--hidden", "32",
                 "--heads", "2", "--batch-size", "8", "--max-steps", "4", "--eval-interval", "2",
                 "--no-progress", "--device", "cpu"]) == 0
    assert main(["train", "--data", str(data), "--out", str(out), "--resume", "--max-steps", "6",
                 "--no-progress"]) == 0
    assert read_checkpoint(last_checkpoint_path(out))["train_state"]["step"] == 6
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(out), "--data", str(data), "--split", "test", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ppl"] > 1 and result["chars"] > 0 and result["novel"]["poems"] <= result["poems"]
    poems = tmp_path / "poems.txt"
    poems.write_text("牀前明月光，疑是地上霜。\n白日依山尽，黄河入海流。\n", encoding="utf-8")
    assert main(["eval", "--checkpoint", str(out), "--poems", str(poems)]) == 0
    assert "perplexity" in capsys.readouterr().out


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("amp", [False, True])
def test_cuda_training_steps_lower_the_loss(amp):
    import numpy as np

    from poetry_gen.data import Poems, make_batch
    from poetry_gen.model import ModelConfig, PoetryLM
    from poetry_gen.vocab import SPECIALS, Vocab

    vocab = Vocab(list(SPECIALS) + [chr(0x4E00 + i) for i in range(50)])
    rng = np.random.default_rng(0)
    poems = Poems.from_arrays([rng.integers(5, len(vocab), size=rng.integers(10, 30)) for _ in range(16)], vocab)
    batch = make_batch(poems, np.arange(16))
    device = torch.device("cuda")
    torch.manual_seed(0)
    model = PoetryLM(ModelConfig(len(vocab), 32, 64, attention_heads=4)).to(device)
    optimizer = train_module.make_optimizer(model, 1e-2, 0.0, device)
    losses = [train_module.train_step(model, optimizer, batch, device, lr=1e-2, amp=amp, grad_clip=1.0)
              for _ in range(60)]
    assert torch.isfinite(torch.stack(losses)).all() and losses[-1].item() < 0.5 * losses[0].item()


def test_a_version_1_resumable_checkpoint_resumes_exactly(built_corpus, tmp_path, as_version_1):
    kw = dict(max_steps=4, eval_interval=100, dropout=0.2, keyword_rate=0.5)
    straight = train(config(built_corpus, tmp_path / "a", **kw))
    cfg = config(built_corpus, tmp_path / "b", **(kw | {"max_steps": 2}))
    last = last_checkpoint_path(train(cfg))
    torch.save(as_version_1(read_checkpoint(last)), last)
    assert torch.load(last, weights_only=True)["format_version"] == 1
    resumed = train(config(built_corpus, tmp_path / "b", resume=str(last), **kw))
    a, b = parameters(last_checkpoint_path(straight)), parameters(last_checkpoint_path(resumed))
    assert all(torch.equal(a[k], b[k]) for k in a)
    ckpt = load_checkpoint(last)
    assert ckpt.train_state["optim_config"] == asdict(cfg.optim) and ckpt.theme_words


def test_init_copies_every_weight_and_each_shared_tokens_rows(built_corpus, tmp_path, tiny_checkpoint):
    from poetry_gen.data import load_poems
    from poetry_gen.vocab import Vocab

    vocab = load_poems(built_corpus, "train").vocab
    # the source knew the specials, one character of the corpus under another id, and one the corpus lacks
    kept, lost = vocab.itos[vocab.first_char_id + 1], "龘"
    source_vocab = Vocab(vocab.itos[:vocab.first_char_id] + [lost, kept])
    source = load_checkpoint(tiny_checkpoint(tmp_path / "src.pt", source_vocab, dropout=0.0))
    optim = {name: value for name, value in TINY.items() if name not in {f.name for f in fields(ModelConfig)}}
    best = train(TrainConfig.from_options(data=str(built_corpus), out=str(tmp_path / "run" / "model.pt"), **optim
                                          | dict(init=str(tmp_path / "src.pt"), max_steps=1, lr=1e-30, warmup_steps=0,
                                                 min_lr_ratio=1.0, weight_decay=0.0)))
    model, old = load_checkpoint(best).model.state_dict(), source.model.state_dict()
    assert load_checkpoint(best).config == ModelConfig(**{**asdict(source.config), "vocab_size": len(vocab)})
    for name in ("lstm.weight_hh_l0", "attention.qk.weight", "attention.out.bias"):
        assert torch.allclose(model[name], old[name])
    new_id, old_id = vocab.stoi[kept], source_vocab.stoi[kept]
    for name in ("embed.weight", "head.weight", "head.bias"):
        assert torch.allclose(model[name][new_id], old[name][old_id])
        assert torch.allclose(model[name][:vocab.first_char_id], old[name][:vocab.first_char_id])
    fresh = vocab.first_char_id  # the corpus's commonest character: new to the source
    assert torch.allclose(model["embed.weight"][fresh], old["embed.weight"][source_vocab.first_char_id:].mean(0))
    assert model["head.bias"][fresh] == old["head.bias"][source_vocab.first_char_id:].min()
    assert read_checkpoint(best)["train_state"]["optim_config"]["init"] == str(tmp_path / "src.pt")


def test_init_refuses_model_options(built_corpus, tmp_path, tiny_checkpoint, capsys):
    from poetry_gen.data import load_poems

    source = tiny_checkpoint(tmp_path / "src.pt", load_poems(built_corpus, "train").vocab)
    assert main(["train", "--data", str(built_corpus), "--out", str(tmp_path / "run" / "m.pt"), "--init", str(source),
                 "--layers", "3", "--hidden", "64"]) == 2
    assert capsys.readouterr().err.strip().endswith(f"--layers: --init takes the model's settings from {source} "
                                                    "(only --embed and --hidden may grow it)")
    with pytest.raises(PoetryGenError, match="takes that model's settings"):
        train(config(built_corpus, tmp_path, init=str(source)))


def test_repeat_reads_a_collection_more_often_and_is_stored(built_corpus, tmp_path):
    best = train(config(built_corpus, tmp_path, epochs=1, eval_interval=1000, repeat="tang=2"))
    poems = (built_corpus / "train.txt").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["step"] == math.ceil(2 * len(poems) / 8)  # every poem twice in the epoch
    assert records[-1]["chars_seen"] == 2 * sum(len(p) for p in poems)
    state = read_checkpoint(last_checkpoint_path(best))["train_state"]
    assert state["optim_config"]["repeat"] == "tang=2"


@pytest.mark.parametrize("spec, message", [("song=2", "no train item has that collection or genre; these do: "
                                                      "shi, tang"),
                                           ("tang=0", "--repeat tang must be a whole number from 1"),
                                           ("tang", "--repeat takes NAME=K"), ("=2", "--repeat takes NAME=K"),
                                           ("shi=two", "--repeat takes NAME=K")])
def test_repeat_refuses_what_it_cannot_read(built_corpus, tmp_path, capsys, spec, message):
    code = main(["train", "--data", str(built_corpus), "--out", str(tmp_path / "model.pt"), "--embed", "8",
                 "--hidden", "16", "--heads", "2", "--max-steps", "1", "--no-progress", "--repeat", spec])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1

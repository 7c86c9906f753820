import pytest
import torch

from poetry_gen.channel_attention import CausalChannelAttention, eca_kernel_size
from poetry_gen.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.vocab import SPECIALS, Vocab

VOCAB = Vocab(list(SPECIALS) + list("春风明月光山水，。") + [chr(0x4E00 + i) for i in range(27)])
V, E, H = len(VOCAB), 16, 32
GATES = ["se", "eca"]
# each gate alone, and before the residual attention with embedding values (the default recipe)
MODELS = [dict(channel_attention=g, attention=a) for g in GATES for a in ("none", "causal")]


def tiny(**kw) -> PoetryLM:
    torch.manual_seed(0)
    model = PoetryLM(ModelConfig(V, E, H, attention_heads=4, attention_combine="residual",
                                 attention_values="embedding", **kw)).eval()
    if model.attention is not None:  # the residual join starts at zero: give the attention a say
        torch.nn.init.normal_(model.attention.out.weight, std=0.3)
    return model


@pytest.mark.parametrize("channels, k", [(24, 3), (32, 3), (64, 3), (256, 5), (384, 5), (512, 5), (4096, 7)])
def test_eca_kernel_size_follows_the_papers_rule(channels, k):
    # |log2(C)/2 + 1/2| made odd; e.g. C = 4096: 6.5 → 6 → 7
    assert eca_kernel_size(channels) == k


@pytest.mark.parametrize("channels", [24, 384])
def test_eca_excitation_is_a_1d_convolution_across_the_channels(channels):
    torch.manual_seed(0)
    excite = CausalChannelAttention("eca", channels).excite
    s = torch.randn(2, 5, channels)
    k = eca_kernel_size(channels)
    conv = torch.nn.functional.conv1d(s.reshape(-1, 1, channels), excite.weight.view(1, 1, k), padding=k // 2)
    assert torch.allclose(excite(s), conv.view(s.shape), atol=1e-6)


@pytest.mark.parametrize("kind", GATES)
def test_channel_gate_at_t_is_the_gate_of_the_mean_of_positions_up_to_t(kind):
    torch.manual_seed(0)
    gate = CausalChannelAttention(kind, H)
    h = torch.randn(2, 6, H)
    out = gate(h)
    for t in range(6):
        mean = h[:, : t + 1].mean(dim=1)  # (B, H)
        assert torch.allclose(out[:, t], h[:, t] * torch.sigmoid(gate.excite(mean)), atol=1e-6), t
    assert not torch.allclose(out, h)


@pytest.mark.parametrize("kw", MODELS)
def test_channel_attention_is_causal_changing_the_char_at_t_leaves_outputs_before_t_unchanged(kw):
    model = tiny(**kw)
    ids = torch.randint(5, V, (2, 9))
    for t in (0, 4, 8):
        changed = ids.clone()
        changed[:, t] = (ids[:, t] + 1 - 5) % (V - 5) + 5
        before, after = model(ids)[0], model(changed)[0]
        assert torch.equal(before[:, :t], after[:, :t]), t
        assert not torch.allclose(before[:, t:], after[:, t:]), t


@pytest.mark.parametrize("kw", MODELS)
def test_channel_attention_save_then_load_gives_identical_logits(tmp_path, kw):
    model = tiny(**kw)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={})
    ckpt = load_checkpoint(path)
    ids = torch.randint(0, V, (2, 9))
    assert ckpt.config.channel_attention == kw["channel_attention"]
    assert torch.equal(model(ids)[0], ckpt.model(ids)[0])


@pytest.mark.parametrize("hidden", [32, 384])
def test_channel_attention_parameter_count(hidden):
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    sizes = dict(vocab_size=V, embed_dim=E, hidden_dim=hidden, attention_heads=4)
    none, se, eca = (PoetryLM(ModelConfig(**sizes, channel_attention=g)) for g in ("none", "se", "eca"))
    squeezed = hidden // 16  # SE-Net's reduction ratio
    assert count(se) - count(none) == (hidden * squeezed + squeezed) + (squeezed * hidden + hidden)
    assert count(eca) - count(none) == eca_kernel_size(hidden)  # one kernel, no bias
    assert PoetryLM(ModelConfig(**sizes)).channel_attention is None  # "none" is the default


def test_a_checkpoint_saved_before_channel_attention_existed_loads_as_none(tmp_path):
    model = tiny()
    path = tmp_path / "old.pt"
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={})
    old = read_checkpoint(path)
    del old["config"]["channel_attention"]  # as files written before the option store their config
    torch.save(old, path)
    ckpt = load_checkpoint(path)
    assert ckpt.config.channel_attention == "none" and ckpt.model.channel_attention is None
    ids = torch.randint(0, V, (2, 7))
    assert torch.equal(model(ids)[0], ckpt.model(ids)[0])


@pytest.mark.parametrize("kind", GATES)
def test_channel_attention_runs_under_bf16_autocast(kind):
    model = tiny(channel_attention=kind)
    ids = torch.randint(0, V, (2, 40))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, _ = model(ids)
    assert torch.allclose(logits.float(), model(ids)[0], atol=0.1)


def test_unknown_channel_attention_is_refused():
    with pytest.raises(PoetryGenError, match="channel_attention"):
        ModelConfig(vocab_size=10, channel_attention="cbam")


def test_train_cli_builds_the_gate_and_resume_keeps_it(built_corpus, tmp_path):
    out = tmp_path / "run" / "model.pt"
    common = ["--data", str(built_corpus), "--out", str(out), "--no-progress", "--device", "cpu"]
    assert main(["train", *common, "--embed", "16", "--hidden", "32", "--heads", "2", "--batch-size", "8",
                 "--max-steps", "2", "--channel-attention", "eca"]) == 0
    assert main(["train", *common, "--resume", "--max-steps", "3"]) == 0
    last = load_checkpoint(out.with_name("model.last.pt"))
    assert last.train_state["step"] == 3 and last.config.channel_attention == "eca"
    assert last.model.channel_attention is not None

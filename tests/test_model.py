import pytest
import torch

from poetry_gen.errors import PoetryGenError
from poetry_gen.model import IGNORE_INDEX, ModelConfig, PoetryLM

V = 40


def tiny(**kw):
    base = dict(vocab_size=V, embed_dim=16, hidden_dim=24, num_layers=2, attention_heads=4)
    base.update(kw)
    torch.manual_seed(0)
    model = PoetryLM(ModelConfig(**base)).eval()
    if model.attention is not None and model.attention.residual:  # it starts at zero: give the attention a say
        torch.nn.init.normal_(model.attention.out.weight, std=0.3)
    return model


RESIDUAL = dict(attention_combine="residual", attention_values="embedding")
LUONG = dict(attention_combine="luong", attention_values="hidden")  # the design before these were options
ATTENTIONS = [dict(attention="none"), dict(LUONG), dict(LUONG, attention_span=3), dict(LUONG, tie_weights=True),
              RESIDUAL, dict(RESIDUAL, attention_span=3), dict(RESIDUAL, tie_weights=True),
              dict(attention_combine="luong"), dict(attention_values="hidden")]
# the causal channel gates (channel_attention.py), alone and before the default attention
GATED = [dict(attention="none", channel_attention="se"), dict(RESIDUAL, channel_attention="se"),
         dict(attention="none", channel_attention="eca"), dict(RESIDUAL, channel_attention="eca")]


@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_forward_shapes_and_loss(kw):
    model = tiny(**kw)
    ids = torch.randint(0, V, (3, 7))
    logits, loss = model(ids)
    assert logits.shape == (3, 7, V) and loss is None
    targets = ids.clone()
    targets[:, :2] = IGNORE_INDEX
    scored_logits, loss = model(ids, targets)
    expected = torch.nn.functional.cross_entropy(logits[:, 2:].reshape(-1, V), ids[:, 2:].reshape(-1))
    assert torch.allclose(loss, expected, atol=1e-6)
    # with targets the output layer runs only where the loss is taken, row by row the same logits
    assert torch.allclose(scored_logits, logits[:, 2:].reshape(-1, V), atol=1e-6)


def test_classic_config_is_exactly_the_neural_poet_model():
    model = PoetryLM(ModelConfig(vocab_size=8293, embed_dim=128, hidden_dim=256, num_layers=2,
                                 dropout=0.0, attention="none"))
    assert [name for name, _ in model.named_children() if getattr(model, name) is not None] == \
        ["embed", "lstm", "head"]
    classic = [torch.nn.Embedding(8293, 128), torch.nn.LSTM(128, 256, 2), torch.nn.Linear(256, 8293)]
    n_classic = sum(p.numel() for m in classic for p in m.parameters())
    assert sum(p.numel() for p in model.parameters()) == n_classic


@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_causal_changing_a_char_leaves_earlier_logits_unchanged(kw):
    model = tiny(**kw)
    ids = torch.randint(5, V, (2, 9))
    t = 5
    changed = ids.clone()
    changed[:, t] = (ids[:, t] + 1) % V
    before, _ = model(ids)
    after, _ = model(changed)
    assert torch.equal(before[:, :t], after[:, :t])
    assert not torch.allclose(before[:, t], after[:, t])


@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_right_padding_does_not_change_real_positions(kw):
    model = tiny(**kw)
    ids = torch.randint(5, V, (1, 6))
    padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    assert torch.allclose(model(ids)[0], model(padded)[0][:, :6], atol=1e-6)


@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_step_equals_forward(kw):
    model = tiny(**kw)
    ids = torch.randint(0, V, (3, 8))
    full, _ = model(ids)
    state = model.init_state(3)
    with torch.no_grad():
        for t in range(ids.shape[1]):
            logits, state = model.step(ids[:, t], state)
            assert torch.allclose(logits, full[:, t], atol=1e-5), t


@pytest.mark.parametrize("kw", ATTENTIONS + GATED[1:2])
def test_a_step_without_readout_carries_the_same_state(kw):
    model = tiny(**kw)
    ids = torch.randint(0, V, (3, 5))
    read, skipped = model.init_state(3), model.init_state(3)
    with torch.no_grad():
        for t in range(ids.shape[1]):
            logits, read = model.step(ids[:, t], read)
            none, skipped = model.step(ids[:, t], skipped, readout=False)
            assert none is None and logits.shape == (3, V)
            assert all(a is b is None or torch.equal(a, b) for a, b in zip(read[:5], skipped[:5]))
            assert read.seen == skipped.seen == t + 1


@pytest.mark.parametrize("kw", [{}, GATED[1], GATED[3]])
def test_state_reorder_follows_rows(kw):
    model = tiny(**kw)
    ids = torch.randint(0, V, (3, 4))
    state = model.init_state(3)
    with torch.no_grad():
        for t in range(4):
            _, state = model.step(ids[:, t], state)
        index = torch.tensor([2, 2, 0])
        nxt = torch.tensor([7, 8, 9])
        logits, _ = model.step(nxt, state.reorder(index))
        full, _ = model(torch.cat([ids[index], nxt[:, None]], dim=1))
    assert torch.allclose(logits, full[:, -1], atol=1e-5)


@pytest.mark.parametrize("kw", [LUONG, RESIDUAL])
@pytest.mark.parametrize("span", [0, 2])
def test_attention_weights_are_causal_distributions(span, kw):
    model = tiny(attention_span=span, **kw)
    weights = model.attention_weights(torch.randint(0, V, (2, 6)))
    assert weights.shape == (2, 4, 6, 6)
    assert torch.allclose(weights.sum(-1), torch.ones(2, 4, 6))
    assert torch.all(weights.triu(1) == 0)
    if span:
        assert torch.all(weights.tril(-span) == 0)
    assert tiny(attention="none").attention_weights(torch.zeros(1, 3, dtype=torch.long)) is None


@pytest.mark.parametrize("kw", ATTENTIONS[1:])
def test_attention_weights_are_the_ones_forward_uses(kw):
    attn = tiny(**kw).attention
    h, x = torch.randn(2, 6, 24), torch.randn(2, 6, 16)
    _, _, v = attn._project(h, x)
    context = attn.weights(h, x) @ v  # (B, heads, T, d)
    assert torch.allclose(attn._out(h, context), attn(h, x), atol=1e-6)


def test_residual_attention_starts_as_the_model_without_attention():
    """W_o = 0 at the start: the untrained model's outputs are the plain LSTM's, whatever the values."""
    torch.manual_seed(0)
    with_attention = PoetryLM(ModelConfig(V, 16, 24, 2, attention_heads=4, **RESIDUAL)).eval()
    without = PoetryLM(ModelConfig(V, 16, 24, 2, attention="none")).eval()
    without.load_state_dict({k: v for k, v in with_attention.state_dict().items() if not k.startswith("attention.")})
    ids = torch.randint(0, V, (2, 7))
    assert torch.equal(with_attention(ids)[0], without(ids)[0])


@pytest.mark.slow
def test_overfitting_a_tiny_batch_lowers_the_loss():
    model = tiny(dropout=0.1).train()
    ids = torch.randint(5, V, (4, 12))
    targets = ids.roll(-1, dims=1)
    targets[:, -1] = IGNORE_INDEX
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        _, loss = model(ids, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.3 * losses[0]


def test_bad_config_is_refused():
    with pytest.raises(PoetryGenError):
        ModelConfig(vocab_size=10, attention="channel")
    with pytest.raises(PoetryGenError):
        ModelConfig(vocab_size=10, hidden_dim=10, attention_heads=4)
    with pytest.raises(PoetryGenError, match="attention_combine"):
        ModelConfig(vocab_size=10, attention_combine="gated")
    with pytest.raises(PoetryGenError, match="attention_values"):
        ModelConfig(vocab_size=10, attention_values="keys")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_cuda_step_equals_forward_and_causal(kw):
    model = tiny(**kw).cuda()
    ids = torch.randint(5, V, (3, 8), device="cuda")
    full, _ = model(ids)
    state = model.init_state(3, "cuda")
    with torch.no_grad():
        for t in range(ids.shape[1]):
            logits, state = model.step(ids[:, t], state)
            assert torch.allclose(logits, full[:, t], atol=1e-4), t
    changed = ids.clone()
    changed[:, 5] = (ids[:, 5] + 1) % V
    assert torch.allclose(model(changed)[0][:, :5], full[:, :5], atol=1e-6)

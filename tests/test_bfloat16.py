"""Writing with the matrices in bfloat16 (bfloat16.py): the same functions as float32 to bfloat16's
precision, float32 wherever a caller reads, and chosen by `precision` as documented."""
import pytest
import torch
from test_model import ATTENTIONS, GATED, V, tiny

from poetry_gen import device as device_module, load_generator
from poetry_gen.bfloat16 import BFloat16Linear, BFloat16LSTM, to_bfloat16
from poetry_gen.device import resolve_precision
from poetry_gen.errors import PoetryGenError

# bfloat16 keeps 8 significant bits: operands rounded by up to 2^-9 of their size
CLOSE = dict(rtol=0.03, atol=0.03)


def test_linear_is_float32_in_and_out_and_close_to_float32():
    torch.manual_seed(0)
    linear = torch.nn.Linear(32, 50)
    x = torch.randn(4, 3, 32)
    fast = BFloat16Linear(linear)
    assert fast.weight.dtype == torch.bfloat16 and fast.bias.dtype == torch.float32
    y = fast(x)
    assert y.dtype == torch.float32 and y.shape == (4, 3, 50)
    assert torch.allclose(y, linear(x), **CLOSE)
    assert not torch.equal(y, linear(x))  # it did round


@pytest.mark.parametrize("layers", [1, 2])
def test_lstm_matches_torch_over_a_sequence_and_from_a_state(layers):
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(16, 24, layers, batch_first=True).eval()
    fast = BFloat16LSTM(lstm)
    x = torch.randn(3, 7, 16)
    state = (torch.randn(layers, 3, 24), torch.randn(layers, 3, 24))
    with torch.no_grad():
        for given in (None, state):
            expected, (h, c) = lstm(x, given)
            out, (fast_h, fast_c) = fast(x, given)
            assert out.dtype == fast_h.dtype == fast_c.dtype == torch.float32
            assert torch.allclose(out, expected, **CLOSE)
            assert torch.allclose(fast_h, h, **CLOSE) and torch.allclose(fast_c, c, **CLOSE)
            assert torch.equal(fast_h[-1], out[:, -1])


def test_lstm_refuses_what_it_does_not_compute():
    for lstm in (torch.nn.LSTM(4, 6, batch_first=False), torch.nn.LSTM(4, 6, batch_first=True, bidirectional=True),
                 torch.nn.LSTM(4, 6, batch_first=True, proj_size=3)):
        with pytest.raises(ValueError):
            BFloat16LSTM(lstm)


@pytest.mark.parametrize("kw", ATTENTIONS + GATED)
def test_the_model_in_bfloat16_reads_like_float32_and_steps_like_its_forward(kw):
    model = tiny(**kw)
    fast = to_bfloat16(tiny(**kw))
    assert not any(isinstance(m, (torch.nn.Linear, torch.nn.LSTM)) for m in fast.modules())
    assert fast.embed.weight.dtype == torch.float32  # also when the output layer shared it (tie_weights)
    ids = torch.randint(0, V, (3, 8))
    with torch.no_grad():
        expected, _ = model(ids)
        full, _ = fast(ids)
        assert full.dtype == torch.float32
        assert torch.allclose(full.log_softmax(-1), expected.log_softmax(-1), **CLOSE)
        state = fast.init_state(3)
        for t in range(ids.shape[1]):
            logits, state = fast.step(ids[:, t], state)
            assert torch.allclose(logits, full[:, t], atol=1e-4), t


def test_auto_is_bfloat16_only_where_bf16_is_native(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(device_module, "default_amp", lambda device: True)
    assert resolve_precision("auto", cpu) == "bfloat16"
    monkeypatch.setattr(device_module, "default_amp", lambda device: False)
    assert resolve_precision("auto", cpu) == "float32"
    assert resolve_precision("bfloat16", cpu) == "bfloat16" and resolve_precision("float32", cpu) == "float32"
    with pytest.raises(PoetryGenError, match="unknown precision 'half'"):
        resolve_precision("half", cpu)


def test_a_bfloat16_generator_writes_the_form_and_reads_like_float32(checkpoint):
    gen = load_generator(checkpoint, device="cpu", precision="bfloat16")
    exact = load_generator(checkpoint, device="cpu", precision="float32")
    assert gen.precision == "bfloat16" and isinstance(gen.model.head, BFloat16Linear)
    assert exact.precision == "float32" and isinstance(exact.model.head, torch.nn.Linear)
    poems = gen.generate(form="五律", num=3, candidates=4, seed=1)
    again = gen.generate(form="五律", num=3, candidates=4, seed=1)
    assert [p.text for p in poems] == [p.text for p in again]  # a seed still writes the same poems
    assert all(len(p.lines) == 8 and all(len(line) == 5 for line in p.lines) for p in poems)
    assert all(p.judgement is not None for p in poems)
    texts = [p.text for p in poems]
    assert gen.perplexity(texts).ppl == pytest.approx(exact.perplexity(texts).ppl, rel=0.01)

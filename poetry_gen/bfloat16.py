"""Writing with the model's matrices in bfloat16, for CPUs with native bfloat16 instructions (avx512_bf16,
AMX: device.default_amp). A decoding step multiplies a few rows (the candidates) by every weight matrix,
so its time goes to reading the weights from memory; in bfloat16 they are half the bytes. Only the
matrices and the operands of their products are rounded (8 significant bits); the products are summed
in float32 and the biases, gates, LSTM state, attention and logits stay float32. On a CPU without
native bfloat16 the same products are emulated and slower than float32, so there it is not used.

    model = to_bfloat16(model)     # inference only: the training state (dropout, gradients) is gone
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def _frozen(tensor: torch.Tensor, dtype: torch.dtype) -> nn.Parameter:
    return nn.Parameter(tensor.detach().to(dtype), requires_grad=False)


class BFloat16Linear(nn.Module):
    """nn.Linear with its weight in bfloat16 and float32 in and out (the bias added in float32)."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        self.weight = _frozen(linear.weight, torch.bfloat16)
        self.bias = None if linear.bias is None else _frozen(linear.bias, torch.float32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x.to(torch.bfloat16), self.weight).float()
        return y if self.bias is None else y + self.bias


class BFloat16LSTM(nn.Module):
    """nn.LSTM's inference (batch_first, one direction, no projection) with its matrices in bfloat16 and
    its gates and state in float32: x (B,T,E), optional (h, c) each (layers,B,H) → out (B,T,H), (h, c).
    Layer by layer: the input's products for all T positions at once, then the hidden state's in order."""

    def __init__(self, lstm: nn.LSTM):
        super().__init__()
        if not lstm.batch_first or lstm.bidirectional or lstm.proj_size:
            raise ValueError("BFloat16LSTM takes a batch_first, one-direction LSTM without projection")
        self.hidden_size, self.num_layers = lstm.hidden_size, lstm.num_layers
        layers = range(lstm.num_layers)
        self.input_weights = nn.ParameterList(
            [_frozen(getattr(lstm, f"weight_ih_l{k}"), torch.bfloat16) for k in layers])
        self.hidden_weights = nn.ParameterList(
            [_frozen(getattr(lstm, f"weight_hh_l{k}"), torch.bfloat16) for k in layers])
        self.biases = nn.ParameterList(  # nn.LSTM adds two biases; they are one sum here
            [_frozen(getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}"), torch.float32)
             for k in layers])

    def forward(self, x: torch.Tensor, state=None):
        B, T, _ = x.shape
        if state is None:
            zeros = x.new_zeros(self.num_layers, B, self.hidden_size, dtype=torch.float32)
            state = (zeros, zeros)
        hs, cs, out = [], [], x
        for k in range(self.num_layers):
            from_input = F.linear(out.to(torch.bfloat16), self.input_weights[k]).float() + self.biases[k]
            h, c, steps = state[0][k], state[1][k], []
            for t in range(T):
                gates = from_input[:, t] + F.linear(h.to(torch.bfloat16), self.hidden_weights[k]).float()
                i, f, g, o = gates.chunk(4, dim=1)  # nn.LSTM's order of the four gates
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                steps.append(h)
            out = torch.stack(steps, dim=1)  # (B, T, H)
            hs.append(h)
            cs.append(c)
        return out, (torch.stack(hs), torch.stack(cs))


def to_bfloat16(model: nn.Module) -> nn.Module:
    """`model` in eval mode with every nn.Linear and nn.LSTM in it replaced by its bfloat16 form (in place;
    returned for chaining). Embeddings stay float32: a lookup reads one row, not the matrix."""
    model.eval()
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear):
                setattr(parent, name, BFloat16Linear(child))
            elif isinstance(child, nn.LSTM):
                setattr(parent, name, BFloat16LSTM(child))
    return model

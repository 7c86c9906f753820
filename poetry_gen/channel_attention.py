"""Channel attention for the LSTM's outputs, made causal: a weight in (0, 1) per channel of the hidden
state, from a summary of the sequence read so far, that rescales the hidden state.

    h (B,T,H) ─ running mean over positions ≤ t ─ s (B,T,H) ─ excitation ─ sigmoid ─ g (B,T,H)
        │                                                                              │
        └──────────────────────────────── h_t ⊙ g_t ◄──────────────────────────────────┘

The squeeze of SE-Net (Hu et al. 2018) and ECA-Net (Wang et al. 2020) averages over the whole input; in
a language model that lets every position see the future, so here position t averages positions ≤ t
only: a cumulative sum divided by the count, in parallel in `forward`, and a running sum carried from
one character to the next in `step`. The excitation is either

    "se":  W_2 ReLU(W_1 s + b_1) + b_2, W_1: H → H/16 (SE-Net's reduction ratio)
    "eca": a 1-D convolution across the H channels of s, no bias, kernel size from ECA-Net's rule
           k = |log2(H)/γ + b/γ|_odd, γ = 2, b = 1 (k = 5 for H = 384 or 512)

Right padding never changes real positions: their means do not reach the padding after them.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from .config import CHANNEL_ATTENTION_TYPES

SE_REDUCTION = 16  # Hu et al. 2018's default ratio
ECA_GAMMA, ECA_B = 2, 1  # Wang et al. 2020's constants for the kernel size


def eca_kernel_size(channels: int) -> int:
    """ECA-Net's adaptive kernel size |log2(C)/γ + b/γ|_odd, as its code computes it: truncated, then 1
    added when even, so that the kernel has a centre."""
    k = int(abs((math.log2(channels) + ECA_B) / ECA_GAMMA))
    return k if k % 2 else k + 1


class ConvAcrossChannels(nn.Module):
    """ECA's excitation: one kernel of k weights slides over the H channels of each position's summary,
    zero-padded at both ends, (..., H) → (..., H). It runs as a product with the (H, H) band matrix the
    kernel makes: on this project's CPU the gate's forward and backward ran 4-5× faster so than as conv1d
    over B·T rows of one channel each."""

    def __init__(self, channels: int):
        super().__init__()
        k = eca_kernel_size(channels)
        self.weight = nn.Parameter(torch.empty(k))
        nn.init.uniform_(self.weight, -k ** -0.5, k ** -0.5)  # conv1d's default init for one input channel
        source = torch.arange(channels)[:, None] - torch.arange(channels)[None, :] + k // 2  # (H, H)
        self.register_buffer("tap", source.clamp(0, k - 1), persistent=False)
        self.register_buffer("in_band", (source >= 0) & (source < k), persistent=False)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        band = self.weight[self.tap] * self.in_band  # (H, H): band[i, c] = weight[i - c + k//2]
        return s @ band.to(s.dtype)


class CausalChannelAttention(nn.Module):
    """h_t ⊙ sigmoid(excite(mean of h_1..h_t)) for every position t (see the module docstring)."""

    def __init__(self, kind: str, channels: int):
        super().__init__()
        if kind == "se":
            squeezed = max(channels // SE_REDUCTION, 1)
            self.excite = nn.Sequential(nn.Linear(channels, squeezed), nn.ReLU(), nn.Linear(squeezed, channels))
        elif kind == "eca":
            self.excite = ConvAcrossChannels(channels)
        else:
            raise ValueError(f"channel attention must be one of {CHANNEL_ATTENTION_TYPES[1:]}, not {kind!r}")

    def _gate(self, h: torch.Tensor, summed: torch.Tensor, count) -> torch.Tensor:
        # the sums are float32 even under bf16 autocast: a long running sum in bf16 loses the mean's digits
        mean = (summed / count).to(h.dtype)
        return h * torch.sigmoid(self.excite(mean))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """h (B,T,H) → gated h (B,T,H); position t's gate reads positions ≤ t only."""
        summed = h.float().cumsum(dim=1)  # (B, T, H)
        count = torch.arange(1, h.shape[1] + 1, device=h.device, dtype=summed.dtype)[:, None]  # (T, 1)
        return self._gate(h, summed, count)

    def step(self, h: torch.Tensor, summed: torch.Tensor, count: int):
        """One position: h (B,1,H), the sum of the `count` hidden states before it (B,H) → gated h
        (B,1,H) and the sum including h."""
        summed = summed + h[:, 0].float()  # (B, H)
        return self._gate(h, summed[:, None], count + 1), summed

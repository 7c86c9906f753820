"""The language model: characters → embedding → multi-layer LSTM → attention over the LSTM's own past
hidden states → next-character logits.

    ids (B,T) ─ Embedding ─ x ─ dropout ─ LSTM × num_layers ─ (channel gate) ─ h (B,T,H)
                            │                                  │ queries and keys
                            └── values (values="embedding") ──►├─► causal multi-head attention
                                 or from h (values="hidden")   │   over positions ≤ t → context_t
                                                               ▼
              combine="residual":  ã_t = h_t + W_o context_t          (W_o starts at 0)
              combine="luong":     ã_t = tanh(W_c [h_t ; context_t])  (Luong et al. 2015)
                                   ─ dropout ─ (W_p, when tied) ─ Linear → logits

`attention="none"` skips the attention (ã_t = h_t): with embed 128, hidden 256, 2 layers, no dropout and no
tying this is exactly the classic "Neural Poet" model (chenyuntc/pytorch-book chapter 9):
Embedding(V,128) → LSTM(128,256,2) → Linear(256,V), and nothing else. `channel_attention` "se" or "eca"
rescales each channel of the LSTM's output by a causal gate (channel_attention.py); "none" (the default)
leaves it as it is.

Sequences are padded on the right, and every operation is causal, so padding never changes the
outputs at real positions.
"""
from __future__ import annotations

import math
from typing import NamedTuple, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from .channel_attention import CausalChannelAttention
from .config import ModelConfig
from .vocab import IGNORE_INDEX


class State(NamedTuple):
    """What `PoetryLM.step` carries from one character to the next."""
    h: torch.Tensor  # (num_layers, B, H) LSTM hidden state
    c: torch.Tensor  # (num_layers, B, H) LSTM cell state
    keys: Optional[torch.Tensor]  # (B, heads, t, d) past attention keys (None without attention)
    values: Optional[torch.Tensor]  # (B, heads, t, d)
    channel_sum: Optional[torch.Tensor] = None  # (B, H) sum of the LSTM outputs so far (None without channel attention)
    seen: int = 0  # positions read so far

    def reorder(self, index: torch.Tensor) -> "State":
        """The states of batch rows `index` (in that order), e.g. to follow the surviving beams."""
        pick = lambda x, dim: None if x is None else x.index_select(dim, index)  # noqa: E731
        return State(pick(self.h, 1), pick(self.c, 1), pick(self.keys, 0), pick(self.values, 0),
                     pick(self.channel_sum, 0), self.seen)


class CausalSelfAttention(nn.Module):
    """Multi-head scaled dot-product attention of each position over the positions ≤ t (or the last
    `span` of them). Queries and keys come from the LSTM's hidden states; the values from the hidden
    states too, or (values="embedding") from the embeddings of the characters read there, so that a
    position can look up which character stood where — the one at the same place in the line before,
    for a parallel couplet — instead of a summary of everything read up to it. The context is combined
    with the current hidden state h_t as

        combine="luong":     ã_t = tanh(W_c [h_t ; context_t])     (Luong et al. 2015)
        combine="residual":  ã_t = h_t + W_o context_t, W_o = 0 at the start, so that training starts
                             from the plain LSTM's output and adds to it only what helps."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        H = config.hidden_dim
        self.heads, self.span = config.attention_heads, config.attention_span
        self.residual = config.attention_combine == "residual"
        if config.attention_values == "hidden":
            self.qkv = nn.Linear(H, 3 * H)  # one matrix product for all three
            self.value = None
        else:
            self.qk = nn.Linear(H, 2 * H)
            self.value = nn.Linear(config.embed_dim, H)
        if self.residual:
            self.out = nn.Linear(H, H)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)
        else:
            self.combine = nn.Linear(2 * H, H)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, H = x.shape
        return x.view(B, T, self.heads, H // self.heads).transpose(1, 2)  # (B, heads, T, d)

    def _project(self, h: torch.Tensor, x: torch.Tensor):
        """Queries, keys and values, each (B, heads, T, d), of hidden states h (B,T,H) and embeddings x (B,T,E)."""
        H = h.shape[-1]
        if self.value is None:
            q, k, v = self.qkv(h).split(H, dim=-1)
        else:
            (q, k), v = self.qk(h).split(H, dim=-1), self.value(x)
        return self._heads(q), self._heads(k), self._heads(v)

    def _band(self, T: int, device) -> torch.Tensor:
        """(T, T) bool: True where position i may attend to position j (causal, within the span)."""
        i = torch.arange(T, device=device)[:, None]
        j = torch.arange(T, device=device)[None, :]
        allowed = j <= i
        if self.span:
            allowed &= i - j < self.span
        return allowed

    def _out(self, h: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        B, heads, T, d = context.shape
        context = context.transpose(1, 2).reshape(B, T, heads * d)  # (B, T, H)
        if self.residual:
            return h + self.out(context)  # (B, T, H)
        return torch.tanh(self.combine(torch.cat([h, context], dim=-1)))  # (B, T, H)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self._project(h, x)
        if self.span and self.span < h.shape[1]:
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=self._band(h.shape[1], h.device))
        else:  # is_causal lets the GPU use its fused (flash) kernels
            context = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self._out(h, context)

    def weights(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(B, heads, T, T) attention weights the forward pass uses; zero outside the causal band."""
        q, k, _ = self._project(h, x)
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (B, heads, T, T)
        scores = scores.masked_fill(~self._band(h.shape[1], h.device), float("-inf"))
        return scores.softmax(dim=-1)

    def step(self, h: torch.Tensor, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor):
        """One position: h (B,1,H), x (B,1,E) and the cached keys/values of the positions before it."""
        q, k, v = self._project(h, x)  # (B, heads, 1, d)
        keys, values = torch.cat([keys, k], dim=2), torch.cat([values, v], dim=2)
        if self.span:  # positions older than the span can never be attended to again
            keys, values = keys[:, :, -self.span:], values[:, :, -self.span:]
        context = F.scaled_dot_product_attention(q, keys, values)  # (B, heads, 1, d)
        return self._out(h, context), keys, values


class PoetryLM(nn.Module):
    VOCAB_ROWS = ("embed.weight", "head.weight", "head.bias")  # parameters with one row per token

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        c = config
        self.embed = nn.Embedding(c.vocab_size, c.embed_dim)
        self.lstm = nn.LSTM(c.embed_dim, c.hidden_dim, c.num_layers, batch_first=True,
                            dropout=c.dropout if c.num_layers > 1 else 0.0)
        # on the last layer's output only: a gate between layers would need the LSTM split into
        # single-layer modules (new state_dict keys, and one fused cuDNN call becomes num_layers)
        self.channel_attention = (None if c.channel_attention == "none" else
                                  CausalChannelAttention(c.channel_attention, c.hidden_dim))
        self.attention = CausalSelfAttention(c) if c.attention == "causal" else None
        # Tying needs the output layer's input to have the embedding's width, hence a projection first.
        self.project = nn.Linear(c.hidden_dim, c.embed_dim) if c.tie_weights else None
        self.head = nn.Linear(c.embed_dim if c.tie_weights else c.hidden_dim, c.vocab_size)
        if c.tie_weights:
            self.head.weight = self.embed.weight

    def _readout(self, top: torch.Tensor) -> torch.Tensor:
        """(..., H) features → (..., V) logits."""
        top = F.dropout(top, self.config.dropout, self.training)
        if self.project is not None:
            top = self.project(top)
        return self.head(top)

    def _recur(self, x: torch.Tensor) -> torch.Tensor:
        """Embeddings (B,T,E) → the LSTM's output (B,T,H), channel-gated when the model has the gate."""
        top, _ = self.lstm(x)  # (B, T, H)
        return top if self.channel_attention is None else self.channel_attention(top)

    def _features(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B,T) → what the output layer reads at each position (B,T,H)."""
        x = F.dropout(self.embed(ids), self.config.dropout, self.training)  # (B, T, E)
        top = self._recur(x)  # (B, T, H)
        return top if self.attention is None else self.attention(top, x)

    def forward(self, ids: torch.Tensor, targets: Optional[torch.Tensor] = None):
        """ids (B,T) → logits (B,T,V), loss None. With targets (B,T): logits (N,V) of the N positions whose
        target is not IGNORE_INDEX (logits_at), and their mean cross entropy."""
        if targets is None:
            return self._readout(self._features(ids)), None  # (B, T, V)
        scored = targets != IGNORE_INDEX  # (B, T)
        logits = self.logits_at(ids, scored)  # (N, V)
        return logits, F.cross_entropy(logits.float(), targets[scored])

    def logits_at(self, ids: torch.Tensor, scored: torch.Tensor) -> torch.Tensor:
        """ids (B,T) → logits (N,V) at the N positions where `scored` (B,T) is True, row by row. The output
        layer is most of the compute, so it runs only there, never on padding or prefix positions."""
        return self._readout(self._features(ids)[scored])

    def init_state(self, batch_size: int, device="cpu") -> State:
        c = self.config
        zeros = torch.zeros(c.num_layers, batch_size, c.hidden_dim, device=device)
        keys = values = channel_sum = None
        if self.attention is not None:
            keys = values = torch.zeros(batch_size, c.attention_heads, 0, c.hidden_dim // c.attention_heads,
                                        device=device)
        if self.channel_attention is not None:
            channel_sum = torch.zeros(batch_size, c.hidden_dim, device=device)
        return State(zeros, zeros.clone(), keys, values, channel_sum)

    def step(self, ids: torch.Tensor, state: State, readout: bool = True):
        """One character per row: ids (B,) → logits (B,V) for the next one, and the new state.
        Feeding a sequence through `step` gives the same logits as `forward` on the whole sequence.
        `readout=False`: logits None, for a caller that knows the next character already (the output
        layer is half a step's work)."""
        x = F.dropout(self.embed(ids)[:, None], self.config.dropout, self.training)  # (B, 1, E)
        top, (h, c) = self.lstm(x, (state.h, state.c))  # (B, 1, H)
        keys, values, channel_sum = state.keys, state.values, state.channel_sum
        if self.channel_attention is not None:
            top, channel_sum = self.channel_attention.step(top, channel_sum, state.seen)
        if self.attention is not None:
            top, keys, values = self.attention.step(top, x, keys, values)
        logits = self._readout(top)[:, 0] if readout else None
        return logits, State(h, c, keys, values, channel_sum, state.seen + 1)

    @torch.no_grad()
    def attention_weights(self, ids: torch.Tensor) -> Optional[torch.Tensor]:
        """(B, heads, T, T) attention of every position over the positions before it, or None."""
        if self.attention is None:
            return None
        x = self.embed(ids)
        return self.attention.weights(self._recur(x), x)

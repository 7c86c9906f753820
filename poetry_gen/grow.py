"""A trained model made wider without changing what it computes, so that a bigger model starts where a
smaller one stopped instead of from scratch (function-preserving growth: Net2Net, Chen et al. 2016).

    poetry-gen train --data corpus/tangci --out runs/wide/model.pt --init checkpoints/default.pt \
        --embed 384 --hidden 768 --lr 4e-4 --warmup 50

Every new unit starts with fresh random incoming weights and zero outgoing weights: it computes something
from the first step, but nothing the model outputs reads it until training gives it a use. The one
exception is the attention's keys: a new key dimension starts at zero (so that it adds nothing to a
score) and a new query dimension random (so that the key gets a gradient). Duplicating units, Net2Net's
own recipe, would need noise to break the tie between the copies; zeros need none.

The attention splits its queries, keys and values into heads of hidden/heads dimensions. Each old head's
dimensions keep their head, at the start of its wider slice, and its queries are scaled by
sqrt(new head size / old) to undo the larger 1/sqrt(d) in the scaled dot product.

Only the settings a growth can keep the function of are supported: attention values from the embeddings
combined residually (or no attention), untied output layer, no channel gate (the shipped model's).
"""
from __future__ import annotations

import math
from dataclasses import replace

import torch

from .checkpoint import Checkpoint
from .errors import PoetryGenError
from .model import PoetryLM

LSTM_GATES = 4  # input, forget, cell, output: PyTorch's rows of weight_ih / weight_hh, in that order


def _check(source: Checkpoint, embed_dim: int, hidden_dim: int) -> None:
    c = source.config
    if embed_dim < c.embed_dim or hidden_dim < c.hidden_dim:
        raise PoetryGenError(f"a model can only be grown: {c.embed_dim}/{c.hidden_dim} (embedding/hidden) "
                             f"cannot become {embed_dim}/{hidden_dim}")
    if c.attention == "causal" and hidden_dim % c.attention_heads:
        raise PoetryGenError(f"hidden size {hidden_dim} is not a multiple of the {c.attention_heads} attention heads")
    if c.tie_weights or c.channel_attention != "none" or (
            c.attention == "causal" and (c.attention_values, c.attention_combine) != ("embedding", "residual")):
        raise PoetryGenError("only a model with untied output, no channel gate and attention values from the "
                             "embeddings combined residually (or no attention) can be grown")


@torch.no_grad()
def widen(source: Checkpoint, embed_dim: int, hidden_dim: int) -> Checkpoint:
    """`source` with an embedding of `embed_dim` and LSTM and attention of `hidden_dim` (each at least the
    source's), computing the same logits as `source` in eval mode. Its new weights come from torch's
    generator: seed it for a reproducible growth."""
    _check(source, embed_dim, hidden_dim)
    c = source.config
    E, H = c.embed_dim, c.hidden_dim
    config = replace(c, embed_dim=embed_dim, hidden_dim=hidden_dim)
    model = PoetryLM(config)  # its initialisation supplies the new units' incoming weights
    new, old = model.state_dict(), source.model.state_dict()
    # Where the old rows go: the LSTM's gate blocks grow from H to hidden_dim rows each; the attention's
    # heads from H/heads to hidden_dim/heads dimensions each.
    gate_rows = (torch.arange(LSTM_GATES)[:, None] * hidden_dim + torch.arange(H)).flatten()
    head_dim, wide_head_dim = H // c.attention_heads, hidden_dim // c.attention_heads
    head_rows = (torch.arange(c.attention_heads)[:, None] * wide_head_dim + torch.arange(head_dim)).flatten()

    def place(name: str, rows: torch.Tensor, cols: int = 0) -> None:
        """Copy old[name] to `rows` of new[name] (its first `cols` columns, the rest of those rows zero);
        the other rows keep their initialisation."""
        target, weights = new[name], old[name]
        if target.dim() == 1:
            target[rows] = weights
        else:
            target[rows] = 0
            target[rows, :cols] = weights

    new["embed.weight"][:, :E] = old["embed.weight"]
    new["embed.weight"][:, E:] *= old["embed.weight"].std()  # new dimensions at the old ones' scale
    for layer in range(c.num_layers):
        inputs = E if layer == 0 else H
        place(f"lstm.weight_ih_l{layer}", gate_rows, cols=inputs)
        place(f"lstm.weight_hh_l{layer}", gate_rows, cols=H)
        place(f"lstm.bias_ih_l{layer}", gate_rows)
        place(f"lstm.bias_hh_l{layer}", gate_rows)
    if c.attention == "causal":
        query_scale = math.sqrt(wide_head_dim / head_dim)
        new_dims = torch.ones(hidden_dim, dtype=torch.bool)
        new_dims[head_rows] = False
        for part in ("weight", "bias"):
            name = f"attention.qk.{part}"
            place(name, torch.cat([head_rows, hidden_dim + head_rows]), cols=H)
            new[name][hidden_dim:][new_dims] = 0  # new keys: nothing added to a score
            new[name][head_rows] *= query_scale
            place(f"attention.value.{part}", head_rows, cols=E)
        # the residual output starts at zero (model.py), which is what its new rows and columns must be
        new["attention.out.weight"][:H, head_rows] = old["attention.out.weight"]
        place("attention.out.bias", torch.arange(H))
    place("head.weight", torch.arange(len(new["head.weight"])), cols=H)
    new["head.bias"].copy_(old["head.bias"])
    model.load_state_dict(new)
    return replace(source, model=model.eval(), config=config)

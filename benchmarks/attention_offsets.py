"""Where does each attention head look? Mean attention weight by distance back, per head, over the
poems of one form in a corpus split, from the third line on (where two earlier lines exist).

A position reads one character and predicts the next. The character its prediction stands beside in the
line before — its counterpart in a parallel couplet (对仗) — was read `chars` positions back (7 in a 七言
poem: a line is 7 characters and a mark, and reading runs one behind predicting); two lines back, it is
2 × chars + 1. A head that weights those distances well above the uniform share looks the counterpart up.

    python -m benchmarks.attention_offsets --checkpoint checkpoints/default.pt --data corpus/tang \
                                           [--form 七律] [--split val] [--poems 150]
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from poetry_gen.checkpoint import load_checkpoint
from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status
from poetry_gen.corpus import load_poems
from poetry_gen.forms import FORMS, detect_form
from poetry_gen.text import split_lines


def offset_profile(model, vocab, poems: list, start: int, max_offset: int) -> tuple[np.ndarray, float]:
    """(heads, max_offset + 1): mean weight a position ≥ `start` puts on the position `d` before it; and
    the mean weight of one position if every position spread its weight evenly (the uniform share)."""
    total, rows, uniform = None, 0, 0.0
    for poem in poems:
        ids = torch.tensor([[vocab.bos_id] + vocab.encode(poem)])
        weights = model.attention_weights(ids)[0]  # (heads, T, T)
        T = weights.shape[1]
        at = torch.arange(start, T)
        back = at[:, None] - torch.arange(max_offset + 1)[None, :]  # (positions, offsets)
        picked = weights[:, at[:, None], back].sum(1)  # (heads, offsets)
        total = picked if total is None else total + picked
        rows += len(at)
        uniform += float((1.0 / (at + 1)).sum())
    return (total / rows).numpy(), uniform / rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--data", required=True, help="a built corpus")
    parser.add_argument("--split", default="val", choices=["train", "val", "test"])
    parser.add_argument("--form", default="七律", choices=sorted(FORMS))
    parser.add_argument("--poems", type=int, default=150, help="at most this many poems (default: %(default)s)")
    args = parser.parse_args(argv)
    check_whole(args.poems, "--poems", 1)

    ckpt = load_checkpoint(args.checkpoint)
    if ckpt.model.attention is None:
        parser.error(f"{args.checkpoint} has no attention layer")
    form = FORMS[args.form]
    poems = [p for p in load_poems(args.data, args.split) if detect_form(*split_lines(p)) == args.form][:args.poems]
    if not poems:
        parser.error(f"no {args.form} poems in {args.data} {args.split}")
    line = form.chars + 1
    profile, uniform = offset_profile(ckpt.model, ckpt.vocab, poems, start=2 * line + 1, max_offset=2 * line)
    print(f"{len(poems)} {args.form} poems of {args.data} {args.split}: mean attention weight by distance back, "
          f"from the third line on (uniform share: {uniform:.3f})")
    print("distance " + "".join(f"{d:>6}" for d in range(profile.shape[1])))
    for head, row in enumerate(profile):
        print(f"head {head:<3} " + "".join(f"{w:6.3f}" for w in row))
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))

"""Issue 20's target "the form is known": with the same seed, is a 绝句 the first half of a 律诗?

For seeds 1-5 and 五绝/五律, 七绝/七律, the 16 samples the decoder writes for the 绝句 (num 16, candidates
1: no judging, which could rank the same samples differently), and how many of them are the first half of
one of the 律诗's 16 samples of the same seed. The shipped model: 160 of 160.

    python -m benchmarks.form_known                       # the shipped model
    python -m benchmarks.form_known --checkpoint runs/a/model.pt
"""
from __future__ import annotations

import argparse
import sys

from poetry_gen import load_generator
from poetry_gen.cli import exit_status

PAIRS = (("五绝", "五律"), ("七绝", "七律"))
SEEDS = range(1, 6)
SAMPLES = 16


def first_halves(gen, short: str, long: str, seed: int) -> tuple:
    """(the 绝句 samples of `seed`, how many of them are the first half of a 律诗 sample of `seed`)."""
    quatrains = [p.text for p in gen.generate(form=short, seed=seed, num=SAMPLES, candidates=1)]
    halves = {"".join(p.couplets()[:2]) for p in gen.generate(form=long, seed=seed, num=SAMPLES, candidates=1)}
    return quatrains, sum(q in halves for q in quatrains)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="the model (default: the shipped one)")
    args = parser.parse_args(argv)
    gen = load_generator(args.checkpoint, device="cpu", threads=1)
    same = total = 0
    for short, long in PAIRS:
        for seed in SEEDS:
            quatrains, hits = first_halves(gen, short, long, seed)
            same, total = same + hits, total + len(quatrains)
            print(f"  {short}/{long} seed {seed}: {hits} of {len(quatrains)}")
    print(f"{args.checkpoint or 'shipped'}: {same} of {total} 绝句 samples are the first half of a 律诗 sample of "
          f"the same seed")


if __name__ == "__main__":
    sys.exit(exit_status(main))

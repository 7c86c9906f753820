"""Do the lines follow their plan? For seeds 1-5 and 五绝, 七绝, 五律, 七律: the 16 samples (num 16,
candidates 1) of a model trained with plans, and the share of lines that hold their plan word (whole, or
one of its characters); the same plans checked against the lines of a model trained without them (the
chance level: what a line holds anyway).

    python -m benchmarks.plan_use --checkpoint runs/plan/model.pt --baseline runs/neither/model.pt
"""
from __future__ import annotations

import argparse
import sys

from poetry_gen import load_generator
from poetry_gen.cli import exit_status

FORMS = ("五绝", "七绝", "五律", "七律")
SEEDS = range(1, 6)
SAMPLES = 16


def line_hits(plan: list, poems: list, hits: list) -> None:
    """Add to `hits` [lines, lines holding their plan word, lines holding a character of it]."""
    for poem in poems:
        for word, line in zip(plan, poem.lines):
            hits[0] += 1
            hits[1] += word in line
            hits[2] += any(ch in line for ch in word)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a model trained with plans")
    parser.add_argument("--baseline", required=True, help="a model trained without them")
    args = parser.parse_args(argv)
    planned, baseline = (load_generator(path, device="cpu", threads=1) for path in (args.checkpoint, args.baseline))
    if planned.plan_table is None:
        parser.error(f"{args.checkpoint} was not trained with plans")
    counts = {"with its plan": [0, 0, 0], "baseline, never read it": [0, 0, 0]}
    for form in FORMS:
        for seed in SEEDS:
            poems = planned.generate(form=form, seed=seed, num=SAMPLES, candidates=1, expand_plan=True)
            line_hits(poems[0].plan, poems, counts["with its plan"])
            line_hits(poems[0].plan, baseline.generate(form=form, seed=seed, num=SAMPLES, candidates=1),
                      counts["baseline, never read it"])
    for name, (lines, whole, part) in counts.items():
        print(f"{name}: {lines} lines, {whole / lines:.3f} hold their plan word, {part / lines:.3f} a character "
              f"of it")


if __name__ == "__main__":
    sys.exit(exit_status(main))

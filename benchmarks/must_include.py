"""Does --must-include put the character in the poem, and where? (issue 19, item 3)

For each (character, form) request below and every seed, write the default poem (best of the default
candidates) with `must_include` and count: the poems that hold the character (must be all of them), and
the poems where it stands only in the last position the decoder could still place it (the forced
position, Form.open_positions: the poem ran out of room, so the model did not choose it there), and
those where it is the poem's first character (a boost too strong would put it there every time).

    python -m benchmarks.must_include --checkpoint checkpoints/default.pt [--seeds 1 2] [--boosts 0 2]
"""
from __future__ import annotations

import argparse
import sys

from poetry_gen import load_generator
from poetry_gen.cli import exit_status
from poetry_gen.files import write_json

# Characters of several kinds (nouns of nature, a colour, a verb, an abstract word) in the four forms.
REQUESTS = [("竹", "七绝"), ("梅", "五绝"), ("鹤", "七律"), ("舟", "五律"), ("雪", "七绝"), ("灯", "五绝"),
            ("剑", "七绝"), ("青", "五律"), ("醉", "七绝"), ("梦", "五绝"), ("桥", "七律"), ("笛", "七绝")]


def last_slot_only(poem, char: str) -> bool:
    """Whether `char` stands in `poem` (a Poem) only at its form's last open position."""
    from poetry_gen.forms import FORMS

    last = FORMS[poem.form].open_positions()[-1]
    at = [p for p, ch in enumerate(poem.text) if ch == char]
    return at == [last]


def run(checkpoint, seeds: list, boosts: list) -> dict:
    gen = load_generator(checkpoint)
    report = {"checkpoint": str(checkpoint), "seeds": seeds, "requests": len(REQUESTS), "boosts": {}}
    for boost in boosts:
        rows = []
        for char, form in REQUESTS:
            for seed in seeds:
                poem = gen.generate(form=form, seed=seed, must_include=char, include_boost=boost)[0]
                rows.append({"char": char, "form": form, "seed": seed, "poem": poem.text,
                             "holds": char in poem.text, "last_slot": last_slot_only(poem, char),
                             "first": poem.text[0] == char})
        n = len(rows)
        report["boosts"][str(boost)] = {"poems": n, "holds": sum(r["holds"] for r in rows) / n,
                                        "last_slot": sum(r["last_slot"] for r in rows) / n,
                                        "first": sum(r["first"] for r in rows) / n, "rows": rows}
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--boosts", type=float, nargs="+", default=[0.0, 2.0])
    parser.add_argument("--json", help="also write every poem to this file")
    args = parser.parse_args(argv)
    report = run(args.checkpoint, args.seeds, args.boosts)
    print(f"{'boost':>6}{'poems':>7}{'holds':>8}{'last slot':>11}{'first':>7}")
    for boost, row in report["boosts"].items():
        print(f"{float(boost):>6g}{row['poems']:>7}{row['holds']:>8.2f}{row['last_slot']:>11.2f}{row['first']:>7.2f}")
    if args.json:
        write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(exit_status(main))

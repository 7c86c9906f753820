"""The ci scorecard of real, held-out ci (issue 18): for the most common tunes of the tune table, score the
ci of each tune in a built corpus's held-out split(s) against the table (scorecard.score_ci) and print a
Markdown table: format (lines and marks as the tune), shape (length and rhyme positions), rhyme sets in
one 词林正韵 部 and, to compare, in one 平水韵 group, ci all of whose rhymes are, and fixed tones kept.

    poetry-gen corpus build chinese-poetry-2.0.1.tgz --collection ci --no-keywords --out corpus/ci
    python -m benchmarks.ci_scorecard --data corpus/ci --splits test [--tunes 20]
"""
from __future__ import annotations

import argparse

from poetry_gen.corpus import load_poems, load_tags
from poetry_gen.scorecard import CiScorecard, score_ci
from poetry_gen.tunes import load_tunes

COLUMNS = ("format", "shape", "sets 部", "sets 平水韵", "ci 部", "ci 平水韵", "tones")


def held_out_ci(data: str, splits: list, tunes: list) -> dict:
    """tune → its ci in `splits` of the corpus at `data`."""
    found = {name: [] for name in tunes}
    for split in splits:
        for poem, tag in zip(load_poems(data, split), load_tags(data, split)):
            if tag.get("genre") == "ci" and tag.get("form") in found:
                found[tag["form"]].append(poem)
    return found


def row(name: str, card: CiScorecard) -> str:
    r = card.rates()
    cells = [r["ci_format_rate"], r["ci_shape_rate"], r["ci_rhyme_rate"], r["ci_pingshui_rhyme_rate"],
             r["ci_all_rhymes_rate"], r["ci_all_rhymes_pingshui_rate"], r["ci_tone_rate"]]
    return f"| {name} | {card.ci} | " + " | ".join(f"{c:.2f}" for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a built corpus with ci")
    parser.add_argument("--splits", nargs="+", default=["test"], choices=["train", "val", "test"])
    parser.add_argument("--tunes", type=int, default=20, help="the most common tunes of the table (default 20)")
    args = parser.parse_args()
    names = list(load_tunes())[:args.tunes]
    by_tune = held_out_ci(args.data, args.splits, names)
    print("| tune | ci | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    cards = [score_ci(by_tune[name], name) for name in names if by_tune[name]]
    for card in cards:
        print(row(next(iter(card.tunes)), card))
    print(row(f"all {len(cards)} tunes", _total(cards)))


def _total(cards: list) -> CiScorecard:
    """One card of the counts of several (one tune each)."""
    counts = {f: sum(getattr(c, f) for c in cards) for f in CiScorecard.__dataclass_fields__ if f != "tunes"}
    return CiScorecard(**counts, tunes={name: n for card in cards for name, n in card.tunes.items()})


if __name__ == "__main__":
    main()

"""The ci scorecard of real, held-out ci (issue 18): for the most common tunes of the tune table, score the
ci of each tune in a built corpus's held-out split(s) against the table (scorecard.score_ci) and print a
Markdown table: format (lines and marks as the tune), shape (length and rhyme positions), rhyme sets in
one 词林正韵 部, in one 部 or a 通押 pair (what `check` rules) and, to compare, in one 平水韵 group, ci all
of whose rhymes are, and fixed tones kept.

    poetry-gen corpus build chinese-poetry-2.0.1.tgz --collection ci --no-keywords --out corpus/ci
    python -m benchmarks.ci_scorecard --data corpus/ci --splits test [--tunes 20]

`--mixed` instead counts, over the rhyme sets of the ci of the tunes in `--splits` (the table's own
source: `--splits train --tunes 72`), those in no one 部 that two 部 of one kind hold between them, per
pair: the measure behind cilin.TONGYA.
"""
from __future__ import annotations

import argparse
import sys

from collections import Counter
from itertools import combinations

from poetry_gen.checks import check_whole
from poetry_gen.cicheck import check_ci
from poetry_gen.cilin import sections
from poetry_gen.cli import exit_status
from poetry_gen.corpus import load_poems, load_tags
from poetry_gen.errors import PoetryGenError
from poetry_gen.scorecard import CiScorecard, score_ci
from poetry_gen.tunes import load_tunes

COLUMNS = ("format", "shape", "sets 部", "sets 部/通押", "sets 平水韵", "ci 部", "ci 部/通押", "ci 平水韵", "tones")


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
    cells = [r["ci_format_rate"], r["ci_shape_rate"], r["ci_rhyme_rate"], r["ci_tongya_rhyme_rate"],
             r["ci_pingshui_rhyme_rate"], r["ci_all_rhymes_rate"], r["ci_all_rhymes_tongya_rate"],
             r["ci_all_rhymes_pingshui_rate"], r["ci_tone_rate"]]
    return f"| {name} | {card.ci} | " + " | ".join(f"{c:.2f}" for c in cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, help="a built corpus with ci")
    parser.add_argument("--splits", nargs="+", default=["test"], choices=["train", "val", "test"])
    parser.add_argument("--tunes", type=int, default=20, help="the most common tunes of the table (default 20)")
    parser.add_argument("--mixed", action="store_true", help="count the pairs of 部 rhyme sets mix instead")
    args = parser.parse_args()
    names = list(load_tunes())[:check_whole(args.tunes, "--tunes", 1)]
    by_tune = held_out_ci(args.data, args.splits, names)
    if not any(by_tune.values()):
        raise PoetryGenError(f"{args.data}: no ci of the table's first {len(names)} tunes in {' '.join(args.splits)}")
    if args.mixed:
        print_mixed_pairs(by_tune)
        return
    print("| tune | ci | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    cards = [score_ci(by_tune[name], name) for name in names if by_tune[name]]
    for card in cards:
        print(row(next(iter(card.tunes)), card))
    print(row(f"all {len(cards)} tunes", total_card(cards)))


def mixed_pairs(by_tune: dict) -> tuple:
    """(rhyme sets, sets in no one 部, Counter of (部, 部, kind) → the sets of those two 部 hold) over the
    ci of the right shape (a ci of the wrong shape has no rhyme positions; one check cannot read is left
    out)."""
    total, mixed, pairs = 0, 0, Counter()
    for name, poems in by_tune.items():
        for poem in poems:
            try:
                check = check_ci(poem, name)
            except PoetryGenError:  # not readable as a ci (a mark the corpus kept that check does not read)
                continue
            for rhyme in check.rhyme_sets if check.shape else ():
                total += 1
                if rhyme.in_one_section:
                    continue
                mixed += 1
                found = [{s for s in sections(ch) if s.tone == rhyme.tone} for ch in rhyme.chars]
                pairs.update((a.number, b.number, a.kind) for a, b in combinations(sorted(set().union(*found)), 2)
                             if a.kind == b.kind and all(f & {a, b} for f in found))
    return total, mixed, pairs


def print_mixed_pairs(by_tune: dict, top: int = 15) -> None:
    total, mixed, pairs = mixed_pairs(by_tune)
    print(f"{total:,} rhyme sets, {mixed:,} in no one 部; the pairs of 部 that hold them:")
    print("| 部 | kind | sets | share of all sets |\n|---|---|---|---|")
    for (a, b, kind), n in pairs.most_common(top):
        print(f"| {a}\\|{b} | {kind} | {n} | {n / total:.4f} |")


def total_card(cards: list) -> CiScorecard:
    """One card of the counts of several (one tune each)."""
    counts = {f: sum(getattr(c, f) for c in cards) for f in CiScorecard.__dataclass_fields__ if f != "tunes"}
    return CiScorecard(**counts, tunes={name: n for card in cards for name, n in card.tunes.items()})


if __name__ == "__main__":
    sys.exit(exit_status(main))

"""叠字: which adjacent doubled characters (萧萧, 年年, 处处) the poets wrote, so that the sampler writes
only those and never 雪雪, 入入 or 含情情.

The table is package data (poetry_gen/data/reduplications.txt), so generation needs no corpus. It is
built from a corpus's train split by

    python -m poetry_gen.reduplication corpus/tang          # writes poetry_gen/data/reduplications.txt

which keeps a double that occurs inside a line at least `MIN_COUNT` times (fewer are mostly a word
ending where the next begins, 江上雪 | 雪中, not a 叠字).
"""
from __future__ import annotations

import argparse
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .files import write_atomic
from .text import fold_variants, split_lines

TABLE = Path(__file__).with_name("data") / "reduplications.txt"
MIN_COUNT = 5


def doubles(poem: str) -> list:
    """The characters doubled inside the poem's lines, once per double: 萧萧下，年年。→ ['萧', '年']."""
    return [a for line in split_lines(poem)[0] for a, b in zip(line, line[1:]) if a == b]


def count_doubles(poems: Iterable[str]) -> Counter:
    return Counter(ch for poem in poems for ch in doubles(poem))


@lru_cache(maxsize=None)
def attested() -> frozenset:
    """The characters whose double the table attests."""
    rows = TABLE.read_text(encoding="utf-8").splitlines()
    return frozenset(row.split()[0][0] for row in rows if row and not row.startswith("#"))


def nonsense_doubles(poem: str) -> list:
    """The doubles of `poem` the corpus does not attest (as 'XX')."""
    table = attested()
    return [ch * 2 for ch in doubles(poem) if ch not in table]


def write_table(data_dir, out=TABLE, min_count: int = MIN_COUNT) -> tuple:
    """Write the doubles of `data_dir`'s train split seen at least `min_count` times to `out`, most
    frequent first; returns (doubles kept, distinct doubles seen)."""
    from .corpus import load_poems

    counts = count_doubles(fold_variants(poem) for poem in load_poems(data_dir, "train"))
    kept = [(ch, n) for ch, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if n >= min_count]
    header = (f"# 叠字 attested in the train split of {Path(data_dir).name}: a double and how often it occurs inside "
              f"a line (at least {min_count} times).\n# Built by `python -m poetry_gen.reduplication DIR`.\n")
    write_atomic(out, header + "".join(f"{ch * 2} {n}\n" for ch, n in kept))
    return len(kept), len(counts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Build the table of attested 叠字 from a built corpus.")
    parser.add_argument("data", metavar="DIR", help="a built corpus (poetry-gen corpus build)")
    parser.add_argument("--out", default=str(TABLE), help="default: the package's table, %(default)s")
    parser.add_argument("--min-count", type=int, default=MIN_COUNT, metavar="N",
                        help="keep doubles seen at least N times (default: %(default)s)")
    args = parser.parse_args(argv)
    kept, seen = write_table(args.data, args.out, args.min_count)
    print(f"{kept} of {seen} distinct doubles kept (seen at least {args.min_count} times); written to {args.out}")


if __name__ == "__main__":
    main()

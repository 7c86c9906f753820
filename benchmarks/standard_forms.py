"""The tune table against the main forms (正体) of five tunes in 钦定词谱 (issue 18), position by position.

The standard forms below are written out by hand, from the 正体 of 钦定词谱 as 龙榆生's《唐宋词格律》
gives them (line lengths, rhymes, and 平/仄/中 per character; his 中 = 可平可仄), not copied from any
词谱 file. Both forms are compared character by character (so a comma placed elsewhere only shows as a
line-length difference):

    python -m benchmarks.standard_forms

prints, per tune: lines of the same length, rhyme positions in both / only one, and over the characters:
the same fixed tone, opposite fixed tones, fixed in the standard but 中 in the table (the corpus agrees
less than 80% there), 中 in the standard but fixed in the table (the corpus agrees more), 中 in both.
"""
from __future__ import annotations

import argparse
import sys

from poetry_gen.cli import exit_status
from poetry_gen.tunes import load_tunes

# tune → [(tones, rhymes)] per line of the 正体 (rhymes: True where the line ends on a rhyme).
R, N = True, False
STANDARD = {
    "浣溪沙": [("中仄中平中仄平", R), ("中平中仄仄平平", R), ("中平中仄仄平平", R),
               ("中仄中平平仄仄", N), ("中平中仄仄平平", R), ("中平中仄仄平平", R)],
    "如梦令": [("中仄中平中仄", R), ("中仄中平中仄", R), ("中仄仄平平", N), ("中仄中平中仄", R),
               ("平仄", R), ("平仄", R), ("中仄中平中仄", R)],
    "蝶恋花": [("中仄中平平仄仄", R), ("中仄平平", N), ("中仄平平仄", R), ("中仄中平平仄仄", R),
               ("中平中仄平平仄", R)] * 2,
    "水调歌头": [("中仄仄平仄", N), ("中仄仄平平", R), ("中平中仄平仄", N), ("中仄仄平平", R),
                 ("中仄中平中仄", N), ("中仄中平中仄", N), ("中仄仄平平", R), ("中仄中平仄", N),
                 ("中仄仄平平", R),
                 ("中平仄", N), ("中仄仄", N), ("仄平平", R), ("中平中仄", N), ("中仄中仄仄平平", R),
                 ("中仄中平中仄", N), ("中仄中平中仄", N), ("中仄仄平平", R), ("中仄中平仄", N),
                 ("中仄仄平平", R)],
    "念奴娇": [("中平中仄", N), ("仄平平中仄", N), ("中平平仄", R), ("中仄中平平仄仄", N),
               ("中仄中平平仄", R), ("中仄平平", N), ("中平中仄", N), ("中仄平平仄", R), ("中平中仄", N),
               ("中平中仄平仄", R),
               ("中仄中仄平平", N), ("中平中仄", N), ("中仄平平仄", R), ("中仄中平平仄仄", N),
               ("中仄中平平仄", R), ("中仄平平", N), ("中平中仄", N), ("中仄平平仄", R), ("中平中仄", N),
               ("中平中仄平仄", R)],
}
KINDS = ("same", "opposite", "table 中", "table fixed", "both 中")


def _ends(lengths) -> list:
    out, total = [], 0
    for n in lengths:
        total += n
        out.append(total)
    return out


def compare(name: str) -> dict:
    tune, standard = load_tunes()[name], STANDARD[name]
    mine = "".join(line.tones for line in tune.lines)
    theirs = "".join(tones for tones, _ in standard)
    if len(mine) != len(theirs):
        return {"tune": name, "chars": (len(mine), len(theirs))}
    counts = dict.fromkeys(KINDS, 0)
    for a, b in zip(mine, theirs):
        kind = ("both 中" if a == b == "中" else "table 中" if a == "中" else "table fixed" if b == "中"
                else "same" if a == b else "opposite")
        counts[kind] += 1
    my_rhymes = {e for e, line in zip(_ends(tune.shape), tune.lines) if line.rhyme}
    their_rhymes = {e for e, (_, rhymes) in zip(_ends(len(t) for t, _ in standard), standard) if rhymes}
    return {"tune": name, "chars": len(mine), "lines": (len(tune.lines), len(standard)),
            "same_lines": tune.shape == tuple(len(t) for t, _ in standard),
            "rhymes": (len(my_rhymes & their_rhymes), len(my_rhymes - their_rhymes), len(their_rhymes - my_rhymes)),
            **counts}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()  # --help; nothing to set
    print("| tune | chars | lines (table, 正体) | same lines | rhymes both / table only / 正体 only | "
          + " | ".join(KINDS) + " |")
    print("|---" * (5 + len(KINDS)) + "|")
    for name in STANDARD:
        r = compare(name)
        print(f"| {name} | {r['chars']} | {r['lines'][0]}, {r['lines'][1]} | {'yes' if r['same_lines'] else 'no'} | "
              f"{' / '.join(map(str, r['rhymes']))} | " + " | ".join(str(r[k]) for k in KINDS) + " |")


if __name__ == "__main__":
    sys.exit(exit_status(main))

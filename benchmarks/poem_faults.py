"""The faults a reader sees first, counted in files of poems (issue 19): doubled characters the corpus
does not attest as 叠字 (雪雪, 入入), variant glyphs in simplified text (疎, 慙), within-poem repeats, and
distinct-2 (distinct character bigrams inside lines / all of them, over the whole file: low when the
poems say the same things).

    python -m benchmarks.sample_poems --out runs/poems.txt
    python -m benchmarks.poem_faults runs/poems.txt [more files ...]

Run from the repository root.
"""
from __future__ import annotations

import argparse
import sys

from poetry_gen.cli import exit_status
from poetry_gen.reduplication import doubles, nonsense_doubles
from poetry_gen.poemtext import read_poems
from poetry_gen.scorecard import repeated_char_rate
from poetry_gen.text import fold_variants, split_lines


def faults(poems: list) -> dict:
    bigrams = [line[i:i + 2] for poem in poems for line in split_lines(poem)[0] for i in range(len(line) - 1)]
    nonsense = sum(len(nonsense_doubles(poem)) for poem in poems)
    return {
        "poems": len(poems),
        "repeated_char_rate": sum(repeated_char_rate(poem) for poem in poems) / len(poems),
        "poems_with_a_double": sum(bool(doubles(poem)) for poem in poems),
        "nonsense_doubles": nonsense,
        "nonsense_doubles_per_1000_poems": 1000 * nonsense / len(poems),
        "poems_with_a_variant_glyph": sum(fold_variants(poem) != poem for poem in poems),
        "distinct_2": len(set(bigrams)) / len(bigrams) if bigrams else 0.0,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE", help="poems, one per line")
    args = parser.parse_args(argv)
    for path in args.files:
        print(path, " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in faults(read_poems(path)).items()))


if __name__ == "__main__":
    sys.exit(exit_status(main))

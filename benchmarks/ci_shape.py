"""Are ci written in their tune by construction? For the most common tunes × seeds, free and themed,
with a model (the shipped one by default): format accuracy (every line's length and mark as the tune's),
rhyme (each rhyme set's line ends in one 词林正韵 部 of its tone) and fixed-position tone agreement (the
positions the tune fixes to 平 or 仄, as prosody reads each line).

    python -m benchmarks.ci_shape --tunes 10 --seeds 3 [--tones strict]

A model that never learnt the pause '、' writes it as '，' (constraints.VocabTables.mark_id): such a
mark counts as the tune's. Run from the repository root.
"""
from __future__ import annotations

import argparse
import warnings

from poetry_gen import cilin, load_generator, prosody
from poetry_gen.forms import COMMA, tune_form
from poetry_gen.text import PAUSE_MARK
from poetry_gen.tunes import load_tunes

THEME = "秋天 思乡"


def measure(form, poem) -> tuple:
    """(format kept, rhyme sets in one 部 / rhyme sets, fixed positions that fit / fixed positions)."""
    marks = [poem.text[start + line.chars] for start, line in zip(form.starts, form.shape)]
    kept = all(len(text) == line.chars for text, line in zip(poem.lines, form.shape)) and all(
        mark == line.mark or (mark, line.mark) == (COMMA, PAUSE_MARK) for mark, line in zip(marks, form.shape))
    rhymed = sum(cilin.rhyme_together([poem.lines[i][-1] for i, line in enumerate(form.shape) if line.rhyme == label],
                                      tone) for label, tone in form.rhymes)
    fits = fixed = 0
    for text, pattern in zip(poem.lines, form.templates[0].lines):
        for tones, wanted in zip(prosody.line_tones(text), pattern):
            if wanted != prosody.EITHER:
                fixed += 1
                fits += prosody.fits(tones, wanted)
    return kept, rhymed, len(form.rhymes), fits, fixed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="default: the shipped model")
    parser.add_argument("--tunes", type=int, default=10, help="the most common tunes (default: 10)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tones", default="soft", choices=("soft", "strict", "off"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    gen = load_generator(args.checkpoint, threads=1)
    totals = [0] * 5
    print("tune          format  rhyme sets  fixed tones")
    for name, tune in list(load_tunes().items())[:args.tunes]:
        form, row = tune_form(tune), [0] * 5
        for seed in range(1, args.seeds + 1):
            for theme in (None, THEME):
                poem = gen.generate(form=name, seed=seed, theme=theme, tones=args.tones)[0]
                row = [a + b for a, b in zip(row, measure(form, poem))]
        totals = [a + b for a, b in zip(totals, row)]
        print(f"{name:<8}  {row[0]:>3}/{2 * args.seeds}  {row[1]:>5}/{row[2]:<5} {row[3]:>5}/{row[4]}")
    n = args.tunes * args.seeds * 2
    print(f"all: format {totals[0] / n:.3f} ({n} ci), rhyme in one 部 {totals[1] / totals[2]:.3f}, "
          f"fixed-position tones {totals[3] / totals[4]:.3f}")


if __name__ == "__main__":
    main()

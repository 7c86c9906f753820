"""Are ci written in their tune by construction? For the most common tunes × seeds, free and themed,
with a model (the shipped one by default), the ci scorecard (scorecard.score_ci, as
benchmarks/ci_scorecard.py prints it for real ci): format accuracy (every line's length and mark as the
tune's), rhyme sets in one 词林正韵 部 of their tone (and in one 部 or a 通押 pair), fixed-position tone
agreement (the positions the tune fixes to 平 or 仄, as prosody reads each line); with `--data`, the same
card on the held-out real ci of those tunes next to it.

    python -m benchmarks.ci_shape --tunes 20 --seeds 5 [--tones strict] [--data corpus/ci]

A model that never learnt the pause '、' writes it as '，' (constraints.VocabTables.mark_id): such a
mark counts as the tune's. Run from the repository root.
"""
from __future__ import annotations

import argparse
import sys
import warnings

from benchmarks.ci_scorecard import COLUMNS, held_out_ci, row, total_card
from poetry_gen import load_generator
from poetry_gen.checks import check_whole
from poetry_gen.cli import exit_status
from poetry_gen.forms import COMMA, tune_form
from poetry_gen.scorecard import score_ci
from poetry_gen.text import PAUSE_MARK
from poetry_gen.tunes import load_tunes

THEME = "秋天 思乡"
KINDS = ("free", "themed")


def as_tune(form, poem) -> str:
    """The poem's text, with the tune's '、' where the model wrote '，' for it (a model without the pause)."""
    marks = [poem.text[start + line.chars] for start, line in zip(form.starts, form.shape)]
    if all(mark == line.mark or (mark, line.mark) == (COMMA, PAUSE_MARK) for mark, line in zip(marks, form.shape)):
        return "".join(text + line.mark for text, line in zip(poem.lines, form.shape))
    return poem.text


def written_ci(gen, name: str, seeds: int, tones: str) -> dict:
    """free / themed → the ci of tune `name` the generator writes with seeds 1..seeds (the best of each)."""
    form = tune_form(load_tunes()[name])
    return {kind: [as_tune(form, gen.generate(form=name, seed=seed, theme=theme, tones=tones)[0])
                   for seed in range(1, seeds + 1)]
            for kind, theme in zip(KINDS, (None, THEME))}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="default: the shipped model")
    parser.add_argument("--tunes", type=int, default=10, help="the most common tunes (default: 10)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tones", default="soft", choices=("soft", "strict", "off"))
    parser.add_argument("--data", help="a built corpus with ci: its test split's ci of the tunes go beside")
    args = parser.parse_args(argv)
    check_whole(args.tunes, "--tunes", 1)
    check_whole(args.seeds, "--seeds", 1)
    warnings.simplefilter("ignore")
    gen = load_generator(args.checkpoint, threads=1)
    names = list(load_tunes())[:args.tunes]
    real = held_out_ci(args.data, ["test"], names) if args.data else {}
    print("| tune | ci | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    written = {kind: [] for kind in KINDS}
    held_out = []
    for name in names:
        by_kind = {kind: score_ci(texts, name) for kind, texts in written_ci(gen, name, args.seeds, args.tones).items()}
        for kind, card in by_kind.items():
            written[kind].append(card)
        print(row(f"{name} written", total_card(list(by_kind.values()))), flush=True)
        if real.get(name):
            held_out.append(score_ci(real[name], name))
            print(row(f"{name} held-out", held_out[-1]), flush=True)
    for kind in KINDS:
        print(row(f"all {len(names)} tunes written, {kind}", total_card(written[kind])))
    print(row(f"all {len(names)} tunes written", total_card(written[KINDS[0]] + written[KINDS[1]])))
    if held_out:
        print(row(f"all {len(held_out)} tunes held-out", total_card(held_out)))


if __name__ == "__main__":
    sys.exit(exit_status(main))

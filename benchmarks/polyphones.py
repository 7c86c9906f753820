"""How well the checker reads tones: agreement with the best template at its fixed positions, by how a
character's tone was decided, on poems of the four forms from a built corpus.

A character the table gives one tone should agree with the template almost always; a polyphone its word
reads 平 (prosody._word_tone_digits) should agree nearly as often, or the word should not decide. The
second list is the words that decide wrongly: a polyphone read 平 by its modern reading that stands at a
fixed position `--min-count` or more times and agrees with 平 less than half of them (prosody's
_MODERN_MISREADS came from the first 30,000 train poems; measure its effect on the poems after them).

    python -m benchmarks.polyphones --data corpus/tang --poems 30000
    python -m benchmarks.polyphones --data corpus/tang --skip 30000 --poems 30000
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import Counter

from poetry_gen import prosody
from poetry_gen.cli import exit_status
from poetry_gen.corpus import load_poems
from poetry_gen.errors import PoetryGenError


def categories(check, counts: Counter, words: Counter) -> None:
    """Count, for each fixed position of `check`'s template, (category, agrees) in `counts` and, for a
    polyphone its word reads 平 (with no exceptions), ((word, character), agrees) in `words`."""
    from pypinyin.seg.mmseg import seg  # pypinyin's own cut, as prosody reads words

    for line in check.lines:
        word_of = [word for word in seg.cut(line.text) for _ in word]
        read = prosody._word_tone_digits(line.text)
        raw = prosody._word_tone_digits(line.text, misreads=frozenset())
        for ch, digit, raw_digit, word, mark in zip(line.text, read, raw, word_of, line.pattern):
            reading = prosody.lookup(ch)
            if mark not in (prosody.PING, prosody.ZE) or reading.source != "table":
                continue
            if len(reading.tones) == 1:
                counts["one tone", mark in reading.tones] += 1
                continue
            if prosody._word_decides_ping(raw_digit, reading):
                words[(word, ch), mark == prosody.PING] += 1
            if prosody._word_decides_ping(digit, reading):
                counts["word reads 平", mark == prosody.PING] += 1
            elif digit in ("3", "4"):
                counts["word reads 3rd/4th tone (unused)", mark == prosody.ZE] += 1


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="corpus/tang", help="a built corpus (default: corpus/tang)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--skip", type=int, default=0, help="poems of the shuffled split to pass over first")
    parser.add_argument("--poems", type=int, default=8000, help="poems of the shuffled split to read; those of the four forms that rhyme count")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0, help="the shuffle of the split")
    args = parser.parse_args(argv)
    texts = load_poems(args.data, args.split)
    random.Random(args.seed).shuffle(texts)
    counts, words, read = Counter(), Counter(), 0
    for text in texts[args.skip:args.skip + args.poems]:
        try:
            check = prosody.check_poem(text)
        except PoetryGenError:
            continue
        if check.form and check.rhymes:
            categories(check, counts, words)
            read += 1
    print(f"{args.data} {args.split}, poems {args.skip:,} to {args.skip + args.poems:,} shuffled: "
          f"{read:,} of the four forms that rhyme")
    for name in sorted({name for name, _ in counts}):
        agree, total = counts[name, True], counts[name, True] + counts[name, False]
        print(f"  {name}: {agree:,} of {total:,} agree with the template ({agree / total:.1%})")
    wrong = sorted((words[key, True], key) for key in {key for key, _ in words}
                   if words[key, True] + words[key, False] >= args.min_count
                   and words[key, True] < words[key, False])
    print("words read 平 that the templates mostly read 仄:",
          " ".join(f"{word}[{ch}] {agree}/{agree + words[(word, ch), False]}" for agree, (word, ch) in wrong) or "none")


if __name__ == "__main__":
    sys.exit(exit_status(main))

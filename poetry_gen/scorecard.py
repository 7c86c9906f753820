"""A scorecard over many poems: do they keep the classical form, do they repeat themselves, do they copy?

Formal rates (a poem outside 五绝 七绝 五律 七律 fails all of them, so they cannot be bought by
writing something else):
    format        the poem has one of the four shapes (prosody.poem_form)
    rhyme         its even lines share a 平声 rhyme group
    line template a line fits its line of the poem's best-fitting template (share of all lines)
    poem template every line does
Classical faults (prosody.FAULTS), each a share of the lines of poems in a form:
    三平尾, 孤平, 出句平收 (an odd line other than the first ends in 平)
对仗 (律诗 only):
    parallelism     mean 对仗 score (parallelism.couplet_score) of the middle couplets, lines 3–4 and 5–6
Repetition:
    repeated chars  mean over poems of the share of a poem's hanzi that repeat an earlier hanzi of the
                    same poem: (n − distinct) / n. 床前明月光，疑是地上霜。举头望明月，低头思故乡。 has
                    20 hanzi, 17 distinct: 0.15
    repeated line   share of poems in which some line occurs twice
Against a training split (optional):
    copied lines    share of lines that occur verbatim as a line of a training poem
    3-grams         share of character 3-grams (within a line) that occur in a training line: copying
                    raises it, gibberish lowers it — a cheap fluency check beside the formal rates
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Optional

from .errors import PoetryGenError
from .prosody import FAULTS, check_poem
from .text import is_hanzi, split_lines


@dataclass(frozen=True)
class Scorecard:
    poems: int
    lines: int
    in_form: int  # poems in one of the four forms
    rhyming: int  # ... whose even lines share a 平声 group
    template_lines: int  # lines that fit their poem's best template
    template_poems: int  # poems all of whose lines do
    repeated_char_rate: float  # mean over poems of (hanzi − distinct hanzi) / hanzi
    repeated_line_poems: int
    form_lines: int  # lines of the poems in a form
    fault_lines: dict  # fault → how many of them have it
    middle_couplets: int  # of the 律诗
    parallelism_sum: float  # their 对仗 scores, added
    copied_lines: Optional[int] = None  # None: no training split given
    trigrams: Optional[int] = None
    trigrams_in_train: Optional[int] = None

    def rates(self) -> dict:
        has_train = self.copied_lines is not None
        return {
            "format_rate": self.in_form / self.poems,
            "rhyme_rate": self.rhyming / self.poems,
            "line_template_rate": self.template_lines / self.lines,
            "poem_template_rate": self.template_poems / self.poems,
            "repeated_char_rate": self.repeated_char_rate,
            "repeated_line_rate": self.repeated_line_poems / self.poems,
            **{f"{fault}_rate": self.fault_lines[fault] / self.form_lines if self.form_lines else 0.0 for fault in FAULTS},
            "parallelism": self.parallelism_sum / self.middle_couplets if self.middle_couplets else None,
            "copied_line_rate": self.copied_lines / self.lines if has_train else None,
            "trigram_train_rate": (self.trigrams_in_train / self.trigrams if self.trigrams else 0.0)
            if has_train else None,
        }

    def to_dict(self) -> dict:
        return {"counts": asdict(self), "rates": self.rates()}


def _trigrams(line: str) -> list:
    return [line[i:i + 3] for i in range(len(line) - 2)]


def repeated_char_rate(poem: str) -> float:
    """Share of the poem's hanzi that repeat an earlier hanzi of the poem (0.0 without hanzi)."""
    hanzi = [ch for ch in poem if is_hanzi(ch)]
    return (len(hanzi) - len(set(hanzi))) / len(hanzi) if hanzi else 0.0


def _has_repeated_line(check) -> bool:
    texts = [line.text for line in check.lines if line.text]
    return len(set(texts)) < len(texts)


def score(poems: Iterable[str], train_poems: Optional[Iterable[str]] = None) -> Scorecard:
    """Score poems (any script; each normalised as `check` does) and, given the training split's
    poems, how much of them they copy."""
    checks = [check_poem(poem) for poem in poems]
    if not checks:
        raise PoetryGenError("no poems to score")
    lines = [line.text for check in checks for line in check.lines]
    in_form = [check for check in checks if check.form]
    copied = grams = grams_in_train = None
    if train_poems is not None:
        all_grams = [g for line in lines for g in _trigrams(line)]
        wanted_lines, wanted_grams = set(lines), set(all_grams)
        seen_lines, seen_grams = set(), set()
        for poem in train_poems:  # streamed: only what the scored poems contain is kept
            for line in split_lines(poem)[0]:
                if line in wanted_lines:
                    seen_lines.add(line)
                seen_grams.update(g for g in _trigrams(line) if g in wanted_grams)
        copied = sum(line in seen_lines for line in lines)
        grams, grams_in_train = len(all_grams), sum(g in seen_grams for g in all_grams)
    return Scorecard(
        poems=len(checks),
        lines=len(lines),
        in_form=len(in_form),
        rhyming=sum(check.rhymes for check in in_form),
        template_lines=sum(not line.breaks for check in in_form for line in check.lines),
        template_poems=sum(check.fits_template for check in in_form),
        repeated_char_rate=sum(repeated_char_rate(check.text) for check in checks) / len(checks),
        repeated_line_poems=sum(_has_repeated_line(check) for check in checks),
        form_lines=sum(len(check.lines) for check in in_form),
        fault_lines={fault: sum(fault in line.faults for check in in_form for line in check.lines) for fault in FAULTS},
        middle_couplets=sum(len(check.couplets) for check in checks),
        parallelism_sum=sum(c.score for check in checks for c in check.couplets),
        copied_lines=copied, trigrams=grams, trigrams_in_train=grams_in_train,
    )


_LABELS = {
    "format_rate": "in a classical form",
    "rhyme_rate": "rhyme (even lines)",
    "line_template_rate": "tone template, lines",
    "poem_template_rate": "tone template, whole poems",
    "repeated_char_rate": "repeated characters (mean share)",
    "repeated_line_rate": "poems with a repeated line",
    **{f"{fault}_rate": f"lines with {fault}" for fault in FAULTS},
    "parallelism": "对仗 of 律诗 middle couplets (mean)",
    "copied_line_rate": "lines copied from train",
    "trigram_train_rate": "3-grams found in train",
}


def format_scorecard(card: Scorecard) -> str:
    rows = [f"{card.poems:,} poems, {card.lines:,} lines"]
    for key, value in card.rates().items():
        if value is not None:
            rows.append(f"  {_LABELS[key]:<34} {value:6.3f}")
    return "\n".join(rows)

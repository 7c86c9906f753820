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
Ci (词), scored against their tunes (cicheck; a ci of the wrong shape fails every rate, as above):
    format          every line has the tune's length and mark
    shape           the tune's length, with a mark after each of its rhyme positions
    rhyme           a rhyme set's characters share a 词林正韵 部 of its tone (share of rhyme sets); with
                    the 通押 pairs check allows (cilin.TONGYA), in one 部 or such a pair; for comparison,
                    in one 平水韵 group; and of ci all of whose sets do
    tones           share of the tune's fixed (平/仄) positions whose character fits
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Iterable, Optional

from .cicheck import check_ci
from .errors import PoetryGenError
from .prosody import FAULTS, check_poem
from .text import is_hanzi, split_lines
from .tunes import load_tunes


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


# --- ci -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CiScorecard:
    ci: int
    lines_as_tune: int  # ci every line of which has the tune's length and mark
    shape: int  # ci of the tune's length with a mark after every rhyme position
    rhyme_sets: int  # the tunes' rhyme sets, over all ci
    sets_in_one_section: int  # ... whose characters share a 词林正韵 部 of the set's tone
    sets_in_one_group: int  # ... whose characters share a 平水韵 group
    sets_rhyming: int  # ... in one 部 or a 通押 pair of them (cilin.TONGYA): what check rules
    ci_in_one_section: int  # ci all of whose sets are in one 部
    ci_rhyming: int  # ci all of whose sets are in one 部 or a 通押 pair
    ci_in_one_group: int  # ci all of whose sets are in one 平水韵 group
    fixed: int  # the tunes' fixed positions, over all ci
    agreeing: int  # ... whose character fits (none in a ci of the wrong shape)
    tunes: dict  # tune → ci

    def rates(self) -> dict:
        return {
            "ci_format_rate": self.lines_as_tune / self.ci,
            "ci_shape_rate": self.shape / self.ci,
            "ci_rhyme_rate": self.sets_in_one_section / self.rhyme_sets if self.rhyme_sets else 0.0,
            "ci_pingshui_rhyme_rate": self.sets_in_one_group / self.rhyme_sets if self.rhyme_sets else 0.0,
            "ci_tongya_rhyme_rate": self.sets_rhyming / self.rhyme_sets if self.rhyme_sets else 0.0,
            "ci_all_rhymes_rate": self.ci_in_one_section / self.ci,
            "ci_all_rhymes_tongya_rate": self.ci_rhyming / self.ci,
            "ci_all_rhymes_pingshui_rate": self.ci_in_one_group / self.ci,
            "ci_tone_rate": self.agreeing / self.fixed if self.fixed else 0.0,
        }

    def to_dict(self) -> dict:
        return {"counts": asdict(self), "rates": self.rates()}


def score_ci(poems: Iterable[str], tune=None) -> CiScorecard:
    """Score ci (any script) against `tune` (a name or tunes.Tune), or each against the tune its shape
    has (cicheck.recognise)."""
    checks = [check_ci(poem, tune) for poem in poems]
    if not checks:
        raise PoetryGenError("no ci to score")
    table = load_tunes()
    sets = [check.rhyme_sets if check.shape else () for check in checks]
    return CiScorecard(
        ci=len(checks),
        lines_as_tune=sum(check.lines_as_tune for check in checks),
        shape=sum(check.shape for check in checks),
        rhyme_sets=sum(len(table[check.tune].rhymes) for check in checks),
        sets_in_one_section=sum(r.in_one_section for found in sets for r in found),
        sets_in_one_group=sum(bool(r.groups) for found in sets for r in found),
        sets_rhyming=sum(r.rhymes for found in sets for r in found),
        ci_in_one_section=sum(check.shape and all(r.in_one_section for r in check.rhyme_sets) for check in checks),
        ci_rhyming=sum(check.rhymes for check in checks),
        ci_in_one_group=sum(check.shape and all(r.groups for r in check.rhyme_sets) for check in checks),
        fixed=sum(sum(tone != "中" for line in table[check.tune].lines for tone in line.tones) for check in checks),
        agreeing=sum(check.agreeing for check in checks if check.shape),
        tunes=dict(Counter(check.tune for check in checks).most_common()),
    )


_CI_LABELS = {
    "ci_format_rate": "lines and marks as the tune",
    "ci_shape_rate": "tune's length and rhyme positions",
    "ci_rhyme_rate": "rhyme sets in one 词林正韵 部",
    "ci_pingshui_rhyme_rate": "rhyme sets in one 平水韵 group",
    "ci_tongya_rhyme_rate": "rhyme sets in one 部 or 通押",
    "ci_all_rhymes_rate": "ci with all rhymes in one 部",
    "ci_all_rhymes_tongya_rate": "ci with all rhymes in 部 or 通押",
    "ci_all_rhymes_pingshui_rate": "ci with all rhymes in one group",
    "ci_tone_rate": "fixed tones kept",
}


def format_ci_scorecard(card: CiScorecard) -> str:
    tunes = ", ".join(f"{name} {n}" for name, n in card.tunes.items())
    rows = [f"{card.ci:,} ci ({tunes})"]
    rows += [f"  {_CI_LABELS[key]:<34} {value:6.3f}" for key, value in card.rates().items()]
    return "\n".join(rows)

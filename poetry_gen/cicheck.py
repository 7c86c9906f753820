"""Checking a ci (词) against its tune: shape, 平仄 position by position, rhymes by 词林正韵 部.

A ci is compared with its tune (tunes.load_tunes) character by character, not comma by comma, since
real ci punctuate one tune many ways:

    shape    the ci has the tune's length and a mark after every rhyme position (a hard rule)
    lines    every line has the tune's length and mark (what `score` counts as format)
    tones    at each position the tune fixes (平 or 仄), the character may take that tone (prosody.fits:
             a character of both tones or of unknown tone fits)
    rhymes   the characters at the positions of one rhyme set share a 词林正韵 部 of the set's tone, or
             fall in the two 部 of a 通押 pair that real ci mix (cilin.TONGYA: 杯 台 回 来, 灰 split
             between 部 3 and 5) (a hard rule); for comparison, whether they also share one 平水韵 group

The tune is the one named, or recognised from the shape: the tune whose lines the ci has, else one of
its length whose rhyme positions all end a line of it (most ci first). A poem in the shape of a shi form
(four or eight lines of five or seven) is a shi unless a tune is named.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from . import cilin, prosody
from .checks import check_text, shown
from .errors import PoetryGenError
from .prosody import EITHER, PoemCheck, fits, line_tones, tone_mark
from .text import MAX_POEM_CHARS, normalize
from .tunes import Tune, ci_lines, load_tunes, tune_named


@dataclass(frozen=True)
class CiLine:
    text: str
    mark: str
    tones: str  # one mark per character as read in the line: 平 仄 中 ?
    pattern: str  # the tune's tones at these positions ('' past the tune's end)
    breaks: tuple  # 1-based positions whose tone breaks `pattern`
    rhyme: Optional[str]  # the rhyme-set label when the line ends on a rhyme position of the tune


@dataclass(frozen=True)
class RhymeSet:
    label: str
    tone: str  # 平 or 仄, as the tune has it
    chars: str  # the characters at the set's positions
    sections: tuple  # the 词林正韵 部 (cilin.Section) they share, of the set's tone
    groups: tuple  # the 平水韵 groups they share
    tongya: tuple = ()  # when in no one 部: the two 部 of a 通押 pair (cilin.tongya_sections) holding them

    @property
    def in_one_section(self) -> bool:
        return bool(self.sections)

    @property
    def rhymes(self) -> bool:
        """In one 部, or in a 通押 pair of them."""
        return self.in_one_section or bool(self.tongya)


@dataclass(frozen=True)
class CiCheck:
    text: str
    tune: str
    lines: tuple  # CiLine per line
    shape: bool  # the tune's length, a mark after every rhyme position
    lines_as_tune: bool  # every line's length and mark as the tune's
    rhyme_sets: tuple  # RhymeSet per label of the tune (empty when the shape is wrong)
    fixed: int  # positions the tune fixes (平 or 仄), within the ci
    agreeing: int  # of them, those the character fits

    @property
    def breaks(self) -> list:
        """(line, position), both 1-based, of every character whose tone breaks the tune."""
        return [(i + 1, p) for i, line in enumerate(self.lines) for p in line.breaks]

    @property
    def rhymes(self) -> bool:
        """Every rhyme set in one 部 or a 通押 pair (a wrong shape has no rhyme positions to check)."""
        return self.shape and all(r.rhymes for r in self.rhyme_sets)

    @property
    def follows_rules(self) -> bool:
        """The hard rules: the tune's shape and every rhyme set in one 部 (tones are reported, not ruled)."""
        return self.shape and self.rhymes

    def to_dict(self) -> dict:
        return {
            "poem": self.text, "genre": "ci", "tune": self.tune, "shape": self.shape,
            "lines_as_tune": self.lines_as_tune,
            "lines": [{"text": l.text, "mark": l.mark, "tones": l.tones, "pattern": l.pattern,
                       "breaks": list(l.breaks), "rhyme": l.rhyme} for l in self.lines],
            "rhyme_sets": [{"label": r.label, "tone": r.tone, "chars": r.chars,
                            "sections": [str(s) for s in r.sections], "pingshui_groups": list(r.groups),
                            "in_one_section": r.in_one_section, "tongya": [str(s) for s in r.tongya],
                            "rhymes": r.rhymes} for r in self.rhyme_sets],
            "rhymes": self.rhymes, "fixed_positions": self.fixed, "agreeing_positions": self.agreeing,
            "breaks": [list(b) for b in self.breaks], "follows_rules": self.follows_rules,
        }


def find_tune(name: str) -> Tune:
    """The tune of this name or another of its names (any script: 一剪梅 is the table's 一翦梅), or
    PoetryGenError listing the tunes there are."""
    found = tune_named(normalize(name))
    if found is None:
        raise PoetryGenError(f"unknown tune {shown(name)}: the tune table has {', '.join(load_tunes())}")
    return found


def _ends(shape) -> list:
    """0-based index of each line's last character."""
    out, total = [], 0
    for chars in shape:
        total += chars
        out.append(total - 1)
    return out


def _rhyme_positions(tune: Tune) -> dict:
    """character index → rhyme-set label."""
    return {end: line.rhyme for end, line in zip(_ends(tune.shape), tune.lines) if line.rhyme}


def recognise(lines: list) -> Optional[Tune]:
    """The tune of a ci of these (line, mark) pairs by its shape, or None (see the module docstring)."""
    shape = tuple(len(line) for line, _ in lines)
    tunes = list(load_tunes().values())
    exact = [t for t in tunes if t.shape == shape]
    if exact:
        return exact[0]
    ends = set(_ends(shape))
    return next((t for t in tunes if t.chars == sum(shape) and set(_rhyme_positions(t)) <= ends), None)


def check_ci(text: str, tune: Union[str, Tune, None] = None) -> CiCheck:
    """Check one ci (any script) against `tune` (a name or Tune), or against the tune its shape has."""
    if isinstance(tune, str):
        tune = find_tune(tune)
    ci = normalize(check_text(text, "ci", MAX_POEM_CHARS), keep_pauses=True)
    lines = ci_lines(ci)
    if lines is None:
        raise PoetryGenError(f"not a ci of hanzi lines each ended by a mark: {shown(ci)}")
    if tune is None:
        tune = recognise(lines)
        if tune is None:
            raise PoetryGenError(f"no tune of the table has the shape of {shown(ci)}")
    return _check_against(ci, lines, tune)


def _check_against(ci: str, lines: list, tune: Tune) -> CiCheck:
    chars = "".join(line for line, _ in lines)
    pattern = "".join(line.tones for line in tune.lines)
    rhyme_at = _rhyme_positions(tune)
    ends = _ends([len(line) for line, _ in lines])
    shape = len(chars) == tune.chars and set(rhyme_at) <= set(ends)
    checked, start, fixed, agreeing = [], 0, 0, 0
    for (line, mark), end in zip(lines, ends):
        read = line_tones(line)
        wanted = pattern[start:end + 1]
        breaks = tuple(p + 1 for p, (t, w) in enumerate(zip(read, wanted)) if w != EITHER and not fits(t, w))
        fixed += sum(w != EITHER for w in wanted)
        agreeing += sum(w != EITHER for w in wanted) - len(breaks)
        checked.append(CiLine(line, mark, "".join(tone_mark(t) for t in read), wanted, breaks,
                              rhyme_at.get(end) if shape else None))
        start = end + 1
    as_tune = [(len(line), mark) for line, mark in lines] == [(l.chars, l.mark) for l in tune.lines]
    sets = tuple(_rhyme_set(label, tone, [chars[p] for p, l in sorted(rhyme_at.items()) if l == label])
                 for label, tone in tune.rhymes.items()) if shape else ()
    return CiCheck(ci, tune.name, tuple(checked), shape, as_tune, sets, fixed, agreeing)


def _rhyme_set(label: str, tone: str, chars: list) -> RhymeSet:
    groups = frozenset.intersection(*(prosody.rhyme_groups(ch) for ch in chars)) if chars else frozenset()
    return RhymeSet(label, tone, "".join(chars), tuple(sorted(cilin.shared_sections(chars, tone))),
                    tuple(sorted(groups)), cilin.tongya_sections(chars, tone))


def is_ci(text: str) -> bool:
    """Whether the text, no tune named, is a ci: not of a shi form's shape, and of a tune's."""
    return shape_of(text) == "ci"


def shape_of(text: str) -> Optional[str]:
    """"shi" for a text of a shi form's shape (whatever its marks: a 五绝 in commas only), "ci" for one of a
    tune's, else None."""
    lines = ci_lines(normalize(check_text(text, "poem", MAX_POEM_CHARS), keep_pauses=True))
    if lines is None:
        return None
    if prosody.poem_form([line for line, _ in lines], [mark for _, mark in lines]):
        return "shi"
    return "ci" if recognise(lines) is not None else None


def named_tune(form: Optional[str]) -> Optional[Tune]:
    """The tune a user named, or None for no name or a shi form's (五绝 七绝 五律 七律: the shi check finds
    those from the shape); PoetryGenError for a name that is neither."""
    if form is None or normalize(form) in prosody.FORMS:
        return None
    return find_tune(form)


def check(text: str, form: Optional[str] = None) -> Union[PoemCheck, CiCheck]:
    """The check of a ci (a tune named, or `is_ci`), else the shi check (prosody.check_poem)."""
    tune = named_tune(form)
    if tune is not None:
        return check_ci(text, tune)
    if form is None and is_ci(text):
        return check_ci(text)
    return prosody.check_poem(text)


def format_ci_check(check: CiCheck) -> str:
    """Human-readable report of one ci."""
    out = [check.text, f"tune: {check.tune}"]
    width = max(len(line.text) for line in check.lines)
    for i, line in enumerate(check.lines, 1):
        row = f"  {i:>2}  {line.text:\u3000<{width}}{line.mark}  {line.tones:\u3000<{width}}  {line.pattern:\u3000<{width}}"
        if line.rhyme:
            sections = "/".join(str(s) for s in sorted(cilin.sections(line.text[-1]))) or "?"
            row += f"  韵{line.rhyme} {sections}"
        if line.breaks:
            row += f"  breaks at {','.join(map(str, line.breaks))}"
        out.append(row)
    if not check.shape:
        tune = load_tunes()[check.tune]
        rhymes = " ".join(str(p + 1) for p in sorted(_rhyme_positions(tune)))
        out.append(f"shape: not the tune's: {sum(len(l.text) for l in check.lines)} characters; the {tune.name} has "
                   f"{tune.chars}, with a mark after characters {rhymes} (its rhymes)")
    elif not check.lines_as_tune:
        out.append("shape: the tune's length and rhymes, its commas elsewhere")
    for r in check.rhyme_sets:
        where = "/".join(str(s) for s in r.sections) if r.in_one_section else (
            f"通押 {'+'.join(str(s) for s in r.tongya)}" if r.tongya else _not_in_one_section(r, check.tune))
        out.append(f"rhyme {r.label} ({r.tone}): {' '.join(r.chars)}: {where}"
                   f"{'; 平水韵 ' + '/'.join(r.groups) if r.groups else ''}")
    out.append(f"tones: {check.agreeing} of {check.fixed} fixed positions agree")
    out.append(f"rules of the {check.tune}: {'kept' if check.follows_rules else 'broken'}")
    return "\n".join(out)


def _not_in_one_section(rhyme, tune: str) -> str:
    """Why a rhyme set breaks: no 部 at all, or one of the other tone (李清照's 声声慢 rhymes 仄 where the
    table's prevailing 声声慢 rhymes 平)."""
    other = cilin.shared_sections(rhyme.chars)
    if other:
        return f"in {'/'.join(str(s) for s in sorted(other))}, but the {tune} rhymes {rhyme.tone} here"
    return "not in one 部"


def format_result(result: Union[PoemCheck, CiCheck]) -> str:
    return format_ci_check(result) if isinstance(result, CiCheck) else prosody.format_check(result)

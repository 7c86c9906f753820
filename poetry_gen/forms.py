"""The forms a poem is written in, as data: its lines, the mark after each, which lines rhyme, and the
tone (平/仄/中) every position asks for. The decoder reads a form's table of positions (`Form.slots`);
nothing downstream assumes lines of one length or '，' and '。' in turn.

A form holds:
    shape      one `Line` per line: its characters, the mark after it, the rhyme set its last
               character belongs to ("a", "b", ...; a tune may change rhyme, as 菩萨蛮 does) and
               whether it must rhyme or only may (the first line of a 近体 poem), and whether it is a
               叠句, the line before it again (如梦令's 争渡，争渡), which the decoder copies
    rhymes     each rhyme set's tone: 平 or 仄 (入 counts as 仄)
    templates  the tone patterns, one 平/仄/中 string per line; the decoder keeps each poem to the
               patterns it breaks least, so a 近体 form has its four (仄起/平起, 首句入韵 or not) and a
               tune its one
    book       the rhyme book its rhymes are read in: 平水韵 for shi, 词林正韵 for ci

A tune (词牌) is a form built from a row of the tune table (`tune_form`, tunes.py), a couplet one built
from its 上联's segments (`couplet_form`). The four 近体 forms (五绝 七绝 五律 七律) are instances of the
regular shape: lines of one length,
'，' after the 1st, 3rd, ... line and '。' after the 2nd, 4th, ... and after the last, so that the
poem reads as couplets; the lines ending in '。' rhyme in a 平声 group and the first line may join.

A template fixes the tone of positions 2, 4, (6) and the line end; the others are "中" (either),
after the rule of thumb 一三五不论. The four quatrain templates, for 5-character lines
(a 7-character line puts two syllables of the opposite tone in front):

    仄起首句不入韵  A B C D        A 仄仄平平仄   B 平平仄仄平
    仄起首句入韵    D B C D        C 平平平仄仄   D 仄仄仄平平
    平起首句不入韵  C D A B
    平起首句入韵    B D A B

A 律诗 (8 lines) repeats the quatrain of its opening, lines 5–8 in the unrhymed-first-line variant:
仄起首句入韵 五律 = D B C D A B C D.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

COMMA = "，"
PERIOD = "。"
PING, ZE, EITHER = "平", "仄", "中"
SHI_BOOK, CI_BOOK = "平水韵", "词林正韵"
FREE_LINES = (2, 16)  # a poem of free length (characters per line, no line count) ends after 2 to 16 lines
RHYME = "a"  # the one rhyme set of a shi form


@dataclass(frozen=True)
class Line:
    chars: int
    mark: str  # the punctuation after the line
    rhyme: Optional[str] = None  # the rhyme set its last character belongs to; None: it does not rhyme
    may_rhyme: bool = False  # the line's end may join the set `rhyme` and need not (a 近体 first line)
    repeats: bool = False  # 叠句: the line is the previous line again, character for character


@dataclass(frozen=True)
class Template:
    """One tone pattern of a form: for each line a string over 平/仄/中, and the lines that rhyme."""

    name: str  # e.g. 仄起首句入韵
    lines: tuple  # ('中仄中平平', '中平中仄平', ...)
    rhymes: tuple  # 0-based indices of the lines whose last character rhymes

    def to_dict(self) -> dict:
        return {"name": self.name, "lines": list(self.lines), "rhymes": list(self.rhymes)}


@dataclass(frozen=True)
class Slot:
    """One position of a poem: a character of a line, or the mark after it."""

    line: int
    col: int  # 0-based within the line; the mark's col is the line's length
    mark: Optional[str]  # the mark written here; None at a character
    rhyme: Optional[str] = None  # at a rhyming line's last character: its rhyme set
    may_rhyme: bool = False  # and whether the line may (rather than must) rhyme
    hard_tone: Optional[str] = None  # 平 or 仄 required here whatever the tone controls say


@dataclass(frozen=True)
class Form:
    name: Optional[str]  # 五绝 ... 七律, a tune's name; None for a shape without one
    shape: tuple  # Line per line; a free-length form: the most lines it may have
    rhymes: tuple = ((RHYME, PING),)  # (rhyme set, 平 or 仄) per rhyme set, in order of first use
    templates: tuple = ()  # Template per tone pattern; () = tones free
    book: str = SHI_BOOK
    genre: str = "shi"  # shi, ci or couplet
    stanzas: tuple = ()  # lines per 片 (a ci's stanzas); () = one
    free: bool = False  # the model may end the poem after a line followed by '。'
    hard_tones: tuple = ()  # ((line, col, 平|仄), ...): tones required whatever the controls say

    @property
    def lines(self) -> Optional[int]:
        """The number of lines; None for a free-length form."""
        return None if self.free else len(self.shape)

    @property
    def chars(self) -> Optional[int]:
        """Characters per line when every line has as many; else None."""
        lengths = {line.chars for line in self.shape}
        return lengths.pop() if len(lengths) == 1 else None

    @property
    def length(self) -> int:
        """Positions of the whole poem: each line's characters and its mark."""
        return sum(line.chars + 1 for line in self.shape)

    @property
    def marks(self) -> list:
        return [line.mark for line in self.shape]

    @cached_property
    def starts(self) -> tuple:
        """The position of each line's first character."""
        out, p = [], 0
        for line in self.shape:
            out.append(p)
            p += line.chars + 1
        return tuple(out)

    @cached_property
    def slots(self) -> tuple:
        """Slot per position, in order: the table the decoder writes by."""
        hard = {(line, col): tone for line, col, tone in self.hard_tones}
        out = []
        for i, line in enumerate(self.shape):
            for col in range(line.chars):
                end = col == line.chars - 1
                out.append(Slot(i, col, None, line.rhyme if end else None, end and line.may_rhyme,
                                hard.get((i, col))))
            out.append(Slot(i, line.chars, line.mark))
        return tuple(out)

    @cached_property
    def echoes(self) -> dict:
        """position → the earlier position whose character it repeats: each character of a 叠句 line
        echoes the same column of the line before."""
        return {self.starts[i] + col: self.starts[i - 1] + col
                for i, line in enumerate(self.shape) if line.repeats for col in range(line.chars)}

    @cached_property
    def head_lines(self) -> tuple:
        """The lines that may take an acrostic head: all but the 叠句 (which repeat the head before)."""
        return tuple(i for i, line in enumerate(self.shape) if not line.repeats)

    @cached_property
    def char_positions(self) -> tuple:
        """The positions of the characters, in order (the marks' left out)."""
        return tuple(p for p, slot in enumerate(self.slots) if not slot.mark)

    def open_positions(self, taken=frozenset()) -> tuple:
        """The character positions where the decoder may place any character: not `taken` (fixed by the
        given text or a head), not echoing an earlier one, not the end of a line that must rhyme. A
        character the poem must include (--must-include) is placed in one of them."""
        return tuple(p for p in self.char_positions if p not in taken and p not in self.echoes
                     and not (self.slots[p].rhyme and not self.slots[p].may_rhyme))

    def split(self, chars: str) -> list:
        """A string with one item per character of the form (no marks) cut into the form's lines."""
        return [chars[start:start + line.chars]
                for start, line in zip((p - i for i, p in enumerate(self.starts)), self.shape)]

    def stanza_breaks(self) -> frozenset:
        """The lines (0-based) after which a 片 ends, except the last."""
        ends, n = set(), 0
        for count in self.stanzas[:-1]:
            n += count
            ends.add(n - 1)
        return frozenset(ends)

    def describe(self) -> str:
        """The shape in one line: 7，7。7。| 7，7。7。 (a '|' between 片); a free form says so."""
        breaks = self.stanza_breaks()
        text = "".join(f"{line.chars}{line.mark}" + (" | " if i in breaks else "") for i, line in enumerate(self.shape))
        return f"{self.chars}，{self.chars}。 ... (2 to {len(self.shape)} lines)" if self.free else text


COUPLET = "对联"


def tune_form(tune) -> Form:
    """The Form of a tune of the tune table (tunes.Tune: its lines with marks, tones and rhyme sets, its
    片, each rhyme set's tone): one template, the tune's, and rhymes by 词林正韵."""
    shape = tuple(Line(line.chars, line.mark, line.rhyme, repeats=line.repeats) for line in tune.lines)
    used = list(dict.fromkeys(line.rhyme for line in tune.lines if line.rhyme))
    rhymes = tuple((label, tune.rhymes[label]) for label in used)
    template = Template(tune.name, tuple(line.tones for line in tune.lines),
                        tuple(i for i, line in enumerate(tune.lines) if line.rhyme))
    return Form(tune.name, shape, rhymes, (template,), CI_BOOK, "ci", tuple(tune.stanza_lines))


def couplet_form(segments: tuple, marks: tuple) -> Form:
    """The form of a couplet whose 上联 has `segments` (characters between its pause marks) and the pause
    `marks` between them ('风声、雨声、读书声，声声入耳': (2, 2, 3, 4), ('、', '、', '，')): the 上联's
    segments, '，', then the 下联's, the same lengths and pauses, '。' at the end and its last character
    平 (hard: in every reading). Each segment is a line of the form; the 上联 is the start text."""
    line_marks = tuple(marks) + (COMMA,) + tuple(marks) + (PERIOD,)
    shape = tuple(Line(n, mark) for n, mark in zip(tuple(segments) * 2, line_marks))
    return Form(COUPLET, shape, rhymes=(), genre="couplet",
                hard_tones=((len(shape) - 1, shape[-1].chars - 1, PING),))


def line_end(index: int) -> str:
    """Punctuation after line `index` (0-based) of the regular shape: '，' after odd lines, '。' after even ones."""
    return COMMA if index % 2 == 0 else PERIOD


def regular_shape(chars: int, lines: int) -> tuple:
    """Lines of `chars` characters, '，' and '。' in turn and '。' after the last; the lines followed by
    '。' rhyme, and the first line may join them."""
    marks = [PERIOD if i == lines - 1 else line_end(i) for i in range(lines)]
    return tuple(Line(chars, mark, RHYME if mark == PERIOD or i == 0 else None, mark != PERIOD and i == 0)
                 for i, mark in enumerate(marks))


# --- the 近体 templates -------------------------------------------------------------------------

# Checked positions of a 5-character line (0-based 1, 3 and the end) for the four line types.
_LINE_TYPES = {"A": "中仄中平仄", "B": "中平中仄平", "C": "中平中仄仄", "D": "中仄中平平"}
_QUATRAINS = {  # (tone of a 5-character first line's 2nd character, first line rhymed) → line types
    ("仄", False): "ABCD",
    ("仄", True): "DBCD",
    ("平", False): "CDAB",
    ("平", True): "BDAB",
}
_OTHER = {PING: ZE, ZE: PING}


def _line(kind: str, chars: int) -> str:
    five = _LINE_TYPES[kind]
    # A 7-character line prefixes two syllables whose key (2nd) one is opposite to the 5-character 2nd.
    return five if chars == 5 else EITHER + _OTHER[five[1]] + five


def _regulated_templates(chars: int, lines: int) -> tuple:
    out = []
    for (start, first_rhymes), kinds in _QUATRAINS.items():
        if lines == 8:  # lines 5–8 repeat the quatrain, with the first line unrhymed
            kinds += _QUATRAINS[(start, False)]
        patterns = tuple(_line(k, chars) for k in kinds)
        rhymes = tuple(i for i in range(lines) if i % 2 == 1 or (i == 0 and first_rhymes))
        # 仄起 / 平起 by the first line's 2nd character (a 7-character line flips the 5-character name)
        out.append(Template(f"{patterns[0][1]}起首句{'入' if first_rhymes else '不入'}韵", patterns, rhymes))
    return tuple(out)


def _regulated(name: str, chars: int, lines: int) -> Form:
    return Form(name, regular_shape(chars, lines), templates=_regulated_templates(chars, lines))


FORMS = {
    "五绝": _regulated("五绝", 5, 4),
    "七绝": _regulated("七绝", 7, 4),
    "五律": _regulated("五律", 5, 8),
    "七律": _regulated("七律", 7, 8),
}


def form_for(chars: int, lines: Optional[int]) -> Form:
    """The named form with this shape, or an unnamed one of regular shape (lines None: free length,
    up to FREE_LINES[1] lines)."""
    for form in FORMS.values():
        if form.chars == chars and form.lines == lines:
            return form
    if lines is None:
        return Form(None, regular_shape(chars, FREE_LINES[1]), free=True)
    return Form(None, regular_shape(chars, lines))


def detect_form(lines: list, ends: list) -> Optional[str]:
    """Name of the classical form these lines (text without punctuation) and their end marks have."""
    if not lines or len(ends) != len(lines):
        return None
    for form in FORMS.values():
        if [(line.chars, line.mark) for line in form.shape] == [(len(text), end) for text, end in zip(lines, ends)]:
            return form.name
    return None

"""Couplets (对联): a first line (上联), the second line that answers it (下联), and their rules.

    上联  风声、雨声、读书声       segments: the characters between the pause marks ，、 of the line
    下联  家事、国事、天下事       the same segments and marks

Hard rules (`CoupletCheck.hard` says which hold; the decoder keeps them by construction):
    length   each segment of the 下联 has as many characters as the 上联's
    marks    the same pause marks between the segments
    ends     the 上联 ends 仄, the 下联 平 (as each may be read: a character with both tones fits either)
    repeats  no character of the 上联 stands in the 下联, and the 下联 repeats a character exactly where
             the 上联 repeats one (mirrored repeats: 声 at 2, 4, 7 of 风声雨声读书声 and 事 at 2, 4, 7 of
             家事国事天下事). A character both lines repeat the same way may stand in both (年年岁岁花相似
             / 岁岁年年人不同)
Soft rule:
    tones    the tones oppose at the key positions, the 节奏点 of each segment read as two-character feet:
             its even characters (2nd, 4th, 6th) and its last; a position counts as broken only where
             both tones are certain and the same (a 中 character may be read either way)
Scored (parallelism.py, the 对仗 scorer of the 律诗 middle couplets):
    对仗      couplet_score: per position and as a whole, in (0, 1)
    pairing   the parallel-pair statistic: the mean over positions of how much more often poets set the two
             characters against each other than chance (a PMI; > 0: paired more than chance)
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from .checks import check_text, shown, shown_chars
from .config import MAX_REQUEST_CHARS
from .errors import PoetryGenError
from .forms import COMMA, COUPLET, PERIOD
from .parallelism import CoupletScore, couplet_score, load_table
from .prosody import EITHER, PING, ZE, line_tones, tone_mark
from .rerank import TEXT_SIGNALS
from .text import LINE_MARKS, MAX_POEM_CHARS, PAUSE_MARK, is_hanzi, normalize, normalize_punctuation

PAUSES = (COMMA, PAUSE_MARK)  # marks that may stand inside a line of a couplet
CHARS = (4, 11)  # the fewest and most characters of a 上联 (marks not counted)
FORM = COUPLET  # Poem.form of a couplet, and its form tag in a corpus
_MARKS = re.compile("([，、,；;。.！!？?：:])")
_OPPOSITE = {PING: ZE, ZE: PING}


@dataclass(frozen=True)
class Shape:
    """How a line of a couplet is cut by its pause marks."""

    segments: tuple  # characters per segment: (7,), (4, 4)
    marks: tuple = ()  # the pause mark after each segment but the last: (), ('，',)

    @property
    def chars(self) -> int:
        return sum(self.segments)

    def join(self, line: str) -> str:
        """The characters of a line of this shape with its pause marks: '风声雨声读书声' → '风声、雨声、读书声'."""
        out, start = [], 0
        for n, mark in zip(self.segments, self.marks + ("",)):
            out.append(line[start:start + n] + mark)
            start += n
        return "".join(out)

    def key_positions(self) -> tuple:
        """0-based positions (in the line's characters) where the tones oppose: in each segment its 2nd,
        4th, 6th, ... character and its last."""
        out, start = [], 0
        for n in self.segments:
            out += [start + i for i in range(n) if i % 2 == 1 or i == n - 1]
            start += n
        return tuple(out)


def line_shape(text: str) -> tuple:
    """(characters, Shape) of one line of a couplet with its pause marks, normalised ('、' stays '、')."""
    parts = _MARKS.split(normalize(text, keep_pauses=True))
    return "".join(parts[0::2]), Shape(tuple(len(p) for p in parts[0::2]), tuple(parts[1::2]))


# --- a 上联 to answer ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CoupletPlan:
    """A checked 上联: what `Generator.couplet` answers."""

    first: str  # its characters, normalised
    shape: Shape
    warnings: tuple = ()  # what the writer should know, one sentence each (a 上联 that ends 平)

    @property
    def second_tones(self) -> str:
        """The tone each character of the 下联 is asked for: opposite to the 上联's at the key positions
        where the 上联's tone is certain, 平 at the end, 中 (either) elsewhere."""
        tones = line_tones(self.first)
        keys = set(self.shape.key_positions())
        wanted = [_OPPOSITE[tone_mark(t)] if i in keys and len(t) == 1 else EITHER for i, t in enumerate(tones)]
        wanted[-1] = PING
        return "".join(wanted)

    def echoes(self) -> dict:
        """0-based position → the earlier position of the 上联 with the same character: where the 下联 repeats
        its own character (mirrored repeats)."""
        return {j: self.first.index(ch) for j, ch in enumerate(self.first) if self.first.index(ch) != j}


def plan_couplet(text: str, strict: bool = False) -> CoupletPlan:
    """The 上联 `text` checked: 4 to 11 Chinese characters, with pause marks (，、) between its segments
    and at most one mark at the end. One that ends 平 is answered with a warning, or refused if `strict`."""
    raw = check_text(text, "上联", MAX_REQUEST_CHARS).strip()
    body = re.sub(f"[{''.join(PAUSES)}；。！？]$", "", normalize_punctuation(raw, keep_pauses=True))  # ． is 。 too
    # Checked before normalising, which would drop a note or a quote unseen: 春回(大地)千山秀 is not 春回千山秀.
    bad = [ch for ch in dict.fromkeys(body) if not (is_hanzi(ch) or ch in LINE_MARKS + PAUSE_MARK or ch.isspace())]
    first, shape = line_shape(body)
    if not first and not bad:
        raise PoetryGenError("the 上联 is empty")
    if bad:
        raise PoetryGenError(f"a 上联 holds Chinese characters and the pause marks ，、 only, not {shown_chars(bad)}")
    wrong = [m for m in shape.marks if m not in PAUSES]
    if wrong:
        raise PoetryGenError(f"a 上联 is one line: it pauses with ， or 、 inside, not {wrong[0]}")
    if 0 in shape.segments:
        raise PoetryGenError(f"the 上联 {shown(raw)} has two marks in a row or begins with one")
    if not CHARS[0] <= shape.chars <= CHARS[1]:
        raise PoetryGenError(f"a 上联 has {CHARS[0]} to {CHARS[1]} characters, not {shape.chars}")
    end = line_tones(first)[-1]
    if ZE in end or not end:
        return CoupletPlan(first, shape)
    message = (f"the 上联 ends in {first[-1]}, a 平 tone: a 上联 ends 仄 and its 下联 平, so this reads as a 下联; "
               f"the answer ends 平 all the same")
    if strict:
        raise PoetryGenError(f"the 上联 ends in {first[-1]}, a 平 tone (a 上联 ends 仄; without --strict it is "
                             f"answered with a warning)")
    return CoupletPlan(first, shape, (message,))


# --- checking a couplet ------------------------------------------------------------------------

@dataclass(frozen=True)
class CoupletCheck:
    first: str  # the 上联's characters
    second: str  # the 下联's
    shapes: tuple  # (Shape of the 上联, Shape of the 下联)
    tones: tuple  # (上联, 下联): one mark per character, as prosody.check_poem shows them (平 仄 中 ?)
    key_positions: tuple  # 1-based positions where the tones oppose (Shape.key_positions)
    tone_breaks: tuple  # 1-based key positions whose tones are certain and the same
    opposed: int  # key positions whose tones are certain and opposite
    repeats: tuple  # 1-based positions of the 下联 that break the no-repeat rule
    ends: tuple  # (the 上联 may end 仄, the 下联 may end 平)
    parallelism: Optional[CoupletScore]  # 对仗 (None when the lines differ in length)
    pairing: Optional[float]  # the mean parallel-pair statistic over the positions

    @property
    def hard(self) -> dict:
        """Each hard rule of the module docstring → whether it holds."""
        first, second = self.shapes
        return {"length": first.segments == second.segments, "marks": first.marks == second.marks,
                "ends": all(self.ends), "repeats": not self.repeats}

    @property
    def follows_rules(self) -> bool:
        return all(self.hard.values())

    @property
    def text(self) -> str:
        return self.shapes[0].join(self.first) + COMMA + self.shapes[1].join(self.second) + PERIOD

    def to_dict(self) -> dict:
        return {"poem": self.text, "form": FORM, "first": self.shapes[0].join(self.first),
                "second": self.shapes[1].join(self.second), "tones": list(self.tones),
                "key_positions": list(self.key_positions), "tone_breaks": list(self.tone_breaks),
                "opposed": self.opposed, "repeats": list(self.repeats), "ends": list(self.ends), "hard": self.hard,
                "follows_rules": self.follows_rules,
                "parallelism": self.parallelism.to_dict() if self.parallelism else None, "pairing": self.pairing}


def repeat_breaks(first: str, second: str) -> tuple:
    """1-based positions of `second` that break the no-repeat rule against `first` (module docstring)."""
    twice = lambda line: {ch for ch in line if line.count(ch) > 1}  # noqa: E731
    alike = twice(first) & twice(second)
    out = []
    for j, ch in enumerate(second[:len(first)]):  # past the 上联's length only the length rule is broken
        mirrored = first.index(first[j]) == second.index(ch)
        if (ch in first and ch not in alike) or not mirrored:
            out.append(j + 1)
    return tuple(out)


def check_couplet(first: str, second: str) -> CoupletCheck:
    """The rules and scores of the couplet `first` / `second` (each a line with its pause marks)."""
    (a, shape_a), (b, shape_b) = line_shape(first), line_shape(second)
    if not a or not b:
        raise PoetryGenError("a couplet has two lines, 上联，下联。")
    ta, tb = line_tones(a), line_tones(b)
    keys = shape_a.key_positions() if len(a) == len(b) else ()
    same = [k for k in keys if len(ta[k]) == 1 and ta[k] == tb[k]]
    opposed = sum(len(ta[k]) == 1 and len(tb[k]) == 1 and ta[k] != tb[k] for k in keys)
    ends = (ZE in ta[-1] or not ta[-1], PING in tb[-1] or not tb[-1])
    score = pairing = None
    if len(a) == len(b):
        table = load_table()
        score = couplet_score(a, b, table)
        pairing = sum(table.pairing(x, y) for x, y in zip(a, b)) / len(a)
    return CoupletCheck(a, b, (shape_a, shape_b), ("".join(map(tone_mark, ta)), "".join(map(tone_mark, tb))),
                        tuple(k + 1 for k in keys), tuple(k + 1 for k in same), opposed, repeat_breaks(a, b),
                        ends, score, pairing)


def read_couplet(text: str) -> Optional[tuple]:
    """(上联, 下联) with their pause marks when `text` is a couplet, else None: two lines of Chinese
    characters, either labelled ('上联：…；下联：…。', the mark between them optional) or '上联，下联。' whose only
    '。' is the last mark; where a line pauses with '，' too, the '，' that cuts the text into two lines of
    the same shape (else the one '，' among '、' pauses)."""
    body = normalize(text, keep_pauses=True)
    labelled = _LABELLED.fullmatch(body)
    lines = labelled.groups() if labelled else _two_lines(body)
    if lines is None or not all(is_hanzi(ch) or ch in PAUSES for line in lines for ch in line):
        return None
    return lines


_LABELLED = re.compile("上联[：，](.+?)[；，。]?下联[：，](.+?)。?")  # a label has its mark: 上联易出下联难对 is a line


def _two_lines(body: str) -> Optional[tuple]:
    if not body.endswith(PERIOD) or PERIOD in body[:-1] or re.search("[；？！：]", body):
        return None
    cuts = [m.start() for m in re.finditer(COMMA, body)]
    if len(cuts) == 1:
        return body[:cuts[0]], body[cuts[0] + 1:-1]
    # Two lines of one shape hold as many characters each, so only a cut halfway by characters is tried: one
    # comparison of shapes, not one per comma of a long text.
    before = list(itertools.accumulate(is_hanzi(ch) for ch in body))  # characters up to each position
    for cut in cuts:
        if 2 * before[cut] != before[-1]:
            continue
        first, second = body[:cut], body[cut + 1:-1]
        if line_shape(first)[1] == line_shape(second)[1]:
            return first, second
    return None


def format_couplet_check(check: CoupletCheck) -> str:
    """Human-readable report of one couplet, as prosody.format_check is of a poem."""
    (a, b), width = check.shapes, max(len(check.first), len(check.second))
    keys = "".join("^" if i + 1 in check.key_positions else "\u3000" for i in range(width))
    out = [check.text, f"form: {FORM}",
           f"  上联  {check.first:\u3000<{width}}  {check.tones[0]}",
           f"  下联  {check.second:\u3000<{width}}  {check.tones[1]}",
           f"        {'':\u3000<{width}}  {keys}  (key positions)"]
    hard = check.hard
    if not hard["length"] or not hard["marks"]:
        out.append(f"shape: the 上联 has segments {'+'.join(map(str, a.segments))} {''.join(a.marks) or ''}, the 下联 "
                   f"{'+'.join(map(str, b.segments))} {''.join(b.marks) or ''}: they must be the same")
    if not hard["ends"]:
        out.append("ends: the 上联 must end 仄 and the 下联 平, but " + " and ".join(
            w for w, ok in zip(("the 上联 ends 平", "the 下联 ends 仄"), check.ends) if not ok))
    if check.repeats:
        out.append(f"repeats: at {','.join(map(str, check.repeats))} the 下联 holds a character of the 上联, or does not "
                   f"mirror the 上联's repeats (it repeats a character exactly where the 上联 does)")
    if check.key_positions:
        verdict = ("opposed at every one" if not check.tone_breaks else
                   "the same at " + ",".join(map(str, check.tone_breaks)))
        out.append(f"tones at the key positions {','.join(map(str, check.key_positions))}: {verdict} "
                   f"({check.opposed} certainly opposite)")
    if check.parallelism:
        per_position = " ".join(f"{s:.2f}" for s in check.parallelism.positions)
        out.append(f"对仗: {check.parallelism.score:.2f} (by position: {per_position}); pairing {check.pairing:+.2f}")
    out.append(f"rules of the {FORM}: {'kept' if check.follows_rules else 'broken'}")
    return "\n".join(out)


def as_couplet(text: str) -> Optional[CoupletCheck]:
    """The CoupletCheck of `text` when it is a couplet (read_couplet), else None."""
    lines = read_couplet(check_text(text, "poem", MAX_POEM_CHARS))
    return None if lines is None else check_couplet(*lines)


@lru_cache(maxsize=256)
def _judged(text: str) -> CoupletCheck:
    return as_couplet(text)


# rerank.judge's text signals for couplets, under the names (and weights) of a poem's: 对仗 of the two lines
# in place of a 律诗's middle couplets, the key positions whose tones do not oppose in place of the faults.
COUPLET_SIGNALS = {
    "repetition": TEXT_SIGNALS["repetition"],
    "parallelism": lambda text: _judged(text).parallelism.score,
    "rule_breaks": lambda text: -len(_judged(text).tone_breaks),
}

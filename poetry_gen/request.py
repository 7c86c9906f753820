"""A request for a poem, checked without the model: its shape (form, lines, characters per line) from
the acrostic heads, the start text, the form and the theme it names. The CLI checks a request this way
before it loads torch and the model, so that a mistake costs no waiting; `Generator.write` then checks
only what needs the model (that it knows the characters).

    >>> plan = plan_acrostic("春夏秋冬")                       # Plan(form=七绝, given=[], heads=[春, 夏, 秋, 冬])
    >>> plan_generate(start="床前明月光", form="七绝").form    # 七绝: its first line's first 5 characters
    >>> revision_form("床前明月光，疑是地上霜。", 2)[1]       # ['床前明月光', '疑是地上霜']: a line to rewrite
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, replace
from typing import Optional

from .checks import check_text, is_whole, shown, shown_chars, shown_value
from .config import MAX_REQUEST_CHARS, SamplingOptions
from .errors import PoetryGenError
from .forms import COMMA, COUPLET, FORMS, Form, form_for, tune_form
from .plan import check_plan_lines
from .text import (LINE_MARKS, PAUSE_MARK, is_hanzi, normalize, normalize_punctuation, split_lines, strip_notes,
                   to_simplified)
from .theme import theme_form
from .tunes import load_tunes, tune_named

CHARS = (5, 7)
MAX_LINES = 64  # the most lines a poem may be asked for


def plan_acrostic(heads: str, form=None, *, chars: Optional[int] = None, theme: Optional[str] = None) -> Plan:
    """藏头诗: one line per head character, beginning with it, in `form` (the lines after the last head
    are free; a tune's 叠句 repeats the line before it, head and all, and takes no head of its own). Without a form, the form the theme names, else the smallest classical form with a line for
    every head: up to 4 heads a 绝句, 5 to 8 a 律诗 (7 heads: a 七律 whose 8th line is free); more heads
    make a poem of one line each, and one more when their number is odd, so that it ends on a couplet.
    Lines have 7 characters unless `form` or `chars` says otherwise."""
    named = _theme_form(theme)
    if named and form is None and chars is None:
        form = named
    text = re.sub(f"[{LINE_MARKS}]", "", _given_text(heads, "acrostic"))  # 春,夏,秋,冬 is fine too
    bad = [ch for ch in dict.fromkeys(text) if not is_hanzi(ch)]
    if bad:
        raise PoetryGenError(f"acrostic heads are Chinese characters, one per line, not {shown_chars(bad)}")
    if form is not None:
        shape = _agree(_form(form), chars, None)
        if len(text) > len(shape.head_lines):
            repeats = len(shape.shape) - len(shape.head_lines)
            raise PoetryGenError(f"{len(text)} acrostic heads, but a {shape.name} has only {len(shape.head_lines)} "
                                 + ("lines" if not repeats else f"lines that begin anew (and {repeats} 叠句)"))
    else:
        n = len(text)
        lines = 4 if n <= 4 else 8 if n <= 8 else n + n % 2
        shape = form_for(_check_chars(7 if chars is None else chars), _check_lines(lines))
    return Plan(shape, [], list(text))


def plan_generate(start: Optional[str] = None, form=None, chars: Optional[int] = None,
                  lines: Optional[int] = None, *, theme: Optional[str] = None) -> Plan:
    """A poem from scratch, or continuing `start` (kept in the poem as given; it may end mid-line).

    The shape: `form`; or `chars` (5 or 7) with `lines`; or `chars` alone for a free number of lines
    (the model ends the poem after a couplet, after 2 to 16 lines); with none of them, the form the
    theme names, else a 绝句 (a 律诗 when the start text holds 4 whole lines or more) of the start
    text's line length, else a 七绝. A form or `chars` decides the line length: a start shorter than
    its lines (5 characters of a 七绝, as 4 or 6) is an unfinished first line."""
    named = _theme_form(theme)
    if named and form is None and chars is None and lines is None:
        form = named
    given, ends = [], []
    named = None if form is None else _form(form)
    if start is not None:
        given, ends = split_lines(_given_text(start, "start text"))
        bad = [ch for ch in dict.fromkeys("".join(given)) if not is_hanzi(ch)]
        if bad:
            raise PoetryGenError(f"the start text may hold only Chinese characters and the marks ，。, "
                                 f"not {shown_chars(bad)}")
    if named is not None:
        shape = _agree(named, chars, lines)
    else:
        n = _check_chars(chars) if chars is not None else _first_line_chars(given, ends) if given else 7
        if lines is not None:
            shape = form_for(n, _check_lines(lines))
        elif chars is not None:
            shape = form_for(n, None)
        else:
            whole = sum(len(line) == n for line in given)  # a start of 4 whole lines goes on to 8
            shape = form_for(n, 4 if whole < 4 else 8)
    if given:
        _check_start(given, ends, shape)
    return Plan(shape, given, [])


# --- internals ------------------------------------------------------------------------------------

def poem_text(text: str) -> str:
    """A poem's text, normalised; PoetryGenError when it is empty or holds no Chinese characters."""
    return _hanzi_text(text, "poem")


def revision_form(text: str, line: int, name: Optional[str] = None) -> tuple:
    """(Form, lines normalised) of a poem whose line `line` (1-based) is to be written again: a shi of lines
    of 5 or 7 characters, all of one length, each followed by its mark (，。 in turn, 。 at the end), or a
    ci in the lines and marks of a tune of the table (',' standing for its pause '、'): the tune `name`
    when it names one of that shape, else the first of the table with it. A ci's 叠句 is written again
    with the line it repeats, not alone. A couplet (`name` 对联) is refused: its 下联 is written whole, to
    its 上联's rules, by `couplet`."""
    if name == COUPLET:
        raise PoetryGenError("a couplet is not revised line by line: write other 下联 for its 上联 with couplet "
                             "(poetry-gen couplet)")
    lines, ends = split_lines(poem_text(text))
    form = _shi_to_revise(lines, ends) if name not in load_tunes() else None
    form = form or _tune_to_revise(lines, ends, name)
    if form is None:
        raise PoetryGenError("a poem to revise has lines of 5 or 7 characters, all of one length, ended by "
                             "，and 。 in turn and by 。 at the end, or the lines and marks of a tune "
                             "(`poetry-gen forms` lists them)")
    if not (is_whole(line) and 1 <= line <= len(lines)):
        raise PoetryGenError(f"the poem has lines 1 to {len(lines)}, not {line!r}")
    if form.shape[line - 1].repeats:
        raise PoetryGenError(f"line {line} of a {form.name} repeats line {line - 1} (叠句): revise line {line - 1}, "
                             "and it is repeated")
    return form, lines


def _shi_to_revise(lines: list, ends: list) -> Optional[Form]:
    chars = len(lines[0])
    if chars not in CHARS or any(len(l) != chars for l in lines) or ends != form_for(chars, len(lines)).marks:
        return None
    return form_for(chars, len(lines))


def _tune_to_revise(lines: list, ends: list, name: Optional[str]) -> Optional[Form]:
    shape = [(len(line), end) for line, end in zip(lines, ends)]
    tunes = load_tunes()
    for tune in sorted(tunes.values(), key=lambda t: t.name != name):  # the named tune first
        as_tune = [(l.chars, l.mark) for l in tune.lines]
        if len(as_tune) == len(shape) and all(n == chars and (end == mark or (end, mark) == (COMMA, PAUSE_MARK))
                                              for (n, end), (chars, mark) in zip(shape, as_tune)):
            return tune_form(tune)
    return None


def _theme_form(theme: Optional[str]) -> Optional[str]:
    return None if theme is None else theme_form(theme)


def known_forms() -> dict:
    """name → Form of every form a request may name: the four 近体 forms, then the tunes of the tune
    table (tunes.load_tunes), most ci first."""
    return {**FORMS, **{name: tune_form(tune) for name, tune in load_tunes().items()}}


def format_forms() -> str:
    """One line per form a request may name: its name, genre, shape (lines and marks, '|' between 片) and
    rhymes; a tune with the number of ci its pattern was measured on."""
    tunes = load_tunes()
    rows = []
    for name, form in known_forms().items():
        rhymes = " ".join(f"{label}{tone}" for label, tone in form.rhymes)
        counted = f", {tunes[name].ci} ci" if name in tunes else ""
        rows.append(f"{name}\t{form.genre}\t{form.describe()}\t{form.book} {rhymes}{counted}")
    return "\n".join(rows) + "\n"


def _form(form) -> Form:
    if isinstance(form, Form):
        return form
    name = to_simplified(check_text(form, "form", MAX_REQUEST_CHARS).strip())
    if name in FORMS:
        return FORMS[name]
    tune = tune_named(name)  # or another of its names: 忆江南 is 望江南
    if tune is None:
        raise PoetryGenError(f"unknown form {shown(form)}: choose one of {', '.join(FORMS)} or one of the "
                             f"{len(load_tunes())} tunes (`poetry-gen forms` lists them)")
    return tune_form(tune)


def _check_chars(chars) -> int:
    if not (is_whole(chars) and chars in CHARS):
        raise PoetryGenError(f"lines have 5 or 7 characters, not {shown_value(chars)}")
    return chars


def _check_lines(lines) -> int:
    if not (is_whole(lines) and 1 <= lines <= MAX_LINES):
        raise PoetryGenError(f"a poem has 1 to {MAX_LINES} lines, not {shown_value(lines)}")
    return lines


def _agree(form: Form, chars, lines) -> Form:
    """`form`, checked against separately given `chars` and `lines`."""
    if form.chars is None and (chars, lines) != (None, None):
        raise PoetryGenError(f"a {form.name} has lines of its own lengths: --chars and --lines go with a shi form")
    if chars is not None and not (is_whole(chars) and chars == form.chars):
        raise PoetryGenError(f"a {form.name} has {form.chars} characters per line, not {shown_value(chars)}")
    if lines is not None and not (is_whole(lines) and lines == form.lines):
        raise PoetryGenError(f"a {form.name} has {form.lines} lines, not {shown_value(lines)}")
    return form


def _describe(form: Form) -> str:
    return form.name or f"poem of {form.chars}-character lines"


def _hanzi_text(text: Optional[str], what: str) -> str:
    """Normalised text that must hold Chinese characters."""
    text = normalize(check_text(text, what, MAX_REQUEST_CHARS))
    if not text:
        raise PoetryGenError(f"the {what} is empty")
    if not any(is_hanzi(ch) for ch in text):
        raise PoetryGenError(f"the {what} {shown(text)} holds no Chinese characters")
    return text


def _given_text(text: Optional[str], what: str) -> str:
    """Text whose every character the poem is to hold: `_hanzi_text`, but refused where it has brackets,
    whose content normalising would drop as an editorial note (春夏（秋冬） would ask for 春夏 alone)."""
    marked = normalize_punctuation(check_text(text, what, MAX_REQUEST_CHARS))
    if strip_notes(marked) != marked:
        raise PoetryGenError(f"the {what} {shown(text)} has text in brackets, which would be dropped as an editor's "
                             f"note: remove the brackets, keeping the characters you want")
    return _hanzi_text(text, what)


def _first_line_chars(lines: list, ends: list) -> int:
    """Line length a start text implies when neither form nor chars is given."""
    n = len(lines[0])
    if ends[0] or n in CHARS:  # a whole first line (typing one without its mark is common)
        if n not in CHARS:
            raise PoetryGenError(f"line 1 of the start text has {n} characters; lines have 5 or 7")
        return n
    if n > max(CHARS):
        raise PoetryGenError(f"line 1 of the start text has {n} characters; lines have 5 or 7 (end a line with ，)")
    return max(CHARS)  # part of a line: the longer form


@dataclass(frozen=True)
class Plan:
    """What to write: the shape, and the text the request fixes."""

    form: Form  # lines=None: free length
    given: list  # the start text's lines (the last may be partial)
    heads: list  # acrostic heads, one per line from the first

    def fixed(self) -> dict:
        """position → the character the request fixes there: the start text's, then the acrostic heads."""
        starts = self.form.starts
        out = {starts[i] + j: ch for i, line in enumerate(self.given) for j, ch in enumerate(line)}
        out.update(zip(self.head_positions(), self.heads))
        return out

    def head_positions(self) -> list:
        """The positions of the acrostic heads (a 叠句 repeats the head before it and takes none)."""
        return [self.form.starts[i] for i in self.form.head_lines[:len(self.heads)]]

    def check_must_include(self, text: Optional[str]) -> list:
        """The characters `text` (SamplingOptions.must_include) asks for that the given text and heads
        do not already hold, after checking that the poem has room for them: one open position
        (Form.open_positions) each."""
        fixed = self.fixed()
        wanted = [ch for ch in must_include_chars(text) if ch not in fixed.values()]
        room = len(self.form.open_positions(frozenset(fixed)))
        if len(wanted) > room:
            raise PoetryGenError(f"a {self.form.name or 'poem of this shape'} has room for {room} required "
                                 f"characters besides its rhymes and given text, not {len(wanted)} "
                                 f"({shown_chars(wanted)})")
        return wanted


def must_include_chars(text: Optional[str]) -> list:
    """The distinct characters of a --must-include text (竹, or 竹 梅: marks and spaces between are
    ignored), normalised as the model reads them; [] for None."""
    if text is None:
        return []
    chars = re.sub(f"[{LINE_MARKS}]", "", _given_text(text, "must-include text"))
    bad = [ch for ch in chars if not is_hanzi(ch)]
    if bad:
        raise PoetryGenError(f"a poem can be made to include Chinese characters only, not {shown_chars(bad)}")
    return list(dict.fromkeys(chars))


def _check_start(lines: list, ends: list, form: Form) -> None:
    """The start text (split into lines) must fit `form`: whole lines of form.chars with a shi's marks,
    at most one unfinished line at the end (5 characters of a 7-character form are one), and something
    left to write."""
    n, limit = len(lines), len(form.shape)
    if n > limit:
        raise PoetryGenError(f"the start text has {n} lines, but a {_describe(form)} has at most {limit}")
    if n == limit and len(lines[-1]) == form.shape[-1].chars:
        raise PoetryGenError(f"the start text already fills the {_describe(form)}; nothing is left to write")
    for i, (line, end) in enumerate(zip(lines, ends)):
        shape = form.shape[i]
        if not line:
            raise PoetryGenError(f"line {i + 1} of the start text is empty")
        if len(line) > shape.chars or (end and len(line) != shape.chars):
            raise PoetryGenError(f"line {i + 1} of the start text has {len(line)} characters, but a "
                                 f"{_describe(form)} has {shape.chars} {_per_line(form, i)}")
        if shape.repeats and not lines[i - 1].startswith(line):
            raise PoetryGenError(f"line {i + 1} of a {_describe(form)} repeats line {i} (叠句), but the start "
                                 f"text has {line} after {lines[i - 1]}")
        # A ci is punctuated many ways (东风夜放花千树，更吹落 of 青玉案, whose table has 。): any mark ends its line.
        if end and end != shape.mark and form.genre == "shi":
            raise PoetryGenError(f"line {i + 1} of the start text ends in {end}, but in a {_describe(form)} "
                                 f"it ends in {shape.mark} (lines alternate ，。)")


def _per_line(form: Form, index: int) -> str:
    return "per line" if form.chars else f"in line {index + 1}"


# --- requests by name (generate --input) -------------------------------------------------------------

SHAPE_FIELDS = ("acrostic", "start", "form", "chars", "lines")  # beside SamplingOptions' fields


def plan_request(shape: dict, theme: Optional[str] = None, line_plan: Optional[tuple] = None,
                 must_include: Optional[str] = None) -> Plan:
    """The Plan of a request whose shape is given by name (SHAPE_FIELDS; missing or None: not given),
    checked against the user's `line_plan` (one word per line; SamplingOptions.plan) and the characters
    it must include (SamplingOptions.must_include)."""
    acrostic, start, form, chars, lines = (shape.get(name) for name in SHAPE_FIELDS)
    if acrostic is not None:
        if start is not None:
            raise PoetryGenError("a request is an acrostic or a start text, not both")
        if lines is not None:
            raise PoetryGenError("lines does not go with an acrostic: an acrostic has one line per head")
        plan = plan_acrostic(acrostic, form, chars=chars, theme=theme)
    else:
        plan = plan_generate(start, form, chars, lines, theme=theme)
    if line_plan is not None:
        check_plan_lines(line_plan, plan.form.lines)
    plan.check_must_include(must_include)
    return plan


def read_requests(text: str, source: str, shape: dict, options: SamplingOptions, plain: str = "acrostic") -> list:
    """[(line number, Plan, SamplingOptions)] of a file of requests, one per line: a JSON object names
    its fields (SHAPE_FIELDS and SamplingOptions'), any other line is the text of field `plain`
    (acrostic, start or theme). `shape` and `options` hold every request's defaults. Every request is
    checked; a mistake names its line."""
    known = set(SHAPE_FIELDS) | {f.name for f in fields(SamplingOptions)}
    requests = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            row = _request_fields(line, plain)
            unknown = sorted(set(row) - known)
            if unknown:
                raise PoetryGenError(f"unknown field {unknown[0]!r} (fields: {', '.join(sorted(known))})")
            own = replace(options, **{k: v for k, v in row.items() if k not in SHAPE_FIELDS})
            plan = plan_request({**shape, **{k: v for k, v in row.items() if k in SHAPE_FIELDS}}, own.theme, own.plan,
                                own.must_include)
        except PoetryGenError as err:
            raise PoetryGenError(f"{where}: {err}") from None
        requests.append((number, plan, own))
    if not requests:
        raise PoetryGenError(f"{source}: no requests (one per line)")
    return requests


def _request_fields(line: str, plain: str) -> dict:
    if not line.lstrip().startswith("{"):
        return {plain: line.strip()}
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        raise PoetryGenError("not a JSON object (JSON Lines: one per line)") from None
    if not isinstance(row, dict):
        raise PoetryGenError("not a JSON object (JSON Lines: one per line)")
    return row

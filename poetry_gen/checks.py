"""Checking the values a user hands the package, and showing them in messages.

Every public function and every command checks its arguments with these, so that a wrong type, a value
out of range, text that is not valid Unicode or an input too large to handle in bounded time ends in
one PoetryGenError that names the value, never in a TypeError from deep inside torch. Messages quote
user input through `shown`: cut to a few dozen characters, invisible characters named by code point.
"""
from __future__ import annotations

import math
from numbers import Real
from pathlib import Path

from .errors import PoetryGenError

SHOWN_CHARS = 40  # the most characters of a user's input a message repeats


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """`value` fit for a one-line message: invisible and control characters as U+XXXX, cut to `limit`."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int too long for str() (sys.int_info.default_max_str_digits)
        return "a number too long to show"
    cut = text[:limit]
    visible = "".join(ch if ch.isprintable() or ch == " " else f"<U+{ord(ch):04X}>" for ch in cut)
    return visible + (f"… ({len(text):,} characters)" if len(text) > limit else "")


def shown_chars(chars) -> str:
    """Distinct characters of `chars`, space-separated, the first dozen: '夏 <U+200D> x'."""
    distinct = list(dict.fromkeys(chars))
    more = f" and {len(distinct) - 12} more" if len(distinct) > 12 else ""
    return " ".join(shown(ch) for ch in distinct[:12]) + more


def check_text(value, what: str, limit: int) -> str:
    """`value` as text a user gave: a str of at most `limit` characters, valid Unicode (no lone
    surrogates: Python turns bytes of argv that are not UTF-8 into them)."""
    if not isinstance(value, str):
        raise PoetryGenError(f"the {what} must be text (str), not {type(value).__name__}")
    if len(value) > limit:
        raise PoetryGenError(f"the {what} has {len(value):,} characters; the most it may have is {limit:,}")
    bad = lone_surrogate(value)
    if bad is not None:
        byte = f"the byte 0x{ord(bad) - 0xDC00:02X}" if 0xDC80 <= ord(bad) <= 0xDCFF else f"U+{ord(bad):04X}"
        raise PoetryGenError(f"the {what} is not valid UTF-8 text (it holds {byte})")
    return value


def lone_surrogate(text: str):
    """The first lone surrogate (U+D800–U+DFFF) of `text`, or None: what is not text, though a str holds it."""
    return next((ch for ch in text if 0xD800 <= ord(ch) <= 0xDFFF), None)


def is_whole(value) -> bool:
    """An int that is not a bool (True is an int to Python, never a count to a user)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_whole(value, what: str, low: int, high: int | None = None) -> int:
    """A whole number in [low, high] (high None: no upper bound)."""
    if not is_whole(value) or value < low or (high is not None and value > high):
        span = f"from {low:,} to {high:,}" if high is not None else f"of {low:,} or more"
        raise PoetryGenError(f"{what} must be a whole number {span}, not {shown_value(value)}")
    return value


def check_real(value, what: str, low: float, high: float | None = None, *, low_open: bool = False,
               high_open: bool = False) -> float:
    """A finite real number in [low, high] (an end left out with low_open, high_open); high None: no
    upper bound."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value > low if low_open else value >= low)
    ok = ok and (high is None or (value < high if high_open else value <= high))
    if not ok:
        bounds = (f"{'above' if low_open else 'at least'} {low:g}" if high is None
                  else f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
        number = isinstance(value, Real) and not isinstance(value, bool)
        raise PoetryGenError(f"{what} must be a finite number {bounds}, not {f'{value:g}' if number else shown_value(value)}")
    return float(value)


def shown_value(value) -> str:
    """A value of the wrong type, for a message: text quoted, so that '0.9' or '8' does not read as a number."""
    return shown(repr(value) if isinstance(value, str) else value)


def check_map_path(path) -> Path:
    """`path` if it names a .svg or .html file (an attention map); else PoetryGenError. Here, not in
    attention_map.py, so that the CLI checks it before torch loads."""
    path = Path(path)
    if path.suffix.lower() not in (".svg", ".html"):
        raise PoetryGenError(f"the attention map is written as .svg or .html, not {path.name!r}")
    return path

"""The classical forms: how many lines of how many characters, and how they are punctuated.

A line is followed by '，' when it is odd (1st, 3rd, ...) and by '。' when it is even, so a poem of
the classical forms always ends in '。' and reads as couplets.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

COMMA = "，"
PERIOD = "。"
FREE_LINES = (2, 16)  # a poem of free length (characters per line, no line count) ends after 2 to 16 lines


@dataclass(frozen=True)
class Form:
    name: Optional[str]  # 五绝, 七绝, 五律, 七律; None for a free number of lines
    chars: int  # characters per line: 5 or 7
    lines: Optional[int]  # None: any number of lines

    @staticmethod
    def line_end(index: int) -> str:
        """Punctuation after line `index` (0-based): '，' after odd lines, '。' after even ones."""
        return COMMA if index % 2 == 0 else PERIOD


FORMS = {
    "五绝": Form("五绝", 5, 4),
    "七绝": Form("七绝", 7, 4),
    "五律": Form("五律", 5, 8),
    "七律": Form("七律", 7, 8),
}


def form_for(chars: int, lines: Optional[int]) -> Form:
    """The named form with this shape, or an unnamed one (any number of lines of `chars`)."""
    for form in FORMS.values():
        if form.chars == chars and form.lines == lines:
            return form
    return Form(None, chars, lines)


def detect_form(lines: list[str], ends: list[str]) -> Optional[str]:
    """Name of the classical form these lines (text without punctuation) and their end marks have."""
    if not lines or len(ends) != len(lines):
        return None
    chars = len(lines[0])
    if any(len(line) != chars for line in lines):
        return None
    if any(end != Form.line_end(i) for i, end in enumerate(ends)):
        return None
    form = form_for(chars, len(lines))
    return form.name

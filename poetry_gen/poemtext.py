"""Poems as text: the formats `poetry-gen generate` writes, which `check`, `score` and `eval` read back.

    couplets   one couplet (two lines with their marks) per line, a blank line between poems:
                   春风暖霭对裴回，夏草平湖隐翠苔。
                   秋色雨初成粉壁，冬光日渐见金台。
                   <blank line>
                   ...
               a ci on one line, its 片 apart by an ideographic space (read back as one poem)
    lines      one poem per line: 春风暖霭对裴回，夏草平湖隐翠苔。秋色雨初成粉壁，冬光日渐见金台。
    json       JSON Lines: one object per poem, its text under "poem" (the other fields are not read)

Reading with `auto` (what the CLI does unless told otherwise): JSON Lines when the first line that is not
blank is a JSON object; otherwise blank lines separate poems, and inside a block consecutive lines of at
most one couplet each (at most two lines of verse, as `couplets` writes them) join into one poem, while a
line holding more is a poem by itself. So a file of one poem per line reads as before, and what
`generate` prints reads back as whole poems. Only two-line poems written one per line with no blank line
between them need `lines` (`auto` would join them).
"""
from __future__ import annotations

import json
from typing import Iterable

from .errors import PoetryGenError
from .files import read_bytes_bounded
from .text import MAX_POEM_CHARS, is_hanzi, split_lines

MAX_POEMS_FILE_BYTES = 64 * 2 ** 20  # 64 MiB: ten times the Tang collection as text
FORMATS = ("couplets", "lines", "json")  # what generate writes
READ_FORMATS = ("auto",) + FORMATS


def format_poems(poems: Iterable, fmt: str = "couplets") -> str:
    """`poems` (generator.Poem) as text in format `fmt`, ending with a newline."""
    poems = list(poems)
    if fmt == "couplets":
        return "\n\n".join("\n".join(poem.couplets()) for poem in poems) + "\n"
    if fmt == "lines":
        return "".join(poem.text + "\n" for poem in poems)
    if fmt == "json":
        return "".join(json.dumps(poem.to_dict(), ensure_ascii=False) + "\n" for poem in poems)
    raise PoetryGenError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")


def read_text(path) -> str:
    """A UTF-8 text file's content (at most MAX_POEMS_FILE_BYTES), or PoetryGenError saying why not."""
    try:
        data = read_bytes_bounded(path, MAX_POEMS_FILE_BYTES, "a file of poems or requests may have")
    except FileNotFoundError:
        raise PoetryGenError(f"{path}: no such file") from None
    except OSError as err:
        raise PoetryGenError(f"{path}: cannot read ({err.strerror})") from None
    return decode_text(data, str(path))


def decode_text(data: bytes, source: str) -> str:
    """`data` (read up to one byte past MAX_POEMS_FILE_BYTES, e.g. from standard input) as UTF-8 text."""
    if len(data) > MAX_POEMS_FILE_BYTES:
        raise PoetryGenError(f"{source}: larger than {MAX_POEMS_FILE_BYTES / 2 ** 20:,.0f} MiB, the most a "
                             f"file of poems or requests may have")
    try:
        return data.decode("utf-8-sig")  # a byte-order mark (Windows editors write one) is not text
    except UnicodeDecodeError:
        raise PoetryGenError(f"{source}: not UTF-8 text") from None


def read_poems(path, fmt: str = "auto") -> list:
    """The poems of a text file (module doc)."""
    return parse_poems(read_text(path), fmt, str(path))


def parse_poems(text: str, fmt: str = "auto", source: str = "<stdin>") -> list:
    """The poems of `text` in format `fmt` (module doc); `source` names it in messages."""
    numbered = [(number, line) for number, line in enumerate(text.splitlines(), 1)]
    if fmt == "auto":
        first = next((line for _, line in numbered if line.strip()), "")
        fmt = "json" if first.lstrip().startswith("{") else "couplets"
    if fmt == "json":
        poems = [(number, _poem_of_json(line, f"{source}:{number}")) for number, line in numbered if line.strip()]
    elif fmt == "lines":
        poems = [(number, line.strip()) for number, line in numbered if line.strip()]
    elif fmt == "couplets":
        poems = _join_couplets(numbered)
    else:
        raise PoetryGenError(f"unknown format {fmt!r}: choose one of {', '.join(READ_FORMATS)}")
    for number, poem in poems:
        if not any(is_hanzi(ch) for ch in poem):
            raise PoetryGenError(f"{source}:{number}: no Chinese characters")
        if len(poem) > MAX_POEM_CHARS:
            raise PoetryGenError(f"{source}:{number}: a poem of {len(poem):,} characters; the most one may "
                                 f"have is {MAX_POEM_CHARS:,}")
    if not poems:
        raise PoetryGenError(f"{source}: no poems (one per line, or couplets with a blank line between poems)")
    return [poem for _, poem in poems]


def _poem_of_json(line: str, where: str) -> str:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        raise PoetryGenError(f"{where}: not a JSON object (JSON Lines: one per line)") from None
    if not (isinstance(row, dict) and isinstance(row.get("poem"), str)):
        raise PoetryGenError(f'{where}: a JSON object with the poem under "poem" is expected')
    return row["poem"]


def _join_couplets(numbered: list) -> list:
    """(first line number, poem) of blank-line-separated blocks: runs of lines of at most one couplet
    join into one poem, a longer line is a poem of its own."""
    poems, run = [], []

    def close_run():
        if run:
            poems.append((run[0][0], "".join(line for _, line in run)))
            run.clear()

    for number, line in numbered:
        line = line.strip()
        if not line:
            close_run()
        elif len(split_lines(line)[0]) <= 2:
            run.append((number, line))
        else:
            close_run()
            poems.append((number, line))
    close_run()
    return poems

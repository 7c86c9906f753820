"""Text normalisation shared by the corpus pipeline, the sampler's input and the checker.

Everything the model sees goes through the same steps: traditional → simplified (OpenCC t2s), variant
glyphs → their standard form (疎 → 疏, which t2s leaves alone), half-width punctuation → full-width,
editorial notes removed.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Half-width punctuation users type (and a few full-width variants) → the corpus's marks.
_PUNCT = str.maketrans({
    ",": "，", ".": "。", "?": "？", "!": "！", ";": "；", ":": "：",
    "(": "（", ")": "）", "、": "，", "．": "。", "﹐": "，", "﹒": "。",
    "［": "[", "］": "]", "｛": "{", "｝": "}",  # full-width brackets: notes, like their half-width forms
})
# Quotation marks frame speech inside a verse but are not part of it (the model never writes them).
_QUOTES = str.maketrans("", "", "「」『』“”‘’")
# Editorial notes: (…), 《…》, {…}, […]. Non-greedy, so verse between two notes survives.
_NOTES = re.compile(r"（[^（）]*?）|《[^《》]*?》|\{[^{}]*?\}|\[[^\[\]]*?\]|〖[^〖〗]*?〗")
LINE_MARKS = "，。？！；："
# A ci keeps its pause mark inside a line (会天正、星拱奏严更): the tune's rhythm, not a line end.
PAUSE_MARK = "、"
_PUNCT_KEEPING_PAUSES = {**_PUNCT, ord(PAUSE_MARK): PAUSE_MARK}
# The longest poem anything here reads: corpus sources, checked and scored files, perplexity. The
# longest Tang poem has 8,948 characters; a poem of a million would stall training's validation.
MAX_POEM_CHARS = 20_000
_LINE_SPLIT = re.compile(f"([{LINE_MARKS}])")
_LINE_SPLIT_AT_PAUSES = re.compile(f"([{LINE_MARKS}{PAUSE_MARK}])")


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc  # imported here so that `import poetry_gen` stays cheap

    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


@lru_cache(maxsize=None)
def variant_table() -> dict:
    """ord → ord: each variant glyph (异体字: 疎 慙 蘂 劒 鴈 …) → its standard simplified form, from the
    `yitizi` package's table of variant characters, which OpenCC's configurations lack. A character
    outside GB 2312 folds into the one GB 2312 character among its variants read through t2s (徴's 徵
    is 征); with none or several it stays. Characters of GB 2312 are standard simplified forms
    themselves and stay, so that 乾坤 keeps its 乾; so are those of the 通用规范汉字表, which GB 2312
    lacks (郊坰's 坰 is no 冂, 神祇's 祇 no 只, 抃 no 拼)."""
    from yitizi import yitizi_data  # imported here so that `import poetry_gen` stays cheap

    # One t2s call for the whole table; a newline between characters keeps OpenCC from reading phrases.
    glyphs = sorted({ch for variants in yitizi_data.values() for ch in variants})
    simplified = dict(zip(glyphs, to_simplified("\n".join(glyphs)).split("\n")))
    table = {}
    for src, variants in yitizi_data.items():
        standard = {simplified[ch] for ch in variants if encodes(simplified[ch], "gb2312")}
        if len(standard) == 1 and not encodes(src, "gb2312") and src not in general_standard_chars():
            table[ord(src)] = ord(standard.pop())
    return table


GENERAL_STANDARD_FILE = Path(__file__).with_name("data") / "general_standard_chars.txt"


@lru_cache(maxsize=None)
def general_standard_chars() -> frozenset:
    """The 8,105 characters of the 通用规范汉字表 (2013), China's list of standard characters today."""
    lines = GENERAL_STANDARD_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset("".join(line for line in lines if not line.startswith("#")))


def encodes(text: str, codec: str) -> bool:
    """Whether `codec` can encode every character of `text` (gb2312: all in GB 2312; utf-8: no lone
    surrogate)."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def variants_stamp() -> str:
    """A fingerprint of what `variant_table` answers from (this module, its list of standard characters,
    yitizi's table), for caches."""
    import importlib.util

    from .cache import file_stamp, key_of

    yitizi = importlib.util.find_spec("yitizi")
    table = Path(yitizi.origin).with_name("yitizi.json") if yitizi and yitizi.origin else None
    return key_of([file_stamp(__file__), file_stamp(GENERAL_STANDARD_FILE), file_stamp(table) if table else ""])


def fold_variants(text: str) -> str:
    if encodes(text, "gb2312"):  # the table folds only characters outside GB 2312: nothing to do, and no table to
        return text       # build (0.2 s), for most requests and for an error such as an empty acrostic
    return text.translate(variant_table())


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def normalize_punctuation(text: str, keep_pauses: bool = False) -> str:
    return text.translate(_PUNCT_KEEPING_PAUSES if keep_pauses else _PUNCT)


def strip_notes(text: str) -> str:
    # Each pass removes the innermost notes, so a note nested in a note goes too.
    removed = 1
    while removed:
        text, removed = _NOTES.subn("", text)
    return text


def is_hanzi(ch: str) -> bool:
    """A CJK ideograph (the basic block and extensions A–G, compatibility ideographs)."""
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x323AF
            or 0xF900 <= cp <= 0xFAFF)


def normalize(text: str, keep_pauses: bool = False) -> str:
    """User or corpus text → the model's alphabet: simplified without variant glyphs, full-width marks,
    no spaces, notes or quotes. The pause mark '、' becomes '，' unless `keep_pauses` (ci)."""
    text = normalize_punctuation(text, keep_pauses)
    text = strip_notes(text).translate(_QUOTES)
    text = re.sub(r"\s+", "", text)
    return fold_variants(to_simplified(text))


def split_lines(poem: str, at_pauses: bool = False) -> tuple[list[str], list[str]]:
    """'床前明月光，疑是地上霜。' → (['床前明月光', '疑是地上霜'], ['，', '。']).

    A trailing piece without a mark is returned as a line with the end mark ''. With `at_pauses` a ci's
    pause mark '、' ends a line too, as it ends one in the tune table.
    """
    parts = (_LINE_SPLIT_AT_PAUSES if at_pauses else _LINE_SPLIT).split(poem)
    lines, ends = [], []
    for i in range(0, len(parts), 2):
        text = parts[i]
        end = parts[i + 1] if i + 1 < len(parts) else ""
        if text or end:
            lines.append(text)
            ends.append(end)
    return lines, ends

"""Poems as text: what generate writes (couplets, lines, json), check and score read back."""
import json
from dataclasses import dataclass

import pytest

from poetry_gen.errors import PoetryGenError
from poetry_gen.poemtext import FORMATS, format_poems, parse_poems, read_poems

DENGGUANQUE = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"
DENGGAO = ("风急天高猿啸哀，渚清沙白鸟飞回。无边落木萧萧下，不尽长江滚滚来。"
           "万里悲秋常作客，百年多病独登台。艰难苦恨繁霜鬓，潦倒新停浊酒杯。")
ODD = "白日依山尽，黄河入海流。欲穷千里目。"  # a free poem of 3 lines: its last line stands alone
TWICE = "白日依山尽，白日依山尽。"  # 2 lines


@dataclass
class Written:  # what format_poems uses of generator.Poem
    text: str

    def couplets(self):
        import re

        return re.findall("[^。]*。", self.text)

    def to_dict(self):
        return {"poem": self.text, "score": -1.0}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("read_as", ["auto", "same"])
def test_what_is_written_reads_back(fmt, read_as):
    poems = [DENGGUANQUE, DENGGAO, ODD, TWICE]
    text = format_poems([Written(p) for p in poems], fmt)
    assert parse_poems(text, fmt if read_as == "same" else "auto") == poems


def test_couplets_are_one_couplet_per_line_and_a_blank_line_between_poems():
    text = format_poems([Written(DENGGUANQUE), Written(ODD)], "couplets")
    assert text == "白日依山尽，黄河入海流。\n欲穷千里目，更上一层楼。\n\n白日依山尽，黄河入海流。\n欲穷千里目。\n"


def test_one_poem_per_line_reads_as_before(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text(f"{DENGGUANQUE}\n\n  \n{TWICE}\n{DENGGAO}\n", encoding="utf-8")
    assert read_poems(path) == [DENGGUANQUE, TWICE, DENGGAO]


def test_adjacent_two_line_poems_need_the_lines_format():
    text = f"{TWICE}\n{TWICE}\n"
    assert parse_poems(text) == [TWICE + TWICE]  # auto: one couplet per line joins
    assert parse_poems(text, "lines") == [TWICE, TWICE]


def test_json_lines_take_the_poem_field():
    text = "\n".join(json.dumps({"poem": p, "form": None}, ensure_ascii=False) for p in (DENGGUANQUE, TWICE))
    assert parse_poems(text) == [DENGGUANQUE, TWICE]


@pytest.mark.parametrize("fmt", ["auto", "lines", "json"])
def test_a_byte_order_mark_is_not_read_as_text(tmp_path, fmt):
    """Windows editors start UTF-8 files with U+FEFF; it would otherwise be the first poem's first character."""
    body = json.dumps({"poem": DENGGUANQUE}, ensure_ascii=False) if fmt == "json" else DENGGUANQUE
    path = tmp_path / "p.txt"
    path.write_bytes("\ufeff".encode() + body.encode() + b"\n")
    assert read_poems(path, fmt) == [DENGGUANQUE]


@pytest.mark.parametrize("content,fmt,message", [
    (b"", "auto", "no poems"),
    (b"\n \n", "auto", "no poems"),
    (f"{DENGGUANQUE}\nhello\n".encode(), "auto", ":2: no Chinese characters"),
    ("白日".encode("utf-16"), "auto", "not UTF-8"),
    (b'{"poem": "\xe7\x99\xbd\xe6\x97\xa5"}\n{"text": "x"}\n', "auto", ':2: a JSON object with the poem'),
    (b'{"poem": \n', "json", ":1: not a JSON object"),
])
def test_bad_files_are_one_clear_line(tmp_path, content, fmt, message):
    path = tmp_path / "p.txt"
    path.write_bytes(content)
    with pytest.raises(PoetryGenError, match=message) as err:
        read_poems(path, fmt)
    assert "\n" not in str(err.value)


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(PoetryGenError, match="no such file"):
        read_poems(tmp_path / "missing.txt")
    with pytest.raises(PoetryGenError, match="cannot read"):
        read_poems(tmp_path)

import pytest

from conftest import TANG_POEMS
from poetry_gen import text


def test_to_simplified_and_back():
    assert text.to_simplified("牀前明月光，舉頭望明月") == "床前明月光，举头望明月"
    assert text.to_traditional("举头望明月") == "舉頭望明月"


def test_half_width_punctuation_becomes_full_width():
    assert text.normalize_punctuation("a,b.c?d!e;f:g(h)、") == "a，b。c？d！e；f：g（h），"


def test_the_pause_mark_is_kept_only_when_asked():
    assert text.normalize("浪淘盡、千古風流人物") == "浪淘尽，千古风流人物"
    assert text.normalize("浪淘盡、千古風流人物, 故壘", keep_pauses=True) == "浪淘尽、千古风流人物，故垒"


def test_notes_are_removed_non_greedily():
    # A greedy pattern would delete from the first '（' to the last '）', verse between them included.
    assert text.strip_notes("白日依山尽（一作：白日）黄河入海流（一作：黄河）") == "白日依山尽黄河入海流"


@pytest.mark.parametrize("note", ["（注）", "《书名》", "{一作}", "[校]", "〖题〗", "（外（内）外）"])
def test_each_kind_of_note_is_removed(note):
    assert text.strip_notes(f"春眠{note}不觉晓") == "春眠不觉晓"


def test_normalize_converts_cleans_and_drops_spaces_and_quotes():
    raw = "松下問童子, 「言師採藥去。」\n只在此山中(一作:山裏)，雲深不知處［注］｛校｝。"
    assert text.normalize(raw) == "松下问童子，言师采药去。只在此山中，云深不知处。"


def test_normalize_gives_every_fixture_poem_its_known_clean_text():
    for poem in TANG_POEMS:
        if poem.clean is not None:
            assert text.normalize("".join(poem.paragraphs)) == poem.clean, poem.title


@pytest.mark.parametrize("ch, expected", [("中", True), ("㐀", True), ("𠀀", True), ("a", False), ("，", False),
                                          ("□", False), ("1", False), ("\ue829", False)])
def test_is_hanzi(ch, expected):
    assert text.is_hanzi(ch) is expected


def test_split_lines():
    assert text.split_lines("床前明月光，疑是地上霜。") == (["床前明月光", "疑是地上霜"], ["，", "。"])
    assert text.split_lines("晚来天欲雪，能饮一杯无？") == (["晚来天欲雪", "能饮一杯无"], ["，", "？"])
    assert text.split_lines("春眠不觉晓，处处") == (["春眠不觉晓", "处处"], ["，", ""])
    assert text.split_lines("") == ([], [])


def test_variant_glyphs_become_their_standard_form_and_gb2312_characters_stay():
    assert text.normalize("疎慙蘂毬徧猨劒鴈") == "疏惭蕊球遍猿剑雁"
    assert text.normalize("乾坤") == "乾坤"  # a standard character itself (GB 2312), not 干
    # standard characters GB 2312 lacks (通用规范汉字表) stay too: they were folded into other words' characters
    assert text.normalize("郊坰 神祇 齊抃舞 錦襜褕 巉巖") == "郊坰神祇齐抃舞锦襜褕巉岩"
    assert len(text.general_standard_chars()) == 8105


def test_folding_text_of_gb2312_alone_needs_no_variant_table():
    # Exact because the table folds only characters outside GB 2312 (its keys), into characters of it.
    table = text.variant_table()
    assert not any(text.encodes(chr(src), "gb2312") for src in table) and all(text.encodes(chr(to), "gb2312") for to in table.values())
    text.variant_table.cache_clear()
    assert text.fold_variants("春风，abc") == "春风，abc" and text.fold_variants("") == ""
    assert text.variant_table.cache_info().currsize == 0
    assert text.fold_variants("疎") == "疏" and text.variant_table.cache_info().currsize == 1

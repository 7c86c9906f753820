import json

import pytest

from poetry_gen.errors import PoetryGenError
from poetry_gen.tunes import Tune, ci_lines, derive_aliases, derive_tunes, load_aliases, load_tunes, tune_named, write_tunes

# Four 浣溪沙 (晏殊 ×2, 苏轼, 秦观) and one ci of another shape filed under the same tune.
HUANXISHA = [
    "一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回。无可奈何花落去，似曾相识燕归来。小园香径独徘徊。",
    "山下兰芽短浸溪，松间沙路净无泥。萧萧暮雨子规啼。谁道人生无再少，门前流水尚能西。休将白发唱黄鸡。",
    "漠漠轻寒上小楼，晓阴无赖似穷秋。淡烟流水画屏幽。自在飞花轻似梦，无边丝雨细如愁。宝帘闲挂小银钩。",
    "一向年光有限身，等闲离别易消魂。酒筵歌席莫辞频。满目山河空念远，落花风雨更伤春。不如怜取眼前人。",
    "昨夜雨疏风骤，浓睡不消残酒。试问卷帘人，却道海棠依旧。知否，知否，应是绿肥红瘦。",
]
RUMENGLING = [  # 李清照 ×2, 秦观, 苏轼: 6 6 5 6 2 2 6, one 片
    "昨夜雨疏风骤，浓睡不消残酒。试问卷帘人，却道海棠依旧。知否，知否，应是绿肥红瘦。",
    "常记溪亭日暮，沉醉不知归路。兴尽晚回舟，误入藕花深处。争渡，争渡，惊起一滩鸥鹭。",
    "遥夜沉沉如水，风紧驿亭深闭。梦破鼠窥灯，霜送晓寒侵被。无寐，无寐，门外马嘶人起。",
    "水垢何曾相受，细看两俱无有。寄语揩背人，尽日劳君挥肘。轻手，轻手，居士本来无垢。",
]


def test_ci_lines():
    assert ci_lines("曳一缕、轻烟缥缈。") == [("曳一缕", "、"), ("轻烟缥缈", "。")]
    assert ci_lines("春早。柳丝") is None  # a piece without a mark
    assert ci_lines("春早abc。") is None and ci_lines("") is None


def test_derives_the_shape_rhymes_and_tones_of_a_tune():
    (tune,) = derive_tunes([("浣溪沙", text) for text in HUANXISHA], min_ci=3)
    assert (tune.name, tune.ci, tune.shape_ci) == ("浣溪沙", 5, 4)  # the 如梦令 is not of the shape
    assert tune.shape == (7,) * 6 and [l.mark for l in tune.lines] == list("，。。，。。")
    assert [l.rhyme for l in tune.lines] == ["a", "a", "a", None, "a", "a"] and tune.rhymes == {"a": "平"}
    assert tune.stanza_lines == (3, 3)
    # Every one of the four has 仄 at line 1's 2nd character (曲 下 漠 向) and 平 at its end.
    assert tune.lines[0].tones[1] == "仄" and tune.lines[0].tones[-1] == "平"
    assert set("".join(l.tones for l in tune.lines)) <= set("平仄中")


def test_a_single_stanza_tune_and_the_threshold():
    (tune,) = derive_tunes([("如梦令", text) for text in RUMENGLING], min_ci=4)
    assert tune.shape == (6, 6, 5, 6, 2, 2, 6) and tune.stanza_lines == (7,)
    assert [l.rhyme for l in tune.lines] == ["a", "a", None, "a", "a", "a", "a"] and tune.rhymes == {"a": "仄"}
    assert derive_tunes([("如梦令", text) for text in RUMENGLING], min_ci=5) == []
    assert [l.repeats for l in tune.lines] == [False] * 5 + [True, False]  # 知否，知否 in all four


def test_a_line_is_a_repeat_when_half_the_ci_repeat_it():
    broken = [text.replace("知否，知否", "知否，知么").replace("争渡，争渡", "争渡，归渡").replace("无寐，无寐", "无寐，难寐")
              for text in RUMENGLING]  # the first three no longer repeat their 5th line
    (half,) = derive_tunes([("如梦令", text) for text in broken[:2] + RUMENGLING[2:]], min_ci=4)
    assert [l.repeats for l in half.lines] == [False] * 5 + [True, False]  # 2 of 4 repeat
    (few,) = derive_tunes([("如梦令", text) for text in broken], min_ci=4)
    assert not any(l.repeats for l in few.lines)  # 1 of 4


def test_write_and_load_round_trip(tmp_path):
    tunes = derive_tunes([("如梦令", t) for t in RUMENGLING] + [("浣溪沙", t) for t in HUANXISHA[:4]], min_ci=4)
    path = write_tunes(tmp_path / "tunes.json", tunes, "test", 4)
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert (raw["format"], raw["min_ci"], [t["name"] for t in raw["tunes"]]) == (1, 4, ["如梦令", "浣溪沙"])
    assert list(load_tunes(path).values()) == tunes
    # "repeats" is written only where a line is a 叠句 (如梦令's 6th line)
    assert [["repeats" in line for line in t["lines"]] for t in raw["tunes"]] == [[False] * 5 + [True, False], [False] * 6]


def test_aliases_are_the_other_names_of_the_table_tunes(tmp_path):
    resolved = {"望江南・忆江南": "望江南", "忆江南・梦江南": "梦江南", "醉落魄・一斛珠": "一斛珠",
                "怨春风・一斛珠": "一斛珠", "甲・乙": "甲", "□□□・如梦令": "如梦令", "丙・如梦令": "如梦令",
                "丙・浣溪沙": "浣溪沙", "浣溪沙・如梦令": "如梦令"}
    aliases = derive_aliases(resolved, ["望江南", "一斛珠", "如梦令", "浣溪沙"])
    # 梦江南 and 甲 are no table tunes; 丙 pairs with two; 浣溪沙 is a tune itself; □□□ is no name
    assert aliases == {"忆江南": "望江南", "醉落魄": "一斛珠", "怨春风": "一斛珠"}
    tunes = derive_tunes([("如梦令", t) for t in RUMENGLING], min_ci=4)
    path = write_tunes(tmp_path / "tunes.json", tunes, "test", 4, {"忆如梦": "如梦令"})
    assert load_aliases(path) == {"忆如梦": "如梦令"}
    assert tune_named("忆如梦", path) is tune_named("如梦令", path) is load_tunes(path)["如梦令"]
    assert tune_named("浣溪沙", path) is None
    bad = tmp_path / "bad.json"  # another file: a table is read once per path
    bad.write_text(path.read_text(encoding="utf-8").replace('"如梦令"}', '"浣溪沙"}'), encoding="utf-8")
    with pytest.raises(PoetryGenError, match="aliases name tunes it lacks"):
        load_tunes(bad)


def test_the_shipped_table_knows_the_usual_other_names():
    assert {name: tune_named(name).name for name in ("一剪梅", "忆江南", "金缕曲", "凤栖梧")} == {
        "一剪梅": "一翦梅", "忆江南": "望江南", "金缕曲": "贺新郎", "凤栖梧": "蝶恋花"}


def test_a_broken_table_is_one_error(tmp_path):
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(PoetryGenError, match="cannot read the tune table"):
        load_tunes(tmp_path / "bad.json")


# The shipped table against the main forms of 钦定词谱 (checked by hand, see README): line lengths,
# the lines that rhyme, the rhyme's tone, and the 片.
STANDARD = {
    "浣溪沙": ((7, 7, 7, 7, 7, 7), (1, 2, 3, 5, 6), "平", (3, 3)),
    "如梦令": ((6, 6, 5, 6, 2, 2, 6), (1, 2, 4, 5, 6, 7), "仄", (7,)),
    "蝶恋花": ((7, 4, 5, 7, 7) * 2, (1, 3, 4, 5, 6, 8, 9, 10), "仄", (5, 5)),
    "念奴娇": ((4, 5, 4, 7, 6, 4, 4, 5, 4, 6, 6, 4, 5, 7, 6, 4, 4, 5, 4, 6), (3, 5, 8, 10, 13, 15, 18, 20), "仄", (10, 10)),
}


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_shipped_table_matches_the_standard_forms(name):
    shape, rhymed, tone, stanzas = STANDARD[name]
    tune = load_tunes()[name]
    assert isinstance(tune, Tune) and tune.ci >= 50
    assert tune.shape == shape and tune.stanza_lines == stanzas
    assert tuple(i + 1 for i, l in enumerate(tune.lines) if l.rhyme) == rhymed and set(tune.rhymes.values()) == {tone}


def test_shipped_shuidiaogetou_agrees_with_the_standard_but_for_one_comma():
    # 钦定词谱: 5 5 6 5 6 6 5 5 5 | 3 3 3 4 7 6 6 5 5 5, 平 rhymes after 2 4 7 9 | 12 14 17 19 (lines),
    # that is after characters 10 21 38 48 | 57 68 85 95. The corpus commas the 下片's 4 + 7 as 6 + 5.
    tune = load_tunes()["水调歌头"]
    ends = [sum(tune.shape[:i + 1]) for i in range(len(tune.lines))]
    assert tune.chars == 95 and tune.stanza_lines == (9, 10) and tune.rhymes == {"a": "平"}
    assert [e for e, l in zip(ends, tune.lines) if l.rhyme] == [10, 21, 38, 48, 57, 68, 85, 95]
    assert tune.shape[:12] == (5, 5, 6, 5, 6, 6, 5, 5, 5, 3, 3, 3) and tune.shape[14:] == (6, 6, 5, 5, 5)


def test_shipped_table_covers_the_common_tunes():
    tunes = load_tunes()
    assert len(tunes) >= 60 and all(t.ci >= 50 for t in tunes.values())
    assert tunes["菩萨蛮"].rhymes == {"a": "仄", "b": "平", "c": "仄", "d": "平"}  # it changes rhyme
    for tune in tunes.values():
        assert sum(tune.stanza_lines) == len(tune.lines) and all(len(l.tones) == l.chars for l in tune.lines)
        assert {l.rhyme for l in tune.lines} - {None} == set(tune.rhymes)


def test_shipped_table_has_the_rumengling_repeat_and_no_other():
    repeats = {(name, i + 1) for name, tune in load_tunes().items() for i, line in enumerate(tune.lines) if line.repeats}
    assert repeats == {("如梦令", 6)}

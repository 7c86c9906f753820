import pytest

from poetry_gen import cilin, prosody
from poetry_gen.cilin import Section, numeral, rhyme_together, sections, shared_sections, tongya_sections


@pytest.mark.parametrize("ch,number,kind", [
    ("东", 1, "平"), ("冬", 1, "平"), ("梦", 1, "上去"),  # 东 冬 merge; 梦 (送) is their 去声
    ("江", 2, "平"), ("光", 2, "平"), ("想", 2, "上去"),  # 江 阳 merge
    ("梅", 3, "平"), ("回", 3, "平"), ("来", 5, "平"), ("开", 5, "平"),  # 灰 split: -ui to 3, -ai to 5
    ("街", 5, "平"), ("怪", 5, "上去"), ("话", 10, "上去"), ("花", 10, "平"),  # 佳/卦 split, 麻
    ("门", 6, "平"), ("魂", 6, "平"), ("元", 7, "平"), ("天", 7, "平"), ("寒", 7, "平"),  # 元 split
    ("萧", 8, "平"), ("歌", 9, "平"), ("青", 11, "平"), ("酒", 12, "上去"), ("心", 13, "平"), ("南", 14, "平"),
    ("竹", 15, "入"), ("药", 16, "入"), ("急", 17, "入"), ("壁", 17, "入"), ("雪", 18, "入"), ("月", 18, "入"),
    ("杰", 18, "入"), ("合", 19, "入"),
])
def test_known_sections(ch, number, kind):
    assert Section(number, kind) in sections(ch)


def test_split_groups_send_a_character_to_one_half():
    assert {s.number for s in sections("梅")} == {3} and {s.number for s in sections("来")} == {5}
    assert {s.number for s in sections("魂")} == {6} and {s.number for s in sections("元")} == {7}


def test_every_pingshui_group_is_in_a_section():
    groups = set(prosody.PING_GROUPS) | set(prosody.ENTERING_GROUPS) | prosody._ze_groups()
    assert len(groups) == 106 and set(cilin._group_sections()) == groups
    split = {g for g, found in cilin._group_sections().items() if len(found) > 1}
    assert split == set("灰贿队泰佳卦元阮愿")
    assert {s.number for s in cilin.group_sections("元")} == {6, 7} and cilin.group_sections("东") == {cilin.Section(1, "平")}


def test_ci_rhymes_in_one_section_where_pingshui_groups_differ():
    # 苏轼《水调歌头》: 天 年 (先) 寒 (寒) 间 (删) 眠 圆 全 娟 (先): four groups of 平水韵, one 部.
    rhymes = "天年寒间眠圆全娟"
    assert not frozenset.intersection(*(prosody.rhyme_groups(ch) for ch in rhymes))
    assert shared_sections(rhymes) == {Section(7, "平")} and rhyme_together(rhymes, "平")
    assert not rhyme_together(rhymes, "仄")
    # 李清照《如梦令》: 骤 酒 旧 有 瘦 (有/宥: 上 and 去 rhyme together in 部 12).
    assert shared_sections("骤酒旧有瘦") == {Section(12, "上去")}
    # 岳飞《满江红》: 歇 烈 月 切 雪 灭 缺 血 阙 (入声, 部 18).
    assert shared_sections("歇烈月切雪灭缺血阙", "仄") == {Section(18, "入")}


def test_rhymes_that_do_not_go_together():
    assert not rhyme_together("天门")  # 7 and 6
    assert not rhyme_together("东冻")  # 平 and 去 of 部 1 are different rhymes
    assert not rhyme_together("雪竹")  # 18 and 15
    assert not rhyme_together("天x") and not rhyme_together("")


def test_names():
    assert [numeral(n) for n in (1, 10, 14, 19)] == ["一", "十", "十四", "十九"]
    assert str(Section(14, "平")) == "第十四部平" and Section(18, "入").tone == "仄" and Section(2, "上去").tone == "仄"


def test_tongya_pairs_hold_what_one_section_does_not():
    # 晏殊《浣溪沙》: 杯 回 徊 (部 3) 台 来 (部 5): one 平水韵 group, 灰, split by 戈载.
    assert shared_sections("杯台回来徊", "平") == frozenset()
    assert tongya_sections("杯台回来徊", "平") == (Section(3, "平"), Section(5, "平"))
    assert tongya_sections("杯台回来徊", "仄") == ()
    assert tongya_sections("尘人醒春身") == (Section(6, "平"), Section(11, "平"))  # -n with -ng
    assert tongya_sections("天年寒") == ()  # one 部 already: no pair needed
    assert tongya_sections("东花") == () and tongya_sections("絮异", "仄") == ()  # 1|10 and 3|4 are no pair

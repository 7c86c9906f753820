import json

import pytest

from poetry_gen import prosody
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.forms import FORMS
from poetry_gen.prosody import PING_GROUPS, check_poem, rhyme_groups, templates, tones
from poetry_gen.text import to_simplified

# Real poems whose analysis is textbook: (poem, form, rhyme group, line 1 rhymes, template).
REGULATED = [
    ("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", "五绝", "尤", False, "仄起首句不入韵"),  # 登鹳雀楼
    ("两个黄鹂鸣翠柳，一行白鹭上青天。窗含西岭千秋雪，门泊东吴万里船。", "七绝", "先", False, "仄起首句不入韵"),
    ("秦时明月汉时关，万里长征人未还。但使龙城飞将在，不教胡马度阴山。", "七绝", "删", True, "平起首句入韵"),
    ("国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。",
     "五律", "侵", False, "仄起首句不入韵"),  # 春望
    ("戍鼓断人行，边秋一雁声。露从今夜白，月是故乡明。有弟皆分散，无家问死生。寄书长不达，况乃未休兵。",
     "五律", "庚", True, "仄起首句入韵"),  # 月夜忆舍弟
    ("丞相祠堂何处寻，锦官城外柏森森。映阶碧草自春色，隔叶黄鹂空好音。三顾频烦天下计，两朝开济老臣心。"
     "出师未捷身先死，长使英雄泪满襟。", "七律", "侵", True, "仄起首句入韵"),  # 蜀相 (先: the table's 先 list lacks it)
]
DENGGUANQUE = REGULATED[0][0]


@pytest.mark.parametrize("poem,form,group,first,name", REGULATED)
def test_regulated_poems_fit(poem, form, group, first, name):
    check = check_poem(poem)
    assert (check.form, check.rhymes, check.first_line_rhymes) == (form, True, first)
    assert group in check.rhyme_groups
    assert check.template.name == name and check.fits_template and check.breaks == []


@pytest.mark.parametrize("poem,group", [
    ("空山不见人，但闻人语响。返景入深林，复照青苔上。", "养"),  # 鹿柴: 仄韵 古绝
    ("千山鸟飞绝，万径人踪灭。孤舟蓑笠翁，独钓寒江雪。", "屑"),  # 江雪
    ("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。", "筱"),  # 春晓
])
def test_oblique_rhymes_are_found_but_not_regulated(poem, group):
    check = check_poem(poem)
    assert check.form == "五绝" and not check.rhymes and check.rhyme_groups == (group,)
    assert not check.fits_template


def test_jingyesi_breaks_where_it_should():
    # 静夜思 rhymes in 阳 from line 1 on, but 是地上 (4th: 上 仄) and 举头 (2nd: 头 平) break the pattern.
    check = check_poem("床前明月光，疑是地上霜。举头望明月，低头思故乡。")
    assert check.rhymes and check.first_line_rhymes and check.rhyme_groups[0] == "阳"
    assert check.template.name == "平起首句入韵" and check.breaks == [(2, 4), (3, 2)]


def test_broken_rhyme_word():
    check = check_poem(DENGGUANQUE.replace("楼", "台"))  # 台 is in 灰, 流 in 尤
    assert not check.rhymes and check.rhyme_groups == ()
    assert check.fits_template  # the tones still fit: rhyme and tones are checked apart


def test_broken_tone_at_position_two():
    check = check_poem(DENGGUANQUE.replace("白日", "白云"))  # 云 平 where 仄 is required
    assert check.rhymes and check.template.name == "仄起首句不入韵"
    assert check.breaks == [(1, 2)] and check.lines[0].breaks == (2,)


def test_input_is_normalised():
    traditional = "白日依山盡,黃河入海流.欲窮千里目,更上一層樓."
    assert check_poem(traditional) == check_poem(DENGGUANQUE)


@pytest.mark.parametrize("poem,form", [
    ("红豆生南国，春来发几枝。愿君多采撷，此物最相思。", "五绝"),
    ("绿蚁新醅酒，红泥小火炉。晚来天欲雪，能饮一杯无？", "五绝"),  # a line may end in '？'
    ("慈母手中线，游子身上衣。临行密密缝，意恐迟迟归。谁言寸草心，报得三春晖。", None),  # 6 lines
    ("前不见古人，后不见来者。念天地之悠悠，独怆然而涕下。", None),  # uneven lines
    ("白日依山尽，黄河入海流。欲穷千里目，更上一层楼", None),  # last line without a mark
    ("白日依山尽", None),
])
def test_form(poem, form):
    check = check_poem(poem)
    assert check.form == form
    assert (check.template is None) == (form is None)


@pytest.mark.parametrize("text,message", [
    ("", "empty poem"), ("  \n", "empty poem"), ("hello, world.", "no Chinese"), ("，。", "no Chinese"),
])
def test_bad_poems(text, message):
    with pytest.raises(PoetryGenError, match=message):
        check_poem(text)


# --- the table ------------------------------------------------------------------------------------

@pytest.mark.parametrize("ch,expected", [
    ("东", {"平"}), ("東", {"平"}), ("天", {"平"}), ("月", {"仄"}),
    ("国", {"仄"}), ("白", {"仄"}), ("十", {"仄"}), ("竹", {"仄"}),  # 入声: modern tone 2, still 仄
    ("看", {"平", "仄"}), ("思", {"平", "仄"}), ("先", {"平", "仄"}),
    ("啼", {"平"}), ("迹", {"仄"}), ("疎", {"平", "仄"}),  # completed: absent from the package's table
    ("a", set()), ("，", set()),
])
def test_tones(ch, expected):
    assert tones(ch) == expected


@pytest.mark.parametrize("ch,expected", [
    ("东", {"东"}), ("冬", {"冬"}), ("阳", {"阳"}), ("陽", {"阳"}), ("楼", {"尤"}), ("先", {"先", "霰"}),
    ("晓", {"筱"}), ("啼", {"齐"}), ("炉", {"虞"}), ("a", set()),
])
def test_rhyme_groups(ch, expected):
    assert rhyme_groups(ch) == expected


def test_fallback_to_modern_tones_is_marked():
    reading = prosody.lookup("这")  # not in the 平水韵 table
    assert reading.source == "fallback" and reading.tones == {"仄"} and not reading.groups
    check = check_poem("这山依山尽，黄河入海流。欲穷千里目，更上一层楼。")
    assert check.lines[0].fallback == "这"
    assert "not in the 平水韵 table" in prosody.format_check(check)


def test_ping_groups_match_the_table():
    raw = json.loads(prosody._table_path().read_text(encoding="utf-8"))
    heads = [key[-1] for part in raw["ping"].values() for key in part]
    assert PING_GROUPS == tuple(to_simplified("".join(heads)))
    table = prosody._table()
    assert {g for _, groups in table.values() for g in groups} >= set(PING_GROUPS)
    assert all(table[g][0] >= {"平"} and g in table[g][1] for g in PING_GROUPS)  # every head in its group


def test_completions_point_into_the_table():
    raw = json.loads(prosody._table_path().read_text(encoding="utf-8"))
    in_package = {ch for t in raw.values() for part in t.values() for strings in part.values()
                  for s in strings for ch in s}
    assert all(standard in in_package for standard in prosody._VARIANTS.values())
    assert not set(prosody._VARIANTS) & in_package and not set(prosody._EXTRA) & in_package
    names = {g for _, groups in prosody._table().values() for g in groups}
    assert all(set(groups) <= names for groups in prosody._EXTRA.values())


@pytest.mark.parametrize("name,expected", [("阳", "阳"), ("陽", "阳"), ("阳韵", "阳"), (" 东 ", "东"), ("蕭", "萧")])
def test_validate_rhyme_group(name, expected):
    assert prosody.validate_rhyme_group(name) == expected
    assert expected in PING_GROUPS


@pytest.mark.parametrize("name", ["", "董", "屋", "x", "东冬"])
def test_validate_rhyme_group_rejects(name):
    with pytest.raises(PoetryGenError, match="rhyme group"):
        prosody.validate_rhyme_group(name)


# --- templates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", list(FORMS))
def test_templates_follow_the_rules(form):
    shape = FORMS[form]
    found = templates(form)
    assert len({t.name for t in found}) == 4
    key = [1, 3] if shape.chars == 5 else [1, 3, 5]
    for t in found:
        assert len(t.lines) == shape.lines and all(len(line) == shape.chars for line in t.lines)
        for line in t.lines:
            assert all(line[p] == "中" for p in range(shape.chars - 1) if p not in key)  # 一三五不论
            assert all(line[a] != line[b] for a, b in zip(key, key[1:]))  # 2, 4, 6 alternate
        for i in range(1, shape.lines):
            same = t.lines[i][1] == t.lines[i - 1][1]
            assert same == (i % 2 == 0)  # 对 within a couplet, 粘 across
        assert all(t.lines[i][-1] == ("平" if i in t.rhymes else "仄") for i in range(shape.lines))
        assert set(t.rhymes) - {0} == set(range(1, shape.lines, 2))
        assert t.name.startswith(t.lines[0][1] + "起") and (0 in t.rhymes) == ("不入" not in t.name)
        if shape.lines == 8:  # the second quatrain is the unrhymed variant of the first
            unrhymed = next(u for u in found if u.name == t.name.replace("首句入韵", "首句不入韵"))
            assert t.lines[4:] == unrhymed.lines[:4]


def test_template_lines_and_rhymes():
    t = next(t for t in templates("五绝") if t.name == "仄起首句入韵")
    assert t.lines == ("中仄中平平", "中平中仄平", "中平中仄仄", "中仄中平平") and t.rhymes == (0, 1, 3)
    seven = next(t for t in templates(FORMS["七绝"]) if t.name == "平起首句入韵")
    assert seven.lines[0] == "中平中仄中平平"  # 平平仄仄仄平平


@pytest.mark.parametrize("form", ["七古", "", "五言"])
def test_templates_unknown_form(form):
    with pytest.raises(PoetryGenError, match="no tone templates"):
        templates(form)


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_check(capsys):
    assert main(["check", DENGGUANQUE]) == 0
    out = capsys.readouterr().out
    assert "form: 五绝" in out and "template: 仄起首句不入韵, fits" in out
    assert "even lines share 尤; line 1 does not join" in out


def test_cli_check_file_json(tmp_path, capsys):
    path = tmp_path / "poems.txt"
    path.write_text(f"{DENGGUANQUE}\n\n{DENGGUANQUE.replace('白日', '白云')}\n", encoding="utf-8")
    assert main(["check", "--file", str(path), "--json"]) == 1  # the second poem breaks its template
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["fits_template"] for r in rows] == [True, False]
    assert [r["follows_rules"] for r in rows] == [True, False]
    assert rows[1]["breaks"] == [[1, 2]] and rows[0]["lines"][0]["tones"] == "仄仄平平仄"


@pytest.mark.parametrize("argv,message", [
    (["check", ""], "empty poem"),
    (["check", "abc"], "no Chinese characters"),
    (["check", "--file", "missing.txt"], "no such file"),
])
def test_cli_check_errors(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error:") and message in err and err.count("\n") == 1


# --- polyphones read by their word ----------------------------------------------------------------

@pytest.mark.parametrize("line,position,mark", [
    ("一夜相思", 3, "平"),  # 相思: si1
    ("三更月色半人家", 1, "平"),  # 三更: geng1
    ("海天愁思正茫茫", 3, "中"),  # 愁思 reads si1 today, sì (仄, the noun) in verse: a known misreading
    ("夜深更漏长", 2, "中"),  # 更 stands alone in pypinyin's cut: nothing decides
    ("浑欲不胜簪", 3, "中"),  # 不胜 reads sheng4 today, shēng (平) in Tang verse: a 4th tone decides nothing
])
def test_polyphones_are_read_by_their_word(line, position, mark):
    assert prosody.tone_mark(prosody.tones(line[position])) == "中"  # the table alone gives both tones
    assert prosody.tone_mark(prosody.line_tones(line)[position]) == mark


def test_a_misread_word_does_not_break_a_famous_poem():
    # 柳宗元《登柳州城楼》: read by pypinyin's word, 愁思's 思 would be 平 where the template asks 仄.
    check = check_poem("城上高楼接大荒，海天愁思正茫茫。惊风乱飐芙蓉水，密雨斜侵薜荔墙。"
                       "岭树重遮千里目，江流曲似九回肠。共来百越文身地，犹自音书滞一乡。")
    assert check.lines[1].breaks == ()


def test_a_word_reading_can_break_the_template():
    # 相思 ends line 3 of 红豆 where 仄 is asked: read by the table alone, 思 (中) would fit.
    check = check_poem("红豆生南国，春来发几枝。此物最相思，愿君多采撷。")
    assert check.lines[2].tones.endswith("平平") and 5 in check.lines[2].breaks


# --- classical faults -----------------------------------------------------------------------------

@pytest.mark.parametrize("poem", [poem for poem, *_ in REGULATED] + [
    "红豆生南国，春来发几枝。愿君多采撷，此物最相思。",  # 相思 (平) rhymes in 支
    # 平平仄平仄 (仄仄平平仄平仄) for 平平平仄仄: 开轩面场圃, 移舟泊烟渚, 羌笛何须怨杨柳
    "移舟泊烟渚，日暮客愁新。野旷天低树，江清月近人。",
    "黄河远上白云间，一片孤城万仞山。羌笛何须怨杨柳，春风不度玉门关。",
])
def test_known_good_tang_poems_keep_the_rules(poem):
    check = check_poem(poem)
    assert check.faults == [] and check.follows_rules


@pytest.mark.parametrize("line,pattern,index,faults", [
    ("更上高层楼", "中仄中平平", 3, ("三平尾",)),  # 高层楼: 平平平
    ("更上一层楼", "中仄中平平", 3, ()),
    ("白河入海流", "中平中仄平", 1, ("孤平",)),  # 仄平仄仄平: 河 the only 平 besides the rhyme
    ("白河千海流", "中平中仄平", 1, ()),  # 仄平平仄平: rescued by 千
    ("黄河入海流", "中平中仄平", 1, ()),
    ("长使壮雄泪满襟", "中仄中平中仄平", 7, ("孤平",)),  # the last five: 仄平仄仄平
    ("长使壮雄悲满襟", "中仄中平中仄平", 7, ()),  # 仄仄仄平平仄平: rescued
    ("长使英雄泪满襟", "中仄中平中仄平", 7, ()),  # 蜀相
    ("恨别鸟惊心", "中平中仄平", 1, ()),  # 仄仄仄平平 where 平平仄仄平 belongs: it breaks, but is not 孤平
    ("感时花溅心", "中平中仄仄", 2, ("出句平收",)),  # an odd line ending 平
    ("床前明月光", "中平中仄平", 0, ()),  # line 1 may rhyme
])
def test_line_faults(line, pattern, index, faults):
    assert prosody.line_faults(prosody.line_tones(line), pattern, index) == faults


def test_faults_of_a_poem_and_the_exit_status(capsys):
    bad = DENGGUANQUE.replace("更上一层楼", "更上高层楼").replace("黄河", "白河")
    check = check_poem(bad)
    assert check.faults == [(2, "孤平"), (4, "三平尾")] and check.fits_template and check.rhymes
    assert check.follows_rules is False
    assert main(["check", bad]) == 1
    out = capsys.readouterr().out
    assert "孤平" in out and "三平尾" in out and "rules of the 五绝: broken" in out
    assert main(["check", "--json", bad]) == 1
    row = json.loads(capsys.readouterr().out)
    assert row["faults"] == [[2, "孤平"], [4, "三平尾"]] and row["lines"][3]["faults"] == ["三平尾"]
    assert row["follows_rules"] is False


def test_an_odd_line_ending_in_ping_in_a_lushi():
    poem = REGULATED[3][0].replace("感时花溅泪", "感时花溅心")  # 春望, line 3 now ends 平
    check = check_poem(poem)
    assert (3, "出句平收") in check.faults and not check.follows_rules


SHANXING = "远上寒山石径斜，白云生处有人家。停车坐爱枫林晚，霜叶红于二月花。"  # 杜牧《山行》, 麻


def test_a_first_line_rhyming_outside_the_group_is_a_fault():
    assert check_poem(SHANXING).follows_rules
    check = check_poem(SHANXING.replace("石径斜", "石径凉"))  # 凉: 阳, no neighbour of 麻
    assert check.faults == [(1, "首句出韵")] and check.fits_template and not check.follows_rules
    assert check_poem(SHANXING.replace("石径斜", "石径长")).faults == []  # 长 may be 仄 (zhǎng): no rhyme asked


def test_a_first_line_may_borrow_a_neighbouring_rhyme():
    # 林逋《山园小梅》: 妍 is 先, the poem rhymes in 元; 先 and 元's -an half are one 词林正韵 部 (首句借邻韵).
    check = check_poem("众芳摇落独暄妍，占尽风情向小园。疏影横斜水清浅，暗香浮动月黄昏。"
                       "霜禽欲下先偷眼，粉蝶如知合断魂。幸有微吟可相狎，不须檀板共金尊。")
    assert check.rhyme_groups == ("元",) and not check.first_line_rhymes
    assert check.faults == [] and check.follows_rules


def test_poems_outside_the_forms_have_no_rules_to_break(capsys):
    poem = "慈母手中线，游子身上衣。临行密密缝，意恐迟迟归。谁言寸草心，报得三春晖。"
    assert check_poem(poem).follows_rules is None
    assert main(["check", poem]) == 0


def test_the_variant_line_needs_its_first_ping():
    # 开轩面场圃 (平平仄平仄) fits the 平平平仄仄 line; 故人具鸡黍 (仄平仄平仄) does not: its 1st must be 平
    check = check_poem("故人具鸡黍，邀我至田家。绿树村边合，青山郭外斜。开轩面场圃，把酒话桑麻。待到重阳日，还来就菊花。")
    assert [line.breaks for line in check.lines][::4] == [(4,), ()]

"""Couplets: the 上联 checked, its 下联 written under the hard rules (by any model), `check` of a couplet."""
import json
import warnings

import pytest

from poetry_gen.cli import main
from poetry_gen.couplet import (Shape, as_couplet, check_couplet, line_shape, plan_couplet, read_couplet,
                                repeat_breaks)
from poetry_gen.errors import PoetryGenError
from poetry_gen.prosody import PING, line_tones


@pytest.mark.parametrize("text, first, shape", [
    ("春回大地千山秀", "春回大地千山秀", Shape((7,))),
    ("春回大地千山秀，", "春回大地千山秀", Shape((7,))),
    ("風聲、雨聲、讀書聲", "风声雨声读书声", Shape((2, 2, 3), ("、", "、"))),
    ("一元复始,万象更新 。", "一元复始万象更新", Shape((4, 4), ("，",))),
    ("春回大地千山秀．", "春回大地千山秀", Shape((7,))),  # the full-width full stop is an end mark too
])
def test_a_first_line_is_read_with_its_pauses(text, first, shape):
    plan = plan_couplet(text)
    assert (plan.first, plan.shape) == (first, shape)


@pytest.mark.parametrize("text, message", [
    ("春回", "4 to 11 characters, not 2"),
    ("春回大地千山秀万户人家万象新", "not 14"),
    ("春回大地，，千山秀", "two marks in a row"),
    ("春回大地。千山秀", "not 。"),
    ("春回大地abc", "not a b c"),
    ("春回(大地)千山秀", "not （ ）"),  # brackets would hold a note, dropped unseen
    ("春回《大地》千山秀", "not 《 》"),
    ("", "empty"),
])
def test_a_bad_first_line_is_refused_in_one_line(text, message):
    with pytest.raises(PoetryGenError, match=message):
        plan_couplet(text)


def test_a_first_line_ending_ping_warns_and_strict_refuses_it():
    assert plan_couplet("春回大地千山秀").warnings == ()
    assert "平" in plan_couplet("明月照高楼").warnings[0]
    with pytest.raises(PoetryGenError, match="ends in 楼, a 平 tone"):
        plan_couplet("明月照高楼", strict=True)


def test_key_positions_are_each_segments_even_characters_and_its_last():
    assert Shape((7,)).key_positions() == (1, 3, 5, 6)
    assert Shape((5,)).key_positions() == (1, 3, 4)
    assert Shape((2, 2, 3), ("、", "、")).key_positions() == (1, 3, 5, 6)
    assert Shape((4, 4), ("，",)).key_positions() == (1, 3, 5, 7)


def test_the_second_lines_tones_oppose_the_first_at_the_key_positions_and_end_ping():
    plan = plan_couplet("海阔凭鱼跃")  # 仄仄平平仄
    assert plan.second_tones == "中平中仄平"
    assert plan_couplet("春回大地千山秀").second_tones[-1] == PING


def test_mirrored_repeats():
    assert plan_couplet("风声雨声读书声").echoes() == {3: 1, 6: 1}
    assert repeat_breaks("风声雨声读书声", "家事国事天下事") == ()
    assert repeat_breaks("年年岁岁花相似", "岁岁年年人不同") == ()  # both repeat 年 and 岁 alike
    assert repeat_breaks("海阔凭鱼跃", "天高任鸟飞") == ()
    assert repeat_breaks("海阔凭鱼跃", "天高任鱼飞") == (4,)  # 鱼 of the 上联
    assert repeat_breaks("海阔凭鱼跃", "天天任鸟飞") == (2,)  # a repeat the 上联 does not make
    assert repeat_breaks("风声雨声读书声", "家事国事天下书") == (7,)  # one the 下联 does not mirror


def test_check_of_real_couplets():
    check = check_couplet("海阔凭鱼跃", "天高任鸟飞")
    assert check.follows_rules and check.tone_breaks == () and check.key_positions == (2, 4, 5)
    assert len(check.parallelism.positions) == 5 and check.parallelism.score > 0.5 and check.pairing > 0
    broken = check_couplet("海阔凭鱼跃", "天高任鸟翔飞")
    assert broken.hard["length"] is False and broken.parallelism is None and not broken.follows_rules
    assert check_couplet("海阔凭鱼跃", "山高任鸟落").hard["ends"] is False  # 落 is 仄 (入声)
    assert check_couplet("海阔凭鱼跃", "天广任鸟飞").tone_breaks == (2,)  # 阔 and 广 both 仄
    assert check_couplet("风声、雨声、读书声", "家事，国事，天下事").hard["marks"] is False


@pytest.mark.parametrize("text, lines", [
    ("海阔凭鱼跃，天高任鸟飞。", ("海阔凭鱼跃", "天高任鸟飞")),
    ("风声、雨声、读书声声入耳，家事、国事、天下事事关心。", ("风声、雨声、读书声声入耳", "家事、国事、天下事事关心")),
    ("一元复始，万象更新，春回大地，福满人间。", ("一元复始，万象更新", "春回大地，福满人间")),
    ("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。", None),
    ("白日依山尽，黄河入海流", None),
    ("上联：春风得意马蹄疾；下联：秋月无边人影长。", ("春风得意马蹄疾", "秋月无边人影长")),
    ("上联，一元复始，万象更新；下联，春回大地，福满人间。", ("一元复始，万象更新", "春回大地，福满人间")),
    ("上联: 海阔凭鱼跃\n下联: 天高任鸟飞", ("海阔凭鱼跃", "天高任鸟飞")),
    ("上联易出下联难对，好句常来妙语稀。", ("上联易出下联难对", "好句常来妙语稀")),  # words, not labels
    ("abc，def。", None),  # two lines, but not of Chinese characters
    ("春风abc，秋月def。", None),
])
def test_a_couplet_is_two_lines_whose_only_period_ends_them(text, lines):
    assert read_couplet(text) == lines


def test_line_shape_keeps_the_pause_mark():
    assert line_shape("家事、國事") == ("家事国事", Shape((2, 2), ("、",)))


def test_check_reports_a_couplet_and_exits_1_on_a_broken_hard_rule(capsys):
    assert main(["check", "海阔凭鱼跃，天高任鸟飞。"]) == 0
    out = capsys.readouterr().out
    assert "form: 对联" in out and "对仗: " in out and "rules of the 对联: kept" in out
    assert main(["check", "--json", "海阔凭鱼跃，天高任鱼飞。"]) == 1
    row = json.loads(capsys.readouterr().out)
    assert row["repeats"] == [4] and row["hard"]["repeats"] is False and len(row["parallelism"]["positions"]) == 5
    assert main(["check", "海阔凭鱼跃，天高任鸟翔飞。"]) == 1
    assert "must be the same" in capsys.readouterr().out
    assert main(["check", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"]) == 0  # a poem, checked as before
    assert "form: 五绝" in capsys.readouterr().out
    assert as_couplet("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。") is None


# --- writing ----------------------------------------------------------------------------------------

# the last ends on a character it repeats, so the 下联's last character copies an earlier one of its own, which
# must then be the 平 one
FIRST_LINES = ["明月松间照", "舍南舍北皆春水", "晴川历历汉阳树", "锦瑟无端五十弦", "孤山寺北贾亭西", "事事关心天下事"]


@pytest.mark.parametrize("first", FIRST_LINES)
def test_every_candidate_keeps_the_hard_rules_even_from_a_random_model(gen, first):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 弦 and 西 end 平
        couplets = gen.couplet(first, num=16, candidates=16, seed=3, temperature=1.5)
    assert len(couplets) == 16
    for couplet in couplets:
        up, down = couplet.lines
        assert up == first and len(down) == len(first) and couplet.text == f"{up}，{down}。"
        assert line_tones(down)[-1] == {PING}, down
        assert not set(down) & set(first), down
        assert [first.index(c) for c in first] == [down.index(c) for c in down], down  # mirrored repeats
        assert couplet.form == "对联" and couplet.couplet.hard["repeats"] and couplet.couplet.ends[1]
    totals = [c.judgement["total"] for c in couplets]
    assert totals == sorted(totals, reverse=True)
    assert {"parallelism", "rule_breaks", "coherence"} <= set(couplets[0].judgement)


@pytest.mark.parametrize("first", ["明月、清风、松间照", "千山，万径，历历树"])
def test_a_first_line_with_pauses_is_answered_in_its_shape(gen, first):
    plan = plan_couplet(first)
    for couplet in gen.couplet(first, num=8, seed=4, temperature=1.5):
        up, down = couplet.lines
        assert up == first and couplet.text == f"{up}，{down}。"
        assert line_shape(down)[1] == plan.shape, down  # '、' kept though the model knows only '，'
        assert couplet.couplet.hard == {"length": True, "marks": True, "ends": True, "repeats": True}
        assert as_couplet(couplet.text).follows_rules


def test_a_first_line_ending_ping_warns_in_python(gen):
    with pytest.warns(UserWarning, match="ends in 弦, a 平 tone"):
        gen.couplet("锦瑟无端五十弦", seed=1)
    with pytest.raises(PoetryGenError, match="a 平 tone"):
        gen.couplet("锦瑟无端五十弦", strict=True)


@pytest.mark.parametrize("option", [dict(must_include="月"), dict(plan=["春", "风"]), dict(expand_plan=True)])
def test_options_a_couplet_has_no_place_for_are_refused_not_ignored(gen, option):
    with pytest.raises(PoetryGenError, match=f"a couplet takes no {next(iter(option))}"):
        gen.couplet("明月松间照", seed=1, **option)


def test_a_couplet_is_not_revised_as_a_two_line_poem(gen):
    couplet = gen.couplet("明月松间照", seed=1, candidates=2)[0]
    with pytest.raises(PoetryGenError, match="a couplet is not revised line by line"):
        gen.revise(couplet, line=2)


def test_the_same_seed_writes_the_same_couplets(gen):
    assert [c.text for c in gen.couplet("明月松间照", num=4, seed=7)] == [
        c.text for c in gen.couplet("明月松间照", num=4, seed=7)]


def test_strict_tones_oppose_every_key_position_where_the_first_line_is_certain(gen):
    for couplet in gen.couplet("巴山楚水凄凉地", num=8, seed=2, tones="strict", temperature=1.5):
        assert couplet.couplet.tone_breaks == ()


def test_couplet_command(checkpoint, capsys):
    assert main(["couplet", "明月松间照", "--checkpoint", str(checkpoint), "--num", "3", "--seed", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("明月松间照，") and line.endswith("。") for line in lines)
    assert main(["couplet", "明月松间照", "--checkpoint", str(checkpoint), "--json", "--seed", "1"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["form"] == "对联" and len(row["couplet"]["parallelism"]["positions"]) == 5
    assert main(["couplet", "锦瑟无端五十弦", "--checkpoint", str(checkpoint), "--seed", "1"]) == 0
    assert "warning: the 上联 ends in 弦" in capsys.readouterr().err
    assert main(["couplet", "锦瑟无端五十弦", "--strict", "--checkpoint", "no-such-model.pt"]) == 2
    err = capsys.readouterr().err
    assert "a 平 tone" in err and len(err.strip().splitlines()) == 1  # refused before the model loads

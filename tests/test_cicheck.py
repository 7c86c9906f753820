import json

import pytest

from poetry_gen.cicheck import CiCheck, check, check_ci, format_ci_check, is_ci
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.prosody import PoemCheck
from poetry_gen.scorecard import score_ci
from poetry_gen.tunes import load_tunes

from test_tunes import HUANXISHA, RUMENGLING

# 苏轼, punctuated as usual today: the 下片's 不应有恨，何事长向别时圆 is 4 + 7 where the table has 6 + 5.
SHUIDIAO = ("明月几时有？把酒问青天。不知天上宫阙，今夕是何年。我欲乘风归去，又恐琼楼玉宇，高处不胜寒。"
            "起舞弄清影，何似在人间。转朱阁，低绮户，照无眠。不应有恨，何事长向别时圆？人有悲欢离合，"
            "月有阴晴圆缺，此事古难全。但愿人长久，千里共婵娟。")
RUMENG = RUMENGLING[0]  # 李清照: 骤 酒 旧 否 否 瘦, 部 12 上去
DENGGUANQUE = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"


def as_tune_marks(text, name):
    """The text with the tune's marks (same characters), so that every line is as the tune has it."""
    chars = "".join(ch for ch in text if ch not in "，。？！；：、")
    out, start = [], 0
    for line in load_tunes()[name].lines:
        out.append(chars[start:start + line.chars] + line.mark)
        start += line.chars
    return "".join(out)


def test_a_tune_is_recognised_by_length_and_rhymes_whatever_the_commas():
    result = check_ci(SHUIDIAO)
    assert result.tune == "水调歌头" and result.shape and not result.lines_as_tune
    (rhyme,) = result.rhyme_sets
    assert rhyme.chars == "天年寒间眠圆全娟" and [str(s) for s in rhyme.sections] == ["第七部平"]
    assert rhyme.groups == ()  # 先 寒 删: no one 平水韵 group
    assert result.rhymes and result.follows_rules and result.fixed == result.agreeing + len(result.breaks)


def test_lines_and_marks_as_the_tune():
    result = check_ci(as_tune_marks(RUMENG, "如梦令"))
    assert result.tune == "如梦令" and result.lines_as_tune and result.follows_rules
    assert [line.rhyme for line in result.lines] == ["a", "a", None, "a", "a", "a", "a"]


def test_a_rhyme_out_of_its_section_breaks_the_rules():
    result = check_ci(RUMENG.replace("残酒", "残花"))  # 花: 部 10 平
    assert result.shape and not result.rhymes and not result.follows_rules
    assert not result.rhyme_sets[0].in_one_section


def test_a_rhyme_the_table_once_lacked_keeps_the_rules():
    # 李清照《点绛唇》: 嗅 (宥, 部 12 去) ends it; without it in the table the rhyme set broke.
    result = check_ci("蹴罢秋千，起来慵整纤纤手。露浓花瘦，薄汗轻衣透。见客入来，袜刬金钗溜。和羞走，倚门回首，却把青梅嗅。",
                      "点绛唇")
    assert result.rhymes and result.follows_rules


def test_a_rhyme_of_the_other_tone_is_named():
    # 李清照《声声慢》 rhymes 入 (部 17) where the table's prevailing 声声慢 rhymes 平.
    text = ("寻寻觅觅，冷冷清清，凄凄惨惨戚戚。乍暖还寒时候，最难将息。三杯两盏淡酒，怎敌他、晚来风急！雁过也，正伤心，"
            "却是旧时相识。满地黄花堆积，憔悴损，如今有谁堪摘？守着窗儿，独自怎生得黑！梧桐更兼细雨，到黄昏、点点滴滴。"
            "这次第，怎一个、愁字了得！")
    result = check_ci(text, "声声慢")
    assert not result.rhymes
    assert "in 第十七部入, but the 声声慢 rhymes 平 here" in format_ci_check(result)


def test_a_tongya_rhyme_keeps_the_rules(capsys):
    result = check_ci(HUANXISHA[0])  # 晏殊: 杯 台 回 来 徊, 灰 split between 部 3 and 5
    (rhyme,) = result.rhyme_sets
    assert not rhyme.in_one_section and [str(s) for s in rhyme.tongya] == ["第三部平", "第五部平"]
    assert rhyme.rhymes and result.rhymes and result.follows_rules
    assert main(["check", HUANXISHA[0], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)["rhyme_sets"][0]
    assert (shown["in_one_section"], shown["tongya"], shown["rhymes"]) == (False, ["第三部平", "第五部平"], True)
    assert main(["check", HUANXISHA[0]]) == 0 and "通押 第三部平+第五部平" in capsys.readouterr().out


def test_a_tone_against_the_pattern_is_a_break():
    pattern = load_tunes()["如梦令"].lines[4].tones
    assert pattern == "平仄"  # 知否: 平仄 in at least 80% of the 如梦令 the table comes from
    result = check_ci(RUMENG.replace("知否，知否", "玉否，知否"))  # 玉: 仄 only
    assert (5, 1) in result.breaks and result.follows_rules  # tones are reported, not ruled


def test_a_named_tune_of_another_shape():
    result = check_ci(HUANXISHA[0], "如梦令")
    assert not result.shape and result.rhyme_sets == () and not result.follows_rules


def test_shi_stays_shi():
    assert isinstance(check(DENGGUANQUE), PoemCheck) and isinstance(check(DENGGUANQUE, "五绝"), PoemCheck)
    assert isinstance(check(SHUIDIAO), CiCheck) and isinstance(check(DENGGUANQUE, "浣溪沙"), CiCheck)
    assert not is_ci(DENGGUANQUE) and is_ci(SHUIDIAO) and not is_ci("白日依山尽，白日依山尽。")


@pytest.mark.parametrize("text,form,message", [
    (RUMENG, "浣溪", "unknown tune"),
    ("abc。", "如梦令", "not a ci"),
    ("春风。", None, "no tune of the table has the shape"),
])
def test_errors(text, form, message):
    with pytest.raises(PoetryGenError, match=message):
        check_ci(text, form)


def test_cli_check(capsys):
    assert main(["check", SHUIDIAO]) == 0
    out = capsys.readouterr().out
    assert "tune: 水调歌头" in out and "第七部平" in out and "rules of the 水调歌头: kept" in out
    assert main(["check", RUMENG.replace("残酒", "残花"), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["rhymes"] is False
    assert main(["check", DENGGUANQUE, "--form", "浣溪沙"]) == 1
    assert main(["check", RUMENG, "--form", "浣溪"]) == 2
    assert "unknown tune" in capsys.readouterr().err


def test_score_ci():
    card = score_ci([SHUIDIAO, RUMENG.replace("残酒", "残花"), as_tune_marks(RUMENG, "如梦令"), HUANXISHA[0]])
    assert (card.ci, card.lines_as_tune, card.shape) == (4, 1, 4)
    assert card.tunes == {"如梦令": 2, "水调歌头": 1, "浣溪沙": 1}
    # 水调歌头 yes, broken 如梦令 no, 如梦令 yes; 晏殊's 杯 台 回 来 徊 split between 部 3 and 5 (灰):
    # no one 部, but a 通押 pair.
    assert (card.rhyme_sets, card.sets_in_one_section, card.ci_in_one_section) == (4, 2, 2)
    assert (card.sets_rhyming, card.ci_rhyming) == (3, 3)
    assert card.rates()["ci_tongya_rhyme_rate"] == 0.75 and card.rates()["ci_all_rhymes_tongya_rate"] == 0.75
    # 平水韵: only 浣溪沙's (all 灰); 如梦令's 酒 is 上声 有, 骤 去声 宥, two groups.
    assert card.sets_in_one_group == 1 and card.ci_in_one_group == 1
    assert card.rates()["ci_tone_rate"] == pytest.approx(card.agreeing / card.fixed) and card.agreeing <= card.fixed


def test_cli_score_keeps_shi_and_ci_apart(tmp_path, capsys):
    path = tmp_path / "poems.txt"
    path.write_text("\n".join([DENGGUANQUE, SHUIDIAO, RUMENG]) + "\n", encoding="utf-8")
    assert main(["score", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["poems"] == 1 and result["ci"]["counts"]["ci"] == 2
    assert main(["score", str(path), "--form", "如梦令"]) == 0
    assert capsys.readouterr().out.startswith("3 ci (如梦令 3)")


def test_cli_corpus_tunes(tmp_path, capsys):
    data = tmp_path / "corpus"
    data.mkdir()
    poems = HUANXISHA[:4] + RUMENGLING + [DENGGUANQUE]
    tags = [{"collection": "songci", "genre": "ci", "form": "浣溪沙"}] * 4 + \
        [{"collection": "songci", "genre": "ci", "form": "如梦令"}] * 4 + [{"collection": "tang", "genre": "shi", "form": "五绝"}]
    (data / "train.txt").write_text("\n".join(poems) + "\n", encoding="utf-8")
    (data / "train.tags.json").write_text(json.dumps(tags, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "tunes.json"
    assert main(["corpus", "tunes", str(data), "--out", str(out), "--min-ci", "4"]) == 0
    assert "2 tunes of at least 4 train ci, 8 of the 8 ci" in capsys.readouterr().out
    assert list(load_tunes(out)) == ["如梦令", "浣溪沙"]
    assert main(["corpus", "tunes", str(data), "--out", str(out), "--min-ci", "0"]) == 2
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["corpus", "tunes", str(data), "--out", str(out), "--min-ci", "5"]) == 2  # no tune has 5
    assert "no tune has 5 train ci or more" in capsys.readouterr().err and out.read_bytes() == before


def test_a_pause_mark_ends_a_line_of_the_tune():
    # 岳飞《满江红》: 凭栏处、潇潇雨歇 — the table's lines end at '、' too, so the ci keeps its marks.
    manjianghong = ("怒发冲冠，凭栏处、潇潇雨歇。抬望眼、仰天长啸，壮怀激烈。三十功名尘与土，八千里路云和月。"
                    "莫等闲、白了少年头，空悲切。靖康耻，犹未雪。臣子恨，何时灭。驾长车、踏破贺兰山缺。"
                    "壮志饥餐胡虏肉，笑谈渴饮匈奴血。待从头、收拾旧山河，朝天阙。")
    result = check_ci(manjianghong)
    assert result.tune == "满江红" and [l.mark for l in result.lines][:3] == ["，", "、", "。"]
    assert result.rhyme_sets[0].chars == "歇烈月切雪灭缺血阙" and result.follows_rules


def test_cli_score_with_a_shi_form_scores_shi(tmp_path, capsys):
    path = tmp_path / "poems.txt"
    path.write_text("\n".join([DENGGUANQUE, SHUIDIAO]) + "\n", encoding="utf-8")
    assert main(["score", str(path), "--form", "五绝", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["poems"] == 2 and "ci" not in result
    assert main(["score", str(path), "--form", "七言"]) == 2 and "unknown tune" in capsys.readouterr().err

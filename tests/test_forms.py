import pytest

from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.forms import (CI_BOOK, COMMA, FORMS, FREE_LINES, PERIOD, Form, Line, couplet_form, detect_form, form_for,
                              tune_form)
from poetry_gen.request import plan_acrostic, plan_generate
from poetry_gen.tunes import Tune, load_tunes


def test_the_four_forms_are_regular_shapes_whose_period_lines_rhyme():
    for name, form in FORMS.items():
        assert form.name == name and form.lines in (4, 8) and form.chars in (5, 7)
        assert form.marks == [COMMA, PERIOD] * (form.lines // 2)
        assert [line.rhyme for line in form.shape] == ["a"] * 2 + [None, "a"] * (form.lines // 2 - 1)
        assert [line.may_rhyme for line in form.shape] == [True] + [False] * (form.lines - 1)
        assert len(form.templates) == 4 and form.rhymes == (("a", "平"),)


def test_slots_are_the_positions_of_the_form():
    form = Form("x", (Line(2, "、"), Line(3, "，", "a"), Line(4, "。", "a")))
    assert form.length == len(form.slots) == 12 and form.starts == (0, 3, 7)
    assert [s.mark for s in form.slots if s.mark] == ["、", "，", "。"]
    assert [(s.line, s.col) for s in form.slots if s.rhyme] == [(1, 2), (2, 3)]
    assert form.chars is None and form.describe() == "2、3，4。"


def test_odd_line_counts_end_in_a_period_and_free_forms_have_room():
    assert form_for(5, 3).marks == [COMMA, PERIOD, PERIOD] and form_for(5, 3).name is None
    free = form_for(7, None)
    assert free.free and free.lines is None and len(free.shape) == FREE_LINES[1] and free.chars == 7


def test_detect_form():
    assert detect_form(["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"], list("，。，。")) == "五绝"
    assert detect_form(["床前明月光", "疑是地上霜", "举头望明月", "低头思故乡"], list("。。，。")) is None
    assert detect_form(["床前明月光", "疑是地上霜"], list("，。")) is None


def test_a_couplet_form_mirrors_the_first_line_and_ends_in_a_hard_ping():
    form = couplet_form((2, 2, 3, 4), ("、", "、", "，"))
    assert form.marks == ["、", "、", "，", "，", "、", "、", "，", "。"]
    assert [line.chars for line in form.shape] == [2, 2, 3, 4] * 2 and form.rhymes == ()
    assert [(s.line, s.col, s.hard_tone) for s in form.slots if s.hard_tone] == [(7, 3, "平")]
    assert form.split("风声雨声读书声声声入耳" * 2)[:4] == ["风声", "雨声", "读书声", "声声入耳"]
    assert couplet_form((7,), ()).describe() == "7，7。"


def test_a_tune_row_becomes_a_form():
    row = {"name": "菩萨蛮", "ci": 585, "stanza_lines": [2, 2], "rhymes": {"a": "仄", "b": "平"},
           "lines": [{"chars": 7, "mark": "。", "tones": "中平中仄平平仄", "rhyme": "a"},
                     {"chars": 7, "mark": "、", "tones": "中平中仄平平仄", "rhyme": "a"},
                     {"chars": 5, "mark": "，", "tones": "中仄仄平平", "rhyme": None},
                     {"chars": 5, "mark": "。", "tones": "中平中仄平", "rhyme": "b"}]}
    form = tune_form(Tune.from_dict(row))
    assert (form.name, form.genre, form.book, form.stanzas) == ("菩萨蛮", "ci", CI_BOOK, (2, 2))
    assert form.marks == ["。", "、", "，", "。"] and form.rhymes == (("a", "仄"), ("b", "平"))
    assert [(line.rhyme, line.may_rhyme) for line in form.shape] == [("a", False), ("a", False), (None, False),
                                                                    ("b", False)]
    assert form.templates[0].lines == tuple(line["tones"] for line in row["lines"])
    assert form.describe() == "7。7、 | 5，5。" and form.lines == 4 and form.chars is None
    assert form.echoes == {} and form.head_lines == (0, 1, 2, 3)


def test_a_repeated_line_echoes_the_line_before():
    form = tune_form(load_tunes()["如梦令"])  # 6 6 5 6 2 2 6: the 6th line is the 5th again (争渡，争渡)
    assert [line.repeats for line in form.shape] == [False] * 5 + [True, False]
    fifth, sixth = form.starts[4], form.starts[5]
    assert form.echoes == {sixth: fifth, sixth + 1: fifth + 1} and form.head_lines == (0, 1, 2, 3, 4, 6)
    assert FORMS["七律"].echoes == {} and FORMS["七律"].head_lines == tuple(range(8))
    given = "常记溪亭日暮。沉醉不知归路。兴尽晚回舟，误入藕花深处。争渡。"
    assert plan_generate(start=given + "争", form="如梦令").given[-1] == "争"
    with pytest.raises(PoetryGenError, match="line 6 of a 如梦令 repeats line 5"):
        plan_generate(start=given + "归", form="如梦令")


def test_the_forms_command_lists_forms_and_tunes(capsys):
    assert main(["forms"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [row[0] for row in rows[:4]] == list(FORMS)
    assert {row[0] for row in rows} >= set(load_tunes()) and all(row[1] in ("shi", "ci") for row in rows)
    assert ["7。7。7。 | 7，7。7。"] == [row[2] for row in rows if row[0] == "浣溪沙"]


def test_a_tune_is_a_form_a_request_names():
    plan = plan_generate(start="一曲新词酒一杯。", form="浣溪沙")
    assert plan.form.name == "浣溪沙" and plan.given == ["一曲新词酒一杯"]
    assert plan_acrostic("春夏", form="浣溪沙").form.genre == "ci"
    # A ci's line may end in another mark than the table's (辛弃疾 writes 东风夜放花千树， in 青玉案, whose table has 。).
    assert plan_generate(start="一曲新词酒一杯，", form="浣溪沙").given == ["一曲新词酒一杯"]
    assert plan_generate(start="东风夜放花千树，更吹落、星如雨。", form="青玉案").form.name == "青玉案"
    with pytest.raises(PoetryGenError, match="unknown form"):
        plan_generate(start="一曲新词", form="浣溪沙x")
    assert plan_generate(form="忆江南").form.name == "望江南"  # another name of the table's tune
    with pytest.raises(PoetryGenError, match="own lengths"):
        plan_generate(form="菩萨蛮", chars=7)



@pytest.mark.parametrize("ask", [
    lambda: plan_acrostic("春夏（秋冬）"),
    lambda: plan_acrostic("春[夏]"),
    lambda: plan_acrostic("[春夏]"),
    lambda: plan_acrostic("春夏(秋冬)"),
    lambda: plan_generate(start="白日依山尽，黄河(入海)流。"),
    lambda: plan_acrostic("春夏秋冬").check_must_include("(竹)"),
], ids=["full-width", "square", "all of it", "half-width", "start text", "must-include"])
def test_text_in_brackets_is_refused_not_dropped(ask):
    """Normalising drops bracketed text as an editorial note; a request would lose characters it asks for."""
    with pytest.raises(PoetryGenError, match="text in brackets"):
        ask()

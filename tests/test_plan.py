import random

import pytest

from poetry_gen.conditioning import PLAN
from poetry_gen.errors import PoetryGenError
from poetry_gen.plan import (PlanTable, check_plan_lines, check_plan_words, plan_prefix_ids, plan_table,
                             split_plans)
from poetry_gen.text import split_lines
from poetry_gen.vocab import Vocab

TRAIN = ["床前明月光，疑是地上霜。举头望明月，低头思故乡。", "明月松间照，清泉石上流。竹喧归浣女，莲动下渔舟。",
         "春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。", "月落乌啼霜满天，江枫渔火对愁眠。姑苏城外寒山寺，夜半钟声到客船。"] * 3


def test_every_line_gets_one_keyword_of_its_own():
    plans = split_plans({"train": TRAIN, "test": ["白日依山尽，黄河入海流。"]})
    for poem, plan in zip(TRAIN + ["白日依山尽，黄河入海流。"], plans["train"] + plans["test"]):
        lines = [line for line in split_lines(poem)[0] if line]
        assert len(plan) == len(lines)
        assert all(word and word in line for word, line in zip(plan, lines))
    # 山 is the one word of line 1 in 3 train poems (寒山寺); no word of line 2 is: its rarest character
    assert plans["test"] == [["山", "黄"]]


def test_the_table_lists_words_by_count_with_their_co_occurring_words():
    plans = [["春", "江", "月"], ["江", "月", "归"], ["春", "江", "月"], ["山", "雪", "归"]] * 3
    table = PlanTable.parse(plan_table(plans))
    assert table.words[:2] == ("月", "江") or table.words[:2] == ("江", "月")
    assert table.counts[0] == 9
    assert table.neighbours["月"][0] == "江"  # always together
    assert "雪" not in table.neighbours["春"]  # never together


def test_expansion_starts_from_the_theme_and_never_repeats_a_character():
    table = PlanTable.parse(plan_table([["春风", "江", "月", "归"], ["江", "月", "春"], ["秋", "雁", "霜"]] * 4))
    plan = table.expand(["春风"], 4, random.Random(1))
    assert len(plan) == 4 and plan[0] == "春风"
    assert len("".join(plan)) == len(set("".join(plan)))  # 春 after 春风 would say it twice
    assert table.expand(["春风"], 4, random.Random(1)) == plan  # the seed decides
    assert len(table.expand([], 3, random.Random(2))) == 3  # no theme: a frequent word to begin with
    assert table.expand(["月", "江", "归", "春风", "秋"], 4, random.Random(1)) == ["月", "江", "归", "春风"]


def test_a_plan_is_read_after_its_control_token():
    vocab = Vocab.build(TRAIN, controls=[PLAN])
    assert plan_prefix_ids(["明月", "霜"], vocab) == [vocab.stoi[PLAN], *vocab.encode("明月"), vocab.sep_id,
                                                     *vocab.encode("霜"), vocab.sep_id]


@pytest.mark.parametrize("words, message", [
    ([], "a plan is a list of words"), (42, "a plan is a list of words"), (["春", 3], "a plan is a list"),
    (["春", "spring"], "a plan word is 1 to 4 Chinese characters"), (["春", ""], "a plan word"),
    (["春江花月夜"], "a plan word is 1 to 4"),
])
def test_a_bad_plan_is_refused(words, message):
    with pytest.raises(PoetryGenError, match=message):
        check_plan_words(words)


def test_a_plan_has_one_word_per_line():
    assert check_plan_words("春 江  月 归") == ["春", "江", "月", "归"]
    check_plan_lines(["春", "江", "月", "归"], 4)
    with pytest.raises(PoetryGenError, match="the plan has 3 words, but the poem has 4 lines"):
        check_plan_lines(["春", "江", "月"], 4)
    with pytest.raises(PoetryGenError, match="needs a form with a fixed number of lines"):
        check_plan_lines(["春", "江"], None)


@pytest.mark.parametrize("text", ["garbage\x00\n{{", "春", "春 x 江", "春 0 江", "春 -3 江", "春 2.5", "春 " + "9" * 400,
                                  "春 " + "9" * 5000],
                         ids=["junk", "no count", "a word", "0", "negative", "a fraction", "past a float",
                              "past int()"])
def test_a_table_that_is_not_one_is_refused_in_one_line(text):
    # PlanTable.parse raised IndexError or ValueError; a count beyond a float's range broke expand
    with pytest.raises(PoetryGenError, match="^plan_words line 1 is not a word, its count and its neighbours: "):
        PlanTable.parse(text)


def test_a_table_may_have_blank_lines_and_words_without_neighbours():
    table = PlanTable.parse("\n春 3 江\n  \n江 2\n")
    assert table.words == ("春", "江") and table.counts == (3, 2) and table.neighbours == {"春": ["江"], "江": []}


def test_a_lines_last_character_comes_last_since_the_rhyme_chose_it():
    from poetry_gen.plan import line_keywords
    from poetry_gen.theme import pos_tagger

    counts = {"夜来": 50, "风雨": 40, "声": 3}  # 声, a noun and the rarest, ends the line: its rhyme
    assert line_keywords("夜来风雨声。", pos_tagger(), counts) == ["风雨"]
    assert line_keywords("夜来风雨声。", pos_tagger(), {"声": 3}) == ["声"]  # unless nothing else is known


def test_a_ci_pause_ends_a_plan_line_as_it_ends_a_tune_line():
    from poetry_gen.plan import line_keywords
    from poetry_gen.theme import pos_tagger
    from poetry_gen.tunes import ci_lines

    ci = "十年生死两茫茫。不思量。自难忘。千里孤坟、无处话凄凉。"
    counts = {"生死": 5, "思量": 5, "难忘": 5, "孤坟": 5, "凄凉": 5}
    assert len(line_keywords(ci, pos_tagger(), counts)) == len(ci_lines(ci)) == 5

"""checker.check: one text checked by what it is (couplet, ci, shi), for `poetry-gen check` and /api/check."""
import json

import pytest

from poetry_gen.checker import check, report
from poetry_gen.cicheck import CiCheck
from poetry_gen.cli import main
from poetry_gen.couplet import CoupletCheck
from poetry_gen.errors import PoetryGenError
from poetry_gen.prosody import PoemCheck

from test_cicheck import DENGGUANQUE, SHUIDIAO

PAIR = "两个黄鹂鸣翠柳，一行白鹭上青天。"


@pytest.mark.parametrize("text,form,kind", [
    (PAIR, None, CoupletCheck),
    (PAIR, "对联", CoupletCheck),
    (SHUIDIAO, None, CiCheck),
    (DENGGUANQUE, "浣溪沙", CiCheck),  # a named tune: checked as its ci, whatever the shape
    (DENGGUANQUE, None, PoemCheck),
    (DENGGUANQUE, "五绝", PoemCheck),
    (PAIR, "七绝", PoemCheck),  # said to be a shi: not read as a couplet
    (PAIR, "對聯", CoupletCheck),  # the name in traditional characters
    (DENGGUANQUE.replace("。", "，")[:-1] + "。", None, PoemCheck),  # commas only: a 五绝, not two halves of a couplet
    ("汴水流，泗水流，流到瓜洲古渡头，吴山点点愁，思悠悠，恨悠悠，恨到归时方始休，月明人倚楼。", None, CiCheck),  # 长相思
])
def test_a_text_is_checked_as_what_it_is_or_is_said_to_be(text, form, kind):
    assert type(check(text, form)) is kind


def test_a_couplet_named_must_be_one():
    with pytest.raises(PoetryGenError, match="not a couplet"):
        check(DENGGUANQUE, "对联")


@pytest.mark.parametrize("text,form", [(PAIR, None), (SHUIDIAO, None), (DENGGUANQUE, "浣溪沙"), (DENGGUANQUE, None)])
def test_the_cli_prints_the_checkers_report_and_json(text, form, capsys):
    named = ["--form", form] if form else []
    result = check(text, form)
    assert main(["check", text, *named]) == (0 if result.follows_rules else 1)
    assert capsys.readouterr().out == report(result) + "\n"
    main(["check", text, "--json", *named])
    assert json.loads(capsys.readouterr().out) == result.to_dict()

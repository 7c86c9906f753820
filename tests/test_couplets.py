"""benchmarks/couplets.py: the couplet evaluation, end to end on the fixture corpus with a random model."""
import json

import pytest

from benchmarks import couplets


@pytest.fixture
def rows(gen, built_corpus, monkeypatch):
    # the modern lines' characters are not all in the fixture's vocabulary: two that are, and one that is not
    monkeypatch.setattr(couplets, "modern_first_lines", lambda: ["明月松间照", "舍南舍北皆春水", "新春迎瑞气"])
    return couplets.run(gen, built_corpus, seed=1)


def test_the_tang_first_lines_are_the_test_splits_middle_couplets(built_corpus):
    assert couplets.tang_couplets(built_corpus) == [("无边落木萧萧下", "不尽长江衮衮来"),
                                                    ("万里悲秋常作客", "百年多病独登台")]  # 登高


def test_the_modern_file_holds_50_distinct_first_lines_of_5_to_9_characters_ending_ze():
    from poetry_gen.couplet import plan_couplet

    plans = [plan_couplet(line) for line in couplets.modern_first_lines()]
    assert len(plans) == len({p.first for p in plans}) == 50
    assert all(5 <= len(p.first) <= 9 and p.warnings == () for p in plans)
    assert sum(bool(p.shape.marks) for p in plans) == 8  # with pauses inside


def test_the_evaluation_measures_generated_and_real_second_lines(rows, tmp_path):
    numbers = couplets.summary(rows)
    assert numbers["tang"]["generated"]["couplets"] == 2 and numbers["modern"]["generated"]["couplets"] == 2
    assert [m["first"] for m in numbers["not_answered"]] == ["新春迎瑞气"]
    for rule in ("length", "marks", "second_ends_ping", "repeats", "all_hard_but_first_end"):
        assert numbers["all"]["generated"][rule] == 1.0
    assert numbers["tang"]["real"]["repeats"] == 1.0 and numbers["tang"]["real"]["key_positions"] == 8
    report = couplets.report(rows, numbers, 1.0, None)
    assert "萧萧下，" in report and "(real: 不尽长江衮衮来" in report


def test_the_blind_sheet_hides_which_second_line_is_real(rows):
    sheet, key = couplets.blind_sheet(rows, 5)
    lines = [line.split("\t") for line in sheet.splitlines()]
    keys = [json.loads(line) for line in key.splitlines()]
    assert len(lines) == len(keys) == 2  # all the Tang 上联 there are
    for (ident, first, a, b), k in zip(lines, keys):
        row = rows[k["row"]]
        assert first == row["first"] and int(ident) == k["id"]
        assert (a, b) == ((row["real"], row["second"]) if k["real"] == "A" else (row["second"], row["real"]))

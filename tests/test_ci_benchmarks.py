"""benchmarks/ci_shape.py and ci_scorecard.py: the scorecard of written ci beside real ones, and the pairs of
部 real rhyme sets mix (the measure behind cilin.TONGYA)."""
from benchmarks.ci_scorecard import mixed_pairs, total_card
from benchmarks.ci_shape import as_tune, written_ci
from poetry_gen.forms import tune_form
from poetry_gen.scorecard import score_ci
from poetry_gen.tunes import ci_lines, load_tunes

from test_tunes import HUANXISHA, RUMENGLING


def test_mixed_pairs_counts_the_sets_in_no_one_section():
    total, mixed, pairs = mixed_pairs({"浣溪沙": HUANXISHA[:4], "如梦令": RUMENGLING})
    # 晏殊's 杯 台 回 来 徊 is the one set in no one 部: 部 3 and 5 hold it
    assert (total, mixed) == (8, 1) and pairs == {(3, 5, "平"): 1}


def test_written_ci_are_scored_in_their_tune_with_the_pause_restored(gen):
    form = tune_form(load_tunes()["满江红"])  # its lines end in '、' too, which a model may write as '，'
    written = written_ci(gen, "满江红", 2, "soft")
    assert set(written) == {"free", "themed"} and all(len(texts) == 2 for texts in written.values())
    card = total_card([score_ci(texts, "满江红") for texts in written.values()])
    assert card.ci == 4 and card.lines_as_tune == 4 and card.sets_in_one_section == card.rhyme_sets
    poem = gen.generate(form="满江红", seed=1)[0]
    lines = ci_lines(as_tune(form, poem))
    assert [mark for _, mark in lines] == form.marks and [line for line, _ in lines] == poem.lines

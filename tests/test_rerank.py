"""The reranker: its model signals are the log-probabilities the model gives (batched, padded rows
agree with each row scored alone), its totals add the weighted signals, its weights are checked."""
import pytest
import torch

from poetry_gen.errors import PoetryGenError
from poetry_gen.forms import form_for
from poetry_gen.rerank import _token_logp, judge, model_signals, parse_weights
from poetry_gen.generator import SamplingOptions
from poetry_gen.sampler import Layout, Sample, decode


@pytest.fixture(scope="module")
def vocab(gen):
    return gen.vocab


@pytest.fixture(scope="module")
def model(gen):
    return gen.model  # small, with fixed random weights (conftest)


def logp_alone(model, row, position):
    """log p of row[position] given the tokens before it, from one unbatched forward pass."""
    with torch.no_grad():
        logits, _ = model(torch.tensor([row[:position]]))
    return logits[0, -1].log_softmax(-1)[row[position]].item()


def test_batched_padded_rows_score_as_each_row_alone(model, vocab):
    rows = [vocab.encode("春风"), vocab.encode("明月照高楼，"), vocab.encode("山")]
    rows = [[vocab.bos_id, *row] for row in rows]
    scored = [[1, 2], [2, 4, 6], [1]]
    with torch.no_grad():
        got = _token_logp(model, rows, scored)
    for row, positions, logps in zip(rows, scored, got):
        assert logps == pytest.approx([logp_alone(model, row, p) for p in positions], abs=1e-4)


def test_coherence_and_theme_are_the_log_probability_gains(gen, model, vocab):
    prompt = [*vocab.encode("月"), vocab.sep_id]
    head = [vocab.bos_id, *prompt]
    layout = Layout(form_for(5, 4), {0: vocab.stoi["春"]}, heads=frozenset({0}))
    samples = decode(model, gen.tables, layout, SamplingOptions(), num=3, prompt=prompt,
                     generator=torch.Generator().manual_seed(0))
    for sample, signals in zip(samples, model_signals(model, vocab.bos_id, prompt, samples, form_for(5, 4), theme=True,
                                                      fold=gen.tables.fold_variants)):
        ids = sample.ids
        chosen = [p for p in range(1, len(ids)) if p % 6 != 5]  # not the head, not the marks
        # the decoder's log p of each chosen character is the model's, in context, at temperature 1
        assert [sample.logps[p] for p in chosen] == pytest.approx(
            [logp_alone(model, head + ids, len(head) + p) for p in chosen], abs=1e-4)
        later = [p for p in chosen if p > 5]
        in_context = sum(sample.logps[p] for p in later)
        alone = sum(logp_alone(model, head + ids[p - p % 6:p - p % 6 + 5], len(head) + p % 6) for p in later)
        assert signals["coherence"] == pytest.approx((in_context - alone) / len(later), abs=1e-4)
        first = [p for p in chosen if ids[p] not in ids[:p]]  # a repeated character adds no theme
        without = sum(logp_alone(model, [vocab.bos_id] + ids, 1 + p) for p in first)
        assert signals["theme"] == pytest.approx((sum(sample.logps[p] for p in first) - without) / len(chosen),
                                                 abs=1e-4)


def test_a_keyword_written_twice_is_evidence_of_the_theme_once(model, vocab):
    ids = vocab.encode("明月照高楼，明月入画堂。")
    marks = (5, 11)
    sample = Sample(ids, -1.0, [float("nan") if p in marks else -1.0 for p in range(len(ids))])
    prompt = [*vocab.encode("月"), vocab.sep_id]
    (signals,) = model_signals(model, vocab.bos_id, prompt, [sample], form_for(5, 2), theme=True)
    chosen = [p for p in range(len(ids)) if p not in marks]
    first = [p for p in chosen if p not in (6, 7)]  # the second 明月 repeats the first
    without = sum(logp_alone(model, [vocab.bos_id] + ids, 1 + p) for p in first)
    assert signals["theme"] == pytest.approx((-1.0 * len(first) - without) / len(chosen), abs=1e-4)


def test_the_total_adds_the_weighted_signals(model, vocab):
    samples = [Sample(vocab.encode(text), score, [score] * 12)
               for text, score in (("明月照高楼，清风入画堂。", -3.0), ("明月明月明，清风入画堂。", -2.5))]
    weights = {"coherence": 0.5, "repetition": 4.0}
    for total, signals in judge(model, vocab, [], samples, form_for(5, 4), theme=False, weights=weights):
        assert "theme" not in signals
        assert total == pytest.approx(signals["logprob"] + 0.5 * signals["coherence"] + 4.0 * signals["repetition"])
    repetition = [signals["repetition"] for _, signals in judge(model, vocab, [], samples, form_for(5, 4), theme=False)]
    assert repetition[0] == 0.0 and repetition[1] < 0.0


def test_weights_parse_and_are_checked():
    assert parse_weights("coherence=0.5, repetition=3") == {"coherence": 0.5, "repetition": 3.0}
    assert parse_weights("") == {}
    with pytest.raises(PoetryGenError, match="no reranking signal"):
        parse_weights("beauty=1")
    with pytest.raises(PoetryGenError, match="NAME=NUMBER"):
        parse_weights("coherence")


def test_the_text_signals_read_parallelism_and_rule_breaks():
    from poetry_gen.rerank import TEXT_SIGNALS

    lushi = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
    assert 0.0 < TEXT_SIGNALS["parallelism"](lushi) < 1.0
    assert TEXT_SIGNALS["parallelism"]("白日依山尽，黄河入海流。欲穷千里目，更上一层楼。") is None  # not a 律诗
    assert TEXT_SIGNALS["rule_breaks"](lushi) == 0
    assert TEXT_SIGNALS["rule_breaks"]("白日依山尽，黄河流花开。欲穷千里目，更上一层楼。") == -1  # 三平尾 (流花开)

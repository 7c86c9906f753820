import math
import shutil

import pytest
import torch

from poetry_gen.data import load_poems
from poetry_gen.evaluate import evaluate_split, novel_mask, perplexity
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.vocab import SPECIALS, Vocab

VOCAB = Vocab(list(SPECIALS) + list("春风明月光山水，。"))


def model_for(vocab, attention="causal"):
    torch.manual_seed(0)
    return PoetryLM(ModelConfig(len(vocab), 16, 32, attention=attention)).eval()


def nll_by_steps(model, vocab, poem):
    """Reference: feed BOS + poem one step at a time, score every character and the EOS."""
    ids = [vocab.bos_id] + vocab.encode(poem) + [vocab.eos_id]
    state = model.init_state(1)
    total = 0.0
    with torch.no_grad():
        for prev, nxt in zip(ids[:-1], ids[1:]):
            logits, state = model.step(torch.tensor([prev]), state)
            total -= torch.log_softmax(logits[0], -1)[nxt].item()
    return total, len(ids) - 1


@pytest.mark.parametrize("attention", ["none", "causal"])
def test_perplexity_scores_every_character_and_the_end_token(attention):
    model = model_for(VOCAB, attention)
    poems = ["春风明月光，山水。", "明月，", "山"]
    result = perplexity(model, VOCAB, poems, batch_size=2)
    parts = [nll_by_steps(model, VOCAB, p) for p in poems]
    nll, count = sum(p[0] for p in parts), sum(p[1] for p in parts)
    assert result.chars == count == sum(len(p) + 1 for p in poems) and result.poems == 3
    assert result.nll_sum == pytest.approx(nll, rel=1e-5)
    assert result.ppl == pytest.approx(math.exp(nll / count), rel=1e-5)


def test_unknown_characters_are_counted_and_scored():
    result = perplexity(model_for(VOCAB), VOCAB, ["春雪明月，", "花"])
    assert result.unknown == 2 and result.chars == 8


def test_novel_poems_share_no_line_with_train():
    train = ["春风明月光，山水。", "白日依山尽，黄河入海流。"]
    poems = ["春风明月光，疑是地上霜。", "山水明月，春风。", "黄河入海流。", "举头望明月？"]
    assert novel_mask(poems, train).tolist() == [False, True, False, True]


def test_evaluate_split_reports_the_novel_subset(built_corpus):
    poems = load_poems(built_corpus, "test")
    model = model_for(poems.vocab)
    result = evaluate_split(model, poems.vocab, built_corpus, "test")
    whole, novel = result.whole, result.novel
    assert whole.poems == len(poems) and whole.chars == int(poems.lengths.sum()) + len(poems)
    assert 0 <= novel.poems <= whole.poems
    texts = (built_corpus / "test.txt").read_text(encoding="utf-8").splitlines()
    expected = perplexity(model, poems.vocab, texts)
    assert whole.ppl == pytest.approx(expected.ppl, rel=1e-6)


def test_a_model_of_another_vocabulary_reads_the_split_as_text(built_corpus):
    """A model trained on more poems (or with other control tokens) is tested on the same poems: the
    split's text in the model's own vocabulary."""
    from poetry_gen.corpus import load_poems as load_texts

    texts = load_texts(built_corpus, "test")
    other = Vocab.build(load_texts(built_corpus, "train")[:20], controls=["<五绝>"])
    model = model_for(other)
    whole = evaluate_split(model, other, built_corpus, "test").whole
    expected = perplexity(model, other, texts)
    assert whole.ppl == pytest.approx(expected.ppl, rel=1e-6) and whole.unknown == expected.unknown > 0


def test_fed_as_trained_reads_each_poems_plan_and_scores_the_same_tokens(built_corpus):
    from poetry_gen.evaluate import conditioned_perplexity

    poems = load_poems(built_corpus, "test")
    model = model_for(poems.vocab)
    plain = evaluate_split(model, poems.vocab, built_corpus, "test").whole
    fed = conditioned_perplexity(model, poems.vocab, built_corpus, "test", forms=True, plans=True)
    assert fed.chars == plain.chars and fed.ppl != pytest.approx(plain.ppl, rel=1e-6)
    assert conditioned_perplexity(model, poems.vocab, built_corpus, "test", forms=False, plans=False).ppl == \
        pytest.approx(plain.ppl, rel=1e-6)
    assert conditioned_perplexity(model_for(VOCAB), VOCAB, built_corpus, "test", forms=True, plans=True) is None


def test_a_model_fed_plans_is_scored_plainly_on_another_corpus_built_without_them(built_corpus, tmp_path):
    from poetry_gen.evaluate import conditioned_perplexity

    older = tmp_path / "older"
    shutil.copytree(built_corpus, older)
    (older / "test.plans.json").unlink()
    (older / "test.tags.json").unlink()
    assert conditioned_perplexity(model_for(VOCAB), VOCAB, older, "test", forms=True, plans=True) is None


def test_a_mixed_corpus_is_scored_per_collection_and_genre(poem_source, tmp_path):
    """The Tang shi of a mixed corpus score exactly as the Tang corpus's split: the same poems, encoded
    again from their text where the corpus's vocabulary is not the model's."""
    from poetry_gen.corpus import build_corpus, load_poems as load_texts, load_vocab

    build_corpus(poem_source, tmp_path / "all", collection="all", couplets=True, keywords=False, progress=False)
    build_corpus(poem_source, tmp_path / "tang", keywords=False, progress=False)
    vocab = load_vocab(tmp_path / "all")
    assert vocab.to_list() != load_vocab(tmp_path / "tang").to_list()
    model = model_for(vocab)
    mixed = evaluate_split(model, vocab, tmp_path / "all", "train")
    tang = evaluate_split(model, vocab, tmp_path / "tang", "train")
    assert not tang.groups
    assert {"tang shi", "song shi", "songci ci", "huajianji ci", "tang couplet", "shenglvqimeng couplet",
            "shi", "ci", "couplet"} <= set(mixed.groups)
    assert mixed.groups["tang shi"].ppl == pytest.approx(tang.whole.ppl, rel=1e-6)
    assert mixed.groups["tang shi"].poems == tang.whole.poems
    parts = [r for name, r in mixed.groups.items() if name.endswith(" ci")]
    assert mixed.groups["ci"].chars == sum(r.chars for r in parts)
    assert mixed.groups["ci"].nll_sum == pytest.approx(sum(r.nll_sum for r in parts))
    assert mixed.whole.poems == sum(mixed.groups[genre].poems for genre in ("shi", "ci", "couplet"))
    expected = perplexity(model, vocab, load_texts(tmp_path / "all", "train"))
    assert mixed.whole.ppl == pytest.approx(expected.ppl, rel=1e-5) and mixed.whole.chars == expected.chars


def test_an_empty_split_is_refused_not_a_nan(tmp_path):
    from poetry_gen.corpus import build_corpus
    from poetry_gen.errors import PoetryGenError

    source = tmp_path / "poems.txt"
    source.write_text("床前明月光，疑是地上霜。举头望明月，低头思故乡。\n白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n",
                      encoding="utf-8")
    build_corpus(source, tmp_path / "two", keywords=False, progress=False)
    poems = load_poems(tmp_path / "two", "train")
    assert not len(load_poems(tmp_path / "two", "test"))  # two poems, both hashed into train
    with pytest.raises(PoetryGenError, match="the test split has no poems"):
        evaluate_split(model_for(poems.vocab), poems.vocab, tmp_path / "two", "test")

from dataclasses import replace

import numpy as np
import pytest
import torch

from poetry_gen.data import Poems, eval_batches, load_poems, make_batch, padded_batch, plan_epoch, repeat_counts
from poetry_gen.model import IGNORE_INDEX
from poetry_gen.vocab import SPECIALS, Vocab

VOCAB = Vocab(list(SPECIALS) + list("春风明月光山水，。"))
PAD, BOS, EOS, SEP = VOCAB.pad_id, VOCAB.bos_id, VOCAB.eos_id, VOCAB.sep_id


def random_poems(n=500, seed=0, keywords=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.integers(len(SPECIALS), len(VOCAB), size=rng.integers(5, 80)) for _ in range(n)]
    poems = Poems.from_arrays(arrays, VOCAB)
    if keywords:
        poems.keywords = [[a[:2], a[2:3], a[3:5]] for a in arrays]
    return poems


def test_plan_is_a_function_of_seed_and_epoch_and_covers_every_poem_once():
    poems = random_poems()
    plan = plan_epoch(poems, seed=1, epoch=0, batch_size=16)
    again = plan_epoch(poems, seed=1, epoch=0, batch_size=16)
    assert all(np.array_equal(a, b) for a, b in zip(plan.batches, again.batches))
    assert sorted(np.concatenate(plan.batches).tolist()) == list(range(len(poems)))
    assert max(len(b) for b in plan.batches) == 16
    other = plan_epoch(poems, seed=1, epoch=1, batch_size=16)
    assert not all(np.array_equal(a, b) for a, b in zip(plan.batches, other.batches))


def padding_fraction(batches):
    real = sum(int((b.targets != IGNORE_INDEX).sum()) for b in batches)
    return 1 - real / sum(b.targets.numel() for b in batches)


def test_bucketing_keeps_padding_small():
    poems = random_poems(2000)
    plan = plan_epoch(poems, seed=0, epoch=0, batch_size=8)
    bucketed = [make_batch(poems, rows) for rows in plan.batches]
    shuffled = np.random.default_rng(0).permutation(len(poems))
    unsorted = [make_batch(poems, shuffled[i:i + 8]) for i in range(0, len(poems), 8)]
    assert padding_fraction(bucketed) < 0.05 < 0.25 < padding_fraction(unsorted)


def test_token_budget_caps_padded_tokens():
    poems = random_poems()
    plan = plan_epoch(poems, seed=0, epoch=0, batch_size=64, batch_tokens=400)
    for rows in plan.batches:
        batch = make_batch(poems, rows)
        assert batch.ids.numel() <= 400 or len(rows) == 1


def test_batch_layout_prefix_and_padding():
    poems = Poems.from_arrays([np.array([5, 6, 7, 8]), np.array([9])], VOCAB)
    batch = make_batch(poems, np.array([0, 1]), prefixes={1: np.array([10, SEP])})
    x = IGNORE_INDEX
    assert batch.ids.tolist() == [[BOS, 5, 6, 7, 8], [BOS, 10, SEP, 9, PAD]]
    assert batch.targets.tolist() == [[5, 6, 7, 8, EOS], [x, x, 9, EOS, x]]
    assert batch.chars == 5 and batch.scored == batch.global_scored == 7
    assert batch.ids.dtype == batch.targets.dtype == torch.int64


def test_keyword_prefixes_are_subsets_of_the_poems_keywords():
    poems = random_poems(200, keywords=True)
    plan = plan_epoch(poems, seed=3, epoch=0, batch_size=16, keyword_rate=0.5)
    assert 60 < len(plan.prefixes) < 140
    cut = 0
    for i, prefix in plan.prefixes.items():
        assert prefix[-1] == SEP
        words = [tuple(w[:-1]) for w in np.split(prefix, np.flatnonzero(prefix == SEP) + 1)[:-1]]
        stored = [tuple(kw) for kw in poems.keywords[i]]
        assert 1 <= len(words) <= 3
        # each is a stored keyword, or one character of one (the shape a mapped theme often has)
        assert all(w in stored or (len(w) == 1 and any(w[0] in kw for kw in stored)) for w in words)
        cut += sum(w not in stored for w in words)
    assert cut > 0, "some keywords are cut down to one character"
    assert plan_epoch(poems, seed=3, epoch=0, batch_size=16, keyword_rate=0.0).prefixes == {}


def test_shards_split_the_global_batch():
    poems = random_poems(50)
    rows = plan_epoch(poems, seed=0, epoch=0, batch_size=7).batches[0]
    whole = make_batch(poems, rows)
    shards = [make_batch(poems, rows, rank=r, world_size=3) for r in range(3)]
    assert sum(s.scored for s in shards) == whole.scored == shards[0].global_scored
    assert sum(s.ids.shape[0] for s in shards) == len(rows)
    assert {s.chars for s in shards} == {whole.chars}


def test_a_rank_without_rows_gets_a_row_that_counts_for_nothing():
    poems = random_poems(5)
    shard = make_batch(poems, np.array([0]), rank=1, world_size=2)
    assert shard.scored == 0 and shard.global_scored == len(poems.poem(0)) + 1


def test_eval_batches_cover_the_split_without_prefixes():
    poems = random_poems(30)
    batches = eval_batches(poems, batch_size=8)
    assert sum(b.scored for b in batches) == int(poems.lengths.sum()) + len(poems)


def test_padded_batch_is_the_classic_recipe():
    poems = random_poems(10)
    batch = padded_batch(poems, np.arange(10), length=125)
    assert batch.ids.shape == (10, 125) and batch.scored == 10 * 125
    assert batch.chars == int(poems.lengths.sum())


def test_load_poems_from_a_built_corpus(built_corpus):
    poems = load_poems(built_corpus, "train", with_keywords=True)
    assert len(poems) > 10 and len(poems.keywords) == len(poems)
    assert any(len(k) for k in poems.keywords)
    text = poems.vocab.decode(poems.poem(0).tolist())
    assert text.endswith("。")


def test_keyword_training_needs_a_corpus_with_keywords(built_corpus, tmp_path):
    import shutil

    from poetry_gen.errors import PoetryGenError

    corpus = shutil.copytree(built_corpus, tmp_path / "corpus")
    (corpus / "train.keywords.json").unlink()
    with pytest.raises(PoetryGenError, match="--keyword-rate 0"):
        load_poems(corpus, "train", with_keywords=True)
    assert len(load_poems(corpus, "train")) > 0


FORM_ID, PLAN_ID = 3, 4  # any ids: the prefix builder only copies them


def conditioned_poems(n=300):
    poems = random_poems(n, keywords=True)
    poems.forms = np.where(np.arange(n) % 3 == 0, -1, FORM_ID)  # a third of the poems have no form token
    poems.plans = [np.array([PLAN_ID, *a[:2], SEP]) for a in (poems.poem(i) for i in range(n))]
    return poems


def test_form_tokens_come_first_and_leave_the_other_draws_as_they_were():
    poems = conditioned_poems()
    without = plan_epoch(poems, seed=3, epoch=0, batch_size=16, keyword_rate=0.3, plan_rate=0.4)
    plan = plan_epoch(poems, seed=3, epoch=0, batch_size=16, keyword_rate=0.3, plan_rate=0.4, form_rate=0.5)
    with_form = [i for i, p in plan.prefixes.items() if p[0] == FORM_ID]
    assert 0.35 < len(with_form) / np.sum(poems.forms != -1) < 0.65
    assert all(poems.forms[i] == FORM_ID for i in with_form)
    for i, prefix in plan.prefixes.items():  # the rest of each prefix is what it was without form tokens
        rest = prefix[1:] if i in with_form else prefix
        assert np.array_equal(rest, without.prefixes.get(i, rest[:0]))


def test_plans_and_keywords_share_the_poems():
    poems = conditioned_poems(1000)
    plan = plan_epoch(poems, seed=1, epoch=0, batch_size=16, keyword_rate=0.3, plan_rate=0.5)
    plans = [i for i, p in plan.prefixes.items() if p[0] == PLAN_ID]
    assert 0.45 < len(plans) / len(poems) < 0.55 and 0.25 < (len(plan.prefixes) - len(plans)) / len(poems) < 0.35
    assert all(np.array_equal(plan.prefixes[i], poems.plans[i]) for i in plans)
    everything = plan_epoch(poems, seed=1, epoch=0, batch_size=16, plan_rate=1.0, form_rate=1.0)
    assert len(everything.prefixes) == len(poems)


def test_evaluation_feeds_every_poem_what_training_could():
    from poetry_gen.data import eval_prefixes

    poems = conditioned_poems(30)
    both = eval_prefixes(poems, forms=True, plans=True)
    assert len(both) == 30
    for i, prefix in both.items():
        expected = ([FORM_ID] if poems.forms[i] != -1 else []) + poems.plans[i].tolist()
        assert prefix.tolist() == expected
    assert eval_prefixes(poems, forms=False, plans=False) == {}
    batches = eval_batches(poems, prefixes=both)
    assert sum(b.scored for b in batches) == sum(b.scored for b in eval_batches(poems))  # prefixes are not scored


def test_repeats_read_each_poem_its_count_of_times_and_once_is_the_plain_plan():
    poems = random_poems(200)
    counts = np.array([1, 3] * 100)
    plan = plan_epoch(replace(poems, repeats=counts), seed=2, epoch=0, batch_size=16)
    seen = np.bincount(np.concatenate(plan.batches), minlength=200)
    assert (seen == counts).all()
    once = plan_epoch(replace(poems, repeats=np.ones(200, dtype=np.int64)), seed=2, epoch=0, batch_size=16)
    plain = plan_epoch(poems, seed=2, epoch=0, batch_size=16)
    assert [b.tolist() for b in once.batches] == [b.tolist() for b in plain.batches]


def test_repeat_counts_take_the_larger_of_collection_and_genre():
    tags = [{"collection": "tang", "genre": "shi"}, {"collection": "songci", "genre": "ci"},
            {"collection": "shenglvqimeng", "genre": "couplet"}, {"collection": "tang", "genre": "couplet"}]
    assert repeat_counts(tags, {"tang": 2, "couplet": 3}).tolist() == [2, 1, 3, 3]

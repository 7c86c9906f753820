"""The cache of what is computed once per model: hits, misses, stale and corrupt entries."""
from __future__ import annotations

import torch

from poetry_gen.cache import cached, file_stamp, key_of
from poetry_gen.constraints import VocabTables
from poetry_gen.vocab import Vocab

from test_sampler import vocab  # noqa: F401  (fixture)


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.tensor(value)}
    return compute, calls


def test_an_entry_is_computed_once_and_read_back(tmp_path):
    compute, calls = counting([1, 2, 3])
    first = cached(tmp_path, "entry", "k1", compute)
    again = cached(tmp_path, "entry", "k1", compute)
    assert len(calls) == 1 and torch.equal(first["x"], again["x"])


def test_another_key_recomputes_and_replaces_the_entry(tmp_path):
    compute, calls = counting([1])
    cached(tmp_path, "entry", "k1", compute)
    cached(tmp_path, "entry", "k2", compute)
    cached(tmp_path, "entry", "k2", compute)
    assert len(calls) == 2


def test_a_corrupt_or_foreign_entry_is_ignored_and_rewritten(tmp_path):
    compute, calls = counting(4)
    path = tmp_path / "entry.pt"
    for junk in (b"not a torch file", b"PK\x03\x04 truncated zip"):
        path.write_bytes(junk)
        assert cached(tmp_path, "entry", "k", compute)["x"].tolist() == 4
    torch.save([1, 2], path)  # loads, but is not an entry
    assert cached(tmp_path, "entry", "k", compute)["x"].tolist() == 4
    assert len(calls) == 3
    assert cached(tmp_path, "entry", "k", compute)["x"].tolist() == 4 and len(calls) == 3  # rewritten whole


def test_an_unwritable_cache_only_costs_the_computation(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory would be")
    compute, calls = counting(5)
    assert cached(blocker / "cache", "entry", "k", compute)["x"].tolist() == 5
    assert cached(None, "entry", "k", compute)["x"].tolist() == 5
    assert len(calls) == 2


def test_keys_and_stamps_tell_their_inputs_apart(tmp_path):
    assert key_of(["ab", "c"]) != key_of(["a", "bc"])
    assert key_of(["a", 1]) == key_of(["a", "1"])
    path = tmp_path / "f"
    assert file_stamp(path) == ""
    path.write_text("one")
    before = file_stamp(path)
    path.write_text("three")
    assert before and file_stamp(path) != before


def test_vocabulary_tables_read_from_the_cache_equal_computed_ones(vocab, tmp_path):  # noqa: F811
    computed = VocabTables(vocab)
    for _ in range(2):  # the first writes the cache, the second reads it
        from_cache = VocabTables(vocab, cache_dir=tmp_path)
        for name in ("is_char", "fits_ping", "fits_ze", "groups", "ping_rhyme"):
            assert torch.equal(getattr(from_cache, name), getattr(computed, name)), name
        assert from_cache.group_index == computed.group_index
    assert len(list(tmp_path.iterdir())) == 1
    other = Vocab(vocab.to_list()[:-1])  # another vocabulary has its own entry
    assert VocabTables(other, cache_dir=tmp_path).groups.shape[0] == len(vocab) - 1
    assert len(list(tmp_path.iterdir())) == 2

import pytest

from poetry_gen.vocab import BOS, EOS, PAD, SEP, SPECIALS, UNK, Vocab

POEMS = ["床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"]


def test_encode_decode_round_trip():
    vocab = Vocab.build(POEMS)
    for poem in POEMS:
        ids = vocab.encode(poem)
        assert all(i >= len(SPECIALS) for i in ids) and vocab.decode(ids) == poem


def test_special_tokens_come_first_then_characters_by_falling_frequency():
    vocab = Vocab.build(POEMS)
    assert vocab.to_list()[: len(SPECIALS)] == [PAD, BOS, EOS, UNK, SEP] == list(SPECIALS)
    chars = vocab.to_list()[len(SPECIALS):]
    assert chars[:5] == ["。", "头", "明", "月", "，"]  # twice each; ties by code point (。 U+3002 … ， U+FF0C)
    assert len(chars) == len(set("".join(POEMS)))
    assert Vocab.build(reversed(POEMS)).to_list() == vocab.to_list()  # the order of the poems does not matter
    assert Vocab(vocab.to_list()).stoi == vocab.stoi


def test_an_unknown_character_is_unk_and_shows_as_unk():
    vocab = Vocab.build(POEMS)
    ids = vocab.encode("明月照江")
    assert ids[2:] == [vocab.unk_id, vocab.unk_id] and "江" not in vocab
    assert vocab.decode(ids) == "明月<unk><unk>"


def test_structure_tokens_are_left_out_of_the_text():
    vocab = Vocab.build(POEMS)
    ids = [vocab.bos_id, *vocab.encode("明月"), vocab.sep_id, *vocab.encode("床前"), vocab.eos_id, vocab.pad_id]
    assert vocab.decode(ids) == "明月床前"


def test_min_count_drops_rare_characters():
    vocab = Vocab.build(POEMS, min_count=2)
    assert vocab.to_list()[len(SPECIALS):] == ["。", "头", "明", "月", "，"]


def test_a_list_without_the_special_tokens_first_is_refused():
    with pytest.raises(ValueError, match="special tokens"):
        Vocab(["明", "月"])

import pytest

from poetry_gen import conditioning
from poetry_gen.conditioning import NO_FORM, PLAN, control_tokens, form_ids, form_prefix
from poetry_gen.vocab import SPECIALS, Vocab

POEMS = ["床前明月光，疑是地上霜。举头望明月，低头思故乡。", "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"]


def test_control_tokens_are_the_forms_with_enough_train_poems_most_first(monkeypatch):
    monkeypatch.setattr(conditioning, "MIN_CONTROL_POEMS", 2)
    forms = ["七绝", "五绝", "七绝", None, "浣溪沙", "五绝", "七绝", "对联"]
    assert control_tokens(forms, plan=True) == ["<七绝>", "<五绝>", PLAN]
    assert control_tokens(forms, plan=False) == ["<七绝>", "<五绝>"]
    assert control_tokens([None, None], plan=False) == []


def test_controls_come_after_the_specials_and_never_show_in_text():
    vocab = Vocab.build(POEMS, controls=["<五绝>", PLAN])
    assert vocab.to_list()[:len(SPECIALS) + 2] == [*SPECIALS, "<五绝>", PLAN]
    assert vocab.controls == ["<五绝>", PLAN] and vocab.first_char_id == len(SPECIALS) + 2
    ids = [vocab.bos_id, vocab.stoi["<五绝>"], vocab.stoi[PLAN], *vocab.encode("明月"), vocab.sep_id,
           *vocab.encode(POEMS[0])]
    assert vocab.decode(ids) == "明月" + POEMS[0]
    assert Vocab(vocab.to_list()).controls == vocab.controls  # what a checkpoint stores is all it needs


def test_a_vocabulary_without_controls_is_as_before():
    vocab = Vocab.build(POEMS)
    assert vocab.controls == [] and vocab.first_char_id == len(SPECIALS)
    assert vocab.to_list()[len(SPECIALS)] == "。"


def test_form_ids_and_the_generators_prefix():
    vocab = Vocab.build(POEMS, controls=["<五绝>"])
    five = vocab.stoi["<五绝>"]
    assert form_ids(vocab, ["五绝", "七律", None]).tolist() == [five, NO_FORM, NO_FORM]
    assert form_prefix(vocab, "五绝", trained=True) == [five]
    assert form_prefix(vocab, "五绝", trained=False) == []  # the token was never fed: it would be noise
    assert form_prefix(vocab, "七律", trained=True) == []  # a form the vocabulary has no token for
    assert form_prefix(vocab, None, trained=True) == []  # a free shape


@pytest.mark.parametrize("token, control", [("<五绝>", True), ("<plan>", True), ("<", False), ("<>", False),
                                            ("月", False)])
def test_what_counts_as_a_control_token(token, control):
    from poetry_gen.vocab import is_control

    assert is_control(token) is control

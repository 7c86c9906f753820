"""Control tokens: what a poem is (its form, a ci's tune, a couplet), read before the poem.

    <bos> <七绝> 秋 <sep> 思乡 <sep> 床 前 …          a form token, then a theme's keywords (theme.py)
    <bos> <七绝> <plan> 白日 <sep> … 床 前 …         … or a plan (plan.py), or nothing

`corpus build` gives the vocabulary one control token per form label (五绝, 七律, a ci's tune, 对联 for
couplets) with at least MIN_CONTROL_POEMS train poems, and <plan>, after the special tokens (vocab.py).
Training puts a poem's form token before it for a fraction `form_rate` of the poems (config.OptimConfig),
so the model also learns poems without one and unconditioned generation keeps working. The generator
puts the form's token first when the model was trained with form tokens and its vocabulary has that
form's token, and nothing otherwise: every checkpoint trained before form tokens (v3, the model shipped
before the current one) writes the same poems as it did.
"""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Iterable, Optional

from .vocab import Vocab, control_token

if TYPE_CHECKING:
    import numpy as np

PLAN = "<plan>"  # before a plan (plan.py); a theme's keywords have none: they come in any order
MIN_CONTROL_POEMS = 50  # a label with fewer train poems teaches its token too little (the tune table's cut too)
NO_FORM = -1  # in an array of form token ids: the poem has no form token


def control_tokens(train_forms: Iterable[Optional[str]], plan: bool) -> list[str]:
    """The control tokens of a vocabulary: each form label of at least MIN_CONTROL_POEMS train poems, by
    falling count (ties by label), then <plan> when the corpus has plans."""
    counts = Counter(label for label in train_forms if label)
    labels = sorted((label for label, n in counts.items() if n >= MIN_CONTROL_POEMS), key=lambda l: (-counts[l], l))
    return [control_token(label) for label in labels] + ([PLAN] if plan else [])


def form_ids(vocab: Vocab, forms: Iterable[Optional[str]]) -> np.ndarray:
    """The id of each label's control token, NO_FORM where the vocabulary has none."""
    import numpy as np  # here, not at the top: the request checks import this module and must stay light

    return np.array([vocab.stoi.get(control_token(f), NO_FORM) if f else NO_FORM for f in forms], dtype=np.int64)


def form_prefix(vocab: Vocab, form: Optional[str], trained: bool) -> list[int]:
    """What the generator puts first: [the form's token] when the model was `trained` with form tokens
    and its vocabulary has this form's, else nothing."""
    token = control_token(form) if form else None
    return [vocab.stoi[token]] if trained and token in vocab.stoi else []

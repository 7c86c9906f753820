"""Vocabulary: the special tokens first, then the control tokens, then characters by falling train-split
frequency (ties broken by code point), so the same corpus always gives the same ids.

    <pad> <bos> <eos> <unk> <sep> │ <五绝> <七绝> <五律> <七律> <plan> │ 。 ， 不 人 山 …
    specials (always these five)  │ controls (conditioning.py)       │ characters

Control tokens are read before a poem, never written: what it is (its form or tune) and how its prefix
is laid out. A vocabulary of format 1 (built before they existed) has none.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

PAD, BOS, EOS, UNK, SEP = "<pad>", "<bos>", "<eos>", "<unk>", "<sep>"
SPECIALS = (PAD, BOS, EOS, UNK, SEP)  # SEP ends the keyword prefix of a theme-conditioned poem
IGNORE_INDEX = -100  # a target id that takes no part in the loss (prefix and padding positions)


def control_token(label: str) -> str:
    """The control token of a label: 五绝 → <五绝>."""
    return f"<{label}>"


def is_control(token: str) -> bool:
    return len(token) > 2 and token[0] == "<" and token[-1] == ">"


class Vocab:
    def __init__(self, tokens: list[str]):
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with the special tokens {SPECIALS}")
        self.itos = list(tokens)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id, self.sep_id = range(len(SPECIALS))
        controls = len(SPECIALS)
        while controls < len(tokens) and is_control(tokens[controls]):
            controls += 1
        self.first_char_id = controls  # ids below it are special or control tokens

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1, controls: Iterable[str] = ()) -> "Vocab":
        """Characters of `texts` seen at least `min_count` times, after the specials and `controls`
        (control tokens, control_token of each label)."""
        counts = Counter()
        for text in texts:
            counts.update(text)
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], ord(c)))
        return cls(list(SPECIALS) + list(controls) + chars)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, ch: str) -> bool:
        return ch in self.stoi

    @property
    def special_ids(self) -> list[int]:
        return list(range(len(SPECIALS)))

    @property
    def controls(self) -> list[str]:
        """The control tokens, in order (none in a vocabulary of format 1)."""
        return self.itos[len(SPECIALS):self.first_char_id]

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(ch, self.unk_id) for ch in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: characters as they are, <unk> shown as "<unk>" (a character the vocabulary
        lacks stood there), the other special tokens (padding, begin, end, keyword separator) and the
        control tokens left out."""
        return "".join(self.itos[i] for i in ids if i >= self.first_char_id or i == self.unk_id)

    def to_list(self) -> list[str]:
        return list(self.itos)

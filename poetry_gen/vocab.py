"""Character vocabulary: special tokens first, then characters by falling train-split frequency
(ties broken by code point), so the same corpus always gives the same ids."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

PAD, BOS, EOS, UNK, SEP = "<pad>", "<bos>", "<eos>", "<unk>", "<sep>"
SPECIALS = (PAD, BOS, EOS, UNK, SEP)  # SEP ends the keyword prefix of a theme-conditioned poem
IGNORE_INDEX = -100  # a target id that takes no part in the loss (prefix and padding positions)


class Vocab:
    def __init__(self, tokens: list[str]):
        if tuple(tokens[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary starts with the special tokens {SPECIALS}")
        self.itos = list(tokens)
        self.stoi = {tok: i for i, tok in enumerate(self.itos)}
        self.pad_id, self.bos_id, self.eos_id, self.unk_id, self.sep_id = range(len(SPECIALS))

    @classmethod
    def build(cls, texts: Iterable[str], min_count: int = 1) -> "Vocab":
        counts = Counter()
        for text in texts:
            counts.update(text)
        chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], ord(c)))
        return cls(list(SPECIALS) + chars)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, ch: str) -> bool:
        return ch in self.stoi

    @property
    def special_ids(self) -> list[int]:
        return list(range(len(SPECIALS)))

    def encode(self, text: str) -> list[int]:
        return [self.stoi.get(ch, self.unk_id) for ch in text]

    def decode(self, ids: Iterable[int]) -> str:
        """The text of `ids`: characters as they are, <unk> shown as "<unk>" (a character the vocabulary
        lacks stood there), the other special tokens (padding, begin, end, keyword separator) left out."""
        return "".join(self.itos[i] for i in ids if i >= len(SPECIALS) or i == self.unk_id)

    def to_list(self) -> list[str]:
        return list(self.itos)

"""Per-character perplexity: exp(mean negative log-likelihood) over every character of each poem and its
end token, never the begin token or padding, without keyword prefixes, form tokens or plans: so that
models trained with and without them compare. `conditioned_perplexity` feeds each poem's form token and
plan as training fed them (read, not scored), to measure what they give.

Characters outside the vocabulary are scored as the unknown token (and counted), so a poem's score
never silently skips a character.

On a built split the poems are also scored by group, one per collection and genre of its tags ("tang shi",
"song shi", "songci ci", "tang couplet", …) and one per genre, so that the Tang shi of a mixed corpus are
scored exactly as corpus/tang's test split is: the same poems (corpus.read_source's order keeps them), the
same per-character perplexity.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import torch

from .corpus import load_poems as load_texts
from .corpus import load_tags, load_vocab
from .data import Batch, Poems, eval_batches, eval_prefixes, load_poems
from .errors import PoetryGenError
from .text import split_lines
from .vocab import Vocab


@dataclass
class PerplexityResult:
    ppl: float
    chars: int  # tokens scored: each poem's characters plus its end token
    unknown: int  # characters not in the vocabulary (scored as the unknown token)
    nll_sum: float
    poems: int = 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def total(cls, parts: Iterable["PerplexityResult"]) -> "PerplexityResult":
        """One result over the poems of disjoint `parts`."""
        parts = list(parts)
        nll, count = sum(p.nll_sum for p in parts), sum(p.chars for p in parts)
        return cls(math.exp(nll / count) if count else float("nan"), count, sum(p.unknown for p in parts), nll,
                   sum(p.poems for p in parts))


@dataclass
class SplitResult:
    whole: PerplexityResult
    novel: Optional[PerplexityResult]  # the poems sharing no line with train; None without a train.txt
    groups: dict[str, PerplexityResult] = field(default_factory=dict)  # "tang shi", …, then "shi", "ci", …

    def to_dict(self) -> dict:
        groups = {name: result.to_dict() for name, result in self.groups.items()}
        return self.whole.to_dict() | ({"novel": self.novel.to_dict()} if self.novel else {}) | (
            {"groups": groups} if groups else {})


@torch.no_grad()
def batches_nll(model, batches: list[Batch], device="cpu") -> tuple[float, int]:
    """Summed NLL and number of scored targets over `batches` (model switched to eval mode)."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    count = 0
    for batch in batches:
        # the model's own loss: the output layer runs only on the scored positions
        _, loss = model(batch.ids.to(device, non_blocking=True), batch.targets.to(device, non_blocking=True))
        total += loss.double() * batch.scored
        count += batch.scored
    model.train(was_training)
    return total.item(), count


def poems_perplexity(model, poems: Poems, device="cpu", batch_size: int = 64,
                     prefixes: Optional[dict] = None) -> PerplexityResult:
    """Perplexity on `poems`, each read after its prefix in `prefixes` (none: after <bos> alone)."""
    nll, count = batches_nll(model, eval_batches(poems, batch_size, prefixes), device)
    unknown = int((poems.ids == poems.vocab.unk_id).sum())
    return PerplexityResult(math.exp(nll / count) if count else float("nan"), count, unknown, nll, len(poems))


def perplexity(model, vocab: Vocab, poems: list[str], device="cpu", batch_size: int = 64) -> PerplexityResult:
    """Perplexity of `model` on `poems` (already normalised simplified text, one string per poem)."""
    encoded = Poems.from_arrays([np.array(vocab.encode(poem), dtype=np.int64) for poem in poems], vocab)
    return poems_perplexity(model, encoded, device, batch_size)


def _lines(poem: str) -> list[str]:
    return [line for line in split_lines(poem)[0] if line]


def novel_mask(poems: list[str], train_poems: list[str]) -> np.ndarray:
    """True for the poems none of whose lines occurs as a line of any training poem."""
    seen = {line for poem in train_poems for line in _lines(poem)}
    return np.array([not any(line in seen for line in _lines(poem)) for poem in poems], dtype=bool)


def evaluate_split(model, vocab: Vocab, data_dir, split: str = "test", device="cpu") -> SplitResult:
    """Perplexity on a built split, per group of its tags (module docstring), and on its poems that share
    no line with the train split. A corpus built with another vocabulary than the model's (the model read
    more poems, or has control tokens) is read as text in the model's vocabulary (characters the model
    lacks count as unknown)."""
    poems = load_poems(data_dir, split)
    if not len(poems):  # a small corpus can have no test poem: its perplexity is not a number
        raise PoetryGenError(f"{data_dir}: the {split} split has no poems")
    if poems.vocab.to_list() != vocab.to_list():
        poems = Poems.from_arrays([np.array(vocab.encode(p), dtype=np.int64) for p in load_texts(data_dir, split)],
                                  vocab)
    labels = [_group(tags) for tags in load_tags(data_dir, split)]
    if len(labels) != len(poems):
        raise PoetryGenError(f"{data_dir}: {split}.tags.json has {len(labels):,} entries for {len(poems):,} poems")
    groups = {label: poems_perplexity(model, _subset(poems, [i for i, x in enumerate(labels) if x == label]), device)
              for label in dict.fromkeys(labels)}
    whole = PerplexityResult.total(groups.values())
    genres = {}
    for label, result in groups.items():
        genres.setdefault(label.rsplit(" ", 1)[-1], []).append(result)
    if len(groups) > 1:
        groups |= {genre: PerplexityResult.total(parts) for genre, parts in genres.items() if genre not in groups}
    else:
        groups = {}
    train_txt = Path(data_dir) / "train.txt"
    if not train_txt.is_file():
        return SplitResult(whole, None, groups)
    keep = novel_mask(load_texts(data_dir, split), load_texts(data_dir, "train"))
    return SplitResult(whole, poems_perplexity(model, _subset(poems, np.flatnonzero(keep)), device), groups)


def _group(tags: dict) -> str:
    return " ".join(filter(None, (tags.get("collection"), tags.get("genre") or "shi")))


def _subset(poems: Poems, indices) -> Poems:
    return Poems.from_arrays([poems.poem(i) for i in indices], poems.vocab)


def conditioned_perplexity(model, vocab: Vocab, data_dir, split: str = "test", device="cpu", *, forms: bool,
                           plans: bool) -> Optional[PerplexityResult]:
    """Perplexity on a built split with each poem's prefix as training fed it (data.eval_prefixes): its
    form token where the vocabulary has one (`forms`), its plan (`plans`). None for a corpus built with
    another vocabulary: only the corpus the model was trained on has its control tokens and plans."""
    if load_vocab(data_dir).to_list() != vocab.to_list():  # before reading plans, which an older build lacks
        return None
    poems = load_poems(data_dir, split, with_forms=forms, with_plans=plans)
    return poems_perplexity(model, poems, device, prefixes=eval_prefixes(poems, forms, plans))

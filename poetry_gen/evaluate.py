"""Per-character perplexity: exp(mean negative log-likelihood) over every character of each poem and its
end token, never the begin token or padding, without keyword prefixes, form tokens or plans: so that
models trained with and without them compare. `conditioned_perplexity` feeds each poem's form token and
plan as training fed them (read, not scored), to measure what they give.

Characters outside the vocabulary are scored as the unknown token (and counted), so a poem's score
never silently skips a character.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .corpus import load_poems as load_texts
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


def evaluate_split(model, vocab: Vocab, data_dir, split: str = "test", device="cpu"
                   ) -> tuple[PerplexityResult, Optional[PerplexityResult]]:
    """Perplexity on a built split, and on its poems that share no line with the train split (None when
    the corpus has no train.txt to compare with). A corpus built with another vocabulary than the model's
    (the model read more poems, or has control tokens) is read as text in the model's vocabulary."""
    poems = load_poems(data_dir, split)
    if poems.vocab.to_list() != vocab.to_list():
        poems = Poems.from_arrays([np.array(vocab.encode(p), dtype=np.int64) for p in load_texts(data_dir, split)],
                                  vocab)
    whole = poems_perplexity(model, poems, device)
    train_txt = Path(data_dir) / "train.txt"
    if not train_txt.is_file():
        return whole, None
    keep = novel_mask(load_texts(data_dir, split), load_texts(data_dir, "train"))
    novel = Poems.from_arrays([poems.poem(i) for i in np.flatnonzero(keep)], poems.vocab)
    return whole, poems_perplexity(model, novel, device)


def conditioned_perplexity(model, vocab: Vocab, data_dir, split: str = "test", device="cpu", *, forms: bool,
                           plans: bool) -> Optional[PerplexityResult]:
    """Perplexity on a built split with each poem's prefix as training fed it (data.eval_prefixes): its
    form token where the vocabulary has one (`forms`), its plan (`plans`). None for a corpus built with
    another vocabulary: only the corpus the model was trained on has its control tokens and plans."""
    poems = load_poems(data_dir, split, with_forms=forms, with_plans=plans)
    if poems.vocab.to_list() != vocab.to_list():
        return None
    return poems_perplexity(model, poems, device, prefixes=eval_prefixes(poems, forms, plans))

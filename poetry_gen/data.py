"""Training sequences and length-bucketed batches from a built corpus split.

A poem becomes one sequence. Before it, a prefix the model reads but is not scored on: for a fraction
`form_rate` of poems its form's control token (conditioning.py), and for a fraction `plan_rate` its plan
(plan.py), for a fraction `keyword_rate` of the others a keyword prefix (theme conditioning):

    sequence  [BOS] 春 风 [SEP] 明 月 [SEP] 床 前 明 月 光 ， … 。 [EOS]
    ids       [BOS] 春 风 [SEP] 明 月 [SEP] 床 前 … 。                    (sequence[:-1])
    targets    -100 -100 -100 -100 -100 床 前 明 … 。 [EOS]             (sequence[1:]; the prefix is not scored)

    with a form token and a plan:  [BOS] <五绝> <plan> 床 前 [SEP] 霜 [SEP] 举 头 [SEP] 故 乡 [SEP] 床 前 …

A batch pads its rows on the right to its longest row (PAD in ids, -100 in targets):

    row 0   ids  B 床 前 明 月 光 ， 疑 是 …    targets  床 前 明 月 光 ， 疑 是 … E
    row 1   ids  B 白 日 依 山 尽 ， … P P     targets  白 日 依 山 尽 ， … E  -100 -100

Bucketing keeps that padding small: each epoch shuffles the poems, cuts them into chunks of ~50 batches,
sorts each chunk by length, cuts it into batches and shuffles the batch order. Everything random about
an epoch comes from a generator seeded with (seed, epoch), so a resumed run sees exactly the batches
the interrupted one would have.

Under DistributedDataParallel the global batch is the same for any number of processes: rank r trains on
rows r, r+W, r+2W, … of every global batch (rows are sorted by length, so the shards are balanced).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .conditioning import NO_FORM, form_ids
from .corpus import load_keywords, load_plans, load_split, load_tags, load_vocab
from .errors import PoetryGenError
from .plan import plan_prefix_ids
from .vocab import IGNORE_INDEX, Vocab

CHUNK_BATCHES = 50  # batches per sorted chunk: enough to find rows of similar length, few enough to stay random


@dataclass
class Poems:
    """One split of a built corpus: poem i is ids[offsets[i]:offsets[i+1]] (no BOS/EOS)."""
    ids: np.ndarray
    offsets: np.ndarray
    vocab: Vocab
    keywords: Optional[list[list[np.ndarray]]] = None  # per poem, its keywords encoded
    forms: Optional[np.ndarray] = None  # per poem, its form's control token id (NO_FORM: none)
    plans: Optional[list[np.ndarray]] = None  # per poem, its plan prefix encoded: <plan> kw <sep> kw <sep> …
    repeats: Optional[np.ndarray] = None  # per poem, the times an epoch reads it (repeat_counts); None: once

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def poem(self, i: int) -> np.ndarray:
        return self.ids[self.offsets[i]:self.offsets[i + 1]]

    @classmethod
    def from_arrays(cls, arrays: list[np.ndarray], vocab: Vocab) -> "Poems":
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offsets[1:])
        ids = np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, dtype=np.int64)
        return cls(ids, offsets, vocab)


def load_poems(data_dir, split: str, with_keywords: bool = False, with_forms: bool = False,
               with_plans: bool = False, repeats: Optional[dict] = None) -> Poems:
    """A split's poems, with what their prefixes are made of: keywords, form token ids, plans; and with
    `repeats` (name → K, config.parse_repeats), how many times an epoch reads each."""
    vocab = load_vocab(data_dir)
    ids, offsets = load_split(data_dir, split)
    keywords = forms = plans = counts = None
    tags = load_tags(data_dir, split) if with_forms or repeats else None
    if with_keywords:
        if not (Path(data_dir) / f"{split}.keywords.json").is_file():
            raise PoetryGenError(f"{data_dir} has no keywords (built with --no-keywords); train it with "
                                 f"--keyword-rate 0")
        keywords = [[np.array(vocab.encode(word), dtype=np.int64) for word in words if word]
                    for words in load_keywords(data_dir, split)]
    if with_forms:
        forms = form_ids(vocab, [tag["form"] for tag in tags])
    if with_plans:
        plans = [np.array(plan_prefix_ids(words, vocab), dtype=np.int64) for words in load_plans(data_dir, split)]
    if repeats:
        counts = repeat_counts(tags, repeats)
    return Poems(ids, offsets.astype(np.int64), vocab, keywords, forms, plans, counts)


@dataclass
class Batch:
    ids: torch.Tensor  # (b, T) int64, this process's rows
    targets: torch.Tensor  # (b, T) int64, IGNORE_INDEX on prefix and padding
    chars: int  # poem characters in the whole global batch (what "real characters per second" counts)
    scored: int  # targets that count in this process's rows
    global_scored: int  # targets that count in the whole global batch


@dataclass
class EpochPlan:
    batches: list[np.ndarray]  # global batches of poem indices, in training order
    prefixes: dict[int, np.ndarray]  # prefix (form token, plan or keywords) of the poems that get one this epoch


SINGLE_CHAR_RATE = 0.3  # share of keyword slots cut down to one of their characters
_FORM_STREAM = 1  # form tokens are drawn from a random stream of their own: the other draws stay as they were


def _prefixes(poems: Poems, rng: np.random.Generator, form_rng: np.random.Generator, *, keyword_rate: float,
              plan_rate: float, form_rate: float) -> dict[int, np.ndarray]:
    """Each poem's prefix this epoch: its form token for a fraction form_rate of poems, then its plan
    for a fraction plan_rate, or its keywords (`_keyword_prefix`) for a fraction keyword_rate."""
    parts: dict[int, list] = {}
    if form_rate > 0 and poems.forms is not None:
        for i in np.flatnonzero((form_rng.random(len(poems)) < form_rate) & (poems.forms != NO_FORM)):
            parts[int(i)] = [poems.forms[i:i + 1]]
    if plan_rate > 0 or keyword_rate > 0:
        draw = rng.random(len(poems))
        for i in np.flatnonzero(draw < plan_rate + keyword_rate):
            if draw[i] < plan_rate and poems.plans is not None:
                parts.setdefault(int(i), []).append(poems.plans[i])
            elif draw[i] >= plan_rate and poems.keywords is not None and poems.keywords[i]:
                parts.setdefault(int(i), []).append(_keyword_prefix(poems, i, rng))
    return {i: np.concatenate(p) for i, p in parts.items()}


def _keyword_prefix(poems: Poems, i: int, rng: np.random.Generator) -> np.ndarray:
    """A random non-empty subset of poem i's stored keywords, in random order: kw SEP kw SEP ….

    jieba's keyword extractor never returns a single character, but a theme often maps to one (秋天 → 秋,
    咏梅 → 梅), so some keywords are cut down to one of their characters to teach that shape too."""
    sep = np.array([poems.vocab.sep_id], dtype=np.int64)
    words = poems.keywords[i]
    chosen = rng.permutation(len(words))[: rng.integers(1, len(words) + 1)]
    parts = []
    for j in chosen:
        word = words[j]
        if len(word) > 1 and rng.random() < SINGLE_CHAR_RATE:
            word = word[rng.integers(len(word)):][:1]
        parts += [word, sep]
    return np.concatenate(parts)


def _cut(order: np.ndarray, lengths: np.ndarray, batch_size: int, batch_tokens: int) -> list[np.ndarray]:
    """Consecutive batches of `order` (sorted by length): at most batch_size rows and, if batch_tokens,
    at most batch_tokens padded tokens (rows × longest row)."""
    batches, start = [], 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < batch_size and (
                not batch_tokens or (end - start + 1) * lengths[order[end]] <= batch_tokens):
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


def repeat_counts(tags: list[dict], repeats: dict[str, int]) -> np.ndarray:
    """How many times an epoch each item is read: the largest K of `repeats` (name → K) whose name is the
    item's collection or genre, else 1. A name no item has is an error (a typo would train silently)."""
    present = {tag[key] for tag in tags for key in ("collection", "genre")}
    missing = sorted(set(repeats) - present)
    if missing:
        raise PoetryGenError(f"--repeat {', '.join(missing)}: no train item has that collection or genre; "
                             f"these do: {', '.join(sorted(str(name) for name in present))}")
    return np.array([max(repeats.get(tag["collection"], 1), repeats.get(tag["genre"], 1)) for tag in tags],
                    dtype=np.int64)


def plan_epoch(poems: Poems, *, seed: int, epoch: int, batch_size: int, batch_tokens: int = 0,
               keyword_rate: float = 0.0, plan_rate: float = 0.0, form_rate: float = 0.0) -> EpochPlan:
    """The batches of one epoch: a pure function of (seed, epoch) and the arguments. A poem is read
    poems.repeats times (once where None); its copies share one prefix."""
    rng = np.random.default_rng([seed, epoch])
    prefixes = _prefixes(poems, rng, np.random.default_rng([seed, epoch, _FORM_STREAM]), keyword_rate=keyword_rate,
                         plan_rate=plan_rate, form_rate=form_rate)
    lengths = poems.lengths + 1  # input length: BOS + poem (the EOS is only a target)
    for i, prefix in prefixes.items():
        lengths[i] += len(prefix)
    every = np.arange(len(poems))
    order = rng.permutation(every if poems.repeats is None else np.repeat(every, poems.repeats))
    chunk = CHUNK_BATCHES * batch_size
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += _cut(part, lengths, batch_size, batch_tokens)
    return EpochPlan([batches[i] for i in rng.permutation(len(batches))], prefixes)


def make_batch(poems: Poems, rows: np.ndarray, prefixes: Optional[dict] = None,
               rank: int = 0, world_size: int = 1) -> Batch:
    """Tensors for this process's share (rows rank, rank+W, …) of the global batch `rows`."""
    prefixes = prefixes or {}
    vocab = poems.vocab
    lengths = poems.lengths[rows]
    mine = rows[rank::world_size]
    if len(mine) == 0:  # a global batch smaller than the world: train on a dummy row that counts for nothing
        one = torch.tensor([[vocab.bos_id]])
        return Batch(one, torch.tensor([[vocab.eos_id]]), int(lengths.sum()), 0, int(lengths.sum()) + len(rows))
    seqs = [(prefixes.get(int(i)), poems.poem(i)) for i in mine]
    T = max(1 + (0 if p is None else len(p)) + len(poem) for p, poem in seqs)
    ids = np.full((len(mine), T), vocab.pad_id, dtype=np.int64)
    targets = np.full((len(mine), T), IGNORE_INDEX, dtype=np.int64)
    for r, (prefix, poem) in enumerate(seqs):
        k = 0 if prefix is None else len(prefix)
        n = len(poem)
        ids[r, 0] = vocab.bos_id
        if k:
            ids[r, 1:1 + k] = prefix
        ids[r, 1 + k:1 + k + n] = poem
        targets[r, k:k + n] = poem
        targets[r, k + n] = vocab.eos_id
    return Batch(torch.from_numpy(ids), torch.from_numpy(targets), int(lengths.sum()),
                 int(poems.lengths[mine].sum()) + len(mine), int(lengths.sum()) + len(rows))


def eval_batches(poems: Poems, batch_size: int = 64, prefixes: Optional[dict] = None) -> list[Batch]:
    """The whole split sorted by length (little padding), for perplexity: without prefixes, or with
    `prefixes` (`eval_prefixes`)."""
    order = np.argsort(poems.lengths, kind="stable")
    return [make_batch(poems, order[i:i + batch_size], prefixes) for i in range(0, len(order), batch_size)]


def eval_prefixes(poems: Poems, forms: bool, plans: bool) -> dict[int, np.ndarray]:
    """Every poem's prefix as training fed it at rate 1: its form token (where it has one) when `forms`,
    its plan when `plans`."""
    rng = np.random.default_rng(0)  # at rates 0 and 1 nothing is left to chance
    return _prefixes(poems, rng, rng, keyword_rate=0.0, plan_rate=float(plans), form_rate=float(forms))


def padded_batch(poems: Poems, rows: np.ndarray, length: int = 125) -> Batch:
    """The classic recipe's batch, for speed comparisons only: every poem cut or padded to `length`
    tokens and the padding scored like any other target (chenyuntc/pytorch-book chapter 9)."""
    vocab = poems.vocab
    ids = np.full((len(rows), length + 1), vocab.pad_id, dtype=np.int64)
    chars = 0
    for r, i in enumerate(rows):
        seq = np.concatenate([[vocab.bos_id], poems.poem(i), [vocab.eos_id]])[: length + 1]
        ids[r, : len(seq)] = seq
        chars += min(len(poems.poem(i)), length)
    tensor = torch.from_numpy(ids)
    return Batch(tensor[:, :-1], tensor[:, 1:].contiguous(), chars, tensor[:, 1:].numel(), tensor[:, 1:].numel())

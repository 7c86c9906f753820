"""Candidates, then judgement: pick the best of N poems written in one batch by a score that adds, to the
model's mean log-probability, signals that catch what a reader sees and the model's ranking misses.

    total = logprob + Σ weight[s] · signal[s]

Signals (higher is better), each per candidate:

    logprob     the decoder's score: mean log p of the written tokens (sampler.py)
    coherence   mean over lines 2.. of [log p(line | the lines before) − log p(line | as a poem's first
                line)], per character: how much the earlier lines make this one likelier — the mutual
                information of MMI reranking (Li et al. 2016) and of the coherence rewards of Yi et al. 2018
    theme       with a theme: mean over the poem's characters of [log p(c | keywords, before) −
                log p(c | before)]: how much the keywords make the poem likelier (the same PMI, theme ↔ poem);
                a character that repeats an earlier one adds nothing
    repetition  − the share of the poem's characters that repeat an earlier one
    parallelism the 对仗 score of a 律诗's middle couplets (parallelism.py); 律诗 only
    rule_breaks − the lines with a classical fault: 三平尾, 孤平, an odd line ending 平 (prosody.py)

The log p of each character in context comes from the decoder (sampler.Sample.logps); the rest from one
batched forward pass over all candidates, with the output layer run only where a character is scored:

    rows          tokens                                    scored
    lines alone   <bos> prompt │ line i                      its characters (one row per line i ≥ 2)
    no theme      <bos> controls │ line 1 ， line 2 。 …      every character (theme only; controls: the
                                                            prompt's form token, conditioning.py)

Only the characters the decoder chose count (acrostic heads and the start text are in every candidate),
and log p is taken as the decoder takes it: variant glyphs folded into their standard form.

Another signal of the text alone is one more entry of `TEXT_SIGNALS`: name → function(poem text) →
float, with its weight in SamplingOptions.weights.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

from .errors import PoetryGenError
from .prosody import check_poem
from .scorecard import repeated_char_rate
from .text import split_lines


def _parallelism(text: str) -> Optional[float]:
    """对仗 of a 律诗's middle couplets, 0..1. parallelism.py (numpy, its pair table) is imported when a poem
    is judged, not when SamplingOptions checks the weights' names here before the model loads."""
    from .parallelism import poem_parallelism

    return poem_parallelism(split_lines(text)[0])


# name → function(poem text) → float, higher for a better poem; None where the signal does not apply
TEXT_SIGNALS: dict = {
    "repetition": lambda text: -repeated_char_rate(text),
    "parallelism": _parallelism,
    "rule_breaks": lambda text: -len(check_poem(text).faults),  # minus the 三平尾, 孤平, 出句平收 lines
}
MODEL_SIGNALS = ("coherence", "theme")
_ROWS_PER_PASS = 256  # forward passes over at most this many rows: memory stays flat for big batches


def check_weights(weights: dict) -> dict:
    """`weights` (signal name → weight), checked: known signals, finite numbers."""
    known = (*MODEL_SIGNALS, *TEXT_SIGNALS)
    for name, weight in weights.items():
        if name not in known:
            raise PoetryGenError(f"no reranking signal {name!r}: the signals are {', '.join(known)}")
        if not (isinstance(weight, (int, float)) and abs(weight) < float("inf")):
            raise PoetryGenError(f"the weight of {name} is a number, not {weight!r}")
    return weights


def parse_weights(text: str) -> dict:
    """'coherence=1,repetition=0.5' → {'coherence': 1.0, 'repetition': 0.5} (checked)."""
    weights = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            raise PoetryGenError(f"a reranking weight is NAME=NUMBER, such as coherence=1, not {item!r}") from None
    return check_weights(weights)


def _token_logp(model, rows: Sequence[list], scored: Sequence[list], fold=None) -> list:
    """Per row, the log p (a list) of its tokens at the positions `scored` (each given the tokens
    before it), from the logits as `fold` (constraints.VocabTables.fold_variants) turns them into
    log-probabilities, as the decoder does. Rows of any length, batched by padding at the end (causal:
    padding after a token never changes its probability)."""
    import torch

    from .model import IGNORE_INDEX

    device = next(model.parameters()).device
    if not any(scored):
        return [[] for _ in rows]
    out = []
    for start in range(0, len(rows), _ROWS_PER_PASS):
        chunk, marks = rows[start:start + _ROWS_PER_PASS], scored[start:start + _ROWS_PER_PASS]
        T = max(len(r) for r in chunk) - 1
        ids = torch.zeros(len(chunk), T, dtype=torch.long)
        targets = torch.full((len(chunk), T), IGNORE_INDEX, dtype=torch.long)
        for i, (row, positions) in enumerate(zip(chunk, marks)):
            ids[i, :len(row) - 1] = torch.tensor(row[:-1])
            for p in positions:  # the token at p is predicted at position p - 1
                targets[i, p - 1] = row[p]
        targets = targets.to(device)
        scored_at = targets != IGNORE_INDEX
        logits = model.logits_at(ids.to(device), scored_at)  # (N, V), row by row; no loss: it is not read
        logp = fold(logits) if fold is not None else logits.float().log_softmax(-1)  # (N, V)
        logp = logp.gather(1, targets[scored_at][:, None])[:, 0].tolist()  # (N,)
        for positions in marks:
            out.append(logp[:len(positions)])
            logp = logp[len(positions):]
    return out


def model_signals(model, bos: int, prompt: Sequence[int], samples: Sequence, form, theme: bool,
                  fold=None, controls: Sequence[int] = ()) -> list:
    """Per sample (sampler.Sample: its tokens, characters and marks laid out by `form` (forms.Form), and
    their log p in context as the decoder drew them), {"coherence": ...} and, with `theme` (the prompt is
    `controls`, the control tokens that begin it, then the theme's keywords), {"theme": ...} (see the
    module docstring). Only the characters the decoder chose count: acrostic heads and the start text are
    the same in every candidate."""
    import torch

    head = [bos, *prompt]
    slots = form.slots
    chosen = [[p for p, lp in enumerate(s.logps) if not slots[p].mark and not math.isnan(lp)] for s in samples]
    second = form.starts[1] if len(form.shape) > 1 else form.length  # where line 2 starts
    rows, scored, lines = [], [], []
    for sample, at in zip(samples, chosen):  # lines 2.., each alone: the row is the line after the prompt
        spans = [(start, line.chars) for start, line in zip(form.starts[1:], form.shape[1:]) if start < len(sample.ids)]
        rows += [head + list(sample.ids[start:start + n]) for start, n in spans]
        scored += [[len(head) + p - start for p in at if start <= p < start + n] for start, n in spans]
        lines.append(len(spans))
    lines_alone = len(rows)
    if theme:  # the poems without their theme
        rows += [[bos, *controls] + list(sample.ids) for sample in samples]
        scored += [[1 + len(controls) + p for p in at] for at in chosen]
    with torch.inference_mode():
        logps = _token_logp(model, rows, scored, fold) if rows else []
    alone, without_theme = iter(logps[:lines_alone]), iter(logps[lines_alone:])
    signals = []
    for sample, at, n_lines in zip(samples, chosen, lines):
        later = [sample.logps[p] for p in at if p >= second]  # lines 2.. in context
        gain = sum(later) - sum(sum(next(alone)) for _ in range(n_lines))
        signal = {"coherence": gain / len(later) if later else 0.0}
        if theme:
            first = _first_occurrences(sample.ids, at)
            gains = [sample.logps[p] - lp for p, lp, new in zip(at, next(without_theme), first) if new]
            signal["theme"] = sum(gains) / max(len(at), 1)
        signals.append(signal)
    return signals


def _first_occurrences(ids: Sequence[int], at: Sequence[int]) -> list:
    """Per position of `at`, whether its token is not an earlier token of `ids` again: a keyword written
    twice is evidence of the theme once (rewarding each copy made themed poems repeat their keywords)."""
    return [ids[p] not in ids[:p] for p in at]


def judge(model, vocab, prompt: Sequence[int], samples: Sequence, form, theme: bool,
          weights: Optional[dict] = None, fold=None, text_signals: Optional[dict] = None,
          controls: Sequence[int] = ()) -> list:
    """(total, signals) per sample (sampler.Sample), in their order: the signals of the module
    docstring with the sample's own score as "logprob", and the weighted total. `text_signals`: in
    place of TEXT_SIGNALS, for a kind of text whose signals read it otherwise (couplet.COUPLET_SIGNALS)."""
    if weights is None:
        from .config import SamplingOptions

        weights = SamplingOptions().weight_map()
    poems = [list(sample.ids) for sample in samples]
    judged = []
    for sample, ids, signals in zip(samples, poems, model_signals(model, vocab.bos_id, prompt, samples, form,
                                                                  theme, fold, controls)):
        text = vocab.decode(ids)
        signals = {"logprob": sample.score, **signals,
                   **{n: value for n, fn in (text_signals or TEXT_SIGNALS).items() if (value := fn(text)) is not None}}
        total = signals["logprob"] + sum(w * signals[n] for n, w in weights.items() if n in signals)
        judged.append((total, signals))
    return judged

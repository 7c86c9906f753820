"""Constrained batched decoding: `num` candidate poems written together, one batch row each.

A poem is a row of positions laid out by its form (forms.Form.slots: position → line, column, mark,
rhyme set; Form.templates: position → tone), the same for every row, so all rows reach the same
position at the same step and the shape holds by construction, not by filtering:

    a character   only Chinese characters may be drawn (no special token, <unk>, mark) unless the text
                  fixes it (the start text, an acrostic head), which every row then takes, or it
                  echoes an earlier position (Layout.echoes; a 叠句 line: Form.echoes), whose token
                  each row then repeats
    a mark        forced: the mark the form puts after the line ('，' '。' in turn in 近体 verse, a
                  tune's own marks in ci); after the last mark the poem ends and nothing more is fed.

With `Layout.min_lines` (a free-length form) the model may also draw <eos> at the start of a line that
follows a '。' (and at least `min_lines` lines), which ends that row's poem.

One step, for the rows' logits (B, V):

    raw logits ──► fold variant glyphs: 疎's probability goes to 疏, and 疎 is never drawn
        │
        ├─ score: log p[chosen]                          (the model's own distribution, T = 1, no masks)
        │
        ├─ − repeat_penalty   on characters already in the poem (or fixed to come in it)
        ├─ − tone_penalty     on characters whose tone breaks every template still in play, or makes
        │                     三平尾 or 孤平 ("soft")
        ├─ + include_boost    on required characters (Layout.required) a row has not written, growing
        │                     over the poem; where only enough open positions are left for them, only
        │                     they may be drawn (above every other control)
        ├─ masks: shape; rhyme; 重韵; a line that would repeat an earlier one; tone ("strict", and
        │         a form's hard tones); a doubled character the corpus does not attest as 叠字, or right
        │         after an acrostic head; with Controls.distinct any character already there
        ├─ / temperature, top-k, top-p (nucleus)
        └─ draw (torch.multinomial with the caller's torch.Generator), or argmax when temperature ≈ 0

A row's score is the mean of log p(token) under the model (variant glyphs folded) over the tokens the decoder chose or
forced (characters and marks), excluding the given text (the start text with the marks of its whole
lines, acrostic heads: every candidate shares them) and <eos>: a per-token log-likelihood comparable
across poems; exp(−score) is the poem's perplexity under the model.

The rhyme and tone controls are per row, so each candidate makes its own choices; what they allow
at each position is constraints.py's (RhymeState, ToneState). A hard constraint that would leave a row
with nothing to draw is dropped for that row at that step, in the order rhyme, 重韵, 叠字, repeated
line, distinct, hard tones, strict tones (the shape constraints are never dropped).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence

import torch

from .config import SamplingOptions
from .constraints import Controls, RhymeState, ToneState, VocabTables
from .forms import PERIOD, Form


@dataclass(frozen=True)
class Layout:
    """The poem's form and the characters already decided."""

    form: Form  # a free-length form: the most lines the model may write
    fixed: dict = field(default_factory=dict)  # position → token id (start text, acrostic heads)
    min_lines: Optional[int] = None  # free length: the model may end after a '。' line from here on
    heads: frozenset = frozenset()  # the positions of acrostic heads (no 冬冬 after the head 冬)
    # position → an earlier position whose token each row repeats there (a 下联's mirrored repeats)
    echoes: dict = field(default_factory=dict)
    required: tuple = ()  # token ids each row's poem must include (--must-include), where the model likes

    @property
    def length(self) -> int:
        return self.form.length

    def given_prefix(self) -> int:
        """How many positions from the start the given text fixes (fed before the rows diverge)."""
        p, slots = 0, self.form.slots
        while p < self.length and (p in self.fixed or (slots[p].mark and p > 0 and p - 1 in self.fixed)):
            p += 1
        return p


@dataclass
class Sample:
    ids: list  # the poem's tokens: characters and marks
    score: float  # mean log-probability, see the module docstring
    logps: list = field(default_factory=list)  # log p of each token of `ids`; nan where the text fixed it


def _restrict(allowed: torch.Tensor, extra: torch.Tensor) -> torch.Tensor:
    """allowed & extra, except in rows where that leaves nothing: those keep `allowed`."""
    both = allowed & extra
    return torch.where(both.any(-1, keepdim=True), both, allowed)


def _candidates(x: torch.Tensor, top_k: int, top_p: float, search: int = 512):
    """The tokens a row may draw and their probabilities: softmax(x) (B, V) cut to its top-k tokens,
    then to the nucleus: the likeliest tokens whose probability, before each, is still below top_p
    (so the best token always stays). Returns probs (B, n), zero outside the cut, and their token ids
    (B, n), where n is `search` when every row's nucleus lies among its `search` likeliest tokens, else
    the whole top-k: torch.multinomial draws one number per column, so n is part of which token a seed
    draws, and it stays what it has always been.

    Sorting is most of the cost, so the nucleus is looked for in a window of the likeliest tokens that
    doubles from `search` until no row keeps its last column, not in the whole top-k at once. The cut is
    taken as it always was, and a column past the window has at least the mass before it of the window's
    last column (more mass, less probability): it is cut too. Tokens of equal probability stand in the
    order topk gives them for its width, so where two of them meet at a kept column the cut is taken over
    n columns, as before."""
    V = x.shape[-1]
    k = min(top_k, V) if top_k > 0 else V
    if k == V and top_p >= 1.0:  # no cut: no sorting either
        return x.softmax(-1), torch.arange(V, device=x.device).expand_as(x)
    logz = (x if k == V else x.topk(k, dim=-1).values).logsumexp(-1, keepdim=True)  # (B, 1) over the top-k
    if top_p >= 1.0:
        values, index = x.topk(k, dim=-1)
        return (values - logz).exp(), index
    n = min(k, search)
    window = min(k, max(n, 2))  # the test for a kept last column reads two columns
    while True:
        probs, index, mass = _likeliest(x, window, logz)
        if window == k or bool((mass[:, -2] - probs[:, -1] >= top_p).all()):  # no later column is kept
            break
        window = min(2 * window, k)
    width = n if bool((mass[:, n - 1] >= top_p).all()) else k
    kept = mass - probs < top_p  # (B, window): the nucleus
    tied = (kept[:, :-1] | kept[:, 1:]) & (probs[:, 1:] == probs[:, :-1])
    if window != width and bool(tied.any()):
        probs, index, mass = _likeliest(x, width, logz)
        kept = mass - probs < top_p
    return _fit(probs.masked_fill(~kept, 0.0), width), _fit(index, width)


def _likeliest(x: torch.Tensor, n: int, logz: torch.Tensor) -> tuple:
    """The n likeliest tokens of each row: their probabilities, ids and cumulative mass, each (B, n)."""
    values, index = x.topk(n, dim=-1)  # likeliest first
    probs = (values - logz).exp()
    return probs, index, probs.cumsum(-1)


def _fit(x: torch.Tensor, width: int) -> torch.Tensor:
    """x (B, n) cut, or padded with zeros, to `width` columns."""
    if x.shape[1] >= width:
        return x[:, :width]
    return torch.cat([x, x.new_zeros(x.shape[0], width - x.shape[1])], dim=1)


class _Decoder:
    """Per-row bookkeeping of one `decode` call: the tokens so far, which characters occurred, and the
    rhyme and tone states (constraints.RhymeState, ToneState)."""

    def __init__(self, tables: VocabTables, layout: Layout, controls: Controls, options: SamplingOptions,
                 batch: int, device):
        self.t, self.layout, self.controls, self.options = tables, layout, controls, options
        form = self.form = layout.form
        self.echoes = {**form.echoes, **layout.echoes}
        self.slots = _hard_tones_at_sources(form.slots, self.echoes)
        self.mark_ids = {line.mark: tables.mark_id(line.mark) for line in form.shape}
        self.tokens = torch.full((batch, layout.length), tables.vocab.pad_id, dtype=torch.long, device=device)
        self.present = torch.zeros(batch, len(tables.vocab), dtype=torch.bool, device=device)  # (B, V)
        if layout.fixed:  # characters fixed to come (later acrostic heads) count as already there
            self.present[:, list(layout.fixed.values())] = True
        self.rhyme = None if controls.rhyme is None else RhymeState(tables, form, controls.rhyme, batch)
        if self.rhyme:  # 重韵: rhyme characters fixed to come (a revise's kept lines) are taken already
            self.rhyme.rhymed[:, [token for p, token in layout.fixed.items()
                                  if self.slots[p].rhyme and not self.slots[p].may_rhyme]] = True
        tones_free = controls.tones == "off" or not controls.templates
        self.tones = None if tones_free else ToneState(tables, form, controls.templates, controls.faults, batch)
        self.done = torch.zeros(batch, dtype=torch.bool, device=device)
        self.logp = torch.full((batch, layout.length), float("nan"), device=device)  # (B, P) of the chosen tokens
        self.required = torch.tensor(layout.required, dtype=torch.long, device=device)  # (n,)
        open_positions = form.open_positions(frozenset(layout.fixed) | frozenset(self.echoes))
        # position → the open positions from it on (it included): where a required character may still go
        self.open_left = {p: len(open_positions) - i for i, p in enumerate(open_positions)}

    # --- what a position asks for ---------------------------------------------------------------

    def _repeated_line(self, p: int, slot) -> Optional[torch.Tensor]:
        """(B, V) bool at a line's last character: the characters that would complete a copy of an
        earlier line of the same length (a 叠句, which is meant to be one, is echoed and never gets here)."""
        n = self.form.shape[slot.line].chars
        if slot.col != n - 1 or slot.line == 0:
            return None
        earlier = [start for start, line in zip(self.form.starts[:slot.line], self.form.shape) if line.chars == n]
        if not earlier:
            return None
        columns = torch.tensor(earlier, device=self.tokens.device)[:, None] + torch.arange(n, device=self.tokens.device)
        current = self.tokens[:, p - n + 1:p]  # (B, n-1)
        lines = self.tokens[:, columns]  # (B, J, n)
        same = (lines[:, :, :n - 1] == current[:, None]).all(-1)  # (B, J)
        counts = torch.zeros(self.present.shape, device=same.device)
        counts.scatter_add_(1, lines[:, :, n - 1], same.float())
        return counts > 0

    def _doubled(self, p: int, col: int) -> Optional[torch.Tensor]:
        """(B, V) bool inside a line: the previous character, where doubling it would not be a 叠字
        the corpus attests, or would double an acrostic head."""
        if col == 0:
            return None
        prev = self.tokens[:, p - 1]  # (B,)
        banned = torch.zeros(self.present.shape, dtype=torch.bool, device=prev.device)
        ban = ~self.t.may_double[prev] | (p - 1 in self.layout.heads)  # (B,)
        banned[torch.arange(len(prev), device=prev.device), prev] = ban
        return banned

    def _missing(self) -> torch.Tensor:
        """(B, n) bool: the required characters each row has not written yet."""
        return ~self.present[:, self.required]

    def _must_include(self, p: int, x: torch.Tensor, allowed: torch.Tensor) -> tuple:
        """(x, allowed) at position p for the required characters a row has not written yet (Layout.required).
        Their logits are raised by options.include_boost times the share of the open positions already
        passed (0 at the first, the whole boost at the last): early on the model writes one only where it
        wants it anyway, later where it fits at all, so it lands where the model likes it rather than at
        the start or in the poem's last open position. A row with as many still to write as open positions
        left may write only them: the last chance is never missed."""
        if not len(self.required) or p not in self.open_left:
            return x, allowed
        missing = self._missing()  # (B, n)
        passed = 1 - (self.open_left[p] - 1) / len(self.open_left)
        boost = torch.zeros_like(x)
        boost[:, self.required] = missing * (self.options.include_boost * passed)
        must = missing.sum(1) >= self.open_left[p]  # (B,)
        if not bool(must.any()):
            return x + boost, allowed
        only = torch.zeros_like(allowed)
        only[:, self.required] = missing
        return x + boost, torch.where(must[:, None], only, allowed)

    def _may_end(self, slot) -> bool:
        """Whether a row may end its poem here: a free-length form, at the start of a line after a '。'."""
        min_lines = self.layout.min_lines
        return (min_lines is not None and slot.col == 0 and slot.line >= min_lines
                and self.form.shape[slot.line - 1].mark == PERIOD)

    # --- one position ----------------------------------------------------------------------------

    def choose(self, p: int, logits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The token (B,) of every row at position p, given the logits (B, V) from the tokens before (None
        where the text fixes the token)."""
        slot = self.slots[p]
        B, device = self.tokens.shape[0], self.tokens.device
        if slot.mark:
            return torch.full((B,), self.mark_ids[slot.mark], dtype=torch.long, device=device)
        if p in self.layout.fixed:
            return torch.full((B,), self.layout.fixed[p], dtype=torch.long, device=device)
        if p in self.echoes:
            return self.tokens[:, self.echoes[p]].clone()

        opts = self.options
        x = logits - opts.repeat_penalty * (self.present & self.t.is_char)  # (B, V)
        allowed = self.t.is_char.expand(B, -1)  # (B, V)
        if self._may_end(slot):
            allowed = allowed.clone()
            # a row ends only once it holds the required characters
            allowed[:, self.t.vocab.eos_id] = ~self._missing().any(1)

        if self.rhyme and slot.rhyme:
            allowed = _restrict(allowed, self.rhyme.members(slot))
            allowed = _restrict(allowed, ~self.rhyme.rhymed)  # 重韵: no rhyme character twice
        doubled = self._doubled(p, slot.col)
        if doubled is not None:
            allowed = _restrict(allowed, ~doubled)
        repeated = self._repeated_line(p, slot)
        if repeated is not None:
            allowed = _restrict(allowed, ~repeated)
        if self.controls.distinct:
            allowed = _restrict(allowed, ~self.present)
        if slot.hard_tone:  # a tone the form requires, of the character in every reading
            allowed = _restrict(allowed, self.t.only(slot.hard_tone))
        fits = self.tones and self.tones.fits(p, slot)
        if fits is not None:
            if self.controls.tones == "strict":
                allowed = _restrict(allowed, fits)
            else:
                x = x - opts.tone_penalty * ~fits
        x, allowed = self._must_include(p, x, allowed)  # last: a required character outranks rhyme and tones

        x = x.masked_fill(~allowed, float("-inf"))
        if opts.greedy:
            return x.argmax(-1)
        probs, index = _candidates(x / opts.temperature, opts.top_k, opts.top_p)  # (B, n), (B, n)
        return index.gather(1, torch.multinomial(probs, 1, generator=generator))[:, 0]

    def record(self, p: int, tokens: torch.Tensor, logits: Optional[torch.Tensor]) -> torch.Tensor:
        """Store the rows' tokens at position p and update the bookkeeping; `logits` (those before p,
        variant glyphs folded: VocabTables.fold_variants) when the token is the decoder's choice and
        counts towards the score. Returns the tokens to feed (<pad> for rows whose poem has ended)."""
        slot = self.slots[p]
        ended = tokens == self.t.vocab.eos_id
        tokens = tokens.masked_fill(self.done | ended, self.t.vocab.pad_id)
        live = ~(self.done | ended)
        if logits is not None:
            logp = logits.float().log_softmax(-1).gather(1, tokens[:, None])[:, 0]  # (B,)
            self.logp[:, p] = torch.where(live, logp, torch.full_like(logp, float("nan")))
        self.done |= ended
        self.tokens[:, p] = tokens
        if slot.mark:
            return tokens
        self.present[torch.arange(len(tokens), device=tokens.device), tokens] |= live
        if self.rhyme and slot.rhyme:
            self.rhyme.record(slot, tokens, live)
        if self.tones:
            self.tones.record(p, tokens, live)
        return tokens

    def samples(self) -> list:
        out = []
        for row, logps in zip(self.tokens.tolist(), self.logp.tolist()):
            ids = [i for i in row if i != self.t.vocab.pad_id]
            logps = logps[:len(ids)]
            chosen = [lp for lp in logps if not math.isnan(lp)]
            out.append(Sample(ids, sum(chosen) / len(chosen) if chosen else 0.0, logps))
        return out


def _hard_tones_at_sources(slots: tuple, echoes: dict) -> tuple:
    """`slots`, where a position that echoes an earlier one requires a tone, with that tone required at the
    earlier one too: the echo copies its character, so only there can the tone be chosen (a 下联 whose last
    character mirrors a repeat of the 上联 ends 平 only if the character it repeats is 平)."""
    slots = list(slots)
    for p in sorted(echoes, reverse=True):  # latest first, so that a tone passes down a chain of echoes
        source = echoes[p]
        if slots[p].hard_tone and not slots[source].hard_tone:
            slots[source] = replace(slots[source], hard_tone=slots[p].hard_tone)
    return tuple(slots)


@torch.inference_mode()
def decode(model, tables: VocabTables, layout: Layout, options: SamplingOptions, *, num: int = 1,
           controls: Controls = Controls(),
           generator: Optional[torch.Generator] = None, prompt: Sequence[int] = (),
           on_step: Optional[Callable[[int, int], None]] = None) -> list:
    """Write `num` poems of `layout` in one batch; Samples best score first.

    `options`: its temperature, top_k, top_p, repeat_penalty and tone_penalty are used here.

    `prompt`: token ids fed after <bos> and before the poem (never part of it): the priming prefix
    text, or theme keywords as `kw <sep> kw <sep>`.

    `on_step(done, total)`: called after each position, for a progress bar.
    """
    device = tables.is_char.device
    vocab = tables.vocab
    dec = _Decoder(tables, layout, controls, options, num, device)

    # The prompt and the given start of the poem are the same for every row: feed them once, then
    # copy the state to the `num` rows.
    given = layout.given_prefix()
    state = model.init_state(1, device)
    logits = None
    for tok in [vocab.bos_id, *prompt]:
        logits, state = model.step(torch.tensor([tok], device=device), state)
    for p in range(given):
        tok = dec.record(p, dec.choose(p, logits.expand(num, -1), generator), None)
        logits, state = model.step(tok[:1], state)
    logits = tables.fold_variants(logits)
    logits = logits.expand(num, -1)
    state = state.reorder(torch.zeros(num, dtype=torch.long, device=device))

    for p in range(given, layout.length):
        decided = p in layout.fixed
        tok = dec.record(p, dec.choose(p, logits, generator), None if decided else logits)
        if on_step:
            on_step(p + 1, layout.length)
        if p == layout.length - 1 or bool(dec.done.all()):
            break
        if p + 1 in layout.fixed:  # an acrostic head or given text: nothing to draw, no score to take
            _, state = model.step(tok, state, readout=False)
            logits = None
            continue
        logits, state = model.step(tok, state)
        logits = tables.fold_variants(logits)
    return sorted(dec.samples(), key=lambda s: -s.score)

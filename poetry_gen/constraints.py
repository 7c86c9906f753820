"""Rhyme and tone constraints, in one place: what each vocabulary character is (`VocabTables`), what a
request asks for (`Controls`, built by `controls_for` from the form, a named rhyme and the given text),
and how the controls follow each candidate as it is written (`RhymeState`, `ToneState`, which the
sampler asks at every position).

The controls are per row, so each candidate makes its own choices:
- Rhyme: each row carries a set of 平水韵 groups (initially the request's: one named group, all 30 平声
  groups, or what the given text fixed). At the end of a line followed by '。' only characters of a
  group in the set may be drawn; the first such character narrows the set to its groups, so the model's
  own preference among 平声 characters picks the rhyme and the later lines follow it. Line 1's end may
  join: a character with a 平声 rhyme reading there must be in the set (and narrows it); any other
  character may end line 1 and leaves the set alone. No character rhymes twice (重韵).
- Tones: each row counts, for each template of the form, how many key positions broke it; the templates
  with fewest breaks stay in play. At the first key position (line 1, 2nd character) all four are in
  play, so the model's own choice there picks 平起 or 仄起, and line 1's end picks whether it rhymes.
  The templates leave a line's third-last character free (一三五不论), but the checker's faults
  (prosody.FAULTS) do not: where a template in play ends the line 平平, it must be 仄 (else 三平尾);
  where one ends it 仄平 (…平平仄仄平) and the two characters before it cannot both be 平, it must be
  平 (else 孤平; with it, the standard rescue 仄平平仄平). Both count as tone requirements there.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Union

import torch

from . import prosody, reduplication
from .cache import cached, file_stamp, key_of
from .errors import PoetryGenError
from .forms import COMMA, PERIOD, Form
from .text import fold_variants, is_hanzi, variants_stamp
from .vocab import Vocab

_FREE, _PING, _ZE = 0, 1, 2  # tone requirement codes of a template position
_TONE_CODES = {"中": _FREE, "平": _PING, "仄": _ZE}


class VocabTables:
    """Per-vocabulary tensors the masks are built from, made once per model and device: computed from
    the 平水韵 readings of every vocabulary character (about a second, most of it pypinyin for the
    characters the table lacks), or read from `cache_dir` where an earlier run left them (cache.py)."""

    def __init__(self, vocab: Vocab, device="cpu", cache_dir=None):
        self.vocab = vocab
        missing = [m for m in (COMMA, PERIOD) if m not in vocab]
        if missing:
            raise PoetryGenError(f"the model's vocabulary lacks the line mark {missing[0]}, so it cannot write poems")
        self.marks = {m: vocab.stoi[m] for m in (COMMA, PERIOD)}
        key = key_of([prosody.readings_stamp(), file_stamp(__file__), variants_stamp(),
                      file_stamp(reduplication.TABLE), json.dumps(vocab.itos)])  # the vocabulary in one part: fast
        data = cached(cache_dir, f"vocab-tables-{key[:16]}", key, lambda: _compute_tables(vocab))
        (self.is_char, self.fits_ping, self.fits_ze, self.groups, self.ping_rhyme, self.variant_ids,
         self.standard_ids, self.may_double) = (data[name].to(device) for name in (
            "is_char", "fits_ping", "fits_ze", "groups", "ping_rhyme", "variant_ids", "standard_ids", "may_double"))
        self.group_index = {g: i for i, g in enumerate(data["group_names"])}

    def fold_variants(self, logits: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (B, V) of the logits with each variant glyph's probability added to its
        standard form's: the model learnt 疎 and 疏 as two tokens, and the reader sees one character."""
        logp = logits.float().log_softmax(-1)  # (B, V)
        if not len(self.variant_ids):
            return logp
        probs = logp.exp()
        probs = probs.index_add(1, self.standard_ids, probs[:, self.variant_ids])
        probs[:, self.variant_ids] = 0.0
        return probs.log()

    def only(self, tone: str) -> torch.Tensor:
        """(V,) bool: the characters of tone `tone` (平 or 仄) in every reading."""
        fits = {prosody.PING: self.fits_ping, prosody.ZE: self.fits_ze}
        return fits[tone] & ~fits[prosody.ZE if tone == prosody.PING else prosody.PING]

    def group_mask(self, groups) -> torch.Tensor:
        """(G,) bool of the named groups (those no vocabulary character has are left out)."""
        mask = torch.zeros(self.groups.shape[1], dtype=torch.bool, device=self.groups.device)
        for g in groups:
            if g in self.group_index:
                mask[self.group_index[g]] = True
        return mask

    def has_rhyme_in(self, group: str) -> bool:
        """Whether some character the model may write rhymes in `group`."""
        return bool((self.groups[:, self.group_mask([group])].any(1) & self.is_char).any())


def _compute_tables(vocab: Vocab) -> dict:
    """VocabTables' tensors on the CPU: (V,) bool is_char (the characters that may be drawn), fits_ping,
    fits_ze, ping_rhyme, may_double (its 叠字 is attested); (V, G) bool groups over `group_names`, the
    rhyme groups some vocabulary character has; (n,) long variant_ids and their standard_ids."""
    hanzi = [i >= len(vocab.special_ids) and len(t) == 1 and is_hanzi(t) for i, t in enumerate(vocab.itos)]
    # Variant glyphs (疎) are never drawn: their probability goes to the standard form (疏) where the
    # vocabulary has it (VocabTables.fold_variants).
    standard = {i: fold_variants(t) for i, t in enumerate(vocab.itos) if hanzi[i] and fold_variants(t) != t}
    is_char = [ok and i not in standard for i, ok in enumerate(hanzi)]
    pairs = [(i, vocab.stoi[t]) for i, t in standard.items() if t in vocab]
    doubles = reduplication.attested()
    readings = [prosody.lookup(t) if ok else None for t, ok in zip(vocab.itos, is_char)]
    names = sorted({g for r in readings if r for g in r.groups})
    index = {g: i for i, g in enumerate(names)}
    cells = [(i, index[g]) for i, r in enumerate(readings) if r for g in r.groups]
    groups = torch.zeros(len(vocab), len(names), dtype=torch.bool)
    groups[[i for i, _ in cells], [j for _, j in cells]] = True
    ping = torch.tensor([g in prosody.PING_GROUPS for g in names], dtype=torch.bool)
    # A character of unknown tone fits either tone, as in prosody.fits (the checker agrees).
    fits = lambda tone: torch.tensor([r is not None and (not r.tones or tone in r.tones)  # noqa: E731
                                      for r in readings])
    return {"is_char": torch.tensor(is_char), "fits_ping": fits(prosody.PING), "fits_ze": fits(prosody.ZE),
            "groups": groups, "ping_rhyme": (groups & ping).any(1), "group_names": names,
            "variant_ids": torch.tensor([i for i, _ in pairs], dtype=torch.long),
            "standard_ids": torch.tensor([j for _, j in pairs], dtype=torch.long),
            "may_double": torch.tensor([ok and t in doubles for t, ok in zip(vocab.itos, is_char)])}


@dataclass(frozen=True)
class Controls:
    """What a request asks of rhyme and tones (see the module docstring)."""

    rhyme: Optional[frozenset] = None  # 平水韵 groups the rhyme may take; None = rhyme not controlled
    templates: tuple = ()  # prosody.Template of the form, one per line of the layout; () = tones free
    tones: str = "soft"  # soft | strict | off
    distinct: bool = False  # no character twice in the poem, the given text included (but Layout.echoes)
    last_tone: Optional[str] = None  # the tone of the poem's last character by all its readings: 平 or 仄


def controls_for(tables: VocabTables, form: Form, layout, rhyme: Union[bool, str], tones: str,
                 given: list) -> Controls:
    """The controls of a request for `form` (its `layout`: sampler.Layout): `rhyme` True (a 平声 group
    the model picks), False (free) or a group's name; `tones` soft, strict or off; `given`: the start
    text's lines, whose line ends narrow the rhyme."""
    templates = tuple(prosody.templates(form.name)) if form.name and tones != "off" else ()
    groups = None if rhyme is False else _rhyme_groups(tables, rhyme, given, layout)
    return Controls(groups, templates, tones)


def _rhyme_groups(tables: VocabTables, rhyme: Union[bool, str], given: list, layout) -> frozenset:
    """The rhyme groups a row may take before it writes: one named group, or all 30 平声 groups,
    narrowed by the line ends the start text (its lines `given`) fixes."""
    named = prosody.validate_rhyme_group(rhyme) if isinstance(rhyme, str) else None
    groups = frozenset([named] if named else prosody.PING_GROUPS)
    if named and not tables.has_rhyme_in(named):
        raise PoetryGenError(f"the model knows no character of the rhyme group {named}")
    for i, line in enumerate(given):
        if len(line) < layout.chars:  # a line still to write (the start text's last, a revised one)
            continue
        ch = line[-1]
        own = prosody.rhyme_groups(ch)
        if layout.mark(i) == PERIOD:  # a rhyming line end
            if groups & own:
                groups &= own
            elif named:
                raise PoetryGenError(f"line {i + 1} of the start text ends in {ch} "
                                     f"({'/'.join(sorted(own)) or 'not in the 平水韵 table'}), which does "
                                     f"not rhyme in the {named} group")
            elif own:  # the given text rhymes otherwise (even in a 仄声 group): follow it
                groups = own
        elif i == 0 and groups & own:  # line 1 may join the rhyme
            groups &= own
    return groups


class RhymeState:
    """Each row's rhyme groups (B, G) and the characters that already ended a rhyming line, as the rows
    are written."""

    def __init__(self, tables: VocabTables, groups: frozenset, batch: int):
        self.t = tables
        self.groups = tables.group_mask(groups).expand(batch, -1).clone()  # (B, G)
        self.rhymed = torch.zeros(batch, len(tables.vocab), dtype=torch.bool, device=self.groups.device)  # (B, V)

    @staticmethod
    def kind(layout, line: int, col: int) -> Optional[str]:
        """'must' at the end of a line followed by '。', 'may' at line 1's end, else None."""
        if col != layout.chars - 1:
            return None
        if layout.mark(line) == PERIOD:
            return "must"
        return "may" if line == 0 else None

    def members(self, kind: str) -> torch.Tensor:
        """(B, V) bool: the characters that may end the line, by each row's groups."""
        member = (self.groups.float() @ self.t.groups.float().T) > 0  # (B, G) @ (G, V) → (B, V)
        if kind == "may":
            member |= ~self.t.ping_rhyme
        return member

    def record(self, tokens: torch.Tensor, live: torch.Tensor) -> None:
        """Rows whose line ends in `tokens` (B,): their groups narrow to the character's (if they share any)."""
        self.rhymed[torch.arange(len(tokens), device=tokens.device), tokens] |= live
        narrowed = self.groups & self.t.groups[tokens]  # (B, G)
        keep = narrowed.any(1, keepdim=True) & live[:, None]
        self.groups = torch.where(keep, narrowed, self.groups)


class ToneState:
    """How many key positions each row broke of each template (B, K), as the rows are written."""

    def __init__(self, tables: VocabTables, templates: tuple, batch: int):
        self.t = tables
        codes = [[[_TONE_CODES[m] for m in line] for line in tpl.lines] for tpl in templates]
        self.codes = torch.tensor(codes, device=tables.is_char.device)  # (K, L, C)
        self.breaks = torch.zeros(batch, len(templates), dtype=torch.long, device=self.codes.device)  # (B, K)
        device = self.codes.device
        endings = [[line[-2:] for line in tpl.lines] for tpl in templates]
        self.ends_ping_ping = torch.tensor([[e == "平平" for e in row] for row in endings], device=device)  # (K, L)
        self.ends_ze_ping = torch.tensor([[e == "仄平" for e in row] for row in endings], device=device)  # (K, L)
        # whether each character of the current line may be 平 (B, C)
        self.may_be_ping = torch.zeros(batch, self.codes.shape[2], dtype=torch.bool, device=device)

    def fits(self, line: int, col: int) -> Optional[torch.Tensor]:
        """(B, V) bool: the characters whose tone fits a template still in play and, at a line's
        third-last character, avoids 三平尾 and 孤平; None where all fit."""
        in_play = self.breaks == self.breaks.min(dim=1, keepdim=True).values  # (B, K)
        req = self.codes[:, line, col]  # (K,)
        fits = None
        if (req != _FREE).any():
            free = (in_play & (req == _FREE)).any(1, keepdim=True)  # (B, 1)
            ping = (in_play & (req == _PING)).any(1, keepdim=True)
            ze = (in_play & (req == _ZE)).any(1, keepdim=True)
            fits = free | (ping & self.t.fits_ping) | (ze & self.t.fits_ze)  # (B, V)
        if col != self.codes.shape[2] - 3 or self.codes.shape[2] < 5:  # the faults are of the last 5 characters
            return fits
        avoids = self._avoids_faults(line, in_play)
        return avoids if fits is None else fits & avoids

    def _avoids_faults(self, line: int, in_play: torch.Tensor) -> torch.Tensor:
        """(B, V) bool at a line's third-last character: the characters that avoid 三平尾 and 孤平. Any
        template in play counts: all of them leave this character free, and line 1's type is settled
        only by its last character."""
        C = self.codes.shape[2]
        ping_ping = (in_play & self.ends_ping_ping[:, line]).any(1, keepdim=True)  # (B, 1)
        ze_ping = (in_play & self.ends_ze_ping[:, line]).any(1, keepdim=True)  # (B, 1)
        isolated = ze_ping & (self.may_be_ping[:, C - 5:C - 3].sum(1, keepdim=True) < 2)  # (B, 1)
        return (~ping_ping | self.t.fits_ze) & (~isolated | self.t.fits_ping)  # (B, V)

    def record(self, line: int, col: int, tokens: torch.Tensor, live: torch.Tensor) -> None:
        ping, ze = self.t.fits_ping[tokens][:, None], self.t.fits_ze[tokens][:, None]  # (B, 1)
        self.may_be_ping[:, col] = ping[:, 0]
        req = self.codes[:, line, col]  # (K,)
        fit = (req == _FREE) | ((req == _PING) & ping) | ((req == _ZE) & ze)  # (B, K)
        self.breaks += (~fit & live[:, None]).long()

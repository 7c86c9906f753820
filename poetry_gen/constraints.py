"""Rhyme and tone constraints, in one place: what each vocabulary character is (`VocabTables`), what a
request asks for (`Controls`, built by `controls_for` from the form, a named rhyme and the given text),
and how the controls follow each candidate as it is written (`RhymeState`, `ToneState`, which the
sampler asks at every position).

The controls are per row, so each candidate makes its own choices:
- Rhyme: each row carries, for each rhyme set of the form (forms.Line.rhyme: a tune may change rhyme), a
  set of groups of the form's rhyme book (平水韵 groups for shi, 词林正韵 部 for ci), initially the
  request's: one named group, every group of the set's tone (平 or 仄; for shi the 30 平声 groups), or
  what the given text fixed. At the end of a line of the rhyme set only characters of a group in the
  set may be drawn; the first such character narrows the set to its groups, so the model's own
  preference picks the rhyme and the later lines follow it. A line that only may rhyme (a 近体 first
  line) may join: a character with a rhyme of the set's tone there must be in the set (and narrows it);
  any other character may end it and leaves the set alone. No character rhymes twice (重韵).
- Tones: each row counts, for each template of the form (a tune has one), how many key positions broke
  it; the templates with fewest breaks stay in play. At the first key position (line 1, 2nd character) all four are in
  play, so the model's own choice there picks 平起 or 仄起, and line 1's end picks whether it rhymes.
  The templates leave a line's third-last character free (一三五不论), but the checker's faults
  (prosody.FAULTS) do not: where a template in play ends the line 平平, it must be 仄 (else 三平尾);
  where one ends it 仄平 (…平平仄仄平) and the two characters before it cannot both be 平, it must be
  平 (else 孤平; with it, the standard rescue 仄平平仄平). Both count as tone requirements there (in
  近体 verse only).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Optional, Union

import torch

from . import prosody, reduplication
from .cache import cached, file_stamp, key_of
from .errors import PoetryGenError
from .forms import COMMA, PERIOD, PING, SHI_BOOK, ZE, Form
from .text import PAUSE_MARK, fold_variants, is_hanzi, variants_stamp
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
        key = key_of([prosody.readings_stamp(), file_stamp(__file__), variants_stamp(),
                      file_stamp(reduplication.TABLE), json.dumps(vocab.itos)])  # the vocabulary in one part: fast
        data = cached(cache_dir, f"vocab-tables-{key[:16]}", key, lambda: _compute_tables(vocab))
        (self.is_char, self.fits_ping, self.fits_ze, self.groups, self.ping_rhyme, self.variant_ids,
         self.standard_ids, self.may_double) = (data[name].to(device) for name in (
            "is_char", "fits_ping", "fits_ze", "groups", "ping_rhyme", "variant_ids", "standard_ids", "may_double"))
        self.group_index = {g: i for i, g in enumerate(data["group_names"])}
        self._books = {}  # rhyme book → BookTable, made when a form first rhymes in it

    def mark_id(self, mark: str) -> int:
        """The token of a line mark, or PoetryGenError when the model never learnt it. A model that never
        learnt the pause '、' reads and writes '，' in its place (its corpus wrote it so)."""
        if mark == PAUSE_MARK and mark not in self.vocab:
            mark = COMMA
        if mark not in self.vocab:
            raise PoetryGenError(f"the model's vocabulary lacks the line mark {mark}, so it cannot write this form")
        return self.vocab.stoi[mark]

    def fold_variants(self, logits: torch.Tensor) -> torch.Tensor:
        """Log-probabilities (B, V) of the logits with each variant glyph's probability added to its
        standard form's: the model learnt 疎 and 疏 as two tokens, and the reader sees one character."""
        logp = logits.float().log_softmax(-1)  # (B, V)
        if not len(self.variant_ids):
            return logp
        probs = logp.exp()  # a new tensor: changed in place from here
        probs.index_add_(1, self.standard_ids, probs[:, self.variant_ids])
        probs[:, self.variant_ids] = 0.0
        return probs.log_()

    def only(self, tone: str) -> torch.Tensor:
        """(V,) bool: the characters of tone `tone` (平 or 仄) in every reading."""
        fits = {prosody.PING: self.fits_ping, prosody.ZE: self.fits_ze}
        return fits[tone] & ~fits[prosody.ZE if tone == prosody.PING else prosody.PING]

    def book(self, name: str) -> "BookTable":
        """The groups of rhyme book `name` (forms.SHI_BOOK or CI_BOOK) over the vocabulary."""
        if name not in self._books:
            if name == SHI_BOOK:
                tones = [PING if g in prosody.PING_GROUPS else ZE for g in self.group_index]
                self._books[name] = BookTable(self.groups, list(self.group_index), tones)
            else:
                self._books[name] = _book_table(self.vocab, self.is_char, rhyme_book(name))
        return self._books[name]

    def has_rhyme_in(self, group: str) -> bool:
        """Whether some character the model may write rhymes in `group` (平水韵)."""
        return bool((self.groups[:, self.book(SHI_BOOK).mask([group])].any(1) & self.is_char).any())


class BookTable:
    """A rhyme book's groups over a vocabulary: (V, G) bool `groups`, the groups' names and tones."""

    def __init__(self, groups: torch.Tensor, names: list, tones: list):
        self.groups, self.names, self.tones = groups, names, tones
        self.index = {g: i for i, g in enumerate(names)}
        tone_masks = {tone: torch.tensor([t == tone for t in tones], dtype=torch.bool, device=groups.device)
                      for tone in (PING, ZE)}
        # the characters with a rhyme of each tone (those without may end a line that need not rhyme)
        self.rhymes_in = {tone: (groups & mask).any(1) for tone, mask in tone_masks.items()}  # (V,) each

    def mask(self, groups) -> torch.Tensor:
        """(G,) bool of the named groups (those no vocabulary character has are left out)."""
        mask = torch.zeros(self.groups.shape[1], dtype=torch.bool, device=self.groups.device)
        for g in groups:
            if g in self.index:
                mask[self.index[g]] = True
        return mask

    def names_of(self, tone: str) -> frozenset:
        return frozenset(g for g, t in zip(self.names, self.tones) if t == tone)


@dataclass(frozen=True)
class RhymeBook:
    """A rhyme book: the groups a character rhymes in, and each group's tone."""

    name: str
    groups: Callable  # character → frozenset of its groups (平水韵: names; 词林正韵: cilin.Section)
    tone: Callable  # group → 平 or 仄


def rhyme_book(name: str) -> RhymeBook:
    """平水韵 (prosody: its 106 groups) or 词林正韵 (cilin: its 部, 平, 上去 and 入 apart)."""
    if name == SHI_BOOK:
        return RhymeBook(name, prosody.rhyme_groups, lambda g: PING if g in prosody.PING_GROUPS else ZE)
    from . import cilin  # the ci rhyme book is read only for ci

    return RhymeBook(name, cilin.sections, lambda section: section.tone)


def _book_table(vocab: Vocab, is_char: torch.Tensor, book: RhymeBook) -> BookTable:
    readings = [book.groups(t) if ok else frozenset() for t, ok in zip(vocab.itos, is_char.tolist())]
    names = sorted({g for r in readings for g in r})
    index = {g: i for i, g in enumerate(names)}
    groups = torch.zeros(len(vocab), len(names), dtype=torch.bool)
    cells = [(i, index[g]) for i, r in enumerate(readings) for g in r]
    groups[[i for i, _ in cells], [j for _, j in cells]] = True
    return BookTable(groups.to(is_char.device), names, [book.tone(g) for g in names])


def _compute_tables(vocab: Vocab) -> dict:
    """VocabTables' tensors on the CPU: (V,) bool is_char (the characters that may be drawn), fits_ping,
    fits_ze, ping_rhyme, may_double (its 叠字 is attested); (V, G) bool groups over `group_names`, the
    rhyme groups some vocabulary character has; (n,) long variant_ids and their standard_ids."""
    hanzi = [i >= vocab.first_char_id and len(t) == 1 and is_hanzi(t) for i, t in enumerate(vocab.itos)]
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

    rhyme: Optional[tuple] = None  # per rhyme set of the form (Form.rhymes' order), the groups of its rhyme
    # book it may take; None = rhyme not controlled
    templates: tuple = ()  # forms.Template of the form; () = tones free
    tones: str = "soft"  # soft | strict | off
    distinct: bool = False  # no character twice in the poem, the given text included (but Layout.echoes)
    faults: bool = True  # keep 三平尾 and 孤平 out (近体 verse; ci and couplets do not count them)


def controls_for(tables: VocabTables, form: Form, rhyme: Union[bool, str], tones: str, given: list) -> Controls:
    """The controls of a request for `form`: `rhyme` True (a group of each rhyme set's tone, which the
    model picks), False (free) or a 平声 group's name (shi only); `tones` soft, strict or off; `given`:
    the start text's lines, whose line ends narrow the rhyme."""
    templates = form.templates if tones != "off" else ()
    sets = None if rhyme is False else _rhyme_sets(tables, form, rhyme, given)
    return Controls(sets, templates, tones, faults=form.genre == "shi")


def _rhyme_sets(tables: VocabTables, form: Form, rhyme: Union[bool, str], given: list) -> tuple:
    """Per rhyme set of `form`, the groups a row may take before it writes: one named group, or every
    group of the set's tone in the form's rhyme book, narrowed by the line ends the start text (its
    lines `given`) fixes."""
    named = None
    if isinstance(rhyme, str):
        if form.book != SHI_BOOK:
            raise PoetryGenError(f"a {form.name} rhymes by {form.book} 部, which the model picks; a rhyme "
                                 f"group is named for shi only")
        named = prosody.validate_rhyme_group(rhyme)
        if not tables.has_rhyme_in(named):
            raise PoetryGenError(f"the model knows no character of the rhyme group {named}")
    book, table = rhyme_book(form.book), tables.book(form.book)
    sets = {label: frozenset([named]) if named else table.names_of(tone) for label, tone in form.rhymes}
    for i, text in enumerate(given):
        line = form.shape[i]
        if len(text) < line.chars or line.rhyme is None:  # a line still to write, or one that does not rhyme
            continue
        ch, groups = text[-1], sets[line.rhyme]
        own = book.groups(ch)
        if groups & own:
            sets[line.rhyme] = groups & own
        elif line.may_rhyme:  # a line that may join the rhyme and does not
            continue
        elif named:
            raise PoetryGenError(f"line {i + 1} of the start text ends in {ch} "
                                 f"({'/'.join(sorted(own)) or 'not in the 平水韵 table'}), which does "
                                 f"not rhyme in the {named} group")
        elif own:  # the given text rhymes otherwise (even in a 仄声 group): follow it
            sets[line.rhyme] = own
    return tuple(sets[label] for label, _ in form.rhymes)


class RhymeState:
    """Each row's rhyme groups per rhyme set (B, S, G) and the characters that already ended a rhyming
    line, as the rows are written."""

    def __init__(self, tables: VocabTables, form: Form, sets: tuple, batch: int):
        self.book = tables.book(form.book)
        self.index = {label: i for i, (label, _) in enumerate(form.rhymes)}
        self.tone = dict(form.rhymes)
        masks = torch.stack([self.book.mask(groups) for groups in sets])  # (S, G)
        self.groups = masks.expand(batch, -1, -1).clone()  # (B, S, G)
        self.rhymed = torch.zeros(batch, len(tables.vocab), dtype=torch.bool, device=self.groups.device)  # (B, V)

    def members(self, slot) -> torch.Tensor:
        """(B, V) bool: the characters that may end the line of `slot` (forms.Slot), by each row's
        groups of the line's rhyme set; where the line only may rhyme, also those with no rhyme of
        the set's tone."""
        groups = self.groups[:, self.index[slot.rhyme]]  # (B, G)
        member = (groups.float() @ self.book.groups.float().T) > 0  # (B, G) @ (G, V) → (B, V)
        if slot.may_rhyme:
            member |= ~self.book.rhymes_in[self.tone[slot.rhyme]]
        return member

    def record(self, slot, tokens: torch.Tensor, live: torch.Tensor) -> None:
        """Rows whose line ends in `tokens` (B,): their groups of the line's rhyme set narrow to the
        character's (if they share any)."""
        self.rhymed[torch.arange(len(tokens), device=tokens.device), tokens] |= live
        s = self.index[slot.rhyme]
        narrowed = self.groups[:, s] & self.book.groups[tokens]  # (B, G)
        keep = narrowed.any(1, keepdim=True) & live[:, None]
        self.groups[:, s] = torch.where(keep, narrowed, self.groups[:, s])


class ToneState:
    """How many key positions each row broke of each template (B, K), as the rows are written."""

    def __init__(self, tables: VocabTables, form: Form, templates: tuple, faults: bool, batch: int):
        self.t, self.form, self.faults = tables, form, faults
        device = tables.is_char.device
        codes = [[_FREE if slot.mark else _TONE_CODES[tpl.lines[slot.line][slot.col]] for slot in form.slots]
                 for tpl in templates]
        self.codes = torch.tensor(codes, device=device)  # (K, P)
        self.breaks = torch.zeros(batch, len(templates), dtype=torch.long, device=device)  # (B, K)
        endings = [[line[-2:] for line in tpl.lines] for tpl in templates]
        self.ends_ping_ping = torch.tensor([[e == "平平" for e in row] for row in endings], device=device)  # (K, L)
        self.ends_ze_ping = torch.tensor([[e == "仄平" for e in row] for row in endings], device=device)  # (K, L)
        # whether each character written so far may be 平 (B, P)
        self.may_be_ping = torch.zeros(batch, form.length, dtype=torch.bool, device=device)

    def fits(self, p: int, slot) -> Optional[torch.Tensor]:
        """(B, V) bool at position p (its forms.Slot `slot`): the characters whose tone fits a template
        still in play and, at a 近体 line's third-last character, avoids 三平尾 and 孤平; None where all fit."""
        in_play = self.breaks == self.breaks.min(dim=1, keepdim=True).values  # (B, K)
        req = self.codes[:, p]  # (K,)
        fits = None
        if (req != _FREE).any():
            free = (in_play & (req == _FREE)).any(1, keepdim=True)  # (B, 1)
            ping = (in_play & (req == _PING)).any(1, keepdim=True)
            ze = (in_play & (req == _ZE)).any(1, keepdim=True)
            fits = free | (ping & self.t.fits_ping) | (ze & self.t.fits_ze)  # (B, V)
        chars = self.form.shape[slot.line].chars
        if not self.faults or slot.col != chars - 3 or chars < 5:  # the faults are of the last 5 characters
            return fits
        avoids = self._avoids_faults(p, slot.line, in_play)
        return avoids if fits is None else fits & avoids

    def _avoids_faults(self, p: int, line: int, in_play: torch.Tensor) -> torch.Tensor:
        """(B, V) bool at a line's third-last character (position p): the characters that avoid 三平尾
        and 孤平. Any template in play counts: all of them leave this character free, and line 1's type is
        settled only by its last character."""
        ping_ping = (in_play & self.ends_ping_ping[:, line]).any(1, keepdim=True)  # (B, 1)
        ze_ping = (in_play & self.ends_ze_ping[:, line]).any(1, keepdim=True)  # (B, 1)
        isolated = ze_ping & (self.may_be_ping[:, p - 2:p].sum(1, keepdim=True) < 2)  # (B, 1)
        return (~ping_ping | self.t.fits_ze) & (~isolated | self.t.fits_ping)  # (B, V)

    def record(self, p: int, tokens: torch.Tensor, live: torch.Tensor) -> None:
        ping, ze = self.t.fits_ping[tokens][:, None], self.t.fits_ze[tokens][:, None]  # (B, 1)
        self.may_be_ping[:, p] = ping[:, 0]
        req = self.codes[:, p]  # (K,)
        fit = (req == _FREE) | ((req == _PING) & ping) | ((req == _ZE) & ze)  # (B, K)
        self.breaks += (~fit & live[:, None]).long()

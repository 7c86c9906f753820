"""The tune table (词谱): each common tune's lines, marks, per-position tones and rhymes, derived from
the ci of a built corpus.

No package ships a 词谱 (and the ones on the web are GPL), so the table is measured: `derive_tunes`
reads the train split's ci of each tune with at least `min_ci` of them and writes, for the prevailing
form of the tune,

    ci "浣溪沙" (775 ci) ──► total length: the most common one (42)
                            rhymes: line ends present in most of those ci, linked when their characters
                                    share a 词林正韵 部 (cilin) in at least half of them; each linked group,
                                    less the ends that keep its rhyme in under 70% of the ci (optional
                                    rhymes), is a rhyme set (a, b, ...), 平 or 仄 by the 部 they share
                            shape ci: those of that length with a mark after every rhyme (the prevailing
                                    form, whatever its commas): their count is `shape_ci`
                            lines: the most common split into lines of the shape ci, each line's mark
                                    the most common one there
                            tones: per position, 平 or 仄 where ≥ 80% of the shape ci with a known tone
                                    there agree (prosody.line_tones), else 中
                            片: where the second stanza ends like the first (see _stanzas)
                            叠句: a line that repeats the one before it, character for character, in at
                                    least REPEAT_SHARE of the ci of those lines (如梦令's 争渡，争渡)

Long tunes are punctuated many ways (水调歌头 has dozens of comma variants), which is why ci are
compared by total length and rhyme positions, and the comma split is only chosen at the end.

The table (`poetry_gen/data/tunes.json`, INTERFACES §3) is written by `poetry-gen corpus tunes DIR`
and read by `load_tunes`. Each line of a tune is {"chars", "mark", "tones", "rhyme"} and, optionally,
"repeats": true for a 叠句 (the line is the previous line again; absent means false), which the decoder
writes as a copy where everywhere else it bans a line that copies an earlier one.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Iterable, Optional

from . import cilin
from .checks import check_whole
from .errors import PoetryGenError
from .files import write_atomic
from .prosody import EITHER, PING, ZE, line_tones
from .text import is_hanzi

FORMAT = 1
TUNES_FILE = Path(__file__).parent / "data" / "tunes.json"
CI_MARKS = "，。、？！；："  # the marks that end a line of ci ('、' a pause inside a sentence, 逗)
MIN_CI = 50  # tunes with fewer train ci are left out of the table
FIXED_SHARE = 0.8  # a position's tone is fixed when this share of the ci with a known tone agree
LINK_SHARE = 0.5  # two line ends rhyme together when their characters share a 部 in this share of ci
CUT_SHARE = 0.5  # a position is a candidate rhyme when this share of ci end a line there
RHYME_SHARE = 0.7  # ... and a linked line end is a rhyme of the tune when it keeps the rhyme this often
REPEAT_SHARE = 0.5  # a line is a 叠句 when this share of the ci repeat the line before it there
SHORT_TUNE = 40  # a tune of at most this many characters whose stanzas do not repeat has one 片

_LINE = re.compile(f"([^{CI_MARKS}]+)([{CI_MARKS}])")


@dataclass(frozen=True)
class TuneLine:
    chars: int
    mark: str  # the punctuation after the line
    tones: str  # 平/仄/中 per character
    rhyme: Optional[str]  # a rhyme-set label ("a", "b", ...) or None
    repeats: bool = False  # 叠句: the line is the previous line again


@dataclass(frozen=True)
class Tune:
    name: str
    ci: int  # train ci of this tune
    shape_ci: int  # of them, those of the prevailing length and rhymes: the tones come from these
    lines: tuple  # TuneLine per line
    stanza_lines: tuple  # lines per 片
    rhymes: dict  # rhyme-set label → 平 or 仄

    @property
    def chars(self) -> int:
        return sum(line.chars for line in self.lines)

    @property
    def shape(self) -> tuple:
        """Characters per line: (7, 7, 7, 7, 7, 7) for 浣溪沙."""
        return tuple(line.chars for line in self.lines)

    def to_dict(self) -> dict:
        return {"name": self.name, "ci": self.ci, "shape_ci": self.shape_ci,
                "lines": [_line_dict(l) for l in self.lines],
                "stanza_lines": list(self.stanza_lines), "rhymes": dict(self.rhymes)}

    @classmethod
    def from_dict(cls, raw: dict) -> "Tune":
        lines = tuple(TuneLine(l["chars"], l["mark"], l["tones"], l["rhyme"], l.get("repeats", False))
                      for l in raw["lines"])
        return cls(raw["name"], raw["ci"], raw.get("shape_ci", raw["ci"]), lines, tuple(raw["stanza_lines"]),
                   dict(raw["rhymes"]))


def _line_dict(line: TuneLine) -> dict:
    out = {"chars": line.chars, "mark": line.mark, "tones": line.tones, "rhyme": line.rhyme}
    return out | ({"repeats": True} if line.repeats else {})


def ci_lines(text: str) -> Optional[list]:
    """[(line, mark), ...] of a ci, or None unless it is all hanzi lines each ended by a mark."""
    found = _LINE.findall(text)
    if not found or sum(len(line) + 1 for line, _ in found) != len(text):
        return None
    if not all(is_hanzi(ch) for line, _ in found for ch in line):
        return None
    return found


# --- deriving the table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Ci:
    """One ci, cut free of its commas: its characters and where its lines end."""

    chars: str
    ends: tuple  # 0-based index of the last character of each line
    marks: tuple  # the mark after each line
    tones: tuple  # per character: the tones it may take (prosody.line_tones)

    @classmethod
    def parse(cls, text: str) -> Optional["_Ci"]:
        lines = ci_lines(text)
        if lines is None:
            return None
        ends, total = [], 0
        for line, _ in lines:
            total += len(line)
            ends.append(total - 1)
        tones = tuple(t for line, _ in lines for t in line_tones(line))
        return cls("".join(line for line, _ in lines), tuple(ends), tuple(mark for _, mark in lines), tones)


def derive_tunes(ci: Iterable[tuple], min_ci: int = MIN_CI) -> list:
    """Tunes (most ci first) from (tune name, ci text) pairs: every tune with at least `min_ci`."""
    by_tune = {}
    for name, text in ci:
        if name:
            by_tune.setdefault(name, []).append(text)
    tunes = []
    for name, texts in sorted(by_tune.items(), key=lambda item: (-len(item[1]), item[0])):
        if len(texts) < min_ci:
            continue
        parsed = [c for c in map(_Ci.parse, texts) if c is not None]
        tune = _derive_tune(name, len(texts), parsed)
        if tune is not None:
            tunes.append(tune)
    return tunes


def _derive_tune(name: str, count: int, parsed: list) -> Optional[Tune]:
    if not parsed:
        return None
    length = Counter(len(c.chars) for c in parsed).most_common(1)[0][0]
    same_length = [c for c in parsed if len(c.chars) == length]
    sets = _rhyme_sets(same_length)
    rhyme_positions = {p for positions in sets for p in positions}
    shape = [c for c in same_length if rhyme_positions <= set(c.ends)]
    if not shape:
        return None
    ends = Counter(c.ends for c in shape).most_common(1)[0][0]
    marks = [Counter(c.marks[i] for c in shape if c.ends == ends).most_common(1)[0][0] for i in range(len(ends))]
    tones = _fixed_tones(shape, length)
    labels = {}  # position → label, labels in order of first appearance
    kinds = {}
    for positions in sorted(sets, key=min):
        label = "abcdefghijklmnopqrstuvwxyz"[len(kinds)]
        kinds[label] = _rhyme_tone(shape, positions)
        labels.update(dict.fromkeys(positions, label))
    repeats = _repeated_lines([c.chars for c in shape if c.ends == ends], ends)
    lines, start = [], 0
    for end, mark, repeat in zip(ends, marks, repeats):
        lines.append(TuneLine(end + 1 - start, mark, "".join(tones[start:end + 1]), labels.get(end), repeat))
        start = end + 1
    return Tune(name, count, len(shape), tuple(lines), _stanzas(lines, kinds), kinds)


def _repeated_lines(texts: list, ends: tuple) -> list:
    """Per line (`ends`: the index of each line's last character), whether it is a 叠句: in at least
    REPEAT_SHARE of the ci `texts` (their characters, all of these lines) it is the line before it again."""
    starts = [0] + [end + 1 for end in ends[:-1]]
    out = [False]
    for k in range(1, len(ends)):
        this, before = slice(starts[k], ends[k] + 1), slice(starts[k - 1], ends[k - 1] + 1)
        same = sum(text[this] == text[before] for text in texts)
        out.append(same >= REPEAT_SHARE * len(texts))
    return out


def _rhyme_sets(ci: list) -> list:
    """Sets of character positions that rhyme together: the line ends most ci share, linked when their
    characters share a 部 in at least LINK_SHARE of the ci; a set is a connected group of links."""
    cut_counts = Counter(p for c in ci for p in c.ends)
    candidates = sorted(p for p, n in cut_counts.items() if n >= CUT_SHARE * len(ci))
    found = [{p: cilin.sections(c.chars[p]) for p in candidates} for c in ci]
    parent = {p: p for p in candidates}

    def root(p):
        while parent[p] != p:
            p = parent[p]
        return p

    for a, b in combinations(candidates, 2):
        if sum(bool(f[a] & f[b]) for f in found) >= LINK_SHARE * len(ci):
            parent[root(b)] = root(a)
    groups = {}
    for p in candidates:
        groups.setdefault(root(p), set()).add(p)
    kept = [_required(group, found) for group in groups.values() if len(group) > 1]
    return [group for group in kept if len(group) > 1]


def _required(group: set, found: list) -> frozenset:
    """The positions of a linked group that rhyme in at least RHYME_SHARE of the ci: in each ci, the 部
    most of the group's characters share is its rhyme; a position that keeps it less often is a rhyme
    some poets take and others do not (水龙吟's 下片 opening line), which the table leaves free."""
    kept = Counter()
    for sections in found:
        votes = Counter(s for p in group for s in sections[p])
        if votes:
            rhyme = votes.most_common(1)[0][0]
            kept.update(p for p in group if rhyme in sections[p])
    return frozenset(p for p in group if kept[p] >= RHYME_SHARE * len(found))


def _rhyme_tone(ci: list, positions) -> str:
    """平 or 仄: the tone of the 部 the set's characters share, in most ci where they share one."""
    votes = Counter(s.tone for c in ci for s in cilin.shared_sections(c.chars[p] for p in positions))
    return PING if votes[PING] >= votes[ZE] else ZE


def _fixed_tones(ci: list, length: int) -> list:
    out = []
    for p in range(length):
        known = Counter(next(iter(c.tones[p])) for c in ci if len(c.tones[p]) == 1)
        total = sum(known.values())
        tone, n = known.most_common(1)[0] if known else (EITHER, 0)
        out.append(tone if total and n >= FIXED_SHARE * total else EITHER)
    return out


def _stanzas(lines: list, kinds: dict) -> tuple:
    """Lines per 片. The second stanza of a two-片 tune repeats the first, most of all at its end
    (后结同前结). Aligned at their ends, the two stanzas match (length and rhyme tone) in at least two
    and half the longer one's units: first compared by rhyme segment (the lines up to a rhyme, so
    that commas do not matter: 水龙吟), then line by line (浣溪沙, whose 下片 opens on a line that does
    not rhyme); on a tie, the split nearest the middle by characters. A tune without such a repeat is
    one 片 if short (at most SHORT_TUNE characters: 如梦令), else two split at the rhyme nearest the
    middle (清平乐, 八声甘州). A 片 ends on a rhyme."""
    ends = [i + 1 for i, line in enumerate(lines) if line.rhyme is not None]  # line counts after a rhyme
    if not ends:
        return (len(lines),)
    segments = [lines[a:b] for a, b in zip([0] + ends, ends)]
    by_segment = [(sum(l.chars for l in seg), kinds[seg[-1].rhyme]) for seg in segments]
    by_line = [(l.chars, kinds.get(l.rhyme)) for l in lines]
    total = sum(l.chars for l in lines)

    def balance(k):  # k: lines in the first 片
        return -abs(2 * sum(l.chars for l in lines[:k]) - total)

    for units, to_lines in ((by_segment, lambda j: ends[j - 1]), (by_line, lambda j: j)):
        best = _repeat_split(units, [j for j in range(1, len(units)) if to_lines(j) in ends], to_lines, balance)
        if best is not None:
            return best, len(lines) - best
    if total <= SHORT_TUNE:
        return (len(lines),)
    best = max(ends[:-1], key=balance, default=None)
    return (len(lines),) if best is None else (best, len(lines) - best)


def _repeat_split(units: list, splits: list, to_lines, balance) -> Optional[int]:
    """The number of lines of the first 片 at the split of `units` whose halves match best at their
    ends, or None when no split matches in at least two units and half the longer half's."""
    def matches(j):
        return sum(a == b for a, b in zip(reversed(units[:j]), reversed(units[j:])))

    repeated = [j for j in splits if matches(j) >= max(2, max(j, len(units) - j) / 2)]
    if not repeated:
        return None
    return to_lines(max(repeated, key=lambda j: (matches(j), balance(to_lines(j)))))


def build_corpus_tunes(directory, out, min_ci: int = MIN_CI) -> str:
    """Derive the table from the ci of a built corpus's train split (their tune: the tags' form), write it
    to `out`, and say what it holds."""
    from .corpus import check_outside, load_poems, load_tags  # the corpus pipeline, only when a table is built

    check_whole(min_ci, "--min-ci", 1)
    check_outside(directory, out)
    tags = load_tags(directory, "train")
    ci = [(tag["form"], poem) for poem, tag in zip(load_poems(directory, "train"), tags) if tag.get("genre") == "ci"]
    if not ci:
        raise PoetryGenError(f"{directory}: no ci in the train split (build the corpus with the ci collections)")
    tunes = derive_tunes(ci, min_ci)
    if not tunes:  # an empty table would leave generate and check without a tune (the default out is the package's)
        raise PoetryGenError(f"{directory}: no tune has {min_ci:,} train ci or more (of {len(ci):,} ci); nothing "
                             f"written: lower --min-ci")
    stats = _stats(directory)
    aliases = derive_aliases(stats.get("tune_aliases") or {}, [t.name for t in tunes])
    write_tunes(out, tunes, f"poetry-gen corpus tunes: the {len(ci):,} ci of the train split of {_origin(stats)}",
                min_ci, aliases)
    in_table = sum(t.ci for t in tunes)
    return (f"wrote {out}: {len(tunes)} tunes of at least {min_ci} train ci, {in_table:,} of the {len(ci):,} ci "
            f"({in_table / len(ci):.0%}); {sum(t.shape_ci for t in tunes):,} of them in their tune's prevailing "
            f"length and rhymes; {len(aliases)} other names of them")


def derive_aliases(resolved: dict, names: Iterable[str]) -> dict:
    """Other names of the table's tunes → the table's name, from the source's alias pairs (`resolved`: a
    stored name such as 酹江月・念奴娇 → the corpus's name for its tune; stats.json's tune_aliases). A name
    is an alias of the one table tune its pairs resolve to: 忆江南 of 望江南 (望江南・忆江南), although
    忆江南・梦江南 resolves to 梦江南, which the table lacks. A tune of the table, or a name whose pairs
    resolve to two of them, is no alias."""
    from .corpus import tune_alias_names  # the corpus pipeline, only when a table is built

    table, found = set(names), {}
    for stored, tune in resolved.items():
        if tune in table:
            for name in tune_alias_names(stored):
                if name not in table and name and all(map(is_hanzi, name)):
                    found.setdefault(name, set()).add(tune)
    return {name: tune for name, (tune, *others) in sorted(found.items()) if not others}


def _stats(directory) -> dict:
    try:
        stats = json.loads((Path(directory) / "stats.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stats if isinstance(stats, dict) else {}


def _origin(stats: dict) -> str:
    """What the corpus was built from, as its stats.json says ('chinese-poetry-2.0.1.tgz, songci,…')."""
    try:
        return f"{Path(stats['source']).name}, collections {stats['collection']}"
    except (KeyError, TypeError):
        return "a built corpus"


# --- the table file -------------------------------------------------------------------------------

def write_tunes(path, tunes: list, source: str, min_ci: int, aliases: Optional[dict] = None) -> Path:
    """Write the table (atomically), one tune a line so that a rebuild's diff shows which tunes moved."""
    head = json.dumps({"format": FORMAT, "source": source, "min_ci": min_ci, "aliases": aliases or {}},
                      ensure_ascii=False)[:-1]
    rows = ",\n".join(json.dumps(t.to_dict(), ensure_ascii=False) for t in tunes)
    return write_atomic(path, f'{head}, "tunes": [\n{rows}\n]}}\n')


@lru_cache(maxsize=None)
def _load(path: str) -> dict:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise PoetryGenError(f"{path}: cannot read the tune table ({e})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PoetryGenError(f"{path}: not a tune table of format {FORMAT}")
    tunes = {t.name: t for t in (Tune.from_dict(t) for t in raw["tunes"])}
    aliases = raw.get("aliases", {})  # a table written before aliases were has none
    if not isinstance(aliases, dict) or not set(aliases.values()) <= set(tunes):
        raise PoetryGenError(f"{path}: its aliases name tunes it lacks")
    return tunes, aliases


def load_tunes(path=TUNES_FILE) -> dict:
    """name → Tune, most ci first, from the package's table (or another written by `corpus tunes`)."""
    return dict(_load(str(path))[0])


def load_aliases(path=TUNES_FILE) -> dict:
    """Another name of a tune of the table → the table's name: 忆江南 → 望江南, 一剪梅 → 一翦梅, 金缕曲 → 贺新郎."""
    return dict(_load(str(path))[1])


def tune_named(name: str, path=TUNES_FILE) -> Optional[Tune]:
    """The tune of the table of this (simplified) name or alias, else None."""
    tunes, aliases = _load(str(path))
    return tunes.get(name) or tunes.get(aliases.get(name))

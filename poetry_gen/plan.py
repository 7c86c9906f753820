"""The plan of a poem: one keyword per line, read before the poem so that each line can attend to its own
topic word (planning-based generation: Wang et al. 2016, "Chinese Poetry Generation with Planning based
Neural Network"; THUNLP's Jiuge).

    <bos> <五绝> <plan> 白日 <sep> 入海 <sep> 千里 <sep> 层 <sep> 白 日 依 山 尽 ， …
                 ╰──────────── plan: one keyword per line, in line order ─────╯

In training, a poem's plan is taken from the poem itself (`line_keywords`): each line is cut and tagged
by jieba, and of its words (2-character pieces of longer ones) in at least PLAN_WORD_SHARE of the
corpus's own train poems (the words a plan can be made of in generation) the rarest noun wins (a
place or time word counts as one), else the rarest verb or adjective, else the rarest word; a single
character at the line's end comes last, since there it is mostly chosen by the rhyme (without that rule
the table's neighbours of 秋 were 丘 幽 舟 囚 洲 牛 流: its rhyme group). `corpus build` writes the plans
of every split ({split}.plans.json) and the table generation expands plans from (PLAN_TABLE_FILE);
training stores the table in the checkpoint's "plan_words" (like theme_words), so that a generator needs
nothing but its checkpoint.

In generation, the user's theme keywords (or nothing) are expanded into a plan of one keyword per line
with the table: the train plans' most frequent words with, for each, the words that share poems' plans
with it most, by cosine association (co-occurrences / √(count × count)):

    PLAN_TABLE_FILE     one line per word:  word count neighbour neighbour …   (best neighbour first)
                        江 810 帆 舟 楚 浪 楫 猿 涛 …                          (the Tang train plans)

A plan the user writes (`--plan 春 江 月 归`) is used as it is: one word per line of the form.
"""
from __future__ import annotations

import math
import random
import sys
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from .checks import shown
from .conditioning import PLAN
from .errors import PoetryGenError
from .text import is_hanzi, normalize, split_lines
from .theme import pos_tagger, word_counts
from .vocab import Vocab

PLAN_WORD_SHARE = 1 / 1000  # a plan word is in at least this share of the train poems ...
MIN_PLAN_POEMS = 3  # ... and in at least this many
PLAN_TABLE_FILE = "plan_words.txt"
TABLE_WORDS = 3000  # words of the expansion table (the Tang train plans use 5,711 words, 4,823 in 5 poems or more)
TABLE_NEIGHBOURS = 24  # neighbours kept per word
EXPAND_FROM = 5  # a plan word is drawn among the 5 best-associated candidates
START_FROM = 200  # without a theme the first word is drawn among the 200 most frequent plan words
MAX_PLAN_WORD_CHARS = 4
MIN_COOCCURRENCES = 3  # pairs seen fewer times are chance (a rare word's one poem would rank first)
# jieba tag initials → preference: nouns, times and places name a line's topic; verbs and adjectives next
_POS_RANK, _OTHER_RANK = {"n": 0, "t": 0, "s": 0, "v": 1, "a": 1}, 2


# --- in training: the plan of a real poem ----------------------------------------------------------

def split_plans(splits: dict[str, list[str]], progress: bool = False) -> dict[str, list[list[str]]]:
    """The plan of every poem of each split (`line_keywords`), by the statistics of splits["train"]."""
    from tqdm import tqdm  # imported here: a build shows progress; the generator and the CLI's checks need none

    counts = word_counts(splits["train"], share=PLAN_WORD_SHARE, least=MIN_PLAN_POEMS)
    tokenizer = pos_tagger()
    plans = {name: [] for name in splits}
    every = [(name, poem) for name, poems in splits.items() for poem in poems]
    for name, poem in tqdm(every, desc="plans", unit="poem", disable=None if progress else True, file=sys.stderr):
        plans[name].append(line_keywords(poem, tokenizer, counts))
    return plans


def line_keywords(poem: str, tokenizer, counts: dict) -> list[str]:
    """One keyword per line of `poem` (see the module docstring): the word of the line in the fewest
    train poems (`counts`), among those `counts` holds; a line without one gets its rarest character.
    A ci's pause '、' ends a line here as in its tune, so that a plan has one word per line of the form."""
    return [_line_keyword(line, tokenizer, counts) for line in split_lines(poem, at_pauses=True)[0] if line]


def _line_keyword(line: str, tokenizer, counts: dict) -> str:
    candidates = []  # (a rhyme character, part-of-speech rank, poems, -length, word): the least wins
    at = 0
    for pair in tokenizer.lcut(line, HMM=False):  # HMM guesses modern words the dictionary lacks
        word, rank = pair.word, _POS_RANK.get(pair.flag[:1], _OTHER_RANK)
        at += len(word)
        rhyme = len(word) == 1 and at == len(line)
        for piece in [word] if len(word) <= 2 else [word[i:i + 2] for i in range(len(word) - 1)]:
            if piece in counts:
                candidates.append((rhyme, rank, counts[piece], -len(piece), piece))
    if candidates:
        return min(candidates)[-1]
    return min((ch for ch in line if is_hanzi(ch)), key=lambda ch: counts.get(ch, 0), default=line[:1])


def plan_table(plans: Iterable[list[str]]) -> str:
    """PLAN_TABLE_FILE's text from the train poems' plans (module docstring)."""
    counts, pairs = Counter(), Counter()
    for plan in plans:
        words = sorted(set(plan))
        counts.update(words)
        pairs.update((a, b) for i, a in enumerate(words) for b in words[i + 1:])
    kept = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TABLE_WORDS]]
    index = set(kept)
    neighbours = {w: [] for w in kept}
    for (a, b), n in pairs.items():
        if a in index and b in index and n >= MIN_COOCCURRENCES:
            association = n / math.sqrt(counts[a] * counts[b])
            neighbours[a].append((-association, b))
            neighbours[b].append((-association, a))
    return "".join(f"{w} {counts[w]} {' '.join(b for _, b in sorted(neighbours[w])[:TABLE_NEIGHBOURS])}".rstrip()
                   + "\n" for w in kept)


def plan_prefix_ids(words: Sequence[str], vocab: Vocab) -> list[int]:
    """<plan> kw <sep> kw <sep> …: a plan as the model reads it (a character the vocabulary lacks is <unk>)."""
    ids = [vocab.stoi[PLAN]] if PLAN in vocab else []
    for word in words:
        ids += vocab.encode(word) + [vocab.sep_id]
    return ids


# --- in generation: a plan from a theme, or the user's ---------------------------------------------

@dataclass(frozen=True)
class PlanTable:
    """A checkpoint's plan table: words by falling count, and each word's neighbours, best first."""
    words: tuple
    counts: tuple
    neighbours: dict

    @classmethod
    def parse(cls, text: str) -> "PlanTable":
        check_plan_table(text)
        rows = [line.split() for line in text.splitlines() if line.strip()]
        return cls(tuple(r[0] for r in rows), tuple(int(r[1]) for r in rows), {r[0]: r[2:] for r in rows})

    def expand(self, seeds: Sequence[str], lines: int, rng: random.Random) -> list[str]:
        """A plan of `lines` words: the `seeds` (a theme's keywords) first, then words drawn among the
        EXPAND_FROM best associated with those chosen so far; without seeds, the first word is drawn
        among the START_FROM most frequent (by their counts). A word never shares a character with one
        chosen before it (春 after 春风 would say the same twice)."""
        plan = list(dict.fromkeys(seeds))[:lines]
        if not plan and self.words:
            plan += rng.choices(self.words[:START_FROM], weights=self.counts[:START_FROM])
        while len(plan) < lines:
            scores = Counter()
            for word in plan:
                for source in [word] if word in self.neighbours else list(word):
                    ranked = self.neighbours.get(source, ())
                    for rank, other in enumerate(ranked):
                        scores[other] += (len(ranked) - rank) / len(ranked)
            used = set("".join(plan))
            candidates = [w for w, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))
                          if not used & set(w)][:EXPAND_FROM]
            if not candidates:  # nothing associated left: a frequent word not yet used
                candidates = [w for w in self.words[:START_FROM] if not used & set(w)][:EXPAND_FROM]
            if not candidates:
                raise PoetryGenError(f"the plan table has too few words for a plan of {lines} lines")
            plan += rng.choices(candidates, weights=[scores.get(w, 1.0) for w in candidates])
        return plan


def check_plan_table(text: str) -> None:
    """PoetryGenError at the first line of `text` (a checkpoint's plan_words) that is neither blank nor a word,
    its count and its neighbours: what `PlanTable.parse` reads. Cheap (a few ms for TABLE_WORDS lines), so
    that a checkpoint's table is checked when the checkpoint loads, not when a plan is first expanded."""
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split(None, 2)
        if fields and not (len(fields) > 1 and _is_count(fields[1])):
            raise PoetryGenError(f"plan_words line {number:,} is not a word, its count and its neighbours: "
                                 f"{shown(line)}")


def _is_count(field: str) -> bool:
    """A word's count in the plan table: a number of poems, 1 or more. `expand` draws words weighted by
    their counts, which random.choices adds up as floats."""
    try:
        return 0 < int(field) < 2 ** 63
    except ValueError:  # not a number, or too long to read as one
        return False


def check_plan_words(words) -> list[str]:
    """A user's plan (a list of words, or one string of words separated by spaces), checked: words of 1 to
    MAX_PLAN_WORD_CHARS Chinese characters."""
    if isinstance(words, str):
        words = words.split()
    if not isinstance(words, (list, tuple)) or not words or not all(isinstance(w, str) for w in words):
        raise PoetryGenError(f"a plan is a list of words, one per line, not {shown(words)}")
    for word in words:
        if not 1 <= len(word) <= MAX_PLAN_WORD_CHARS or not all(is_hanzi(ch) for ch in word):
            raise PoetryGenError(f"a plan word is 1 to {MAX_PLAN_WORD_CHARS} Chinese characters, not {shown(word)}")
    return [normalize(word) for word in words]  # 風 → 风, as the heads, start text and theme are read


def check_plan_lines(words: Sequence[str], lines: Optional[int]) -> None:
    """A plan has one word per line of the poem's form."""
    if lines is None:
        raise PoetryGenError("a plan gives one word per line, so it needs a form with a fixed number of lines "
                             "(--form, or --chars with --lines)")
    if len(words) != lines:
        raise PoetryGenError(f"the plan has {len(words)} words, but the poem has {lines} lines: give one word "
                             f"per line")

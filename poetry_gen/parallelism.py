"""对仗: how parallel two lines are, as a number the checker, the scorecard and a reranker can use.

The middle couplets of a 律诗 (lines 3–4 and 5–6) are parallel by rule: at each position the two
characters answer each other in tone and in kind (山 / 水, 白 / 青, 万 / 千). Two signals, both of
which can fail, are read position by position:

    tone     the two characters' tones in their lines (prosody.line_tones) are opposite: 1, the same: 0,
             either unknown or ambiguous: ½
    pairing  how much more often the two characters stand at the same place of the two lines of a
             middle couplet of the corpus's train split than chance would put them there, a PMI
             smoothed by adding 1 to the count and to its expectation:

                 log((c(x, y) + 1) / (c(x) c(y) / N + 1))

             pairs counted in both orders, c(x) and N over both lines. Two rare characters never seen
             together score about 0 (no evidence either way), two common ones never seen together
             below 0, a pair poets made often (风 / 月) well above 0.

    position logit = w_tone · tone + w_pairing · pairing + bias
    couplet score  = logistic(mean of its positions' logits), in (0, 1)

The weights come from a logistic regression on the val split (its real middle couplets against every
other pair of lines of the same poems), so that the pairing counts, taken from train, are not scored
on the poems they were counted from. A position's own score is the logistic of its logit.

The table lives in the package (poetry_gen/data/couplet_pairs.json.gz, about 0.2 MB: the pairs seen at
least twice, the character counts, the weights), so that generation and `check` use it without the
corpus, and the shipped checkpoint stays as it is. It is rebuilt from a built corpus, reproducibly, by

    poetry-gen corpus pairs corpus/tang --out poetry_gen/data/couplet_pairs.json.gz

which prints the scorer's AUC on the test split's 律诗.
"""
from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional, Sequence

import numpy as np

from .corpus import check_outside, load_poems
from .errors import PoetryGenError
from .files import write_atomic
from .prosody import line_tones
from .text import split_lines

FORMAT = 1
DEFAULT_TABLE = Path(__file__).parent / "data" / "couplet_pairs.json.gz"
MIDDLE = ((2, 3), (4, 5))  # 0-based lines of a 律诗's middle couplets
MIN_PAIR_COUNT = 2  # pairs seen once are left out of the table: it stays small, and AUC moves by < 0.01
_SMOOTHING = 1.0
_FEATURES = ("tone", "pairing")


@dataclass(frozen=True)
class CoupletScore:
    score: float  # in (0, 1): how parallel the two lines are
    positions: tuple  # per position, in (0, 1)

    def to_dict(self) -> dict:
        return {"score": self.score, "positions": list(self.positions)}


@dataclass(frozen=True)
class PairTable:
    pairs: dict  # 'xy' (x <= y) → times x and y stood at one position of a middle couplet, either way
    chars: dict  # character → times it stood in a middle couplet
    total: int  # all characters of all middle couplets
    weights: dict  # tone, pairing, bias

    def pairing(self, x: str, y: str) -> float:
        expected = self.chars.get(x, 0) * self.chars.get(y, 0) / self.total
        count = self.pairs.get(x + y if x <= y else y + x, 0)
        return math.log((count + _SMOOTHING) / (expected + _SMOOTHING))

    def to_dict(self) -> dict:
        return {"format": FORMAT, "min_pair_count": MIN_PAIR_COUNT, "total": self.total,
                "weights": self.weights, "chars": self.chars, "pairs": self.pairs}


def _is_lushi(lines: Sequence[str]) -> bool:
    return len(lines) == 8 and len(lines[0]) in (5, 7) and all(len(line) == len(lines[0]) for line in lines)


def _tone_opposition(a: frozenset, b: frozenset) -> float:
    if len(a) == 1 and len(b) == 1:
        return float(a != b)
    return 0.5


def _features(table: PairTable, a: str, b: str) -> np.ndarray:
    """(positions, features): tone opposition and pairing at each position of the couplet a / b."""
    tones = zip(line_tones(a), line_tones(b))
    return np.array([(_tone_opposition(ta, tb), table.pairing(x, y)) for (ta, tb), x, y in zip(tones, a, b)])


def _logits(table: PairTable, a: str, b: str) -> np.ndarray:
    w = table.weights
    return _features(table, a, b) @ np.array([w[f] for f in _FEATURES]) + w["bias"]  # (positions,)


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def couplet_score(a: str, b: str, table: Optional[PairTable] = None) -> CoupletScore:
    """How parallel line `a` and line `b` (characters only, same length) are."""
    if len(a) != len(b) or not a:
        raise PoetryGenError(f"a couplet's lines have the same number of characters: {a!r} / {b!r}")
    logits = _logits(table or load_table(), a, b)
    return CoupletScore(float(_logistic(logits.mean())), tuple(float(p) for p in _logistic(logits)))


def middle_couplets(lines: Sequence[str], table: Optional[PairTable] = None) -> list:
    """CoupletScore of lines 3–4 and 5–6 of a 律诗 (8 lines of 5 or 7 characters); [] for other shapes."""
    if not _is_lushi(lines):
        return []
    return [couplet_score(lines[i], lines[j], table) for i, j in MIDDLE]


def poem_parallelism(lines: Sequence[str], table: Optional[PairTable] = None) -> Optional[float]:
    """Mean 对仗 score of a 律诗's middle couplets (lines without marks); None for other shapes."""
    scores = middle_couplets(lines, table)
    return sum(s.score for s in scores) / len(scores) if scores else None


# --- the table ----------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def load_table(path=None) -> PairTable:
    """The pairing table: the package's (path=None) or one `corpus pairs` wrote."""
    path = Path(path) if path else DEFAULT_TABLE
    try:
        raw = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except FileNotFoundError:
        raise PoetryGenError(f"{path}: no such file (poetry-gen corpus pairs builds it)") from None
    except (OSError, EOFError, ValueError):
        raise PoetryGenError(f"{path}: not a couplet pairing table (poetry-gen corpus pairs builds one)") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PoetryGenError(f"{path}: not a couplet pairing table of format {FORMAT}")
    return PairTable(raw["pairs"], raw["chars"], raw["total"], raw["weights"])


def write_table(table: PairTable, path) -> Path:
    data = json.dumps(table.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    # mtime=0: the same corpus gives the same bytes
    return write_atomic(path, gzip.compress(data.encode("utf-8"), mtime=0))


def lushi_lines(poems: Iterable[str]) -> list:
    """The lines of every 律诗 among `poems` (one poem a string, with its marks)."""
    return [lines for lines in (split_lines(p)[0] for p in poems) if _is_lushi(lines)]


def count_pairs(poems: Iterable[str]) -> PairTable:
    """The pairing counts of the middle couplets of the 律诗 among `poems` (no weights yet)."""
    pairs, chars = Counter(), Counter()
    for lines in lushi_lines(poems):
        for i, j in MIDDLE:
            for x, y in zip(lines[i], lines[j]):
                pairs[x + y if x <= y else y + x] += 2 if x == y else 1
                chars[x] += 1
                chars[y] += 1
    kept = {pair: n for pair, n in sorted(pairs.items()) if n >= MIN_PAIR_COUNT}
    return PairTable(kept, dict(sorted(chars.items())), sum(chars.values()), {})


def labelled_pairs(poems: Iterable[str], negatives: str = "other") -> list:
    """(line a, line b, 1 for a middle couplet else 0) over the 律诗 of `poems`. negatives="other":
    every other pair of lines of the same poem; "first": the first couplet only."""
    out = []
    for lines in lushi_lines(poems):
        out += [(lines[i], lines[j], 1) for i, j in MIDDLE]
        others = [(0, 1)] if negatives == "first" else [
            (i, j) for i in range(8) for j in range(i + 1, 8) if (i, j) not in MIDDLE]
        out += [(lines[i], lines[j], 0) for i, j in others]
    return out


def fit_weights(table: PairTable, poems: Iterable[str]) -> dict:
    """Logistic regression (Newton's method, a little L2) of middle couplet vs other line pair on the
    couplets' mean features."""
    data = labelled_pairs(poems)
    if not any(label for _, _, label in data):
        raise PoetryGenError("no 律诗 to fit the 对仗 weights on")
    x = np.array([np.append(_features(table, a, b).mean(0), 1.0) for a, b, _ in data])  # (n, features + 1)
    y = np.array([label for _, _, label in data], dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(30):
        p = _logistic(x @ w)
        gradient = x.T @ (p - y) + 1e-3 * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(len(w))
        w -= np.linalg.solve(hessian, gradient)
    return dict(zip(_FEATURES + ("bias",), (float(v) for v in w)))


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


def evaluate(table: PairTable, poems: Sequence[str]) -> dict:
    """AUC of the couplet score: middle couplets against every other pair of lines of the same poems,
    and against the first couplet; and how many 律诗 that was."""
    result = {"lushi": len(lushi_lines(poems))}
    for negatives in ("other", "first"):
        data = labelled_pairs(poems, negatives)
        scores = [(couplet_score(a, b, table).score, label) for a, b, label in data]
        result[f"auc_vs_{negatives}"] = auc([s for s, l in scores if l], [s for s, l in scores if not l])
    return result


def build_table(train: Sequence[str], val: Sequence[str]) -> PairTable:
    """Counts from the train split's poems, weights fitted on the val split's."""
    counts = count_pairs(train)
    return PairTable(counts.pairs, counts.chars, counts.total, fit_weights(counts, val))


def build_corpus_table(directory, out) -> str:
    """Build the table from a built corpus (counts from train, weights from val), write it to `out`, and
    say what it holds and how well it scores the test split's 律诗."""
    check_outside(directory, out)
    table = build_table(load_poems(directory, "train"), load_poems(directory, "val"))
    write_table(table, out)
    result = evaluate(table, load_poems(directory, "test"))
    weights = ", ".join(f"{k} {v:.3f}" for k, v in table.weights.items())
    return (f"wrote {out} ({Path(out).stat().st_size / 1e3:.0f} kB): {len(table.pairs):,} character pairs, "
            f"{len(table.chars):,} characters; weights (fit on val) {weights}\n"
            f"test split, {result['lushi']} 律诗: AUC {result['auc_vs_other']:.3f} against the other line pairs "
            f"of the same poems, {result['auc_vs_first']:.3f} against their first couplet")

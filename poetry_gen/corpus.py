"""The corpus pipeline: chinese-poetry JSON (or a plain-text corpus) → cleaned poems, split into
train/val/test by a fixed hash rule, encoded as character ids. `build_corpus` writes DIR:

    vocab.json             {"format": 2, "tokens": [...]}, from the train split only: the special tokens,
                           the control tokens (conditioning.py), the characters (format 1: no controls)
    stats.json             counts per split, vocabulary size, form histogram, what was dropped and why
    {split}.ids.npy        every poem's ids concatenated: no BOS/EOS, no padding (uint16 when it fits)
    {split}.offsets.npy    int64, n_poems + 1 offsets: poem i is ids[offsets[i]:offsets[i + 1]]
    {split}.txt            the cleaned simplified poems, one per line, same order
    {split}.tags.json      per poem, same order: {"collection": "tang", "genre": "shi", "form": "七绝"}
    {split}.keywords.json  per poem, up to 3 jieba keywords (for theme conditioning); not with keywords=False
    {split}.plans.json     per poem, its plan: one keyword per line (plan.py); not with keywords=False
    theme_words.txt        the words poets used (theme.word_counts of train), most frequent first, one line
                           of space-separated words: training stores it in the checkpoint; not with keywords=False
    plan_words.txt         the plan table: the train plans' words and their co-occurring words (plan.py), which
                           training stores in the checkpoint; not with keywords=False
    corpus.json            {"tool": "poetry-gen corpus", "format": 1, "files": [...]}: the marker that lets a
                           later build replace DIR (and only the files it lists)

        ids      床 前 明 月 光 ， … 乡 。 白 日 依 … 楼 。 …
        offsets  0                       24                    48 …
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import multiprocessing
import os
import re
import sys
import tarfile
import zlib
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional

import numpy as np
from tqdm import tqdm

from . import text
from .checks import shown
from .conditioning import control_tokens
from .config import COLLECTION_GROUPS, COLLECTIONS
from .errors import PoetryGenError
from .files import read_bytes_bounded, refuse_directory, replacing_directory, write_json
from .forms import COUPLET, FORMS, detect_form
from .plan import PLAN_TABLE_FILE, plan_table, split_plans
from .theme import word_counts
from .vocab import Vocab

SPLITS = ("train", "val", "test")
MARKER = "corpus.json"
_MARKER_TOOL = "poetry-gen corpus"
# What a source may cost, far above the real collections: the npm tarball's largest poem file has 1 MB,
# its poet.*.json files 200 MB in all; the Tang collection as text has 10 MB.
MAX_SOURCE_FILE_BYTES = 64 * 2 ** 20
MAX_SOURCE_BYTES = 2 * 2 ** 30
FORMAT = 1
VOCAB_FORMATS = (1, 2)  # 2: control tokens after the special tokens; 1 (built before them) still loads
THEME_WORDS_FILE = "theme_words.txt"
COUPLET_BOOK = "shenglvqimeng"  # 声律启蒙, the primer of paired lines (dist/mengxue/)
LUSHI = ("五律", "七律")
_KEYWORD_CHUNK = 500  # poems per task sent to a keyword worker: IPC stays negligible, the last task short


class RawPoem(NamedTuple):
    """A poem as its source stores it, with where it came from."""
    raw: str  # ''.join(paragraphs), or a text corpus's line: what the split rule hashes
    collection: Optional[str]  # None for a text corpus
    genre: str = "shi"
    tune: Optional[str] = None  # a ci's tune as the source names it (`rhythmic`)


def split_of(raw: str) -> str:
    """The held-out rule every benchmark of this project shares.

    `raw` is the poem exactly as the source stores it (''.join(paragraphs), or a text corpus's line),
    before any conversion or cleaning, so that changing the cleaning never moves a poem between splits.
    """
    bucket = int(hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


# --- reading sources ------------------------------------------------------------------------------

class _Collection(NamedTuple):
    genre: str
    files: re.Pattern  # matches the end of a file's path; group "n" orders the files of the collection
    shown: str  # the files' names, for messages


# Every collection a build can read, in COLLECTIONS' order. Other files of the same names are not poems
# and are skipped by their content (see _poems_in); rank/ files have other names (poet.tang.rank.0.json).
_COLLECTION_FILES = {
    "tang": _Collection("shi", re.compile(r"(?:^|/)poet\.tang\.(?P<n>\d+)\.json$"), "poet.tang.*.json"),
    "song": _Collection("shi", re.compile(r"(?:^|/)poet\.song\.(?P<n>\d+)\.json$"), "poet.song.*.json"),
    "songci": _Collection("ci", re.compile(r"(?:^|/)ci\.song\.(?P<n>\d+|2019y)\.json$"), "ci.song.*.json"),
    "huajianji": _Collection("ci", re.compile(r"(?:^|/)huajianji-(?P<n>\d+|x)-juan\.json$"),
                             "huajianji-*-juan.json"),
    "nantang": _Collection("ci", re.compile(r"(?:^|/)nantang/poetrys(?P<n>)\.json$"), "nantang/poetrys.json"),
    # read for couplet items only (build_corpus(couplets=True)), after every collection of poems
    COUPLET_BOOK: _Collection("couplet", re.compile(r"(?:^|/)shenglvqimeng(?P<n>)\.json$"), "shenglvqimeng.json"),
}


def parse_collections(spec: str) -> tuple[str, ...]:
    """'tang,songci' (or 'tang+song', or a group: shi, ci, all) → the collections, in reading order."""
    names = [name.strip() for name in re.split(r"[,+]", spec) if name.strip()]
    unknown = [name for name in names if name not in COLLECTIONS and name not in COLLECTION_GROUPS]
    if unknown or not names:
        groups = "; ".join(f"{group} = {','.join(members)}" for group, members in COLLECTION_GROUPS.items())
        raise PoetryGenError(f"unknown collection {shown(', '.join(unknown) or spec)}; collections are "
                             f"{', '.join(COLLECTIONS)} ({groups})")
    wanted = {member for name in names for member in COLLECTION_GROUPS.get(name, (name,))}
    return tuple(name for name in COLLECTIONS if name in wanted)


def read_source(source, collection: str = "tang", progress: bool = False,
                couplets: bool = False) -> tuple[str, list[RawPoem]]:
    """(kind, raw poems in a deterministic order) from a chinese-poetry directory or npm tarball
    (kind "chinese-poetry"), or a text file / directory of .txt files with one poem per line ("text").

    The collections are read in COLLECTIONS' order whatever order `collection` names them in, each in
    its files' numeric order (poet.tang.2000 before poet.tang.10000); with `couplets`, the pairs of
    声律启蒙 follow as items of genre "couplet"."""
    wanted = parse_collections(collection) + ((COUPLET_BOOK,) if couplets else ())
    path = Path(source)
    if not path.exists():
        raise PoetryGenError(f"{source}: no such file or directory")
    if path.is_dir():
        found, present = _directory_poems(path, wanted, progress)
        if not present:
            return "text", _text_directory(path, wanted)
        where = " (other collections only)"
    elif not path.is_file():  # a device or a pipe (/dev/zero) would be read without end
        raise PoetryGenError(f"{source}: not a regular file or a directory")
    elif _is_tarball(path):
        found, present = _tarball_poems(path, wanted, progress)
        where = " in this tarball"
    else:
        return "text", [RawPoem(line, None) for line in _text_lines(path)]
    missing = [name for name in wanted if name not in present]
    if missing:
        raise PoetryGenError(f"{source}: no {_pattern(missing)} files{where}")
    return "chinese-poetry", [poem for _, poems in sorted(found, key=lambda item: item[0]) for poem in poems]


def _text_directory(path: Path, wanted: tuple[str, ...]) -> list[RawPoem]:
    texts = sorted(p for p in path.rglob("*.txt") if p.is_file())
    if not texts:
        raise PoetryGenError(f"{path}: no {_pattern(wanted)} files and no .txt files in this directory")
    lines, budget = [], _Budget()
    for text_file in texts:
        budget.take(text_file, text_file.stat().st_size)
        lines += _text_lines(text_file)
    return [RawPoem(line, None) for line in lines]


def _pattern(collections: Iterable[str]) -> str:
    return " or ".join(_COLLECTION_FILES[name].shown for name in collections)


def _collection_of(name: str) -> Optional[tuple[str, tuple]]:
    """(collection, sort key) of a poem file's path, None for any other file. The key orders files by
    collection, then number (a suffix like 2019y or x after the numbers), then path."""
    for i, collection in enumerate(_COLLECTION_FILES):
        match = _COLLECTION_FILES[collection].files.search(name)
        if match:
            number = match["n"]
            return collection, (i, (0, int(number)) if number.isdigit() else (1, number), name)
    return None


def _directory_poems(root: Path, wanted: tuple[str, ...], progress: bool) -> tuple[list, set[str]]:
    """([(sort key, poems of one file)] of the wanted collections, the collections present at all)."""
    files = {}
    for path in root.rglob("*.json"):
        name = path.relative_to(root).as_posix()
        which = _collection_of(name)
        if which and path.is_file():
            files[name] = which
    found, budget = [], _Budget()
    wanted_names = sorted((n for n, (c, _) in files.items() if c in wanted), key=lambda n: files[n][1])
    for name in tqdm(wanted_names, desc="reading", unit="file", disable=_no_bar(progress), file=sys.stderr):
        data = _read_source_file(root / name)
        budget.take(root / name, len(data))
        found.append((files[name][1], list(_poems_in(str(root / name), data, files[name][0]))))
    return found, {collection for collection, _ in files.values()}


def _read_source_file(path: Path) -> bytes:
    return read_bytes_bounded(path, MAX_SOURCE_FILE_BYTES, "a source file may have")


class _Budget:
    """The bytes a source has used so far, refused past MAX_SOURCE_BYTES (a source of many big files)."""

    def __init__(self):
        self.used = 0

    def take(self, name, size: int) -> None:
        self.used += size
        if self.used > MAX_SOURCE_BYTES:
            raise PoetryGenError(f"{name}: the source holds more than {MAX_SOURCE_BYTES / 2 ** 30:g} GiB, "
                                 f"the most a build reads")


def _tarball_poems(path: Path, wanted: tuple[str, ...], progress: bool) -> tuple[list, set[str]]:
    """Like _directory_poems, in one streaming pass over the archive, nothing extracted to disk; each
    member is parsed as it is read, so that the build never holds the raw JSON of a whole collection."""
    found, present, budget = [], set(), _Budget()
    try:
        with open(path, "rb") as raw, tqdm.wrapattr(raw, "read", total=path.stat().st_size, desc="reading",
                                                      disable=_no_bar(progress), file=sys.stderr) as counted, \
                _decompressed(counted, path) as stream:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    which = _collection_of(member.name) if member.isfile() else None
                    if not which:
                        continue
                    present.add(which[0])
                    if which[0] not in wanted:
                        continue
                    name = f"{path}:{member.name}"
                    if member.size > MAX_SOURCE_FILE_BYTES:  # the header's size: refused before inflating
                        raise PoetryGenError(f"{name}: {member.size / 2 ** 20:,.0f} MiB, larger than "
                                             f"{MAX_SOURCE_FILE_BYTES / 2 ** 20:g} MiB, the most a source "
                                             f"file may have")
                    budget.take(name, member.size)
                    found.append((which[1], list(_poems_in(name, tar.extractfile(member).read(), which[0]))))
                _check_whole(tar, stream, path)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise PoetryGenError(f"{path}: unreadable tarball ({err})") from None
    return found, present


def _is_tarball(path: Path) -> bool:
    """Whether `path` is a tar archive, plain or compressed. A compressed file that is none (cut short, or
    damaged) is PoetryGenError, not a text corpus to read as one poem per line."""
    try:
        if tarfile.is_tarfile(path):
            return True
    except (EOFError, zlib.error) as err:  # gzip cut short before its first member
        raise PoetryGenError(f"{path}: unreadable tarball ({err})") from None
    if _decompressor(path):
        raise PoetryGenError(f"{path}: unreadable tarball (compressed, but no tar archive could be read from it)")
    return False


# magic bytes → reader; bzip2's "BZh" is followed by its block size, 1-9 (a text starting BZh is no bzip2)
_COMPRESSIONS = ((b"\x1f\x8b", gzip.open), (tuple(b"BZh%d" % size for size in range(1, 10)), bz2.open),
                 (b"\xfd7zXZ\x00", lzma.open))


def _decompressor(path: Path):
    """gzip.open, bz2.open or lzma.open as the first bytes of `path` say, or None (not compressed)."""
    with open(path, "rb") as f:
        magic = f.read(6)
    return next((opener for prefix, opener in _COMPRESSIONS if magic.startswith(prefix)), None)


def _decompressed(raw, path: Path):
    """`raw`, the open file `path`, decompressed (gzip, bzip2, xz), or `raw` itself (a plain tar), as a
    context manager. Python's own readers, not tarfile's "r|*": they raise EOFError where the data stops
    before the end of the compressed stream, which tarfile's stream takes for the archive's end, so that
    a tarball cut at a member's end would build a smaller corpus without a word."""
    opener = _decompressor(path)
    return opener(raw, "rb") if opener else nullcontext(raw)


def _check_whole(tar: tarfile.TarFile, stream, path: Path) -> None:
    """After the last member: a compressed `stream` is read to its end, where its reader raises EOFError
    if it was cut short; a plain tar must have its end-of-archive block where tarfile stopped (a tar cut
    at a member's end has nothing there)."""
    if isinstance(stream, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)):
        while stream.read(1 << 20):
            pass
        return
    with open(path, "rb") as f:
        f.seek(tar.offset)
        if f.read(tarfile.BLOCKSIZE) != bytes(tarfile.BLOCKSIZE):
            raise tarfile.ReadError("no end-of-archive block where reading stopped: cut short, or damaged")


def _poems_in(name: str, data: bytes, collection: str) -> Iterator[RawPoem]:
    """The poems of one file: the joined paragraphs of each, and a ci's tune (`rhythmic`) as stored.

    The npm package ships files of the same name that are not poems: quantangshi/error/ holds records
    flagged with `error_type`, strains/ holds tone patterns without `paragraphs`. Both are skipped.
    """
    records = _json_of(name, data)
    genre = _COLLECTION_FILES[collection].genre
    if genre == "couplet":
        yield from _book_pairs(name, records)
        return
    if not isinstance(records, list):
        raise PoetryGenError(f"{name}: corrupt poem file (expected a JSON list of poems)")
    for record in records:
        if not isinstance(record, dict) or "error_type" in record or "paragraphs" not in record:
            continue
        paragraphs = record["paragraphs"]
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            raise PoetryGenError(f"{name}: corrupt poem file (`paragraphs` is not a list of strings)")
        tune = record.get("rhythmic") if genre == "ci" else None
        yield RawPoem("".join(paragraphs), collection, genre, tune if isinstance(tune, str) else None)


def _json_of(name: str, data: bytes):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PoetryGenError(f"{name}: corrupt JSON ({err})") from None


def _book_pairs(name: str, book) -> Iterator[RawPoem]:
    """The paired lines of 声律启蒙 (a book of volumes of chapters of paragraphs), each as the couplet
    item '上联，下联。' in the book's own characters: what the split rule hashes."""
    try:
        paragraphs = [p for volume in book["content"] for chapter in volume["content"] for p in chapter["paragraphs"]]
    except (KeyError, TypeError):
        raise PoetryGenError(f"{name}: corrupt 声律启蒙 (expected volumes of chapters of paragraphs)") from None
    if not all(isinstance(p, str) for p in paragraphs):
        raise PoetryGenError(f"{name}: corrupt 声律启蒙 (a paragraph is not a string)")
    for paragraph in paragraphs:
        for sentence in paragraph.split("。"):
            for first, second in sentence_pairs(sentence):
                yield RawPoem(f"{first}，{second}。", COUPLET_BOOK, "couplet")


def _shape(line: str) -> list[int]:
    return [len(clause) for clause in line.split("，")]


def sentence_pairs(sentence: str) -> list[tuple[str, str]]:
    """The couplets of one sentence of 声律启蒙. Its drills of the form 云对雨，雪对风，晚照对晴空 pair
    words of one or two characters inside a clause: those clauses are left out. Of the rest, a sentence
    cut by '；' is one couplet of two halves of the same shape (两鬓风霜，途次早行之客；一蓑烟雨，溪边晚钓之翁);
    otherwise two clauses of one length make a couplet (三尺剑，六钧弓), and so do four clauses of lengths
    a, b, a, b (their halves pausing with '，') where a '。' is missing between two couplets."""
    if "；" in sentence:
        first, _, second = sentence.partition("；")
        return [(first, second)] if _shape(first) == _shape(second) else []
    clauses = [c for c in sentence.split("，") if c and "對" not in c and "对" not in c]
    pairs, i = [], 0
    while i + 1 < len(clauses):
        if len(clauses[i]) == len(clauses[i + 1]):
            pairs.append((clauses[i], clauses[i + 1]))
            i += 2
        elif i + 3 < len(clauses) and list(map(len, clauses[i:i + 2])) == list(map(len, clauses[i + 2:i + 4])):
            pairs.append(("，".join(clauses[i:i + 2]), "，".join(clauses[i + 2:i + 4])))
            i += 4
        else:
            i += 1
    return pairs


def _text_lines(path: Path) -> list[str]:
    """A text corpus: one poem per line, each line kept exactly as given (the split rule hashes it)."""
    try:
        content = _read_source_file(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PoetryGenError(f"{path}: not UTF-8 text (a text corpus holds one poem per line in UTF-8)") from None
    return [line for line in content.splitlines() if line.strip()]


def _no_bar(progress: bool) -> Optional[bool]:
    return None if progress else True  # tqdm: None = a bar only when stderr is a terminal


# --- cleaning -------------------------------------------------------------------------------------

# A note in a ci that says text is missing: （下缺）, （上缺）, （缺词文）.
_LACUNA_NOTE = re.compile(r"[（(][^（）()]*缺[^（）()]*[）)]")
# In a shi only the plain ones: its notes give other readings, which may hold 缺 (一作缺月).
_SHI_LACUNA_NOTE = re.compile(r"[（(](?:[上下中前后]缺|缺[一二三四五六七八九十百\d]+字)[）)]")
# 全唐诗's editors put the characters they supplied in brackets, 景[龍]年: part of the line, kept.
_SUPPLIED = re.compile(r"\[([^\[\]]+)\]")
# A character Unicode lacks, spelt by its parts ({艹尔}, {𥫗/戢}, {炙火=肉}): the line cannot be written
# whole. A note in braces ({一作：將欲去}) says more, with a colon or a comma, and only goes.
_UNENCODED = re.compile(r"\{[^{}：:，,。]{1,6}\}")
# A note between a line's mark and another (点头。（注）。) leaves the mark twice once the note goes.
_REPEATED_MARK = re.compile(f"([{re.escape(text.LINE_MARKS + text.PAUSE_MARK)}])\\1+")
# In a ci, 《凉州》 names a tune or a book inside the verse: the marks go, the words stay.
_TITLE_MARKS = str.maketrans("", "", "《》")
_TUNE_ALIAS = re.compile("[・·]")
UNKNOWN_TUNES = ("失调名",)


def clean(raw: str, genre: str = "shi") -> tuple[str, Optional[str]]:
    """(cleaned poem, None) or (cleaned text, why it is dropped: "too_long", "empty", "lacuna" or
    "non_chinese"). A ci keeps its pause marks '、' and the words between title marks."""
    if len(raw) > text.MAX_POEM_CHARS:
        return raw[:text.MAX_POEM_CHARS], "too_long"
    if not text.encodes(raw, "utf-8"):  # JSON may escape lone surrogates (\udcff), which no converter takes
        return raw, "non_chinese"
    ci = genre == "ci"
    if (_LACUNA_NOTE if ci else _SHI_LACUNA_NOTE).search(raw) or "□" in raw or _UNENCODED.search(raw):
        return raw, "lacuna"
    raw = _SUPPLIED.sub(lambda m: m[1] if all(text.is_hanzi(ch) for ch in m[1]) else m[0], raw)
    poem = _REPEATED_MARK.sub(r"\1", text.normalize(raw.translate(_TITLE_MARKS) if ci else raw, keep_pauses=ci))
    if not any(text.is_hanzi(ch) for ch in poem):  # nothing, or a note's mark alone: （以上劉瑛整理）。
        return poem, "empty"
    marks = text.LINE_MARKS + text.PAUSE_MARK if ci else text.LINE_MARKS
    if any(not (text.is_hanzi(ch) or ch in marks) for ch in poem):
        return poem, "non_chinese"
    return poem, None


def form_of(poem: str) -> Optional[str]:
    return detect_form(*text.split_lines(poem))


def _form(poem: RawPoem, cleaned: str, tunes: dict[str, Optional[str]]) -> Optional[str]:
    """The form tag of a cleaned poem: a shi's form, a ci's tune, a couplet's 对联."""
    if poem.genre == "ci":
        return tunes.get(poem.tune)
    return COUPLET if poem.genre == "couplet" else form_of(cleaned)


def middle_couplets(lushi: str) -> list[str]:
    """The middle couplets (lines 3–4 and 5–6) of a cleaned 律诗 as couplet items '上联，下联。'."""
    from .parallelism import MIDDLE  # here: parallelism imports this module

    lines = text.split_lines(lushi)[0]
    return [f"{lines[first]}，{lines[second]}。" for first, second in MIDDLE]


def tune_alias_names(stored: str) -> list[str]:
    """The names of one tune as the source stores it, simplified: '酹江月・念奴娇' → ['酹江月', '念奴娇']."""
    return [text.normalize(part) for part in _TUNE_ALIAS.split(stored)]


def tune_names(stored: Iterable[Optional[str]]) -> dict[str, Optional[str]]:
    """Each tune name as the source stores it → the corpus's name for that tune: simplified; of an
    alias pair like 酹江月・念奴娇 the name that most ci of `stored` carry alone (念奴娇; a tie: the
    first); None for 失调名 (tune unknown) and for a name with anything but Chinese characters."""
    counts = Counter(name for name in stored if name is not None)
    parts = {name: tune_alias_names(name) for name in counts}
    alone = Counter()
    for name, names in parts.items():
        if len(names) == 1:
            alone[names[0]] += counts[name]
    chosen = {name: max(names, key=lambda n: alone[n]) for name, names in parts.items()}
    return {name: tune if tune and tune not in UNKNOWN_TUNES and all(map(text.is_hanzi, tune)) else None
            for name, tune in chosen.items()}


def _check_forms(forms: Optional[Iterable[str]], tunes: Iterable[str] = ()) -> Optional[list[str]]:
    if forms is None:
        return None
    forms = list(forms)
    unknown = [f for f in forms if f not in FORMS and f not in tunes]
    if unknown or not forms:
        raise PoetryGenError(f"unknown form {', '.join(unknown) or '(none)'}; forms are {', '.join(FORMS)} "
                             f"and the tunes of the ci read")
    return forms


# --- keywords -------------------------------------------------------------------------------------

def _init_jieba() -> None:
    import jieba  # imported here: jieba.analyse loads its dictionaries on import (4 s), for a build only

    jieba.setLogLevel(60)  # jieba logs its dictionary loading at INFO on every start
    jieba.initialize()


def _keywords(poem: str) -> list[str]:
    import jieba.analyse

    return [w for w in jieba.analyse.extract_tags(poem, topK=3) if all(text.is_hanzi(ch) for ch in w)]


def extract_keywords(poems: list[str], progress: bool = False, chunksize: int = _KEYWORD_CHUNK) -> list[list[str]]:
    """Up to 3 keywords per poem (jieba TF-IDF), in order; one worker process per CPU core when there is
    more than one chunk of poems, since jieba takes ~25 s for the Tang collection on one core."""
    bar = dict(total=len(poems), desc="keywords", unit="poem", disable=_no_bar(progress), file=sys.stderr)
    workers = min(os.cpu_count() or 1, -(-len(poems) // chunksize))
    if workers <= 1:
        _init_jieba()
        return [_keywords(p) for p in tqdm(poems, **bar)]
    with multiprocessing.Pool(workers, initializer=_init_jieba) as pool:
        return list(tqdm(pool.imap(_keywords, poems, chunksize=chunksize), **bar))


# --- building -------------------------------------------------------------------------------------

def build_corpus(source, out_dir, collection: str = "tang", forms: Optional[Iterable[str]] = None,
                 min_count: int = 1, keywords: bool = True, couplets: bool = False, progress: bool = True) -> dict:
    """Read SOURCE, clean, split, encode, and write DIR (see the module docstring); returns stats.json's dict.

    With `couplets`, couplet items '上联，下联。' follow the poems: the pairs of 声律启蒙 (a chinese-poetry
    source), split by the hash of each pair, then the middle couplets of every 律诗 read, each in its
    poem's split (so a held-out poem's couplets stay held out).

    DIR is replaced as a whole: everything is written to a sibling temporary directory first, so a
    failed build leaves an existing DIR as it was.
    """
    if min_count < 1:
        raise PoetryGenError(f"--min-count must be at least 1, not {min_count}")
    out = Path(out_dir)
    _check_replaceable(out)
    kind, raws = read_source(source, collection, progress, couplets)
    tunes = tune_names(poem.tune for poem in raws if poem.genre == "ci")
    forms = _check_forms(forms, [*tunes.values(), *([COUPLET] if couplets else [])])
    items, lushi = _Items(forms), []
    for poem in raws:
        cleaned, reason = clean(poem.raw, poem.genre)
        split = split_of(poem.raw)
        form = None if reason else _form(poem, cleaned, tunes)
        reason = items.add(cleaned, split, reason, poem_tags(poem.collection, poem.genre, form))
        if couplets and reason in (None, "form") and form in LUSHI:  # a 律诗 not read before
            lushi.append((cleaned, split, poem.collection))
    for poem, split, origin in lushi:
        for couplet in middle_couplets(poem):
            items.add(couplet, split, None, poem_tags(origin, "couplet", COUPLET))
    splits, tags = items.poems, items.tags
    if not any(splits.values()):
        raise PoetryGenError(f"{source}: no poem left after cleaning and filtering ({len(raws)} read)")
    if not splits["train"]:
        raise PoetryGenError(f"{source}: no poem falls in the train split, so there is no vocabulary to build")

    every_tag = [t for split_tags in tags.values() for t in split_tags]
    vocab = Vocab.build(splits["train"], min_count=min_count,
                        controls=control_tokens((t["form"] for t in tags["train"]), plan=keywords))
    histogram = Counter(t["form"] or "other" for t in every_tag if t["genre"] == "shi")
    stats = {
        "format": FORMAT,
        "source": str(source),
        "source_kind": kind,
        "collection": ",".join(parse_collections(collection)) if kind == "chinese-poetry" else None,
        "options": {"forms": forms, "min_count": min_count, "keywords": keywords, "couplets": couplets},
        "read": sum(poem.genre != "couplet" for poem in raws),  # poems; the collections count the rest too
        "dropped": items.dropped_total(),
        "splits": {name: {"poems": len(poems), "chars": sum(map(len, poems)),
                          "unknown": sum(ch not in vocab for p in poems for ch in p)}
                   for name, poems in splits.items()},
        "vocab_size": len(vocab),
        "collections": items.by_collection(),
        "forms": {name: histogram[name] for name in [*FORMS, "other"]},
    }
    if any(t["genre"] == "ci" for t in every_tag):
        stats |= _tune_stats(tunes, every_tag)
    stats["controls"] = vocab.controls
    words = None
    if keywords:
        every = extract_keywords([p for name in SPLITS for p in splits[name]], progress)
        bounds = np.cumsum([0] + [len(splits[name]) for name in SPLITS])
        plans = split_plans(splits, progress)
        words = _Words({name: every[bounds[i]:bounds[i + 1]] for i, name in enumerate(SPLITS)},
                       list(word_counts(splits["train"])), plans, plan_table(plans["train"]))
        stats["theme_words"] = len(words.theme_words)
    _write_corpus(out, vocab, splits, tags, words, stats)
    return stats


DROP_REASONS = ("empty", "lacuna", "non_chinese", "duplicate", "duplicate_across_splits",
                "duplicate_across_collections", "form", "too_long")


class _Items:
    """The items kept so far per split with their tags, and what was read and dropped per collection
    and genre. Of two items with the same cleaned text the first wins: it keeps its split, the later
    one is dropped whatever split and collection it would have had."""

    def __init__(self, forms: Optional[list[str]]):
        self.forms = forms
        self.poems = {name: [] for name in SPLITS}
        self.tags = {name: [] for name in SPLITS}
        self.read = Counter()  # (collection, genre) → items read
        self.dropped = Counter()  # (collection, genre, reason) → items dropped
        self._seen = {}  # cleaned text → (split, collection) of its first occurrence

    def add(self, item: str, split: str, reason: Optional[str], tags: dict) -> Optional[str]:
        """Keep `item` in `split` unless `reason` (from cleaning) or it is a duplicate or of another form
        than `forms`; returns why it was dropped, None if kept."""
        origin = tags["collection"], tags["genre"]
        self.read[origin] += 1
        if not reason and item in self._seen:
            first_split, first_collection = self._seen[item]
            reason = "duplicate"
            self.dropped[(*origin, "duplicate_across_splits")] += first_split != split
            self.dropped[(*origin, "duplicate_across_collections")] += first_collection != tags["collection"]
        elif not reason:
            self._seen[item] = split, tags["collection"]
            if self.forms is not None and tags["form"] not in self.forms:
                reason = "form"
        if reason:
            self.dropped[(*origin, reason)] += 1
        else:
            self.poems[split].append(item)
            self.tags[split].append(tags)
        return reason

    def dropped_total(self) -> dict[str, int]:
        return {reason: sum(n for (*_, r), n in self.dropped.items() if r == reason) for reason in DROP_REASONS}

    def by_collection(self) -> list[dict]:
        """Per collection and genre, in reading order: items read, kept per split, dropped per reason."""
        kept = Counter((t["collection"], t["genre"], split) for split, tags in self.tags.items() for t in tags)
        return [{"collection": collection, "genre": genre, "read": read,
                 **{split: kept[collection, genre, split] for split in SPLITS},
                 "dropped": {r: self.dropped[collection, genre, r] for r in DROP_REASONS
                             if self.dropped[collection, genre, r]}}
                for (collection, genre), read in self.read.items()]


def _tune_stats(tunes: dict[str, Optional[str]], tags: list[dict]) -> dict:
    """The kept ci per tune (most first), how many have no known tune, and the alias pairs resolved."""
    counts = Counter(t["form"] for t in tags if t["genre"] == "ci")
    unknown = counts.pop(None, 0)
    aliases = {name: tune for name, tune in tunes.items() if _TUNE_ALIAS.search(name)}
    return {"tunes": dict(counts.most_common()), "tune_unknown": unknown, "tune_aliases": aliases}


def poem_tags(collection: Optional[str], genre: str, form: Optional[str]) -> dict:
    """One entry of {split}.tags.json (see INTERFACES: what cond, tunes and couplet read)."""
    return {"collection": collection, "genre": genre, "form": form}


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything but an empty directory or a build of this tool holding nothing else:
    `--out .` must not wipe a repository, nor a rebuild the notes someone kept beside the splits."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise PoetryGenError(f"{out}: exists and is not a directory")
    if not out.exists() or not any(out.iterdir()):
        return
    marker = out / MARKER
    try:
        listed = json.loads(marker.read_text(encoding="utf-8"))
        ours = listed["tool"] == _MARKER_TOOL and isinstance(listed["format"], int) and listed["files"]
    except (OSError, ValueError, TypeError, KeyError):
        ours = False
    if not ours:
        raise PoetryGenError(f"{out}: exists and is not a built corpus (no {MARKER} of poetry-gen's); "
                             f"choose another --out or remove it")
    unknown = sorted(p.name for p in out.iterdir() if p.name not in {MARKER, *listed["files"]} or not p.is_file())
    if unknown:
        raise PoetryGenError(f"{out}: holds files that are not part of the corpus ({shown(', '.join(unknown))}), "
                             f"which a rebuild would delete; move them away or choose another --out")


@dataclass
class _Words:
    """What jieba finds in a corpus: keywords and plans per split's poem, the theme words and plan table."""
    keywords: dict[str, list[list[str]]]
    theme_words: list[str]
    plans: dict[str, list[list[str]]]
    plan_table: str


def _write_corpus(out: Path, vocab: Vocab, splits: dict[str, list[str]], tags: dict[str, list[dict]],
                  words: Optional[_Words],
                  stats: dict) -> None:
    with replacing_directory(out) as tmp:
        for name, poems in splits.items():
            _write_split(tmp, name, poems, vocab)
            write_json(tmp / f"{name}.tags.json", tags[name], indent=None)
            if words is not None:
                write_json(tmp / f"{name}.keywords.json", words.keywords[name], indent=None)
                write_json(tmp / f"{name}.plans.json", words.plans[name], indent=None)
        if words is not None:
            (tmp / THEME_WORDS_FILE).write_text(" ".join(words.theme_words) + "\n", encoding="utf-8")
            (tmp / PLAN_TABLE_FILE).write_text(words.plan_table, encoding="utf-8")
        write_json(tmp / "vocab.json", {"format": VOCAB_FORMATS[-1], "tokens": vocab.to_list()})
        write_json(tmp / "stats.json", stats)
        write_json(tmp / MARKER, {"tool": _MARKER_TOOL, "format": FORMAT,
                                   "files": sorted(p.name for p in tmp.iterdir())})


def _write_split(directory: Path, name: str, poems: list[str], vocab: Vocab) -> None:
    dtype = np.uint16 if len(vocab) <= 1 << 16 else np.int32
    ids = np.array(vocab.encode("".join(poems)), dtype=dtype)
    offsets = np.zeros(len(poems) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in poems], out=offsets[1:])
    np.save(directory / f"{name}.ids.npy", ids)
    np.save(directory / f"{name}.offsets.npy", offsets)
    (directory / f"{name}.txt").write_text("".join(p + "\n" for p in poems), encoding="utf-8")


def summary(out_dir, stats: dict) -> str:
    """The report `corpus build` prints: poems and characters per split, vocabulary, forms, drops."""
    source = f"{stats['source']}" + (f" ({stats['collection']})" if stats["collection"] else "")
    rows = [f"{out_dir}: {stats['read']:,} poems read from {source}",
            f"  {'split':<6}{'poems':>10}{'chars':>12}{'unknown':>9}"]
    for name in SPLITS:
        s = stats["splits"][name]
        rows.append(f"  {name:<6}{s['poems']:>10,}{s['chars']:>12,}{s['unknown']:>9,}")
    controls = stats.get("controls", [])
    rows.append(f"  vocabulary: {stats['vocab_size']:,} tokens (incl. 5 special and {len(controls)} control"
                f"{': ' + ' '.join(controls) if controls else ''}), from train")
    if len(stats["collections"]) > 1:
        rows += [f"  {c['collection'] or 'text'} {c['genre']}: "  # a text source has no collection
                 + "  ".join(f"{name} {c[name]:,}" for name in SPLITS) for c in stats["collections"]]
    if any(stats["forms"].values()):
        rows.append("  forms: " + "  ".join(f"{name} {n:,}" for name, n in stats["forms"].items()))
    if "tunes" in stats:
        top = "  ".join(f"{name} {n:,}" for name, n in list(stats["tunes"].items())[:10])
        rows.append(f"  tunes: {len(stats['tunes']):,} ({top} …), unknown {stats['tune_unknown']:,}")
    if stats.get("theme_words") is not None:
        rows.append(f"  theme words: {stats['theme_words']:,} attested in train (for --theme)")
    d = stats["dropped"]
    rows.append(f"  dropped: {d['empty']:,} empty, {d['lacuna']:,} with lacunae, {d['non_chinese']:,} "
                f"non-Chinese, {d['duplicate']:,} duplicates ({d['duplicate_across_splits']:,} across splits, "
                f"{d['duplicate_across_collections']:,} across collections), {d['form']:,} of other forms, "
                f"{d['too_long']:,} longer than {text.MAX_POEM_CHARS:,} characters")
    return "\n".join(rows)


# --- reading a built corpus -----------------------------------------------------------------------

def _built_file(directory, name: str) -> Path:
    path = Path(directory) / name
    if not path.is_file():
        hint = (" (built with --no-keywords)" if name.endswith(".keywords.json") else
                " (built before plans existed, or with --no-keywords; or train with --plan-rate 0)"
                if name.endswith(".plans.json") or name == PLAN_TABLE_FILE else "")
        raise PoetryGenError(f"{directory}: not a built corpus, no {name}{hint}; run `poetry-gen corpus build`")
    return path


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise PoetryGenError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")


def check_outside(directory, out) -> None:
    """PoetryGenError where `out`, a table built from the corpus at `directory`, names a directory or would be
    written inside the corpus: over one of its files (corpus pairs --out DIR/vocab.json), or beside them,
    where a rebuild refuses it."""
    refuse_directory(out)  # now, not after the table is built
    if Path(out).resolve().is_relative_to(Path(directory).resolve()):
        raise PoetryGenError(f"{out} is inside the corpus {directory}; write it outside")


def _read_json(path: Path):
    try:
        return json.loads(_read_built_text(path))
    except json.JSONDecodeError as err:
        raise PoetryGenError(f"{path}: corrupt JSON ({err})") from None


def _read_built_text(path: Path) -> str:
    """A text file corpus build wrote, as UTF-8; one error where it is not (damaged, or not ours)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise PoetryGenError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None


def load_vocab(directory) -> Vocab:
    data = _read_json(_built_file(directory, "vocab.json"))
    if not isinstance(data, dict) or data.get("format") not in VOCAB_FORMATS:
        raise PoetryGenError(f"{directory}/vocab.json: not a vocabulary of format "
                             f"{' or '.join(map(str, VOCAB_FORMATS))}")
    return Vocab(data["tokens"])


def load_split(directory, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, offsets): poem i of the split is ids[offsets[i]:offsets[i + 1]]."""
    _check_split(split)
    try:
        ids = np.load(_built_file(directory, f"{split}.ids.npy"), allow_pickle=False)
        offsets = np.load(_built_file(directory, f"{split}.offsets.npy"), allow_pickle=False)
    except ValueError as err:
        raise PoetryGenError(f"{directory}: corrupt {split} arrays ({err})") from None
    return ids, offsets


def load_poems(directory, split: str) -> list[str]:
    """The split's cleaned poems as text, in the same order as its ids."""
    _check_split(split)
    return _read_built_text(_built_file(directory, f"{split}.txt")).splitlines()


def load_theme_words(directory) -> str:
    """The corpus's theme words (theme_words.txt) as one space-separated string, what a checkpoint stores.
    A corpus built before corpus build wrote them gets them counted from its train.txt now."""
    path = Path(directory) / THEME_WORDS_FILE
    if path.is_file():
        return _read_built_text(path).strip()
    return " ".join(word_counts(load_poems(directory, "train")))


def load_keywords(directory, split: str) -> list[list[str]]:
    _check_split(split)
    return _read_json(_built_file(directory, f"{split}.keywords.json"))


def load_tags(directory, split: str) -> list[dict]:
    """Per poem of the split, in order: {"collection", "genre", "form"} (see the module docstring). A corpus
    built before corpus build wrote them gets shi tags derived from its text, collection unknown."""
    _check_split(split)
    path = Path(directory) / f"{split}.tags.json"
    if path.is_file():
        tags = _read_json(path)
        if not isinstance(tags, list) or not all(isinstance(t, dict) for t in tags):
            raise PoetryGenError(f"{path}: corrupt tags (expected a JSON list of objects)")
        return tags
    return [poem_tags(None, "shi", form_of(poem)) for poem in load_poems(directory, split)]


def load_plans(directory, split: str) -> list[list[str]]:
    """The plan of each poem of the split: one keyword per line (plan.py)."""
    _check_split(split)
    return _read_json(_built_file(directory, f"{split}.plans.json"))


def load_plan_words(directory) -> str:
    """The corpus's plan table (plan.PLAN_TABLE_FILE), as a checkpoint stores it."""
    return _read_built_text(_built_file(directory, PLAN_TABLE_FILE))

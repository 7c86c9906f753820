"""The corpus pipeline: chinese-poetry JSON (or a plain-text corpus) → cleaned poems, split into
train/val/test by a fixed hash rule, encoded as character ids. `build_corpus` writes DIR:

    vocab.json             {"format": 1, "tokens": [...]}, from the train split only
    stats.json             counts per split, vocabulary size, form histogram, what was dropped and why
    {split}.ids.npy        every poem's ids concatenated: no BOS/EOS, no padding (uint16 when it fits)
    {split}.offsets.npy    int64, n_poems + 1 offsets: poem i is ids[offsets[i]:offsets[i + 1]]
    {split}.txt            the cleaned simplified poems, one per line, same order
    {split}.tags.json      per poem, same order: {"collection": "tang", "genre": "shi", "form": "七绝"}
    {split}.keywords.json  per poem, up to 3 jieba keywords (for theme conditioning); not with keywords=False
    theme_words.txt        the words poets used (theme.word_counts of train), most frequent first, one line
                           of space-separated words: training stores it in the checkpoint; not with keywords=False
    corpus.json            {"tool": "poetry-gen corpus", "format": 1, "files": [...]}: the marker that lets a
                           later build replace DIR (and only the files it lists)

        ids      床 前 明 月 光 ， … 乡 。 白 日 依 … 楼 。 …
        offsets  0                       24                    48 …
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sys
import tarfile
import zlib
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple, Optional

import numpy as np
from tqdm import tqdm

from . import text
from .checks import shown
from .config import COLLECTIONS
from .errors import PoetryGenError
from .files import read_bytes_bounded, replacing_directory
from .forms import FORMS, detect_form
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
THEME_WORDS_FILE = "theme_words.txt"
_POEM_FILE = re.compile(r"poet\.(tang|song)\.(\d+)\.json")
_KEYWORD_CHUNK = 500  # poems per task sent to a keyword worker: IPC stays negligible, the last task short


class RawPoem(NamedTuple):
    """A poem as its source stores it, with where it came from."""
    raw: str  # ''.join(paragraphs), or a text corpus's line: what the split rule hashes
    collection: Optional[str]  # None for a text corpus
    genre: str = "shi"


def split_of(raw: str) -> str:
    """The held-out rule every benchmark of this project shares.

    `raw` is the poem exactly as the source stores it (''.join(paragraphs), or a text corpus's line),
    before any conversion or cleaning, so that changing the cleaning never moves a poem between splits.
    """
    bucket = int(hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8], 16) % 100
    return "test" if bucket == 0 else "val" if bucket == 1 else "train"


# --- reading sources ------------------------------------------------------------------------------

def read_source(source, collection: str = "tang", progress: bool = False) -> tuple[str, list[RawPoem]]:
    """(kind, raw poems in a deterministic order) from a chinese-poetry directory or npm tarball
    (kind "chinese-poetry"), or a text file / directory of .txt files with one poem per line ("text")."""
    if collection not in COLLECTIONS:
        raise PoetryGenError(f"unknown collection {collection!r}; choose one of {', '.join(COLLECTIONS)}")
    path = Path(source)
    if not path.exists():
        raise PoetryGenError(f"{source}: no such file or directory")
    wanted = COLLECTIONS[collection]
    if path.is_dir():
        files = _directory_poem_files(path, wanted)
        if files:
            return "chinese-poetry", _parse_poem_files(files, progress)
        if any(_POEM_FILE.fullmatch(p.name) for p in path.rglob("poet.*.json")):
            raise PoetryGenError(f"{source}: no {_pattern(wanted)} files (other collections only)")
        texts = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not texts:
            raise PoetryGenError(f"{source}: no {_pattern(wanted)} files and no .txt files in this directory")
        lines, budget = [], _Budget()
        for text_file in texts:
            budget.take(text_file, text_file.stat().st_size)
            lines += _text_lines(text_file)
        return "text", [RawPoem(line, None) for line in lines]
    if not path.is_file():  # a device or a pipe (/dev/zero) would be read without end
        raise PoetryGenError(f"{source}: not a regular file or a directory")
    if tarfile.is_tarfile(path):
        files = _tarball_poem_files(path, wanted, progress)
        if not files:
            raise PoetryGenError(f"{source}: no {_pattern(wanted)} files in this tarball")
        return "chinese-poetry", _parse_poem_files(files, progress)
    return "text", [RawPoem(line, None) for line in _text_lines(path)]


def _pattern(collections: Iterable[str]) -> str:
    return " or ".join(f"poet.{c}.*.json" for c in collections)


def _sort_key(collections: tuple[str, ...], name: str):
    """Collection order first, then the file's number (poet.tang.2000 before poet.tang.10000), then path."""
    match = _POEM_FILE.fullmatch(name.rsplit("/", 1)[-1])
    return collections.index(match[1]), int(match[2]), name


def _wanted(name: str, collections: tuple[str, ...]) -> bool:
    match = _POEM_FILE.fullmatch(name.rsplit("/", 1)[-1])
    return bool(match) and match[1] in collections


def _directory_poem_files(root: Path, collections) -> list[tuple[str, bytes]]:
    names = [p.relative_to(root).as_posix() for p in root.rglob("poet.*.json") if p.is_file()]
    names = sorted((n for n in names if _wanted(n, collections)), key=lambda n: _sort_key(collections, n))
    files, budget = [], _Budget()
    for name in names:
        data = _read_source_file(root / name)
        budget.take(root / name, len(data))
        files.append((str(root / name), data))
    return files


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


def _tarball_poem_files(path: Path, collections, progress: bool) -> list[tuple[str, bytes]]:
    """Read matching members in one streaming pass over the archive, nothing extracted to disk."""
    found, budget = [], _Budget()
    try:
        with open(path, "rb") as raw, tqdm.wrapattr(raw, "read", total=path.stat().st_size, desc="reading",
                                                      disable=_no_bar(progress), file=sys.stderr) as stream:
            with tarfile.open(fileobj=stream, mode="r|*") as tar:
                for member in tar:
                    if member.isfile() and _wanted(member.name, collections):
                        name = f"{path}:{member.name}"
                        if member.size > MAX_SOURCE_FILE_BYTES:  # the header's size: refused before inflating
                            raise PoetryGenError(f"{name}: {member.size / 2 ** 20:,.0f} MiB, larger than "
                                                 f"{MAX_SOURCE_FILE_BYTES / 2 ** 20:g} MiB, the most a source "
                                                 f"file may have")
                        budget.take(name, member.size)
                        found.append((name, tar.extractfile(member).read()))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise PoetryGenError(f"{path}: unreadable tarball ({err})") from None
    return sorted(found, key=lambda item: _sort_key(collections, item[0].rsplit(":", 1)[-1]))


def _parse_poem_files(files: list[tuple[str, bytes]], progress: bool) -> list[RawPoem]:
    poems = []
    for name, data in tqdm(files, desc="parsing", unit="file", disable=_no_bar(progress), file=sys.stderr):
        collection = _POEM_FILE.fullmatch(name.rsplit("/", 1)[-1])[1]
        poems.extend(RawPoem(raw, collection) for raw in _poems_in(name, data))
    return poems


def _poems_in(name: str, data: bytes) -> Iterator[str]:
    """The joined paragraphs of each poem in one poet.*.json file.

    The npm package ships files of the same name that are not poems: quantangshi/error/ holds records
    flagged with `error_type`, strains/ holds tone patterns without `paragraphs`. Both are skipped.
    """
    try:
        records = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PoetryGenError(f"{name}: corrupt JSON ({err})") from None
    if not isinstance(records, list):
        raise PoetryGenError(f"{name}: corrupt poem file (expected a JSON list of poems)")
    for record in records:
        if not isinstance(record, dict) or "error_type" in record or "paragraphs" not in record:
            continue
        paragraphs = record["paragraphs"]
        if not isinstance(paragraphs, list) or not all(isinstance(p, str) for p in paragraphs):
            raise PoetryGenError(f"{name}: corrupt poem file (`paragraphs` is not a list of strings)")
        yield "".join(paragraphs)


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

def clean(raw: str) -> tuple[str, Optional[str]]:
    """(cleaned poem, None) or (cleaned text, why it is dropped: "too_long", "empty", "lacuna" or
    "non_chinese")."""
    if len(raw) > text.MAX_POEM_CHARS:
        return raw[:text.MAX_POEM_CHARS], "too_long"
    if not _valid_unicode(raw):  # JSON may escape lone surrogates (\udcff), which no converter takes
        return raw, "non_chinese"
    poem = text.normalize(raw)
    if not poem:
        return poem, "empty"
    if "□" in poem:
        return poem, "lacuna"
    if any(not (text.is_hanzi(ch) or ch in text.LINE_MARKS) for ch in poem):
        return poem, "non_chinese"
    return poem, None


def _valid_unicode(raw: str) -> bool:
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def form_of(poem: str) -> Optional[str]:
    return detect_form(*text.split_lines(poem))


def _check_forms(forms: Optional[Iterable[str]]) -> Optional[list[str]]:
    if forms is None:
        return None
    forms = list(forms)
    unknown = [f for f in forms if f not in FORMS]
    if unknown or not forms:
        raise PoetryGenError(f"unknown form {', '.join(unknown) or '(none)'}; forms are {', '.join(FORMS)}")
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
                 min_count: int = 1, keywords: bool = True, progress: bool = True) -> dict:
    """Read SOURCE, clean, split, encode, and write DIR (see the module docstring); returns stats.json's dict.

    DIR is replaced as a whole: everything is written to a sibling temporary directory first, so a
    failed build leaves an existing DIR as it was.
    """
    forms = _check_forms(forms)
    if min_count < 1:
        raise PoetryGenError(f"--min-count must be at least 1, not {min_count}")
    out = Path(out_dir)
    _check_replaceable(out)
    kind, raws = read_source(source, collection, progress)
    splits, tags, dropped = _clean_and_split(raws, forms)
    if not any(splits.values()):
        raise PoetryGenError(f"{source}: no poem left after cleaning and filtering ({len(raws)} read)")
    if not splits["train"]:
        raise PoetryGenError(f"{source}: no poem falls in the train split, so there is no vocabulary to build")

    vocab = Vocab.build(splits["train"], min_count=min_count)
    histogram = Counter(t["form"] or "other" for split_tags in tags.values() for t in split_tags)
    stats = {
        "format": FORMAT,
        "source": str(source),
        "source_kind": kind,
        "collection": collection if kind == "chinese-poetry" else None,
        "options": {"forms": forms, "min_count": min_count, "keywords": keywords},
        "read": len(raws),
        "dropped": dropped,
        "splits": {name: {"poems": len(poems), "chars": sum(map(len, poems)),
                          "unknown": sum(ch not in vocab for p in poems for ch in p)}
                   for name, poems in splits.items()},
        "vocab_size": len(vocab),
        "forms": {name: histogram[name] for name in [*FORMS, "other"]},
    }
    poem_keywords = theme_words = None
    if keywords:
        every = extract_keywords([p for name in SPLITS for p in splits[name]], progress)
        bounds = np.cumsum([0] + [len(splits[name]) for name in SPLITS])
        poem_keywords = {name: every[bounds[i]:bounds[i + 1]] for i, name in enumerate(SPLITS)}
        theme_words = list(word_counts(splits["train"]))
        stats["theme_words"] = len(theme_words)
    _write_corpus(out, vocab, splits, tags, poem_keywords, theme_words, stats)
    return stats


def _clean_and_split(raws: list[RawPoem], forms: Optional[list[str]]
                     ) -> tuple[dict[str, list[str]], dict[str, list[dict]], dict[str, int]]:
    """(cleaned poems per split, their tags per split, counts of the poems dropped per reason)."""
    splits = {name: [] for name in SPLITS}
    tags = {name: [] for name in SPLITS}
    dropped = dict.fromkeys(["empty", "lacuna", "non_chinese", "duplicate", "duplicate_across_splits", "form",
                             "too_long"], 0)
    seen = {}  # cleaned poem → its split; the first occurrence wins
    for source in raws:
        poem, reason = clean(source.raw)
        split = split_of(source.raw)
        if reason:
            dropped[reason] += 1
        elif poem in seen:
            dropped["duplicate"] += 1
            dropped["duplicate_across_splits"] += seen[poem] != split
        else:
            seen[poem] = split
            form = form_of(poem)
            if forms is None or form in forms:
                splits[split].append(poem)
                tags[split].append(poem_tags(source.collection, source.genre, form))
            else:
                dropped["form"] += 1
    return splits, tags, dropped


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


def _write_corpus(out: Path, vocab: Vocab, splits: dict[str, list[str]], tags: dict[str, list[dict]],
                  keywords: Optional[dict[str, list[list[str]]]], theme_words: Optional[list[str]],
                  stats: dict) -> None:
    with replacing_directory(out) as tmp:
        for name, poems in splits.items():
            _write_split(tmp, name, poems, vocab)
            _write_json(tmp / f"{name}.tags.json", tags[name], indent=None)
            if keywords is not None:
                _write_json(tmp / f"{name}.keywords.json", keywords[name], indent=None)
        if theme_words is not None:
            (tmp / THEME_WORDS_FILE).write_text(" ".join(theme_words) + "\n", encoding="utf-8")
        _write_json(tmp / "vocab.json", {"format": FORMAT, "tokens": vocab.to_list()})
        _write_json(tmp / "stats.json", stats)
        _write_json(tmp / MARKER, {"tool": _MARKER_TOOL, "format": FORMAT,
                                   "files": sorted(p.name for p in tmp.iterdir())})


def _write_split(directory: Path, name: str, poems: list[str], vocab: Vocab) -> None:
    dtype = np.uint16 if len(vocab) <= 1 << 16 else np.int32
    ids = np.array(vocab.encode("".join(poems)), dtype=dtype)
    offsets = np.zeros(len(poems) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in poems], out=offsets[1:])
    np.save(directory / f"{name}.ids.npy", ids)
    np.save(directory / f"{name}.offsets.npy", offsets)
    (directory / f"{name}.txt").write_text("".join(p + "\n" for p in poems), encoding="utf-8")


def _write_json(path: Path, obj, indent: Optional[int] = 1) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")


def summary(out_dir, stats: dict) -> str:
    """The report `corpus build` prints: poems and characters per split, vocabulary, forms, drops."""
    source = f"{stats['source']}" + (f" ({stats['collection']})" if stats["collection"] else "")
    rows = [f"{out_dir}: {stats['read']:,} poems read from {source}",
            f"  {'split':<6}{'poems':>10}{'chars':>12}{'unknown':>9}"]
    for name in SPLITS:
        s = stats["splits"][name]
        rows.append(f"  {name:<6}{s['poems']:>10,}{s['chars']:>12,}{s['unknown']:>9,}")
    rows.append(f"  vocabulary: {stats['vocab_size']:,} tokens (incl. 5 special), from train")
    rows.append("  forms: " + "  ".join(f"{name} {n:,}" for name, n in stats["forms"].items()))
    if stats.get("theme_words") is not None:
        rows.append(f"  theme words: {stats['theme_words']:,} attested in train (for --theme)")
    d = stats["dropped"]
    rows.append(f"  dropped: {d['empty']:,} empty, {d['lacuna']:,} with lacunae, {d['non_chinese']:,} "
                f"non-Chinese, {d['duplicate']:,} duplicates ({d['duplicate_across_splits']:,} across splits), "
                f"{d['form']:,} of other forms, {d['too_long']:,} longer than {text.MAX_POEM_CHARS:,} "
                f"characters")
    return "\n".join(rows)


# --- reading a built corpus -----------------------------------------------------------------------

def _built_file(directory, name: str) -> Path:
    path = Path(directory) / name
    if not path.is_file():
        hint = " (built with --no-keywords)" if name.endswith(".keywords.json") else ""
        raise PoetryGenError(f"{directory}: not a built corpus, no {name}{hint}; run `poetry-gen corpus build`")
    return path


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise PoetryGenError(f"unknown split {split!r}; splits are {', '.join(SPLITS)}")


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PoetryGenError(f"{path}: corrupt JSON ({err})") from None


def load_vocab(directory) -> Vocab:
    data = _read_json(_built_file(directory, "vocab.json"))
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PoetryGenError(f"{directory}/vocab.json: not a vocabulary of format {FORMAT}")
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
    return _built_file(directory, f"{split}.txt").read_text(encoding="utf-8").splitlines()


def load_theme_words(directory) -> str:
    """The corpus's theme words (theme_words.txt) as one space-separated string, what a checkpoint stores.
    A corpus built before corpus build wrote them gets them counted from its train.txt now."""
    path = Path(directory) / THEME_WORDS_FILE
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
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

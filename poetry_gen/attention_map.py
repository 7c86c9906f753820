"""A picture of the attention of a written poem: for each character, which earlier characters (the
keyword prefix or prompt, earlier lines) the step that wrote it looked at most.

The step that writes token t reads token t-1 and attends over positions 0..t-1, so the row of token t
is row t-1 of the model's (T, T) weights, and every weight it shows is on a strictly earlier token:

             <bos> 秋 <sep> 床 前 明 …      columns: the tokens attended to (grey: before the poem)
        床     ■    ■   ▪                  rows: the poem's characters; shade ∝ √weight;
        前     ▪    ■   ▪    ■             outlined, and listed on the right: a row's 3 largest
        明     ▪    ■   ▪    ▪  ■

Plain SVG written by hand (no plotting dependency); a .html file holds the same SVG in a page. Every
cell carries its exact weight (data-weight, and a tooltip), and every row the whole weight row it was
drawn from (data-weights), so tests and readers can check the picture against the model.
"""
from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import torch

from .checks import check_map_path
from .errors import PoetryGenError
from .files import write_atomic
from .text import LINE_MARKS

CELL = 20  # px per grid cell
TOP_K = 3  # sources outlined and listed per row
FONT = ("'Noto Serif CJK SC', 'Source Han Serif SC', 'Songti SC', STSong, SimSun, 'Noto Sans CJK SC', "
        "'Microsoft YaHei', serif")
_STYLE = """
  text { fill: #222; }
  .special { font-family: sans-serif; font-size: 7px; fill: #666; }
  .cell { fill: #a3162a; }
  .top { stroke: #111; stroke-width: 1.5; }
  .prefix { fill: #ececec; }
  .line-end { stroke: #bbb; stroke-width: 0.6; }
  .note { font-size: 11px; fill: #555; font-family: sans-serif; }
  g.row:hover .cell { fill: #d4570f; }
"""
_LEFT, _TOP, _RIGHT, _BOTTOM = 36, 64, 200, 44  # margins: row labels, caption + column labels, top-3 list, legend


def write_poem_attention(path, model, vocab, prompt: list, poem: list) -> Path:
    """The attention map of `model` writing `poem` (token ids) after <bos> and `prompt` (token ids: the
    theme's `kw <sep>` prefix, or priming text), as the sampler fed them."""
    path = check_map_path(path)
    return write_attention_map(path, *_poem_attention(model, vocab, prompt, poem))


def poem_attention_svg(model, vocab, prompt: list, poem: list) -> str:
    """The SVG element `write_poem_attention` draws, as a string (for a web page to show inline)."""
    return attention_svg(*_poem_attention(model, vocab, prompt, poem))


def _poem_attention(model, vocab, prompt: list, poem: list) -> tuple:
    """(tokens, weights (heads, T, T), poem_start) of `model` reading <bos>, `prompt` and `poem`."""
    ids = [vocab.bos_id, *prompt, *poem]
    device = next(model.parameters()).device
    weights = model.attention_weights(torch.tensor([ids], device=device))  # (1, heads, T, T)
    if weights is None:
        raise PoetryGenError("this model has no attention layer (attention=none), so it has no attention map")
    return [vocab.itos[i] for i in ids], weights[0].float().cpu().numpy(), 1 + len(prompt)


def write_attention_map(path, tokens: list, weights, poem_start: int) -> Path:
    """Draw `weights` — (T, T) or (heads, T, T) causal attention rows of the sequence `tokens` (T token
    strings, e.g. <bos> keywords <sep> … poem) — for the poem's tokens tokens[poem_start:], into `path`
    (.svg or .html). Heads are averaged. Written atomically; returns the path."""
    path = check_map_path(path)
    svg = attention_svg(tokens, weights, poem_start)
    if path.suffix.lower() == ".html":
        title = escape("Attention: " + "".join(t for t in tokens[poem_start:] if not _special(t)))
        svg = (f'<!DOCTYPE html>\n<html lang="zh">\n<head><meta charset="utf-8"/><title>{title}</title></head>\n'
               f'<body>\n{svg}</body>\n</html>\n')
    else:
        svg = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    write_atomic(path, svg)
    return path


def attention_svg(tokens: list, weights, poem_start: int) -> str:
    """The <svg> element of `write_attention_map`, checked the same way."""
    weights = np.asarray(weights, dtype=np.float64)
    heads = weights.shape[0] if weights.ndim == 3 else None
    if heads is not None:
        weights = weights.mean(axis=0)  # (T, T)
    T = len(tokens)
    if weights.shape != (T, T):
        raise ValueError(f"weights of shape {weights.shape} for {T} tokens")
    if not 1 <= poem_start < T:
        raise ValueError(f"poem_start {poem_start} outside 1..{T - 1}")
    rows = weights[poem_start - 1:T - 1]  # (R, T): row i wrote token poem_start + i
    causal = np.triu(np.ones((T, T), dtype=bool), 1)[poem_start - 1:T - 1]  # positions a row may not see
    if np.abs(rows[causal]).max(initial=0) > 1e-6 or np.abs(rows.sum(axis=1) - 1).max() > 1e-3:
        raise ValueError("weights are not causal attention rows (each summing to 1, zero after its position)")
    return _svg(tokens, rows, poem_start, heads)


def _special(token: str) -> bool:
    return len(token) > 2 and token.startswith("<") and token.endswith(">")


def _line_end(token: str) -> bool:
    return len(token) == 1 and token in LINE_MARKS


def _label(token: str, x: float, y: float, anchor: str = "middle") -> str:
    if _special(token):  # <bos> → BOS in small sans-serif
        return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}" class="special">{escape(token[1:-1].upper())}</text>'
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}">{escape(token)}</text>'


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _svg(tokens: list, rows: np.ndarray, poem_start: int, heads) -> str:
    R, T = rows.shape
    cols = T - 1  # the last token is never attended to by a row shown
    width = max(_LEFT + cols * CELL + _RIGHT, 660)  # wide enough for the caption
    height = _TOP + R * CELL + _BOTTOM
    x0, y0 = _LEFT, _TOP
    averaged = f"averaged over {heads} heads" if heads else "one weight matrix"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="{_attr(FONT)}" font-size="14">\n',
           f'<style>{_STYLE}</style>\n',
           f'<text x="8" y="18" class="note">Attention of each written character over the characters before '
           f'it ({averaged}).</text>\n',
           '<text x="8" y="33" class="note">Row: a character of the poem. Cell: the weight the step that wrote it '
           'gave an earlier character. Grey: before the poem.</text>\n']
    out.append(f'<rect class="prefix" x="{x0}" y="{y0 - CELL}" width="{poem_start * CELL}" '
               f'height="{(R + 1) * CELL}"/>\n')
    for j in range(cols):  # column labels, and a faint rule after each line's mark
        out.append(_label(tokens[j], x0 + (j + 0.5) * CELL, y0 - 6) + "\n")
        if j >= poem_start and _line_end(tokens[j]):
            x = x0 + (j + 1) * CELL
            out.append(f'<line class="line-end" x1="{x}" y1="{y0}" x2="{x}" y2="{y0 + R * CELL}"/>\n')
    for i in range(R):
        t = poem_start + i
        row, y = rows[i], y0 + i * CELL
        top = sorted(np.argsort(-row[:t], kind="stable")[:TOP_K])
        values = " ".join(format(float(w), ".6g") for w in row)
        out.append(f'<g class="row" data-pos="{t}" data-token="{_attr(tokens[t])}" data-weights="{values}">\n')
        out.append(_label(tokens[t], x0 - 8, y + CELL - 5, anchor="end") + "\n")
        for j in range(t):
            w = float(row[j])
            outline = " top" if j in top else ""
            out.append(f'<rect class="cell{outline}" x="{x0 + j * CELL + 0.5}" y="{y + 0.5}" width="{CELL - 1}" '
                       f'height="{CELL - 1}" fill-opacity="{math.sqrt(w):.4f}" data-col="{j}" '
                       f'data-weight="{format(w, ".6g")}"><title>{escape(tokens[j])} → {escape(tokens[t])}: '
                       f'{w:.3f}</title></rect>\n')
        x = x0 + cols * CELL + 10
        for rank, j in enumerate(sorted(top, key=lambda j: -row[j])):
            out.append(_label(tokens[j], x + rank * 62, y + CELL - 5, anchor="start") + "\n")
            out.append(f'<text x="{x + rank * 62 + 17}" y="{y + CELL - 5}" class="note">{row[j]:.2f}</text>\n')
        out.append("</g>\n")
        if _line_end(tokens[t]):
            out.append(f'<line class="line-end" x1="{x0}" y1="{y + CELL}" x2="{x0 + cols * CELL}" '
                       f'y2="{y + CELL}"/>\n')
    legend_y = y0 + R * CELL + 24
    out.append(f'<text x="8" y="{legend_y}" class="note">Shade ∝ √weight; outlined, and listed on the right: '
               f'the {TOP_K} largest weights of each row. Hover a cell for its weight.</text>\n')
    out.append("</svg>\n")
    return "".join(out)

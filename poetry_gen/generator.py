"""Writing poems with a trained model: checks the request, lays the poem out, and has the sampler write it.

    >>> gen = load_generator()                                  # the default model shipped with poetry_gen
    >>> gen.acrostic("春夏秋冬", form="七绝", num=3, seed=1)     # [Poem, Poem, Poem], best score first
    >>> gen.generate(start="床前明月光", form="五绝")
    >>> poem = gen.generate(theme="写一首关于秋天思乡的七言绝句", seed=1)[0]   # conditioned on 秋, 思乡
    >>> gen.attention_map(poem, "poem.svg")                     # what each character attended to
    >>> gen.perplexity(["床前明月光，疑是地上霜。举头望明月，低头思故乡。"])

Every mistake in a request (unknown form, characters the model does not know, a start text that does
not fit the form, ...) raises PoetryGenError with a one-line message; the CLI prints the same message.
"""
from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from importlib import resources
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Optional

import torch

from . import prosody
from .attention_map import write_poem_attention
from .checkpoint import load_checkpoint
from .config import SamplingOptions
from .device import resolve_device
from .errors import PoetryGenError
from .evaluate import perplexity
from .forms import FORMS, FREE_LINES, PERIOD, Form, form_for
from .sampler import Controls, Layout, VocabTables, decode
from .theme import keyword_prefix_ids, parse_theme, parse_theme_words
from .text import LINE_MARKS, is_hanzi, normalize, split_lines, to_simplified, to_traditional

CHARS = (5, 7)
MAX_LINES = 64  # the most lines a poem may be asked for
NO_DEFAULT_MODEL = ("no default model is installed (poetry_gen/checkpoints/default.pt): train one with "
                    "`poetry-gen train --data DIR --out CKPT` and pass it with --checkpoint CKPT "
                    "(in Python: load_generator(path))")


@dataclass
class Poem:
    text: str  # the whole poem with its marks: 床前明月光，疑是地上霜。...
    lines: list  # its lines without marks
    form: Optional[str]  # 五绝 七绝 五律 七律, or None for another shape
    score: float  # mean log-probability per written character and mark under the model (higher is likelier)
    seed: int  # the seed that, with the same options and `num`, writes this poem again
    theme: Optional[dict] = None  # with a theme: request, keywords_in, keywords_used, form (theme.Theme)
    # The token ids the model read and wrote, for the attention map: after <bos> (the keyword prefix
    # or priming text), and the poem's characters and marks (simplified, as written).
    prompt_ids: tuple = field(default=(), repr=False)
    ids: tuple = field(default=(), repr=False)

    def couplets(self) -> list:
        """The poem one couplet per string: '床前明月光，疑是地上霜。' (a lone last line stands alone)."""
        return re.findall(f"[^{PERIOD}]*{PERIOD}", self.text)

    def to_traditional(self) -> "Poem":
        return replace(self, text=to_traditional(self.text), lines=[to_traditional(l) for l in self.lines])

    def to_dict(self) -> dict:
        out = {"poem": self.text, "lines": list(self.lines), "form": self.form, "score": self.score,
               "seed": self.seed}
        return out | ({"theme": self.theme} if self.theme else {})


# --- reading a request ----------------------------------------------------------------------------

def _form(form) -> Form:
    if isinstance(form, Form):
        return form
    name = to_simplified(str(form).strip())
    if name not in FORMS:
        raise PoetryGenError(f"unknown form {form!r}: choose one of {', '.join(FORMS)}")
    return FORMS[name]


def _check_chars(chars) -> int:
    if chars not in CHARS:
        raise PoetryGenError(f"lines have 5 or 7 characters, not {chars}")
    return chars


def _check_lines(lines) -> int:
    if not (isinstance(lines, int) and 1 <= lines <= MAX_LINES):
        raise PoetryGenError(f"a poem has 1 to {MAX_LINES} lines, not {lines}")
    return lines


def _agree(form: Form, chars, lines) -> Form:
    """`form`, checked against separately given `chars` and `lines`."""
    if chars is not None and chars != form.chars:
        raise PoetryGenError(f"a {form.name} has {form.chars} characters per line, not {chars}")
    if lines is not None and lines != form.lines:
        raise PoetryGenError(f"a {form.name} has {form.lines} lines, not {lines}")
    return form


def _describe(form: Form) -> str:
    return form.name or f"poem of {form.chars}-character lines"


def _hanzi_text(text: Optional[str], what: str) -> str:
    """Normalised text that must hold Chinese characters."""
    text = normalize(text or "")
    if not text:
        raise PoetryGenError(f"the {what} is empty")
    if not any(is_hanzi(ch) for ch in text):
        raise PoetryGenError(f"the {what} {text!r} holds no Chinese characters")
    return text


def _first_line_chars(lines: list, ends: list) -> int:
    """Line length a start text implies when neither form nor chars is given."""
    n = len(lines[0])
    if ends[0] or n in CHARS:  # a whole first line (typing one without its mark is common)
        if n not in CHARS:
            raise PoetryGenError(f"line 1 of the start text has {n} characters; lines have 5 or 7")
        return n
    if n > max(CHARS):
        raise PoetryGenError(f"line 1 of the start text has {n} characters; lines have 5 or 7 (end a line with ，)")
    return max(CHARS)  # part of a line: the longer form


@dataclass(frozen=True)
class _Plan:
    form: Form  # lines=None: free length
    given: list  # the start text's lines (the last may be partial)
    heads: list  # acrostic heads, one per line from the first


def _check_start(lines: list, ends: list, form: Form) -> None:
    """The start text (split into lines) must fit `form`: whole lines of form.chars with the right marks,
    at most one unfinished line at the end, and something left to write."""
    n, limit = len(lines), form.lines or FREE_LINES[1]
    if n > limit:
        raise PoetryGenError(f"the start text has {n} lines, but a {_describe(form)} has at most {limit}")
    if n == limit and len(lines[-1]) == form.chars:
        raise PoetryGenError(f"the start text already fills the {_describe(form)}; nothing is left to write")
    if not any(ends) and len(lines[0]) in CHARS and len(lines[0]) != form.chars:
        raise PoetryGenError(f"the start text {lines[0]} is a {len(lines[0])}-character line, but a "
                             f"{_describe(form)} has {form.chars} characters per line")
    for i, (line, end) in enumerate(zip(lines, ends)):
        if not line:
            raise PoetryGenError(f"line {i + 1} of the start text is empty")
        if len(line) > form.chars or (end and len(line) != form.chars):
            raise PoetryGenError(f"line {i + 1} of the start text has {len(line)} characters, but a "
                                 f"{_describe(form)} has {form.chars} per line")
        if end and end != Form.line_end(i):
            raise PoetryGenError(f"line {i + 1} of the start text ends in {end}, but in a {_describe(form)} "
                                 f"it ends in {Form.line_end(i)} (lines alternate ，。)")


# --- the generator ----------------------------------------------------------------------------------

class Generator:
    """A model (switched to eval mode) with its vocabulary, ready to write poems (see `load_generator`)."""

    def __init__(self, model, vocab, device="cpu", theme_words: Optional[str] = None, cache_dir=None):
        """`theme_words`: the checkpoint's (its attested words map themes); `cache_dir`: where the vocabulary's
        tables are kept between runs (cache.py; None: computed every time)."""
        self.model, self.vocab, self.device = model.eval(), vocab, device
        self.theme_words = theme_words
        self.tables = VocabTables(vocab, device, cache_dir)

    @cached_property
    def attested_words(self) -> Optional[frozenset]:
        """The words poets used (theme.parse_theme_words of the checkpoint's), read when a theme
        first needs them; None for a checkpoint without them."""
        return parse_theme_words(self.theme_words)

    def acrostic(self, heads: str, form=None, *, chars: Optional[int] = None,
                 options: Optional[SamplingOptions] = None, **overrides) -> list:
        """藏头诗: one line per head character, beginning with it. 4 heads make a 绝句, 8 a 律诗, other
        counts that many lines; lines have 7 characters unless `form` or `chars` says otherwise. With
        fewer heads than the form's lines, the lines after the last head are free. `options` and
        `overrides`: as for `generate`."""
        options = _with(options, overrides)
        theme = self._theme(options.theme, options.prefix)
        if theme and theme["form"] and form is None and chars is None:
            form = theme["form"]
        text = re.sub(f"[{LINE_MARKS}]", "", _hanzi_text(heads, "acrostic"))  # 春,夏,秋,冬 is fine too
        bad = [ch for ch in dict.fromkeys(text) if not is_hanzi(ch)]
        if bad:
            raise PoetryGenError(f"acrostic heads are Chinese characters, one per line, not {' '.join(bad)}")
        if form is not None:
            shape = _agree(_form(form), chars, None)
            if len(text) > shape.lines:
                raise PoetryGenError(f"{len(text)} acrostic heads, but a {shape.name} has only {shape.lines} lines")
        else:
            shape = form_for(_check_chars(7 if chars is None else chars), _check_lines(len(text)))
        return self._write(_Plan(shape, [], list(text)), options, theme)

    def generate(self, start: Optional[str] = None, form=None, chars: Optional[int] = None,
                 lines: Optional[int] = None, *, options: Optional[SamplingOptions] = None, **overrides) -> list:
        """A poem from scratch, or continuing `start` (kept in the poem as given; it may end mid-line).

        The shape: `form`; or `chars` (5 or 7) with `lines`; or `chars` alone for a free number of lines
        (the model ends the poem after a couplet, after 2 to 16 lines); with none of them, the form the
        theme names, else a 绝句 (a 律诗 when the start text holds 4 whole lines or more) of the start
        text's line length, else a 七绝.

        `options`: a SamplingOptions (num, seed, temperature, ..., rhyme, tones, theme; its defaults when
        None), with `overrides` (any of its fields by name) replacing its values: `num=3, seed=1`.

        `theme`: a request in plain Chinese (写一首关于秋天思乡的诗) or words (秋 思乡 明月). Its keywords
        (theme.parse_theme; each Poem's `theme` says which were used) go before the poem as the model
        was trained with them, `kw <sep> kw <sep>`; not together with `prefix`, which it replaces.
        """
        options = _with(options, overrides)
        theme = self._theme(options.theme, options.prefix)
        if theme and theme["form"] and form is None and chars is None and lines is None:
            form = theme["form"]
        given, ends = [], []
        if start is not None:
            given, ends = split_lines(_hanzi_text(start, "start text"))
            bad = [ch for ch in dict.fromkeys("".join(given)) if not is_hanzi(ch)]
            if bad:
                raise PoetryGenError(f"the start text may hold only Chinese characters and the marks ，。, "
                                     f"not {' '.join(bad)}")
        if form is not None:
            shape = _agree(_form(form), chars, lines)
        else:
            n = _check_chars(chars) if chars is not None else _first_line_chars(given, ends) if given else 7
            if lines is not None:
                shape = form_for(n, _check_lines(lines))
            elif chars is not None:
                shape = Form(None, n, None)
            else:
                whole = sum(len(line) == n for line in given)  # a start of 4 whole lines goes on to 8
                shape = form_for(n, 4 if whole < 4 else 8)
        if given:
            _check_start(given, ends, shape)
        return self._write(_Plan(shape, given, []), options, theme)

    def attention_map(self, poem: Poem, path) -> Path:
        """Draw which earlier tokens (the theme's keywords or the priming text, earlier lines) the model
        attended to while writing `poem` (one this generator wrote) into `path`, a .svg or .html file
        (attention_map.py). The weights are recomputed by the model over the same tokens it read."""
        if not poem.ids:
            raise PoetryGenError("the attention map is drawn for a poem this generator wrote")
        return write_poem_attention(path, self.model, self.vocab, list(poem.prompt_ids), list(poem.ids))

    def perplexity(self, poems):
        """evaluate.PerplexityResult (ppl, chars, unknown, ...) of the model on `poems` (str or list of str;
        any script, normalised like the corpus)."""
        poems = [poems] if isinstance(poems, str) else list(poems)
        return perplexity(self.model, self.vocab, [normalize(p) for p in poems], device=self.device)

    # --- internals ----------------------------------------------------------------------------------

    def _theme(self, request: Optional[str], prefix: Optional[str]) -> Optional[dict]:
        """Poem.theme of `request`: the request with its parse_theme fields; None without a request."""
        if request is None:
            return None
        if prefix:  # the model was trained on keyword prefixes or none, never with text before them
            raise PoetryGenError("a theme does not go with a prefix: the theme's keywords are the prefix")
        return {"request": request, **asdict(parse_theme(request, self.vocab, self.attested_words))}

    def _known(self, text: str, what: str) -> list:
        unknown = [ch for ch in dict.fromkeys(text) if ch not in self.vocab]
        if unknown:
            raise PoetryGenError(f"the model does not know {' '.join(unknown)} (in the {what}); it knows "
                                 f"{len(self.vocab) - len(self.vocab.special_ids)} characters")
        return self.vocab.encode(text)

    def _rhyme(self, rhyme, given: list, layout) -> Optional[frozenset]:
        """The rhyme groups a row may take before it writes: one named group, or all 30 平声 groups,
        narrowed by the line ends the start text (its lines `given`) fixes."""
        if rhyme is False:
            return None
        named = prosody.validate_rhyme_group(rhyme) if isinstance(rhyme, str) else None
        groups = frozenset([named] if named else prosody.PING_GROUPS)
        if named and not bool((self.tables.groups[:, self.tables.group_mask([named])].any(1)
                               & self.tables.is_char).any()):
            raise PoetryGenError(f"the model knows no character of the rhyme group {named}")
        for i, line in enumerate(given):
            if len(line) < layout.chars:
                break
            ch = line[-1]
            own = prosody.rhyme_groups(ch)
            if layout.mark(i) == PERIOD:  # a rhyming line end
                if groups & own:
                    groups &= own
                elif named:
                    raise PoetryGenError(f"line {i + 1} of the start text ends in {ch} "
                                         f"({'/'.join(sorted(own)) or 'not in the 平水韵 table'}), which does "
                                         f"not rhyme in the {named} group")
                elif own:  # the given text rhymes otherwise (even in a 仄声 group): follow it
                    groups = own
            elif i == 0 and groups & own:  # line 1 may join the rhyme
                groups &= own
        return groups

    def _write(self, plan: _Plan, options: SamplingOptions, theme) -> list:
        form, prefix, tones = plan.form, options.prefix, options.tones
        if theme:
            prompt = keyword_prefix_ids(theme["keywords_used"], self.vocab)
        else:
            prompt = self._known(normalize(prefix), "prefix") if prefix else []
        heads = self._known("".join(plan.heads), "acrostic heads")
        given = iter(self._known("".join(plan.given), "start text"))

        C = form.chars
        fixed = {i * (C + 1) + j: next(given) for i, line in enumerate(plan.given) for j in range(len(line))}
        fixed.update({i * (C + 1): head for i, head in enumerate(heads)})
        if form.lines is None:  # free length: the model may end it, but not before the given lines are done
            layout = Layout(C, FREE_LINES[1], fixed, max(FREE_LINES[0], len(plan.given) + len(plan.given) % 2))
        else:
            layout = Layout(C, form.lines, fixed)
        templates = tuple(prosody.templates(form.name)) if form.name and tones != "off" else ()
        controls = Controls(self._rhyme(options.rhyme, plan.given, layout), templates, tones)

        seed = secrets.randbits(31) if options.seed is None else options.seed
        generator = torch.Generator(self.device).manual_seed(seed)
        samples = decode(self.model, self.tables, layout, options, num=options.num, controls=controls,
                         generator=generator, prompt=prompt)
        poems = []
        for sample in samples:
            text = self.vocab.decode(sample.ids)
            poem_lines, _ = split_lines(text)
            poems.append(Poem(text, poem_lines, form_for(C, len(poem_lines)).name, sample.score, seed,
                              theme, tuple(prompt), tuple(sample.ids)))
        return poems


def _with(options: Optional[SamplingOptions], overrides: dict) -> SamplingOptions:
    """`options` (or the defaults) with the fields named in `overrides` replaced."""
    return replace(options or SamplingOptions(), **overrides)


@contextmanager
def _default_checkpoint():
    """Path of the model shipped as package data (poetry_gen/checkpoints/default.pt)."""
    try:
        ref = resources.files("poetry_gen.checkpoints") / "default.pt"
    except ModuleNotFoundError:  # not installed: running from a source checkout
        ref = Path(__file__).resolve().parent.parent / "checkpoints" / "default.pt"
    if not ref.is_file():
        raise PoetryGenError(NO_DEFAULT_MODEL)
    with resources.as_file(ref) as path:
        yield path


def load_generator(path=None, device=None, threads: Optional[int] = None, cache_dir=None) -> Generator:
    """A Generator for the checkpoint at `path` (None: the default model shipped with poetry_gen), on
    `device` ("cpu", "cuda"; None or "auto": CUDA when available, else the CPU). `threads`: CPU threads
    for torch (None: torch's choice; on a busy machine 1 is often fastest). `cache_dir`: where what is
    computed once per model is kept between runs (the CLI uses $XDG_CACHE_HOME/poetry_gen); None: nowhere."""
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device("auto" if device is None else str(device))
    if path is None:
        with _default_checkpoint() as default:
            ckpt = load_checkpoint(default, device)
    else:
        ckpt = load_checkpoint(path, device)
    return Generator(ckpt.model, ckpt.vocab, device, ckpt.theme_words, cache_dir)

"""Writing poems with a trained model: checks the request, lays the poem out, and has the sampler write it.

    >>> gen = load_generator()                                  # the default model shipped with poetry_gen
    >>> gen.acrostic("春夏秋冬", form="七绝", num=3, seed=1)     # [Poem, Poem, Poem], best first (judged)
    >>> gen.generate(start="床前明月光", form="五绝")
    >>> gen.revise(poem, line=3)                                # line 3 again; the other lines kept
    >>> poem = gen.generate(theme="写一首关于秋天思乡的七言绝句", seed=1)[0]   # conditioned on 秋, 思乡
    >>> gen.generate(form="五绝", plan=["春", "江", "月", "归"])    # a model trained with plans: one word a line
    >>> gen.attention_map(poem, "poem.svg")                     # what each character attended to
    >>> gen.perplexity(["床前明月光，疑是地上霜。举头望明月，低头思故乡。"])

Every mistake in a request (unknown form, characters the model does not know, a start text that does
not fit the form, ...) raises PoetryGenError with a one-line message; the CLI prints the same message.
"""
from __future__ import annotations

import os
import random
import re
import secrets
import warnings
from contextlib import contextmanager
from importlib import resources
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Optional

import torch

from .attention_map import poem_attention_svg, write_poem_attention
from .bfloat16 import to_bfloat16
from .checkpoint import load_checkpoint
from .checks import check_text, check_whole, shown, shown_chars, shown_value
from .conditioning import form_prefix
from .config import MAX_THREADS, SamplingOptions
from .constraints import Controls, VocabTables, controls_for
from .couplet import COUPLET_SIGNALS, FORM as COUPLET, CoupletPlan, check_couplet, plan_couplet
from .device import resolve_device, resolve_precision
from .errors import PoetryGenError
from .evaluate import perplexity
from .prosody import EITHER, Template
from .request import Plan, plan_acrostic, plan_generate, poem_text, revision_form
from .rerank import judge
from .forms import COMMA, FREE_LINES, PERIOD, couplet_form, form_for
from .plan import PlanTable, check_plan_lines, plan_prefix_ids
from .sampler import Layout, decode
from .theme import Theme, WordRanks, keyword_prefix_ids, parse_theme, parse_theme_words
from .text import MAX_POEM_CHARS, is_hanzi, normalize, split_lines, to_traditional


STANZA_BREAK = "\u3000"  # between the 片 of a ci as the CLI prints it
REVISE_DRAWS = 8  # lines drawn for `revise` to choose among, by how the whole poem reads
COUPLET_UNUSED = ("must_include", "plan", "expand_plan")  # options a 下联 has no place for: refused, not ignored
NO_DEFAULT_MODEL = ("no default model is installed (poetry_gen/checkpoints/default.pt): train one with "
                    "`poetry-gen train --data DIR --out CKPT` and pass it with --checkpoint CKPT "
                    "(in Python: load_generator(path))")


@dataclass
class Poem:
    text: str  # the whole poem with its marks: 床前明月光，疑是地上霜。...
    lines: list  # its lines without marks
    form: Optional[str]  # 五绝 七绝 五律 七律, or None for another shape
    score: float  # mean log-probability per written character and mark under the model (higher is likelier)
    seed: Optional[int]  # the seed that, with the same options and `num`, writes this poem again (None: read)
    theme: Optional[Theme] = None  # with a theme: its request, keywords found and used, form
    plan: Optional[list] = None  # the plan the model read, one word per line (a model trained with plans)
    # The token ids the model read and wrote, for the attention map: after <bos> (the keyword prefix
    # or priming text), and the poem's characters and marks (simplified, as written).
    prompt_ids: tuple = field(default=(), repr=False)
    ids: tuple = field(default=(), repr=False)
    # How the candidates were judged (rerank.py): total, and each signal that applies (logprob, coherence,
    # theme, repetition, parallelism, rule_breaks); None when they were not (--candidates 1).
    judgement: Optional[dict] = None
    couplet: Optional[object] = None  # a couplet's couplet.CoupletCheck: its rules, tones and 对仗 by position
    # A ci's: the 词林正韵 部 each rhyme set's line ends share ({"a": ["第十四部平"]}), and its 片 (lines each)
    rhymes: Optional[dict] = None
    stanzas: tuple = ()

    def couplets(self) -> list:
        """The poem one couplet per string: '床前明月光，疑是地上霜。' (a lone last line stands alone); a
        ci in one string, its 片 apart by an ideographic space (STANZA_BREAK, which reading a poem drops)."""
        if self.stanzas:
            ends = [sum(self.stanzas[:i + 1]) for i in range(len(self.stanzas))]
            pieces = re.findall(r"[^\W\d_]+\W", self.text)  # each line with its mark
            return [STANZA_BREAK.join("".join(pieces[start:end]) for start, end in zip([0] + ends[:-1], ends))]
        return re.findall(f"[^{PERIOD}]*{PERIOD}", self.text)

    def to_traditional(self) -> "Poem":
        return replace(self, text=to_traditional(self.text), lines=[to_traditional(l) for l in self.lines])

    def to_dict(self) -> dict:
        out = {"poem": self.text, "lines": list(self.lines), "form": self.form, "score": self.score,
               "seed": self.seed}
        return out | ({"theme": asdict(self.theme)} if self.theme else {}) | (
            {"plan": list(self.plan)} if self.plan else {}) | (
            {"judgement": self.judgement} if self.judgement else {}) | (
            {"couplet": self.couplet.to_dict()} if self.couplet else {}) | (
            {"tune": self.form, "rhymes": self.rhymes, "stanzas": list(self.stanzas)} if self.rhymes is not None else {})


# --- the generator ----------------------------------------------------------------------------------

class Generator:
    """A model (switched to eval mode) with its vocabulary, ready to write poems (see `load_generator`)."""

    def __init__(self, model, vocab, device="cpu", theme_words: Optional[str] = None, cache_dir=None, *,
                 form_tokens: bool = False, plan_words: Optional[str] = None, precision: str = "float32"):
        """`theme_words`: the checkpoint's (its attested words map themes); `cache_dir`: where the vocabulary's
        tables are kept between runs (cache.py; None: computed every time); `form_tokens`: whether the model
        was trained with form tokens (conditioning.py); `plan_words`: the checkpoint's plan table, for a
        model trained with plans (plan.py); `precision`: of the model's matrices, as load_generator made it."""
        self.model, self.vocab, self.device, self.precision = model.eval(), vocab, device, precision
        self.theme_words, self.form_tokens, self.plan_words = theme_words, form_tokens, plan_words
        self.tables = VocabTables(vocab, device, cache_dir)

    @cached_property
    def attested_words(self) -> Optional[WordRanks]:
        """The words poets used (theme.parse_theme_words of the checkpoint's), read when a theme
        first needs them; None for a checkpoint without them."""
        return parse_theme_words(self.theme_words)

    @cached_property
    def plan_table(self) -> Optional[PlanTable]:
        """The table plans are expanded from; None for a model trained without plans."""
        return None if self.plan_words is None else PlanTable.parse(self.plan_words)

    def acrostic(self, heads: str, form=None, *, chars: Optional[int] = None,
                 options: Optional[SamplingOptions] = None, **overrides) -> list:
        """藏头诗, best first; the shapes: request.plan_acrostic. `options` and `overrides`: as for
        `generate`."""
        options = _with(options, overrides)
        return self._write_warning(plan_acrostic(heads, form, chars=chars, theme=options.theme), options)

    def generate(self, start: Optional[str] = None, form=None, chars: Optional[int] = None,
                 lines: Optional[int] = None, *, options: Optional[SamplingOptions] = None, **overrides) -> list:
        """A poem from scratch, or continuing `start`, best first; the shapes: request.plan_generate.

        `options`: a SamplingOptions (num, seed, temperature, ..., rhyme, tones, theme; its defaults when
        None), with `overrides` (any of its fields by name) replacing its values: `num=3, seed=1`.

        `theme`: a request in plain Chinese (写一首关于秋天思乡的诗) or words (秋 思乡 明月). Its keywords
        (theme.parse_theme; each Poem's `theme` says which were used) go before the poem as the model
        was trained with them, `kw <sep> kw <sep>`; not together with `prefix`, which it replaces.
        """
        options = _with(options, overrides)
        return self._write_warning(plan_generate(start, form, chars, lines, theme=options.theme), options)

    def couplet(self, first: str, *, strict: bool = False, options: Optional[SamplingOptions] = None,
                **overrides) -> list:
        """下联 for the 上联 `first` (4 to 11 characters), best first: Poems of the form 对联 whose `couplet`
        holds the rules kept and the 对仗 by position (couplet.py). A 上联 that ends 平 is answered with a
        warning, or refused with `strict`. `options` and `overrides`: as for `generate` (num, candidates,
        seed, tones, ...)."""
        options = _with(options, overrides)
        unused = [name for name in COUPLET_UNUSED if getattr(options, name) not in (None, False)]
        if unused:
            raise PoetryGenError(f"a couplet takes no {unused[0]}: its 下联 is written to its 上联")
        plan = plan_couplet(first, strict)
        for message in (*options.warnings(), *plan.warnings):
            warnings.warn(message, stacklevel=2)
        return self.write_couplet(plan, options)

    def write_couplet(self, plan: CoupletPlan, options: SamplingOptions, on_step=None) -> list:
        """The 下联 of a checked 上联 (couplet.plan_couplet), best first, as `write` writes poems: the 上联 is
        the given first line of a two-line poem, and the 下联 is drawn with no character of the poem twice
        (but the mirrored repeats), ending 平, its tones set against the 上联's at the key positions."""
        theme, seed = self._theme(options.theme), _seed(options)
        prompt = self._prompt(options, theme, COUPLET, None)
        first = self._known(plan.first, "上联")
        C = len(first)
        form = couplet_form(plan.shape.segments, plan.shape.marks)
        at = form.char_positions  # the 上联's characters, then the 下联's
        layout = Layout(form, dict(zip(at, first)), echoes={at[C + j]: at[C + i] for j, i in plan.echoes().items()})
        tones = () if options.tones == "off" else (Template(COUPLET, tuple(form.split(EITHER * C + plan.second_tones)), ()),)
        controls = Controls(None, tones, options.tones, distinct=True)
        samples = self._decode(layout, controls, options, prompt, options.rows, seed, on_step)
        judged = self._judge(samples, prompt, form, theme, options, COUPLET_SIGNALS, COUPLET)
        poems = [self._poem(s.ids, s.score, seed, theme, prompt, j) for s, j in judged[:options.num]]
        first_line = plan.shape.join(plan.first)
        out = []
        for poem in poems:  # the text from the characters: a model without '、' wrote '，' for it
            second_line = plan.shape.join("".join(self.vocab.itos[poem.ids[p]] for p in at[C:]))
            out.append(replace(poem, text=f"{first_line}{COMMA}{second_line}{PERIOD}", lines=[first_line, second_line],
                               form=COUPLET, couplet=check_couplet(first_line, second_line)))
        return out

    def revise(self, poem, line: int, *, keep_head: bool = False, options: Optional[SamplingOptions] = None,
               **overrides) -> list:
        """`poem` (a Poem this generator wrote, or a poem's text) with line `line` (1-based) written again
        and every other line kept as it is. The new line is drawn under the poem's constraints: its length
        and mark, the rhyme the kept lines set (a rhyming line rhymes with them, and no character twice),
        the tone template, the repeat penalty against every character of the poem, and with `keep_head`
        its first character (an acrostic's head). A ci is revised in its tune (the Poem's, or the tune
        whose lines and marks the text has: request.revision_form): the tune's length, mark, tones and
        rhyme set (its 部) for the line, and a 叠句 after it repeats the new line. `options` and `overrides`: as for `generate`; a Poem's
        theme is used unless `theme` is given.

        The lines after it stay: they are what the writer chose to keep, and rewriting them would undo
        that. They are scored again instead: max(num, REVISE_DRAWS) lines are drawn, and each candidate is
        ranked by the mean log-probability of the whole poem (Poem.score over every token), so a new line
        after which the kept lines no longer read on ranks low. Returns up to `num` distinct Poems, best
        first.
        """
        if not isinstance(keep_head, bool):
            raise PoetryGenError(f"keep_head is True or False, not {shown_value(keep_head)}")
        options = _with(options, overrides)
        text = poem.text if isinstance(poem, Poem) else poem
        form, lines = revision_form(text, line, poem.form if isinstance(poem, Poem) else None)
        if not isinstance(poem, Poem) or options.theme is not None:
            poem = self.read(text, options=options, form=form)
        # a ci's 叠句 after the line is written again with it (Form.echoes)
        again = {line - 1} | ({line} if line < len(lines) and form.shape[line].repeats else set())
        kept = [("" if i in again else l) for i, l in enumerate(lines)]
        fixed = {p: poem.ids[p] for i, l in enumerate(kept) for p in range(form.starts[i], form.starts[i] + len(l))}
        head = frozenset({form.starts[line - 1]} if keep_head else ())
        fixed.update({p: poem.ids[p] for p in head})
        layout = Layout(form, fixed, heads=head)
        prompt, seed = list(poem.prompt_ids), _seed(options)
        samples = self._decode(layout, self._controls(form, options, kept), options, prompt,
                               max(options.num, REVISE_DRAWS), seed)
        rows = [list(r) for r in dict.fromkeys(tuple(s.ids) for s in samples)]
        scored = sorted(zip(self._poem_scores(prompt, rows), rows), key=lambda pair: -pair[0])
        ci = form if form.genre == "ci" else None  # a shi's lines and form come from its shape
        return [self._poem(r, score, seed, poem.theme, prompt, form=ci, plan=poem.plan) for score, r in scored[:options.num]]

    def read(self, text: str, *, options: Optional[SamplingOptions] = None, form=None, **overrides) -> Poem:
        """A poem's text as a Poem, as if this generator had written it after its form's token (a model
        trained with them) and the plan, the theme's keywords or the prefix of `options`: its token ids, for
        `attention_map` and `revise`, and its score over every token. Its seed is None: no seed writes it.
        `form`: the Form it is in (a ci's tune); default: the shi form of its shape."""
        options = _with(options, overrides)
        theme, text = self._theme(options.theme), poem_text(text)
        if form is None:
            lines, _ = split_lines(text)
            form = form_for(len(lines[0]), len(lines))
        line_plan = None if options.plan is None else self._user_plan(options.plan, form.lines)
        prompt = self._prompt(options, theme, form.name, line_plan)
        ids = self._known(text, "poem")
        return self._poem(ids, self._poem_scores(prompt, [ids])[0], None, theme, prompt, plan=line_plan,
                          form=form if form.genre == "ci" else None)

    def attention_svg(self, poem: Poem) -> str:
        """The picture `attention_map` draws, as an SVG string (the web page shows it inline)."""
        if not isinstance(poem, Poem) or not poem.ids:
            raise PoetryGenError("the attention map is drawn for a poem this generator wrote or read")
        return poem_attention_svg(self.model, self.vocab, list(poem.prompt_ids), list(poem.ids))

    def attention_map(self, poem: Poem, path) -> Path:
        """Draw which earlier tokens (the theme's keywords or the priming text, earlier lines) the model
        attended to while writing `poem` (one this generator wrote) into `path`, a .svg or .html file
        (attention_map.py). The weights are recomputed by the model over the same tokens it read."""
        if not isinstance(poem, Poem) or not poem.ids:
            raise PoetryGenError("the attention map is drawn for a poem this generator wrote")
        return write_poem_attention(path, self.model, self.vocab, list(poem.prompt_ids), list(poem.ids))

    def perplexity(self, poems):
        """evaluate.PerplexityResult (ppl, chars, unknown, ...) of the model on `poems` (str or list of str;
        any script, normalised like the corpus)."""
        poems = [poems] if isinstance(poems, str) else poems
        if not isinstance(poems, (list, tuple)):
            raise PoetryGenError(f"perplexity takes a poem (str) or a list of poems, not {type(poems).__name__}")
        if not poems:
            raise PoetryGenError("no poems to measure perplexity on")
        texts = [normalize(check_text(poem, "poem", MAX_POEM_CHARS)) for poem in poems]
        for number, text in enumerate(texts, 1):  # as `poetry-gen eval` refuses them (poemtext.py)
            if not any(is_hanzi(ch) for ch in text):
                raise PoetryGenError(f"poem {number} holds no Chinese characters: {shown(poems[number - 1])}")
        return perplexity(self.model, self.vocab, texts, device=self.device)

    # --- internals ----------------------------------------------------------------------------------

    def _theme(self, request: Optional[str]) -> Optional[Theme]:
        """Poem.theme of `request` (theme.parse_theme); None without a request."""
        if request is None:
            return None
        return parse_theme(request, self.vocab, self.attested_words)

    def check_known(self, plan: Plan, options: SamplingOptions) -> list:
        """PoetryGenError naming a character of the request's acrostic heads, start text, must-include text
        or prefix that the model does not know; else the must-include characters' ids. Cheap, so that a
        batch of requests can be checked whole before any is written."""
        self._known("".join(plan.heads), "acrostic heads")
        self._known("".join(plan.given), "start text")
        if options.prefix:
            self._known(normalize(options.prefix), "prefix")
        return self._known("".join(plan.check_must_include(options.must_include)), "must-include text")

    def _known(self, text: str, what: str) -> list:
        unknown = [ch for ch in dict.fromkeys(text) if ch not in self.vocab]
        if unknown:
            raise PoetryGenError(f"the model does not know {shown_chars(unknown)} (in the {what}); it knows "
                                 f"{len(self.vocab) - self.vocab.first_char_id} characters")
        return self.vocab.encode(text)

    def _write_warning(self, plan: Plan, options: SamplingOptions) -> list:
        for message in options.warnings():
            warnings.warn(message, stacklevel=3)
        return self.write(plan, options)

    def write(self, plan: Plan, options: SamplingOptions, on_step=None) -> list:
        """The poems of a checked request (request.plan_acrostic, plan_generate), best first: by the
        judgement of `options.candidates` poems (rerank.py), or with one candidate by the model's score.
        `on_step(done, total)`: called as the positions of the poem are written (sampler.decode)."""
        required = tuple(self.check_known(plan, options))
        form, theme, seed = plan.form, self._theme(options.theme), _seed(options)
        line_plan = self._line_plan(form, theme, options, seed)
        prompt = self._prompt(options, theme, form.name, line_plan)
        fixed = {p: self.vocab.stoi[ch] for p, ch in plan.fixed().items()}
        layout = Layout(form, fixed, _min_lines(plan), frozenset(plan.head_positions()), required=required)
        samples = self._decode(layout, self._controls(form, options, plan.given), options, prompt,
                               options.rows, seed, on_step)
        judged = self._judge(samples, prompt, form, theme, options)
        return [self._poem(s.ids, s.score, seed, theme, prompt, j, form, line_plan) for s, j in judged[:options.num]]

    def _judge(self, samples: list, prompt: list, form, theme, options: SamplingOptions,
               text_signals: Optional[dict] = None, form_name: Optional[str] = None) -> list:
        """(Sample, judgement) pairs best first: by rerank.judge's total with more than one candidate,
        else as the decoder sorted them, with no judgement. `form_name`: the name whose control token
        begins the prompt (default: the form's)."""
        if options.candidates == 1 or len(samples) == 1:
            return [(sample, None) for sample in samples]
        controls = form_prefix(self.vocab, form_name or form.name, self.form_tokens)
        judgements = judge(self.model, self.vocab, prompt, samples, form, theme=bool(theme),
                           weights=options.weight_map(), fold=self.tables.fold_variants, text_signals=text_signals,
                           controls=controls)
        judged = [(sample, {"total": total, **signals}) for sample, (total, signals) in zip(samples, judgements)]
        return sorted(judged, key=lambda pair: -pair[1]["total"])

    def _prompt(self, options: SamplingOptions, theme: Optional[Theme], form_name: Optional[str],
                line_plan: Optional[list]) -> list:
        """Token ids fed before the poem: the form's token (conditioning.form_prefix), then the plan, the
        theme's keywords or the priming prefix."""
        ids = form_prefix(self.vocab, form_name, self.form_tokens)
        if line_plan:
            return ids + plan_prefix_ids(line_plan, self.vocab)
        if theme:
            return ids + keyword_prefix_ids(theme.keywords_used, self.vocab)
        return ids + (self._known(normalize(options.prefix), "prefix") if options.prefix else [])

    def _line_plan(self, form, theme: Optional[Theme], options: SamplingOptions, seed: int) -> Optional[list]:
        """The plan the model reads, one word per line: the user's, or else, with `expand_plan` for a model
        trained with plans, the theme's keywords (or nothing) expanded with the plan table, drawn by `seed`.
        None otherwise, and for a poem of free length or a priming prefix."""
        if options.plan is not None:
            return self._user_plan(options.plan, form.lines)
        if not options.expand_plan:
            return None
        self._check_plan_table()
        if form.lines is None or options.prefix:
            return None
        return self.plan_table.expand(theme.keywords_used if theme else [], form.lines, random.Random(seed))

    def _check_plan_table(self) -> None:
        """A plan, given or expanded, is for a model trained with plans: refused, not ignored, for another."""
        if self.plan_table is None:
            raise PoetryGenError("this model was not trained with plans (its checkpoint has no plan table); "
                                 "write without a plan, or use --theme")

    def _user_plan(self, words, lines: Optional[int]) -> list:
        self._check_plan_table()
        check_plan_lines(words, lines)
        self._known("".join(words), "plan")
        return list(words)

    def _controls(self, form, options: SamplingOptions, given: list) -> Controls:
        return controls_for(self.tables, form, options.rhyme, options.tones, given)

    def _decode(self, layout, controls, options: SamplingOptions, prompt: list, num: int, seed: int,
                on_step=None) -> list:
        """Samples best first."""
        generator = torch.Generator(self.device).manual_seed(seed)
        return decode(self.model, self.tables, layout, options, num=num, controls=controls,
                      generator=generator, prompt=prompt, on_step=on_step)

    def _poem(self, ids: list, score: float, seed: Optional[int], theme, prompt: list,
              judgement: Optional[dict] = None, form=None, plan: Optional[list] = None) -> Poem:
        """The Poem of token ids written (or read) after `prompt`; `form`: the one it was written in (its
        lines and name come from it), else the lines are found by their marks and the form by its shape."""
        text = self.vocab.decode(ids)
        if form is None or form.free:
            lines, _ = split_lines(text)
            name = form_for(len(lines[0]), len(lines)).name
        else:
            lines = [self.vocab.decode(ids[start:start + line.chars]) for start, line in zip(form.starts, form.shape)]
            name = form.name
        poem = Poem(text, lines, name, score, seed, theme, plan, tuple(prompt), tuple(ids), judgement)
        if form is not None and form.genre == "ci":
            return replace(poem, rhymes=ci_rhymes(form, lines), stanzas=form.stanzas)
        return poem

    @torch.inference_mode()
    def _poem_scores(self, prompt: list, rows: list) -> list:
        """Mean log-probability of every token of each poem (token ids, all of one length) under the
        model, after <bos> and `prompt`: Poem.score over the whole poem, none of it counted as given."""
        start = [self.vocab.bos_id, *prompt]
        ids = torch.tensor([start + row for row in rows], device=self.device)  # (B, P + T)
        logits, _ = self.model(ids[:, :-1])  # (B, P + T - 1, V)
        logp = logits.float().log_softmax(-1).gather(2, ids[:, 1:, None])[:, :, 0]  # (B, P + T - 1)
        return logp[:, len(start) - 1:].mean(1).tolist()


def _min_lines(plan: Plan) -> Optional[int]:
    """For a poem of free length, the lines before which the model may not end it: the couplet the start
    text's last line is in, finished, and one couplet more where the start ends on a whole couplet, so
    that a continuation never hands the start text back as the poem. None for a fixed form."""
    if not plan.form.free:
        return None
    given = len(plan.given)
    ends_a_couplet = given > 0 and given % 2 == 0 and len(plan.given[-1]) == plan.form.chars
    return min(FREE_LINES[1], max(FREE_LINES[0], given + given % 2 + (2 if ends_a_couplet else 0)))


def _seed(options: SamplingOptions) -> int:
    """The seed a request writes with: its own, or a random one (reported in each Poem)."""
    return secrets.randbits(31) if options.seed is None else options.seed


def ci_rhymes(form, lines: list) -> dict:
    """Per rhyme set of a ci's form, the 词林正韵 部 (names, e.g. 第十四部平) its line ends all rhyme in."""
    from .cilin import shared_sections

    return {label: sorted(str(s) for s in shared_sections([lines[i][-1] for i, line in enumerate(form.shape)
                                                           if line.rhyme == label], tone))
            for label, tone in form.rhymes}


def _with(options: Optional[SamplingOptions], overrides: dict) -> SamplingOptions:
    """`options` (or the defaults) with the fields named in `overrides` replaced."""
    if options is not None and not isinstance(options, SamplingOptions):
        raise PoetryGenError(f"options is a SamplingOptions, not {type(options).__name__}; or give the settings "
                             "as keywords (num=2)")
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


def load_generator(path=None, device=None, threads: Optional[int] = None, cache_dir=None,
                   precision: str = "auto") -> Generator:
    """A Generator for the checkpoint at `path` (None: the default model shipped with poetry_gen), on
    `device` ("cpu", "cuda"; None or "auto": CUDA when available, else the CPU). `threads`: CPU threads
    for torch (None or 0: torch's choice; on a busy machine 1 is often fastest). `cache_dir`: where what is
    computed once per model is kept between runs (the CLI uses $XDG_CACHE_HOME/poetry_gen); None: nowhere.
    `precision` of the model's matrices (bfloat16.py): "float32", "bfloat16", or "auto": bfloat16 on a CPU
    with native bf16 instructions (about 0.6× the time; the same seed may then write another poem than in
    float32), else float32."""
    if threads is not None:
        check_whole(threads, "threads", 0, MAX_THREADS)
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise PoetryGenError(f"a checkpoint path is a str or os.PathLike, not {type(path).__name__}")
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device("auto" if device is None else str(device))
    precision = resolve_precision(str(precision), device)
    if path is None:
        with _default_checkpoint() as default:
            ckpt = load_checkpoint(default, device)
    else:
        ckpt = load_checkpoint(path, device)
    model = to_bfloat16(ckpt.model) if precision == "bfloat16" else ckpt.model
    return Generator(model, ckpt.vocab, device, ckpt.theme_words, cache_dir, form_tokens=ckpt.form_tokens,
                     plan_words=ckpt.plan_words, precision=precision)

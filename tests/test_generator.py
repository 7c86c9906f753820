"""The public API (load_generator, Generator.acrostic/generate/perplexity) and `poetry-gen generate`, on a
checkpoint with fixed random weights over the fixture corpus's vocabulary. Nothing here asserts wording."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import fits_by_the_table

from poetry_gen import __version__, load_generator, prosody
from poetry_gen.checkpoint import read_checkpoint
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.forms import FORMS, tune_form
from poetry_gen.poemtext import format_poems, parse_poems
from poetry_gen.tunes import load_tunes
from poetry_gen.generator import NO_DEFAULT_MODEL, STANZA_BREAK, Poem
from poetry_gen.text import is_hanzi, normalize, split_lines, to_traditional


@pytest.fixture(scope="module")
def train_poems(built_corpus):
    return (built_corpus / "train.txt").read_text(encoding="utf-8").split()


def first_with(poems, form, keep=lambda poem: True):
    """A training poem of `form` (its characters are all in the vocabulary)."""
    return next(p for p in poems if prosody.check_poem(p).form == form and keep(p))


def assert_poem(poem: Poem, chars: int, lines: int):
    got_lines, ends = split_lines(poem.text)
    assert got_lines == poem.lines and len(got_lines) == lines
    assert all(len(line) == chars and all(is_hanzi(ch) for ch in line) for line in got_lines), poem.text
    assert ends == ["，" if i % 2 == 0 and i < lines - 1 else "。" for i in range(lines)], poem.text


# --- API ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("heads,form,chars,lines", [
    ("春风山月", None, 7, 4), ("春风山月", "五绝", 5, 4), ("春风山月江水天白", None, 7, 8),
    ("春风山月江水天白", "五律", 5, 8), ("春风", "七绝", 7, 4),
    # without a form, the smallest classical form with a line for every head, the rest free
    ("春风山", None, 7, 4), ("春风山月江水天", None, 7, 8), ("春风山月江", None, 7, 8),
    ("春风山月江水天白日", None, 7, 10), ("春风山月江水天白日春", None, 7, 10)])
def test_acrostic_shapes_and_heads(gen, heads, form, chars, lines):
    poems = gen.acrostic(heads, form=form, num=6, seed=3, temperature=1.2)
    expected_form = form or {4: "七绝", 8: "七律"}.get(lines)
    for poem in poems:
        assert_poem(poem, chars, lines)
        assert poem.form == expected_form
        assert [line[0] for line in poem.lines[:len(heads)]] == list(heads)


def test_acrostic_accepts_traditional_and_separated_heads(gen):
    poems = gen.acrostic("春 風，山、月", seed=1)
    assert [line[0] for line in poems[0].lines] == list("春风山月")


@pytest.mark.parametrize("form", FORMS)
def test_generate_every_form_over_many_seeds(gen, form):
    shape = FORMS[form]
    for seed in range(4):
        for poem in gen.generate(form=form, num=4, seed=seed, temperature=1.5, top_p=1.0):
            assert_poem(poem, shape.chars, shape.lines)
            assert poem.form == form and poem.seed == seed


def test_generate_defaults_and_free_shapes(gen):
    assert_poem(gen.generate(seed=0)[0], 7, 4)
    assert_poem(gen.generate(chars=5, lines=6, seed=0)[0], 5, 6)
    free = gen.generate(chars=5, seed=0, num=3)  # the model decides: a whole number of couplets
    assert all(len(p.lines) % 2 == 0 and 2 <= len(p.lines) <= 16 for p in free)


def test_start_is_kept_verbatim_and_may_end_mid_line(gen, train_poems):
    poem = first_with(train_poems, "五绝")
    lines, _ = split_lines(poem)
    for start, form in [(lines[0], "五绝"), (poem[:8], "五绝"), (poem[:12], None), (poem[:3], "五律")]:
        out = gen.generate(start=start, form=form, num=3, seed=1)
        for p in out:
            assert p.text.startswith(start)
            assert_poem(p, 5, 8 if form == "五律" else 4)


@pytest.mark.parametrize("start,shape,chars", [
    ("床前明月", dict(form="七绝"), 7), ("床前明月光", dict(form="七绝"), 7),
    ("床前明月光", dict(chars=7, lines=4), 7), ("床前明月光", {}, 5), ("床前明月光，疑是地上霜", {}, 5)])
def test_a_given_form_decides_the_line_length_of_a_start(gen, start, shape, chars):
    # 5 characters are a whole line of a 五绝 when nothing else is said, and the start of a line
    # in a 7-character form, as 4 or 6 characters are.
    poem = gen.generate(start=start, seed=1, **shape)[0]
    assert poem.text.startswith(start)
    assert_poem(poem, chars, 4)


@pytest.mark.parametrize("start,lines", [("床前明月光，疑是地上霜。", 4), ("床前明月光，疑是地上霜。举头望明月，", 4),
                                         ("床前明月光，疑是", 2), ("床前明月光，疑是地上霜。举头望明月，低头思故乡。", 6)])
def test_a_free_length_continuation_writes_on_past_a_start_that_ends_a_couplet(gen, start, lines):
    # A model that ends a poem wherever it may: before, it ended at once after a start's whole couplet,
    # and the start itself (score 0, nothing written) won the judging.
    with torch.no_grad():
        gen.model.head.bias[gen.vocab.eos_id] += 100
    try:
        poems = gen.generate(start=start, chars=5, num=4, seed=1)
    finally:
        with torch.no_grad():
            gen.model.head.bias[gen.vocab.eos_id] -= 100
    assert all(p.text.startswith(start) and len(p.lines) == lines and p.score < 0 for p in poems), poems


def test_start_in_traditional_with_half_width_marks(gen, train_poems):
    poem = first_with(train_poems, "七绝")
    start = to_traditional(poem[:8]).replace("，", ",")
    assert gen.generate(start=start, seed=0)[0].text.startswith(poem[:8])


def test_seed_reproduces_and_candidates_are_sorted(gen):
    a = gen.acrostic("春风山月", num=8, seed=42, temperature=1.0)
    assert [p.text for p in a] == [p.text for p in gen.acrostic("春风山月", num=8, seed=42, temperature=1.0)]
    totals = [p.judgement["total"] for p in a]
    assert totals == sorted(totals, reverse=True)
    unjudged = gen.acrostic("春风山月", num=8, seed=42, temperature=1.0, candidates=1)
    assert [p.score for p in unjudged] == sorted((p.score for p in unjudged), reverse=True)
    judged = gen.acrostic("春风山月", num=8, seed=42, temperature=1.0, candidates=8)  # the same 8 rows, reordered
    assert all(p.judgement is None for p in unjudged) and sorted(p.text for p in unjudged) == sorted(
        p.text for p in judged)
    assert gen.acrostic("春风山月", seed=None)[0].seed >= 0


def test_the_best_of_the_candidates_is_printed(gen):
    every = gen.generate(form="五绝", num=16, candidates=16, seed=3)
    assert gen.generate(form="五绝", seed=3)[0].text == every[0].text  # the default judges 16
    for poem in every:
        j = poem.judgement
        assert j["total"] == pytest.approx(j["logprob"] + 0.5 * j["coherence"] + 5 * j["repetition"]
                                           + 0.2 * j["rule_breaks"] + j.get("parallelism", 0.0))
        assert j["logprob"] == poem.score and "theme" not in j
    themed = gen.generate(form="五绝", num=4, seed=3, theme="明月 思乡")
    assert all("theme" in p.judgement for p in themed)
    by_score = gen.generate(form="五绝", num=16, seed=3, weights="")
    assert [p.text for p in by_score] == [p.text for p in gen.generate(form="五绝", num=16, seed=3, candidates=1)]


def test_greedy_candidates_are_identical_and_the_caller_is_warned(gen):
    with pytest.warns(UserWarning, match="one poem 3 times"):
        poems = gen.generate(form="五绝", num=3, temperature=0)
    assert len({p.text for p in poems}) == 1


def test_poem_output_helpers(gen):
    poem = gen.generate(form="五律", seed=0)[0]
    assert poem.couplets() == [f"{poem.lines[i]}，{poem.lines[i + 1]}。" for i in range(0, 8, 2)]
    assert set(poem.to_dict()) == {"poem", "lines", "form", "score", "seed", "judgement"}
    assert set(gen.generate(form="五律", seed=0, candidates=1)[0].to_dict()) == {"poem", "lines", "form", "score", "seed"}
    trad = poem.to_traditional()
    assert trad.text == to_traditional(poem.text) and trad.lines == [to_traditional(l) for l in poem.lines]
    odd = gen.generate(chars=7, lines=3, seed=0)[0]
    assert odd.couplets()[-1] == odd.lines[-1] + "。"


@pytest.mark.parametrize("form", FORMS)
def test_rhyme_and_strict_tones(gen, form):
    for poem in gen.generate(form=form, num=12, seed=5, tones="strict", temperature=1.5):
        check = prosody.check_poem(poem.text)
        assert check.rhymes and fits_by_the_table(check), poem.text


def test_named_rhyme_group(gen):
    for poem in gen.acrostic("春风山月江水天白", rhyme="陽", num=6, seed=2):  # traditional name too
        assert all("阳" in prosody.rhyme_groups(line[-1]) for line in poem.lines[1::2]), poem.text


def test_rhyme_follows_the_start_text(gen, train_poems):
    poem = first_with(train_poems, "五律", lambda p: prosody.check_poem(p).rhymes)
    start = poem[:12]  # the first couplet: line 2 fixes the rhyme
    own = prosody.rhyme_groups(start[-2]) & set(prosody.PING_GROUPS)
    for p in gen.generate(start=start, num=6, seed=4, temperature=1.5):
        assert all(prosody.rhyme_groups(line[-1]) & own for line in p.lines[1::2]), (own, p.text)
    other = next(g for g in ("东", "阳") if g not in own)
    with pytest.raises(PoetryGenError, match="does not rhyme"):
        gen.generate(start=start, rhyme=other)


def test_no_rhyme_and_tones_off_still_keep_the_shape(gen):
    for poem in gen.generate(form="七律", num=4, seed=0, rhyme=False, tones="off"):
        assert_poem(poem, 7, 8)


def test_prefix_primes_without_appearing(gen):
    plain = gen.generate(form="五绝", seed=9, temperature=0)[0]
    primed = gen.generate(form="五绝", seed=9, temperature=0, prefix="山水")[0]
    assert_poem(primed, 5, 4)
    assert primed.text != plain.text


def test_perplexity(gen, train_poems):
    result = gen.perplexity(train_poems[:3])
    assert result.ppl > 1 and result.poems == 3
    assert gen.perplexity(to_traditional(train_poems[0])).ppl == pytest.approx(gen.perplexity(train_poems[0]).ppl)


@pytest.mark.parametrize("poems,message", [([], "no poems"), ([""], "poem 1 holds no Chinese"),
                                           (["白日依山尽", "abc"], "poem 2 holds no Chinese")])
def test_perplexity_refuses_what_eval_refuses(gen, poems, message):
    with pytest.raises(PoetryGenError, match=message):
        gen.perplexity(poems)


def test_a_cached_generator_writes_the_same_poems(gen, checkpoint, tmp_path):
    expected = [p.text for p in gen.acrostic("春风山月", num=4, seed=3)]
    for _ in range(2):  # computes and stores the vocabulary's tables, then reads them
        cached = load_generator(checkpoint, device="cpu", cache_dir=tmp_path)
        assert [p.text for p in cached.acrostic("春风山月", num=4, seed=3)] == expected
    assert len(list(tmp_path.iterdir())) == 1


def test_without_a_default_model_the_message_says_what_to_do(monkeypatch, tmp_path, capsys):
    import importlib.resources

    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    with pytest.raises(PoetryGenError) as err:
        load_generator()
    assert str(err.value) == NO_DEFAULT_MODEL and "poetry-gen train" in NO_DEFAULT_MODEL
    assert main(["generate", "--acrostic", "春风山月"]) == 2
    assert capsys.readouterr().err == f"poetry-gen: error: {NO_DEFAULT_MODEL}\n"


def test_must_include_puts_the_characters_in_every_poem(gen):
    for form in ("五绝", "七律"):
        for seed in range(4):
            poems = gen.generate(form=form, seed=seed, must_include="竹 月", num=3, candidates=3)
            assert all("竹" in p.text and "月" in p.text for p in poems), [p.text for p in poems]
    head = gen.acrostic("竹山", must_include="竹", seed=0)[0]  # a head already holds it
    assert head.text.startswith("竹")


# --- bad input: one message, the same from the API and the CLI -------------------------------------

BAD = [  # keyword arguments of acrostic (with heads) or generate, and a piece of the message
    (dict(heads="龘春"), "does not know 龘"),
    (dict(heads=""), "empty"),
    (dict(heads="  "), "empty"),
    (dict(heads="abc"), "no Chinese"),
    (dict(heads="春a风"), "not a"),
    (dict(heads="春风山月江", form="七绝"), "5 acrostic heads"),
    (dict(heads="春风", form="六绝"), "unknown form"),
    (dict(heads="春风", form="七绝", chars=5), "7 characters"),
    (dict(start=""), "empty"),
    (dict(start="hello"), "no Chinese"),
    (dict(start="龘龘"), "does not know 龘"),
    (dict(start="床前明月光，疑是地上霜", form="七律"), "line 1 of the start text has 5"),
    (dict(start="床前明月光。"), "ends in 。"),
    (dict(start="床前明月光，疑是地上霜。举头望明月，低头思故乡。", form="五绝"), "nothing is left"),
    (dict(start="春风", chars=6), "5 or 7"),
    (dict(start="春风", prefix="龘"), "does not know 龘"),
    (dict(start="春风", rhyme="龘"), "unknown rhyme group"),
    (dict(start="春风", temperature=-1), "temperature"),
    (dict(start="春风", top_p=0), "top-p"),
    (dict(start="春风", num=0), "num"),
    (dict(start="春风", seed=-1), "seed"),
    (dict(start="春风", candidates=0), "candidates"),
    (dict(start="春风", weights="beauty=1"), "no reranking signal"),
    (dict(start="春风", weights="coherence"), "NAME=NUMBER"),
    (dict(start="春风", must_include="龘"), "does not know 龘"),
    (dict(start="春风", must_include="竹a"), "Chinese characters only"),
    (dict(start="春风", must_include="一二三四五六七八九十甲乙丙丁戊己庚辛壬", form="五绝"), "room for 16"),
    (dict(start="春风", include_boost=-1), "include boost"),
]


def argv_of(kwargs: dict) -> list:
    """The same request as `poetry-gen generate` options."""
    flag = lambda key: "--acrostic" if key == "heads" else "--" + key.replace("_", "-")  # noqa: E731
    return [arg for key, value in kwargs.items() for arg in (flag(key), str(value))]


@pytest.mark.parametrize("kwargs,message", BAD)
def test_bad_input_is_one_clear_line(gen, checkpoint, capsys, kwargs, message):
    call = gen.acrostic if "heads" in kwargs else gen.generate
    with pytest.raises(PoetryGenError, match=message) as err:
        call(**kwargs)
    assert main(["generate", *argv_of(kwargs), "--checkpoint", str(checkpoint)]) == 2
    captured = capsys.readouterr()
    assert captured.err == f"poetry-gen: error: {err.value}\n" and captured.out == ""


@pytest.mark.parametrize("argv", [
    ["--form", "六绝"], ["--acrostic", ""], ["--num", "0"], ["--top-p", "0"], ["--rhyme", "屋"],
    ["--theme", "写一首诗"], ["--theme", "思乡", "--prefix", "明月"], ["--start", "床前明月光，疑是地上霜", "--form", "七律"],
    ["--acrostic", "春夏秋冬江", "--form", "五绝"], ["--seed", "-1"], ["--temperature", "-1"],
    ["--must-include", "x"], ["--must-include", "一二三四五六七八九十甲乙丙丁戊己庚辛壬", "--form", "五绝"]])
def test_mistakes_that_need_no_model_are_reported_before_it_loads(monkeypatch, capsys, argv):
    import poetry_gen.generator

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(poetry_gen.generator, "load_generator", no_loading)
    assert main(["generate", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error: ") and err.count("\n") == 1, err


def test_a_mistake_is_reported_without_importing_torch_or_numpy(fresh_python):
    code = ("import sys; from poetry_gen.cli import main; "
            "codes = [main(['generate', *a]) for a in (['--num', '0'], ['--form', '六绝'], ['--rhyme', '屋'])]; "
            "print(codes, 'torch' in sys.modules, 'numpy' in sys.modules)")
    run = fresh_python(code)
    assert run.stdout.split() == ["[2,", "2,", "2]", "False", "False"], run.stderr
    assert run.stderr.count("poetry-gen: error: ") == 3


@pytest.mark.slow
def test_the_package_exports_its_types_without_importing_torch_until_asked(fresh_python):
    code = ("import sys, poetry_gen; from poetry_gen import SamplingOptions, __version__; "
            "before = 'torch' in sys.modules; from poetry_gen import Generator, Poem; "
            "print(before, 'torch' in sys.modules, Generator.__module__, Poem.__module__, __version__)")
    run = fresh_python(code)
    assert run.stdout.split() == ["False", "True", "poetry_gen.generator", "poetry_gen.generator",
                                  __version__], run.stderr


@pytest.mark.parametrize("argv,warning", [
    (["--temperature", "0", "--num", "3"], "one poem 3 times"), (["--temperature", "2.5"], "rare characters")])
def test_settings_that_mislead_are_warned_about(checkpoint, capsys, argv, warning):
    assert main(["generate", "--form", "五绝", "--seed", "1", *argv, "--checkpoint", str(checkpoint)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("poetry-gen: warning: ") and warning in captured.err
    assert captured.out.strip()
    assert main(["generate", "--form", "五绝", "--seed", "1", "--num", "3", "--checkpoint", str(checkpoint)]) == 0
    assert capsys.readouterr().err == ""


def test_cli_rejects_lines_with_an_acrostic(checkpoint, capsys):
    assert main(["generate", "--acrostic", "春风山月", "--lines", "4", "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_prints_couplets_and_blank_lines_between_candidates(gen, checkpoint, capsys):
    argv = ["generate", "--acrostic", "春风山月", "--num", "3", "--seed", "7", "--checkpoint", str(checkpoint)]
    assert main(argv) == 0
    blocks = capsys.readouterr().out.rstrip("\n").split("\n\n")
    expected = gen.acrostic("春风山月", num=3, seed=7)
    assert blocks == ["\n".join(p.couplets()) for p in expected]
    assert main(argv + ["--traditional"]) == 0
    assert capsys.readouterr().out.rstrip("\n").split("\n\n") == [to_traditional(b) for b in blocks]


def test_cli_json(checkpoint, capsys):
    argv = ["generate", "--start", "春风", "--form", "五律", "--num", "2", "--seed", "1", "--json",
            "--rhyme", "东", "--tones", "strict", "--checkpoint", str(checkpoint)]
    assert main(argv) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 2 and rows[0]["judgement"]["total"] >= rows[1]["judgement"]["total"]
    assert set(rows[0]["judgement"]) == {"total", "logprob", "coherence", "repetition", "parallelism", "rule_breaks"}
    for row in rows:
        assert row["form"] == "五律" and row["poem"].startswith("春风") and len(row["lines"]) == 8
        assert row["seed"] == 1


@pytest.mark.slow
def test_python_m_entry_point(checkpoint):
    run = subprocess.run([sys.executable, "-m", "poetry_gen", "generate", "--form", "五绝", "--seed", "0",
                          "--checkpoint", str(checkpoint)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 2


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("form", FORMS)
def test_cuda_writes_the_same_shapes_and_controls(checkpoint, form):
    gen = load_generator(checkpoint, device="cuda")
    shape = FORMS[form]
    poems = gen.acrostic("春风山月江水天白"[:shape.lines], form=form, num=16, seed=3, tones="strict")
    assert [p.text for p in poems] == [p.text for p in gen.acrostic("春风山月江水天白"[:shape.lines], form=form,
                                                                    num=16, seed=3, tones="strict")]
    for poem in poems:
        assert_poem(poem, shape.chars, shape.lines)
        check = prosody.check_poem(poem.text)
        assert check.rhymes and fits_by_the_table(check), poem.text
    assert [p.score for p in poems] == sorted((p.score for p in poems), reverse=True)


def test_a_start_rhyming_in_a_ze_group_is_followed(gen, train_poems):
    def ze_rhyme(poem):  # line 2 ends in a character of 仄声 groups only (江雪, 春晓, ...)
        groups = prosody.rhyme_groups(split_lines(poem)[0][1][-1])
        return groups and not groups & set(prosody.PING_GROUPS)

    poem = first_with(train_poems, "五绝", ze_rhyme)
    own = prosody.rhyme_groups(poem[10])
    for p in gen.generate(start=poem[:12], num=6, seed=1, temperature=1.5):
        assert prosody.rhyme_groups(p.lines[3][-1]) & own, (poem[:12], p.text)


def test_cli_threads(checkpoint, capsys):
    threads = torch.get_num_threads()
    try:
        assert main(["generate", "--form", "五绝", "--seed", "0", "--threads", "1", "--checkpoint", str(checkpoint)]) == 0
        assert torch.get_num_threads() == 1 and len(capsys.readouterr().out.splitlines()) == 2
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_a_version_1_checkpoint_writes_the_same_poems(checkpoint, tmp_path, as_version_1):
    data = read_checkpoint(checkpoint)
    data["theme_words"] = "秋 思乡 明月"
    torch.save(data, tmp_path / "v2.pt")
    torch.save(as_version_1(data), tmp_path / "v1.pt")
    old, new = (load_generator(tmp_path / name, device="cpu") for name in ("v1.pt", "v2.pt"))
    for write in (lambda g: g.acrostic("春风山月", num=2, seed=1), lambda g: g.generate(theme="秋天 思乡", seed=2),
                  lambda g: g.generate(start="床前明月光", form="五绝", seed=3)):
        assert [p.to_dict() for p in write(old)] == [p.to_dict() for p in write(new)]


# --- revise: one line again --------------------------------------------------------------------------

def whole_poem_score(gen, poem: Poem) -> float:
    """Mean log-probability of every token of `poem` after <bos>, step by step (not the forward pass
    `revise` scores with)."""
    model, state = gen.model, gen.model.init_state(1)
    logps = []
    with torch.no_grad():
        for tok, nxt in zip([gen.vocab.bos_id, *poem.ids], poem.ids):
            logits, state = model.step(torch.tensor([tok]), state)
            logps.append(logits.log_softmax(-1)[0, nxt].item())
    return sum(logps) / len(logps)


@pytest.mark.parametrize("form,line", [("七绝", 3), ("五律", 1), ("五绝", 4)])
def test_revise_writes_one_line_again_and_keeps_the_others(gen, form, line):
    changed = 0
    for seed in range(4):
        poem = gen.acrostic("春风山月", form=form, seed=seed)[0]
        revised = gen.revise(poem, line=line, keep_head=True, num=3, seed=seed, temperature=1.2)
        assert 1 <= len(revised) <= 3 and len({r.text for r in revised}) == len(revised)
        for new in revised:
            assert_poem(new, FORMS[form].chars, FORMS[form].lines)
            assert [l for i, l in enumerate(new.lines) if i != line - 1] == \
                   [l for i, l in enumerate(poem.lines) if i != line - 1]
            assert new.lines[line - 1][0] == poem.lines[line - 1][0]  # the acrostic's head stays
        changed += any(new.lines[line - 1] != poem.lines[line - 1] for new in revised)
    assert changed >= 3


def test_revised_candidates_are_ranked_by_the_whole_poem(gen):
    poem = gen.generate(form="七绝", seed=5)[0]
    revised = gen.revise(poem, line=2, num=5, seed=1, temperature=1.5)
    scores = [whole_poem_score(gen, r) for r in revised]
    assert [r.score for r in revised] == pytest.approx(scores, abs=1e-4)
    assert scores == sorted(scores, reverse=True)


def test_a_revised_rhyming_line_rhymes_with_the_kept_ones(gen):
    for seed in range(4):
        poem = gen.generate(form="七律", seed=seed, tones="strict")[0]
        assert prosody.check_poem(poem.text).rhymes
        for line in (2, 8):
            revised = gen.revise(poem, line=line, seed=seed, num=2, temperature=1.5)
            for new in revised:
                check = prosody.check_poem(new.text)
                assert check.rhymes and set(check.rhyme_groups) >= set(prosody.check_poem(poem.text).rhyme_groups) \
                    & set(prosody.PING_GROUPS)
                ends = [l[-1] for i, l in enumerate(new.lines) if i % 2 == 1]
                assert len(set(ends)) == len(ends)  # no character rhymes twice


def test_revise_takes_text_and_a_seed_repeats_it(gen):
    poem = gen.generate(form="五绝", seed=2)[0]
    by_poem = gen.revise(poem, line=3, seed=9, num=2)
    assert by_poem == gen.revise(poem, line=3, seed=9, num=2)
    assert [r.text for r in gen.revise(to_traditional(poem.text), line=3, seed=9, num=2)] == [r.text for r in by_poem]


@pytest.mark.parametrize("text,line,message", [
    ("床前明月光，疑是地上霜。", 0, "lines 1 to 2, not 0"),
    ("床前明月光，疑是地上霜。", 3, "lines 1 to 2, not 3"),
    ("床前明月光，疑是地上霜。", "1", "not '1'"),
    ("床前明月，疑是地上霜。", 1, "5 or 7 characters"),
    ("床前明月光。疑是地上霜。", 1, "in turn"),
    ("床前明月光，疑是地上霜", 1, "in turn"),
    ("", 1, "empty"),
    ("龘前明月光，疑是地上霜。", 1, "does not know 龘"),
])
def test_revise_bad_input(gen, text, line, message):
    with pytest.raises(PoetryGenError, match=message):
        gen.revise(text, line=line)


def test_revise_keep_head_is_true_or_false(gen):
    with pytest.raises(PoetryGenError, match="keep_head is True or False, not 'yes'"):
        gen.revise("床前明月光，疑是地上霜。", line=2, keep_head="yes")


# --- round trips: what generate writes, check and score read -------------------------------------

def stdin_of(monkeypatch, text: str):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8")), encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["couplets", "lines", "json"])
def test_generate_then_score_from_stdin_reads_every_poem(checkpoint, capsys, monkeypatch, fmt):
    assert main(["generate", "--num", "20", "--seed", "2", "--format", fmt, "--checkpoint", str(checkpoint)]) == 0
    written = capsys.readouterr().out
    stdin_of(monkeypatch, written)
    assert main(["score", "-", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["poems"] == 20
    stdin_of(monkeypatch, written)
    status = main(["check", "-", "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 20 and all(row["form"] == "七绝" for row in rows)
    assert status == (0 if all(row["follows_rules"] for row in rows) else 1)


def test_generate_out_writes_the_file_whole(checkpoint, capsys, tmp_path):
    out = tmp_path / "deep" / "poems.txt"
    assert main(["generate", "--num", "3", "--seed", "1", "--format", "lines", "--out", str(out),
                 "--checkpoint", str(checkpoint)]) == 0
    assert capsys.readouterr().out == ""
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    assert [p.name for p in out.parent.iterdir()] == ["poems.txt"]  # no temporary left behind


def test_generate_input_writes_each_request_in_turn(gen, checkpoint, capsys, tmp_path):
    requests = tmp_path / "requests.txt"
    requests.write_text('春风山月\n\n{"acrostic": "江水天白", "form": "五绝", "num": 2}\n'
                        '{"start": "春风", "chars": 5, "lines": 4, "seed": 9}\n', encoding="utf-8")
    assert main(["generate", "--input", str(requests), "--seed", "4", "--json", "--checkpoint", str(checkpoint)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["request"] for row in rows] == [1, 3, 3, 4]
    assert rows[0]["poem"] == gen.acrostic("春风山月", seed=4)[0].text
    assert [row["poem"] for row in rows[1:3]] == [p.text for p in gen.acrostic("江水天白", "五绝", num=2, seed=4)]
    assert rows[3]["poem"] == gen.generate("春风", chars=5, lines=4, seed=9)[0].text
    requests.write_text("思乡\n", encoding="utf-8")
    assert main(["generate", "--input", str(requests), "--input-as", "theme", "--seed", "1", "--json",
                 "--checkpoint", str(checkpoint)]) == 0
    assert json.loads(capsys.readouterr().out)["theme"]["request"] == "思乡"


@pytest.mark.parametrize("content,message", [
    ('春风\n{"acrostic": "春风", "form": "六绝"}\n', ":2: unknown form"),
    ('{"acrostic": "春风", "colour": "red"}\n', ":1: unknown field 'colour'"),
    ('{"acrostic": "春风", "temperature": "high"}\n', ":1: temperature must be"),
    ('{"acrostic": 4, "chars": "5"}\n', ":1: "),
    ('{"acrostic": "春风", "start": "春风"}\n', ":1: a request is an acrostic or a start text"),
    ("春风\n{not json\n", ":2: not a JSON object"),
    ("\n\n", "no requests"),
    ('{"acrostic": "春风", "weights": {"theme": 3}}\n', ":1: the weights must be text (str), not dict"),
    ('{"acrostic": "春风", "expand_plan": "no"}\n', ":1: expand_plan is True or False, not 'no'"),
    ('{"form": "七律", "lines": "8"}\n', ":1: a 七律 has 8 lines, not '8'"),
    ('{"start": "春", "chars": "5"}\n', ":1: lines have 5 or 7 characters, not '5'"),
])
def test_a_bad_request_file_names_the_line_before_the_model_loads(tmp_path, capsys, monkeypatch, content, message):
    import poetry_gen.generator

    monkeypatch.setattr(poetry_gen.generator, "load_generator", lambda *a, **k: pytest.fail("loaded the model"))
    requests = tmp_path / "requests.txt"
    requests.write_text(content, encoding="utf-8")
    assert main(["generate", "--input", str(requests)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("poetry-gen: error: ") and message in err and err.count("\n") == 1, err


def test_a_character_the_model_lacks_names_its_line_before_any_poem_is_written(gen, checkpoint, capsys, tmp_path,
                                                                               monkeypatch):
    requests = tmp_path / "requests.txt"
    requests.write_text("春风山月\n春龘\n", encoding="utf-8")
    monkeypatch.setattr(type(gen), "write", lambda *a, **k: pytest.fail("wrote a poem"))
    assert main(["generate", "--input", str(requests), "--checkpoint", str(checkpoint)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"poetry-gen: error: {requests}:2: the model does not know 龘") and err.count("\n") == 1


@pytest.mark.parametrize("option", [["--out", "."], ["--out", ""], ["--attention-map", "map.png"],
                                    ["--attention-map", ""]])
def test_a_bad_output_path_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch, option):
    import poetry_gen.generator

    monkeypatch.setattr(poetry_gen.generator, "load_generator", lambda *a, **k: pytest.fail("loaded the model"))
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--acrostic", "春风", *option]) == 2
    err = capsys.readouterr().err
    assert err in ("poetry-gen: error: .: Is a directory\n",
                   "poetry-gen: error: the path to write is empty: name a file\n",
                   "poetry-gen: error: the attention map is written as .svg or .html, not 'map.png'\n",
                   "poetry-gen: error: the attention map is written as .svg or .html, not ''\n")
    assert list(tmp_path.iterdir()) == []


def test_write_reports_its_progress_position_by_position(gen):
    from poetry_gen.config import SamplingOptions
    from poetry_gen.request import plan_acrostic

    steps = []
    poems = gen.write(plan_acrostic("春风山月", "五绝"), SamplingOptions(num=3, seed=1),
                      on_step=lambda done, total: steps.append((done, total)))
    done = [d for d, _ in steps]  # the given start (here the first head) is fed before the steps begin
    assert done == list(range(done[0], 25)) and {t for _, t in steps} == {24}  # 4 lines of 5 characters + mark
    assert [p.text for p in poems] == [p.text for p in gen.acrostic("春风山月", "五绝", num=3, seed=1)]


def test_options_and_keyword_overrides_fill_one_sampling_options(gen):
    from poetry_gen.config import SamplingOptions

    careful = SamplingOptions(num=3, seed=5, temperature=0.5, tones="strict")
    by_options = gen.acrostic("春风山月", options=careful)
    assert [p.to_dict() for p in by_options] == [p.to_dict() for p in gen.acrostic(
        "春风山月", num=3, seed=5, temperature=0.5, tones="strict")]
    overridden = gen.generate(form="五绝", options=careful, seed=6, num=1)
    assert [p.to_dict() for p in overridden] == [p.to_dict() for p in gen.generate(
        form="五绝", seed=6, temperature=0.5, tones="strict")]
    with pytest.raises(PoetryGenError, match="top-p"):
        gen.generate(options=careful, top_p=0)
    with pytest.raises(TypeError):
        gen.generate(options=careful, temprature=0.5)
    with pytest.raises(PoetryGenError, match="options is a SamplingOptions, not dict"):
        gen.generate(options={"num": 2})
    with pytest.raises(PoetryGenError, match="the attention map is drawn for a poem"):
        gen.attention_svg("床前明月光，疑是地上霜。")


def test_a_tune_is_written_in_its_shape_and_read_back_whole(gen):
    form = tune_form(load_tunes()["浣溪沙"])
    for poem in gen.generate(form="浣溪沙", num=2, seed=1, candidates=2):
        assert poem.form == "浣溪沙" and [len(line) for line in poem.lines] == [l.chars for l in form.shape]
        assert poem.text == "".join(line + l.mark for line, l in zip(poem.lines, form.shape))
        assert set(poem.rhymes) == {"a"} and poem.stanzas == (3, 3)
        assert poem.to_dict()["tune"] == "浣溪沙" and poem.to_dict()["rhymes"] == poem.rhymes
        printed = format_poems([poem])
        assert printed.count(STANZA_BREAK) == 1 and [normalize(p) for p in parse_poems(printed)] == [poem.text]
    acrostic = gen.acrostic("春秋", form="浣溪沙", seed=2, candidates=2)[0]
    assert [line[0] for line in acrostic.lines[:2]] == ["春", "秋"]


def test_a_repeated_line_of_a_tune_is_written_as_a_copy_and_no_other_line_repeats(gen):
    # 如梦令's 6th line is a 叠句 (知否，知否): the decoder copies the 5th there; the ban on a line that
    # repeats an earlier one of its length stays everywhere else.
    for seed in range(6):
        poem = gen.generate(form="如梦令", seed=seed, temperature=1.5)[0]
        assert poem.lines[5] == poem.lines[4], poem.text
        others = [line for i, line in enumerate(poem.lines) if i != 5]
        assert len(set(others)) == len(others), poem.text
    acrostic = gen.acrostic("春风山月江水", form="如梦令", seed=1)[0]  # six heads for the six lines begun anew
    assert [line[0] for i, line in enumerate(acrostic.lines) if i != 5] == list("春风山月江水")
    assert acrostic.lines[5] == acrostic.lines[4]
    with pytest.raises(PoetryGenError, match="only 6 lines that begin anew"):
        gen.acrostic("春风山月江水天", form="如梦令")


def test_revise_writes_a_line_of_a_ci_again_in_its_tune(gen):
    form = tune_form(load_tunes()["浣溪沙"])
    changed = 0
    for seed in range(3):
        poem = gen.generate(form="浣溪沙", seed=seed)[0]
        for new in gen.revise(poem, line=5, num=2, seed=seed, temperature=1.5) + gen.revise(poem.text, line=5, seed=seed):
            assert new.form == "浣溪沙" and new.stanzas == (3, 3) and set(new.rhymes) == {"a"}
            assert [len(line) for line in new.lines] == [line.chars for line in form.shape]
            assert [l for i, l in enumerate(new.lines) if i != 4] == [l for i, l in enumerate(poem.lines) if i != 4]
            assert new.text == "".join(line + l.mark for line, l in zip(new.lines, form.shape))
            changed += new.lines[4] != poem.lines[4]
    assert changed >= 3


def test_revising_before_a_repeat_repeats_the_new_line(gen):
    poem = gen.generate(form="如梦令", seed=1)[0]
    for new in gen.revise(poem, line=5, num=3, seed=2, temperature=1.5):
        assert new.lines[5] == new.lines[4] and new.lines[:4] + new.lines[6:] == poem.lines[:4] + poem.lines[6:]
    with pytest.raises(PoetryGenError, match="line 6 of a 如梦令 repeats line 5"):
        gen.revise(poem, line=6)
    with pytest.raises(PoetryGenError, match="or the lines and marks of a tune"):
        gen.revise("春风十里。", line=1)

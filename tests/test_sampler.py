"""The constrained decoder, on a model with fixed random weights over the fixture corpus's vocabulary:
whatever the model prefers, the shape, heads, rhyme and (strict) tones must hold."""
import pytest
import torch
from conftest import fits_by_the_table

from poetry_gen import cilin, prosody
from poetry_gen.corpus import load_vocab
from poetry_gen.forms import FORMS, SHI_BOOK, Form, Line, Template, couplet_form, form_for, tune_form
from poetry_gen.config import SamplingOptions
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.constraints import Controls, VocabTables, controls_for
from poetry_gen.sampler import Layout, _candidates, _restrict, decode
from poetry_gen.reduplication import attested, nonsense_doubles
from poetry_gen.text import is_hanzi
from poetry_gen.tunes import load_tunes
from poetry_gen.vocab import Vocab

SHAPES = [(5, 4), (7, 4), (5, 8), (7, 8), (7, 5), (5, 1)]  # the four forms, an odd acrostic, one line


@pytest.fixture(scope="module")
def vocab(built_corpus) -> Vocab:
    return load_vocab(built_corpus)


@pytest.fixture(scope="module")
def tables(vocab) -> VocabTables:
    return VocabTables(vocab)


def random_model(vocab, seed=0, attention="causal"):
    """attention: "none", "causal" (the Luong design) or "residual" (residual, embedding values)."""
    torch.manual_seed(seed)
    design = dict(attention="causal", attention_combine="residual", attention_values="embedding") \
        if attention == "residual" else dict(attention=attention)
    model = PoetryLM(ModelConfig(len(vocab), embed_dim=24, hidden_dim=32, num_layers=1, attention_heads=2,
                                 **design)).eval()
    if attention == "residual":  # its output matrix starts at zero: give the attention a say
        torch.nn.init.normal_(model.attention.out.weight, std=0.3)
    return model


@pytest.fixture(scope="module")
def model(vocab):
    return random_model(vocab)


def write(model, tables, layout, num=8, seed=0, controls=Controls(), prompt=(), **options):
    return decode(model, tables, layout, SamplingOptions(**options), num=num, controls=controls,
                  generator=torch.Generator().manual_seed(seed), prompt=prompt)


def assert_shape(vocab, ids, chars, lines):
    assert all(i not in vocab.special_ids for i in ids)
    text = vocab.decode(ids)
    assert len(text) == lines * (chars + 1)
    for i in range(lines):
        line, mark = text[i * (chars + 1):(i + 1) * (chars + 1) - 1], text[(i + 1) * (chars + 1) - 1]
        assert all(is_hanzi(ch) for ch in line), text
        assert mark == ("。" if i % 2 or i == lines - 1 else "，"), text
    return text


def template_controls(form, tones="strict", rhyme=prosody.PING_GROUPS):
    return Controls((frozenset(rhyme),), tuple(prosody.templates(form)), tones)


@pytest.mark.slow
@pytest.mark.parametrize("chars,lines", SHAPES)
def test_shape_heads_and_termination_over_many_seeds(model, vocab, tables, chars, lines):
    heads = vocab.encode("春秋风花雪月山水")[:lines]
    assert vocab.unk_id not in heads
    layout = Layout(form_for(chars, lines), {i * (chars + 1): h for i, h in enumerate(heads)})
    for seed in range(6):
        for sample in write(model, tables, layout, num=6, seed=seed, temperature=1.5, top_p=1.0):
            text = assert_shape(vocab, sample.ids, chars, lines)
            assert [text[i * (chars + 1)] for i in range(lines)] == [vocab.itos[h] for h in heads]


@pytest.mark.parametrize("attention", ["none", "causal", "residual"])
def test_greedy_is_the_argmax_path_of_the_full_forward_pass(vocab, tables, attention):
    """temperature 0 = at each position the likeliest allowed character after the repeat penalty,
    computed here from scratch with `forward` (not the incremental state the decoder uses)."""
    model = random_model(vocab, seed=3, attention=attention)
    chars, lines, penalty = 5, 4, 1.0
    head = vocab.stoi["春"]
    allowed = torch.tensor([i >= vocab.first_char_id and is_hanzi(t) for i, t in enumerate(vocab.itos)])
    ids = []
    for p in range(lines * (chars + 1)):
        line, col = divmod(p, chars + 1)
        if col == chars:
            ids.append(vocab.stoi["。" if line % 2 or line == lines - 1 else "，"])
            continue
        if p == 0:
            ids.append(head)
            continue
        logits = model(torch.tensor([[vocab.bos_id] + ids]))[0][0, -1]
        seen = torch.zeros(len(vocab), dtype=torch.bool)
        seen[ids + [head]] = True
        logits = logits - penalty * (seen & allowed)
        ids.append(int(logits.masked_fill(~allowed, float("-inf")).argmax()))
    layout = Layout(form_for(chars, lines), {0: head})
    greedy = write(model, tables, layout, num=3, temperature=0.0, repeat_penalty=penalty)
    assert all(s.ids == ids for s in greedy)
    # drawing with top-k 1 is the same path through the sampling code
    assert write(model, tables, layout, num=2, seed=5, temperature=0.7, top_k=1, repeat_penalty=penalty)[0].ids == ids


def test_seed_reproduces_and_changes(model, tables):
    layout = Layout(form_for(7, 4))
    first = [s.ids for s in write(model, tables, layout, num=4, seed=11, temperature=1.0)]
    assert first == [s.ids for s in write(model, tables, layout, num=4, seed=11, temperature=1.0)]
    assert first != [s.ids for s in write(model, tables, layout, num=4, seed=12, temperature=1.0)]


def test_candidates_are_one_batch_in_lockstep(vocab, tables, monkeypatch):
    model = random_model(vocab)
    sizes = []
    step = model.step
    monkeypatch.setattr(model, "step", lambda ids, state: (sizes.append(ids.shape[0]), step(ids, state))[1])
    prompt = vocab.encode("山水")
    write(model, tables, Layout(form_for(5, 4)), num=16, prompt=prompt)
    # <bos> and the prompt once, then one step per poem position but the last
    assert sizes == [1] * (1 + len(prompt)) + [16] * (4 * 6 - 1)


def test_the_output_layer_is_skipped_before_a_fixed_character_and_nothing_changes(vocab, tables, monkeypatch):
    model = random_model(vocab, attention="residual")
    heads = dict(zip((0, 8, 16, 24), vocab.encode("春夏秋冬")))
    layout = Layout(form_for(7, 4), heads, heads=frozenset(heads))
    skipped = write(model, tables, layout, num=6, seed=3)
    step, readouts = model.step, []
    monkeypatch.setattr(model, "step", lambda ids, state, readout=True: (readouts.append(readout), step(ids, state))[1])
    everywhere = write(model, tables, layout, num=6, seed=3)
    assert [(s.ids, s.score, str(s.logps)) for s in skipped] == [(s.ids, s.score, str(s.logps)) for s in everywhere]
    # after <bos> and the first head: one step per position but the last, those before heads 2-4 without readout
    assert [i for i, r in enumerate(readouts[2:], start=1) if not r] == [7, 15, 23]


def test_score_is_the_mean_model_log_probability_and_sorts_the_candidates(model, vocab, tables):
    """Score = mean log p under the raw model of every token after the given text (heads excluded)."""
    chars, lines = 5, 4
    given = vocab.encode("白日依山尽")
    head = vocab.stoi["黄"]
    layout = Layout(form_for(chars, lines), {**dict(enumerate(given)), chars + 1: head})
    prompt = vocab.encode("春")
    samples = write(model, tables, layout, num=12, seed=2, temperature=1.2, prompt=prompt)
    scores = [s.score for s in samples]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 1
    for sample in samples:
        seq = torch.tensor([[vocab.bos_id, *prompt, *sample.ids]])
        with torch.no_grad():
            logp = model(seq)[0][0, :-1].log_softmax(-1).gather(1, seq[0, 1:, None])[:, 0]
        poem_logp = logp[len(prompt):]  # the predictions of the poem's tokens
        scored = [p for p in range(len(sample.ids)) if p >= chars + 1 and p != chars + 1]
        assert sample.score == pytest.approx(float(poem_logp[scored].mean()), abs=1e-4)


def test_given_start_is_kept_and_fed(model, vocab, tables):
    start = "床前明月光，疑是"
    given = vocab.encode("床前明月光") + vocab.encode("疑是")
    positions = [0, 1, 2, 3, 4, 6, 7]
    for sample in write(model, tables, Layout(form_for(5, 4), dict(zip(positions, given))), num=5, temperature=1.0):
        assert vocab.decode(sample.ids).startswith(start)


@pytest.mark.slow
@pytest.mark.parametrize("form", FORMS)
def test_rhyme_and_strict_tones_hold_in_every_candidate(model, vocab, tables, form):
    shape = FORMS[form]
    for seed in range(3):
        for sample in write(model, tables, Layout(form_for(shape.chars, shape.lines)), num=10, seed=seed,
                            controls=template_controls(form), temperature=1.5, top_p=1.0):
            check = prosody.check_poem(vocab.decode(sample.ids))
            assert check.form == form and check.rhymes, check.text
            assert fits_by_the_table(check), check.text


def test_soft_tones_avoid_the_classical_faults(vocab, tables):
    """A model that prefers 平 characters everywhere writes 三平尾 and 孤平 with tones off; the soft
    control, which counts them as tone requirements, writes far fewer."""
    model = random_model(vocab)
    ping_only = [i for i, t in enumerate(vocab.itos) if len(t) == 1 and prosody.tones(t) == {prosody.PING}]
    with torch.no_grad():
        model.head.bias[ping_only] += 2.0
    faults = {}
    for tones in ("off", "soft"):
        samples = write(model, tables, Layout(form_for(5, 8)), num=40, controls=template_controls("五律", tones),
                        temperature=1.0)
        checks = [prosody.check_poem(vocab.decode(s.ids)) for s in samples]
        faults[tones] = sum(f in (prosody.THREE_PING_TAIL, prosody.ISOLATED_PING) for c in checks for _, f in c.faults)
    assert faults["off"] >= 20 and faults["soft"] <= faults["off"] / 4, faults


def test_named_rhyme_group(model, vocab, tables):
    controls = Controls((frozenset("东"),), (), "off")
    for sample in write(model, tables, Layout(form_for(7, 8)), num=10, controls=controls, temperature=1.5):
        text = vocab.decode(sample.ids)
        ends = [text[i * 8 + 6] for i in range(8)]
        assert all("东" in prosody.rhyme_groups(ch) for ch in ends[1::2]), text
        # line 1 may rhyme: if it ends in a 平声 rhyme character, that is one of the group
        assert "东" in prosody.rhyme_groups(ends[0]) or not prosody.rhyme_groups(ends[0]) & set(prosody.PING_GROUPS)


def test_candidates_choose_their_own_rhyme_and_template(model, vocab, tables):
    samples = write(model, tables, Layout(form_for(5, 4)), num=40, controls=template_controls("五绝"), temperature=1.5)
    checks = [prosody.check_poem(vocab.decode(s.ids)) for s in samples]
    assert len({c.rhyme_groups for c in checks}) > 1
    assert len({c.template.name for c in checks}) > 1


def test_impossible_constraints_fall_back_instead_of_emptying_the_row():
    # A vocabulary without a single character of the 东 group: the rhyme is dropped, the shape is not.
    vocab = Vocab.build(["白日依山尽，黄河入海流。"])
    small = VocabTables(vocab)
    model = random_model(vocab)
    for sample in write(model, small, Layout(form_for(5, 4)), num=4, controls=Controls((frozenset("东"),), (), "off")):
        assert_shape(vocab, sample.ids, 5, 4)
    allowed = torch.tensor([[True, True, False], [True, False, False]])
    extra = torch.tensor([[False, True, True], [False, True, True]])
    assert _restrict(allowed, extra).tolist() == [[False, True, False], [True, False, False]]


def test_a_line_never_repeats_an_earlier_one(vocab):
    model = random_model(vocab)
    with torch.no_grad():  # a model that wants one character everywhere: 风风风风风
        model.head.bias[vocab.stoi["风"]] += 50
    doubling = VocabTables(vocab)
    doubling.may_double[:] = True  # every 叠字 allowed: only the repeated-line rule is at work
    for sample in write(model, doubling, Layout(form_for(5, 8)), num=3, temperature=0.0, repeat_penalty=0.0):
        lines = vocab.decode(sample.ids).replace("。", "，").split("，")[:-1]
        assert lines[0] == "风风风风风" and len(set(lines)) == 8


@pytest.mark.slow
def test_repeated_characters_are_penalised(vocab, tables):
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.stoi["风"]] += 0.5
    def repeats(penalty):
        samples = write(model, tables, Layout(form_for(7, 8)), num=20, seed=1, temperature=1.0, repeat_penalty=penalty)
        return sum(len(s.ids) - len(set(s.ids)) for s in samples)
    assert repeats(3.0) < repeats(0.0)


@pytest.mark.parametrize("eos_bias,lines", [(50.0, 2), (-50.0, 16)])
def test_free_length_ends_after_a_couplet(vocab, tables, eos_bias, lines):
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.eos_id] += eos_bias
    for sample in write(model, tables, Layout(form_for(5, None), min_lines=2), num=4, temperature=1.0):
        assert_shape(vocab, sample.ids, 5, lines)


def reference_cut(x, top_k, top_p):
    """{token: probability} after top-k and top-p, by sorting the whole vocabulary."""
    probs = x.softmax(-1)
    order = probs.argsort(descending=True)
    if top_k:
        order = order[:top_k]
        probs = torch.zeros_like(probs).scatter(0, order, x[order].softmax(-1))
    kept, mass = {}, 0.0
    for i in order.tolist():
        if mass >= top_p or probs[i] == 0:
            break
        kept[i] = float(probs[i])
        mass += float(probs[i])
    return kept


@pytest.mark.parametrize("top_k,top_p,search", [(0, 1.0, 512), (5, 1.0, 512), (0, 0.5, 512), (0, 0.9, 4),
                                                (0, 0.999, 8), (20, 0.9, 8), (3, 0.99, 2)])
def test_top_k_and_top_p_cut_like_sorting_the_whole_vocabulary(top_k, top_p, search):
    torch.manual_seed(0)
    x = torch.randn(6, 50) * 2
    x[0, 10:] = float("-inf")  # a masked row
    probs, index = _candidates(x, top_k, top_p, search)
    for row in range(len(x)):
        got = {int(i): float(p) for i, p in zip(index[row], probs[row]) if p > 0}
        expected = reference_cut(x[row], top_k, top_p)
        assert got.keys() == expected.keys()
        assert [got[i] for i in expected] == pytest.approx(list(expected.values()), rel=1e-5)
    assert (probs > 0).sum(-1).min() >= 1


def one_width_cut(x, top_k, top_p, search):
    """The cut as _candidates took it before its window: over `search` columns, else over the whole top-k."""
    k = min(top_k, x.shape[-1]) if top_k > 0 else x.shape[-1]
    logz = (x if k == x.shape[-1] else x.topk(k, dim=-1).values).logsumexp(-1, keepdim=True)
    for n in (min(k, search), k):
        values, index = x.topk(n, dim=-1)
        probs = (values - logz).exp()
        mass = probs.cumsum(-1)
        if n == k or bool((mass[:, -1] >= top_p).all()):
            return probs.masked_fill(mass - probs >= top_p, 0.0), index


@pytest.mark.parametrize("top_p,search,tie", [(0.9, 4, False), (0.99, 4, False), (0.5, 2, False), (0.9, 256, False),
                                              (0.95, 4, True), (0.9, 1, False)])
def test_the_window_cuts_exactly_as_one_width_did(top_p, search, tie):
    """The same columns (the multinomial draws one number per column), probabilities and tokens, bit for
    bit: where the window grows past `search` and stops short of the whole row, where every nucleus fits
    in `search`, and with tokens of equal probability in the nucleus."""
    torch.manual_seed(1)
    x = torch.randn(16, 300) * torch.linspace(1.5, 6, 16)[:, None]  # nuclei of 1 to 225 tokens
    x[0, 20:] = float("-inf")
    if tie:
        x[:, 7] = x.max(-1).values - 0.5
        x[:, 8] = x[:, 7]
    probs, index = _candidates(x, 0, top_p, search)
    expected_probs, expected_index = one_width_cut(x, 0, top_p, search)
    assert probs.shape == expected_probs.shape
    assert torch.equal(probs, expected_probs)
    assert torch.equal(index[probs > 0], expected_index[expected_probs > 0])
    assert (expected_probs > 0).sum(1).max() < 255  # the window, doubling from search, stops short of the row


def test_a_rhyme_character_fixed_to_come_is_not_used_before_it(vocab, tables):
    """重韵 with a kept later line (as revise keeps them): line 2 may not end in line 4's rhyme 楼."""
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.stoi["楼"]] += 50
    kept = {6 * line + i: vocab.stoi[ch] for line, text in ((0, "白日依山尽"), (2, "欲穷千里目"), (3, "更上一层楼"))
            for i, ch in enumerate(text)}  # lines 1, 3 and 4
    for sample in write(model, tables, Layout(form_for(5, 4), kept), num=4, controls=template_controls("五绝", "off"),
                        temperature=1.0):
        text = vocab.decode(sample.ids)
        assert text.endswith("更上一层楼。") and text[10] != "楼", text


def wanting(vocab, ch, bias=50.0):
    """A model that wants `ch` everywhere."""
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.stoi[ch]] += bias
    return model


def test_only_attested_doubles_are_written(vocab, tables):
    unattested = next(ch for ch in "风山月水" if ch in vocab and ch not in attested())
    for sample in write(wanting(vocab, unattested), tables, Layout(form_for(5, 4)), num=4, temperature=0.0,
                        repeat_penalty=0.0):
        text = vocab.decode(sample.ids)
        assert unattested * 2 not in text and not nonsense_doubles(text)
    double = next(ch for ch in "年处萧悠" if ch in vocab and ch in attested())
    text = vocab.decode(write(wanting(vocab, double), tables, Layout(form_for(5, 4)), num=1, temperature=0.0,
                              repeat_penalty=0.0)[0].ids)
    assert double * 2 in text


def test_an_acrostic_head_is_never_doubled(vocab, tables):
    double = next(ch for ch in "年处萧悠" if ch in vocab and ch in attested())
    head = vocab.stoi[double]
    layout = Layout(form_for(5, 4), {0: head, 6: head}, heads=frozenset({0, 6}))
    for sample in write(wanting(vocab, double), tables, layout, num=4, temperature=0.0, repeat_penalty=0.0):
        lines = vocab.decode(sample.ids).replace("。", "，").split("，")
        assert lines[0][:2] != double * 2 and lines[1][:2] != double * 2
        assert double * 2 in "".join(lines[2:])  # elsewhere the model's 叠字 stays


def test_variant_glyphs_are_folded_into_their_standard_form():
    vocab = Vocab(list(Vocab.build(["疎疏山月明风花雪夜春秋，。"]).itos))
    tables = VocabTables(vocab)
    model = wanting(vocab, "疎", bias=8.0)
    logits, _ = model(torch.tensor([[vocab.bos_id]]))
    folded = tables.fold_variants(logits[:, -1])  # (1, V)
    raw = logits[:, -1].log_softmax(-1)
    assert torch.isclose(folded[0, vocab.stoi["疏"]].exp(),
                         raw[0, vocab.stoi["疏"]].exp() + raw[0, vocab.stoi["疎"]].exp())
    assert folded[0, vocab.stoi["疎"]] == float("-inf") and torch.isclose(folded.exp().sum(), torch.tensor(1.0))
    for sample in write(model, tables, Layout(form_for(5, 4)), num=4, temperature=1.0):
        text = vocab.decode(sample.ids)
        assert "疎" not in text and "疏" in text


# --- forms as data: lines of several lengths, their own marks, several rhyme sets, hard tones ----------

UNEVEN = Form("test", (Line(3, "，"), Line(5, "。", "a"), Line(4, "，", "b"), Line(4, "，", "b"), Line(6, "。", "a")),
              rhymes=(("a", "平"), ("b", "仄")),
              templates=(Template("test", ("中中中", "中平中仄平", "中中平仄", "仄中中仄", "中中中中中平"), (1, 2, 3, 4)),),
              hard_tones=((2, 0, "平"),))


def split_by(form, text):
    return [text[start:start + line.chars] for start, line in zip(form.starts, form.shape)]


def test_a_form_of_uneven_lines_is_written_as_its_table_says(model, vocab, tables):
    book = tables.book(SHI_BOOK)
    controls = Controls((book.names_of("平"), book.names_of("仄")), UNEVEN.templates, "strict", faults=False)
    for sample in write(model, tables, Layout(UNEVEN), num=12, controls=controls, temperature=1.5):
        text = vocab.decode(sample.ids)
        assert len(text) == UNEVEN.length
        assert [text[start + line.chars] for start, line in zip(UNEVEN.starts, UNEVEN.shape)] == UNEVEN.marks, text
        lines = split_by(UNEVEN, text)
        assert all(is_hanzi(ch) for line in lines for ch in line), text
        a = [prosody.rhyme_groups(lines[i][-1]) for i in (1, 4)]
        b = [prosody.rhyme_groups(lines[i][-1]) for i in (2, 3)]
        assert a[0] & a[1] & set(prosody.PING_GROUPS), text  # set a: one 平声 group
        assert b[0] & b[1] - set(prosody.PING_GROUPS), text  # set b: one 仄声 group
        assert prosody.PING in prosody.tones(lines[2][0]), text  # the hard tone
        for line, pattern in zip(lines, UNEVEN.templates[0].lines):  # strict tones
            assert all(prosody.fits(prosody.tones(ch), None if m == "中" else m) for ch, m in zip(line, pattern)), text


def test_the_hard_tone_holds_with_the_tone_controls_off(model, vocab, tables):
    for sample in write(model, tables, Layout(UNEVEN), num=12, controls=Controls(None, (), "off"), temperature=1.5):
        assert prosody.PING in prosody.tones(split_by(UNEVEN, vocab.decode(sample.ids))[2][0])


def test_a_repeated_line_is_one_of_the_same_length(model, vocab, tables):
    form = Form("test", (Line(4, "，"), Line(4, "。")))
    first = vocab.encode("春风明月")
    repeat_wanted = wanting(vocab, "月")  # a model that always wants 月: line 2 would copy line 1
    layout = Layout(form, {0: first[0], 1: first[1], 2: first[2], 3: first[3], 5: first[0], 6: first[1], 7: first[2]})
    text = vocab.decode(write(repeat_wanted, tables, layout, num=1, temperature=0.0)[0].ids)
    assert text[:5] == "春风明月，" and text[5:9] != "春风明月"


def test_a_couplet_with_pauses_keeps_the_first_line_and_answers_in_its_shape(model, vocab, tables):
    form = couplet_form((2, 2, 3), ("，", "，"))
    first = vocab.encode("春风明月江山远")
    layout = Layout(form, dict(zip(form.char_positions, first)))
    for sample in write(model, tables, layout, num=8, temperature=1.5):
        text = vocab.decode(sample.ids)
        assert text.startswith("春风，明月，江山远，") and text.endswith("。") and len(text) == form.length, text
        assert [len(line) for line in text[:-1].replace("。", "，").split("，")] == [2, 2, 3] * 2, text
        assert prosody.tones(text[-2]) == {prosody.PING}, text  # 平 in every reading


@pytest.mark.parametrize("name", ["浣溪沙", "菩萨蛮"])
def test_a_tune_is_written_in_its_lines_rhyme_sets_and_fixed_tones(model, vocab, tables, name):
    form = tune_form(load_tunes()[name])
    controls = controls_for(tables, form, True, "strict", [])
    for sample in write(model, tables, Layout(form), num=6, controls=controls, temperature=1.5):
        text = vocab.decode(sample.ids)
        lines = split_by(form, text)
        assert [text[start + line.chars] for start, line in zip(form.starts, form.shape)] == form.marks, text
        for label, tone in form.rhymes:  # each rhyme set in one 词林正韵 部 of its tone
            ends = [lines[i][-1] for i, line in enumerate(form.shape) if line.rhyme == label]
            assert cilin.rhyme_together(ends, tone), (text, label, ends)
        for line, pattern in zip(lines, form.templates[0].lines):
            assert all(prosody.fits(prosody.tones(ch), None if m == "中" else m) for ch, m in zip(line, pattern)), text


# --- required characters (--must-include) -------------------------------------------------------------

def required_positions(vocab, samples, char):
    return [[p for p, i in enumerate(s.ids) if i == vocab.stoi[char]] for s in samples]


@pytest.mark.parametrize("chars,lines", [(5, 4), (7, 8), (5, 1)])
def test_a_character_the_model_never_writes_is_placed_in_the_last_open_position(vocab, tables, chars, lines):
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.stoi["竹"]] -= 50.0  # the model would never write it
    form = form_for(chars, lines)
    layout = Layout(form, required=(vocab.stoi["竹"],))
    rhyme = Controls((frozenset(prosody.PING_GROUPS),))  # rhyme on: the must-rhyme line ends are not open
    samples = write(model, tables, layout, num=6, controls=rhyme, include_boost=0.0)
    last = form.open_positions()[-1]
    assert not form.slots[last].rhyme or form.slots[last].may_rhyme  # a line end that must rhyme is not open
    assert required_positions(vocab, samples, "竹") == [[last]] * 6
    for sample in samples:
        assert_shape(vocab, sample.ids, chars, lines)


def test_the_boost_lets_the_model_place_required_characters_before_the_poem_runs_out(vocab, tables):
    model, form = random_model(vocab), form_for(7, 4)
    required = tuple(vocab.stoi[ch] for ch in "竹月")
    last_two = form.open_positions()[-2:]

    def at_the_end(boost):
        samples = write(model, tables, Layout(form, required=required), num=16, seed=3, temperature=1.0,
                        include_boost=boost)
        for s in samples:
            assert vocab.stoi["竹"] in s.ids and vocab.stoi["月"] in s.ids
        return sum(s.ids[p] in required for s in samples for p in last_two)

    assert at_the_end(8.0) < at_the_end(0.0)


def test_two_required_characters_fill_the_last_two_open_positions_when_nothing_else_places_them(vocab, tables):
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[[vocab.stoi["竹"], vocab.stoi["月"]]] -= 50.0
    form = form_for(5, 4)
    layout = Layout(form, fixed={0: vocab.stoi["月"]}, required=tuple(vocab.stoi[ch] for ch in "竹月"))
    samples = write(model, tables, layout, num=4, include_boost=0.0)
    # 月 is given at position 0, so only 竹 is still to place
    assert required_positions(vocab, samples, "竹") == [[form.open_positions(frozenset({0}))[-1]]] * 4
    assert required_positions(vocab, samples, "月") == [[0]] * 4


def test_a_free_length_poem_does_not_end_before_it_holds_the_required_character(vocab, tables):
    model = random_model(vocab)
    with torch.no_grad():
        model.head.bias[vocab.eos_id] += 50.0  # it would end after the first couplet
        model.head.bias[vocab.stoi["竹"]] -= 50.0
    layout = Layout(form_for(5, None), min_lines=2, required=(vocab.stoi["竹"],))
    for sample in write(model, tables, layout, num=4, include_boost=0.0):
        assert vocab.stoi["竹"] in sample.ids

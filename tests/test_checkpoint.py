from dataclasses import fields

import pytest
import torch

from poetry_gen.checkpoint import FORMAT_VERSION, load_checkpoint, quantize_rows, read_checkpoint, save_checkpoint
from poetry_gen.config import OptimConfig, flag
from poetry_gen.errors import PoetryGenError
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.vocab import SPECIALS, Vocab

VOCAB = Vocab(list(SPECIALS) + list("春风明月光山水，。"))


def saved(tmp_path, **kw):
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=len(VOCAB), **({"embed_dim": 16, "hidden_dim": 32} | kw))
    model = PoetryLM(config).eval()
    path = tmp_path / "model.pt"
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={"step": 7})
    return path, model


def spoilt(path, spoil):
    """`path` with `spoil(data)` done to the checkpoint dict it holds."""
    data = torch.load(path, weights_only=True)
    spoil(data)
    torch.save(data, path)
    return path


@pytest.mark.parametrize("kw", [{}, {"attention": "none"}, {"tie_weights": True, "attention_span": 3}])
def test_save_then_load_gives_identical_logits(tmp_path, kw):
    path, model = saved(tmp_path, **kw)
    ckpt = load_checkpoint(path)
    ids = torch.randint(0, len(VOCAB), (2, 9))
    assert torch.equal(model(ids)[0], ckpt.model(ids)[0])
    assert ckpt.vocab.to_list() == VOCAB.to_list() and ckpt.train_state == {"step": 7}
    assert ckpt.config == model.config and not ckpt.model.training
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("weights,share", [("float16", 0.6), ("int8", 0.4)])
def test_a_smaller_checkpoint_loads_as_float32(tmp_path, weights, share):
    path, model = saved(tmp_path, embed_dim=64, hidden_dim=64)  # big enough for the weights to outweigh the rest
    small = tmp_path / f"{weights}.pt"
    save_checkpoint(small, model=model, vocab=VOCAB, train_state={}, weights=weights)
    assert small.stat().st_size < share * path.stat().st_size
    ckpt = load_checkpoint(small)
    assert all(p.dtype == torch.float32 for p in ckpt.model.parameters())
    ids = torch.randint(0, len(VOCAB), (2, 9))
    assert torch.allclose(model(ids)[0], ckpt.model(ids)[0], atol=2e-2)


def test_int8_keeps_every_weight_within_half_a_step_of_its_row(tmp_path):
    path, model = saved(tmp_path)
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={}, weights="int8")
    stored = torch.load(path, weights_only=True)
    assert {k for k, v in stored["state_dict"].items() if v.dtype == torch.int8} == stored["int8_scales"].keys()
    assert {k for k, v in model.state_dict().items() if v.dim() == 2} == stored["int8_scales"].keys()
    assert all(v.dtype == torch.float16 for k, v in stored["state_dict"].items() if k not in stored["int8_scales"])
    loaded = load_checkpoint(path).model.state_dict()
    for name, scale in stored["int8_scales"].items():
        error = (loaded[name] - model.state_dict()[name]).abs()  # (rows, columns)
        assert (error <= scale[:, None] / 2 + 1e-7).all(), name
        assert torch.allclose(scale * 127, model.state_dict()[name].abs().amax(dim=1))  # each row its own range


def test_a_tied_model_in_int8_scales_its_one_shared_matrix_once(tmp_path):
    path, model = saved(tmp_path, tie_weights=True)
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={}, weights="int8")
    loaded = load_checkpoint(path).model
    assert loaded.head.weight is loaded.embed.weight  # still tied
    step = model.embed.weight.abs().amax(dim=1, keepdim=True) / 127
    assert ((loaded.embed.weight - model.embed.weight).abs() <= step / 2 + 1e-7).all()  # not scaled twice


@pytest.mark.parametrize("controls,form_rate,expected", [
    (["<五绝>", "<plan>"], 0.8, True), (["<plan>"], 0.8, False), ([], 0.8, False), (["<五绝>"], 0.0, False)])
def test_form_tokens_need_both_the_training_and_a_vocabulary_that_holds_them(tmp_path, controls, form_rate, expected):
    # eval said "each poem after its form token" for a model whose corpus had none to give it
    vocab = Vocab.build(["春风明月光，山水。"], controls=controls)
    path = tmp_path / "model.pt"
    save_checkpoint(path, model=PoetryLM(ModelConfig(len(vocab), 8, 8)), vocab=vocab,
                    train_state={"optim_config": {"form_rate": form_rate}})
    assert load_checkpoint(path).form_tokens is expected


def test_quantize_rows_keeps_a_zero_row_zero():
    matrix = torch.tensor([[0.0, 0.0], [1.0, -0.5]])
    q, scale = quantize_rows(matrix)
    assert q.tolist() == [[0, 0], [127, -64]] and scale[0] == 0


@pytest.mark.parametrize("spoil,message", [
    (lambda d: d["int8_scales"].pop("head.weight"), "do not match (head.weight)"),
    (lambda d: d.pop("int8_scales"), "int8_scales are not a dict"),
    (lambda d: d["int8_scales"].update({"head.weight": d["int8_scales"]["head.weight"][:3]}), "one float32 number per row"),
    (lambda d: d["int8_scales"]["head.weight"].fill_(float("nan")), "non-finite"),
])
def test_spoilt_int8_scales_are_refused(tmp_path, spoil, message):
    path, model = saved(tmp_path)
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={}, weights="int8")
    assert message in one_line_error(spoilt(path, spoil))


def test_a_version_2_checkpoint_loads_upgraded(tmp_path):
    path, model = saved(tmp_path)
    data = read_checkpoint(path)
    data["format_version"] = 2
    del data["int8_scales"]
    torch.save(data, path)
    assert read_checkpoint(path)["int8_scales"] == {}
    ids = torch.randint(0, len(VOCAB), (2, 9))
    assert torch.equal(model(ids)[0], load_checkpoint(path).model(ids)[0])


def one_line_error(path) -> str:
    with pytest.raises(PoetryGenError) as err:
        load_checkpoint(path)
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_checkpoint(tmp_path):
    assert "no checkpoint" in one_line_error(tmp_path / "nope.pt")


def test_truncated_checkpoint(tmp_path):
    path, _ = saved(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert "not a poetry-gen checkpoint" in one_line_error(path)


@pytest.mark.parametrize("content", [b"just some text\n", b""])
def test_foreign_file(tmp_path, content):
    path = tmp_path / "poems.txt"
    path.write_bytes(content)
    assert "not a poetry-gen checkpoint" in one_line_error(path)


def test_torch_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "tensor.pt"
    torch.save(torch.zeros(3), path)
    assert "not a poetry-gen checkpoint" in one_line_error(path)
    torch.save({"state_dict": {}}, path)
    assert "not a poetry-gen checkpoint" in one_line_error(path)


def test_pickled_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format_version": FORMAT_VERSION, "config": ModelConfig(vocab_size=3)}, path)
    assert "not a poetry-gen checkpoint" in one_line_error(path)


def test_other_format_version(tmp_path):
    path, _ = saved(tmp_path)
    data = read_checkpoint(path)
    data["format_version"] = FORMAT_VERSION + 1
    torch.save(data, path)
    assert f"format version {FORMAT_VERSION + 1}" in one_line_error(path)


@pytest.mark.parametrize("version", [[1], "3", True, 3.0, None])
def test_a_format_version_that_is_not_a_whole_number_is_refused(tmp_path, version):
    # [1] raised TypeError (unhashable), "3" was reported as "version 3", True loaded as version 1
    path = spoilt(saved(tmp_path)[0], lambda data: data.update(format_version=version))
    assert f"format version must be a whole number, not {version!r}" in one_line_error(path)


@pytest.mark.parametrize("table,line", [("garbage\x00\n{{", "line 1"), ("春 5 江\n\n江 x 春", "line 3"),
                                        ("春 0 江", "line 1")], ids=["junk", "a word for a count", "a count of 0"])
def test_a_plan_table_that_is_not_one_is_refused_when_the_checkpoint_loads(tmp_path, table, line):
    # it loaded, and raised IndexError or ValueError when --expand-plan first read it
    path = spoilt(saved(tmp_path)[0], lambda data: data.update(plan_words=table))
    assert f"plan_words {line} is not a word, its count and its neighbours" in one_line_error(path)


@pytest.mark.parametrize("field", fields(OptimConfig), ids=lambda f: f.name)
def test_every_field_of_a_stored_optim_config_is_type_checked(tmp_path, field):
    # form_rate "x" loaded, and raised TypeError in Checkpoint.form_tokens
    path, model = saved(tmp_path)
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={"optim_config": {field.name: [0.5]}})
    message = one_line_error(path)
    assert "in its optim_config, " in message and flag(field).lstrip("-") in message


@pytest.mark.parametrize("optim,message", [
    ({"form_rate": "x"}, "in its optim_config, --form-rate must be a finite number in [0, 1], not 'x'"),
    ({"repeat": "tang=²"}, "--repeat takes NAME=K"),  # ² is a digit to str.isdigit, not to int()
    ({"form_rate": 0.8, "speed": 3}, "its optim_config has fields this poetry-gen does not know: speed"),
    ("x", "its optim_config is not a dict"),
])
def test_a_malformed_optim_config_is_refused_in_one_line(tmp_path, optim, message):
    path, model = saved(tmp_path)
    save_checkpoint(path, model=model, vocab=VOCAB, train_state={"optim_config": optim})
    assert message in one_line_error(path)


def test_failed_write_leaves_the_old_checkpoint(tmp_path):
    path, model = saved(tmp_path)
    before = path.read_bytes()
    with pytest.raises(Exception):
        save_checkpoint(path, model=model, vocab=VOCAB, train_state={"bad": lambda: 0})
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]


def test_a_version_1_checkpoint_loads_upgraded(tmp_path, as_version_1):
    path, model = saved(tmp_path, attention_combine="luong", attention_values="hidden")
    data = read_checkpoint(path)
    data["theme_words"] = "春风 明月"
    data["train_state"] |= {"optim_config": {"lr": 0.5, "seed": 3}, "run_config": {"epochs": 2}}
    old = as_version_1(data)
    del old["config"]["attention_combine"], old["config"]["attention_values"]  # saved before these options
    torch.save(old, path)
    upgraded = read_checkpoint(path)
    assert upgraded["format_version"] == FORMAT_VERSION and upgraded["theme_words"] == "春风 明月"
    assert upgraded["train_state"] == {"step": 7, "optim_config": {"lr": 0.5, "seed": 3}, "run_config": {"epochs": 2}}
    ckpt = load_checkpoint(path)
    assert ckpt.config == model.config and ckpt.theme_words == "春风 明月"
    ids = torch.randint(0, len(VOCAB), (2, 9))
    assert torch.equal(model(ids)[0], ckpt.model(ids)[0])


def test_a_newer_field_missing_from_a_stored_config_takes_its_absent_value():
    from poetry_gen.config import from_stored

    stored = {"vocab_size": 12, "embed_dim": 8, "hidden_dim": 8}
    config = from_stored(ModelConfig, stored)
    assert (config.attention_combine, config.attention_values) == ("luong", "hidden")
    assert config.dropout == ModelConfig().dropout  # no `absent`: the default
    with pytest.raises(TypeError):
        from_stored(ModelConfig, stored | {"a_future_option": 1})


@pytest.mark.slow
def test_loading_skips_random_initialisation_and_torch_dynamo(built_corpus, tiny_checkpoint, tmp_path, fresh_python):
    # Every weight comes from the file; initialising them first cost a quarter of a second, and the
    # shape check on the meta device imported torch._dynamo (seconds) before the first poem.
    from poetry_gen.corpus import load_vocab

    path = tiny_checkpoint(tmp_path / "m.pt", load_vocab(built_corpus))
    code = ("import sys, torch; from poetry_gen.checkpoint import load_checkpoint; "
            f"ckpt = load_checkpoint({str(path)!r}); print('torch._dynamo' in sys.modules)")
    run = fresh_python(code)
    assert run.stdout.strip() == "False", run.stderr
    loaded = load_checkpoint(path).model.state_dict()
    stored = torch.load(path, weights_only=True)["state_dict"]
    assert all(torch.equal(loaded[k], stored[k].float()) for k in stored)


def test_export_int8_from_the_command_line(checkpoint, tmp_path, capsys):
    from poetry_gen.cli import main

    out = tmp_path / "int8.pt"
    assert main(["export", str(checkpoint), str(out), "--weights", "int8"]) == 0
    assert "int8.pt" in capsys.readouterr().out
    stored = torch.load(out, weights_only=True)
    assert stored["int8_scales"].keys() == {k for k, v in stored["state_dict"].items() if v.dtype == torch.int8}
    assert stored["int8_scales"] and "optimizer" not in stored["train_state"]
    assert main(["generate", "--checkpoint", str(out), "--acrostic", "春风", "--seed", "1"]) == 0
    assert capsys.readouterr().out.startswith("春")

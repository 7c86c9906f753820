"""Form tokens and plans through the generator (Generator.generate(plan=...), Poem.plan) and `poetry-gen
generate --plan`, on a checkpoint with fixed random weights whose vocabulary has the control tokens and
whose training state says it was trained with them: what is asserted is the wiring (which tokens the
model read, which plan), never wording."""
import json

import pytest
import torch

from poetry_gen import load_generator
from poetry_gen.checkpoint import save_checkpoint
from poetry_gen.cli import main
from poetry_gen.conditioning import PLAN
from poetry_gen.corpus import load_plans, load_poems, load_theme_words
from poetry_gen.errors import PoetryGenError
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.plan import plan_prefix_ids, plan_table
from poetry_gen.vocab import Vocab

FORMS = ["<五绝>", "<七绝>", "<五律>", "<七律>", "<对联>"]


@pytest.fixture(scope="module")
def conditioned_checkpoint(built_corpus, tmp_path_factory):
    """A random model over the fixture's poems with form tokens and <plan>, trained (as its state says)
    with both, its plan table from the fixture's train plans."""
    vocab = Vocab.build(load_poems(built_corpus, "train"), controls=[*FORMS, PLAN])
    torch.manual_seed(0)
    model = PoetryLM(ModelConfig(len(vocab), embed_dim=24, hidden_dim=32, num_layers=1, attention_heads=2))
    path = tmp_path_factory.mktemp("conditioned") / "model.pt"
    save_checkpoint(path, model=model, vocab=vocab, train_state={"optim_config": {"form_rate": 0.8, "plan_rate": 0.5}},
                    theme_words=load_theme_words(built_corpus), plan_words=plan_table(load_plans(built_corpus, "train")))
    return path


@pytest.fixture(scope="module")
def cgen(conditioned_checkpoint):
    return load_generator(conditioned_checkpoint, device="cpu")


def test_the_form_token_then_a_plan_of_one_word_per_line_when_asked(cgen):
    poem = cgen.generate(form="五绝", seed=1, num=2, expand_plan=True)[0]
    assert len(poem.plan) == 4 and poem.to_dict()["plan"] == poem.plan
    vocab = cgen.vocab
    assert list(poem.prompt_ids) == [vocab.stoi["<五绝>"], *plan_prefix_ids(poem.plan, vocab)]
    again = cgen.generate(form="五绝", seed=1, num=2, expand_plan=True)[0]
    assert (again.plan, again.text) == (poem.plan, poem.text)
    assert cgen.generate(form="七律", seed=1)[0].prompt_ids[0] == vocab.stoi["<七律>"]


def test_by_default_the_form_token_alone(cgen, capsys, conditioned_checkpoint):
    poem = cgen.generate(form="五绝", seed=1)[0]
    assert poem.plan is None and list(poem.prompt_ids) == [cgen.vocab.stoi["<五绝>"]]
    assert main(["generate", "--form", "五绝", "--seed", "1", "--json", "--expand-plan",
                 "--checkpoint", str(conditioned_checkpoint)]) == 0
    assert len(json.loads(capsys.readouterr().out)["plan"]) == 4


def test_a_theme_begins_the_plan(cgen):
    poem = cgen.generate(theme="秋 思乡", form="七律", seed=2, expand_plan=True)[0]
    used = poem.theme.keywords_used  # the fixture's few poems attest 秋 but not 思乡: 秋, 思, 乡
    assert used[0] == "秋" and poem.plan[:len(used)] == used and len(poem.plan) == 8


def test_the_users_plan_is_read_as_given(cgen):
    plan = ["春", "江", "月", "归"]
    poem = cgen.generate(form="五绝", plan=plan, seed=3)[0]
    assert poem.plan == plan
    assert list(poem.prompt_ids) == [cgen.vocab.stoi["<五绝>"], *plan_prefix_ids(plan, cgen.vocab)]
    assert cgen.generate(form="五绝", plan="春 江 月 归", seed=3)[0].text == poem.text  # a string of words too
    assert cgen.generate(form="五绝", plan=["春", "江", "月", "歸"], seed=3)[0].plan == plan  # traditional, read simplified
    with pytest.raises(PoetryGenError, match="the plan has 3 words, but the poem has 4 lines"):
        cgen.generate(form="五绝", plan=["春", "江", "月"])
    with pytest.raises(PoetryGenError, match="needs a form with a fixed number of lines"):
        cgen.generate(chars=5, plan=["春", "江", "月", "归"])


def test_a_couplet_is_written_after_its_token_without_a_plan(cgen):
    poem = cgen.couplet("白日依山尽", seed=1)[0]
    assert list(poem.prompt_ids) == [cgen.vocab.stoi["<对联>"]] and poem.plan is None


def test_a_free_shape_has_neither_form_token_nor_plan(cgen):
    poem = cgen.generate(chars=5, seed=1)[0]
    assert poem.plan is None and poem.prompt_ids == ()


def test_a_model_trained_without_them_reads_neither(gen):
    """The fixture corpus's vocabulary has <plan>, but the model's training state says nothing of form
    tokens or plans (as every checkpoint trained before them): nothing is fed, as before."""
    assert not gen.form_tokens and gen.plan_table is None
    poem = gen.generate(form="五绝", seed=1)[0]
    assert poem.plan is None and poem.prompt_ids == ()
    with pytest.raises(PoetryGenError, match="this model was not trained with plans"):
        gen.generate(form="五绝", plan=["春", "江", "月", "归"])
    with pytest.raises(PoetryGenError, match="this model was not trained with plans"):
        gen.generate(form="五绝", expand_plan=True)


def test_a_plan_is_given_or_expanded_not_both(cgen):
    with pytest.raises(PoetryGenError, match="not both"):
        cgen.generate(form="五绝", plan=["春", "江", "月", "归"], expand_plan=True)


def test_plan_on_the_command_line(conditioned_checkpoint, capsys):
    code = main(["generate", "--form", "五绝", "--plan", "春", "江", "月", "归", "--seed", "1", "--json",
                 "--checkpoint", str(conditioned_checkpoint)])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["plan"] == ["春", "江", "月", "归"]
    code = main(["generate", "--form", "七律", "--plan", "春", "江", "--checkpoint", str(conditioned_checkpoint)])
    _, err = capsys.readouterr()
    assert code == 2 and err.strip() == ("poetry-gen: error: the plan has 2 words, but the poem has 8 lines: "
                                         "give one word per line")


def test_without_form_tokens_a_quatrain_is_the_first_half_of_the_regulated_verse(gen, cgen):
    """benchmarks.form_known: what issue 20 found of the shipped model, and what form tokens change."""
    from benchmarks.form_known import SAMPLES, first_halves

    assert first_halves(gen, "五绝", "五律", seed=1)[1] == SAMPLES
    assert first_halves(cgen, "五绝", "五律", seed=1)[1] < SAMPLES

"""The model shipped in checkpoints/: it loads by default and writes every form with its heads.
Nothing here depends on its exact wording."""
import pytest

from poetry_gen import load_generator
from poetry_gen.forms import FORMS
from poetry_gen.prosody import check_poem


@pytest.fixture(scope="module")
def gen():
    return load_generator(device="cpu")


@pytest.mark.slow
@pytest.mark.parametrize("form", list(FORMS))
def test_the_shipped_model_writes_each_form_with_its_heads(gen, form):
    shape = FORMS[form]
    heads = "春夏秋冬山水风月"[: shape.lines]
    for poem in gen.acrostic(heads, form=form, num=3, seed=5) + gen.generate(form=form, num=3, seed=5):
        assert poem.form == form and len(poem.lines) == shape.lines
        assert all(len(line) == shape.chars for line in poem.lines)
        assert poem.text.endswith("。") and len(poem.text) == shape.lines * (shape.chars + 1)
    assert all(p.lines[i][0] == h for p in gen.acrostic(heads, form=form, num=2, seed=6) for i, h in enumerate(heads))


@pytest.mark.slow
def test_the_shipped_model_rhymes_by_default(gen):
    for poem in gen.generate(form="七绝", num=4, seed=11):
        assert check_poem(poem.text).rhymes


def test_the_shipped_model_writes_only_attested_doubles_and_no_variant_glyphs(gen):
    from poetry_gen.reduplication import nonsense_doubles
    from poetry_gen.text import fold_variants

    poems = gen.acrostic("冬萧年悠", form="七绝", num=16, seed=2, temperature=1.2) + gen.generate(
        form="五律", num=16, seed=2, temperature=1.2)
    for poem in poems:
        assert not nonsense_doubles(poem.text) and fold_variants(poem.text) == poem.text, poem.text
    for poem in poems[:16]:  # never a head doubled (冬冬), though 冬冬 萧萧 年年 悠悠 are all attested
        assert all(line[1] != line[0] for line in poem.lines)

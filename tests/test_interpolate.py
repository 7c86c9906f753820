import pytest
import torch

from poetry_gen.checkpoint import load_checkpoint, save_checkpoint
from poetry_gen.cli import main
from poetry_gen.errors import PoetryGenError
from poetry_gen.interpolate import interpolate
from poetry_gen.model import ModelConfig, PoetryLM
from poetry_gen.vocab import SPECIALS, Vocab

BASE_VOCAB = Vocab(list(SPECIALS) + list("春风明月光山水，。"))
TUNED_VOCAB = Vocab(list(SPECIALS) + list("春风明月山水词牌，。"))  # drops 光, adds 词 牌


def saved(path, vocab, seed, **kw):
    torch.manual_seed(seed)
    model = PoetryLM(ModelConfig(vocab_size=len(vocab), **({"embed_dim": 16, "hidden_dim": 32} | kw))).eval()
    save_checkpoint(path, model=model, vocab=vocab, train_state={"step": seed})
    return load_checkpoint(path)


@pytest.fixture(params=[{}, {"tie_weights": True, "embed_dim": 32}], ids=["untied", "tied"])
def pair(tmp_path, request):
    return saved(tmp_path / "base.pt", BASE_VOCAB, 1, **request.param), saved(tmp_path / "tuned.pt", TUNED_VOCAB, 2,
                                                                               **request.param)


def rows_of(ckpt, name, tokens):
    return ckpt.model.state_dict()[name][[ckpt.vocab.stoi[t] for t in tokens]]


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_each_weight_is_the_mixture_of_the_two_models(pair, alpha):
    base, tuned = pair
    mixed = interpolate(base, tuned, alpha).state_dict()
    shared = [t for t in TUNED_VOCAB.itos if t in BASE_VOCAB.stoi]
    for name, weights in tuned.model.state_dict().items():
        if name in PoetryLM.VOCAB_ROWS:
            want = (1 - alpha) * rows_of(base, name, shared) + alpha * rows_of(tuned, name, shared)
            got = mixed[name][[TUNED_VOCAB.stoi[t] for t in shared]]
        else:
            want, got = (1 - alpha) * base.model.state_dict()[name] + alpha * weights, mixed[name]
        assert torch.allclose(got, want, atol=1e-6), name


def test_a_token_the_base_never_knew_keeps_the_fine_tunes_rows(pair):
    base, tuned = pair
    mixed = interpolate(base, tuned, 0.2).state_dict()
    new = [TUNED_VOCAB.stoi[t] for t in "词牌"]
    for name in PoetryLM.VOCAB_ROWS:
        assert torch.equal(mixed[name][new], tuned.model.state_dict()[name][new]), name


def test_refuses_an_alpha_outside_0_to_1_and_models_of_other_settings(tmp_path, pair):
    base, tuned = pair
    with pytest.raises(PoetryGenError, match="between 0"):
        interpolate(base, tuned, 1.5)
    other = saved(tmp_path / "other.pt", TUNED_VOCAB, 3, embed_dim=16, hidden_dim=24)  # narrower: no growth
    with pytest.raises(PoetryGenError, match="different model settings"):
        interpolate(base, other, 0.5)


def test_export_with_a_base_stores_the_mixture_and_says_so(tmp_path, capsys):
    base = saved(tmp_path / "base.pt", BASE_VOCAB, 1)
    tuned = saved(tmp_path / "tuned.pt", TUNED_VOCAB, 2)
    out = tmp_path / "mixed.pt"
    args = ["export", str(tmp_path / "tuned.pt"), str(out), "--base", str(tmp_path / "base.pt"), "--weights", "float32"]
    assert main(args + ["--alpha", "0.5"]) == 0
    exported = load_checkpoint(out)
    assert exported.train_state == {"step": 2, "interpolated": {"base": "base.pt", "alpha": 0.5}}
    want = interpolate(base, tuned, 0.5).state_dict()
    assert all(torch.equal(exported.model.state_dict()[k], want[k]) for k in want)
    capsys.readouterr()
    assert main(args) == 2  # --base without --alpha
    assert capsys.readouterr().err.strip() == ("poetry-gen: error: --base and --alpha go together: the base model "
                                               "and the fine-tune's share")


def test_a_fine_tune_that_grew_the_base_mixes_with_the_base_grown_the_same_way(built_corpus, tmp_path,
                                                                              tiny_checkpoint):
    from poetry_gen.data import load_poems

    vocab = load_poems(built_corpus, "train").vocab
    base = tiny_checkpoint(tmp_path / "base.pt", vocab, dropout=0.0)  # 24/32
    out = tmp_path / "run" / "model.pt"
    # a learning rate too small to move a weight: the fine-tune is exactly where its growth started
    assert main(["train", "--data", str(built_corpus), "--out", str(out), "--init", str(base), "--embed", "32",
                 "--hidden", "40", "--max-steps", "1", "--lr", "1e-30", "--warmup", "0", "--weight-decay", "0",
                 "--seed", "7", "--device", "cpu", "--no-amp", "--no-progress", "--eval-interval", "1"]) == 0
    tuned = load_checkpoint(out)
    torch.manual_seed(123)  # the mixture must not depend on the generator's state
    mixed = interpolate(load_checkpoint(base), tuned, 0.5, base_file=str(base)).state_dict()
    for name, weights in tuned.model.state_dict().items():
        assert torch.allclose(mixed[name], weights, atol=1e-6), name  # new units' random weights included
    with pytest.raises(PoetryGenError, match=r"grew from .*base.pt, not .*other.pt: a fine-tune wider than its base "):
        interpolate(load_checkpoint(base), tuned, 0.5, base_file=str(tmp_path / "other.pt"))
    tuned.train_state["optim_config"]["init"] = None  # a wider model trained from scratch
    with pytest.raises(PoetryGenError, match="does not record the --init and seed it grew with"):
        interpolate(load_checkpoint(base), tuned, 0.5)


def test_a_wider_model_of_other_settings_is_refused_as_such(tmp_path):
    base = saved(tmp_path / "base.pt", BASE_VOCAB, 1)
    for settings in ({"hidden_dim": 48, "num_layers": 3}, {"embed_dim": 48, "hidden_dim": 48, "tie_weights": True}):
        other = saved(tmp_path / "other.pt", TUNED_VOCAB, 3, **settings)
        with pytest.raises(PoetryGenError, match="different model settings"):
            interpolate(base, other, 0.5)

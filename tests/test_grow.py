import pytest
import torch

from poetry_gen.checkpoint import Checkpoint, load_checkpoint
from poetry_gen.cli import main
from poetry_gen.config import ModelConfig
from poetry_gen.errors import PoetryGenError
from poetry_gen.grow import widen
from poetry_gen.model import PoetryLM
from poetry_gen.vocab import Vocab


def trained_looking(config: ModelConfig) -> Checkpoint:
    """A model whose every weight is random, the attention's zero-initialised output included, so that
    nothing a growth must carry over is zero by accident."""
    torch.manual_seed(0)
    model = PoetryLM(config)
    with torch.no_grad():
        for weights in model.parameters():
            weights.normal_(0, 0.3)
    vocab = Vocab(["<pad>", "<bos>", "<eos>", "<unk>", "<sep>"] + [chr(0x4e00 + i) for i in range(config.vocab_size - 5)])
    return Checkpoint(model=model.eval(), config=config, vocab=vocab, train_state={})


@pytest.mark.parametrize("attention", ["causal", "none"])
def test_a_widened_model_computes_the_same_logits(attention):
    source = trained_looking(ModelConfig(40, embed_dim=12, hidden_dim=16, num_layers=2, attention_heads=2,
                                         attention=attention))
    grown = widen(source, embed_dim=20, hidden_dim=28)
    assert (grown.config.embed_dim, grown.config.hidden_dim) == (20, 28)
    assert grown.model.lstm.hidden_size == 28 and grown.model.embed.embedding_dim == 20
    ids = torch.randint(0, 40, (3, 17))
    with torch.no_grad():
        before, after = source.model(ids)[0], grown.model(ids)[0]
        assert torch.allclose(before, after, atol=1e-5)
        state, stepped = grown.model.init_state(3), []
        for t in range(ids.shape[1]):
            logits, state = grown.model.step(ids[:, t], state)
            stepped.append(logits)
    assert torch.allclose(torch.stack(stepped, dim=1), before, atol=1e-5)


def test_the_new_units_learn():
    source = trained_looking(ModelConfig(40, embed_dim=12, hidden_dim=16, num_layers=2, attention_heads=2))
    model = widen(source, embed_dim=20, hidden_dim=28).model.train()
    ids = torch.randint(0, 40, (4, 12))
    model(ids, targets=ids.roll(-1, dims=1))[1].backward()
    grads = dict(model.named_parameters())
    assert grads["head.weight"].grad[:, 16:].abs().sum() > 0  # the output layer reads the new units
    new_key = 28 + 13  # the keys follow the 28 queries; head 0's keys are dimensions 0-13 now, 0-7 before
    assert grads["attention.qk.weight"].grad[new_key].abs().sum() > 0


def test_only_growth_of_a_supported_model():
    source = trained_looking(ModelConfig(40, embed_dim=12, hidden_dim=16, attention_heads=2))
    with pytest.raises(PoetryGenError, match="can only be grown: 12/16"):
        widen(source, embed_dim=8, hidden_dim=16)
    with pytest.raises(PoetryGenError, match="not a multiple of the 2 attention heads"):
        widen(source, embed_dim=12, hidden_dim=21)
    without_attention = trained_looking(ModelConfig(40, embed_dim=12, hidden_dim=16, attention="none"))
    assert widen(without_attention, embed_dim=12, hidden_dim=21).config.hidden_dim == 21  # no heads to divide
    tied = trained_looking(ModelConfig(40, embed_dim=12, hidden_dim=16, attention_heads=2, tie_weights=True))
    with pytest.raises(PoetryGenError, match="untied output"):
        widen(tied, embed_dim=16, hidden_dim=16)


@pytest.mark.parametrize("sizes, grown_to", [(["--hidden", "42"], (24, 42)), (["--embed", "256"], (256, 32))])
def test_train_init_grows_the_model_it_starts_from(built_corpus, tmp_path, tiny_checkpoint, sizes, grown_to):
    from poetry_gen.data import load_poems

    vocab = load_poems(built_corpus, "train").vocab
    # 24/32 with 2 heads: 42 is a multiple of its heads (not of the default 4); 256 is the default embedding
    source = load_checkpoint(tiny_checkpoint(tmp_path / "src.pt", vocab, dropout=0.0))
    out = tmp_path / "run" / "model.pt"
    assert main(["train", "--data", str(built_corpus), "--out", str(out), "--init", str(tmp_path / "src.pt"), *sizes,
                 "--max-steps", "1", "--lr", "1e-30", "--warmup", "0", "--weight-decay", "0",
                 "--device", "cpu", "--no-amp", "--no-progress", "--eval-interval", "1"]) == 0
    grown = load_checkpoint(out)
    assert (grown.config.embed_dim, grown.config.hidden_dim) == grown_to
    assert grown.config.num_layers == source.config.num_layers == 1
    ids = torch.randint(vocab.first_char_id, len(vocab), (2, 10))
    with torch.no_grad():
        assert torch.allclose(grown.model(ids)[0], source.model(ids)[0], atol=1e-4)


def test_train_init_refuses_to_shrink(built_corpus, tmp_path, tiny_checkpoint, capsys):
    from poetry_gen.data import load_poems

    source = tiny_checkpoint(tmp_path / "src.pt", load_poems(built_corpus, "train").vocab)
    assert main(["train", "--data", str(built_corpus), "--out", str(tmp_path / "run" / "m.pt"), "--init", str(source),
                 "--hidden", "16", "--device", "cpu", "--no-progress"]) == 2
    assert "a model can only be grown: 24/32 (embedding/hidden) cannot become 24/16" in capsys.readouterr().err

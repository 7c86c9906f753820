"""benchmarks/attention_offsets.py: the profile reads the model's weights at the right distances."""
import numpy as np
import pytest
import torch

from benchmarks.attention_offsets import main, offset_profile
from poetry_gen.vocab import Vocab


class LooksBack:
    """A stand-in model whose head 0 puts all weight `distance` back (or on <bos> when too early) and
    whose head 1 spreads it evenly."""
    attention = True

    def __init__(self, distance):
        self.distance = distance

    def attention_weights(self, ids):
        T = ids.shape[1]
        w = torch.zeros(1, 2, T, T)
        for t in range(T):
            w[0, 0, t, max(t - self.distance, 0)] = 1.0
            w[0, 1, t, : t + 1] = 1.0 / (t + 1)
        return w


def test_offset_profile_finds_the_distance_a_head_looks_back():
    poems = ["春风明月，明月春风。", "明月春风，春风明月。"]
    vocab = Vocab.build(poems)
    profile, uniform = offset_profile(LooksBack(3), vocab, poems, start=4, max_offset=4)
    assert profile.shape == (2, 5)
    assert np.allclose(profile[0], [0, 0, 0, 1, 0])
    ts = np.arange(4, 11)  # positions 4..10 of <bos> + 10 tokens
    assert uniform == pytest.approx(np.mean(1 / (ts + 1)))
    assert np.allclose(profile[1], uniform)  # an even spread gives every distance the uniform share


def test_a_model_without_attention_is_a_usage_error(built_corpus, tiny_checkpoint, tmp_path, capsys):
    from poetry_gen.corpus import load_vocab

    path = tiny_checkpoint(tmp_path / "none.pt", load_vocab(built_corpus), attention="none")
    with pytest.raises(SystemExit) as exit_info:
        main(["--checkpoint", str(path), "--data", str(built_corpus)])
    assert exit_info.value.code == 2 and "no attention layer" in capsys.readouterr().err

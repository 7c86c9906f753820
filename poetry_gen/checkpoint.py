"""Checkpoints: one plain dict per file, loadable with `torch.load(weights_only=True)` so that opening
a checkpoint never runs code from it.

    {"format_version": 1,
     "config": asdict(ModelConfig),      # rebuilds the model
     "state_dict": {...},                # float32, or float16 when saved with half=True (for shipping)
     "vocab": [tokens],                  # Vocab.to_list(); the model is useless without its vocabulary
     "train_state": {...}}               # step, epoch, val_ppl, train config, optimizer (resumable files)
"""
from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import PoetryGenError
from .vocab import Vocab

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    model: "PoetryLM"  # noqa: F821  (eval mode, float32)
    config: "ModelConfig"  # noqa: F821
    vocab: Vocab
    train_state: dict


def atomic_save(obj, path) -> None:
    """torch.save to a temporary file beside `path`, then rename it over `path`: a reader (or a crash)
    never sees a half-written file."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_checkpoint(path, *, model, config, vocab: Vocab, train_state: dict, half: bool = False) -> None:
    """Write a checkpoint atomically. `half=True` stores floating-point weights as float16 (half the
    size, for shipping); `load_checkpoint` turns them back into float32."""
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if half:
        state_dict = {k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()}
    atomic_save({
        "format_version": FORMAT_VERSION,
        "config": asdict(config),
        "state_dict": state_dict,
        "vocab": vocab.to_list(),
        "train_state": train_state,
    }, path)


def read_checkpoint(path, mmap: bool = False) -> dict:
    """The raw checkpoint dict, checked to be one of ours of this format version. `mmap`: the tensors
    are mapped from the file rather than read (faster; copy them before the file may be replaced)."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise PoetryGenError(f"no checkpoint at {path}")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive whose directory sits at the very end
        raise PoetryGenError(f"{path} is not a poetry-gen checkpoint (truncated, or not written by torch.save)")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except (RuntimeError, EOFError, zipfile.BadZipFile, pickle.UnpicklingError, ValueError, OSError):
        raise PoetryGenError(f"{path} is not a poetry-gen checkpoint (corrupt, or holds objects other than "
                             f"tensors and plain data)") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PoetryGenError(f"{path} is not a poetry-gen checkpoint")
    if data["format_version"] != FORMAT_VERSION:
        raise PoetryGenError(f"{path} has checkpoint format version {data['format_version']}; this poetry-gen "
                             f"reads version {FORMAT_VERSION}")
    missing = {"config", "state_dict", "vocab", "train_state"} - data.keys()
    if missing:
        raise PoetryGenError(f"{path} is not a complete poetry-gen checkpoint (missing {', '.join(sorted(missing))})")
    return data


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """The model (eval mode, float32, on `device`), its config, vocabulary and training state."""
    from .model import ModelConfig, PoetryLM

    data = read_checkpoint(path, mmap=True)  # load_state_dict copies the weights out of the mapped file
    try:
        config = ModelConfig(**data["config"])
        model = PoetryLM(config)
        model.load_state_dict(data["state_dict"])  # copy_ casts float16 weights back to float32
        vocab = Vocab(data["vocab"])
    except (TypeError, ValueError, RuntimeError) as err:
        raise PoetryGenError(f"{path} does not hold a model this poetry-gen can build: "
                             f"{str(err).splitlines()[0][:200]}") from None
    return Checkpoint(model.to(device).eval(), config, vocab, data["train_state"])


def export_checkpoint(src, dst, *, half: bool = True, theme_words: str | None = None) -> dict:
    """A copy of checkpoint `src` fit to ship: without the optimizer state (training-only, as large as
    the model), float16 weights when `half`, and, when given, the corpus's attested words that theme
    mapping uses (theme.corpus_theme_words). Returns the written train_state."""
    ckpt = load_checkpoint(src)
    state = {k: v for k, v in ckpt.train_state.items() if k != "optimizer"}
    if theme_words is not None:
        from .theme import CHECKPOINT_KEY

        state[CHECKPOINT_KEY] = theme_words
    save_checkpoint(dst, model=ckpt.model, config=ckpt.config, vocab=ckpt.vocab, train_state=state, half=half)
    return state

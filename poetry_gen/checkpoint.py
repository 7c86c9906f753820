"""Checkpoints: one plain dict per file, loadable with `torch.load(weights_only=True)` so that opening
a checkpoint never runs code from it.

    {"format_version": 2,
     "config": asdict(ModelConfig),      # rebuilds the model
     "state_dict": {...},                # float32, or float16 when saved with half=True (for shipping)
     "vocab": [tokens],                  # Vocab.to_list(); the model is useless without its vocabulary
     "theme_words": str | None,          # the corpus's attested words, for themes (theme.py)
     "train_state": {...}}               # step, epoch, val_ppl, optim_config, run_config,
                                         # optimizer (resumable files)

A file of an older format version is upgraded on reading (`UPGRADES`), so every checkpoint written
since version 1 loads; a stored config that lacks a field newer than it means the field's `absent`
value (config.from_stored).
"""
from __future__ import annotations

import pickle
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Optional

import torch

from .config import ModelConfig, OptimConfig, RunConfig, from_stored
from .errors import PoetryGenError
from .files import write_atomic
from .model import PoetryLM
from .vocab import Vocab

FORMAT_VERSION = 2


@dataclass
class Checkpoint:
    model: PoetryLM  # eval mode, float32
    config: ModelConfig
    vocab: Vocab
    train_state: dict
    theme_words: Optional[str] = None  # corpus.load_theme_words of the training corpus


def save_checkpoint(path, *, model: PoetryLM, vocab: Vocab, train_state: dict, theme_words: Optional[str] = None,
                    half: bool = False) -> None:
    """Write a checkpoint atomically. `half=True` stores floating-point weights as float16 (half the
    size, for shipping); `load_checkpoint` turns them back into float32."""
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    if half:
        state_dict = {k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()}
    data = {"format_version": FORMAT_VERSION, "config": asdict(model.config), "state_dict": state_dict,
            "vocab": vocab.to_list(), "theme_words": theme_words, "train_state": train_state}
    write_atomic(path, lambda f: torch.save(data, f))


def _from_version_1(data: dict) -> dict:
    """Version 1 kept the theme words in train_state and one flat train_config of model, optimisation
    and run fields together."""
    state = dict(data["train_state"])
    data["theme_words"] = state.pop("theme_words", None)
    flat = state.pop("train_config", None)
    if flat is not None:
        for key, part in (("optim_config", OptimConfig), ("run_config", RunConfig)):
            state[key] = {f.name: flat[f.name] for f in fields(part) if f.name in flat}
    data["train_state"] = state
    return data


UPGRADES = {1: _from_version_1}  # format version → the step to the next version


def read_checkpoint(path, mmap: bool = False) -> dict:
    """The raw checkpoint dict, checked to be one of ours and upgraded to this format version. `mmap`: the
    tensors are mapped from the file rather than read (faster; copy them before the file may be replaced)."""
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
    version = data["format_version"]
    if version not in UPGRADES and version != FORMAT_VERSION:
        raise PoetryGenError(f"{path} has checkpoint format version {version}; this poetry-gen "
                             f"reads versions 1 to {FORMAT_VERSION}")
    missing = {"config", "state_dict", "vocab", "train_state"} - data.keys()
    if missing:
        raise PoetryGenError(f"{path} is not a complete poetry-gen checkpoint (missing {', '.join(sorted(missing))})")
    while version in UPGRADES:
        data = UPGRADES[version](data)
        version = data["format_version"] = version + 1
    return data


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """The model (eval mode, float32, on `device`), its config, vocabulary, training state and theme words."""
    data = read_checkpoint(path, mmap=True)  # load_state_dict copies the weights out of the mapped file
    try:
        config = from_stored(ModelConfig, data["config"])
        model = PoetryLM(config)
        model.load_state_dict(data["state_dict"])  # copy_ casts float16 weights back to float32
        vocab = Vocab(data["vocab"])
    except (TypeError, ValueError, RuntimeError, PoetryGenError) as err:
        raise PoetryGenError(f"{path} does not hold a model this poetry-gen can build: "
                             f"{str(err).splitlines()[0][:200]}") from None
    return Checkpoint(model.to(device).eval(), config, vocab, data["train_state"], data["theme_words"])


def export_checkpoint(src, dst, *, half: bool = True, theme_words: Optional[str] = None) -> dict:
    """A copy of checkpoint `src` fit to ship: without the optimizer state (training-only, as large as
    the model), float16 weights when `half`, and the corpus's attested words that theme mapping uses
    (corpus.load_theme_words): `theme_words` when given, else the source's. Returns the written train_state."""
    ckpt = load_checkpoint(src)
    state = {k: v for k, v in ckpt.train_state.items() if k != "optimizer"}
    save_checkpoint(dst, model=ckpt.model, vocab=ckpt.vocab, train_state=state, half=half,
                    theme_words=ckpt.theme_words if theme_words is None else theme_words)
    return state

"""Checkpoints: one plain dict per file, loadable with `torch.load(weights_only=True)` so that opening
a checkpoint never runs code from it.

    {"format_version": 3,
     "config": asdict(ModelConfig),      # rebuilds the model
     "state_dict": {...},                # float32; float16 or int8 for shipping (`weights`)
     "int8_scales": {name: (rows,)},     # float32 scale of each row of every int8 tensor; {} in a float file
     "vocab": [tokens],                  # Vocab.to_list(); the model is useless without its vocabulary
     "theme_words": str | None,          # the corpus's attested words, for themes (theme.py)
     "plan_words": str | None,           # the corpus's plan table, for plans (plan.py); absent before plans
     "train_state": {...}}               # step, epoch, val_ppl, optim_config, run_config,
                                         # optimizer (resumable files)

An int8 matrix holds round(w / scale) per row, scale = max|w| of the row / 127 (symmetric, one scale
per output row: an embedding's token, an LSTM gate unit, an output class), so each row keeps its own
range; `load_checkpoint` multiplies them back into float32.

A file of an older format version is upgraded on reading (`UPGRADES`), so every checkpoint written
since version 1 loads; a stored config that lacks a field newer than it means the field's `absent`
value (config.from_stored).
"""
from __future__ import annotations

import io
import os
import pickle
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Optional

import torch
from torch.overrides import TorchFunctionMode

from .checks import is_whole, shown, shown_value
from .conditioning import PLAN
from .config import WEIGHT_FORMATS, ModelConfig, OptimConfig, RunConfig, from_stored
from .errors import PoetryGenError
from .files import refuse_directory, write_atomic
from .model import PoetryLM
from .vocab import SPECIALS, Vocab

FORMAT_VERSION = 3  # 3: int8 weights (a reader of version 2 would load their integers as weights)


@dataclass
class Checkpoint:
    model: PoetryLM  # eval mode, float32
    config: ModelConfig
    vocab: Vocab
    train_state: dict
    theme_words: Optional[str] = None  # corpus.load_theme_words of the training corpus
    plan_words: Optional[str] = None  # corpus.load_plan_words of the training corpus, if trained with plans

    @property
    def form_tokens(self) -> bool:
        """Whether the model was trained with form tokens before poems (conditioning.py)."""
        optim = self.train_state.get("optim_config")
        trained_with = isinstance(optim, dict) and (optim.get("form_rate") or 0) > 0
        controls = self.vocab.itos[len(SPECIALS):self.vocab.first_char_id]
        return trained_with and any(token != PLAN for token in controls)  # a corpus without them gave none


def save_checkpoint(path, *, model: PoetryLM, vocab: Vocab, train_state: dict, theme_words: Optional[str] = None,
                    plan_words: Optional[str] = None, weights: str = "float32") -> None:
    """Write a checkpoint atomically, its weights stored as `weights` (WEIGHT_FORMATS): float16 halves
    the file, int8 quarters its matrices; `load_checkpoint` turns both back into float32."""
    if weights not in WEIGHT_FORMATS:
        raise PoetryGenError(f"unknown weight format {weights!r}; choose one of {', '.join(WEIGHT_FORMATS)}")
    state_dict = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    scales = {}
    if weights == "int8":
        scales = {k: v for k, v in state_dict.items() if v.is_floating_point() and v.dim() == 2}
        for name, matrix in scales.items():
            state_dict[name], scales[name] = quantize_rows(matrix)
    if weights != "float32":
        state_dict = {k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()}
        if not all(bool(v.isfinite().all()) for v in state_dict.values() if v.is_floating_point()):
            raise PoetryGenError(f"{path}: the weights exceed float16's range (65504); save them as float32")
    data = {"format_version": FORMAT_VERSION, "config": asdict(model.config), "state_dict": state_dict,
            "int8_scales": scales, "vocab": vocab.to_list(), "theme_words": theme_words, "plan_words": plan_words,
            "train_state": train_state}
    # Serialised in memory first, so that a full disk or a failing write is the OSError it is, not a
    # RuntimeError of torch's zip writer.
    buffer = io.BytesIO()
    torch.save(data, buffer)
    write_atomic(path, buffer.getbuffer())


def _from_version_1(data: dict) -> dict:
    """Version 1 kept the theme words in train_state and one flat train_config of model, optimisation
    and run fields together."""
    state = dict(data["train_state"])
    data["theme_words"] = state.pop("theme_words", None)
    flat = state.pop("train_config", None)
    if flat is not None:
        if not isinstance(flat, dict):  # `name in flat` would test substrings of a str and resume on defaults
            raise TypeError(f"train_config is a {type(flat).__name__}, not a dict")
        for key, part in (("optim_config", OptimConfig), ("run_config", RunConfig)):
            state[key] = {f.name: flat[f.name] for f in fields(part) if f.name in flat}
    data["train_state"] = state
    return data


def _from_version_2(data: dict) -> dict:
    """Version 2 stored floating-point weights only."""
    data["int8_scales"] = {}
    return data


UPGRADES = {1: _from_version_1, 2: _from_version_2}  # format version → the step to the next version


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
    if not is_whole(version):  # a list is no key of UPGRADES, and True or 3.0 would pass for 1 or 3
        raise PoetryGenError(f"{path} is not a poetry-gen checkpoint: its format version must be a whole number, "
                             f"not {shown_value(version)}")
    if version not in UPGRADES and version != FORMAT_VERSION:
        raise PoetryGenError(f"{path} has checkpoint format version {version}; this poetry-gen "
                             f"reads versions 1 to {FORMAT_VERSION}")
    missing = {"config", "state_dict", "vocab", "train_state"} - data.keys()
    if missing:
        raise PoetryGenError(f"{path} is not a complete poetry-gen checkpoint (missing {', '.join(sorted(missing))})")
    if not isinstance(data["train_state"], dict):
        raise PoetryGenError(f"{path} does not hold a model this poetry-gen can use: its train_state is not a dict")
    try:
        while version in UPGRADES:
            data = UPGRADES[version](data)
            version = data["format_version"] = version + 1
    except (TypeError, ValueError, KeyError, AttributeError):
        raise PoetryGenError(f"{path} is a malformed checkpoint of format version {version}") from None
    _check_contents(path, data)
    return data


def quantize_rows(matrix: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(int8 matrix, float32 scale of each row): int8 × scale gives back `matrix` within half a step
    (scale / 2) of each row."""
    scale = matrix.float().abs().amax(dim=1) / 127  # (rows,)
    step = torch.where(scale > 0, scale, torch.ones_like(scale))  # an all-zero row stays zero
    return (matrix.float() / step[:, None]).round().clamp(-127, 127).to(torch.int8), scale


@torch.no_grad()
def _scale_rows(model: PoetryLM, scales: dict) -> None:
    """Multiplies the int8 matrices, which load_state_dict copied in as whole numbers, by their rows'
    scales: in place, a third faster to load than building float copies to load from."""
    state = model.state_dict()  # shares the weights' storage
    scaled = set()
    for name, scale in scales.items():
        if state[name].data_ptr() not in scaled:  # a tied embedding and output layer are one tensor: once
            state[name].mul_(scale[:, None])
            scaled.add(state[name].data_ptr())


def _check_contents(path, data: dict) -> None:
    """What the format cannot promise: a vocabulary, a config and weights that fit together, checked
    BEFORE the model is allocated (a small file claiming hidden_dim=12000 would cost gigabytes), and
    finite weights (a NaN model writes 山山山 and scores NaN)."""
    def refuse(why: str):
        raise PoetryGenError(f"{path} does not hold a model this poetry-gen can use: {why}")

    config, state, vocab, train_state = (data[k] for k in ("config", "state_dict", "vocab", "train_state"))
    if not all(isinstance(k, str) for k in train_state):
        refuse("its train_state is not a dict of named entries")
    for words in ("theme_words", "plan_words"):
        if not isinstance(data.get(words), (str, type(None))):
            refuse(f"its {words} are not text")
    if data.get("plan_words") is not None:
        from .plan import check_plan_table  # plan.py imports the theme machinery: only for a model with plans

        try:
            check_plan_table(data["plan_words"])
        except PoetryGenError as err:
            refuse(str(err))
    if not isinstance(vocab, list) or not all(isinstance(token, str) for token in vocab) or not vocab:
        refuse("its vocabulary is not a list of tokens")
    if len(set(vocab)) != len(vocab):
        refuse("its vocabulary repeats tokens")
    try:
        Vocab(vocab)
    except ValueError as err:
        refuse(str(err))
    if not (isinstance(state, dict) and all(isinstance(t, torch.Tensor) for t in state.values())):
        refuse("its state_dict is not a dict of tensors")
    expected = _expected_shapes(config, len(state), refuse)
    if expected.get("embed.weight", (len(vocab),))[0] != len(vocab):
        refuse(f"its vocabulary has {len(vocab):,} tokens, but its config {expected['embed.weight'][0]:,}")
    if expected.keys() != state.keys():
        diff = sorted(expected.keys() ^ state.keys())
        refuse(f"its weights do not match its config ({', '.join(diff[:4])}{' …' if len(diff) > 4 else ''})")
    for name, tensor in state.items():
        if tuple(tensor.shape) != expected[name]:
            refuse(f"{name} has shape {tuple(tensor.shape)}, but its config makes it {expected[name]}")
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            refuse(f"non-finite weights (NaN or Inf in {name})")
    _check_scales(data.get("int8_scales"), state, refuse)
    if train_state.get("optim_config") is not None:  # read by form_tokens and by --init growth (interpolate.py)
        _stored_config(OptimConfig, train_state["optim_config"], "optim_config", refuse)


def _check_scales(scales, state: dict, refuse) -> None:
    """Every int8 tensor, and only those, has one finite float32 scale per row."""
    if not (isinstance(scales, dict) and all(isinstance(t, torch.Tensor) for t in scales.values())):
        refuse("its int8_scales are not a dict of tensors")
    int8 = {name for name, tensor in state.items() if tensor.dtype == torch.int8}
    if scales.keys() != int8:
        refuse(f"its int8 weights and their scales do not match ({', '.join(sorted(scales.keys() ^ int8)[:4])})")
    for name, scale in scales.items():
        if state[name].dim() != 2 or tuple(scale.shape) != (state[name].shape[0],) or scale.dtype != torch.float32:
            refuse(f"the scales of {name} are not one float32 number per row")
        if not bool(torch.isfinite(scale).all()):
            refuse(f"non-finite weights (NaN or Inf in the scales of {name})")


def _expected_shapes(config, tensors: int, refuse) -> dict:
    """{name: shape} of the model `config` builds, from a model on the meta device (no memory)."""
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        refuse("its config is not a dict")
    layers = config.get("num_layers", 1)
    if not isinstance(layers, int) or not 0 < layers <= tensors:  # each layer has tensors of its own
        refuse(f"num_layers {layers!r} does not fit its {tensors} tensors")
    model_config = _stored_config(ModelConfig, config, "config", refuse)
    try:
        with torch.device("meta"), _SkipInit():
            model = PoetryLM(model_config)
    except (TypeError, ValueError, RuntimeError, PoetryGenError) as err:
        refuse(str(err).splitlines()[0][:200] if str(err) else type(err).__name__)
    return {name: tuple(t.shape) for name, t in model.state_dict().items()}


def _stored_config(cls, stored, what: str, refuse):
    """Config class `cls` from the checkpoint's dict `stored` (from_stored), every field checked as a user's
    option is, by the class's validate: its type and its range."""
    if not isinstance(stored, dict) or not all(isinstance(k, str) for k in stored):
        refuse(f"its {what} is not a dict")
    unknown = sorted(stored.keys() - {f.name for f in fields(cls)})
    if unknown:  # a newer poetry-gen's options, or not a config at all
        refuse(f"its {what} has fields this poetry-gen does not know: {shown(', '.join(unknown))}")
    try:
        return from_stored(cls, stored)
    except PoetryGenError as err:
        refuse(f"in its {what}, {err}")


class _SkipInit(TorchFunctionMode):
    """Leaves torch.nn.init's functions undone while a model is built whose weights will all be
    replaced (or that is built on the meta device for its shapes only). Random initialisation costs
    a quarter of a second on the CPU, and on the meta device it imports torch._dynamo (seconds)."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if getattr(func, "__module__", None) == "torch.nn.init":
            return args[0] if args else kwargs["tensor"]
        return func(*args, **kwargs)


def load_checkpoint(path, device="cpu") -> Checkpoint:
    """The model (eval mode, float32, on `device`), its config, vocabulary, training state and theme words."""
    data = read_checkpoint(path, mmap=True)  # load_state_dict copies the weights out of the mapped file
    try:
        config = from_stored(ModelConfig, data["config"])
        with _SkipInit():  # every weight comes from the file: load_state_dict is strict
            model = PoetryLM(config)
        model.load_state_dict(data["state_dict"])  # copy_ casts float16 and int8 weights to float32
        _scale_rows(model, data["int8_scales"])
        vocab = Vocab(data["vocab"])
    except (TypeError, ValueError, RuntimeError, PoetryGenError) as err:
        raise PoetryGenError(f"{path} does not hold a model this poetry-gen can build: "
                             f"{str(err).splitlines()[0][:200]}") from None
    return Checkpoint(model.to(device).eval(), config, vocab, data["train_state"], data["theme_words"],
                      data.get("plan_words"))


def export_checkpoint(src, dst, *, weights: str = "int8", theme_words: Optional[str] = None, base=None,
                      alpha: Optional[float] = None) -> dict:
    """A copy of checkpoint `src` fit to ship: without the optimizer state (training-only, as large as
    the model), its weights stored as `weights` (WEIGHT_FORMATS), and the corpus's attested words that
    theme mapping uses (corpus.load_theme_words): `theme_words` when given, else the source's. With
    `base`, the checkpoint `src` was fine-tuned from, the weights are (1 - alpha) · base + alpha · src
    (interpolate.py), and train_state records it. Returns the written train_state."""
    if (base is None) != (alpha is None):
        raise PoetryGenError("--base and --alpha go together: the base model and the fine-tune's share")
    ckpt = load_checkpoint(src)
    _check_export_target(dst, src, base)
    state = {k: v for k, v in ckpt.train_state.items() if k != "optimizer"}
    if base is not None:
        from .interpolate import interpolate  # it builds on train's warm start, which imports this module

        ckpt.model = interpolate(load_checkpoint(base), ckpt, alpha, base_file=str(base))
        state["interpolated"] = {"base": Path(base).name, "alpha": alpha}
    save_checkpoint(dst, model=ckpt.model, vocab=ckpt.vocab, train_state=state, weights=weights,
                    theme_words=ckpt.theme_words if theme_words is None else theme_words, plan_words=ckpt.plan_words)
    return state


def _check_export_target(dst, src, base=None) -> None:
    """An export replaces only an earlier export: never its own source or base, never a resumable
    checkpoint (its optimizer state would be lost) or a run's best model, never a file that is not a
    checkpoint."""
    if os.path.isdir(dst):
        raise PoetryGenError(f"{dst} is a directory; give the path of the file to write")
    refuse_directory(dst)  # 'out/': before Path() drops the '/' and the mixing is done for nothing
    dst = Path(dst)
    if not dst.exists():
        return
    for role, read in (("the checkpoint being exported", src), ("its --base", base)):
        if read is not None and os.path.exists(read) and os.path.samefile(read, dst):  # a missing one: load's error
            raise PoetryGenError(f"{dst} is {role}; write the export to another path")
    try:
        resumable = "optimizer" in read_checkpoint(dst)["train_state"]
    except PoetryGenError:
        raise PoetryGenError(f"{dst} exists and is not a poetry-gen checkpoint; export to another path") from None
    if resumable:
        raise PoetryGenError(f"{dst} is a resumable checkpoint (it holds optimizer state); export to another path")
    from .train import last_checkpoint_path  # train imports this module

    last = last_checkpoint_path(dst)
    if last.exists():  # a run's best model: the run would go on beside a model it did not train
        raise PoetryGenError(f"{dst} is the best model of the training run beside it ({last.name}); export to "
                             f"another path")

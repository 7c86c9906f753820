"""Where torch runs: the device a name asks for, and whether bf16 pays on it (autocast for training, the
matrices in bfloat16 for writing). Training, generation, evaluation and the benchmark all choose it here."""
from __future__ import annotations

import torch

from .config import PRECISIONS
from .errors import PoetryGenError


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """"auto" (CUDA when torch sees a GPU, else the CPU), "cpu" or "cuda" (GPU `local_rank`)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise PoetryGenError("--device cuda was asked for, but torch sees no CUDA GPU")
        return torch.device("cuda", local_rank)
    if name == "cpu":
        return torch.device("cpu")
    raise PoetryGenError(f"unknown device {name!r} (use auto, cpu or cuda)")


def default_amp(device: torch.device) -> bool:
    """Whether bf16 autocast is the faster choice, as measured on this project's model: on CPUs with
    native bf16 instructions (avx512_bf16, AMX) training ran 1.5× faster with the same loss and gradients
    (cosine 0.9996); on an H200 it was slower than float32 (cuDNN's bf16 LSTM), so GPUs train in
    float32 with TF32 matrix products unless asked."""
    if device.type != "cpu":
        return False
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # private torch.cpu helpers: may vanish
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def resolve_precision(name: str, device: torch.device) -> str:
    """"auto" (bfloat16 where default_amp finds native bf16 instructions, else float32), "float32" or
    "bfloat16" (emulated, and slower than float32, on a CPU without them)."""
    if name == "auto":
        return "bfloat16" if default_amp(device) else "float32"
    if name not in PRECISIONS:
        raise PoetryGenError(f"unknown precision {name!r} (use auto, float32 or bfloat16)")
    return name

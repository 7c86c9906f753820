"""poetry_gen: learn classical Chinese poetry from a corpus and write new poems.

    >>> from poetry_gen import SamplingOptions, load_generator
    >>> gen = load_generator()
    >>> print(gen.acrostic("春夏秋冬", form="七绝", seed=1)[0].text)
    >>> gen.generate(options=SamplingOptions(temperature=0.6, num=3), seed=2)   # [Poem, Poem, Poem]

Importing the package is cheap: torch, OpenCC and jieba load when first used, so `Generator` and `Poem`
(generator.py, which imports torch) are looked up on first access.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .config import SamplingOptions
from .errors import PoetryGenError

if TYPE_CHECKING:
    from .generator import Generator, Poem

__version__ = "0.1.0"  # the one place: pyproject.toml reads it (tool.setuptools.dynamic)
__all__ = ["Generator", "Poem", "PoetryGenError", "SamplingOptions", "load_generator", "__version__"]
_FROM_GENERATOR = ("Generator", "Poem")


def __getattr__(name: str):
    if name in _FROM_GENERATOR:
        from . import generator

        return getattr(generator, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_generator(path=None, device=None, threads=None, cache_dir=None, precision="auto"):
    """Load a trained model for writing poems; `path=None` loads the default model shipped in checkpoints/.
    `cache_dir` (e.g. "~/.cache/poetry_gen"): keep what is computed once per model there, so that the next
    load is fast. `precision`: "auto" (bfloat16 matrices on a CPU with native bf16, else float32),
    "float32" or "bfloat16"."""
    from .generator import load_generator as _load

    return _load(path=path, device=device, threads=threads, cache_dir=cache_dir, precision=precision)

"""poetry_gen: learn classical Chinese poetry from a corpus and write new poems.

    >>> from poetry_gen import load_generator
    >>> gen = load_generator()
    >>> print(gen.acrostic("春夏秋冬", form="七绝", seed=1)[0].text)

Importing the package is cheap: torch, OpenCC and jieba load when first used.
"""
from .errors import PoetryGenError

__version__ = "0.1.0"
__all__ = ["PoetryGenError", "load_generator", "__version__"]


def load_generator(path=None, device=None, threads=None, cache_dir=None):
    """Load a trained model for writing poems; `path=None` loads the default model shipped in checkpoints/.
    `cache_dir` (e.g. "~/.cache/poetry_gen"): keep what is computed once per model there, so that the next
    load is fast."""
    from .generator import load_generator as _load

    return _load(path=path, device=device, threads=threads, cache_dir=cache_dir)

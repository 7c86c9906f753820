"""A cache of what is computed once per model and kept between runs (the sampler's vocabulary tables).

One file per kind of entry in the cache directory (the CLI's is $XDG_CACHE_HOME/poetry_gen), a plain
dict of tensors, lists and strings that loads with `torch.load(weights_only=True)`, so that opening it
never runs code. The entry records the key it was computed for; a file with another key, or one that
does not load (truncated, foreign), counts as missing and is computed again and rewritten. Writes are
atomic, and a cache that cannot be written (read-only disk) only costs the time to compute.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Iterable, Optional

import torch

from .files import write_atomic


def key_of(parts: Iterable) -> str:
    """A hex digest naming everything an entry depends on (each part: str, bytes or int)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "little") + data)  # lengths keep ("ab", "c") ≠ ("a", "bc")
    return digest.hexdigest()


def file_stamp(path) -> str:
    """Size and modification time of a file the entry was computed from ('' when it is not there)."""
    try:
        stat = Path(path).stat()
    except OSError:
        return ""
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def cached(cache_dir, name: str, key: str, compute: Callable[[], dict]) -> dict:
    """The entry `name` for `key` from `cache_dir`, or `compute()`, stored there for the next run.
    `cache_dir=None`: always compute."""
    if cache_dir is None:
        return compute()
    path = Path(cache_dir).expanduser() / f"{name}.pt"
    entry = _read(path)
    if entry is not None and entry.get("key") == key:
        return entry["data"]
    data = compute()
    try:
        write_atomic(path, lambda f: torch.save({"key": key, "data": data}, f))
    except OSError:
        pass  # no cache this time; the next run computes again
    return data


def _read(path: Path) -> Optional[dict]:
    try:
        entry = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001  a missing, truncated or foreign file is a cache miss, whatever torch raises
        return None
    return entry if isinstance(entry, dict) and "data" in entry else None

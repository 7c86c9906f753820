"""Atomic writes of files and directories: a reader, or an interrupted run, never sees a half-written one;
and the data files of installed packages (`package_data`).

Everything is written under a fresh hidden name beside its target (the same file system, so the final
rename is atomic) and renamed over the target only when complete; on any error the temporary is
removed and the target stays as it was. New files and directories get the usual permissions (those
the umask leaves), never tempfile's owner-only 0600/0700: models, corpora and pictures are for sharing.
"""
from __future__ import annotations

import errno
import glob
import json
import os
import re
import secrets
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterator, Optional, Union

from .errors import PoetryGenError


def write_atomic(path, content: Union[str, bytes, Callable[[BinaryIO], None]]) -> Path:
    """Write `content` to `path`: text (UTF-8), bytes, or a function that writes to the open binary
    file (e.g. `lambda f: torch.save(obj, f)`)."""
    refuse_directory(path)
    path = _named(path)
    _make_parent(path)
    tmp = _sibling(path, "tmp")
    try:
        with open(tmp, "xb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())  # the data is on disk before the rename makes it the file
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        # A failed write (a full disk) names no file, a failed create or rename names the temporary:
        # either way, name the file the user asked for.
        if err.filename in (None, os.fspath(tmp)):
            raise OSError(err.errno, err.strerror, str(path)) from err
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path, obj: Any, indent: Optional[int] = 1) -> Path:
    """Write `obj` as JSON (UTF-8, characters as they are, one newline at the end), atomically."""
    return write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=indent) + "\n")


@contextmanager
def replacing_directory(path) -> Iterator[Path]:
    """A fresh empty directory beside `path` to fill; when the block ends without an error it takes
    `path`'s place (the old directory steps aside and is deleted after), otherwise it is deleted. Not the
    directory this process works in, or one holding it: a shell there would be left in a deleted one."""
    path = _named(path)
    if Path.cwd().resolve().is_relative_to(path.resolve()):
        raise PoetryGenError(f"{path}: the current directory (or one holding it) is not replaced; name another")
    _make_parent(path)
    tmp = _sibling(path, "tmp")
    try:
        tmp.mkdir()
    except OSError as err:  # name the directory asked for, not the temporary
        raise OSError(err.errno, err.strerror, str(path)) from err
    try:
        yield tmp
        if path.exists():
            old = _sibling(path, "old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_orphans(path) -> list:
    """Delete the temporaries that a write_atomic of `path` killed mid-write (SIGKILL, power loss) left
    beside it; returns their paths. Only while no other process can be writing `path`."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{8}}\.tmp")
    orphans = [p for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp") if pattern.fullmatch(p.name)]
    for orphan in orphans:
        orphan.unlink(missing_ok=True)
    return orphans


def refuse_directory(path) -> None:
    """IsADirectoryError naming `path` where a file is to be written but a directory stands, and
    PoetryGenError where `path` names a directory by its form (names_no_file): said before the work of
    writing it, not as a failed rename of a temporary the user never named."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if not os.fspath(path):
        raise PoetryGenError("the path to write is empty: name a file")
    if names_no_file(path):
        raise PoetryGenError(f"{os.fspath(path)} names a directory, not a file to write")


def names_no_file(path) -> bool:
    """Whether `path` names a directory by its form: empty (the current one), ending in a separator, or in
    '.' or '..'. Path() would drop a trailing '/' and write 'run/' as the file 'run'."""
    name = os.fspath(path)
    return not name or name.endswith(tuple(filter(None, (os.sep, os.altsep)))) or \
        os.path.basename(name) in (".", "..")


def _make_parent(path: Path) -> None:
    """`path`'s directory, made where missing; NotADirectoryError (not mkdir's "File exists") where a file
    stands in its way."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as err:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), err.filename) from None


def _named(path) -> Path:
    """`path`, absolute where it ends in '.' or '..': those name no entry to put a temporary beside."""
    path = Path(path)
    return Path(os.path.abspath(path)) if path.name in ("", "..") else path


def _sibling(path: Path, suffix: str) -> Path:
    """A fresh hidden name next to `path`, on the same file system."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.{suffix}")


def read_bytes_bounded(path, limit: int, what: str) -> bytes:
    """The bytes of `path`, refused past `limit` bytes: reading stops there, so /dev/zero or a file
    grown by mistake costs `limit` and no more. `what` names the limit in the message."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise PoetryGenError(f"{path}: larger than {limit / 2 ** 20:,.0f} MiB, the most {what}")
    return data


def package_data(package: str, path: str, purpose: str) -> Path:
    """Where the installed `package` keeps its data file `path`; without the package, a one-line error
    that says what needs it (`purpose`) and what to install."""
    from importlib import metadata

    try:
        return Path(metadata.distribution(package).locate_file(path))
    except metadata.PackageNotFoundError:
        raise PoetryGenError(f"{purpose} needs the {package} package (pip install {package})") from None

"""Writing text files so that a reader, or an interrupted run, never sees a half-written one."""
from __future__ import annotations

import os
import uuid
from pathlib import Path


def write_text_atomic(path, text: str) -> Path:
    """Write to a temporary file beside `path`, then rename it over `path`. Not tempfile.mkstemp: a
    file to share gets the usual permissions (umask), not mkstemp's owner-only 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path

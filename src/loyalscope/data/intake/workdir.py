"""Where staged files live: one temporary folder per process, removed at exit."""

from __future__ import annotations

import atexit
import itertools
import shutil
import tempfile
from pathlib import Path

_dir: Path | None = None
_seq = itertools.count(1)


def workdir() -> Path:
    """The process's staging folder (created on first use, removed at interpreter exit)."""
    global _dir
    if _dir is None or not _dir.exists():
        _dir = Path(tempfile.mkdtemp(prefix="loyalscope-stage-"))
        atexit.register(shutil.rmtree, _dir, True)
    return _dir


def new_path(folder: Path | None, name: str, suffix: str) -> Path:
    """A fresh file name in ``folder`` (default :func:`workdir`) for a staged ``name``."""
    base = folder or workdir()
    base.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:60] or "file"
    return base / f"{next(_seq):05d}-{safe}{suffix}"

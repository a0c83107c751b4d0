"""Staging compressed files: ``.gz`` (one file) and ``.zip`` (every supported member).

Members are inflated in a streaming pass with a running byte count that stops at
``[data] max_decompressed_mb`` (see :mod:`.limits`), into the staging folder under generated
names (member names never become paths). Members that are folders, macOS resource forks,
archives inside the archive or unsupported types are listed in the notes with the reason.
Member names stored without the UTF-8 flag are decoded as UTF-8 or GB18030 (Chinese Windows
zips), not as cp437.
"""

from __future__ import annotations

import dataclasses
import gzip
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake.limits import (
    MAX_RATIO,
    RATIO_FLOOR,
    Limits,
    check_declared,
    open_zip,
    too_big,
    too_dense,
)
from loyalscope.data.intake.model import Staged
from loyalscope.data.intake.workdir import new_path
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

StageFn = Callable[[Path, str, AnalysisConfig, Path | None, str | None], list[Staged]]
_COPY = 1 << 20


def _copy(src: Any, dest: Path, source: str, limits: Limits, used: int, packed: int) -> int:
    """Copy ``src`` to ``dest`` in chunks; the running total may not pass the limit, nor the
    member inflate beyond :data:`~.limits.MAX_RATIO` times its ``packed`` size."""
    size = 0
    with dest.open("wb") as out:
        while chunk := src.read(_COPY):
            used += len(chunk)
            size += len(chunk)
            if used > limits.bytes or (size > RATIO_FLOOR and size > MAX_RATIO * max(packed, 1)):
                out.close()
                dest.unlink()
                if used > limits.bytes:
                    raise too_big(source, used, limits)
                raise too_dense(source, size, packed)
            out.write(chunk)
    return used


def _corrupt(source: str, exc: Exception) -> SchemaError:
    return SchemaError(t("data.intake.corrupt", name=source, error=str(exc)[:200]), file=source,
                       fix=t("data.intake.corrupt_fix"))


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437", errors="replace")
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return info.filename


def stage_archive(path: Path, source: str, config: AnalysisConfig, folder: Path | None,
                  stage_fn: StageFn) -> list[Staged]:
    """Stage the .gz or .zip file ``path``."""
    limits = Limits.of(config)
    name = PurePosixPath(source.split("!")[-1]).name
    if name.lower().endswith(".gz"):
        inner = name[:-3] or "data"
        dest = new_path(folder, inner, PurePosixPath(inner).suffix)
        try:
            with gzip.open(path, "rb") as fh:
                _copy(fh, dest, source, limits, 0, path.stat().st_size)
        except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
            raise _corrupt(source, exc) from exc
        return stage_fn(dest, source, config, folder, inner)
    return _stage_zip(path, source, config, folder, stage_fn, limits)


def _stage_zip(path: Path, source: str, config: AnalysisConfig, folder: Path | None,
               stage_fn: StageFn, limits: Limits) -> list[Staged]:
    from loyalscope.data.intake import ARCHIVE_SUFFIXES, supported

    out: list[Staged] = []
    notes: list[str] = []
    used = 0
    with open_zip(path, source) as zf:
        check_declared(zf, source, limits)
        for info in zf.infolist():
            name = member_name(info)
            base = PurePosixPath(name).name
            if info.is_dir() or name.startswith("__MACOSX/") or base.startswith((".", "~$")):
                continue
            if name.lower().endswith(ARCHIVE_SUFFIXES) and not name.lower().endswith(".gz"):
                notes.append(t("data.intake.member_archive", member=name))
                continue
            if not supported(base):
                notes.append(t("data.intake.member_unsupported", member=name))
                continue
            dest = new_path(folder, base, PurePosixPath(base).suffix)
            try:
                with zf.open(info) as fh:
                    used = _copy(fh, dest, source, limits, used, info.compress_size)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                raise _corrupt(f"{source}!{name}", exc) from exc
            out.extend(stage_fn(dest, f"{source}!{name}", config, folder, base))
    if not out:
        raise SchemaError(t("data.intake.zip_empty", name=source), file=source,
                          fix=t("data.intake.zip_empty_fix"))
    first = out[0]
    out[0] = dataclasses.replace(first, notes=(*notes, *first.notes))
    return out

"""Staging: one user file -> files an engine reader reads directly (interface 1 in TEAM.md).

The real implementation is ``loyalscope.data.intake.stage`` (encodings decided per file with
evidence, spreadsheets, JSON, archives). Until it lands this module is the minimal stand-in
with the same contract: a UTF-8 CSV / JSON Lines / Parquet file is staged as itself; a text
file in another encoding is transcoded, in chunks, to a temporary UTF-8 file (line breaks stay
where they were, so line numbers are the original ones); an .xlsx sheet becomes a Parquet file
of strings with a ``_line`` column. :func:`stage` prefers the intake package when present.
"""

from __future__ import annotations

import atexit
import codecs
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from loyalscope.config import AnalysisConfig

_GB_FAMILY = ("gb2312", "gbk", "gb18030", "hz", "cp936")
_TMP: list[Path] = []


@dataclass(frozen=True)
class Staged:
    """A file an engine reader reads directly (see TEAM.md, interface 1)."""

    source: str
    path: Path
    format: Literal["csv", "parquet", "jsonl"]
    encoding: Any = None
    bad_lines: tuple[tuple[int, str, str], ...] = ()
    notes: tuple[str, ...] = field(default=())
    line_column: str | None = None


def _tmpdir() -> Path:
    if not _TMP:
        _TMP.append(Path(tempfile.mkdtemp(prefix="loyalscope-stage-")))
        atexit.register(shutil.rmtree, _TMP[0], ignore_errors=True)
    return _TMP[0]


def detect_encoding(data: bytes) -> str:
    """Encoding of ``data``: BOMs first, then strict UTF-8, then charset-normalizer.

    Any GB-family guess (GB2312, GBK, ...) is widened to ``gb18030``, their superset.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # a sample cut inside a multi-byte character
            return "utf-8"
    from charset_normalizer import from_bytes

    matches = from_bytes(data[:200_000])
    names = [m.encoding.lower().replace("_", "") for m in matches]
    if any(n.replace("-", "") in _GB_FAMILY for n in names) or not names:
        try:
            data.decode("gb18030")
            return "gb18030"
        except UnicodeDecodeError:
            pass
    best = matches.best()
    return best.encoding if best is not None else "gb18030"


def _transcode(path: Path, encoding: str) -> Path:
    out = _tmpdir() / f"{len(list(_tmpdir().iterdir()))}_{path.stem}.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while chunk := src.read(1 << 22):
            dst.write(decoder.decode(chunk))
        dst.write(decoder.decode(b"", final=True))
    return out


_LONE_CR = re.compile(rb"\r(?!\n)")


def _has_lone_cr(path: Path) -> bool:
    with path.open("rb") as fh:
        prev = b""
        while chunk := fh.read(1 << 22):
            if _LONE_CR.search(prev + chunk[:-1] if len(chunk) > 1 else prev + chunk):
                return True
            prev = chunk[-1:]
        return prev == b"\r"


def _normalise_cr(path: Path, encoding: str) -> Path:
    """A copy with every lone CR as LF: a line break is LF, CRLF or a lone CR (as Python's
    universal newlines count them), and the engines' line readers then agree."""
    out = _tmpdir() / f"{len(list(_tmpdir().iterdir()))}_{path.stem}{path.suffix}"
    with path.open("r", encoding=encoding, errors="replace", newline=None) as src, \
            out.open("w", encoding="utf-8", newline="\n") as dst:
        while chunk := src.read(1 << 22):
            dst.write(chunk)
    return out


def _xlsx(path: Path) -> Path:
    import pandas as pd

    from loyalscope.data.sources import cell_str

    frame = pd.read_excel(path, dtype=object, engine="openpyxl")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.map(cell_str).astype("string")
    frame["_line"] = range(2, len(frame) + 2)
    out = _tmpdir() / f"{len(list(_tmpdir().iterdir()))}_{path.stem}.parquet"
    frame.to_parquet(out, index=False)
    return out


def stage(path: Path, config: AnalysisConfig) -> list[Staged]:
    """Stage one user file (the intake package's ``stage`` when it is installed)."""
    try:
        from loyalscope.data.intake import stage as intake_stage
    except ImportError:
        intake_stage = None
    if intake_stage is not None:
        return list(intake_stage(path, config))
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return [Staged(str(path), path, "parquet")]
    if suffix in (".xlsx", ".xlsm"):
        return [Staged(str(path), _xlsx(path), "parquet", line_column="_line")]
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    enc = config.data.encoding or detect_encoding(head)
    fmt: Literal["csv", "jsonl"] = "jsonl" if suffix in (".jsonl", ".ndjson") else "csv"
    utf8 = enc.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig", "ascii")
    if _has_lone_cr(path):
        return [Staged(str(path), _normalise_cr(path, "utf-8" if utf8 else enc), fmt, encoding=enc)]
    if utf8:
        return [Staged(str(path), path, fmt, encoding=enc)]
    return [Staged(str(path), _transcode(path, enc), fmt, encoding=enc)]

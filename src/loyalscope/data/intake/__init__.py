"""Intake: user files -> files an engine reader reads directly (interface 1, see TEAM.md).

``stage(path, config)`` turns one user file into one or more :class:`Staged` files:

======================  ===========================================================  ========
input                   staged as                                                    format
======================  ===========================================================  ========
.csv .tsv .txt .tab     itself when valid UTF-8 (BOM or not); else a UTF-8 copy     csv
                        whose line ``n`` is the original's line ``n``
.xlsx .xlsm .xls .xlsb  one Parquet file per visible sheet that holds a table, best   parquet
.ods                    sheet first: all columns strings + ``_line`` (sheet row)
.json .jsonl .ndjson    Parquet, all columns strings + ``_line`` (first line of the   parquet
                        record); duplicate keys and broken records are bad lines
.parquet .pq            itself, after structure checks (readable, unique columns)    parquet
.gz                     the decompressed file, staged as above                       any
.zip                    every supported member, staged as above                      any
======================  ===========================================================  ========

Encodings are decided per file with evidence (:mod:`.encoding`); undecodable lines become
``bad_lines``. Decompressed sizes and spreadsheet cell counts are limited by
``[data] max_decompressed_mb`` and ``[data] max_cells`` (zip bombs end in a clear error).
Every problem is a :class:`~loyalscope.errors.LoyalscopeError` naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.data.intake.model import (
    LINE_COLUMN,
    BadLine,
    EncodingDecision,
    Staged,
    StagedFormat,
    Unused,
)
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
PARQUET_SUFFIXES = (".parquet", ".pq")
ARCHIVE_SUFFIXES = (".gz", ".zip")
SUFFIXES = TEXT_SUFFIXES + JSON_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES + ARCHIVE_SUFFIXES
"""Every suffix :func:`stage` reads (``.csv.gz`` is ``.gz``)."""


def file_info(source: str, staged: Staged | None) -> dict[str, object]:
    """What the quality report shows of one source: format, encoding with its confidence and
    evidence, and the number of undecodable lines."""
    info: dict[str, object] = {"source": source}
    if staged is None:
        return info
    info["format"] = staged.format if staged.line_column is None else Path(
        staged.member or staged.source.split("!")[0]).suffix.lstrip(".").lower()
    if staged.sheet:
        info["sheet"] = staged.sheet
    if staged.encoding is not None:
        info.update(staged.encoding.to_dict())
        info["encoding"] = info.pop("name")
    info["bad_lines"] = len(staged.bad_lines)
    return info


def supported(name: str) -> bool:
    """Whether :func:`stage` reads a file of this name."""
    return name.lower().endswith(SUFFIXES)


def readable(path: Path) -> bool:
    """Whether :func:`stage` reads the file ``path``: a supported name, or a text file without
    an extension (see :func:`plain_text_without_suffix`)."""
    return supported(path.name) or plain_text_without_suffix(path)


def plain_text_without_suffix(path: Path) -> bool:
    """A file without an extension whose start reads as delimited text: no NUL byte in its first
    64 KiB, a line break, and two tabs, commas, semicolons or pipes in its first line, or lines
    of one number of space-separated fields, at least three (the Ta Feng grocery files ``D01``,
    ``D02``, ``D11``, ``D12``; not a README). Hidden files are not."""
    if path.suffix or path.name.startswith(".") or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    if not head or b"\x00" in head or b"\n" not in head:
        return False
    from loyalscope.data.intake.text import spaced_columns

    lines = [line for line in head.split(b"\n")[:-1] if line.strip()][:50]
    if lines and any(lines[0].count(d) >= 2 for d in (b"\t", b",", b";", b"|")):
        return True
    return spaced_columns(lines)


def stage(path: str | Path, config: AnalysisConfig | None = None, *,
          folder: Path | None = None) -> list[Staged]:
    """Stage the user file ``path`` for the engine readers.

    Parameters
    ----------
    path : str or Path
        One file (not a folder).
    config : AnalysisConfig, optional
        ``[data] encoding`` forces the text encoding; ``[data] max_decompressed_mb`` and
        ``[data] max_cells`` bound archives and spreadsheets.
    folder : Path, optional
        Where staged copies go (default: a per-process temporary folder removed at exit).

    Returns
    -------
    list of Staged
        One entry per table found: one for a text, JSON or Parquet file; one per visible sheet
        holding a table (the best first: most recognised column names, then most rows); one per
        supported member of a .zip. Files staged as themselves are not copied.

    Raises
    ------
    SchemaError
        Empty, corrupt, encrypted or unsupported files; a spreadsheet without any table.
    DataQualityError
        An encoding that cannot be decided (the fix names ``[data] encoding``); a limit
        exceeded (the fix names the setting).
    """
    config = config or AnalysisConfig()
    p = Path(path)
    return _stage(p, p.name, config, folder, None)


def _stage(path: Path, source: str, config: AnalysisConfig, folder: Path | None,
           member: str | None) -> list[Staged]:
    low = path.name.lower() if member is None else member.lower()
    if not path.is_file():
        raise SchemaError(t("data.sources.not_found", path=path), file=source,
                          fix=t("data.sources.not_found_fix"))
    if path.stat().st_size == 0:
        raise SchemaError(t("data.intake.empty", name=source), file=source,
                          fix=t("data.intake.empty_fix"))
    if low.endswith(ARCHIVE_SUFFIXES):
        from loyalscope.data.intake.archive import stage_archive

        return stage_archive(path, source, config, folder, _stage)
    if low.endswith(TEXT_SUFFIXES) or (member is None and plain_text_without_suffix(path)):
        from loyalscope.data.intake.text import stage_text

        return [stage_text(path, source, config, folder, member)]
    if low.endswith(JSON_SUFFIXES):
        from loyalscope.data.intake.jsonfile import stage_json

        return [stage_json(path, source, config, folder, member)]
    if low.endswith(EXCEL_SUFFIXES):
        from loyalscope.data.intake.excel import stage_excel

        return stage_excel(path, source, config, folder, member)
    if low.endswith(PARQUET_SUFFIXES):
        from loyalscope.data.intake.parquet import stage_parquet

        return [stage_parquet(path, source, member)]
    raise SchemaError(t("data.intake.unsupported", name=source), file=source,
                      fix=t("data.intake.unsupported_fix", suffixes=" ".join(SUFFIXES)))


__all__ = [
    "LINE_COLUMN", "SUFFIXES", "BadLine", "EncodingDecision", "Staged", "StagedFormat", "Unused",
    "file_info", "plain_text_without_suffix", "readable", "stage", "supported",
]

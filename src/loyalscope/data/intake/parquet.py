"""Structure checks of user Parquet files: readable, unique column names.

A Parquet file is staged as itself (typed); value checks per canonical column (booleans given
as amounts, dates before 1900) belong to validation. What is checked here would otherwise end
in a reader's traceback: a 0-byte, truncated or non-Parquet file, and duplicate column names.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from loyalscope.data.intake.model import Staged
from loyalscope.errors import SchemaError
from loyalscope.i18n import t


def stage_parquet(path: Path, source: str, member: str | None = None) -> Staged:
    """Check ``path`` and stage it as itself."""
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path)
        names = meta.schema_arrow.names
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for junk
        raise SchemaError(t("data.intake.corrupt", name=source, error=str(exc)[:200]),
                          file=source, fix=t("data.intake.corrupt_fix")) from exc
    dup = [n for n, k in Counter(names).items() if k > 1]
    if dup:
        raise SchemaError(t("data.intake.parquet_duplicate", name=source,
                            columns=", ".join(repr(d) for d in dup)),
                          file=source, column=dup[0], fix=t("data.intake.parquet_duplicate_fix"))
    return Staged(source, path, "parquet", member=member)


def _kind(dtype: object) -> str:
    """The family of a pandas dtype: bool, number, time, text or nested."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "time"
    return "text"


_ALLOWED = {
    "float64": ("number", "text"),
    "int64": ("number", "text"),
    "timestamp": ("time", "text"),
    "date": ("time", "text"),
    "boolean": ("bool", "number", "text"),
    "string": ("number", "text", "time", "bool"),
}


def check_types(frame: object, table: str, mapping: dict[str, str], source: str,
                day_numbers: bool = False) -> None:
    """A typed column (Parquet, DuckDB, a DataFrame) must be of a type its canonical column can
    hold: booleans are not amounts, numbers are not dates (seconds or milliseconds?), unless
    ``day_numbers`` (``[data] day_one`` is set: whole numbers are day numbers, each row parsed
    and checked).

    Raises
    ------
    SchemaError
        Naming the column, its type, what the canonical column needs and the fix.
    """
    from loyalscope.data import schema

    spec = schema.table(table)
    for canonical, header in mapping.items():
        if not spec.allows(canonical) or header not in getattr(frame, "columns", ()):
            continue
        dtype = spec.column(canonical).dtype
        kind = _kind(frame[header].dtype)  # type: ignore[index]
        allowed = _ALLOWED.get(dtype, (kind,))
        if day_numbers and dtype in ("timestamp", "date"):
            allowed = (*allowed, "number")
        if kind not in allowed:
            raise SchemaError(
                t("data.intake.wrong_type", name=source, column=header, kind=kind,
                  canonical=canonical, dtype=dtype),
                file=source, column=header,
                fix=t("data.intake.wrong_type_fix", column=header, dtype=dtype))

"""``customers.csv``: every scored customer, the same table as ``customers.parquet``, for readers
without Parquet (the workbook's customer sheet shows only the customers of highest value and
points here).

UTF-8 with BOM (Excel opens it with Chinese intact), the parquet's columns and stable ids
(``champions``, rule ids), numbers at full precision, missing values empty. Every text cell
passes through :func:`loyalscope.report.cells.safe_texts` (CSV rules: control characters
escaped, formula starts quoted). Written by Arrow's CSV writer in batches of
:data:`BATCH_ROWS` rows (1M customers x 23 columns in about a second; memory of one batch).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from loyalscope.report.cells import safe_texts

BATCH_ROWS = 100_000
BOM = b"\xef\xbb\xbf"


def _column(col: pd.Series) -> pa.Array:
    """A column for Arrow: numbers, booleans and dates as they are; anything else as text made
    safe once per distinct value (ids, segments, tiers repeat)."""
    if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype) \
            or pd.api.types.is_datetime64_any_dtype(col.dtype):
        return pa.array(col, from_pandas=True)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    safe = safe_texts(pd.Series(uniques, dtype=object), "csv")
    text = pa.array([v if isinstance(v, str) else str(v) for v in safe], type=pa.string())
    indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, text).cast(pa.string())


def write_customers_csv(customers: pd.DataFrame, path: str | Path) -> Path:
    """Write ``customers`` to ``path`` (see the module docstring) and return the path."""
    path = Path(path)
    names = [str(c) for c in customers.columns]
    with path.open("wb") as fh:
        fh.write(BOM)
        writer: pacsv.CSVWriter | None = None
        for start in range(0, max(len(customers), 1), BATCH_ROWS):
            part = customers.iloc[start:start + BATCH_ROWS]
            batch = pa.record_batch([_column(part.iloc[:, j]) for j in range(part.shape[1])], names=names)
            if writer is None:
                writer = pacsv.CSVWriter(fh, batch.schema)
            writer.write_batch(batch)
        if writer is not None:
            writer.close()
    return path

"""Customer lookup in an analysis's scored customers (``customers.parquet``), read with DuckDB.

Queries filter, count and page inside DuckDB: a page brings at most ``limit`` rows into Python,
never the whole table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

MAX_LIMIT = 200


@dataclass
class CustomerPage:
    """One page of customers whose id starts with ``prefix``."""

    prefix: str
    total: int
    limit: int
    offset: int
    columns: list[str]
    rows: list[dict[str, Any]]

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.limit))

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": self.prefix, "total": self.total, "limit": self.limit,
                "offset": self.offset, "page": self.page, "pages": self.pages,
                "columns": self.columns, "rows": self.rows}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _query(path: Path, sql: str, params: list[Any]) -> tuple[list[str], list[tuple[Any, ...]]]:
    con = duckdb.connect()
    try:
        cur = con.execute(sql.replace("FROM c", "FROM read_parquet(?)"), [str(path), *params])
        return [d[0] for d in cur.description], cur.fetchall()
    finally:
        con.close()


def search(path: str | Path, prefix: str = "", limit: int = 50, offset: int = 0) -> CustomerPage:
    """Customers whose ``customer_id`` starts with ``prefix`` (ignoring case), ordered by id.

    ``limit`` is capped at :data:`MAX_LIMIT`; ``offset`` counts rows from the first match.
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    path = Path(path)
    where = "WHERE starts_with(lower(CAST(customer_id AS VARCHAR)), lower(?))"
    _, count = _query(path, f"SELECT count(*) FROM c {where}", [prefix])
    columns, rows = _query(path, f"SELECT * FROM c {where} ORDER BY customer_id LIMIT ? OFFSET ?",
                           [prefix, limit, offset])
    return CustomerPage(prefix, int(count[0][0]), limit, offset, columns,
                        [{c: _clean(v) for c, v in zip(columns, r, strict=True)} for r in rows])


def get(path: str | Path, customer_id: str) -> dict[str, Any] | None:
    """The scored row of one customer, or None when the id is not in the table."""
    columns, rows = _query(Path(path), "SELECT * FROM c WHERE CAST(customer_id AS VARCHAR) = ? LIMIT 1",
                           [customer_id])
    if not rows:
        return None
    return {c: _clean(v) for c, v in zip(columns, rows[0], strict=True)}

"""Customer lookup in an analysis's scored customers (``customers.parquet``) with DuckDB.

The Parquet file is copied once per analysis into a DuckDB table sorted by its lower-cased id
(``<state>/cache/<id>/customers.duckdb``, built by the job or at the first lookup), with the
row's rank in id order. Each server process keeps one read-only connection per analysis open; a
request takes a cursor of it. A customer and a prefix search are found through the table's
min/max zone maps (a key range on the sorted key), a page of all customers by rank; results come
in id order, and a page brings at most ``limit`` rows into Python.
"""

from __future__ import annotations

import fcntl
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

MAX_LIMIT = 200
MAX_OFFSET = 10**12
WIDE_PREFIX = 3
"""Prefixes this short may match much of the table: counted first, then paged."""
# every connection of a process to one file must use the same configuration (DuckDB shares
# one database instance per file); one thread per query: requests already run side by side
_READ: dict[str, str | bool | int | float | list[str]] = {"threads": 1}
_QUERIES = threading.BoundedSemaphore(4)
"""DuckDB queries at the same time in one process: more only thrash the cores."""
_BUILD = """CREATE TABLE c AS SELECT p.*, lower(CAST(p.customer_id AS VARCHAR)) AS _key,
    (row_number() OVER (ORDER BY p.customer_id) - 1) AS _rank
    FROM read_parquet(?) p ORDER BY _key, p.customer_id"""
_EXACT = "starts_with(_key, lower($p))"
# an ASCII prefix's keys lie in [lo, lo + U+10FFFF) with lo = prefix.lower() (Python and DuckDB
# lower ASCII alike): given as literals, the range lets DuckDB skip row groups by their min/max
# (the table is sorted by key); starts_with stays the exact test
_RANGE = "_key >= $lo AND _key < $hi AND " + _EXACT


def _where(prefix: str) -> tuple[str, dict[str, Any]]:
    if prefix.isascii():
        lo = prefix.lower()
        return _RANGE, {"p": prefix, "lo": lo, "hi": lo + "\U0010ffff"}
    return _EXACT, {"p": prefix}


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


def _stamp(path: Path) -> str:
    st = path.stat()
    return f"{st.st_mtime_ns}:{st.st_size}"


def build(parquet: Path, db_path: Path) -> None:
    """Write the sorted lookup table of ``parquet`` to ``db_path`` (atomically, once: a second
    process waits for the first one's file)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with open(db_path.parent / ".lookup.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stamp = _stamp(parquet)
        if db_path.is_file() and _file_stamp(db_path) == stamp:
            return
        tmp = db_path.with_suffix(f".tmp{os.getpid()}")
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            con.execute(_BUILD, [str(parquet)])
            con.execute("CREATE TABLE meta AS SELECT ? AS stamp", [stamp])
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, db_path)


def _file_stamp(db_path: Path) -> str | None:
    if not db_path.is_file():
        return None
    try:
        con = duckdb.connect(str(db_path), read_only=True, config=_READ)
    except duckdb.Error:
        return None
    try:
        row = con.execute("SELECT stamp FROM meta").fetchone()
        return None if row is None else str(row[0])
    except duckdb.Error:
        return None
    finally:
        con.close()


class Lookup:
    """Queries over one analysis's sorted customers table, on one open DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stamp: str) -> None:
        self.con = con
        self.stamp = stamp
        self._local = threading.local()
        cur = con.cursor()
        try:
            described = cur.execute("DESCRIBE c").fetchall()
            self.total = int(cur.execute("SELECT count(*) FROM c").fetchone()[0])  # type: ignore[index]
        finally:
            cur.close()
        self.columns = [r[0] for r in described if r[0] not in ("_key", "_rank")]
        id_type = next((r[1] for r in described if r[0] == "customer_id"), "VARCHAR")
        self._id_expr = "customer_id" if id_type == "VARCHAR" else "CAST(customer_id AS VARCHAR)"
        self._select = "SELECT " + ", ".join(f'"{c}"' for c in self.columns) + " FROM c"

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor of the connection (server threads live long: reused)."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.con.cursor()
        return cur

    def _fetch(self, sql: str, params: list[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
        with _QUERIES:
            return self._cursor().execute(sql, params).fetchall()

    def _rows(self, sql: str, params: list[Any] | dict[str, Any]) -> list[dict[str, Any]]:
        rows = self._fetch(sql, params)
        return [{c: _clean(v) for c, v in zip(self.columns, r, strict=True)} for r in rows]

    def search(self, prefix: str = "", limit: int = 50, offset: int = 0) -> CustomerPage:
        limit = max(1, min(int(limit), MAX_LIMIT))
        offset = max(0, min(int(offset), MAX_OFFSET))
        if not prefix:
            rows = [] if offset >= self.total else self._rows(
                f"{self._select} WHERE _rank >= ? AND _rank < ? ORDER BY _rank", [offset, offset + limit])
            return CustomerPage(prefix, self.total, limit, offset, self.columns, rows)
        where, params = _where(prefix)
        if len(prefix) <= WIDE_PREFIX:  # many matches: count, then sort only what is needed
            total = int(self._fetch(f"SELECT count(*) FROM c WHERE {where}", params)[0][0])
            rows = [] if offset >= total else self._rows(
                f"{self._select} WHERE {where} ORDER BY _rank LIMIT $limit OFFSET $offset",
                params | {"limit": limit, "offset": offset})
            return CustomerPage(prefix, total, limit, offset, self.columns, rows)
        # few matches: one pass gives the page and their number (a window over the matches)
        found = self._fetch(f"{self._select.replace(' FROM c', ', count(*) OVER () FROM c')} "
                            f"WHERE {where} ORDER BY _rank LIMIT $limit OFFSET $offset",
                            params | {"limit": limit, "offset": offset})
        if found:
            total = int(found[0][-1])
        else:  # past the last match (or none): count alone
            total = int(self._fetch(f"SELECT count(*) FROM c WHERE {where}", params)[0][0])
        rows = [{c: _clean(v) for c, v in zip(self.columns, r[:-1], strict=True)} for r in found]
        return CustomerPage(prefix, total, limit, offset, self.columns, rows)

    def get(self, customer_id: str) -> dict[str, Any] | None:
        if customer_id.isascii():
            key, params = "_key = $key", {"id": customer_id, "key": customer_id.lower()}
        else:
            key, params = "_key = lower($id)", {"id": customer_id}
        rows = self._rows(f"{self._select} WHERE {key} AND {self._id_expr} = $id LIMIT 1", params)
        return rows[0] if rows else None


class Lookups:
    """One :class:`Lookup` per analysis in this process (at most ``size``, least recent out)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: dict[str, Lookup] = {}
        self._lock = threading.Lock()
        self._opening = threading.Lock()

    def get(self, parquet: Path, db_path: Path | None = None) -> Lookup:
        """The lookup of ``parquet``; ``db_path`` is its sorted copy (built when missing or
        stale); without one the table is built in memory."""
        stamp = _stamp(parquet)
        key = str(db_path or parquet)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit.stamp == stamp:
                self._items[key] = self._items.pop(key)
                return hit
        with self._opening:  # one thread opens (or builds); the others then find it
            with self._lock:
                hit = self._items.get(key)
            if hit is not None and hit.stamp == stamp:
                return hit
            return self._open(key, parquet, db_path, stamp)

    def _open(self, key: str, parquet: Path, db_path: Path | None, stamp: str) -> Lookup:
        if db_path is None:
            con = duckdb.connect()
            con.execute(_BUILD, [str(parquet)])
        else:
            if _file_stamp(db_path) != stamp:
                build(parquet, db_path)
            con = duckdb.connect(str(db_path), read_only=True, config=_READ)
        lookup = Lookup(con, stamp)
        # a replaced connection is not closed here: a request may still be using it; it closes
        # when the last cursor lets go of it
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = lookup
            while len(self._items) > self.size:
                self._items.pop(next(iter(self._items)))
        return lookup

    def forget(self, db_path: Path) -> None:
        with self._lock:
            self._items.pop(str(db_path), None)


_ADHOC = Lookups()


def search(path: str | Path, prefix: str = "", limit: int = 50, offset: int = 0) -> CustomerPage:
    """Customers of the Parquet file ``path`` whose id starts with ``prefix`` (ignoring case),
    in id order; ``limit`` is capped at :data:`MAX_LIMIT`, ``offset`` counts from the first match."""
    return _ADHOC.get(Path(path)).search(prefix, limit, offset)


def get(path: str | Path, customer_id: str) -> dict[str, Any] | None:
    """The scored row of one customer of the Parquet file ``path``, or None."""
    return _ADHOC.get(Path(path)).get(customer_id)

"""Compiled-SQL cache for the data layer's large expressions.

Parsing and checking one source is a long chain of projections whose compilation costs more
than running it on small files. Its SQL depends only on the source's schema and a few
decisions (mapping, date order, language), so it is compiled (stage by stage, see
:mod:`loyalscope.data.staged`) once per such key, and each source runs the cached SQL against a
view of its own relation.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Hashable

import ibis.expr.types as ir
from ibis.backends import BaseBackend

from loyalscope.data.staged import Staged
from loyalscope.i18n import default_lang

_PLACEHOLDER = "ls_placeholder_relation"
_SCRATCH: list[tuple[str, str]] = []
"""Intermediate tables and views of the load in progress: (kind, name), dropped by release."""


def scratch_name(prefix: str) -> str:
    """A name for an intermediate table, unique across processes sharing a warehouse."""
    return f"_ls_{prefix}_{os.getpid()}_{next(_ids)}"


def remember(kind: str, name: str) -> None:
    _SCRATCH.append((kind, name))


def mark() -> int:
    """A position in the list of intermediate objects (see :func:`release_since`)."""
    return len(_SCRATCH)


def release_since(con: BaseBackend, start: int, end: int) -> None:
    """Drop the intermediate objects made between two :func:`mark` positions (a source's lines
    and records, once its parsed table exists), so that the raw rows are not held twice."""
    done = _SCRATCH[start:end]
    del _SCRATCH[start:end]
    for kind, name in reversed(done):
        _drop(con, kind, name)


def _drop(con: BaseBackend, kind: str, name: str) -> None:
    try:
        if kind == "view":
            con.drop_view(name, force=True)
        else:
            con.drop_table(name, force=True)
    except Exception:
        pass


def release(con: BaseBackend) -> None:
    """Drop the intermediate tables and views of a finished load (they hold a copy of the
    raw rows: lines, records, parsed values)."""
    while _SCRATCH:
        kind, name = _SCRATCH.pop()
        _drop(con, kind, name)
_CACHE: dict[Hashable, str] = {}
_ids = itertools.count()


def materialize(con: BaseBackend, key: Hashable, rel: ir.Table,
                build: Callable[[Staged], Staged], name: str) -> ir.Table:
    """``build`` applied to ``rel`` and stored as the table ``name`` (temporary where the engine
    allows). ``build`` adds its projections to a :class:`~loyalscope.data.staged.Staged` chain;
    its SQL is compiled once per ``(key, schema of rel, engine, language)`` and run directly (no
    second parse of the SQL by Ibis)."""
    schema = rel.schema()
    k = (key, tuple((n, str(t)) for n, t in schema.items()), con.name, default_lang())
    sql = _CACHE.get(k)
    if sql is None:
        sql = build(Staged(schema, con)).sql(_PLACEHOLDER)
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[k] = sql
    view = scratch_name("view")
    con.create_view(view, rel, overwrite=True)
    remember("view", view)
    remember("table", name)
    sql = sql.replace(_PLACEHOLDER, view)
    if con.name == "duckdb":
        con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
        return con.table(name)
    if con.name == "pyspark":
        con._session.sql(sql).write.mode("overwrite").saveAsTable(name)
        return con.table(name)
    return con.create_table(name, con.sql(sql), temp=True, overwrite=True)

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
from collections.abc import Callable, Hashable, Mapping

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import sqlglot.expressions as sge
from ibis.backends import BaseBackend

from loyalscope.data import sqldisk
from loyalscope.data.staged import Staged
from loyalscope.engine import scratch_temp
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


_CACHE: dict[Hashable, tuple[str, tuple[str, ...]]] = {}
_ids = itertools.count()


def materialize(con: BaseBackend, key: Hashable, rel: ir.Table,
                build: Callable[[Staged], Staged], name: str, *,
                inputs: Mapping[str, str] | None = None, outputs: Mapping[str, str] | None = None,
                constants: Mapping[str, int] | None = None,
                labels: Mapping[str, Mapping[int, str]] | None = None, store: bool = True) -> ir.Table:
    """``build`` applied to ``rel`` and stored as the table ``name`` (temporary where the engine
    allows, in DuckDB unless its database compresses: :func:`loyalscope.engine.scratch_temp`).

    ``build`` adds its projections to a :class:`~loyalscope.data.staged.Staged` chain; its SQL
    is compiled once per ``(key, schema, engine, language)`` and run directly (no second parse
    of the SQL by Ibis). So that files with other column names share the compiled SQL,
    ``build`` may work on placeholder names: ``inputs`` maps a placeholder to the column of
    ``rel`` it stands for, ``outputs`` a placeholder the result has to its real name (other
    columns keep theirs), and ``constants`` are integer columns added to the result.
    ``labels`` turns integer codes of a result column into text (``{column: {code: text}}``,
    other codes NULL). ``store=False`` returns the query itself (a relation on ``con``, nothing
    stored).
    """
    inputs = dict(inputs or {})
    real = {v: k for k, v in inputs.items()}
    schema = {real.get(n, n): t for n, t in rel.schema().items()}
    k = (key, tuple((n, str(t)) for n, t in schema.items()), con.name, default_lang())
    hit = _CACHE.get(k)
    if hit is None:
        dk = sqldisk.key("materialize", k)
        stored = sqldisk.get(dk)
        if isinstance(stored, list) and len(stored) == 2:
            hit = (stored[0], tuple(stored[1]))
        else:
            staged = build(Staged(schema, con))
            hit = (staged.sql(_PLACEHOLDER), staged.columns)
            sqldisk.put(dk, [hit[0], list(hit[1])])
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[k] = hit
    sql, columns = hit
    sql = _bind(con, sql, rel, {n: inputs.get(n, n) for n in schema})
    if outputs or constants or labels:
        q = Staged.quoter(con)
        cols = [f"{_labelled(con, q(c), (labels or {}).get(c))} AS {q((outputs or {}).get(c, c))}"
                for c in columns]
        cols += [f"{int(v)} AS {q(c)}" for c, v in (constants or {}).items()]
        sql = f"SELECT {', '.join(cols)} FROM ({sql}) AS {q('ls_result')}"
    if not store:  # a view made from the text: Ibis would parse the SQL back (deep recursion)
        q = Staged.quoter(con)
        if con.name == "pyspark":
            con._session.sql(f"CREATE OR REPLACE TEMPORARY VIEW {q(name)} AS {sql}")
        else:
            _execute(con, f"CREATE OR REPLACE {'TEMP ' if con.name == 'duckdb' else ''}"
                          f"VIEW {q(name)} AS {sql}")
        remember("view", name)
        return con.table(name)
    remember("table", name)
    if con.name == "duckdb":
        con.raw_sql(f'CREATE OR REPLACE {scratch_temp(con)}TABLE "{name}" AS {sql}')
        return con.table(name)
    if con.name == "pyspark":
        con._session.sql(sql).write.mode("overwrite").saveAsTable(name)
        return con.table(name)
    return con.create_table(name, con.sql(sql), temp=True, overwrite=True)


_QUERIES: dict[Hashable, str] = {}


def run_query(con: BaseBackend, key: Hashable, rel: ir.Table, inputs: Mapping[str, str],
              build: Callable[[ir.Table], ir.Table]) -> pd.DataFrame:
    """``build(rel)`` executed, its SQL compiled once per ``(key, types, engine)`` against
    placeholder columns: ``inputs`` maps each placeholder to the column of ``rel`` it stands
    for (``build`` reads only those)."""
    schema = {g: rel[c].type() for g, c in inputs.items()}
    k = (key, tuple((n, str(t)) for n, t in schema.items()), con.name)
    sql = _QUERIES.get(k)
    if sql is None:
        dk = sqldisk.key("query", k)
        sql = sqldisk.get(dk)
        if not isinstance(sql, str):
            sql = ibis.to_sql(build(ibis.table(schema, name=_PLACEHOLDER)), dialect=con.name)
            sqldisk.put(dk, sql)
        if len(_QUERIES) > 256:
            _QUERIES.clear()
        _QUERIES[k] = sql
    return _fetch(con, _bind(con, sql, rel, inputs))


def _bind(con: BaseBackend, sql: str, rel: ir.Table, columns: Mapping[str, str]) -> str:
    """``sql`` reading ``rel`` where it reads the placeholder relation, whose columns are
    ``columns`` (placeholder name -> column of ``rel``). A stored DuckDB table is read in the
    text (no Ibis compile); anything else through a scratch view."""
    q = Staged.quoter(con)
    target = q(_PLACEHOLDER)
    op = rel.op()
    if con.name == "duckdb" and isinstance(op, ops.DatabaseTable) and not op.namespace.catalog \
            and not op.namespace.database:
        cols = ", ".join(f"{q(c)} AS {q(g)}" for g, c in columns.items())
        return sql.replace(target, f"(SELECT {cols} FROM {q(op.name)})")
    if isinstance(op, ops.SQLQueryResult) and con.name in ("duckdb", "pyspark"):
        cols = ", ".join(f"{q(c)} AS {q(g)}" for g, c in columns.items())
        return sql.replace(target, f"(SELECT {cols} FROM ({op.query}) AS {q('ls_query')})")
    view = scratch_name("view")
    renamed = rel.select(*[rel[c].name(g) for g, c in columns.items()])
    con.create_view(view, renamed, overwrite=True)
    remember("view", view)
    return sql.replace(target, q(view))


def _labelled(con: BaseBackend, column: str, labels: Mapping[int, str] | None) -> str:
    if labels is None:
        return column
    dialect = con.compiler.dialect
    whens = " ".join(f"WHEN {int(k)} THEN {sge.Literal.string(v).sql(dialect=dialect)}"
                     for k, v in labels.items())
    if not whens:
        return sge.Cast(this=sge.Null(), to=sge.DataType.build("text")).sql(dialect=dialect)
    return f"CASE {column} {whens} ELSE NULL END"


def _fetch(con: BaseBackend, sql: str) -> pd.DataFrame:
    """The result of a SQL query as a frame, without Ibis parsing the SQL back."""
    if con.name == "duckdb":
        return con.raw_sql(sql).fetch_df()
    if con.name == "pyspark":
        return con._session.sql(sql).toPandas()
    cur = con.raw_sql(sql)
    try:
        names = [d[0] for d in cur.description]
        return pd.DataFrame(cur.fetchall(), columns=names)
    finally:
        cur.close()


def _execute(con: BaseBackend, sql: str) -> None:
    """Run a statement that returns nothing (DuckDB's raw_sql returns the connection itself,
    which must stay open; other engines return a cursor to close)."""
    result = con.raw_sql(sql)
    if con.name != "duckdb" and hasattr(result, "close"):
        result.close()

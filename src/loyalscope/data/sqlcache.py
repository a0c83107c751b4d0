"""Ibis expressions of the load compiled once per structure, run with their own tables.

Compiling an Ibis expression to SQL costs 10-50 ms of Python; running it on the small files
of most loads costs less than a millisecond. The expressions the load builds after parsing
(shapes, quarantine, counts) have the same *structure* load after load: only the tables they
read (scratch tables with fresh names) and the source file names differ. Their SQL is
therefore compiled once per structure against placeholder tables and placeholder file names
(the same idea as :mod:`loyalscope.data.compiled`), and each load puts its own table
references and quoted names into the text.

The structure of an expression is its operation graph with every database table replaced by
its position and schema and every late-bound string (:func:`late_strings`) by its position: two
expressions with the same structure compile to the same SQL up to those names, because Ibis
compiles a table to its (quoted) name and a string literal to its quoted value. A template whose
placeholders do not appear exactly in that quoted form, or an expression with other leaves
(in-memory tables, SQL text), is not cached: the callers then use Ibis as before.

The statements run are those Ibis runs for the same calls (``create_table`` declares the
expression's column types, then inserts), so tables, types and values are the same.
"""

from __future__ import annotations

import contextlib
import decimal
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pandas as pd
import pyarrow.types as pat
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends import BaseBackend

from loyalscope.data import sqldisk
from loyalscope.data.compiled import _fetch, scratch_name

_LATE: ContextVar[frozenset[str]] = ContextVar("ls_late_strings", default=frozenset())
_IDS: dict[Any, object] = {}
"""Structural key of a node -> a unique token (hash-consing: keys stay shallow)."""
_SQL: dict[Any, tuple[str, tuple[str, ...], tuple[str, ...]] | None] = {}
"""Structure -> (SQL template, table placeholders, string placeholders); None: not cacheable."""
_SCHEMAS: dict[Any, tuple[ibis.Schema, ops.Namespace]] = {}
"""Structure -> schema and namespace of the table made from it (see :func:`_table`)."""
_TABLE = "ls_sqlcache_table_{}_q"
_STRING = "ls_sqlcache_string_{}_q"
_LEAVES_NOT_CACHED = (ops.InMemoryTable, ops.SQLQueryResult, ops.SQLStringView, ops.UnboundTable,
                      ops.ScalarParameter)


class _NotCached(Exception):
    pass


@contextlib.contextmanager
def late_strings(values: Sequence[str]) -> Iterator[None]:
    """String literals (source file names) that change from load to load without changing
    the SQL around them: inside this block they are bound late, like table names."""
    token = _LATE.set(frozenset(values))
    try:
        yield
    finally:
        _LATE.reset(token)


def _children_first(op: ops.Node) -> list[ops.Node]:
    """The nodes of ``op`` once each, every node after its children (database tables are
    leaves), without recursion (expressions can be deeper than Python's stack)."""
    order: list[ops.Node] = []
    seen: set[int] = set()
    stack: list[tuple[ops.Node, bool]] = [(op, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if not isinstance(node, ops.DatabaseTable):
            stack.extend((c, False) for c in node.__children__ if id(c) not in seen)
    return order


def _structure(op: ops.Node, late: frozenset[str]) -> tuple[object, list[ops.DatabaseTable], list[str]]:
    """The structural key of ``op``, its database tables and late strings in key order."""
    leaves: dict[ops.DatabaseTable, int] = {}
    strings: dict[str, int] = {}
    memo: dict[int, object] = {}
    order = _children_first(op)

    def arg(x: Any) -> Any:
        if isinstance(x, ops.Node):
            return memo[id(x)]
        if isinstance(x, tuple):
            return tuple(arg(v) for v in x)
        if isinstance(x, Mapping):
            return ("map", tuple((k, arg(v)) for k, v in x.items()))
        hash(x)
        if isinstance(x, (float, decimal.Decimal)):  # equal values written differently: -0.0, 1.00
            return (type(x), x, repr(x))
        return (type(x), x)

    for node in order:
        if isinstance(node, ops.DatabaseTable):
            key: Any = ("table", leaves.setdefault(node, len(leaves)), node.schema)
        elif isinstance(node, _LEAVES_NOT_CACHED):
            raise _NotCached
        elif (isinstance(node, ops.Literal) and isinstance(node.value, str) and node.value in late
              and node.dtype.is_string()):
            key = ("string", strings.setdefault(node.value, len(strings)), node.dtype)
        else:
            key = (type(node), tuple(arg(a) for a in node.__args__))
        memo[id(node)] = _IDS.setdefault(key, object())
    return memo[id(op)], list(leaves), list(strings)


def _stable_key(op: ops.Node, late: frozenset[str], engine: str) -> str | None:
    """A digest of the structure of ``op`` (as :func:`_structure`) that another process
    computes alike, for :mod:`loyalscope.data.sqldisk`: each node's type and arguments as
    text, tables by position and schema, late strings by position. None when an argument has
    no stable text."""
    digests: dict[int, str] = {}
    leaves: dict[ops.DatabaseTable, int] = {}
    strings: dict[str, int] = {}

    def text(x: Any) -> str:
        if isinstance(x, ops.Node):
            return digests[id(x)]
        if isinstance(x, tuple):
            return "(" + ",".join(text(v) for v in x) + ")"
        if isinstance(x, Mapping):
            return "{" + ",".join(f"{sqldisk.text(k)}:{text(v)}" for k, v in x.items()) + "}"
        return sqldisk.text(x)

    order = _children_first(op)
    try:
        for node in order:
            if isinstance(node, ops.DatabaseTable):
                body = f"table {leaves.setdefault(node, len(leaves))} " + ",".join(
                    f"{n!r}:{t!r}" for n, t in node.schema.items())
            elif (isinstance(node, ops.Literal) and isinstance(node.value, str)
                  and node.value in late and node.dtype.is_string()):
                body = f"string {strings.setdefault(node.value, len(strings))} {node.dtype!r}"
            else:
                body = f"{type(node).__module__}.{type(node).__qualname__}(" + ",".join(
                    text(a) for a in node.__args__) + ")"
            digests[id(node)] = hashlib.sha256(body.encode()).hexdigest()
    except sqldisk.Unstable:
        return None
    return sqldisk.key("sqlcache", digests[id(op)], engine)


def _template(con: BaseBackend, expr: ir.Expr, leaves: list[ops.DatabaseTable],
              strings: list[str]) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """The SQL of ``expr`` with placeholder tables and strings, and the placeholders' quoted
    forms; None when a placeholder appears in another form (e.g. inside a pattern)."""
    swap: dict[ops.Node, ops.Node] = {
        leaf: ops.DatabaseTable(_TABLE.format(i), leaf.schema, leaf.source)
        for i, leaf in enumerate(leaves)}
    lits = {}
    for node in expr.op().find(ops.Literal):
        if isinstance(node.value, str) and node.value in strings and node.dtype.is_string():
            lits[node] = ops.Literal(_STRING.format(strings.index(node.value)), node.dtype)
    swap.update(lits)
    sql = con.compile(expr.op().replace(swap).to_expr())
    dialect = con.compiler.dialect
    tables = tuple(sg.to_identifier(_TABLE.format(i), quoted=True).sql(dialect=dialect)
                   for i in range(len(leaves)))
    texts = tuple(sge.Literal.string(_STRING.format(i)).sql(dialect=dialect)
                  for i in range(len(strings)))
    for i, quoted in enumerate(tables):
        if sql.count(_TABLE.format(i)) != sql.count(quoted):
            return None
    for i, quoted in enumerate(texts):
        if sql.count(_STRING.format(i)) != sql.count(quoted):
            return None
    return sql, tables, texts


def bound_sql(con: BaseBackend, expr: ir.Expr) -> str | None:
    """The SQL of ``expr`` on ``con`` from the per-structure cache (compiled on a miss); None
    when the expression cannot be cached (the caller uses Ibis)."""
    bound = _bound(con, expr)
    return None if bound is None else bound[0]


def _bound(con: BaseBackend, expr: ir.Expr) -> tuple[str, Any] | None:
    """:func:`bound_sql` and the structure's key."""
    try:
        key, leaves, strings = _structure(expr.op(), _LATE.get())
    except (_NotCached, TypeError, KeyError):  # other leaves, unhashable or hidden arguments
        return None
    k = (key, con.name)
    if k not in _SQL:
        if len(_SQL) > 512 or len(_IDS) > 500_000:
            _SQL.clear()
            _IDS.clear()
            _SCHEMAS.clear()
            key, leaves, strings = _structure(expr.op(), _LATE.get())
            k = (key, con.name)
        dk = _stable_key(expr.op(), _LATE.get(), con.name)
        stored = sqldisk.get(dk)
        if isinstance(stored, list) and len(stored) == 3:
            _SQL[k] = (stored[0], tuple(stored[1]), tuple(stored[2]))
        else:
            _SQL[k] = _template(con, expr, leaves, strings)
            if _SQL[k] is not None:
                sqldisk.put(dk, list(_SQL[k]))  # type: ignore[arg-type]
    hit = _SQL[k]
    if hit is None:
        return None
    sql, tables, texts = hit
    dialect = con.compiler.dialect
    real = {quoted: sg.table(leaf.name, db=leaf.namespace.database, catalog=leaf.namespace.catalog,
                             quoted=True).sql(dialect=dialect)
            for quoted, leaf in zip(tables, leaves, strict=True)}
    real.update({quoted: sge.Literal.string(value).sql(dialect=dialect)
                 for quoted, value in zip(texts, strings, strict=True)})
    if real:  # one pass: a name put in is never read again as a placeholder
        pattern = re.compile("|".join(re.escape(q) for q in real))
        sql = pattern.sub(lambda m: real[m.group(0)], sql)
    return sql, k


def made_table(con: BaseBackend, name: str, key: Any) -> ir.Table:
    """``con.table(name)`` for a table or view just made from the structure ``key``: its
    schema is looked up on the engine once per structure (the same SQL over tables of the same
    schemas gives the same columns and types)."""
    known = _SCHEMAS.get(key)
    if known is None:
        op = con.table(name).op()
        assert isinstance(op, ops.DatabaseTable)
        _SCHEMAS[key] = (op.schema, op.namespace)
        return op.to_expr()
    schema, namespace = known
    return ops.DatabaseTable(name, schema=schema, source=con, namespace=namespace).to_expr()


def fetch(expr: ir.Expr, con: BaseBackend | None = None) -> Any:
    """``expr.execute()`` with the SQL from the cache: the same frame, column or scalar (the
    rows converted to the expression's types as Ibis converts them)."""
    con = con if con is not None else expr._find_backend()
    table = expr.as_table()
    sql = bound_sql(con, table)
    if sql is None:
        return expr.execute()
    schema = table.schema()
    if con.name == "duckdb":  # as Ibis' DuckDB execute: Arrow, lists where there are NULLs
        from ibis.backends.duckdb.converter import DuckDBPandasData

        arrow = con.con.sql(sql).to_arrow_table()
        df = pd.DataFrame({n: (c.to_pylist() if c.null_count or pat.is_nested(c.type)
                               or pat.is_dictionary(c.type) else c.to_pandas())
                           for n, c in zip(arrow.column_names, arrow.columns, strict=True)})
        df = DuckDBPandasData.convert_table(df, schema)
    else:
        from ibis.formats.pandas import PandasData

        raw = _fetch(con, sql)
        raw.columns = list(schema.names)
        df = PandasData.convert_table(raw, schema)
    return expr.__pandas_result__(df)


def count(expr: ir.Table, con: BaseBackend | None = None) -> int:
    """Number of rows of ``expr``. The count is named: Ibis names an unnamed count after the
    table (``CountStar(<table>)``), which would put the table's name outside the template."""
    return int(fetch(expr.aggregate(ls_n=expr.count()), con)["ls_n"].iloc[0])


def create_table(con: BaseBackend, name: str, expr: ir.Table, *, overwrite: bool = False) -> ir.Table:
    """``con.create_table(name, expr, overwrite=overwrite)`` with the SQL from the cache: the
    table declared with the expression's column types, then filled by one INSERT ... SELECT."""
    bound = _bound(con, expr)
    if bound is None:
        return con.create_table(name, expr, overwrite=overwrite)
    fill_table(con, name, bound[0], expr.schema(), overwrite=overwrite)
    return made_table(con, name, ("table", bound[1]))


def fill_table(con: BaseBackend, name: str, sql: str, schema: ibis.Schema, *,
               overwrite: bool) -> None:
    """Create the table ``name`` (columns of ``schema``) holding the rows of the query ``sql``,
    with the statements Ibis uses on each engine."""
    if con.name == "pyspark":  # as Ibis: the query's frame saved as a table
        con._session.sql(sql).write.saveAsTable(
            name, format="parquet", mode="overwrite" if overwrite else "error")
        return
    dialect = con.compiler.dialect
    target = sg.table(name, quoted=True).sql(dialect=dialect)
    tmp = sg.table(scratch_name("new") if overwrite else name, quoted=True).sql(dialect=dialect)
    defs = ", ".join(d.sql(dialect=dialect) for d in schema.to_sqlglot_column_defs(dialect))
    cols = ", ".join(sg.to_identifier(c, quoted=True).sql(dialect=dialect) for c in schema.names)
    stmts = [f"CREATE TABLE {tmp} ({defs})", f"INSERT INTO {tmp} ({cols}) {sql}"]
    if overwrite:
        stmts += [f"DROP TABLE IF EXISTS {target}", f"ALTER TABLE {tmp} RENAME TO {target}"]
    _run(con, stmts)


def create_view(con: BaseBackend, name: str, expr: ir.Table) -> ir.Table:
    """``con.create_view(name, expr, overwrite=True)`` with the SQL from the cache."""
    bound = _bound(con, expr)
    if bound is None:
        return con.create_view(name, expr, overwrite=True)
    kind = "TEMPORARY VIEW" if con.name == "pyspark" else "VIEW"  # as Ibis on each engine
    target = sg.table(name, quoted=True).sql(dialect=con.compiler.dialect)
    _run(con, [f"CREATE OR REPLACE {kind} {target} AS {bound[0]}"])
    return made_table(con, name, ("view", bound[1]))


def union_sql(con: BaseBackend, exprs: Sequence[ir.Table]) -> str | None:
    """One query of the rows of every expression (same columns, same types): UNION ALL of
    their cached SQL. None when one of them cannot be cached."""
    parts = []
    q = sg.to_identifier
    for i, e in enumerate(exprs):
        sql = bound_sql(con, e)
        if sql is None:
            return None
        alias = q(f"ls_part{i}", quoted=True).sql(dialect=con.compiler.dialect)
        parts.append(f"SELECT * FROM ({sql}) AS {alias}")
    return " UNION ALL ".join(parts)


def _run(con: BaseBackend, statements: list[str]) -> None:
    if con.name == "duckdb":
        for s in statements:
            con.con.execute(s)
        return
    if con.name == "pyspark":
        for s in statements:
            con._session.sql(s)
        return
    raw = getattr(con, "con", None)
    if raw is not None and hasattr(raw, "transaction"):  # psycopg: one transaction, as Ibis
        with raw.cursor() as cur, raw.transaction():
            for s in statements:
                cur.execute(s)
        return
    for s in statements:
        result = con.raw_sql(s)
        if hasattr(result, "close"):
            result.close()

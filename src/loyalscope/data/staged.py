"""A row-wise relation built in stages, compiled one stage at a time.

Parsing and checking a source is a long chain of projections (a number column alone takes a
dozen: cleaned text, fast path, regular expression groups, sign, magnitude, reason ...). Built as
one Ibis expression, compiling the chain costs time that grows with the square of its depth
times its width (Ibis dereferences every column of every earlier projection at each step, then
its SQL rewriter measures the whole graph again to merge selects): 55 s of CPU for one source of
twenty columns, and a recursion error on wider files.

:class:`Staged` keeps the chain flat. Each :meth:`~Staged.mutate` compiles only its new
expressions, against a table holding just the columns they read, and the chain is written as
one SQL statement of common table expressions, one per stage::

    WITH s0 AS (SELECT ... FROM source), s1 AS (SELECT <columns of s0>, <new> FROM s0), ...
    SELECT <final> FROM sN

Compiling is then linear in the chain's size; the engine (DuckDB, Spark, PostgreSQL) inlines
the stages when it plans the query, so what runs is the same projection as before.

Expressions may use columns of any earlier stage (``txt = tbl["t"]`` kept across steps): they
are re-bound by name to the current stage, which holds every column not dropped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable
from typing import Any, Protocol

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot.expressions as sge
from ibis.backends import BaseBackend

_CUR = "ls_cur"
_IN, _OUT = "ls_in", "ls_out"
_COMPILED: dict[Hashable, list[str]] = {}


class _Pipeline:
    """The stages one column's parser adds: per stage, the columns of the pipeline kept from
    before and the new ones (name, SQL text); ``schema`` is what the pipeline ends with (its
    input column excluded)."""

    def __init__(self, stages: list[tuple[list[str], list[tuple[str, str]]]],
                 schema: dict[str, dt.DataType]) -> None:
        self.stages = [([n for n in kept if n != _IN], new) for kept, new in stages]
        self.schema = {n: t for n, t in schema.items() if n != _IN}

    def renamed(self, column: str, out: str, quote: Callable[[str], str]) -> _Pipeline:
        """The pipeline reading ``column`` and writing ``out``/``out__*``."""
        def name(n: str) -> str:
            return column if n == _IN else out + n[len(_OUT):]

        q_in, q_out = quote(_IN), quote(_OUT)
        head, tail = q_out[:-1], q_out[-1]
        pattern = re.compile(re.escape(q_in) + "|" + re.escape(head) + r"(\w*)" + re.escape(tail))

        def sub(m: re.Match[str]) -> str:
            return quote(column) if m.group(0) == q_in else quote(out + m.group(1))

        stages = [([name(n) for n in kept], [(name(n), pattern.sub(sub, text)) for n, text in new])
                  for kept, new in self.stages]
        p = _Pipeline([], {})
        p.stages, p.schema = stages, {name(n): t for n, t in self.schema.items()}
        return p


_PIPELINES: dict[Hashable, _Pipeline] = {}


class Relation(Protocol):
    """What the parsers need of a relation: an Ibis table or a :class:`Staged` chain."""

    @property
    def columns(self) -> tuple[str, ...]: ...

    def __getitem__(self, name: str, /) -> Any: ...

    def mutate(self, **exprs: Any) -> Any: ...

    def drop(self, *names: str) -> Any: ...


class Staged:
    """A relation as a chain of row-wise projections (see the module's docstring).

    Parameters
    ----------
    schema
        Columns of the input relation (name -> Ibis type).
    con
        The engine whose SQL dialect the stages are compiled to.
    """

    def __init__(self, schema: ibis.Schema | dict[str, Any], con: BaseBackend) -> None:
        self._schema: dict[str, dt.DataType] = {n: dt.dtype(t) for n, t in dict(schema).items()}
        self._con = con
        self._compiler = con.compiler
        self._dialect = self._compiler.dialect
        self._stages: list[tuple[list[str], list[tuple[str, str]]]] = []
        self._where: dict[int, str] = {}  # stage -> condition its rows meet
        self._pending: list[_Pipeline] = []
        self._table_: ir.Table | None = None

    @property
    def _table(self) -> ir.Table:
        if self._table_ is None:
            self._table_ = ibis.table(self._schema, name=_CUR)
        return self._table_

    # ---- reading columns -------------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        self._flush()
        return tuple(self._schema)

    def schema(self) -> ibis.Schema:
        self._flush()
        return ibis.schema(self._schema)

    def __getitem__(self, name: str) -> ir.Value:
        self._flush()
        return self._table[name]

    def __getattr__(self, name: str) -> ir.Value:
        if name.startswith("__") or "_pending" not in self.__dict__:  # not a column
            raise AttributeError(name)
        self._flush()
        if name not in self._schema:
            raise AttributeError(name)
        return self._table[name]

    # ---- adding stages ---------------------------------------------------------------------
    def mutate(self, **exprs: Any) -> Staged:
        """Add (or replace) columns computed from the current ones; returns ``self``."""
        return self._stage(exprs, keep=True)

    def select(self, **exprs: Any) -> Staged:
        """Keep only the given columns, computed from the current ones; returns ``self``."""
        return self._stage(exprs, keep=False)

    def filter(self, condition: ir.BooleanValue) -> Staged:
        """Keep the rows meeting ``condition`` (a stage of its own); returns ``self``."""
        self._flush()
        (text,), _ = self._compile({"ls_condition": condition})
        self._stages.append((list(self._schema), []))
        self._where[len(self._stages) - 1] = text
        return self

    def drop(self, *names: str) -> Staged:
        """Forget columns (they are left out of the next stage's projection); returns ``self``."""
        self._flush()
        for n in names:
            self._schema.pop(n)
        self._table_ = None
        return self

    def apply(self, build: Callable[[Staged, str, str], Staged], column: str, out: str,
              key: Hashable) -> Staged:
        """Add the columns ``build(chain, column, out)`` adds, all named ``out`` or ``out__*``.

        ``build`` must read only ``column`` and its own columns; it is compiled once per
        ``(key, type of column, engine)`` on placeholder names, and its stages run side by side
        with those of the other columns applied before the next :meth:`mutate` (one projection
        per step, not one per step and column).
        """
        dtype = self._schema[column]
        ck = (key, str(dtype), self._con.name)
        generic = _PIPELINES.get(ck)
        if generic is None:
            sub = Staged({_IN: dtype}, self._con)
            build(sub, _IN, _OUT)._flush()
            generic = _Pipeline(sub._stages, sub._schema)
            if len(_PIPELINES) > 1024:
                _PIPELINES.clear()
            _PIPELINES[ck] = generic
        self._pending.append(generic.renamed(column, out, self._quote))
        return self

    def _flush(self) -> None:
        """Write the pending column pipelines as shared stages (see :meth:`apply`)."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        base = list(self._schema)
        for i in range(max(len(p.stages) for p in pending)):
            kept = list(base)
            new: list[tuple[str, str]] = []
            for p in pending:
                if i < len(p.stages):
                    kept += p.stages[i][0]
                    new += p.stages[i][1]
                else:
                    kept += list(p.schema)
            self._stages.append((kept, new))
        for p in pending:
            self._schema.update(p.schema)
        self._table_ = None

    def _stage(self, exprs: dict[str, Any], keep: bool) -> Staged:
        self._flush()
        values = {n: v if isinstance(v, ir.Value) else ibis.literal(v) for n, v in exprs.items()}
        texts, types = self._compile(values)
        kept = [n for n in self._schema if n not in values] if keep else []
        self._stages.append((kept, list(zip(values, texts, strict=True))))
        new = {n: self._schema[n] for n in kept}
        new.update(types)
        if keep:  # replaced columns keep their place, as in Ibis
            order = [n for n in self._schema if n in new] + [n for n in values if n not in self._schema]
            new = {n: new[n] for n in order}
        self._schema = new
        self._table_ = None
        return self

    def _compile(self, values: dict[str, ir.Value]) -> tuple[list[str], dict[str, dt.DataType]]:
        """SQL text of each expression over bare column names, and its type."""
        fields: dict[str, dt.DataType] = {}
        for v in values.values():
            for f in v.op().find(ops.Field):
                if f.name not in self._schema:
                    raise KeyError(f"column {f.name!r} is not in the current stage")
                fields[f.name] = self._schema[f.name]
        narrow = ibis.table(fields or {"_ls_none": "int8"}, name=_CUR)
        rebound = {n: _rebind(v, narrow) for n, v in values.items()}
        types = {n: v.type() for n, v in rebound.items()}
        key = (self._con.name, tuple((n, v.op()) for n, v in rebound.items()))
        texts = _COMPILED.get(key)
        if texts is None:
            query = self._compiler.to_sqlglot(narrow.select(**rebound))
            source = query.args.get("from_") or query.args.get("from")
            if any(query.args.get(a) for a in ("where", "group", "with", "joins")) or not (
                    source is not None and isinstance(source.this, sge.Table)):
                raise ValueError(f"not a row-wise projection: {query.sql(dialect=self._dialect)}")
            texts = []
            for alias in query.expressions:
                body = alias.this if isinstance(alias, sge.Alias) else alias
                for col in body.find_all(sge.Column):
                    col.set("table", None)
                texts.append(body.sql(dialect=self._dialect))
            if len(_COMPILED) > 4096:
                _COMPILED.clear()
            _COMPILED[key] = texts
        return texts, types

    # ---- the statement ---------------------------------------------------------------------
    def sql(self, source: str) -> str:
        """One SQL statement computing the last stage from the relation named ``source``."""
        self._flush()
        q = self._quote
        ctes = []
        prev = f"{q(source)} AS {q('ls_source')}"
        for i, (kept, new) in enumerate(self._stages):
            cols = [q(n) for n in kept] + [f"{text} AS {q(n)}" for n, text in new]
            where = f" WHERE {self._where[i]}" if i in self._where else ""
            ctes.append(f"{q(f'ls_s{i}')} AS (SELECT {', '.join(cols)} FROM {prev}{where})")
            prev = q(f"ls_s{i}")
        final = f"SELECT {', '.join(q(n) for n in self._schema)} FROM {prev}"
        return f"WITH {', '.join(ctes)} {final}" if ctes else final

    def _quote(self, name: str) -> str:
        return _quote(name, self._dialect)

    @staticmethod
    def quoter(con: BaseBackend) -> Callable[[str], str]:
        """A function quoting identifiers in ``con``'s SQL dialect."""
        dialect = con.compiler.dialect
        return lambda name: _quote(name, dialect)


@functools.lru_cache(maxsize=65536)
def _quote(name: str, dialect: Any) -> str:
    return sge.to_identifier(name, quoted=True).sql(dialect=dialect)


def _rebind(value: ir.Value, table: ir.Table) -> ir.Value:
    """``value`` with every column reference pointing at ``table`` (by name)."""
    target = table.op()
    mapping = {f: ops.Field(target, f.name) for f in value.op().find(ops.Field) if f.rel != target}
    if not mapping:
        return value
    return value.op().replace(mapping).to_expr()



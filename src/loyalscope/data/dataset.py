"""``Dataset``: the validated canonical tables, bound to one backend connection."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypeVar

import ibis
import pandas as pd
from ibis.backends import BaseBackend

from loyalscope import engine
from loyalscope.config import AnalysisConfig
from loyalscope.data import schema
from loyalscope.data.quality import QualityReport
from loyalscope.errors import SchemaError
from loyalscope.i18n import t

_T = TypeVar("_T")


@dataclass
class Dataset:
    """Canonical tables (Ibis expressions) on one connection, with their quality report.

    Build one with :func:`loyalscope.data.load` (reads and validates user files) or, for data
    already in canonical form, :meth:`Dataset.from_frames` / :meth:`Dataset.from_tables`.
    """

    con: BaseBackend
    tables: dict[str, ibis.Table]
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    quality: QualityReport = field(default_factory=QualityReport)
    _memo: dict[Hashable, Any] = field(default_factory=dict, init=False, repr=False,
                                       compare=False)

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_tables(
        cls,
        con: BaseBackend,
        tables: Mapping[str, ibis.Table],
        config: AnalysisConfig | None = None,
        quality: QualityReport | None = None,
    ) -> Dataset:
        """Wrap canonical Ibis tables that live on ``con`` (no validation)."""
        for name, tbl in tables.items():
            spec = schema.table(name)
            missing = [c for c in spec.required if c not in tbl.columns]
            if missing:
                raise SchemaError(
                    t("core.errors.missing_column", table=name, column=missing[0]),
                    column=missing[0],
                    fix=t("core.errors.missing_column_fix", table=name, column=missing[0]),
                )
        return cls(con, dict(tables), config or AnalysisConfig(), quality or QualityReport())

    @classmethod
    def from_frames(
        cls,
        frames: Mapping[str, Any],
        con: BaseBackend | None = None,
        config: AnalysisConfig | None = None,
    ) -> Dataset:
        """Upload canonical pandas / pyarrow / polars frames to ``con`` (default in-memory
        DuckDB) and wrap them. Columns are cast to their canonical types; no validation."""
        con = con or engine.connect()
        tables: dict[str, ibis.Table] = {}
        for name, frame in frames.items():
            df = frame if isinstance(frame, pd.DataFrame) else _to_pandas(frame)
            df = cast_frame(name, df)
            # a view of that name (an earlier load's output on this session) would hide the new
            # table on Spark, whose temporary views shadow tables: the frames' data is dropped
            # silently otherwise; a table is replaced by overwrite
            with contextlib.suppress(Exception):
                con.drop_view(f"ls_{name}", force=True)
            tables[name] = con.create_table(f"ls_{name}", df, overwrite=True)
        return cls.from_tables(con, tables, config)

    # ---- access -------------------------------------------------------------------------
    def has(self, table: str, column: str | None = None) -> bool:
        """Whether the table (and column) exists and the table holds rows of that column."""
        if table not in self.tables:
            return False
        return column is None or column in self.tables[table].columns

    def table(self, name: str, *columns: str) -> ibis.Table:
        """The table ``name``; a :class:`SchemaError` naming the fix if it or a column is absent."""
        schema.table(name)
        if name not in self.tables and self.quality.no_customer_reason and name in (
                "transactions", "order_lines"):
            raise SchemaError(self.quality.no_customer_reason,
                              fix=t("core.errors.missing_table_fix", table=name))
        if name not in self.tables:
            raise SchemaError(
                t("core.errors.missing_table", table=name),
                fix=t("core.errors.missing_table_fix", table=name),
            )
        tbl = self.tables[name]
        for col in columns:
            if col not in tbl.columns:
                raise SchemaError(
                    t("core.errors.missing_column", table=name, column=col),
                    column=col,
                    fix=t("core.errors.missing_column_fix", table=name, column=col),
                )
        return tbl

    def linked_answers(self, *columns: str) -> ibis.Table:
        """The survey answers that name a customer: ``surveys`` without its anonymous answers.

        An anonymous questionnaire (问卷星, Google Forms without a customer column) is read with
        a missing ``customer_id``: its answers count in satisfaction and NPS, but they belong
        to no customer, so every per-customer join (portrait, segments, churn features, the
        loyalty index's inputs, the repurchase-by-satisfaction curve) reads them through here.
        ``columns`` are checked as by :meth:`table`.
        """
        sv = self.table("surveys", "customer_id", *columns)
        return sv.filter(sv.customer_id.notnull())

    def memo(self, key: Hashable, build: Callable[[], _T]) -> _T:
        """``build()``, computed once per ``key`` for this dataset.

        The tables of a dataset do not change once built, so intermediate results that several
        metrics share (per-period activity counts, the analysis date) are computed once. Keys
        must include every setting the result depends on (grain, window, group, config values).
        """
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def memoised(self, key: Hashable) -> Any:
        """What :meth:`memo` holds under ``key``, None if nothing (nothing is computed)."""
        return self._memo.get(key)

    def forget(self, name: str) -> int:
        """Drop the results memoised under ``name`` (a key equal to it or a tuple starting with
        it); return how many. A section that is the last reader of a large per-customer frame
        (a million rows: hundreds of MB) forgets it, so that it is not held to the end of the
        run; a later reader would compute it again, with the same result."""
        gone = [k for k in self._memo if k == name or (isinstance(k, tuple) and k[:1] == (name,))]
        for key in gone:
            value = self._memo.pop(key)
            if hasattr(value, "release"):
                value.release()
        return len(gone)

    def release(self) -> None:
        """Drop the intermediate results memoised by :meth:`memo`, including temporary tables
        on the backend. Call it before closing the connection (a server database)."""
        for value in self._memo.values():
            if hasattr(value, "release"):
                value.release()
        self._memo.clear()

    def missing(self, requires: tuple[str, ...]) -> list[str]:
        """Which of ``requires`` ("table" or "table.column"; "a.x|b.y": either) are absent."""
        out = []
        for req in requires:
            if not any(self.has(tbl, col or None)
                       for tbl, _, col in (alt.partition(".") for alt in req.split("|"))):
                out.append(req)
        return out

    @property
    def analysis_date(self) -> date:
        """The "today" of the analysis: ``[analysis] analysis_date``, else the day after the
        last order (so that the last day's orders count; a member list without orders: its
        last purchase time)."""
        if self.config.analysis.analysis_date is not None:
            return self.config.analysis.analysis_date
        return self.memo("last_order_date", self._day_after_last_order)

    def _day_after_last_order(self) -> date:
        if not self.has("transactions") and self.has("customers", "last_order_ts"):
            # a member list with its purchase totals: the day after its last purchase
            cu = self.table("customers", "last_order_ts")
            last = cu.last_order_ts.max().execute()
            if last is None or pd.isna(last):
                raise SchemaError("customers.last_order_ts is empty.",
                                  fix="Give the members' last purchase times, or the orders.")
            return pd.Timestamp(last).date() + timedelta(days=1)
        tx = self.table("transactions", "order_ts")
        last = tx.order_ts.max().execute()
        if last is None or pd.isna(last):
            raise SchemaError("transactions is empty.", fix="Give at least one transaction.")
        return pd.Timestamp(last).date() + timedelta(days=1)


def cast_frame(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Cast the canonical columns of ``df`` to their canonical pandas types."""
    spec = schema.table(name)
    out = df.copy()
    for col in out.columns:
        if not spec.allows(col):
            continue
        dtype = spec.column(col).dtype
        if dtype == "string":
            out[col] = out[col].astype("string")
        elif dtype in ("float64", "int64"):
            out[col] = pd.to_numeric(out[col]).astype(dtype)
        elif dtype == "boolean":
            out[col] = out[col].astype("boolean")
        elif dtype in ("timestamp", "date"):
            out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out


def _to_pandas(frame: Any) -> pd.DataFrame:
    if hasattr(frame, "to_pandas"):
        return frame.to_pandas()  # pyarrow.Table, polars.DataFrame
    return pd.DataFrame(frame)

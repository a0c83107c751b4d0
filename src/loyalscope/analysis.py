"""``analyze(dataset) -> Analysis``: run every section whose inputs exist.

Sections are shown in :data:`loyalscope.sections.ORDER` and run in
:func:`loyalscope.sections.run_order` (a section runs after those it ``NEEDS``). A section whose inputs are missing is kept
with the reason it was skipped (shown in the report), never computed from made-up data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pandas as pd

from loyalscope import __version__
from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset
from loyalscope.errors import DataQualityError, InsufficientDataError, LoyalscopeError, SchemaError
from loyalscope.heap import release_free_memory
from loyalscope.i18n import t
from loyalscope.results import Phrase, Section, to_jsonable
from loyalscope.sections import ORDER, run_order
from loyalscope.sections._themes import warm_up_tokenizer
from loyalscope.sections.context import SectionContext

THEMED = ("satisfaction", "service")
"""Sections that find themes in free texts (Chinese segmented by jieba)."""

Progress = Callable[[str, int, int], None]
"""Called as ``progress(section_id, index, total)`` before each section runs."""


@dataclass
class Analysis:
    """The result of one analysis: sections in report order, the scored customers, provenance."""

    sections: list[Section]
    config: AnalysisConfig
    customers: pd.DataFrame | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    version: str = __version__
    engine: str = "duckdb"

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created,
            "engine": self.engine,
            "config": self.config.model_dump(mode="json"),
            "sections": {s.id: to_jsonable(s) for s in self.sections},
        }

    def save(self, out: str | Path, customers: bool = True) -> dict[str, Path]:
        """Write ``analysis.json`` and (with ``customers``) ``customers.parquet`` into ``out``;
        return the paths."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"analysis": out / "analysis.json"}
        paths["analysis"].write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
        if customers and self.customers is not None:
            paths["customers"] = self.save_customers(out / "customers.parquet")
        return paths

    def save_customers(self, path: Path, customers: pd.DataFrame | None = None) -> Path:
        """Write the scored customers (``customers``: the same table, e.g. a shallow copy of
        it) to the Parquet file ``path``; return it."""
        table = self.customers if customers is None else customers
        assert table is not None
        table.to_parquet(path, index=False)
        return path


def transactions_left(dataset: Dataset) -> bool:
    """False when the transactions file(s) had rows and none was accepted (all quarantined),
    or the dataset has a transactions table without any row."""
    rep = dataset.quality.tables.get("transactions")
    if rep is not None and rep.rows_read:
        return rep.rows_accepted > 0
    if "transactions" not in dataset.tables:
        return True
    return int(dataset.tables["transactions"].count().execute()) > 0


def no_transactions_error(dataset: Dataset, where: str) -> DataQualityError:
    """The error when no transaction is left after validation: the rows read, where the
    quarantine is, and the reason most of them share with its first line (22,570 order lines
    whose time is a day number say so at once, instead of in a file to open)."""
    rep = dataset.quality.tables.get("transactions")
    read = rep.rows_read if rep is not None else 0
    message = t("report.outputs.no_transactions", path=where, rows=read)
    top = _main_reason(dataset.quality)
    if top is not None:
        n, line, detail = top
        message += " " + t("report.outputs.no_transactions_main", n=n, rows=read, line=line,
                           detail=detail)
    return DataQualityError(message, fix=t("report.outputs.no_transactions_fix", path=where))


def _main_reason(quality: Any) -> tuple[int, int, str] | None:
    """(rows, first line, detail) of the commonest (column, reason) among the quarantined
    transactions, None when there is none: two small queries on the quarantine table (the
    engine's, else the report's frame as an in-memory table)."""
    q = quality.quarantine_table
    if q is None:
        q = ibis.memtable(quality.quarantine)
    tx = q.filter(q.table == "transactions")
    col = tx.column.cast("string").fill_null("")
    groups = tx.group_by(c=col, r=tx.reason).aggregate(n=tx.count())
    top = groups.order_by([groups.n.desc(), groups.c, groups.r]).limit(1).to_pandas()
    if top.empty:
        return None
    c, r, n = str(top.c.iloc[0]), str(top.r.iloc[0]), int(top.n.iloc[0])
    first = tx.filter((col == c) & (tx.reason == r)).order_by(tx.line).limit(1).to_pandas()
    return n, int(first.line.iloc[0]), str(first.detail.iloc[0])


def analyze(
    dataset: Dataset,
    config: AnalysisConfig | None = None,
    progress: Progress | None = None,
    sections: tuple[str, ...] | None = None,
    context: SectionContext | None = None,
) -> Analysis:
    """Run the analysis.

    Parameters
    ----------
    dataset : Dataset
        Validated canonical tables.
    config : AnalysisConfig, optional
        Defaults to ``dataset.config``.
    progress : callable, optional
        ``progress(section_id, i, n)`` before each section.
    sections : tuple of str, optional
        Only these section ids (default: all of :data:`ORDER`).
    context : SectionContext, optional
        The state the sections share (default: a new one with ``config``); given, it can be
        read after the run (what the sections left in ``results``). Its own ``config`` is the
        one the sections read.
    """
    config = config or dataset.config
    if not transactions_left(dataset):  # a clear error, not a section's traceback
        raise no_transactions_error(dataset, "quarantine.csv")
    ctx = context if context is not None else SectionContext(config=config)
    wanted = [s for s in ORDER if sections is None or s in sections]
    plan = run_order(wanted)
    out: list[Section] = []
    release_free_memory()  # what the load freed
    if any(section_id in THEMED for section_id, _ in plan):
        warm_up_tokenizer(dataset)  # beside the sections before them
    for i, (section_id, module) in enumerate(plan):
        if progress is not None:
            progress(section_id, i, len(plan))
        try:
            section = module.build(dataset, ctx)
        except (SchemaError, InsufficientDataError) as exc:
            section = Section(section_id, skipped="report.skipped_because",
                              skipped_kw={"reason": Phrase.from_message(exc.message)})
        except LoyalscopeError:
            raise
        for name in getattr(module, "LAST_READER_OF", ()):  # per-customer frames not held to the end
            dataset.forget(name)
        for name in getattr(module, "LAST_READER_OF_RESULTS", ()):
            ctx.results.pop(name, None)
        release_free_memory()  # the section's freed temporaries: not resident into the next one
        ctx.sections[section_id] = section
        out.append(section)
    out.sort(key=lambda s: ORDER.index(s.id))  # shown in the outline's order
    if progress is not None:
        progress("done", len(plan), len(plan))
    return Analysis(out, config, customers=ctx.customers, engine=dataset.con.name)

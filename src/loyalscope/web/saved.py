"""Read an analysis back from its output folder (``analysis.json``), as written by
:meth:`loyalscope.analysis.Analysis.save`.

The JSON holds every block with its i18n keys and small aggregated frames, so the web pages
render the same numbers and charts as the report without recomputing anything. Customer-level
rows stay in ``customers.parquet`` and are read with DuckDB on demand (``customers.py``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pandas as pd

from loyalscope.analysis import Analysis
from loyalscope.config import AnalysisConfig
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t
from loyalscope.results import Block, Chart, Number, Section, Table, Text

_TUPLES = {"interval", "percent_columns", "translate_values"}


def _frame(records: list[dict[str, Any]] | None) -> pd.DataFrame:
    return pd.DataFrame.from_records(records or [])


def _block(raw: dict[str, Any]) -> Block:
    kind = raw.pop("type")
    for key in _TUPLES & raw.keys():
        if raw[key] is not None:
            raw[key] = tuple(raw[key])
    if "frame" in raw:
        raw["frame"] = _frame(raw["frame"])
    cls = {"number": Number, "table": Table, "chart": Chart, "text": Text}[kind]
    return cls(**raw)


def analysis_from_dict(raw: dict[str, Any]) -> Analysis:
    """Rebuild an :class:`Analysis` (without customers) from :meth:`Analysis.to_dict` output."""
    sections = []
    for sid, sec in raw["sections"].items():
        sections.append(Section(
            id=sec.get("id", sid),
            blocks=[_block(dict(b)) for b in sec.get("blocks", [])],
            skipped=sec.get("skipped"),
            skipped_kw=sec.get("skipped_kw") or {},
            data=sec.get("data") or {},
        ))
    return Analysis(sections, AnalysisConfig.model_validate(raw.get("config") or {}),
                    created=raw.get("created", ""), version=raw.get("version", ""),
                    engine=raw.get("engine", ""))


def read_analysis(folder: str | Path) -> Analysis:
    """Read ``folder/analysis.json``; raise LoyalscopeError with a fix when it is missing."""
    path = Path(folder) / "analysis.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LoyalscopeError(t("web.errors.no_analysis_json", path=str(path)),
                              fix=t("web.errors.no_analysis_json_fix"), file=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise LoyalscopeError(t("web.errors.bad_analysis_json", detail=str(exc)),
                              fix=t("web.errors.no_analysis_json_fix"), file=str(path)) from exc
    return analysis_from_dict(raw)


class AnalysisCache:
    """Analyses read from disk, kept while their ``analysis.json`` is unchanged (by mtime)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: dict[Path, tuple[float, Analysis]] = {}
        self._lock = threading.Lock()

    def get(self, folder: str | Path) -> Analysis:
        folder = Path(folder)
        path = folder / "analysis.json"
        mtime = path.stat().st_mtime if path.exists() else -1.0
        with self._lock:
            hit = self._items.get(folder)
            if hit is not None and hit[0] == mtime:
                return hit[1]
        analysis = read_analysis(folder)
        with self._lock:
            if len(self._items) >= self.size:
                self._items.pop(next(iter(self._items)))
            self._items[folder] = (mtime, analysis)
        return analysis

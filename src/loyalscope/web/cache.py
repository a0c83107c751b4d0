"""Dashboard payloads computed once per analysis and language, and kept.

A dashboard (every section's numbers and ~40 Plotly figures) costs about half a second to
build from ``analysis.json``; under load that cost must not be paid per request. The job writes
``<state>/cache/<id>/board.<lang>.json`` for both languages when it finishes (an imported output
folder gets its files at the first request); each server process then keeps the encoded answers
in memory, plain and gzip-compressed, with an ETag. A payload is rebuilt only when the analysis's
``analysis.json`` changes (its modification time and size are the stamp).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loyalscope.web import views

if TYPE_CHECKING:
    from loyalscope.analysis import Analysis

LANGS = ("zh", "en")


def stamp_of(out_dir: Path) -> str:
    st = (out_dir / "analysis.json").stat()
    return f"{st.st_mtime_ns}:{st.st_size}"


def finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None (strict JSON)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return obj


def encode(obj: Any) -> bytes:
    return json.dumps(finite(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_board(analysis: Analysis, cache_dir: Path, lang: str, stamp: str) -> dict[str, Any]:
    board = views.dashboard(analysis, lang)
    _write_atomic(cache_dir / f"board.{lang}.json", encode({"stamp": stamp, "board": board}))
    return board


def build_caches(out_dir: Path, cache_dir: Path) -> None:
    """Write the dashboard payloads (both languages) and the customer lookup table of a
    finished analysis (called by the job at its end)."""
    from loyalscope.web.customers import build
    from loyalscope.web.saved import read_analysis

    analysis = read_analysis(out_dir)
    stamp = stamp_of(out_dir)
    for lang in LANGS:
        write_board(analysis, cache_dir, lang, stamp)
    parquet = out_dir / "customers.parquet"
    if parquet.is_file():
        build(parquet, cache_dir / "customers.duckdb")


@dataclass(frozen=True)
class Board:
    """One dashboard, ready to send: ``page`` for the HTML template (charts without their
    figures), ``api`` the whole payload, ``figures`` chart id -> figure, each as (plain, gzip)."""

    stamp: str
    page: dict[str, Any]
    api: tuple[bytes, bytes]
    figures: tuple[bytes, bytes]
    etag: str


def _pair(data: bytes) -> tuple[bytes, bytes]:
    return data, gzip.compress(data, 6)


def _board(stamp: str, analysis_id: str, board: dict[str, Any]) -> Board:
    figures: dict[str, Any] = {}
    page_sections = []
    for section in board["sections"]:
        charts = []
        for i, chart in enumerate(section["charts"], 1):
            chart_id = f"chart-{section['id']}-{i}"
            figures[chart_id] = chart["figure"]
            charts.append({k: v for k, v in chart.items() if k != "figure"} | {"id": chart_id})
        page_sections.append(section | {"charts": charts})
    api = encode({"id": analysis_id, **board})
    etag = '"' + hashlib.sha256(api).hexdigest()[:32] + '"'
    return Board(stamp, board | {"sections": page_sections}, _pair(api), _pair(encode(figures)), etag)


class Boards:
    """The encoded dashboards of this process, per (analysis, language)."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: dict[tuple[str, str], Board] = {}
        self._lock = threading.Lock()
        self._building: dict[tuple[str, str], threading.Lock] = {}

    def get(self, analysis_id: str, out_dir: Path, cache_dir: Path, lang: str,
            analysis: Callable[[], Analysis]) -> Board:
        stamp = stamp_of(out_dir)
        key = (analysis_id, lang)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and hit.stamp == stamp:
                return hit
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one thread builds; the others wait for its result
            with self._lock:
                hit = self._items.get(key)
                if hit is not None and hit.stamp == stamp:
                    return hit
            board = self._from_file(cache_dir / f"board.{lang}.json", stamp)
            if board is None:
                board = write_board(analysis(), cache_dir, lang, stamp)
            made = _board(stamp, analysis_id, board)
        with self._lock:
            self._items[key] = made
            while len(self._items) > self.size:
                self._items.pop(next(iter(self._items)))
        return made

    def ready(self, analysis_id: str, out_dir: Path, lang: str) -> Board | None:
        """The board when it is in memory and current, else None (never builds)."""
        try:
            stamp = stamp_of(out_dir)
        except OSError:
            return None
        hit = self._items.get((analysis_id, lang))
        return hit if hit is not None and hit.stamp == stamp else None

    @staticmethod
    def _from_file(path: Path, stamp: str) -> dict[str, Any] | None:
        try:
            raw = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return raw["board"] if raw.get("stamp") == stamp else None

    def forget(self, analysis_id: str) -> None:
        with self._lock:
            for key in [k for k in self._items if k[0] == analysis_id]:
                self._items.pop(key)

"""The web app's operations, shared by the JSON API and the pages: register datasets (uploads,
server paths inside the data roots, named connections), start, cancel, rerun and delete
analyses, and open a finished analysis's outputs, dashboards and customer lookup."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from loyalscope.analysis import Analysis
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import normalise_lang, t
from loyalscope.sections import ORDER
from loyalscope.web.cache import Board, Boards
from loyalscope.web.confine import (
    Refused,
    clean_name,
    count_files,
    inside,
    resolve_in_roots,
    upload_name,
)
from loyalscope.web.customers import Lookup, Lookups
from loyalscope.web.jobs import JobRunner
from loyalscope.web.monitor_jobs import MonitorScheduler
from loyalscope.web.saved import AnalysisCache
from loyalscope.web.settings import WebSettings
from loyalscope.web.store import ACTIVE, AnalysisRow, DatasetRow, Store, new_id

UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".jsonl", ".json", ".duckdb", ".toml",
                   ".zip")
OUTPUT_FILES = ("analysis.json", "customers.parquet", "customers.csv", "loyalscope.xlsx", "quarantine.csv",
                "report.html", "report.en.html", "report.zh.html")
MAX_UPLOAD_FILES = 100
DONE_ROW_TTL_S = 2.0
"""How long a process trusts its memory of a finished analysis's row (a delete or rerun in
another worker process is seen after at most this long)."""


class NotFound(LoyalscopeError):
    """A dataset, analysis or customer id that does not exist (HTTP 404)."""


class NotReady(LoyalscopeError):
    """An analysis whose outputs are not there yet, or that failed (HTTP 409)."""


class Forbidden(LoyalscopeError):
    """The caller may not do this (HTTP 403)."""


class TooBusy(LoyalscopeError):
    """The job queue is full (HTTP 429)."""


def status_of(exc: LoyalscopeError) -> int:
    for cls, code in ((NotFound, 404), (NotReady, 409), (Forbidden, 403), (TooBusy, 429)):
        if isinstance(exc, cls):
            return code
    return 400


def import_output(store: Store, folder: str | Path, lang: str = "zh") -> AnalysisRow:
    """Register the output folder of ``loyalscope analyze`` / ``demo`` as a finished analysis
    (once; its files are never deleted by the app)."""
    folder = Path(folder).resolve()
    known = store.analysis_by_out_dir(str(folder))
    if known is not None:
        return known
    path = folder / "analysis.json"
    if not path.is_file():
        raise ConfigError(t("web.errors.no_analysis_json", path=str(path)),
                          fix=t("web.errors.no_analysis_json_fix"), file=str(path))
    locale = json.loads(path.read_text(encoding="utf-8")).get("config", {}).get("locale")
    return store.add_analysis(folder.name, str(folder), None, normalise_lang(locale or lang),
                              status="done", owned=False)


class WebState:
    """Store, job runner and caches of one app; ``lang`` is the default page language."""

    def __init__(self, state_dir: str | Path, db_url: str | None = None, lang: str = "zh",
                 settings: WebSettings | None = None) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.lang = normalise_lang(lang)
        self.settings = settings or WebSettings(no_auth=True)
        self.store = Store(self.state_dir, db_url)
        self.runner = JobRunner(self.store, self.settings, self.state_dir)
        self.monitors = MonitorScheduler(self.store, self.settings, self.state_dir)
        self.cache = AnalysisCache()
        self.boards = Boards()
        self.lookups = Lookups()
        self._done_rows: dict[str, tuple[float, AnalysisRow]] = {}

    # datasets -----------------------------------------------------------------------------
    def add_upload(self, name: str, files: Iterable[tuple[str, IO[bytes]]]) -> DatasetRow:
        """Copy uploaded ``(filename, stream)`` pairs into a new dataset folder."""
        name = clean_name(name)
        dataset_id = new_id()
        folder = self.state_dir / "datasets" / dataset_id
        folder.mkdir(parents=True, exist_ok=True)
        count = size = 0
        try:
            for filename, stream in files:
                if not (filename or "").strip():
                    continue
                base = upload_name(filename)
                if not base.lower().endswith(UPLOAD_SUFFIXES):
                    raise ConfigError(t("web.datasets.bad_suffix", name=base),
                                      fix=t("web.datasets.bad_suffix_fix", suffixes=", ".join(UPLOAD_SUFFIXES)),
                                      file=base)
                if (folder / base).exists() or count >= MAX_UPLOAD_FILES:
                    raise Refused(t("web.datasets.duplicate", name=base),
                                  fix=t("web.datasets.duplicate_fix", n=MAX_UPLOAD_FILES))
                with open(folder / base, "xb") as out:
                    shutil.copyfileobj(stream, out, 1 << 20)
                count += 1
                size += (folder / base).stat().st_size
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if count == 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise ConfigError(t("web.datasets.no_files"), fix=t("web.datasets.no_files_fix"))
        return self.store.add_dataset(name or dataset_id, "upload", str(folder), count, size, id=dataset_id)

    def add_path(self, source: str, name: str | None = None) -> DatasetRow:
        """Register a folder or file inside the data roots, read in place (never a URL)."""
        path = resolve_in_roots(source, self.settings.data_roots)
        files, size = count_files(path)
        return self.store.add_dataset(clean_name(name or "") or path.name, "path", str(path), files, size)

    def add_connection(self, connection: str, name: str | None = None) -> DatasetRow:
        """Register a named connection of the server config (only its name is stored)."""
        if connection not in self.settings.connections:
            raise Refused(t("web.datasets.no_connection", name=clean_name(connection)[:64]),
                          fix=t("web.datasets.no_connection_fix",
                                names=", ".join(sorted(self.settings.connections)) or "-"))
        return self.store.add_dataset(clean_name(name or "") or connection, "connection", connection)

    def dataset(self, dataset_id: str) -> DatasetRow:
        row = self.store.dataset(dataset_id)
        if row is None:
            raise NotFound(t("web.errors.no_dataset", id=dataset_id[:64]), fix=t("web.errors.no_dataset_fix"))
        return row

    def delete_dataset(self, dataset_id: str) -> None:
        """Remove a dataset and its uploaded files (never files it reads in place)."""
        row = self.dataset(dataset_id)
        self.store.delete_dataset(dataset_id)
        uploads = self.state_dir / "datasets"
        if row.kind == "upload" and inside(Path(row.source).resolve(), [uploads]):
            shutil.rmtree(row.source, ignore_errors=True)

    # analyses -----------------------------------------------------------------------------
    def start_analysis(self, dataset_id: str, lang: str | None = None,
                       sections: Iterable[str] | None = None) -> AnalysisRow:
        """Queue an analysis of a dataset; 429 when the queue is full."""
        dataset = self.dataset(dataset_id)
        lang = normalise_lang(lang or self.lang)
        wanted = tuple(s for s in (sections or ()) if s)
        unknown = [s[:64] for s in wanted if s not in ORDER]
        if unknown:
            raise ConfigError(t("web.analyses.bad_sections", sections=", ".join(unknown[:5])),
                              fix=t("web.analyses.bad_sections_fix", choices=", ".join(ORDER)))
        self._check_queue()
        analysis_id = new_id()
        out = self.state_dir / "analyses" / analysis_id
        row = self.store.add_analysis(dataset.name, str(out), dataset.id, lang, wanted or None, id=analysis_id)
        self.runner.submit(row.id)
        return row

    def _check_queue(self) -> None:
        if self.store.count_active() >= self.settings.max_queue:
            raise TooBusy(t("web.limits.queue_full", n=self.settings.max_queue),
                          fix=t("web.limits.queue_full_fix"))

    def cancel(self, analysis_id: str) -> AnalysisRow:
        row = self.analysis_row(analysis_id)
        if row.status in ACTIVE:
            self.runner.cancel(analysis_id)
        return self.analysis_row(analysis_id)

    def rerun(self, analysis_id: str) -> AnalysisRow:
        """Queue an interrupted, failed or cancelled analysis again (same id, fresh outputs)."""
        row = self.analysis_row(analysis_id)
        if row.status in ACTIVE or not row.owned or row.dataset_id is None:
            raise NotReady(t("web.analyses.no_rerun", status=row.status), fix=t("web.analyses.no_rerun_fix"))
        self._check_queue()
        self._done_rows.pop(analysis_id, None)
        self._remove_files(row)
        self.store.update_analysis(analysis_id, status="queued", step=None, step_index=0, step_total=0,
                                   error_type=None, error=None, error_fix=None, error_where=None,
                                   started=None, finished=None, cancel=0)
        self.runner.submit(analysis_id)
        return self.analysis_row(analysis_id)

    def delete_analysis(self, analysis_id: str) -> None:
        """Stop the job if it runs, remove its row, outputs and caches (an imported output
        folder is only forgotten, its files stay)."""
        row = self.analysis_row(analysis_id)
        if row.status in ACTIVE:
            self.runner.cancel(analysis_id)
            self.runner.wait(analysis_id, timeout=30)
        self._done_rows.pop(analysis_id, None)
        self.store.delete_analysis(analysis_id)
        self._remove_files(row)

    def _remove_files(self, row: AnalysisRow) -> None:
        cache = self.state_dir / "cache" / row.id
        self.boards.forget(row.id)
        self.lookups.forget(cache / "customers.duckdb")
        shutil.rmtree(cache, ignore_errors=True)
        out = Path(row.out_dir).resolve()
        if row.owned and inside(out, [self.state_dir / "analyses"]):
            shutil.rmtree(out, ignore_errors=True)

    def import_output(self, folder: str | Path) -> AnalysisRow:
        """Register the output folder of ``loyalscope analyze`` / ``demo`` as a finished analysis."""
        return import_output(self.store, folder, self.lang)

    def analysis_row(self, analysis_id: str) -> AnalysisRow:
        row = self.store.analysis(analysis_id)
        if row is None:
            raise NotFound(t("web.errors.no_analysis", id=analysis_id[:64]), fix=t("web.errors.no_analysis_fix"))
        return row

    def _done(self, analysis_id: str) -> AnalysisRow:
        hit = self._done_rows.get(analysis_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < DONE_ROW_TTL_S:
            return hit[1]
        row = self.analysis_row(analysis_id)
        if row.status != "done":
            raise NotReady(t("web.errors.not_ready", id=analysis_id, status=t(f"web.status.{row.status}")),
                           fix=t("web.errors.not_ready_fix"))
        if len(self._done_rows) > 1000:
            self._done_rows.clear()
        self._done_rows[analysis_id] = (now, row)
        return row

    def board_ready(self, analysis_id: str, lang: str) -> Board | None:
        """The dashboard payload when this process already holds it (no database, no disk
        beyond one stat): the fast path of the dashboard answers."""
        hit = self._done_rows.get(analysis_id)
        if hit is None or time.monotonic() - hit[0] >= DONE_ROW_TTL_S:
            return None
        return self.boards.ready(analysis_id, Path(hit[1].out_dir), lang)

    def finished(self, analysis_id: str) -> tuple[AnalysisRow, Analysis]:
        """The row and the Analysis of a finished job; NotReady while queued, running or failed."""
        row = self._done(analysis_id)
        return row, self.cache.get(row.out_dir)

    def board(self, analysis_id: str, lang: str) -> Board:
        """The dashboard payload of a finished analysis (computed once, then kept)."""
        row = self._done(analysis_id)
        return self.boards.get(row.id, Path(row.out_dir), self.state_dir / "cache" / row.id, lang,
                               lambda: self.cache.get(row.out_dir))

    def lookup(self, analysis_id: str) -> Lookup:
        """The open customer lookup of a finished analysis."""
        row = self._done(analysis_id)
        path = Path(row.out_dir) / "customers.parquet"
        if not path.is_file():
            raise NotFound(t("web.errors.no_customers"), fix=t("web.errors.no_customers_fix"))
        return self.lookups.get(path, self.state_dir / "cache" / row.id / "customers.duckdb")

    def output_file(self, analysis_id: str, name: str) -> Path:
        row = self.analysis_row(analysis_id)
        path = Path(row.out_dir) / name
        if name not in OUTPUT_FILES or not path.is_file():
            raise NotFound(t("web.errors.no_file", name=name[:64]), fix=t("web.errors.no_file_fix"))
        return path

    def report_file(self, analysis_id: str, lang: str) -> Path:
        """The self-contained HTML report in ``lang`` (the job's language is report.html)."""
        row = self._done(analysis_id)
        lang = normalise_lang(lang)
        return self.output_file(analysis_id, "report.html" if lang == row.lang else f"report.{lang}.html")

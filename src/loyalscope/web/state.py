"""The web app's operations, shared by the JSON API and the pages: register datasets (uploads,
server paths), start analyses, and open a finished analysis's outputs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from loyalscope.analysis import Analysis
from loyalscope.errors import ConfigError, LoyalscopeError
from loyalscope.i18n import normalise_lang, t
from loyalscope.sections import ORDER
from loyalscope.web.jobs import JobRunner
from loyalscope.web.saved import AnalysisCache
from loyalscope.web.store import AnalysisRow, DatasetRow, Store, new_id

UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".jsonl", ".json", ".duckdb", ".toml")
OUTPUT_FILES = ("analysis.json", "customers.parquet", "loyalscope.xlsx", "quarantine.csv",
                "report.html", "report.en.html", "report.zh.html")


class NotFound(LoyalscopeError):
    """A dataset, analysis or customer id that does not exist (HTTP 404)."""


class NotReady(LoyalscopeError):
    """An analysis whose outputs are not there yet, or that failed (HTTP 409)."""


class WebState:
    """Store + job runner + analysis cache of one app; ``lang`` is the default page language."""

    def __init__(self, state_dir: str | Path, db_url: str | None = None, lang: str = "zh",
                 workers: int = 1) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.lang = normalise_lang(lang)
        self.store = Store(self.state_dir, db_url)
        self.runner = JobRunner(self.store, workers)
        self.cache = AnalysisCache()

    # datasets -----------------------------------------------------------------------------
    def add_upload(self, name: str, files: Iterable[tuple[str, IO[bytes]]]) -> DatasetRow:
        """Copy uploaded ``(filename, stream)`` pairs into a new dataset folder."""
        dataset_id = new_id()
        folder = self.state_dir / "datasets" / dataset_id
        folder.mkdir(parents=True, exist_ok=True)
        count = size = 0
        for filename, stream in files:
            base = Path(filename or "").name
            if not base:
                continue
            if not base.lower().endswith(UPLOAD_SUFFIXES):
                shutil.rmtree(folder, ignore_errors=True)
                raise ConfigError(t("web.datasets.bad_suffix", name=base),
                                  fix=t("web.datasets.bad_suffix_fix", suffixes=", ".join(UPLOAD_SUFFIXES)),
                                  file=base)
            with open(folder / base, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            count += 1
            size += (folder / base).stat().st_size
        if count == 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise ConfigError(t("web.datasets.no_files"), fix=t("web.datasets.no_files_fix"))
        return self.store.add_dataset(name or dataset_id, "upload", str(folder), count, size, id=dataset_id)

    def add_path(self, source: str, name: str | None = None) -> DatasetRow:
        """Register a folder or file on the server, or a database URL, without copying it."""
        source = source.strip()
        if "://" not in source:
            path = Path(source).expanduser()
            if not path.exists():
                raise ConfigError(t("web.datasets.no_path", path=source),
                                  fix=t("web.datasets.no_path_fix"), file=source)
            source = str(path.resolve())
            files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
            return self.store.add_dataset(name or path.name, "path", source, len(files),
                                          sum(p.stat().st_size for p in files))
        return self.store.add_dataset(name or source.split("://")[0], "path", source)

    def dataset(self, dataset_id: str) -> DatasetRow:
        row = self.store.dataset(dataset_id)
        if row is None:
            raise NotFound(t("web.errors.no_dataset", id=dataset_id), fix=t("web.errors.no_dataset_fix"))
        return row

    # analyses -----------------------------------------------------------------------------
    def start_analysis(self, dataset_id: str, lang: str | None = None,
                       sections: Iterable[str] | None = None) -> AnalysisRow:
        """Queue an analysis of a dataset; it runs in the background."""
        dataset = self.dataset(dataset_id)
        lang = normalise_lang(lang or self.lang)
        wanted = tuple(s for s in (sections or ()) if s)
        unknown = [s for s in wanted if s not in ORDER]
        if unknown:
            raise ConfigError(t("web.analyses.bad_sections", sections=", ".join(unknown)),
                              fix=t("web.analyses.bad_sections_fix", choices=", ".join(ORDER)))
        analysis_id = new_id()
        out = self.state_dir / "analyses" / analysis_id
        row = self.store.add_analysis(dataset.name, str(out), dataset.id, lang, wanted or None, id=analysis_id)
        self.runner.submit(row.id)
        return row

    def import_output(self, folder: str | Path) -> AnalysisRow:
        """Register the output folder of ``loyalscope analyze`` / ``demo`` as a finished analysis."""
        folder = Path(folder).resolve()
        known = self.store.analysis_by_out_dir(str(folder))
        if known is not None:
            return known
        path = folder / "analysis.json"
        if not path.is_file():
            raise ConfigError(t("web.errors.no_analysis_json", path=str(path)),
                              fix=t("web.errors.no_analysis_json_fix"), file=str(path))
        locale = json.loads(path.read_text(encoding="utf-8")).get("config", {}).get("locale")
        return self.store.add_analysis(folder.name, str(folder), None, normalise_lang(locale or self.lang),
                                       status="done")

    def analysis_row(self, analysis_id: str) -> AnalysisRow:
        row = self.store.analysis(analysis_id)
        if row is None:
            raise NotFound(t("web.errors.no_analysis", id=analysis_id), fix=t("web.errors.no_analysis_fix"))
        return row

    def finished(self, analysis_id: str) -> tuple[AnalysisRow, Analysis]:
        """The row and the Analysis of a finished job; NotReady while queued, running or failed."""
        row = self.analysis_row(analysis_id)
        if row.status != "done":
            raise NotReady(t("web.errors.not_ready", id=analysis_id, status=row.status),
                           fix=t("web.errors.not_ready_fix"))
        return row, self.cache.get(row.out_dir)

    def customers_file(self, analysis_id: str) -> Path:
        row, _ = self.finished(analysis_id)
        path = Path(row.out_dir) / "customers.parquet"
        if not path.is_file():
            raise NotFound(t("web.errors.no_customers"), fix=t("web.errors.no_customers_fix"), file=str(path))
        return path

    def output_file(self, analysis_id: str, name: str) -> Path:
        row = self.analysis_row(analysis_id)
        path = Path(row.out_dir) / name
        if name not in OUTPUT_FILES or not path.is_file():
            raise NotFound(t("web.errors.no_file", name=name), fix=t("web.errors.no_file_fix"))
        return path

    def report_file(self, analysis_id: str, lang: str) -> Path:
        """The self-contained HTML report in ``lang`` (the job's language is report.html)."""
        row, _ = self.finished(analysis_id)
        lang = normalise_lang(lang)
        return self.output_file(analysis_id, "report.html" if lang == row.lang else f"report.{lang}.html")

"""Analyses as background jobs: ``analyze`` runs in a worker thread and writes the same outputs
as ``loyalscope analyze`` (report.html in the job's language and the other, loyalscope.xlsx,
analysis.json, customers.parquet, quarantine.csv); its status lives in the :class:`Store`.

A job the server was running when it stopped is marked failed with a fix (start it again);
queued jobs are queued again on start.
"""

from __future__ import annotations

import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from loyalscope.config import AnalysisConfig
from loyalscope.errors import LoyalscopeError
from loyalscope.i18n import t, use_lang
from loyalscope.web.store import Store


def write_outputs(source: str, out: Path, lang: str, sections: tuple[str, ...] | None,
                  progress=None) -> dict[str, Path]:
    """Load ``source``, analyse it and write every output into ``out``; return their paths.

    ``source`` is a folder, a file or a database URL; a ``loyalscope.toml`` beside the data
    (in the folder) is read as the analysis configuration.
    """
    from loyalscope.analysis import analyze
    from loyalscope.data.load import load
    from loyalscope.report.outputs import require_transactions, write_outputs

    toml = Path(source) / "loyalscope.toml" if "://" not in source else None
    config = AnalysisConfig.load(toml if toml is not None and toml.is_file() else None, locale=lang)
    dataset = load(source, config=config)
    require_transactions(dataset, out)
    analysis = analyze(dataset, config, progress=progress, sections=sections)
    return write_outputs(analysis, dataset, out, lang)


class JobRunner:
    """Run analysis jobs one after another in a background thread (``workers`` at a time)."""

    def __init__(self, store: Store, workers: int = 1) -> None:
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loyalscope-job")
        self.futures: dict[str, Future[None]] = {}

    def recover(self) -> None:
        """After a restart: fail the jobs that were running, queue the queued ones again."""
        for row in self.store.analyses("running"):
            self.store.update_analysis(row.id, status="failed", error_type="Interrupted",
                                       error=t("web.jobs.interrupted", row.lang),
                                       error_fix=t("web.jobs.interrupted_fix", row.lang))
        for row in reversed(self.store.analyses("queued")):
            self.submit(row.id)

    def submit(self, analysis_id: str) -> Future[None]:
        future = self._pool.submit(self._run, analysis_id)
        self.futures[analysis_id] = future
        return future

    def _run(self, analysis_id: str) -> None:
        row = self.store.analysis(analysis_id)
        if row is None:
            return
        dataset = self.store.dataset(row.dataset_id) if row.dataset_id else None
        self.store.update_analysis(analysis_id, status="running", step=None)

        def progress(section_id: str, i: int, n: int) -> None:
            self.store.update_analysis(analysis_id, step=section_id, step_index=i, step_total=n)

        try:
            with use_lang(row.lang):
                if dataset is None:
                    raise LoyalscopeError(t("web.jobs.no_dataset"), fix=t("web.jobs.no_dataset_fix"))
                write_outputs(dataset.source, Path(row.out_dir), row.lang, row.section_ids(), progress)
        except LoyalscopeError as exc:
            self.store.update_analysis(analysis_id, status="failed", error_type=type(exc).__name__,
                                       error=exc.message, error_fix=exc.fix,
                                       error_where=exc.location() or None)
        except Exception as exc:  # an unexpected failure is still reported, with its traceback
            self.store.update_analysis(
                analysis_id, status="failed", error_type=type(exc).__name__,
                error=f"{exc}\n\n{traceback.format_exc(limit=8)}",
                error_fix=t("web.jobs.unexpected_fix", row.lang))
        else:
            self.store.update_analysis(analysis_id, status="done", step="done")

    def wait(self, analysis_id: str, timeout: float | None = None) -> None:
        """Block until the job has finished (tests, the CLI)."""
        future = self.futures.get(analysis_id)
        if future is not None:
            future.result(timeout)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

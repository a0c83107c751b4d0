"""Analyses as background jobs, each in its own process (:mod:`loyalscope.web.worker`).

One scheduler per state folder runs them: every worker process of the server tries to take the
lock file ``<state>/jobs.lock``; the one holding it starts queued jobs (``job_workers`` at a
time), watches each job's resident memory and run time against the limits, and kills a job that
is over them or that a user cancelled (any process can ask, through the ``cancel`` column).
When the scheduler starts it marks jobs left ``running`` by a previous server as
``interrupted`` (a user can run them again); queued jobs simply run.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from loyalscope.i18n import t
from loyalscope.web.settings import WebSettings
from loyalscope.web.store import DatasetRow, Store

POLL_S = 0.25


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    started: float
    log: IO[bytes]
    lang: str
    stop: str | None = None  # "memory", "time", "cancel", "shutdown"
    peak_mb: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (MiB), from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        rss[int(entry)] = int(stat[21])
    page = os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0) * page
        todo.extend(children.get(p, []))
    return total / 2**20


def dataset_spec(dataset: DatasetRow | None, settings: WebSettings) -> dict[str, Any]:
    """What a job process needs to read ``dataset`` (see ``worker.open_dataset``): its kind and
    source, the roots it must stay in (an upload: its own folder), a named connection's URL,
    the secrets to mask, the memory limit."""
    job: dict[str, Any] = {
        "memory_mb": settings.job_memory_mb, "hide": settings.secrets_to_hide(),
        "roots": [str(r) for r in settings.data_roots], "kind": None, "source": None,
    }
    if dataset is not None:
        job["kind"], job["source"] = dataset.kind, dataset.source
        if dataset.kind == "upload":
            job["roots"] = [dataset.source]
        elif dataset.kind == "connection":
            job["url"] = settings.connections.get(dataset.source)
    return job


class JobRunner:
    """Start, watch and stop analysis jobs of one state folder."""

    def __init__(self, store: Store, settings: WebSettings | None = None,
                 state_dir: Path | None = None) -> None:
        self.store = store
        self.settings = settings or WebSettings(no_auth=True)
        self.state_dir = Path(state_dir or store.state_dir)
        self._running: dict[str, _Running] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        #: set once this process holds the scheduler lock and has marked orphaned jobs interrupted
        self.recovered = threading.Event()
        self._lock_file: IO[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name="loyalscope-jobs", daemon=True)
        self._thread.start()

    # public --------------------------------------------------------------------------------
    def submit(self, analysis_id: str) -> None:
        """A queued analysis is waiting (the scheduler also finds it by polling)."""
        self._wake.set()

    def recover(self) -> None:
        """Kept for callers of the thread runner: recovery happens when the scheduler starts."""
        self._wake.set()

    def wait(self, analysis_id: str, timeout: float | None = None) -> None:
        """Block until the analysis is no longer queued or running (tests, the CLI)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            row = self.store.analysis(analysis_id)
            if row is None or row.status not in ("queued", "running"):
                return
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(analysis_id)
            time.sleep(0.1)

    def cancel(self, analysis_id: str) -> None:
        """Ask for a running job to stop (the scheduler kills it); a queued one stops at once."""
        row = self.store.analysis(analysis_id)
        if row is None:
            return
        if row.status == "queued":
            self.store.update_analysis(analysis_id, status="cancelled", error_type="Cancelled",
                                       error=t("web.jobs.cancelled", row.lang),
                                       error_fix=t("web.jobs.cancelled_fix", row.lang))
        elif row.status == "running":
            self.store.update_analysis(analysis_id, cancel=1)
        self._wake.set()

    def shutdown(self) -> None:
        """Stop the scheduler; jobs still running are killed and marked interrupted."""
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    # the scheduler ------------------------------------------------------------------------
    def _take_lock(self) -> bool:
        path = self.state_dir / "jobs.lock"
        fh = open(path, "ab")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._lock_file = fh
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._lock_file is None:
                if not self._take_lock():
                    self._stop.wait(1.0)
                    continue
                self._mark_interrupted()
                self.recovered.set()
            try:
                self._tick()
            except Exception as exc:  # the scheduler must survive a database hiccup
                sys.stderr.write(f"loyalscope jobs: {type(exc).__name__}: {exc}\n")
            self._wake.wait(POLL_S)
            self._wake.clear()
        for analysis_id, job in list(self._running.items()):
            job.stop = "shutdown"
            self._kill(job)
            self._finish(analysis_id, job)
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _mark_interrupted(self) -> None:
        for row in self.store.analyses("running"):
            if row.id not in self._running:
                self.store.update_analysis(row.id, status="interrupted", error_type="Interrupted",
                                           error=t("web.jobs.interrupted", row.lang),
                                           error_fix=t("web.jobs.interrupted_fix", row.lang))

    def _tick(self) -> None:
        now = time.monotonic()
        for analysis_id, job in list(self._running.items()):
            if job.proc.poll() is not None:
                self._finish(analysis_id, job)
                continue
            row = self.store.analysis(analysis_id)
            mb = tree_rss_mb(job.proc.pid)
            job.peak_mb = max(job.peak_mb, mb)
            if row is None or row.cancel:
                job.stop = "cancel"
            elif mb > self.settings.job_memory_mb:
                job.stop = "memory"
            elif now - job.started > self.settings.job_timeout_s:
                job.stop = "time"
            if job.stop:
                self._kill(job)
                self._finish(analysis_id, job)
        free = self.settings.job_workers - len(self._running)
        if free <= 0:
            return
        for row in sorted(self.store.analyses("queued"), key=lambda r: (r.created, r.id))[:free]:
            if self.store.claim(row.id):
                self._start(row.id)

    def spec(self, analysis_id: str) -> dict[str, Any] | None:
        """The orders a worker process gets on its standard input."""
        row = self.store.analysis(analysis_id)
        if row is None:
            return None
        dataset = self.store.dataset(row.dataset_id) if row.dataset_id else None
        job: dict[str, Any] = {
            "id": row.id, "lang": row.lang, "sections": list(row.section_ids() or ()),
            "out_dir": row.out_dir, "cache_dir": str(self.state_dir / "cache" / row.id),
            "state_dir": str(self.state_dir), "db_url": self.store.url,
            **dataset_spec(dataset, self.settings),
        }
        return job

    def _start(self, analysis_id: str) -> None:
        job = self.spec(analysis_id)
        row = self.store.analysis(analysis_id)
        lang = row.lang if row else "zh"
        if job is None:
            return
        problem: tuple[str, str, dict[str, Any]] | None = None
        if job["kind"] is None:
            problem = ("web.jobs.no_dataset", "web.jobs.no_dataset_fix", {})
        elif job["kind"] == "connection" and not job.get("url"):
            problem = ("web.jobs.no_connection", "web.jobs.no_connection_fix", {"name": job["source"]})
        if problem:
            self.store.update_analysis(analysis_id, status="failed", error_type="ConfigError",
                                       error=t(problem[0], lang, **problem[2]),
                                       error_fix=t(problem[1], lang, **problem[2]))
            return
        logs = self.state_dir / "logs"
        logs.mkdir(exist_ok=True)
        log = open(logs / f"{analysis_id}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "loyalscope.web.worker"],
                                stdin=subprocess.PIPE, stdout=log, stderr=log,
                                start_new_session=True, close_fds=True)
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(job).encode("utf-8"))
            proc.stdin.close()
        except BrokenPipeError:
            pass
        self._running[analysis_id] = _Running(proc, time.monotonic(), log, lang)

    @staticmethod
    def _kill(job: _Running) -> None:
        try:
            os.killpg(job.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        job.proc.wait(30)

    def _finish(self, analysis_id: str, job: _Running) -> None:
        self._running.pop(analysis_id, None)
        job.log.close()
        code = job.proc.wait()
        row = self.store.analysis(analysis_id)
        if row is None or row.status != "running":
            return  # the job wrote its own final status, or was deleted
        lang = job.lang
        if job.stop == "cancel":
            values = {"status": "cancelled", "error_type": "Cancelled",
                      "error": t("web.jobs.cancelled", lang), "error_fix": t("web.jobs.cancelled_fix", lang)}
        elif job.stop == "memory":
            mb = self.settings.job_memory_mb
            values = {"status": "failed", "error_type": "MemoryLimit",
                      "error": t("web.jobs.memory", lang, mb=mb), "error_fix": t("web.jobs.memory_fix", lang)}
        elif job.stop == "time":
            minutes = round(self.settings.job_timeout_s / 60, 1)
            values = {"status": "failed", "error_type": "TimeLimit",
                      "error": t("web.jobs.time", lang, minutes=minutes),
                      "error_fix": t("web.jobs.time_fix", lang)}
        elif job.stop == "shutdown":
            values = {"status": "interrupted", "error_type": "Interrupted",
                      "error": t("web.jobs.interrupted", lang), "error_fix": t("web.jobs.interrupted_fix", lang)}
        else:
            values = {"status": "failed", "error_type": "InternalError",
                      "error": t("web.jobs.crashed", lang, ref=analysis_id, code=code),
                      "error_fix": t("web.jobs.unexpected_fix", lang)}
        self.store.update_analysis(analysis_id, cancel=0, **values)

"""Scheduled monitors: APScheduler fires each monitor's cron expression; a fire time becomes one
queued run in the app database (unique per monitor and fire time); runs are jobs in their own
processes (:mod:`loyalscope.web.monitor_worker`) under the server's job limits.

One process per state folder schedules: the one holding ``<state>/monitors.lock`` (the others
keep trying, so a restarted or crashed holder is replaced). When it starts, runs a previous
server left running are marked ``interrupted`` and each monitor's latest fire time since its
creation gets its run if it has none: a fire time missed while the server was down runs once,
and a fire time that already ran is never run again.
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from loyalscope.errors import ConfigError
from loyalscope.i18n import t
from loyalscope.web.jobs import dataset_spec
from loyalscope.web.monitor_store import MonitorRow, MonitorStore
from loyalscope.web.settings import WebSettings
from loyalscope.web.store import Store

POLL_S = 0.5
_LOOKBACK = (timedelta(minutes=2), timedelta(hours=2), timedelta(days=2), timedelta(days=63),
             timedelta(days=400), timedelta(days=4 * 366 + 1))


def trigger(cron: str, timezone: str = "UTC") -> CronTrigger:
    """The trigger of a cron expression: 5 fields (minute hour day month weekday), or 6 with
    seconds first; a clear :class:`ConfigError` otherwise."""
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(t("web.monitors.bad_timezone", value=timezone), value=timezone,
                          fix=t("web.monitors.bad_timezone_fix")) from None
    fields = cron.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(cron, timezone=tz)
        if len(fields) == 6:
            sec, minute, hour, day, month, dow = fields
            return CronTrigger(second=sec, minute=minute, hour=hour, day=day, month=month,
                               day_of_week=dow, timezone=tz)
    except ValueError as exc:
        raise ConfigError(t("web.monitors.bad_cron", value=cron, detail=str(exc)), value=cron,
                          fix=t("web.monitors.bad_cron_fix")) from None
    raise ConfigError(t("web.monitors.bad_cron", value=cron, detail=f"{len(fields)} fields"),
                      value=cron, fix=t("web.monitors.bad_cron_fix"))


def last_fire(trig: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time of ``trig`` at or before ``now`` (UTC), None if none in 4 years."""
    for back in _LOOKBACK:
        fire = trig.get_next_fire_time(None, now - back)
        if fire is None or fire > now:
            continue
        while True:
            nxt = trig.get_next_fire_time(fire, fire + timedelta(microseconds=1))
            if nxt is None or nxt > now:
                return fire.astimezone(UTC).replace(microsecond=0)
            fire = nxt
    return None


def next_fire(cron: str, timezone: str, now: datetime | None = None) -> datetime | None:
    fire = trigger(cron, timezone).get_next_fire_time(None, now or datetime.now(UTC))
    return None if fire is None else fire.astimezone(UTC)


@dataclass
class _Running:
    proc: subprocess.Popen[bytes]
    started: float
    log: IO[bytes]
    lang: str


class MonitorScheduler:
    """Fire, queue, start, watch and stop the monitor runs of one state folder."""

    def __init__(self, store: Store, settings: WebSettings, state_dir: Path) -> None:
        self.store = store
        self.runs = MonitorStore(store.engine)
        self.settings = settings
        self.state_dir = Path(state_dir)
        self._apscheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1,
                                        "misfire_grace_time": 60})
        self._jobs: dict[str, tuple[str, str]] = {}
        self._running: dict[str, _Running] = {}
        self._lock_file: IO[bytes] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loyalscope-monitors",
                                        daemon=True)
        self._thread.start()

    # public ---------------------------------------------------------------------------------
    def run_now(self, monitor_id: str) -> None:
        """Queue a run at once (the scheduling process starts it)."""
        self.runs.add_run(monitor_id, datetime.now(UTC), manual=True)

    def wait(self, run_id: str, timeout: float) -> None:
        """Block until the run is finished (tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.runs.run(run_id)
            if row is not None and row.status not in ("queued", "running"):
                return
            time.sleep(0.1)
        raise TimeoutError(run_id)

    def shutdown(self) -> None:
        self._stop.set()
        self._thread.join(15)

    # the scheduling process -----------------------------------------------------------------
    def _take_lock(self) -> bool:
        fh = open(self.state_dir / "monitors.lock", "ab")
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
                self.runs.interrupt_running(t("web.monitors.interrupted"),
                                            t("web.monitors.interrupted_fix"))
                self._apscheduler.start()
                self._sync(catch_up=True)
            try:
                self._sync()
                self._watch()
                self._start_queued()
            except Exception as exc:  # the scheduler must survive a database hiccup
                sys.stderr.write(f"loyalscope monitors: {type(exc).__name__}: {exc}\n")
            self._stop.wait(POLL_S)
        self._close()

    def _close(self) -> None:
        if self._apscheduler.running:
            self._apscheduler.shutdown(wait=False)
        for run_id, job in list(self._running.items()):
            self._kill(job)
            self._running.pop(run_id)
            job.log.close()
            row = self.runs.run(run_id)
            if row is not None and row.status == "running":  # it had not written its end
                self.runs.finish(run_id, status="interrupted",
                                 error=t("web.monitors.interrupted"),
                                 error_fix=t("web.monitors.interrupted_fix"))
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def _sync(self, catch_up: bool = False) -> None:
        """APScheduler jobs follow the monitors table (monitors are added and deleted by any
        server process); at start, each monitor's latest fire time gets its run if it has none."""
        rows = {r.id: r for r in self.runs.monitors()}
        for monitor_id in list(self._jobs):
            row = rows.get(monitor_id)
            if row is None or (row.cron, row.timezone) != self._jobs[monitor_id]:
                self._apscheduler.remove_job(monitor_id)
                del self._jobs[monitor_id]
        now = datetime.now(UTC)
        for row in rows.values():
            if row.id in self._jobs:
                continue
            trig = trigger(row.cron, row.timezone)
            self._apscheduler.add_job(self._fire, trig, args=[row.id], id=row.id)
            self._jobs[row.id] = (row.cron, row.timezone)
            if catch_up:
                due = last_fire(trig, now)
                if due is not None and due >= row.created:
                    self.runs.add_run(row.id, due)

    def _fire(self, monitor_id: str) -> None:
        """APScheduler's callback at a fire time: queue that fire time's run (once). A fire
        time while the monitor still has a run waiting for a worker is folded into that run
        (it will check the same latest complete period): a schedule faster than its runs
        never piles up a queue."""
        row = self.runs.monitor(monitor_id)
        if row is None or self.runs.runs(monitor_id, status="queued", limit=1):
            return
        due = last_fire(trigger(row.cron, row.timezone), datetime.now(UTC))
        if due is not None:
            self.runs.add_run(monitor_id, due)

    def spec(self, run_id: str, row: MonitorRow) -> dict[str, Any]:
        """The orders a monitor process gets on its standard input."""
        dataset = self.store.dataset(row.dataset_id)
        return {"run_id": run_id, "monitor_id": row.id, "lang": row.lang, "period": row.period,
                "state_dir": str(self.state_dir), "db_url": self.store.url,
                **dataset_spec(dataset, self.settings)}

    def _start_queued(self) -> None:
        free = self.settings.job_workers - len(self._running)
        if free <= 0:
            return
        queued = sorted(self.runs.runs(status="queued"), key=lambda r: (r.created, r.id))
        for run in queued[:free]:
            monitor = self.runs.monitor(run.monitor_id)
            if monitor is None or not self.runs.claim(run.id):
                continue
            job = self.spec(run.id, monitor)
            if job["kind"] is None or (job["kind"] == "connection" and not job.get("url")):
                self.runs.finish(run.id, status="failed", error=t("web.monitors.no_dataset",
                                                                   monitor.lang),
                                 error_fix=t("web.monitors.no_dataset_fix", monitor.lang))
                continue
            logs = self.state_dir / "logs"
            logs.mkdir(exist_ok=True)
            log = open(logs / f"monitor-{run.id}.log", "ab")
            proc = subprocess.Popen([sys.executable, "-m", "loyalscope.web.monitor_worker"],
                                    stdin=subprocess.PIPE, stdout=log, stderr=log,
                                    start_new_session=True, close_fds=True)
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps(job).encode("utf-8"))
                proc.stdin.close()
            except BrokenPipeError:
                pass
            self._running[run.id] = _Running(proc, time.monotonic(), log, monitor.lang)

    def _watch(self) -> None:
        now = time.monotonic()
        for run_id, job in list(self._running.items()):
            over = now - job.started > self.settings.job_timeout_s
            if job.proc.poll() is None and not over:
                continue
            if over:
                self._kill(job)
            self._running.pop(run_id)
            job.log.close()
            row = self.runs.run(run_id)
            if row is not None and row.status == "running":  # no final status of its own
                key = "web.monitors.time" if over else "web.monitors.crashed"
                minutes = round(self.settings.job_timeout_s / 60, 1)
                self.runs.finish(run_id, status="failed",
                                 error=t(key, job.lang, minutes=minutes, ref=run_id,
                                         code=job.proc.returncode),
                                 error_fix=t("web.monitors.unexpected_fix", job.lang))

    @staticmethod
    def _kill(job: _Running) -> None:
        try:
            os.killpg(job.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        job.proc.wait(30)

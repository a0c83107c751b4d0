"""Scheduled monitors in the app database: the monitors, their runs and the alerts each run
raised (tables ``monitors``, ``monitor_runs``, ``alerts`` beside the app's own).

A run is keyed by its monitor and the fire time it belongs to (``scheduled_for``, unique
together): however often the scheduler is restarted, or however many server processes see the
same fire time, one fire time gives one run.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from loyalscope.web.store import UTCDateTime, _now, new_id


class MonitorBase(DeclarativeBase):
    pass


class MonitorRow(MonitorBase):
    """A monitor: a dataset checked on a cron schedule."""

    __tablename__ = "monitors"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    cron: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    period: Mapped[str | None] = mapped_column(String(16), nullable=True)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "dataset_id": self.dataset_id, "name": self.name,
                "cron": self.cron, "timezone": self.timezone, "period": self.period,
                "lang": self.lang, "created": self.created.isoformat()}


class MonitorRunRow(MonitorBase):
    """One run of a monitor: queued, running, done, failed or interrupted."""

    __tablename__ = "monitor_runs"
    __table_args__ = (UniqueConstraint("monitor_id", "scheduled_for", name="one_run_per_fire"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    monitor_id: Mapped[str] = mapped_column(ForeignKey("monitors.id", ondelete="CASCADE"))
    scheduled_for: Mapped[datetime] = mapped_column(UTCDateTime())
    manual: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    period: Mapped[str | None] = mapped_column(String(16), nullable=True)
    checked: Mapped[int] = mapped_column(Integer, default=0)
    alerts: Mapped[int] = mapped_column(Integer, default=0)
    high: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_fix: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def to_dict(self) -> dict[str, Any]:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {"id": self.id, "monitor_id": self.monitor_id,
                "scheduled_for": iso(self.scheduled_for), "manual": bool(self.manual),
                "status": self.status, "period": self.period, "checked": self.checked,
                "alerts": self.alerts, "high": self.high,
                "error": None if self.error is None else {"message": self.error,
                                                          "fix": self.error_fix},
                "created": iso(self.created), "started": iso(self.started),
                "finished": iso(self.finished)}


class AlertRow(MonitorBase):
    """An alert of a run, as ``loyalscope monitor --json`` gives it."""

    __tablename__ = "alerts"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("monitor_runs.id", ondelete="CASCADE"))
    monitor_id: Mapped[str] = mapped_column(String(32), index=True)
    metric: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(8))
    test: Mapped[str] = mapped_column(String(32))
    value: Mapped[float] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float, nullable=True)
    low: Mapped[float | None] = mapped_column(Float, nullable=True)
    high: Mapped[float | None] = mapped_column(Float, nullable=True)
    p_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    """The whole alert as JSON (changes, sample size, segment, target, drivers)."""
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)

    def to_dict(self) -> dict[str, Any]:
        return {**json.loads(self.detail), "id": self.id, "run_id": self.run_id,
                "monitor_id": self.monitor_id, "created": self.created.isoformat()}


class MonitorStore:
    """The three tables on the app's engine (created if missing); short sessions."""

    def __init__(self, engine: Engine) -> None:
        MonitorBase.metadata.create_all(engine)
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> AbstractContextManager[Session]:
        return self._sessions.begin()

    # monitors -------------------------------------------------------------------------------
    def add_monitor(self, dataset_id: str, name: str, cron: str, timezone: str,
                    period: str | None, lang: str) -> MonitorRow:
        row = MonitorRow(id=new_id(), dataset_id=dataset_id, name=name, cron=cron,
                         timezone=timezone, period=period, lang=lang)
        with self.session() as s:
            s.add(row)
        return row

    def monitors(self) -> list[MonitorRow]:
        with self.session() as s:
            return list(s.scalars(select(MonitorRow).order_by(MonitorRow.created, MonitorRow.id)))

    def monitor(self, monitor_id: str) -> MonitorRow | None:
        with self.session() as s:
            return s.get(MonitorRow, monitor_id)

    def delete_monitor(self, monitor_id: str) -> None:
        with self.session() as s:
            runs = [r.id for r in s.scalars(select(MonitorRunRow)
                                            .where(MonitorRunRow.monitor_id == monitor_id))]
            for a in s.scalars(select(AlertRow).where(AlertRow.run_id.in_(runs))):
                s.delete(a)
            for r in s.scalars(select(MonitorRunRow).where(MonitorRunRow.monitor_id == monitor_id)):
                s.delete(r)
            row = s.get(MonitorRow, monitor_id)
            if row is not None:
                s.delete(row)

    # runs -----------------------------------------------------------------------------------
    def add_run(self, monitor_id: str, scheduled_for: datetime, manual: bool = False
                ) -> MonitorRunRow | None:
        """A queued run for this fire time; None when the fire time already has its run."""
        row = MonitorRunRow(id=new_id(), monitor_id=monitor_id, scheduled_for=scheduled_for,
                            manual=int(manual))
        try:
            with self.session() as s:
                s.add(row)
        except IntegrityError:
            return None
        return row

    def runs(self, monitor_id: str | None = None, status: str | None = None,
             limit: int = 200) -> list[MonitorRunRow]:
        q = select(MonitorRunRow).order_by(MonitorRunRow.scheduled_for.desc(),
                                           MonitorRunRow.id).limit(limit)
        if monitor_id is not None:
            q = q.where(MonitorRunRow.monitor_id == monitor_id)
        if status is not None:
            q = q.where(MonitorRunRow.status == status)
        with self.session() as s:
            return list(s.scalars(q))

    def run(self, run_id: str) -> MonitorRunRow | None:
        with self.session() as s:
            return s.get(MonitorRunRow, run_id)

    def claim(self, run_id: str) -> bool:
        """Mark a queued run running; False when another process took it first."""
        with self.session() as s:
            res = s.execute(update(MonitorRunRow)
                            .where(MonitorRunRow.id == run_id, MonitorRunRow.status == "queued")
                            .values(status="running", started=_now()))
            return bool(getattr(res, "rowcount", 0))

    def finish(self, run_id: str, **values: Any) -> None:
        with self.session() as s:
            row = s.get(MonitorRunRow, run_id)
            if row is not None:
                for key, value in values.items():
                    setattr(row, key, value)
                row.finished = _now()

    def interrupt_running(self, message: str, fix: str) -> None:
        """Runs left running by a stopped server: interrupted (not run a second time)."""
        with self.session() as s:
            for row in s.scalars(select(MonitorRunRow).where(MonitorRunRow.status == "running")):
                row.status, row.error, row.error_fix, row.finished = (
                    "interrupted", message, fix, _now())

    # alerts ---------------------------------------------------------------------------------
    def add_alerts(self, run_id: str, monitor_id: str, alerts: list[dict[str, Any]]) -> None:
        with self.session() as s:
            for a in alerts:
                s.add(AlertRow(id=new_id(), run_id=run_id, monitor_id=monitor_id,
                               metric=a["metric"], period=a["period"], severity=a["severity"],
                               test=a["test"], value=a["value"], expected=a["expected"],
                               low=a["low"], high=a["high"], p_value=a["p_value"],
                               detail=json.dumps(a, ensure_ascii=False)))

    def alerts(self, monitor_id: str | None = None, severity: str | None = None,
               limit: int = 200, offset: int = 0) -> list[AlertRow]:
        q = select(AlertRow).order_by(AlertRow.created.desc(), AlertRow.id).limit(limit)
        q = q.offset(offset)
        if monitor_id is not None:
            q = q.where(AlertRow.monitor_id == monitor_id)
        if severity is not None:
            q = q.where(AlertRow.severity == severity)
        with self.session() as s:
            return list(s.scalars(q))

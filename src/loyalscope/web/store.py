"""The web app's state: datasets and analysis jobs, kept in SQLAlchemy.

A SQLite file in the state folder by default (``<state>/loyalscope-web.db``); any SQLAlchemy URL
(``postgresql+psycopg://user@host/db``) for a shared server. Files (uploads, analysis outputs)
live in the state folder; the database keeps where they are and each job's status.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

Status = Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
STATUSES: tuple[Status, ...] = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE = ("queued", "running")
FINAL = ("done", "failed", "cancelled", "interrupted")


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def database_url(url: str | None) -> str | None:
    """SQLAlchemy URL of ``url``; ``postgres://`` and ``postgresql://`` use the psycopg 3 driver
    (the one the ``postgres`` extra installs)."""
    if url is None:
        return None
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


class UTCDateTime(TypeDecorator[datetime]):
    """A UTC timestamp that comes back timezone-aware on every database (SQLite drops the zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class DatasetRow(Base):
    """A data source: uploaded files (copied under the state folder), a server path inside the
    data roots, or a named connection of the server config (its name only, never its URL)."""

    __tablename__ = "datasets"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # "upload" | "path" | "connection"
    source: Mapped[str] = mapped_column(Text)  # a folder, a file or a connection name
    files: Mapped[int] = mapped_column(Integer, default=0)
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "source": self.source,
                "files": self.files, "bytes": self.bytes, "created": self.created.isoformat()}


class AnalysisRow(Base):
    """One analysis job and, once done, the folder holding its outputs."""

    __tablename__ = "analyses"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str | None] = mapped_column(ForeignKey("datasets.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    sections: Mapped[str | None] = mapped_column(Text, nullable=True)  # comma-separated ids
    out_dir: Mapped[str] = mapped_column(Text)
    step: Mapped[str | None] = mapped_column(String(64), nullable=True)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    step_total: Mapped[int] = mapped_column(Integer, default=0)
    error_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_fix: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_where: Mapped[str | None] = mapped_column(Text, nullable=True)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)
    started: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel: Mapped[int] = mapped_column(Integer, default=0)  # 1: cancel asked (any worker process)
    owned: Mapped[int] = mapped_column(Integer, default=1)  # 0: an imported folder (never deleted)

    def section_ids(self) -> tuple[str, ...] | None:
        return tuple(self.sections.split(",")) if self.sections else None

    def to_dict(self) -> dict[str, Any]:
        iso = lambda d: d.isoformat() if d else None  # noqa: E731
        return {
            "id": self.id, "dataset_id": self.dataset_id, "name": self.name, "status": self.status,
            "lang": self.lang, "sections": list(self.section_ids() or ()) or None,
            "progress": {"step": self.step, "index": self.step_index, "total": self.step_total},
            "error": None if self.status not in ("failed", "interrupted", "cancelled") else {
                "type": self.error_type, "message": self.error, "fix": self.error_fix,
                "where": self.error_where},
            "created": iso(self.created), "started": iso(self.started), "finished": iso(self.finished),
        }


class UserRow(Base):
    """A named user: role viewer, analyst or admin; the password only as an Argon2id hash."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UTCDateTime(), default=_now)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "created": self.created.isoformat()}


_ADDED_COLUMNS = {"analyses": {"cancel": "INTEGER DEFAULT 0", "owned": "INTEGER DEFAULT 1"}}


class Store:
    """Open (and create) the state database; short sessions, safe to share between threads."""

    def __init__(self, state_dir: str | Path, url: str | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.url = database_url(url) or f"sqlite:///{(self.state_dir / 'loyalscope-web.db').resolve()}"
        kw: dict[str, Any] = {}
        if self.url.startswith("sqlite"):
            # pages read while a job thread writes its progress: wait for the lock, never fail
            kw["connect_args"] = {"check_same_thread": False, "timeout": 30}
        # request threads (up to 40) share the pool: let them wait for a connection, not fail
        kw.update(pool_size=10, max_overflow=30, pool_timeout=60)
        self.engine = create_engine(self.url, **kw)
        Base.metadata.create_all(self.engine)
        self._add_columns()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _add_columns(self) -> None:
        """Columns added since a state database was created (create_all adds tables only)."""
        names = inspect(self.engine)
        for table, columns in _ADDED_COLUMNS.items():
            have = {c["name"] for c in names.get_columns(table)}
            for column, ddl in columns.items():
                if column not in have:
                    with self.engine.begin() as con:
                        con.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {ddl}"))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions.begin() as s:
            yield s

    # datasets ---------------------------------------------------------------------------
    def add_dataset(self, name: str, kind: str, source: str, files: int = 0, size: int = 0,
                    id: str | None = None) -> DatasetRow:
        row = DatasetRow(id=id or new_id(), name=name, kind=kind, source=source, files=files, bytes=size)
        with self.session() as s:
            s.add(row)
        return row

    def datasets(self) -> list[DatasetRow]:
        with self.session() as s:
            return list(s.scalars(select(DatasetRow).order_by(DatasetRow.created.desc(), DatasetRow.id)))

    def dataset(self, dataset_id: str) -> DatasetRow | None:
        with self.session() as s:
            return s.get(DatasetRow, dataset_id)

    def delete_dataset(self, dataset_id: str) -> None:
        """Remove a dataset; its analyses stay (they keep their outputs) without a dataset."""
        with self.session() as s:
            for analysis in s.scalars(select(AnalysisRow).where(AnalysisRow.dataset_id == dataset_id)):
                analysis.dataset_id = None
            dataset = s.get(DatasetRow, dataset_id)
            if dataset is not None:
                s.delete(dataset)

    # analyses ---------------------------------------------------------------------------
    def add_analysis(self, name: str, out_dir: str, dataset_id: str | None = None, lang: str = "zh",
                     sections: tuple[str, ...] | None = None, status: Status = "queued",
                     id: str | None = None, owned: bool = True) -> AnalysisRow:
        row = AnalysisRow(id=id or new_id(), dataset_id=dataset_id, name=name, out_dir=out_dir,
                          lang=lang, sections=",".join(sections) if sections else None,
                          status=status, finished=_now() if status == "done" else None,
                          owned=int(owned))
        with self.session() as s:
            s.add(row)
        return row

    def count_active(self) -> int:
        """Queued plus running analyses (the bounded queue)."""
        from sqlalchemy import func

        with self.session() as s:
            return int(s.scalar(select(func.count()).select_from(AnalysisRow)
                                .where(AnalysisRow.status.in_(ACTIVE))) or 0)

    def claim(self, analysis_id: str) -> bool:
        """Mark a queued analysis running; False when another worker got it first or it was
        cancelled meanwhile (a conditional UPDATE, safe across processes)."""
        from sqlalchemy import update

        with self.session() as s:
            res = s.execute(update(AnalysisRow)
                            .where(AnalysisRow.id == analysis_id, AnalysisRow.status == "queued")
                            .values(status="running", started=_now(), step=None, step_index=0,
                                    step_total=0, cancel=0))
            return bool(res.rowcount)  # type: ignore[attr-defined]

    def delete_analysis(self, analysis_id: str) -> None:
        with self.session() as s:
            row = s.get(AnalysisRow, analysis_id)
            if row is not None:
                s.delete(row)

    def analyses(self, status: str | None = None) -> list[AnalysisRow]:
        q = select(AnalysisRow).order_by(AnalysisRow.created.desc(), AnalysisRow.id)
        if status is not None:
            q = q.where(AnalysisRow.status == status)
        with self.session() as s:
            return list(s.scalars(q))

    def analysis(self, analysis_id: str) -> AnalysisRow | None:
        with self.session() as s:
            return s.get(AnalysisRow, analysis_id)

    def analysis_by_out_dir(self, out_dir: str) -> AnalysisRow | None:
        with self.session() as s:
            return s.scalars(select(AnalysisRow).where(AnalysisRow.out_dir == out_dir)).first()

    def update_analysis(self, analysis_id: str, **values: Any) -> None:
        with self.session() as s:
            row = s.get(AnalysisRow, analysis_id)
            if row is None:
                raise KeyError(analysis_id)
            for key, value in values.items():
                setattr(row, key, value)
            if values.get("status") == "running":
                row.started = _now()
            if values.get("status") in FINAL:
                row.finished = _now()

    # users ------------------------------------------------------------------------------
    def user(self, name: str) -> UserRow | None:
        with self.session() as s:
            return s.get(UserRow, name)

    def users(self) -> list[UserRow]:
        with self.session() as s:
            return list(s.scalars(select(UserRow).order_by(UserRow.name)))

    def put_user(self, name: str, role: str, password_hash: str) -> UserRow:
        """Add a user or change their role and password."""
        with self.session() as s:
            row = s.get(UserRow, name)
            if row is None:
                row = UserRow(name=name, role=role, password_hash=password_hash)
                s.add(row)
            else:
                row.role, row.password_hash = role, password_hash
        return row

    def delete_user(self, name: str) -> bool:
        with self.session() as s:
            row = s.get(UserRow, name)
            if row is None:
                return False
            s.delete(row)
            return True

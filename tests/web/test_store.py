"""Datasets and analyses survive a restart; a restart marks interrupted jobs and runs queued ones."""

from __future__ import annotations

import pytest

from loyalscope.web.jobs import JobRunner
from loyalscope.web.store import Store, database_url


def test_rows_survive_a_new_store(tmp_path) -> None:
    store = Store(tmp_path)
    ds = store.add_dataset("shop", "path", "/data/shop", files=3, size=1200)
    a = store.add_analysis("shop", str(tmp_path / "out"), ds.id, "en", ("data", "value"))
    store.update_analysis(a.id, status="failed", error="boom", error_fix="do this")
    again = Store(tmp_path)
    assert [d.to_dict() for d in again.datasets()] == [ds.to_dict()]
    row = again.analysis(a.id)
    assert row.status == "failed" and row.error == "boom" and row.error_fix == "do this"
    assert row.section_ids() == ("data", "value")
    assert row.to_dict()["error"] == {"type": None, "message": "boom", "fix": "do this", "where": None}
    assert (tmp_path / "loyalscope-web.db").is_file()


def test_restart_marks_running_interrupted_and_runs_queued(tmp_path) -> None:
    store = Store(tmp_path)
    running = store.add_analysis("a", str(tmp_path / "a"), None, "en")
    store.update_analysis(running.id, status="running")
    queued = store.add_analysis("b", str(tmp_path / "b"), None, "zh")
    runner = JobRunner(Store(tmp_path))
    runner.recover()
    runner.wait(queued.id, timeout=30)
    runner.shutdown()
    after = Store(tmp_path)
    interrupted = after.analysis(running.id)
    assert interrupted.status == "interrupted" and interrupted.error_type == "Interrupted"
    assert interrupted.error_fix
    # the requeued job ran again; it has no dataset, so it fails with a message in its language
    rerun = after.analysis(queued.id)
    assert rerun.status == "failed" and rerun.error == "该分析的数据集已不存在。"
    assert rerun.started is not None and rerun.finished is not None


def test_postgres_urls_use_psycopg() -> None:
    assert database_url("postgres://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql+psycopg2://u@h/db") == "postgresql+psycopg2://u@h/db"
    assert database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.postgres
def test_state_in_postgresql(tmp_path, postgres_url: str) -> None:
    store = Store(tmp_path, postgres_url)
    ds = store.add_dataset("pg", "path", "/data/pg")
    a = store.add_analysis("pg", str(tmp_path / "out"), ds.id, "zh")
    store.update_analysis(a.id, status="running")
    again = Store(tmp_path, postgres_url)
    assert ds.id in [d.id for d in again.datasets()]
    row = again.analysis(a.id)
    assert row.status == "running" and row.started is not None
    assert row.started.utcoffset() is not None and row.started.utcoffset().total_seconds() == 0
    assert not (tmp_path / "loyalscope-web.db").exists()

"""Shared fixtures."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from loyalscope.analysis import Analysis, analyze
from loyalscope.data.dataset import Dataset
from loyalscope.data.simulate import simulate

DATA = Path(__file__).parent / "data"

# compiled SQL kept between processes (data.sqldisk): a folder of this run's own, so that the
# suite neither reads nor writes the user's cache (every subprocess inherits it)
_SQL_CACHE = tempfile.mkdtemp(prefix="loyalscope-sql-cache-")
os.environ["LOYALSCOPE_CACHE_DIR"] = _SQL_CACHE
atexit.register(shutil.rmtree, _SQL_CACHE, True)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Bundled reference data (copied from shared/data, sources cited in tests/data/README.md)."""
    return DATA


@pytest.fixture(scope="session")
def spark_con():
    """One local Spark session (2 shuffle partitions, UTC) shared by the whole test run."""
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    import tempfile

    from pyspark.sql import SparkSession

    from loyalscope.engine import connect_spark

    warehouse = tempfile.mkdtemp(prefix="loyalscope-spark-")
    session = (
        SparkSession.builder.master("local[2]")
        .appName("loyalscope-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", warehouse)
        .getOrCreate()
    )
    con = connect_spark(session)
    yield con
    session.stop()
    shutil.rmtree(warehouse, ignore_errors=True)


def _pg_bin() -> Path | None:
    import glob
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for cand in ["/usr/local/bin/initdb", *sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))]:
        if Path(cand).exists():
            return Path(cand).parent
    return None


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL server on 127.0.0.1 (stopped afterwards).

    Uses the installed binaries, installing the Debian ``postgresql`` package if none are
    found; as root, the server runs as the user ``loyalscope-pg`` (created if needed), since
    PostgreSQL refuses to run as root.
    """
    import os
    import socket
    import subprocess

    pytest.importorskip("psycopg")
    bindir = _pg_bin()
    if bindir is None:
        subprocess.run(["apt-get", "install", "-y", "postgresql"], check=False,
                       capture_output=True)
        bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL binaries are not available and could not be installed")
    user = None
    if os.geteuid() == 0:
        user = "loyalscope-pg"
        if subprocess.run(["id", user], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", user], check=True)
    import shutil
    import tempfile

    # not under pytest's tmp dir: its parents are private to root, the server user must enter
    root = Path(tempfile.mkdtemp(prefix="loyalscope-pg-"))
    data = root / "data"
    if user:
        subprocess.run(["chown", "-R", user, str(root)], check=True)
        os.chmod(root, 0o755)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(_as_user([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8"], user), check=True, capture_output=True)
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c timezone=UTC"
    subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l",
                             str(root / "log"), "-w", "start"], user), check=True,
                   capture_output=True)
    try:
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                                user), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url: str):
    """A database of its own on the suite's PostgreSQL server (dropped afterwards), for a test
    that reads every table of its database: the other tests' tables stay out of it, whatever
    ran before on the server."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url.replace("postgres://", "postgresql://"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(postgres_url.replace("postgres://", "postgresql://"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Demo:
    """A full analysis of a simulated company (1,200 customers over two years, every table),
    written to an output folder; shared by the report, summary, strategy and leak tests."""

    frames: dict[str, pd.DataFrame]
    dataset: Dataset
    analysis: Analysis
    out: Path
    """Output folder written by ``write_outputs`` (report.html, loyalscope.xlsx, targets/ ...)."""


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from loyalscope.report.outputs import write_outputs

    company = simulate(customers=1200, days=730, seed=7)
    ds = Dataset.from_frames(company.tables)
    analysis = analyze(ds)
    out = tmp_path_factory.mktemp("demo")
    write_outputs(analysis, ds, out, "zh")
    return Demo({k: v.copy() for k, v in company.tables.items()}, ds, analysis, out)

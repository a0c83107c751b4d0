"""Fixtures of the web tests: one small simulated company analysed once by the app's own job
runner, and apps opened over that state folder (a fresh app = a restarted server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webtools import AUTH, settings

from loyalscope.data.simulate import simulate
from loyalscope.web import create_app


@pytest.fixture(scope="session")
def company_dir(tmp_path_factory) -> Path:
    """CSV files of a simulated company: 150 customers over 200 days.

    Seed 1 analyses in about 8 s on 2 cores; with seed 3 the Pareto/NBD fit of the value section
    alone takes about 85 s (its hypergeometric series converges slowly there).
    """
    out = tmp_path_factory.mktemp("company")
    simulate(customers=150, days=200, seed=1).write(out)
    return out


@pytest.fixture(scope="session")
def finished(tmp_path_factory, company_dir: Path) -> dict[str, str]:
    """A state folder where the company was registered (server path) and analysed to the end."""
    state = tmp_path_factory.mktemp("state")
    app = create_app(state, lang="en", settings=settings(company_dir))
    web = app.state.web
    dataset = web.add_path(str(company_dir), "company")
    row = web.start_analysis(dataset.id, "en")
    web.runner.wait(row.id, timeout=240)
    web.runner.shutdown()
    status = web.store.analysis(row.id)
    assert status.status == "done", status.to_dict()
    return {"state": str(state), "dataset": dataset.id, "analysis": row.id, "out": status.out_dir}


@pytest.fixture(scope="session")
def saved(finished) -> dict:
    """analysis.json of the finished analysis, read independently of the app."""
    return json.loads((Path(finished["out"]) / "analysis.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client(finished):
    """A TestClient of a new app over the finished state folder (as after a restart)."""
    with TestClient(create_app(finished["state"], lang="en", settings=settings()), headers=AUTH) as c:
        yield c

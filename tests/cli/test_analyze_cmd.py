"""``loyalscope analyze`` as a user runs it: the JSON summary with seconds per step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalscope.cli import app
from loyalscope.data.simulate import simulate
from loyalscope.sections import ORDER, run_order

runner = CliRunner()


@pytest.fixture(scope="module")
def company_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("company")
    simulate(customers=400, days=400, seed=5).write(folder)
    return folder


@pytest.mark.slow
def test_json_summary_times_every_step_in_order(company_dir: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["analyze", str(company_dir), "--out", str(tmp_path / "out"),
                              "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    steps = out["steps"]
    ran = [s for s in ORDER if s in out["sections"]]
    # loading first, then each section in the order it runs (report order, except sections that
    # need others' results, such as the summary, which run after them), writing the outputs last
    assert list(steps) == ["load", *[s for s in steps if s in ORDER], "write"]
    timed = [s for s in steps if s in ORDER]
    assert timed == [sid for sid, _ in run_order(list(ORDER)) if sid in steps]
    assert set(ran) <= set(steps)
    assert all(v >= 0 for v in steps.values())
    assert sum(steps.values()) <= out["seconds"] + 0.05
    assert steps["load"] > 0 and steps["write"] > 0

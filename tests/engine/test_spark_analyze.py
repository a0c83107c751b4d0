"""The whole ``loyalscope analyze`` on local Spark gives DuckDB's numbers.

``analyze DATA --engine spark`` runs as a user runs it (a fresh process, no PYSPARK_PYTHON set,
a working directory shared with a second Spark run, ``validate --engine spark``, which stores the
same tables again), and every number, text and missing value of
``analysis.json`` and ``customers.parquet`` equals the DuckDB run's. Integers, texts and missing values are equal.
Floating-point sums are added up in another order on another engine (the last bit of a money sum
differs), so floats agree to 1e-10 relative: the model fits amplify that last bit a little
(a Gamma-Gamma estimate moved by 1e-12). Standard errors, covariances and intervals of the
purchase models come from a finite-difference Hessian, which amplifies it to about 1e-9: they
agree to 1e-6.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from loyalscope.data.simulate import simulate

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _run(args: list[str], cwd: Path) -> dict[str, Any]:
    """``loyalscope ARGS`` as a user runs it: a fresh process, no PYSPARK_PYTHON set."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    res = subprocess.run([sys.executable, "-m", "loyalscope", *args],
                         cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    return json.loads(res.stdout)


def _analyze(data: Path, out: Path, cwd: Path, *extra: str) -> dict[str, Any]:
    return _run(["analyze", str(data), "--out", str(out), "--json", "--lang", "en", *extra], cwd)


_HESSIAN = {"se", "lower_95", "upper_95"}  # keys of finite-difference results (and covariance)


def _walk(a: Any, b: Any, where: str, diffs: list[str], scale: float = 0.0) -> None:
    """``scale``: an interval bound is estimate -/+ 1.96 se; near 0 it cancels, so its 1e-6 is
    taken of the interval's size (|lower| + |upper|), not of the bound."""
    if isinstance(a, dict) and isinstance(b, dict):
        bounds = [v for v in (b.get("lower_95"), b.get("upper_95")) if isinstance(v, float | int)]
        scale = sum(abs(v) for v in bounds) if len(bounds) == 2 else 0.0
        for k in sorted(set(a) | set(b)):
            if k in ("created", "engine"):
                continue
            if k not in a or k not in b:
                diffs.append(f"{where}.{k}: only on {'spark' if k in a else 'duckdb'}")
                continue
            _walk(a[k], b[k], f"{where}.{k}", diffs, scale if k in ("lower_95", "upper_95") else 0.0)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            diffs.append(f"{where}: {len(a)} items on spark, {len(b)} on duckdb")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _walk(x, y, f"{where}[{i}]", diffs)
    elif isinstance(a, float) and isinstance(b, float | int) and not isinstance(b, bool):
        keys = set(where.replace("[", ".").split("."))  # se.a as well as a list's lower_95
        hessian = "covariance" in where or bool(keys & _HESSIAN)
        rel = 1e-6 if hessian else 1e-10
        if not (a == b or math.isclose(a, b, rel_tol=rel, abs_tol=max(1e-12, rel * scale))):
            diffs.append(f"{where}: spark {a!r}, duckdb {b!r}")
    elif a != b or type(a) is not type(b):
        if isinstance(a, int | float) and isinstance(b, int | float) and a == b:
            return
        diffs.append(f"{where}: spark {a!r}, duckdb {b!r}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    root = tmp_path_factory.mktemp("spark_e2e")
    data = root / "data"
    company = simulate(customers=300, days=400, seed=8)
    company.write(data)
    out: dict[str, Any] = {"company": company, "root": root}
    out["duckdb"] = _analyze(data, root / "duck", root)
    # three shuffle partitions on two cores: a result that depends on how rows are split shows
    out["spark"] = _analyze(data, root / "spark", root, "--engine", "spark",
                            "--engine-option", "spark.shuffle_partitions=3")
    # a second Spark run in the same folder stores a table of the same name again: no
    # LOCATION_ALREADY_EXISTS from the first run's tables (``validate`` stores as ``analyze``
    # does; one file, as the load of all nine is what the first run already measured)
    out["spark2"] = _run(["validate", str(data / "customers.csv"), "--json", "--engine", "spark"],
                         root)
    return out


def test_every_section_runs_on_spark_and_a_second_run_in_the_same_folder(runs: dict[str, Any]) -> None:
    assert runs["spark"]["sections"] == runs["duckdb"]["sections"]
    assert not (runs["root"] / "spark-warehouse").exists()  # private warehouse, removed at exit


def test_spark_counts_what_duckdb_counts(runs: dict[str, Any]) -> None:
    """Every table's rows read, accepted, quarantined and reasons, read by Spark itself (the
    analysis, and the second run's ``validate`` of one file)."""
    spark, duck = runs["spark"]["quality"], runs["duckdb"]["quality"]
    assert set(duck) == set(spark) and duck["transactions"]["rows_accepted"] > 500
    keys = ("rows_read", "rows_accepted", "rows_quarantined", "quarantine_reasons",
            "orphans", "lines_read", "mapping")
    for table, rep in duck.items():
        for key in keys:
            assert spark[table][key] == rep[key], (table, key)
    one = runs["spark2"]
    assert set(one) == {"customers"}
    for key in ("rows_read", "rows_accepted", "rows_quarantined", "quarantine_reasons",
                "lines_read", "mapping"):  # orphans need the other tables
        assert one["customers"][key] == duck["customers"][key], key


def test_analysis_json_matches_duckdb(runs: dict[str, Any]) -> None:
    root = runs["root"]
    duck = json.loads((root / "duck" / "analysis.json").read_text(encoding="utf-8"))
    spark = json.loads((root / "spark" / "analysis.json").read_text(encoding="utf-8"))
    assert spark["engine"] == "pyspark" and duck["engine"] == "duckdb"
    diffs: list[str] = []
    _walk(spark["sections"], duck["sections"], "sections", diffs)
    assert not diffs, f"{len(diffs)} differences, first: " + "\n".join(diffs[:20])


def test_customers_parquet_matches_duckdb(runs: dict[str, Any]) -> None:
    root = runs["root"]
    key = "customer_id"
    duck = pd.read_parquet(root / "duck" / "customers.parquet").sort_values(key).reset_index(drop=True)
    spark = pd.read_parquet(root / "spark" / "customers.parquet").sort_values(key).reset_index(drop=True)
    assert list(spark.columns) == list(duck.columns)
    pd.testing.assert_frame_equal(spark, duck, check_dtype=False, check_exact=False, rtol=1e-10)


def test_churn_reasons_are_the_simulated_ones(runs: dict[str, Any]) -> None:
    """Missing churn reasons stay missing on Spark (they arrived as ClassDictConstructor text)."""
    root = runs["root"]
    text = (root / "spark" / "analysis.json").read_text(encoding="utf-8")
    assert "ClassDictConstructor" not in text and "net.razorvine" not in text
    cust = runs["company"].tables["customers"]
    expected = set(cust["churn_reason"].dropna())
    for run in ("spark", "duck"):
        sections = json.loads((root / run / "analysis.json").read_text(encoding="utf-8"))["sections"]
        found = _reason_labels(sections["churn"])
        assert found, "the churn section shows no reason table"
        assert found == expected, (found, expected)


def _reason_labels(section: dict[str, Any]) -> set[Any]:
    """The ``churn_reason`` values of the churn section's reason-code table."""
    found: set[Any] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("title") == "segments.report.churn.reason_codes":
                found.update(row["churn_reason"] for row in node["frame"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(section)
    return found

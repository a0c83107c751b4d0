"""Outputs written safely: atomic output folder, clear errors on read-only / full disks, and
text cells that cannot inject formulas or break the writers (report/outputs.py, report/cells.py)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.analysis import analyze
from loyalscope.errors import OutputError
from loyalscope.i18n import use_lang
from loyalscope.report.cells import safe_frame, safe_text, safe_texts
from loyalscope.report.outputs import write_outputs

NOW = pd.Timestamp("2024-06-01")
EVIL = ['=HYPERLINK("http://evil.example/","click")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def test_safe_text_rules() -> None:
    assert safe_text('=HYPERLINK("x")') == "'=HYPERLINK(\"x\")"
    assert safe_text("@A1") == "'@A1" and safe_text("-5") == "'-5" and safe_text("+5") == "'+5"
    assert safe_text("\tx") == "'\tx" and safe_text("\rx") == "'\\x0dx"
    assert safe_text("a\x00b\x1bc\x7f") == "a\\x00b\\x1bc\\x7f"
    assert safe_text("line\nbreak\ttab") == "line\nbreak\ttab"
    assert safe_text("=1+1", "xlsx") == "=1+1"  # xlsx: kept, written as a text cell
    assert safe_text(-5) == -5 and safe_text(1.5) == 1.5 and safe_text(None) is None
    frame = safe_frame(pd.DataFrame({"id": ["=1", "ok"], "amount": [-5.0, 2.0]}))
    assert frame["id"].tolist() == ["'=1", "ok"] and frame["amount"].tolist() == [-5.0, 2.0]
    twice = safe_frame(pd.DataFrame([["=a", "@b", 1]], columns=["x", "x", "n"]))  # repeated labels
    assert twice.values.tolist() == [["'=a", "'@b", 1]]


@pytest.fixture
def dataset(tmp_path: Path) -> ls.Dataset:
    rows = [["order_id", "customer_id", "order_ts", "amount"]]
    rows += [[f"A{i}", f"C{i % 5}", f"2024-01-{i % 28 + 1:02d}", str(10 + i)] for i in range(40)]
    # quarantined for their amount: the quarantine's value column holds the text as typed
    rows += [[f"X{i}", "C1", "2024-02-01", evil] for i, evil in enumerate(EVIL)]
    rows += [["Y1", "C1", "2024-02-01", "bad\x01\x1b"]]
    p = tmp_path / "orders.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return ls.load(p, now=NOW)


def test_formula_and_control_characters_in_workbook_and_csv(dataset: ls.Dataset, tmp_path: Path,
                                                            ) -> None:
    analysis = analyze(dataset, sections=("data",))
    out = tmp_path / "out"
    paths = write_outputs(analysis, dataset, out, "en")
    q = pd.read_csv(paths["quarantine"], encoding="utf-8-sig", keep_default_na=False)
    values = " ".join(q["value"])
    for evil in EVIL[:4]:
        assert "'" + evil in values  # quoted per OWASP, the text itself intact
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in q["value"])
    book = openpyxl.load_workbook(paths["workbook"])
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]  # no formula anywhere
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert EVIL[0] in " ".join(texts)  # exactly what the user typed, as text
    assert any("\\x01" in v for v in texts)  # control characters escaped, the writer did not fail


def test_outputs_replace_files_and_keep_other_files(dataset: ls.Dataset, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    (out / "data" / "orders.csv").write_text("mine", encoding="utf-8")
    (out / "analysis.json").write_text("old", encoding="utf-8")
    analysis = analyze(dataset, sections=("data",))
    paths = write_outputs(analysis, dataset, out, "en")
    assert (out / "data" / "orders.csv").read_text(encoding="utf-8") == "mine"
    assert (out / "analysis.json").read_text(encoding="utf-8") != "old"
    assert all(p.parent == out and p.exists() for p in paths.values())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def _mount(target: Path, options: str) -> None:
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    target.mkdir()
    run = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
                         capture_output=True)
    if run.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {run.stderr.decode()[:200]}")


def test_full_disk_is_a_clear_error_and_leaves_nothing(dataset: ls.Dataset, tmp_path: Path) -> None:
    disk = tmp_path / "small"
    _mount(disk, "size=8k")
    try:
        analysis = analyze(dataset, sections=("data",))
        with pytest.raises(OutputError) as info:
            write_outputs(analysis, dataset, disk / "out", "en")
        assert "disk is full" in info.value.message and str(disk / "out") in info.value.message
        assert list(disk.iterdir()) == []  # no half-written report, no temp folder
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_read_only_disk_is_a_clear_error(dataset: ls.Dataset, tmp_path: Path) -> None:
    disk = tmp_path / "ro"
    _mount(disk, "size=1m,ro")
    try:
        analysis = analyze(dataset, sections=("data",))
        with pytest.raises(OutputError) as info:
            write_outputs(analysis, dataset, disk / "out", "en")
        assert "read-only" in info.value.message and str(disk) in info.value.message
        assert "--out" in (info.value.fix or "")
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_folder_without_write_permission_through_the_cli(tmp_path: Path) -> None:
    """A real chmod'ed folder. Root ignores permissions, so the command runs without the
    capabilities that let it (setpriv drops CAP_DAC_OVERRIDE)."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run the command without CAP_DAC_OVERRIDE")
    data = tmp_path / "orders.csv"
    data.write_text("order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,5\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    drop = "-dac_override,-dac_read_search"
    run = subprocess.run(
        [setpriv, "--bounding-set", drop, "--inh-caps", drop, "--", sys.executable, "-c",
         "from loyalscope.cli import main; main()", "analyze", str(data), "--out", str(locked / "out"), "--json",
         "--lang", "en"],
        capture_output=True, text=True, timeout=600)
    assert run.returncode == 2, run.stderr[-2000:]
    err = json.loads(run.stdout)
    assert err["error"] == "OutputError" and str(locked) in err["message"]
    assert "permission denied" in err["message"] and "--out" in err["fix"]
    assert "Traceback" not in run.stderr
    assert list(locked.iterdir()) == []


def test_safe_texts_is_safe_text_on_every_cell() -> None:
    chars = [chr(i) for i in range(0x250)] + ["\ufffe", "é", "客"]
    values = chars + [f"a{c}b" for c in chars] + [f"ab{c}" for c in chars] + [None, np.nan, "", "=x"]
    col = pd.Series(values, index=[i % 7 for i in range(len(values))], dtype=object)  # repeated labels
    for target in ("csv", "xlsx"):
        got = safe_texts(col, target)
        assert list(got.index) == list(col.index)
        want = [v if not isinstance(v, str) else safe_text(v, target) for v in values]
        assert [g if isinstance(g, str) else None for g in got] == [w if isinstance(w, str) else None for w in want]
    mixed = pd.Series(["=1", 5, 2.5, None], dtype=object)  # numbers among texts stay numbers
    assert safe_texts(mixed).tolist()[:3] == ["'=1", 5, 2.5]


def test_customers_csv_and_workbook_with_evil_ids(dataset: ls.Dataset, tmp_path: Path) -> None:
    ids = [*EVIL, "bad\x01\x1b", "C1"]
    customers = pd.DataFrame({"customer_id": ids, "clv": np.arange(len(ids), dtype=float),
                              "rfm_segment": ["champions"] * len(ids)})
    analysis = analyze(dataset, sections=("data",))
    analysis.customers = customers
    paths = write_outputs(analysis, dataset, tmp_path / "out", "en")
    with paths["customers_csv"].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["customer_id", "clv", "rfm_segment"]
    assert [r[0] for r in rows[1:]] == [safe_text(i) for i in ids]  # quoted per OWASP, escaped
    assert not any(r[0].startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows[1:])
    book = openpyxl.load_workbook(paths["workbook"])
    ws = book["Customers"]
    shown = [c.value for c in ws["A"][2:]]
    assert sorted(shown) == sorted(safe_text(i, "xlsx") for i in ids)  # as typed, control chars escaped
    assert all(c.data_type == "s" for c in ws["A"][2:])
    # the quarantine written column by column equals the cell-by-cell rule
    q = dataset.quality.quarantine
    want = [list(q.columns)] + [["" if pd.isna(v) else str(safe_text(v)) for v in rec]
                                for rec in q.itertuples(index=False)]
    with paths["quarantine"].open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.reader(fh)) == want


def _scored(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"customer_id": pd.array([f"C{i}" for i in range(n)], dtype="string"),
                          "clv": rng.gamma(2.0, 50.0, n), "rfm_segment": rng.choice(["champions", "=1+1"], n)})
    with warnings.catch_warnings():  # "highly fragmented": on purpose
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        for i in range(30):  # a table built column by column, as the sections build it (many blocks)
            frame[f"x{i}"] = rng.random(n)
    return frame


def test_customer_files_written_beside_the_reports_equal_the_writers_alone(dataset: ls.Dataset,
                                                                        tmp_path: Path) -> None:
    from loyalscope.report.customers_csv import write_customers_csv

    analysis = analyze(dataset, sections=("data",))
    analysis.customers = _scored(250_001)  # more than two CSV batches
    paths = write_outputs(analysis, dataset, tmp_path / "out", "en")
    alone = tmp_path / "alone"
    alone.mkdir()
    analysis.customers.to_parquet(alone / "customers.parquet", index=False)
    write_customers_csv(analysis.customers, alone / "customers.csv")
    assert paths["customers"].read_bytes() == (alone / "customers.parquet").read_bytes()
    assert paths["customers_csv"].read_bytes() == (alone / "customers.csv").read_bytes()
    assert list(paths)[:3] == ["analysis", "customers", "customers_csv"]


def test_a_failing_customer_file_leaves_nothing(dataset: ls.Dataset, tmp_path: Path) -> None:
    import pyarrow as pa

    analysis = analyze(dataset, sections=("data",))
    scored = _scored(1000)
    scored["bad"] = [{1, 2}] * len(scored)  # a column the CSV writer cannot hold: its thread fails
    analysis.customers = scored
    with pytest.raises((TypeError, pa.ArrowException)):  # raised here, from the writer's thread
        write_outputs(analysis, dataset, tmp_path / "out", "en")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left

"""The JSON API on a real analysis of a simulated company (TestClient, no server)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from webtools import AUTH, settings

from loyalscope.i18n import t
from loyalscope.web import create_app


def _numbers(saved: dict, section_id: str) -> list[dict]:
    return [b for b in saved["sections"][section_id]["blocks"] if b["type"] == "number"]


def test_lists_survive_a_restart(client, finished) -> None:
    datasets = client.get("/api/datasets").json()
    analyses = client.get("/api/analyses").json()
    assert [d["id"] for d in datasets] == [finished["dataset"]]
    assert datasets[0]["kind"] == "path" and datasets[0]["files"] >= 10
    assert [a["id"] for a in analyses] == [finished["analysis"]]
    assert analyses[0]["status"] == "done" and analyses[0]["error"] is None
    assert analyses[0]["progress"]["step"] == "done"


def test_dashboard_numbers_are_the_saved_numbers(client, finished, saved) -> None:
    board = client.get(f"/api/analyses/{finished['analysis']}/dashboard?lang=en").json()
    assert [s["id"] for s in board["sections"]] == list(saved["sections"])
    for section in board["sections"]:
        raw = saved["sections"][section["id"]]
        assert (section["skipped"] is None) == (raw["skipped"] is None)
        assert [n["value"] for n in section["numbers"]] == [n["value"] for n in _numbers(saved, section["id"])]
        assert [n["metric_id"] for n in section["numbers"]] == [
            n["metric_id"] for n in _numbers(saved, section["id"])]
        charts = [b for b in raw["blocks"] if b["type"] == "chart"]
        assert len(section["charts"]) == len(charts)
        assert all(c["figure"]["data"] for c in section["charts"])
    assert sum(len(s["charts"]) for s in board["sections"]) >= 5


def test_dashboard_language_switch(client, finished) -> None:
    url = f"/api/analyses/{finished['analysis']}/dashboard"
    en = client.get(url, params={"lang": "en"}).json()
    zh = client.get(url, params={"lang": "zh"}).json()
    en_data = next(s for s in en["sections"] if s["id"] == "data")
    zh_data = next(s for s in zh["sections"] if s["id"] == "data")
    assert en_data["title"] == "Data and method"
    assert zh_data["title"] == t("report.section.data", "zh") != en_data["title"]
    assert [n["value"] for s in zh["sections"] for n in s["numbers"]] == \
        [n["value"] for s in en["sections"] for n in s["numbers"]]


def test_customer_search_and_detail(client, finished) -> None:
    frame = pd.read_parquet(Path(finished["out"]) / "customers.parquet")
    prefix = frame["customer_id"].sort_values().iloc[0][:-2]
    expected = sorted(i for i in frame["customer_id"] if i.lower().startswith(prefix.lower()))
    url = f"/api/analyses/{finished['analysis']}/customers"
    first = client.get(url, params={"q": prefix.lower(), "limit": 7}).json()
    second = client.get(url, params={"q": prefix.lower(), "limit": 7, "offset": 7}).json()
    assert first["total"] == len(expected) > 7
    assert [r["customer_id"] for r in first["rows"] + second["rows"]] == expected[:14]
    one = expected[3]
    detail = client.get(f"{url}/{one}").json()
    want = frame.set_index("customer_id").loc[one]
    assert detail["customer_id"] == one
    assert set(detail) == set(frame.columns)
    for col in frame.columns.drop("customer_id"):
        if isinstance(want[col], float):
            assert detail[col] == pytest.approx(want[col], nan_ok=True) or detail[col] is None, col
        else:
            assert detail[col] == want[col], col
    assert client.get(url, params={"limit": 10_000}).status_code == 422


@pytest.mark.parametrize("path", ["/api/analyses/nope", "/api/datasets/nope",
                                  "/api/analyses/nope/dashboard"])
def test_unknown_ids_are_404_with_a_fix(client, path: str) -> None:
    res = client.get(path)
    assert res.status_code == 404
    assert res.json()["error"]["type"] == "NotFound" and res.json()["error"]["fix"]


def test_unknown_customer(client, finished) -> None:
    res = client.get(f"/api/analyses/{finished['analysis']}/customers/NOBODY", params={"lang": "en"})
    assert res.status_code == 404
    assert res.json()["error"]["message"] == "There is no customer NOBODY in this analysis."


def _wait(client: TestClient, analysis_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        row = client.get(f"/api/analyses/{analysis_id}").json()
        if row["status"] in ("done", "failed") or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


def test_upload_then_analyse_then_restart(tmp_path, company_dir: Path) -> None:
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(company_dir.glob("*.csv"))]
    with TestClient(create_app(tmp_path, lang="zh", settings=settings()), headers=AUTH) as c:
        up = c.post("/api/datasets/upload", files=files, data={"name": "shop"})
        assert up.status_code == 201, up.text
        ds = up.json()
        assert ds["files"] == len(files) and ds["kind"] == "upload"
        assert sorted(p.name for p in Path(ds["source"]).iterdir()) == sorted(f[1][0] for f in files)
        started = c.post("/api/analyses", json={"dataset_id": ds["id"], "sections": ["data", "behaviour"]})
        assert started.status_code == 202 and started.json()["status"] in ("queued", "running", "done")
        row = _wait(c, started.json()["id"])
        assert row["status"] == "done", row
        assert row["progress"] == {"step": "done", "index": 2, "total": 2}
        board = c.get(f"/api/analyses/{row['id']}/dashboard").json()
        assert [s["id"] for s in board["sections"]] == ["data", "behaviour"]
        out = Path(tmp_path / "analyses" / row["id"])
        for name in ("analysis.json", "report.html", "report.en.html", "loyalscope.xlsx", "quarantine.csv"):
            assert (out / name).is_file(), name
    with TestClient(create_app(tmp_path, settings=settings()), headers=AUTH) as c:  # restarted
        assert [d["id"] for d in c.get("/api/datasets").json()] == [ds["id"]]
        assert c.get(f"/api/analyses/{row['id']}").json()["status"] == "done"


def test_failed_job_reports_message_and_fix(tmp_path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "stuff.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    with TestClient(create_app(tmp_path / "state", settings=settings(data)), headers=AUTH) as c:
        ds = c.post("/api/datasets/path", json={"path": str(data)}).json()
        started = c.post("/api/analyses", json={"dataset_id": ds["id"], "lang": "en"}).json()
        row = _wait(c, started["id"])
        assert row["status"] == "failed"
        assert row["error"]["type"] == "SchemaError"
        assert row["error"]["message"].startswith("No table was found in the input. Files not read:")
        assert "transactions.csv" in row["error"]["fix"]
        res = c.get(f"/api/analyses/{row['id']}/dashboard")
        assert res.status_code == 409 and res.json()["error"]["type"] == "NotReady"


@pytest.mark.parametrize(("url", "payload", "needle"), [
    ("/api/datasets/path", {"path": "/no/such/folder"}, "not available"),
    ("/api/datasets/path", {"path": "inside/but/missing"}, "does not exist"),
    ("/api/analyses", {"dataset_id": "nope"}, "no dataset"),
])
def test_bad_requests_say_how_to_fix(tmp_path, url: str, payload: dict, needle: str) -> None:
    with TestClient(create_app(tmp_path, settings=settings(tmp_path)), headers=AUTH) as c:
        res = c.post(url, json=payload, params={"lang": "en"})
    assert res.status_code in (400, 404)
    assert needle in res.json()["error"]["message"] and res.json()["error"]["fix"]


def test_bad_sections_and_bad_upload(tmp_path, company_dir: Path) -> None:
    with TestClient(create_app(tmp_path, settings=settings(company_dir)), headers=AUTH) as c:
        ds = c.post("/api/datasets/path", json={"path": str(company_dir)}).json()
        res = c.post("/api/analyses", json={"dataset_id": ds["id"], "sections": ["valu"]},
                     params={"lang": "en"})
        assert res.status_code == 400 and "valu" in res.json()["error"]["message"]
        assert "value" in res.json()["error"]["fix"]
        res = c.post("/api/datasets/upload", files=[("files", ("run.exe", b"MZ", "application/octet-stream"))],
                     params={"lang": "en"})
        assert res.status_code == 400 and "run.exe" in res.json()["error"]["message"]
        assert not any((tmp_path / "datasets").iterdir())
        assert c.get("/api/analyses").json() == []

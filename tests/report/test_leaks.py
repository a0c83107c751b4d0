"""No language leaks: the report, the workbook and the web pages of a full analysis, rendered in
Chinese and in English, show no catalogue key, no raw id (``dim_quality``), no Han character in
English and no English word in Chinese (names in the data aside; see ``leaks.py``)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from loyalscope.i18n import t
from loyalscope.report import charts, render_html, write_excel
from loyalscope.results import Chart

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from leaks import data_names, figure_texts, html_texts, leaks
from webtools import AUTH, settings


@pytest.fixture(scope="module")
def names(demo) -> set[str]:
    return data_names(demo.frames, extra=[str(demo.out)])


def _report(demo, lang: str) -> list[str]:
    texts = html_texts(render_html(demo.analysis, lang))
    for section in demo.analysis.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                texts += figure_texts(json.loads(charts.figure(block, lang).to_json()))
    return texts


def _workbook(demo, lang: str, tmp_path: Path) -> list[str]:
    path = write_excel(demo.analysis, tmp_path / f"{lang}.xlsx", lang, demo.dataset.quality.quarantine)
    wb = openpyxl.load_workbook(path, read_only=True)
    texts = list(wb.sheetnames)
    # audit columns of ids, like <code> in the report: metric ids, action ids (CRM campaign codes)
    id_headers = {t("excel.metric_id", lang), t("report.customer.action", lang)}
    for ws in wb.worksheets:
        skip: set[int] = set()
        for i, row in enumerate(ws.iter_rows(values_only=True)):
            if i == 0:
                skip = {j for j, v in enumerate(row) if v in id_headers}
            if i > 300:  # long customer lists repeat the same labels
                break
            texts += [v for j, v in enumerate(row) if isinstance(v, str) and j not in skip]
    return texts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_has_no_leaks(demo, names, lang: str) -> None:
    found = leaks(_report(demo, lang), lang, names)
    assert not found, found[:10]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_has_no_leaks(demo, names, lang: str, tmp_path) -> None:
    found = leaks(_workbook(demo, lang, tmp_path), lang, names)
    assert not found, found[:10]


@pytest.fixture(scope="module")
def web(demo, tmp_path_factory):
    from loyalscope.web import create_app

    state = tmp_path_factory.mktemp("web")
    out = shutil.copytree(demo.out, state / "demo-output")
    app = create_app(state, lang="zh", settings=settings())
    row = app.state.web.import_output(out)
    with TestClient(app, headers=AUTH, follow_redirects=False) as client:  # signed in: no login page
        yield client, row.id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_web_pages_have_no_leaks(demo, names, web, lang: str) -> None:
    client, aid = web
    customer = str(demo.analysis.customers.customer_id.iloc[0])
    texts: list[str] = []
    for url in ("/", f"/analyses/{aid}", f"/analyses/{aid}/customers", f"/analyses/{aid}/customers/{customer}"):
        res = client.get(url, params={"lang": lang})
        assert res.status_code == 200, (url, res.text[:300])
        texts += html_texts(res.text)
    board = client.get(f"/api/analyses/{aid}/dashboard", params={"lang": lang}).json()
    for section in board["sections"]:
        texts += [section["title"], *(section["findings"]), *(n["label"] for n in section["numbers"]),
                  *(n["display"] for n in section["numbers"])]
        for chart in section["charts"]:
            texts += [chart["title"], *figure_texts(chart["figure"])]
    # the language switch names each language in itself (English / 中文); the analysis is named
    # after its folder (a name in the data)
    found = leaks([x for x in texts if x not in ("English", "中文")], lang, names | {"demo-output", aid})
    assert not found, found[:10]


def test_machine_outputs_carry_stable_ids(demo) -> None:
    import pandas as pd

    saved = json.loads((demo.out / "analysis.json").read_text(encoding="utf-8"))
    parquet = pd.read_parquet(demo.out / "customers.parquet")
    from loyalscope.segments.scheme import load_scheme

    ids = {s.id for s in load_scheme("classic11").segments}
    assert set(parquet.rfm_segment.dropna()) <= ids  # ids, not labels in one language
    assert set(saved["sections"]["segments"]["data"]["segments"]) <= ids
    rules = {r["rule"] for r in saved["sections"]["strategy"]["data"]["recommendations"]}
    assert set(parquet.target_of.dropna()) <= rules
    assert all("text" not in r for r in saved["sections"]["strategy"]["data"]["recommendations"])

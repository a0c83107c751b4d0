"""SurveyMonkey and Qualtrics exports: a header of two or three rows, read as one.

SurveyMonkey's "All individual responses" (CSV or XLSX): row 1 ``Respondent ID, Collector ID,
Start Date, End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1`` and then
the questions, a multi-column question's text above its first column only; row 2 blank under
those nine and, under the questions, ``Response`` (one answer), ``Open-Ended Response``, the
options or matrix rows of a multi-column question, ``Other (please specify)``. Row 2 was read
as a response (quarantined: it has no respondent id), its ``Response`` made the satisfaction
words unreadable, and a matrix row (``Buy from Acme again``) named no column.

Qualtrics' CSV: row 1 its ids (``StartDate ... ResponseId ... Q1, Q2, Q3_1``), row 2 the
question texts, row 3 ``{"ImportId":"QID1"}``. No table was found in such a file: its ids are no
column names and its question texts were taken for a response.

No public export with a licence was found (tests/data/README.md): the header rows are those the
public projects that read these files quote, the rows are made here, and every number is
computed again from the written values with pandas.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import loyalscope as ls
from loyalscope.cli import app

runner = CliRunner()
NOW = pd.Timestamp("2024-12-31")
N = 60
BAD = 5
"""The response written with an answer time that is no date (0-based among the responses)."""

SM_META = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address",
           "First Name", "Last Name", "Custom Data 1"]
SM_NPS = "How likely is it that you would recommend Acme to a friend or colleague?"
SM_SAT = "Overall, how satisfied or dissatisfied are you with Acme?"
SM_INTENT = "How likely are you to do each of the following?"
SM_BOUGHT = "Which of our products\nhave you bought?"  # a line break inside the quoted question
SM_COMMENT = "Do you have any other comments, questions, or concerns?"
SM_SAT_WORDS = {"Very satisfied": 5, "Somewhat satisfied": 4, "Neither satisfied nor dissatisfied": 3,
                "Somewhat dissatisfied": 2, "Very dissatisfied": 1}
SM_LIKELY = {"Very likely": 5, "Likely": 4, "Neither likely nor unlikely": 3, "Unlikely": 2,
             "Very unlikely": 1}

QX_IDS = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
          "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
          "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
          "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3_1", "Q3_2", "Q4"]
QX_TEXT = ["Start Date", "End Date", "Response Type", "IP Address", "Progress",
           "Duration (in seconds)", "Finished", "Recorded Date", "Response ID", "Recipient Last Name",
           "Recipient First Name", "Recipient Email", "External Data Reference", "Location Latitude",
           "Location Longitude", "Distribution Channel", "User Language",
           "How likely are you to recommend Acme to a friend or colleague?",
           "Overall, how satisfied are you with Acme?",
           "How satisfied are you with each of the following? - Price",
           "How satisfied are you with each of the following? - Delivery",
           "Is there anything else you would like to tell us? Any comments are welcome."]
QX_IMPORT = (['{"ImportId":"startDate","timeZone":"America/Denver"}',
              '{"ImportId":"endDate","timeZone":"America/Denver"}', '{"ImportId":"status"}',
              '{"ImportId":"ipAddress"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}',
              '{"ImportId":"finished"}', '{"ImportId":"recordedDate","timeZone":"America/Denver"}',
              '{"ImportId":"_recordId"}', '{"ImportId":"recipientLastName"}',
              '{"ImportId":"recipientFirstName"}', '{"ImportId":"recipientEmail"}',
              '{"ImportId":"externalDataReference"}', '{"ImportId":"locationLatitude"}',
              '{"ImportId":"locationLongitude"}', '{"ImportId":"distributionChannel"}',
              '{"ImportId":"userLanguage"}', '{"ImportId":"QID1"}', '{"ImportId":"QID2"}',
              '{"ImportId":"QID3_1"}', '{"ImportId":"QID3_2"}', '{"ImportId":"QID4_TEXT"}'])


# ---- the exports -----------------------------------------------------------------------------
def _surveymonkey_rows(n: int = N) -> tuple[list[list[Any]], pd.DataFrame]:
    """SurveyMonkey's two header rows and ``n`` responses; the frame holds what was written,
    one column per measure."""
    rng = np.random.default_rng(11)
    row1 = [*SM_META, SM_NPS, SM_SAT, SM_INTENT, "", SM_BOUGHT, "", "", SM_COMMENT]
    row2 = [""] * len(SM_META) + ["Response", "Response", "Buy from Acme again", "Try our new range",
                                  "Shoes", "Shirts", "Other (please specify)", "Open-Ended Response"]
    days = rng.integers(1, 29, n)
    nps = [str(v) if rng.random() > 0.1 else "" for v in rng.integers(0, 11, n)]
    sat = rng.choice([*SM_SAT_WORDS, ""], n, p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1])
    again = rng.choice(list(SM_LIKELY), n)
    ends = [f"06/{d:02d}/2024 10:{m:02d}:49 AM" for d, m in zip(days, rng.integers(10, 59, n), strict=True)]
    if n > BAD:
        ends[BAD] = "not answered yet"
    frame = pd.DataFrame({"respondent": [114227049233 + 7 * i for i in range(n)], "end": ends,
                          "nps": nps, "csat": sat, "again": again})
    rows: list[list[Any]] = [row1, row2]
    for i in range(n):
        rows.append([int(frame.respondent[i]), 431662148, f"06/{days[i]:02d}/2024 10:05:12 AM", ends[i],
                     f"203.0.113.{i % 250}", "", "", "", "", nps[i], sat[i], again[i],
                     rng.choice(list(SM_LIKELY)), "Shoes" if i % 2 else "", "Shirts" if i % 3 else "",
                     "socks" if i % 7 == 0 else "", "Great service" if i % 4 else ""])
    return rows, frame


def _write_csv(path: Path, rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def _write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    """The rows as SurveyMonkey's XLSX holds them: numbers as numbers, empty cells empty."""
    cells = [[None if v == "" else v for v in row] for row in rows]
    pd.DataFrame(cells).to_excel(path, index=False, header=False)


def _qualtrics_rows(n: int = N) -> tuple[list[list[Any]], pd.DataFrame]:
    """Qualtrics' three header rows and ``n`` responses (numeric values, as "Use numeric values"
    writes them)."""
    rng = np.random.default_rng(12)
    rows: list[list[Any]] = [QX_IDS, QX_TEXT, QX_IMPORT]
    nps = [str(v) if rng.random() > 0.1 else "" for v in rng.integers(0, 11, n)]
    sat = [str(v) if rng.random() > 0.1 else "" for v in rng.integers(1, 6, n)]
    recorded = [f"2024-{m:02d}-{d:02d} {h:02d}:14:09" for m, d, h in zip(
        rng.integers(1, 13, n), rng.integers(1, 29, n), rng.integers(8, 22, n), strict=True)]
    if n > BAD:
        recorded[BAD] = "not a date"
    ids = [f"R_{rng.integers(10**14, 10**15)}" for _ in range(n)]
    for i in range(n):
        rows.append([recorded[i], recorded[i], "IP Address", f"198.51.100.{i % 250}", "100", "184",
                     "True", recorded[i], ids[i], "", "", "", "", "39.7", "-104.9", "anonymous", "EN",
                     nps[i], sat[i], str(rng.integers(1, 6)), str(rng.integers(1, 6)),
                     "Keep it up" if i % 3 else ""])
    return rows, pd.DataFrame({"id": ids, "recorded": recorded, "nps": nps, "csat": sat})


def _nps(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(((v >= 9).mean() - (v <= 6).mean()) * 100)


def _validate(path: Path) -> dict[str, Any]:
    res = runner.invoke(app, ["validate", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out: dict[str, Any] = json.loads(res.stdout)
    return out["surveys"]


def _analyze(path: Path, out: Path) -> dict[str, Any]:
    res = runner.invoke(app, ["analyze", str(path), "--out", str(out), "--json", "--lang", "en"])
    assert res.exit_code == 0, res.output
    sections = json.loads((out / "analysis.json").read_text(encoding="utf-8"))["sections"]
    return {b.get("metric_id"): b for b in sections["satisfaction"]["blocks"] if b.get("metric_id")}


# ---- SurveyMonkey ----------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_surveymonkey_label_row_is_part_of_the_header(tmp_path: Path, suffix: str) -> None:
    rows, raw = _surveymonkey_rows()
    path = tmp_path / f"Customer satisfaction survey{suffix}"
    (_write_csv if suffix == ".csv" else _write_xlsx)(path, rows)
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["surveys"]
    # every response read, row 2 not among them; the one without a date quarantined alone
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (N, N - 1, 1)
    bought = SM_BOUGHT.replace("\n", " ")
    assert rep.mapping == {
        "response_id": "Respondent ID", "answered_ts": "End Date", "nps": SM_NPS, "csat": SM_SAT,
        "repurchase_intent": f"{SM_INTENT} - Buy from Acme again",
        "comment": f"{SM_COMMENT} - Open-Ended Response"}
    unused = rep.unused_columns[0]["columns"]
    assert f"{bought} - Shirts" in unused and f"{bought} - Other (please specify)" in unused
    # a line break in row 1's quoted question: the CSV's row 2 is its line 3, the data from line 4
    first = 4 if suffix == ".csv" else 3
    said = [n for n in rep.notes if "SurveyMonkey" in n]
    assert len(said) == 1 and f"lines 1-{first - 1}" in said[0], rep.notes
    q = ds.quality.quarantine
    assert q[["line", "column", "value"]].values.tolist() == [[first + BAD, "answered_ts", raw.end[BAD]]]
    got = ds.table("surveys").to_pandas().sort_values("response_id").reset_index(drop=True)
    want = raw.drop(index=BAD).assign(rid=lambda f: f.respondent.astype(str)).sort_values("rid")
    assert got.response_id.tolist() == want.rid.tolist()
    assert np.array_equal(got.nps.to_numpy(), pd.to_numeric(want.nps).to_numpy(), equal_nan=True)
    assert np.array_equal(got.csat.to_numpy(), want.csat.map(SM_SAT_WORDS).to_numpy(float),
                          equal_nan=True)
    assert np.array_equal(got.repurchase_intent.to_numpy(), want.again.map(SM_LIKELY).to_numpy(float))


def test_surveymonkey_validate_and_analyze(tmp_path: Path) -> None:
    rows, raw = _surveymonkey_rows()
    path = tmp_path / "survey_responses.csv"
    _write_csv(path, rows)
    rep = _validate(path)
    assert (rep["rows_read"], rep["rows_accepted"], rep["rows_quarantined"]) == (N, N - 1, 1)
    assert rep["quarantine_reasons"] == {"unparseable": 1}
    assert not any("could not be read" in n for n in rep["notes"])  # Response is no answer
    kept = raw.drop(index=BAD)
    blocks = _analyze(path, tmp_path / "out")
    assert blocks["nps"]["value"] == pytest.approx(_nps(kept.nps))
    assert blocks["nps"]["denominator"] == (kept.nps != "").sum()
    answered = kept.csat[kept.csat != ""]
    assert blocks["csat_top2"]["denominator"] == len(answered)
    assert blocks["csat_top2"]["numerator"] == answered.map(SM_SAT_WORDS).ge(4).sum()


# ---- Qualtrics -------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_qualtrics_question_texts_name_the_columns(tmp_path: Path, suffix: str) -> None:
    rows, raw = _qualtrics_rows()
    path = tmp_path / f"Acme+CSAT_June+11,+2024_10.15{suffix}"
    (_write_csv if suffix == ".csv" else _write_xlsx)(path, rows)
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["surveys"]
    assert (rep.rows_read, rep.rows_accepted, rep.rows_quarantined) == (N, N - 1, 1)
    assert rep.mapping == {"response_id": "Response ID", "answered_ts": "Recorded Date",
                           "nps": QX_TEXT[17], "csat": QX_TEXT[18], "comment": QX_TEXT[21]}
    said = [n for n in rep.notes if "Qualtrics" in n]
    assert len(said) == 1 and "lines 1-3" in said[0] and f"Q1 = '{QX_TEXT[17]}'" in said[0], rep.notes
    q = ds.quality.quarantine
    assert q[["line", "column", "value"]].values.tolist() == [[4 + BAD, "answered_ts", "not a date"]]
    got = ds.table("surveys").to_pandas().sort_values("response_id").reset_index(drop=True)
    want = raw.drop(index=BAD).sort_values("id")
    assert got.response_id.tolist() == want.id.tolist()
    assert got.answered_ts.tolist() == pd.to_datetime(want.recorded).tolist()
    assert np.array_equal(got.nps.to_numpy(), pd.to_numeric(want.nps).to_numpy(), equal_nan=True)
    assert np.array_equal(got.csat.to_numpy(), pd.to_numeric(want.csat).to_numpy(), equal_nan=True)


def test_qualtrics_validate_and_analyze(tmp_path: Path) -> None:
    rows, raw = _qualtrics_rows()
    path = tmp_path / "qualtrics_export.csv"
    _write_csv(path, rows)
    rep = _validate(path)
    assert (rep["rows_read"], rep["rows_accepted"], rep["rows_quarantined"]) == (N, N - 1, 1)
    assert rep["quarantine_reasons"] == {"unparseable": 1}
    kept = raw.drop(index=BAD)
    blocks = _analyze(path, tmp_path / "out")
    assert blocks["nps"]["value"] == pytest.approx(_nps(kept.nps))
    answered = pd.to_numeric(kept.csat[kept.csat != ""])
    assert blocks["csat_top2"]["denominator"] == len(answered)
    assert blocks["csat_top2"]["numerator"] == (answered >= 4).sum()


@pytest.mark.parametrize("tool", ["surveymonkey", "qualtrics"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_survey_nps_command_reads_the_export(tmp_path: Path, tool: str, suffix: str) -> None:
    """``survey nps`` stages its file as ``analyze`` does: it read SurveyMonkey's label row as an
    answer ("holds a value that is not a number", row 2) and found no NPS column in Qualtrics'
    ids (``Q1``): the question texts of the header rows now name the columns."""
    rows, raw = (_surveymonkey_rows if tool == "surveymonkey" else _qualtrics_rows)()
    path = tmp_path / f"{tool}_export{suffix}"
    (_write_csv if suffix == ".csv" else _write_xlsx)(path, rows)
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json"], env={"LOYALSCOPE_LANG": "en"})
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    answered = pd.to_numeric(raw.nps[raw.nps != ""])
    assert out["n"] == len(answered) and out["nps"] == pytest.approx(_nps(raw.nps))
    assert out["promoters"] == (answered >= 9).sum() and out["detractors"] == (answered <= 6).sum()
    assert out["column"] == (SM_NPS if tool == "surveymonkey" else QX_TEXT[17])
    assert any(("SurveyMonkey" if tool == "surveymonkey" else "Qualtrics") in n for n in out["notes"])


def _with_nps_group(rows: list[list[Any]], text: str) -> list[list[Any]]:
    """Qualtrics' rows with the column it derives from an NPS question before it: id
    ``Q1_NPS_GROUP``, import id ``QID1_NPS_GROUP``, 1 detractor / 2 passive / 3 promoter;
    ``text`` its row-2 text."""
    j = rows[0].index("Q1")
    out = []
    for k, row in enumerate(rows):
        v = row[j]
        cell = ("Q1_NPS_GROUP" if k == 0 else text if k == 1 else '{"ImportId":"QID1_NPS_GROUP"}' if k == 2
                else "" if v == "" else str(1 if int(v) <= 6 else 2 if int(v) <= 8 else 3))
        out.append([*row[:j], cell, *row[j:]])
    return out


@pytest.mark.parametrize("same_text", [True, False])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_qualtrics_nps_group_column_leaves_the_question_its_name(tmp_path: Path, suffix: str,
                                                                  same_text: bool) -> None:
    """Qualtrics writes ``Q1_NPS_GROUP`` (1-3) beside an NPS question ``Q1``, its row-2 text the
    question's (or the question's with " - Group"): two columns answered "How likely are you to
    recommend?", so neither was read and the export's NPS was lost. The group column is named by
    its id and left unused; NPS is the question's, computed again from the written answers."""
    rows, raw = _qualtrics_rows()
    text = QX_TEXT[17] if same_text else QX_TEXT[17] + " - Group"
    path = tmp_path / f"qualtrics_export{suffix}"
    (_write_csv if suffix == ".csv" else _write_xlsx)(path, _with_nps_group(rows, text))
    ds = ls.load(path, now=NOW)
    rep = ds.quality.tables["surveys"]
    assert rep.mapping["nps"] == QX_TEXT[17]
    assert "Q1_NPS_GROUP" in rep.unused_columns[0]["columns"]
    kept = raw.drop(index=BAD)
    got = ds.table("surveys").to_pandas().nps.dropna()
    assert len(got) == (kept.nps != "").sum()
    assert float(((got >= 9).mean() - (got <= 6).mean()) * 100) == pytest.approx(_nps(kept.nps))
    res = runner.invoke(app, ["survey", "nps", "--data", str(path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["nps"] == pytest.approx(_nps(raw.nps))


# ---- what is not such a header ----------------------------------------------------------------
def test_a_response_answering_response_is_not_a_header(tmp_path: Path) -> None:
    """Only the exact shapes are headers: beside an export whose row 2 is SurveyMonkey's label
    row (read as header), a plain survey file whose line 2 answers ``Response``, a
    SurveyMonkey-headed file whose row 2 is a response (it has its respondent id) answering
    ``Response`` everywhere, and a Qualtrics export whose id and import-id rows were deleted
    by hand: each of their lines is a response."""
    rows, _ = _surveymonkey_rows(10)
    labelled = tmp_path / "labelled" / "surveys.csv"
    labelled.parent.mkdir()
    _write_csv(labelled, rows)
    assert ls.load(labelled, now=NOW).quality.tables["surveys"].rows_read == 10

    plain = tmp_path / "plain" / "surveys.csv"
    plain.parent.mkdir()
    plain.write_text("response_id,customer_id,answered_ts,nps,csat,comment\n"
                     "R1,C1,2024-01-02,9,5,Response\nR2,C2,2024-01-03,6,3,Open-Ended Response\n"
                     "R3,C3,2024-01-04,10,4,\n", encoding="utf-8")
    one_line = [h.replace("\n", " ") for h in rows[0]]  # (a line break in it is read as a record)
    answering = [one_line, [*rows[2][:9], "Response", "Response", "Response", "Response", "Response",
                           "Response", "Other (please specify)", "Open-Ended Response"], *rows[3:]]
    sm = tmp_path / "sm" / "surveys.csv"
    sm.parent.mkdir()
    _write_csv(sm, answering)
    qrows, _ = _qualtrics_rows(10)
    cleaned = tmp_path / "qx" / "surveys.csv"
    cleaned.parent.mkdir()
    _write_csv(cleaned, [qrows[1], *qrows[3:]])  # its id and import-id rows deleted by hand
    for path, n in ((plain, 3), (sm, 10), (cleaned, 10)):
        ds = ls.load(path, now=NOW)
        rep = ds.quality.tables["surveys"]
        assert rep.rows_read == n, path
        assert not any("SurveyMonkey" in m or "Qualtrics" in m for m in rep.notes), rep.notes
    q = ls.load(plain, now=NOW).table("surveys").to_pandas().sort_values("response_id")
    assert q.comment.tolist()[:2] == ["Response", "Open-Ended Response"]


def test_only_the_documented_shapes_are_header_rows() -> None:
    from loyalscope.data.intake.survey_header import detect

    rows, _ = _surveymonkey_rows(1)
    top, labels = rows[0], rows[1]
    found = detect([top, labels])
    assert found is not None and found.rows == 2
    assert found.names[9:12] == (SM_NPS, SM_SAT, f"{SM_INTENT} - Buy from Acme again")

    def with_cell(row: list[Any], j: int, value: str) -> list[Any]:
        return [*row[:j], value, *row[j + 1:]]

    assert detect([top, with_cell(labels, 0, "114227049233")]) is None  # a respondent id: a response
    assert detect([top, with_cell(labels, 9, "9")]) is None  # an answer under a one-column question
    only_options = ["" if v in ("Response", "Open-Ended Response", "Other (please specify)") else v
                    for v in labels]
    assert detect([top, only_options]) is None  # no SurveyMonkey label at all
    assert detect([with_cell(top, 1, "Collector"), labels]) is None  # not SurveyMonkey's columns
    assert detect([QX_IDS, QX_TEXT, QX_IMPORT]) is not None
    assert detect([QX_IDS, QX_TEXT, with_cell(QX_IMPORT, 17, "9")]) is None
    assert detect([QX_IDS, QX_TEXT, with_cell(QX_IMPORT, 17, '{"ImportId": 1}')]) is None
    few = [c if j < 5 else "" for j, c in enumerate(QX_IMPORT)]
    assert detect([QX_IDS, QX_TEXT, few]) is None  # import ids in fewer than half the cells

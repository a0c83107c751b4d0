"""Value parsing rules (engine expressions, run on DuckDB) and row checks through ``load``."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

import loyalscope as ls
from loyalscope.config import AnalysisConfig
from loyalscope.data import parse
from loyalscope.errors import DataQualityError
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English whatever LANG the machine has."""
    with use_lang("en"):
        yield


TS = pd.Timestamp
CON = ibis.duckdb.connect()


def _run(fn, values, **kw) -> pd.DataFrame:
    tbl = ibis.memtable(pd.DataFrame({"s": pd.Series(values, dtype=object)}))
    out = fn(tbl, "s", "o", **kw)
    return CON.execute(out.select(v=out.o, r=out.o__r, g=out.o__g))


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.50", 1234.5), ("¥1,200", 1200.0), ("￥300元", 300.0), ("RMB 5", 5.0), ("$12", 12.0),
     ("(300)", -300.0), ("１２３．５", 123.5), ("-7", -7.0), ("−8", -8.0), ("1,234,567", 1234567.0),
     ("USD 3.25", 3.25), (" 42 ", 42.0), ("1e5", 1e5)],
)
@pytest.mark.parametrize("backend", [None, "duckdb"])  # groups by one run per group / one run
def test_amounts(text: str, value: float, backend: str | None) -> None:
    got = _run(parse.number, [text], backend=backend).iloc[0]
    assert got["v"] == pytest.approx(value) and got["r"] is None


@pytest.mark.parametrize("text", ["abc", "1,5", "12..3", "1.2.3"])
@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_bad_amounts(text: str, backend: str | None) -> None:
    got = _run(parse.number, [text], backend=backend).iloc[0]
    assert np.isnan(got["v"]) and got["r"] == "unparseable"


# strict values (issue #10 item 4): one test per spelling, each with its reason
@pytest.mark.parametrize(
    ("text", "reason", "tag"),
    [("inf", "out_of_range", "not_finite"), ("Infinity", "out_of_range", "not_finite"),
     ("-inf", "out_of_range", "not_finite"), ("NaN", "out_of_range", "not_finite"),
     ("1e400", "out_of_range", "not_finite"), ("2e15", "out_of_range", "not_finite"),
     ("12元34", "unparseable", "not_number"), ("USD1EUR2", "unparseable", "not_number"),
     ("$5 EUR", "unparseable", "two_currencies"), ("(12", "unparseable", "paren"),
     ("12)", "unparseable", "paren"), ("45%", "unparseable", "percent")],
)
@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_strict_amounts(text: str, reason: str, tag: str, backend: str | None) -> None:
    got = _run(parse.number, [text], backend=backend).iloc[0]
    assert np.isnan(got["v"]) and (got["r"], got["g"]) == (reason, tag)


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_percent_only_when_asked(backend: str | None) -> None:
    assert _run(parse.number, ["45%"], percent=True, backend=backend).iloc[0]["v"] == pytest.approx(0.45)


_GROUP_TEXTS = [
    "1,234.50", "¥1,200", "300元", "RMB 5", "$12", "-7", "+-7", "-¥3", "1,234,567", "USD 3.25",
    "1e5", "45%", "$5 EUR", "12元34", ".5", "5.", "abc", "", " ", "1,5", "12..3", "2024-01-05",
    "2024/1/5 10:30", "2024.1.5 10:30:15.25", "5/1/2024 3:04", "2024-01-05 10:00 +08:00",
    "2024-01-05 02:00Z", "20240105", "1/2/24", "12:30", "2024-1-5T10", None, "¥", "元",
]


@pytest.mark.parametrize(("pattern", "n", "first"), [(parse.AMOUNT_RE, 7, 4), (parse.DATE_RE, 8, 1)])
def test_regex_groups_in_one_run_equal_one_run_per_group(pattern: str, n: int, first: int) -> None:
    """On DuckDB the groups of the amount and date expressions come from one regexp_extract
    returning a struct, and "matches" from a group that a match never leaves empty; the result
    must equal re_search plus one re_extract per group (the other engines' way), skipped rows
    included."""
    k = len(_GROUP_TEXTS)
    tbl = ibis.memtable(pd.DataFrame({"i": range(2 * k), "s": pd.Series(_GROUP_TEXTS * 2, dtype=object),
                                      "skip": [False] * k + [True] * k}))
    got = {}
    for backend in (None, "duckdb"):
        staged, cols = parse._regex_stage(tbl, tbl.s, pattern, n, tbl.skip, first, "x_", backend)
        got[backend] = CON.execute(staged.mutate(**cols).select("i", *cols).order_by("i"))
    pd.testing.assert_frame_equal(got["duckdb"], got[None])
    matched = got[None]["x_m"].iloc[:k]
    assert matched.eq(True).any() and matched.eq(False).any()  # some texts match, some do not


@pytest.mark.parametrize(
    ("text", "value"),
    [("2024-01-05", TS("2024-01-05")), ("2024/1/5", TS("2024-01-05")), ("2024.1.5", TS("2024-01-05")),
     ("2024年1月5日", TS("2024-01-05")), ("2024年1月5日 10时30分", TS("2024-01-05 10:30")),
     ("２０２４－０１－０５", TS("2024-01-05")), ("20240105", TS("2024-01-05")),
     ("2024-01-05 10:30", TS("2024-01-05 10:30")), ("2024-01-05T10:30:15.250", TS("2024-01-05 10:30:15.25")),
     ("2024/01/05 10:30:15", TS("2024-01-05 10:30:15")),
     ("2024-01-05T10:00:00+08:00", TS("2024-01-05 10:00")),   # already Shanghai time
     ("2024-01-05T02:00:00Z", TS("2024-01-05 10:00")), ("2024-01-05 03:00:00+0900", TS("2024-01-05 02:00")),
     ("45296", TS("2024-01-05")), ("45296.5", TS("2024-01-05 12:00")),        # Excel serials
     ("1704412800", TS("2024-01-05 08:00")), ("1704412800000", TS("2024-01-05 08:00"))],  # epoch UTC
)
def test_dates(text: str, value: pd.Timestamp) -> None:
    got = _run(parse.datetime, [text], dayfirst=False, timezone="Asia/Shanghai",
               backend="duckdb").iloc[0]
    assert got["v"] == value and got["r"] is None


@pytest.mark.parametrize("text", ["bad", "2024-13-01", "2024-02-30", "5", "2024年", "NaN"])
def test_bad_dates(text: str) -> None:
    got = _run(parse.datetime, [text], dayfirst=False, timezone="UTC", backend="duckdb").iloc[0]
    assert pd.isna(got["v"]) and got["r"] == "unparseable"


@pytest.mark.parametrize("text", ["1899-12-31", "0001-01-01", "2201-01-01", "1850/3/4"])
def test_years_out_of_range(text: str) -> None:
    got = _run(parse.datetime, [text], dayfirst=False, timezone="UTC", backend="duckdb").iloc[0]
    assert pd.isna(got["v"]) and (got["r"], got["g"]) == ("out_of_range", "year_range")


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True), ("false", False),
     ("1", True), ("0", False), ("yes", True), ("No", False)],
)
def test_booleans(text: str, value: bool) -> None:
    got = _run(parse.boolean, [text]).iloc[0]
    assert got["v"] == value and got["r"] is None


def test_typed_columns_not_reparsed() -> None:
    df = pd.DataFrame({"t": pd.to_datetime(["2024-01-05 02:00"]).tz_localize("UTC"),
                       "n": [1001.0], "b": [True]})
    tbl = ibis.memtable(df)
    out = parse.datetime(tbl, "t", "o", False, "Asia/Shanghai", "duckdb")
    assert CON.execute(out.o)[0] == TS("2024-01-05 10:00")
    out = parse.string(tbl, "n", "o")
    assert CON.execute(out.o)[0] == "1001"
    out = parse.number(tbl, "b", "o")  # a boolean column is no amount
    assert CON.execute(out.o__r)[0] == "wrong_type"


# ---- row checks through load ------------------------------------------------------------------
NOW = TS("2024-06-01")
HEAD = ["order_id", "customer_id", "order_ts", "amount"]


def _csv(path: Path, rows: list[list[str]], head: list[str] = HEAD) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([head, *rows])
    return path


def _load(tmp_path: Path, rows: list[list[str]], head: list[str] = HEAD, **data: object):
    cfg = AnalysisConfig.load(None, **{f"data.{k}": v for k, v in data.items()})
    return ls.load({"transactions": _csv(tmp_path / "orders.csv", rows, head)}, config=cfg, now=NOW)


def test_missing_unparseable_empty(tmp_path: Path) -> None:
    ds = _load(tmp_path, [["A1", "C1", "2024-01-05", "10"], ["A2", "", "2024-01-05", "1"],
                          ["A3", "C3", "never", "1"], ["", "", "", ""], ["A5", "C5", "2024-01-05", "x"]])
    q = ds.quality.quarantine.set_index("line")
    # A2 has no customer id: a guest order (data.shapes keeps it in orders, not transactions);
    # A5's amount "x" is kept in _bad_amount and data.shapes quarantines its order
    assert ds.table("transactions").execute()["order_id"].tolist() == ["A1"]
    assert 3 not in q.index and ds.quality.orders["guest_orders"] == 1
    assert q.loc[4, "reason"] == "unparseable" and q.loc[4, "value"] == "never"
    assert q.loc[5, "reason"] == "empty_row"
    assert q.loc[6, "reason"] == "unparseable" and q.loc[6, "value"] == "x"


def test_strict_amounts_quarantined_with_reason(tmp_path: Path) -> None:
    rows = [["A1", "C1", "2024-01-05", "inf"], ["A2", "C1", "2024-01-05", "1e400"],
            ["A3", "C1", "2024-01-05", "12元34"], ["A4", "C1", "2024-01-05", "USD1EUR2"],
            ["A5", "C1", "2024-01-05", "(12"], ["A6", "C1", "1899-01-05", "1"],
            ["A7", "C1", "2201-01-05", "1"], ["A8", "C1", "2024-01-05", "7"]]
    ds = _load(tmp_path, rows, future_dates="accept")
    q = ds.quality.quarantine.set_index("line")
    # amounts of transactions are judged per order by data.shapes, which quarantines the order
    # as "unparseable" with the value; dates keep their own reason
    assert q["reason"].to_dict() == {2: "unparseable", 3: "unparseable", 4: "unparseable",
                                     5: "unparseable", 6: "unparseable", 7: "out_of_range",
                                     8: "out_of_range"}
    assert q.loc[2, "value"] == "inf" and q.loc[4, "value"] == "12元34"
    assert ds.table("transactions").execute()["amount"].tolist() == [7.0]


def test_optional_unparseable_value_is_nulled_with_note(tmp_path: Path) -> None:
    ds = _load(tmp_path, [["A1", "C1", "2024-01-05", "10", "lots"]], [*HEAD, "quantity"])
    got = ds.table("transactions").execute()
    assert len(got) == 1 and pd.isna(got["quantity"].iloc[0])
    note = " ".join(ds.quality.tables["transactions"].notes)
    assert "quantity" in note and "lots" in note and "line 2" in note


def test_duplicates_first_kept(tmp_path: Path) -> None:
    ds = _load(tmp_path, [["A1", "C1", "2024-01-05", "1"], ["A1", "C2", "2024-01-06", "2"],
                          ["A2", "C1", "2024-01-05", "3"]])
    assert sorted(ds.table("transactions").execute()["customer_id"]) == ["C1", "C1"]
    q = ds.quality.quarantine
    assert q["reason"].tolist() == ["duplicate_key"] and q["line"].tolist() == [3]
    assert "line 2" in q["detail"].iloc[0]


@pytest.mark.parametrize(("mode", "kept"), [("quarantine", 1), ("accept", 2)])
def test_future_dates(tmp_path: Path, mode: str, kept: int) -> None:
    ds = _load(tmp_path, [["A1", "C1", "2024-01-05", "1"], ["A2", "C1", "2030-01-05", "1"]],
               future_dates=mode)
    assert ds.quality.tables["transactions"].rows_accepted == kept
    assert ds.quality.quarantine["reason"].tolist() == ["future_date"] * (2 - kept)


def test_future_dates_judged_by_each_runs_now(tmp_path: Path) -> None:
    # "now" is bound late in the SQL compiled once per structure (data.sqlcache): two loads of
    # the same file with different "now" must each use their own (a "now" baked into the
    # cached text would judge the second load by the first's)
    rows = [["A1", "C1", "2024-01-05", "1"], ["A2", "C1", "2024-06-05 12:30:00", "1"]]
    path = _csv(tmp_path / "orders.csv", rows, HEAD)
    for now, future in [(TS("2024-06-05 12:29:59.5"), ["A2"]), (TS("2024-06-05 12:30:00"), []),
                        (TS("2024-03-01"), ["A2"]), (TS("2025-01-01"), [])]:
        ds = ls.load({"transactions": path}, now=now)
        q = ds.quality.quarantine
        assert q["reason"].tolist() == ["future_date"] * len(future)
        assert ds.quality.tables["transactions"].rows_accepted == 2 - len(future)
        if future:
            assert q["detail"].iloc[0] == f"order_ts 2024-06-05 12:30:00 lies after now ({now})."
    # a "now" with a zone is the wall-clock time in [data] timezone (12:30 in Shanghai = 04:30 UTC)
    cfg = AnalysisConfig.load(None, **{"data.timezone": "Asia/Shanghai"})
    for now, n_future in [(TS("2024-06-05 04:29:59", tz="UTC"), 1), (TS("2024-06-05 04:30:00", tz="UTC"), 0)]:
        ds = ls.load({"transactions": path}, config=cfg, now=now)
        assert ds.quality.quarantine["reason"].tolist() == ["future_date"] * n_future


def test_negative_amounts_become_returns(tmp_path: Path) -> None:
    # the negative-amount rule of transactions belongs to data.shapes (a refund of its customer)
    ds = _load(tmp_path, [["A1", "C1", "2024-01-05", "10"], ["A2", "C1", "2024-01-09", "-4"]])
    assert ds.table("transactions").execute()["amount"].tolist() == [10.0]
    back = ds.table("returns").execute()
    assert back["amount"].tolist() == [4.0] and back["customer_id"].tolist() == ["C1"]
    assert back["return_ts"].tolist() == [TS("2024-01-09")]


@pytest.mark.parametrize("columns", [["order_id", "return_ts", "amount"], ["order_id", "return_ts"]])
def test_a_returns_export_without_its_optional_columns_joins_the_orders_returns(
        tmp_path: Path, columns: list[str]) -> None:
    """A shop's returns file with only the order and date (no reason, maybe no amount) beside an
    orders file whose negative amounts are returns too: both kinds of return rows, the file's
    with null reason (and amount), its customer from its order. (It raised Ibis' "Column
    'reason' is not found" from inside the shapes.)"""
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,customer_id,order_ts,amount\nA1,C1,2024-01-05,10\n"
                      "A2,C2,2024-01-06,20\nA3,C2,2024-01-07,-5\n", encoding="utf-8")
    own = pd.DataFrame({"order_id": ["A1"], "return_ts": ["2024-01-09"], "amount": [10.0]})
    own[columns].to_csv(tmp_path / "returns.csv", index=False)
    ds = ls.load(tmp_path, now=TS("2025-01-01"))
    back = ds.table("returns").execute().sort_values("return_ts").reset_index(drop=True)
    assert back["order_id"].tolist() == ["A3", "A1"]
    assert back["customer_id"].tolist() == ["C2", "C1"]
    assert back["return_ts"].tolist() == [TS("2024-01-07"), TS("2024-01-09")]
    assert back["reason"].iloc[0] == "negative_amount" and back["reason"].iloc[1] is None
    assert back["amount"].iloc[0] == 5.0
    if "amount" in columns:
        assert back["amount"].iloc[1] == 10.0
    else:
        assert pd.isna(back["amount"].iloc[1])
    rep = ds.quality.tables["returns"]
    assert (rep.rows_read, rep.rows_accepted) == (1, 1)


@pytest.mark.parametrize("survey", ["nps", "csat,nps"])
def test_a_survey_file_beside_reviews_keeps_its_own_columns(tmp_path: Path, survey: str) -> None:
    """Reviews (an order's score) become CSAT answers beside the survey file's answers: an NPS
    survey without ``csat`` used to raise "Column 'csat' is not found", and a survey with both
    lost its ``nps`` column (only the reviews' columns were kept). Every answer keeps its
    values; what a side did not ask is null."""
    (tmp_path / "orders.csv").write_text("order_id,customer_id,order_ts,amount\n"
                                         "A1,C1,2024-01-05,10\nA2,C2,2024-01-06,20\n", encoding="utf-8")
    (tmp_path / "reviews.csv").write_text("review_id,order_id,score\nR1,A1,5\nR2,A2,3\n",
                                          encoding="utf-8")
    rows = {"nps": ["9", "4"], "csat": ["4", "2"]}
    cols = survey.split(",")
    (tmp_path / "surveys.csv").write_text(
        f"response_id,customer_id,answered_ts,{survey}\n"
        + "".join(f"S{i + 1},C{i + 1},2024-02-0{i + 1},{','.join(rows[c][i] for c in cols)}\n"
                  for i in range(2)), encoding="utf-8")
    ds = ls.load(tmp_path, now=TS("2025-01-01"))
    got = ds.table("surveys").execute().set_index("response_id").sort_index()
    assert got.index.tolist() == ["R1", "R2", "S1", "S2"]
    assert got["customer_id"].tolist() == ["C1", "C2", "C1", "C2"]
    assert got.loc[["S1", "S2"], "nps"].tolist() == [9.0, 4.0]
    assert got.loc[["R1", "R2"], "nps"].isna().all()
    want_csat = [5.0, 3.0] + ([4.0, 2.0] if "csat" in cols else [np.nan, np.nan])
    np.testing.assert_array_equal(got["csat"].to_numpy(dtype=float), want_csat)
    assert got.loc["R1", "answered_ts"] == TS("2024-01-05")  # a review without date: its order's


# ---- the date order of a column ---------------------------------------------------------------
def test_dayfirst_decided_on_the_whole_column_and_printed(tmp_path: Path) -> None:
    rows = [["A1", "C1", "05/01/2024", "1"], ["A2", "C1", "06/01/2024", "1"],
            ["A3", "C1", "13/01/2024", "1"]]
    ds = _load(tmp_path, rows)
    got = ds.table("transactions").order_by("order_id").execute()["order_ts"].tolist()
    assert got == [TS("2024-01-05"), TS("2024-01-06"), TS("2024-01-13")]
    notes = " ".join(ds.quality.tables["transactions"].notes)
    assert "day-first" in notes and "13/01/2024 on line 4" in notes


def test_monthfirst_printed(tmp_path: Path) -> None:
    ds = _load(tmp_path, [["A1", "C1", "01/05/2024", "1"], ["A2", "C1", "01/13/2024", "1"]])
    assert ds.table("transactions").order_ts.min().execute() == TS("2024-01-05")
    assert "month-first" in " ".join(ds.quality.tables["transactions"].notes)


def test_contradicting_date_orders_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataQualityError) as info:
        _load(tmp_path, [["A1", "C1", "13/01/2024", "1"], ["A2", "C1", "01/13/2024", "1"]])
    assert "13/01/2024" in info.value.message and "01/13/2024" in info.value.message
    assert info.value.column == "order_ts" and "dayfirst" in (info.value.fix or "")


def test_ambiguous_dates_error_names_examples_and_fix(tmp_path: Path) -> None:
    with pytest.raises(DataQualityError) as info:
        _load(tmp_path, [["A1", "C1", "05/01/2024", "1"], ["A2", "C1", "06/02/2024", "1"]])
    assert "05/01/2024" in info.value.message and "dayfirst = true" in (info.value.fix or "")


def test_configured_order_quarantines_rows_that_do_not_fit(tmp_path: Path) -> None:
    ds = _load(tmp_path, [["A1", "C1", "05/01/2024", "1"], ["A2", "C1", "01/13/2024", "1"]],
               dayfirst=True)
    assert ds.table("transactions").order_ts.min().execute() == TS("2024-01-05")
    assert ds.quality.quarantine["reason"].tolist() == ["unparseable"]


@pytest.mark.parametrize(("late", "want", "order"), [
    ("13/01/2024", [TS("2024-01-13"), TS("2024-03-02")], "day-first"),
    ("01/13/2024", [TS("2024-01-13"), TS("2024-02-03")], "month-first"),
])
def test_date_order_decided_when_a_bdyyyy_dates_come_after_the_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: str, want: list, order: str) -> None:
    """A column whose first values are ISO dates is parsed before its order is decided; an
    a/b/yyyy date further down still decides it on the whole column (parsed again when it is
    day-first), with the same note. The sample is set to 3 values here (50,000 by default)."""
    from loyalscope.data import validate

    monkeypatch.setattr(validate, "DMY_SAMPLE", 3)
    rows = [[f"A{i}", "C1", f"2024-01-0{i}", "1"] for i in range(1, 6)]
    rows += [["B1", "C1", late, "1"], ["B2", "C1", "02/03/2024", "1"]]
    ds = _load(tmp_path, rows)
    tx = ds.table("transactions").execute().set_index("order_id")["order_ts"]
    assert [tx["B1"], tx["B2"]] == want and tx["A5"] == TS("2024-01-05")
    notes = " ".join(ds.quality.tables["transactions"].notes)
    assert order in notes and f"{late} on line 7" in notes


@pytest.mark.parametrize(("text", "flag"), [
    ("2024-01-05", False), ("2024-01-05 10:30:00", False), ("2024/1/5 10:30", False),
    ("2024.1.5", False), ("2024年1月5日", False), ("20240105", False), ("bad", False), (None, False),
    ("13/01/2024", True), ("01/13/2024", True), ("5/5/2024", True), ("05.01.24", True),
    ("５/１/２０２４", True), (" 5/1/2024 10:00", True), ("1/2/24 and more", True),
    ("5年1月2024", True)])
def test_date_order_flag_marks_what_the_scan_counts(text: str | None, flag: bool) -> None:
    """``out__s`` (parse.datetime) is what makes a large file's whole-column date-order scan
    run: it must be true on every value that scan can count (a/b/yyyy text once normalised),
    and false on ISO and y/m/d dates, so that their exports skip the scan (3 s at 2M rows)."""
    tbl = ibis.memtable(pd.DataFrame({"s": pd.Series([text], dtype=object)}), schema={"s": "string"})
    out = parse.datetime(tbl, "s", "o", False, "UTC", "duckdb")
    assert bool(CON.execute(out.select(f=out.o__s))["f"].iloc[0]) is flag
    counted = parse.date_order_query(tbl.mutate(_line=ibis.literal(1)), "s").execute().iloc[0]
    if not flag:  # nothing the scan would count as day-first, month-first or ambiguous
        assert all(counted[c] in (0, None) or counted[c] != counted[c] for c in ("nd", "nm", "na"))


_DATE_TEXTS = ["2024/8/21 12:50", "2024-01-05", "2024年1月5日", "2024年1月5日 10时30分", "5号",
               "10点", "3秒", "2024-01-05T10:30", "a  b", "2024-01-05 ", " 2024-01-05", "2024-01-05:",
               "2024-01-05-", "2024-01-05 10:", "x\ty", "x\ny", "x\ry", "x\x0cy", "x\x0by",
               "x\x0b", "\x0bx", "1/2/2024", "", " ", "T", "王", "2024/8/21 12:50:00.5 +08:00"]


@pytest.mark.parametrize("cleaned", [True, False])
def test_date_parts_skips_only_text_it_would_not_change(cleaned: bool) -> None:
    """date_parts runs its six replacements only where the guard sees something to replace:
    the result must equal the replacements run on every text."""
    tbl = ibis.memtable(pd.DataFrame({"i": range(len(_DATE_TEXTS)), "s": _DATE_TEXTS}))
    txt = tbl.s if cleaned else parse.clean(tbl.s)
    out = CON.execute(tbl.select("i", g=parse.date_parts(tbl.s, cleaned=cleaned),
                                 f=parse._date_parts_replaced(txt)).order_by("i"))
    assert out["g"].tolist() == out["f"].tolist()
    assert out["g"].iloc[0] == "2024/8/21 12:50" and out["g"].iloc[3] == "2024-1-5 10:30"


def test_contradicting_orders_after_the_sample_are_an_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from loyalscope.data import validate

    monkeypatch.setattr(validate, "DMY_SAMPLE", 2)
    rows = [["A1", "C1", "2024-01-01", "1"], ["A2", "C1", "2024-01-02", "1"],
            ["A3", "C1", "13/01/2024", "1"], ["A4", "C1", "01/13/2024", "1"]]
    with pytest.raises(DataQualityError) as info:
        _load(tmp_path, rows)
    assert "13/01/2024" in info.value.message and info.value.column == "order_ts"


# ---- Parquet types ----------------------------------------------------------------------------
def test_parquet_year_one_dates_quarantined(tmp_path: Path) -> None:
    # a boolean amount column is refused as a whole (SchemaError naming the column, item 5):
    # tests/data/intake/test_intake_formats.py::test_parquet_boolean_amounts_are_refused
    import pyarrow as pa
    import pyarrow.parquet as pq

    p2 = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["A1", "A2"], "customer_id": ["C1", "C1"],
                             "order_ts": pa.array([dt.datetime(1, 1, 1), dt.datetime(2024, 1, 5)],
                                                  type=pa.timestamp("us")),
                             "amount": [1.0, 2.0]}), p2)
    ds = ls.load(p2, now=NOW)
    q = ds.quality.quarantine
    assert q["reason"].tolist() == ["out_of_range"] and q["line"].tolist() == [1]
    assert "1900-2200" in q["detail"].iloc[0]
    assert ds.table("transactions").execute()["order_id"].tolist() == ["A2"]


# ---- text cleaning: the engines' quick test against Python's own folding -----------------------
_ODD_TEXT = [" a", "a ", "\ta", "a\n", "a\r", "\x0ba", "a\x0c", "\x01a", "a\x01", "", " ", "１２３",
             "Ａ　Ｂ", "￥5", "−3", "王小明", " 王 ", "é", "a\u3000", "\u3000", "abc", "C001", "😀x",
             "x😀", "a b", "\x00", "2024-01-06", "USD1EUR2"]

# every full-width form after other non-ASCII text: the translate runs only on text holding one
_EVERY_FULL = [f"王{c}é" for c in parse._FULL]


def _python_clean(text: str) -> str | None:
    """:func:`parse.clean` computed in Python: full-width forms folded, white space stripped
    (space, tab, LF, CR, VT, FF), empty -> None."""
    folded = text.translate(str.maketrans(parse._FULL, parse._HALF)).strip(" \t\n\r\x0b\x0c")
    return folded or None


@pytest.mark.parametrize("backend", [None, "duckdb"])
def test_clean_matches_python_on_odd_text(backend: str | None) -> None:
    """The engine test that picks the values needing cleaning (byte vs character length, first
    and last character on DuckDB; a regular expression elsewhere) misses none of them."""
    values = [*_ODD_TEXT, *[a + b for a in _ODD_TEXT[:12] for b in _ODD_TEXT[10:20]], *_EVERY_FULL]
    tbl = ibis.memtable(pd.DataFrame({"s": pd.Series(values, dtype=object)}))
    got = CON.execute(tbl.select(v=parse.clean(tbl.s, backend)))["v"].tolist()
    assert [None if v is None or v != v else v for v in got] == [_python_clean(v) for v in values]


@pytest.mark.spark
def test_clean_on_spark_matches_python(spark_con) -> None:
    """Spark's quick test (``octet_length``) picks the same values as DuckDB's."""
    values = [*_ODD_TEXT, *[a + b for a in _ODD_TEXT[:12] for b in _ODD_TEXT[10:20]], *_EVERY_FULL]
    values = [v for v in values if "\x00" not in v]  # Spark's Arrow transfer keeps NUL as is too,
    # but the pandas round trip of a NUL-only string is not what this test is about
    tbl = spark_con.create_table("ls_clean_test", pd.DataFrame({"i": range(len(values)), "s": values}),
                                 overwrite=True)
    got = spark_con.execute(tbl.select(tbl.i, v=parse.clean(tbl.s, "pyspark")).order_by("i"))["v"]
    assert [None if v is None or v != v else v for v in got.tolist()] == [
        _python_clean(v) for v in values]

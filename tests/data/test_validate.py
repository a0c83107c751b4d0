"""Value parsing rules and row checks."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data import parse
from loyalscope.data.sources import RawTable
from loyalscope.data.validate import check_table, parse_raw
from loyalscope.errors import DataQualityError
from loyalscope.i18n import use_lang


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English whatever LANG the machine has."""
    with use_lang("en"):
        yield


TS = pd.Timestamp


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,234.50", 1234.5), ("¥1,200", 1200.0), ("￥300元", 300.0), ("RMB 5", 5.0), ("$12", 12.0),
     ("(300)", -300.0), ("１２３．５", 123.5), ("-7", -7.0), ("−8", -8.0), ("1,234,567", 1234567.0),
     ("USD 3.25", 3.25), (" 42 ", 42.0)],
)
def test_amounts(text: str, value: float) -> None:
    got, bad = parse.parse_number(pd.Series([text], dtype=object))
    assert got.iloc[0] == pytest.approx(value) and not bad.iloc[0]


@pytest.mark.parametrize("text", ["abc", "1,5", "12..3", "1.2.3"])
def test_bad_amounts(text: str) -> None:
    got, bad = parse.parse_number(pd.Series([text], dtype=object))
    assert np.isnan(got.iloc[0]) and bad.iloc[0]


def test_percent_only_when_asked() -> None:
    assert parse.parse_number(pd.Series(["45%"], dtype=object), percent=True)[0].iloc[0] == 0.45
    assert parse.parse_number(pd.Series(["45%"], dtype=object))[1].iloc[0]


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
    got, bad = parse.parse_datetime(pd.Series([text], dtype=object), timezone="Asia/Shanghai")
    assert got.iloc[0] == value and not bad.iloc[0]


@pytest.mark.parametrize("text", ["bad", "2024-13-01", "2024-02-30", "5", "2024年"])
def test_bad_dates(text: str) -> None:
    got, bad = parse.parse_datetime(pd.Series([text], dtype=object))
    assert pd.isna(got.iloc[0]) and bad.iloc[0]


@pytest.mark.parametrize(
    ("values", "dayfirst", "expected"),
    [(["05/01/2024", "13/01/2024"], None, TS("2024-01-05")),
     (["01/05/2024", "01/13/2024"], None, TS("2024-01-05")),
     (["05/01/2024"], True, TS("2024-01-05")), (["05/01/2024"], False, TS("2024-05-01")),
     (["05/05/2024"], None, TS("2024-05-05")), (["5/1/24", "25/1/24"], None, TS("2024-01-05"))],
)
def test_dayfirst(values: list[str], dayfirst: bool | None, expected: pd.Timestamp) -> None:
    got, _ = parse.parse_datetime(pd.Series(values, dtype=object), dayfirst=dayfirst)
    assert got.iloc[0] == expected


def test_ambiguous_dates_error_names_file_column_examples_and_fix() -> None:
    with pytest.raises(DataQualityError) as info:
        parse.parse_datetime(pd.Series(["05/01/2024", "06/02/2024"], dtype=object),
                             file="orders.csv", column="order_ts")
    err = info.value
    assert err.file == "orders.csv" and err.column == "order_ts"
    assert "05/01/2024" in err.message and "dayfirst = true" in err.fix and "[data]" in err.fix


def test_mixed_dates_error() -> None:
    with pytest.raises(DataQualityError) as info:
        parse.parse_datetime(pd.Series(["13/01/2024", "01/13/2024"], dtype=object), file="f.csv",
                             column="order_ts")
    assert "13/01/2024" in info.value.message and "01/13/2024" in info.value.message
    assert info.value.file == "f.csv"


def test_typed_columns_not_reparsed() -> None:
    aware = pd.Series(pd.to_datetime(["2024-01-05 02:00"]).tz_localize("UTC"))
    assert parse.parse_datetime(aware, timezone="Asia/Shanghai")[0].iloc[0] == TS("2024-01-05 10:00")
    assert parse.parse_number(pd.Series([1, 2]))[0].dtype == "float64"
    assert parse.parse_string(pd.Series([1001.0, 7.0]))[0].tolist() == ["1001", "7"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("是", True), ("否", False), ("Y", True), ("n", False), ("TRUE", True), ("false", False),
     ("1", True), ("0", False), ("yes", True), ("No", False)],
)
def test_booleans(text: str, value: bool) -> None:
    got, bad = parse.parse_bool(pd.Series([text], dtype=object))
    assert got.iloc[0] == value and not bad.iloc[0]


def _raw(rows: list[list[str]], head: list[str] | None = None) -> RawTable:
    head = head or ["order_id", "customer_id", "order_ts", "amount"]
    frame = pd.DataFrame(rows, columns=head, dtype=object)
    return RawTable("transactions", "orders.csv", frame, np.arange(2, len(rows) + 2))


MAP = {c: c for c in ("order_id", "customer_id", "order_ts", "amount")}


def test_parse_raw_quarantines_missing_unparseable_empty() -> None:
    raw = _raw([["A1", "C1", "2024-01-05", "10"], ["A2", "", "2024-01-05", "1"],
                ["A3", "C3", "never", "1"], ["", "", "", ""], ["A5", "C5", "2024-01-05", "x"]])
    got = parse_raw(raw, "transactions", MAP, AnalysisConfig())
    q = got.quarantine.set_index("line")
    # A2 has no customer id: a guest order, kept (data.shapes counts it). A5's amount "x" cannot
    # be read: the row is kept with the raw value in _bad_amount, and data.shapes quarantines
    # its whole order with reason "unparseable" and that value (a line dropped here would
    # silently shrink a multi-line order; see test_export_headers).
    assert got.frame["order_id"].tolist() == ["A1", "A2", "A5"]
    assert pd.isna(got.frame["amount"].iloc[2]) and got.frame["_bad_amount"].iloc[2] == "x"
    assert got.frame["_bad_amount"].iloc[:2].isna().all() and not got.notes
    assert q.loc[4, "reason"] == "unparseable" and q.loc[4, "value"] == "never"
    assert q.loc[5, "reason"] == "empty_row"
    assert set(q.index) == {4, 5}
    assert (q["source_file"] == "orders.csv").all()


def test_optional_unparseable_value_is_nulled_with_note() -> None:
    raw = _raw([["A1", "C1", "2024-01-05", "10", "lots"]], ["order_id", "customer_id", "order_ts",
                                                            "amount", "quantity"])
    got = parse_raw(raw, "transactions", {**MAP, "quantity": "quantity"}, AnalysisConfig())
    assert len(got.frame) == 1 and pd.isna(got.frame["quantity"].iloc[0])
    assert "quantity" in got.notes[0] and "lots" in got.notes[0]


def _checked(rows: list[list[str]], **data: object):
    cfg = AnalysisConfig.load(None, **{f"data.{k}": v for k, v in data.items()})
    parsed = parse_raw(_raw(rows), "transactions", MAP, cfg).frame
    return check_table("transactions", [parsed], cfg, TS("2024-06-01"))


def test_duplicates_first_kept() -> None:
    got, _ = _checked([["A1", "C1", "2024-01-05", "1"], ["A1", "C2", "2024-01-06", "2"],
                       ["A2", "C1", "2024-01-05", "3"]])
    assert got.frame["customer_id"].tolist() == ["C1", "C1"]
    q = got.quarantine
    assert q["reason"].tolist() == ["duplicate_key"] and q["line"].tolist() == [3]
    assert "line 2" in q["detail"].iloc[0]


@pytest.mark.parametrize(("mode", "kept"), [("quarantine", 1), ("accept", 2)])
def test_future_dates(mode: str, kept: int) -> None:
    got, _ = _checked([["A1", "C1", "2024-01-05", "1"], ["A2", "C1", "2030-01-05", "1"]], future_dates=mode)
    assert len(got.frame) == kept
    assert got.quarantine["reason"].tolist() == ["future_date"] * (2 - kept)


def test_negative_amounts_become_returns() -> None:
    got, moved = _checked([["A1", "C1", "2024-01-05", "10"], ["A1", "C1", "2024-01-09", "-4"]])
    assert got.frame["amount"].tolist() == [10.0]
    assert got.quarantine["reason"].tolist() == ["negative_amount"]
    assert "returns" in got.quarantine["detail"].iloc[0]
    assert moved["order_id"].tolist() == ["A1"] and moved["amount"].tolist() == [4.0]
    assert moved["return_ts"].tolist() == [TS("2024-01-09")]


def test_negative_amounts_quarantined() -> None:
    got, moved = _checked([["A1", "C1", "2024-01-05", "-10"]], negative_amounts="quarantine")
    assert moved is None and len(got.frame) == 0
    assert got.quarantine["reason"].tolist() == ["negative_amount"]

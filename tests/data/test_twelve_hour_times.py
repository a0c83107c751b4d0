"""Times written on a 12-hour clock and offsets written as GMT+8 (``data/parse.py`` ``DATE_RE``).

US exports, Excel's default US format, SurveyMonkey and Google Forms write ``3/5/2024 2:03:05 PM``
or ``2024/03/05 10:23:45 AM GMT+8`` (Google Forms' CSV of a form owned in China); a Chinese
system's 12-hour time is ``2024/3/5 下午2:03:05``. Every such value was quarantined as "not a
date": a Google Forms survey lost every answer. The expected instants are computed here with
``datetime`` from the written parts (GMT+8 is eight hours ahead of UTC, as Google writes it, not
the POSIX reading of dateutil).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

import loyalscope as ls

NOW = pd.Timestamp("2025-01-01")
CASES = [  # written, the wall-clock time, the offset from UTC in hours (None: no offset)
    ("2024/03/05 10:23:45 AM", datetime(2024, 3, 5, 10, 23, 45), None),
    ("2024/03/06 2:03:05 PM", datetime(2024, 3, 6, 14, 3, 5), None),
    ("2024/03/06 12:15 PM", datetime(2024, 3, 6, 12, 15), None),
    ("2024/03/06 12:15 am", datetime(2024, 3, 6, 0, 15), None),
    ("2024/03/07 11:59:59 PM GMT+8", datetime(2024, 3, 7, 23, 59, 59), 8),
    ("2024/03/07 12:05:00 AM GMT-05:00", datetime(2024, 3, 7, 0, 5), -5),
    ("2024/03/07 12:30 PM UTC", datetime(2024, 3, 7, 12, 30), 0),
    ("2024/3/5 下午2:03:05", datetime(2024, 3, 5, 14, 3, 5), None),
    ("2024/3/5 上午12:03", datetime(2024, 3, 5, 0, 3), None),
    ("2024年3月5日 晚上9:30", datetime(2024, 3, 5, 21, 30), None),
]


def _load(folder: Path, values: list[str], con: object = None) -> ls.Dataset:
    rows = ["order_id,customer_id,order_ts,amount",
            *[f"A{i},C{i},{v},5" for i, v in enumerate(values)]]
    (folder / "orders.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return ls.load(folder, now=NOW) if con is None else ls.load(folder, con=con, now=NOW)


def _expected() -> list[datetime]:
    return [wall - timedelta(hours=off) if off is not None else wall for _, wall, off in CASES]


def test_twelve_hour_times_and_gmt_offsets_are_read(tmp_path: Path) -> None:
    ds = _load(tmp_path, [c[0] for c in CASES])
    got = ds.table("transactions", "order_id", "order_ts").to_pandas().set_index("order_id").order_ts
    assert [got[f"A{i}"].to_pydatetime() for i in range(len(CASES))] == _expected()
    assert ds.quality.quarantine.empty


@pytest.mark.parametrize("bad", ["2024/03/05 13:00 PM", "2024/03/05 0:30 AM", "2024/03/05 PM"])
def test_an_hour_that_is_no_twelve_hour_time_is_quarantined(tmp_path: Path, bad: str) -> None:
    ds = _load(tmp_path, ["2024/03/05 1:00 PM", bad])
    q = ds.quality.quarantine
    assert q[["line", "column", "value"]].values.tolist() == [[3, "order_ts", bad]]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_reads_them_as_duckdb_does(tmp_path: Path, spark_con) -> None:
    ds = _load(tmp_path, [c[0] for c in CASES], spark_con)
    got = ds.table("transactions", "order_id", "order_ts").to_pandas().set_index("order_id").order_ts
    assert [got[f"A{i}"].to_pydatetime() for i in range(len(CASES))] == _expected()


def test_a_google_forms_csv_is_read_whole(tmp_path: Path) -> None:
    """Google Forms' "Download responses (.csv)": Timestamp, then one column per question."""
    header = ['Timestamp', 'How likely are you to recommend Acme to a friend or colleague?',
              '"Overall, how satisfied are you with Acme?"', 'Any other comments?']
    rows = [",".join(header), "2024/03/05 10:23:45 AM GMT+8,9,Very satisfied,great",
            "2024/03/06 2:03:05 PM GMT+8,6,Neutral,", "2024/03/07 11:59:59 PM GMT+8,10,Satisfied,ok"]
    (tmp_path / "Customer Survey (Responses) - Form Responses 1.csv").write_text("\n".join(rows) + "\n")
    ds = ls.load(tmp_path, now=NOW)
    rep = ds.quality.tables["surveys"]
    assert rep.rows_read == rep.rows_accepted == 3
    got = ds.table("surveys", "answered_ts", "nps", "csat").to_pandas().sort_values("answered_ts")
    assert got.nps.tolist() == [9, 6, 10] and got.csat.tolist() == [5, 3, 4]
    assert got.answered_ts.tolist() == [pd.Timestamp("2024-03-05 02:23:45"), pd.Timestamp("2024-03-06 06:03:05"),
                                        pd.Timestamp("2024-03-07 15:59:59")]

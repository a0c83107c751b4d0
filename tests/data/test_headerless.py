"""A file without a header line is named as such, not as an unknown table or missing column.

Tianchi's UserBehavior.csv (Alibaba's Taobao user behaviour log, 用户行为数据) has no header:
``user_id,item_id,category_id,behavior_type,timestamp`` rows start on line 1.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import loyalscope as ls
from loyalscope.data.mapping import looks_like_data
from loyalscope.errors import SchemaError

REAL = Path(__file__).parent / "real"
ROWS = "1,2268318,2520377,pv,1511544070\n1,2576651,149192,buy,1511572885\n2,3830808,4181361,pv,1511593493\n"


@pytest.mark.parametrize("name", ["UserBehavior.csv", "transactions.csv"])
def test_a_headerless_file_is_said_to_have_no_header(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text(ROWS, encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path / name)
    assert "no header line" in err.value.message and "1,2268318,2520377,pv,1511544070" in err.value.message
    assert err.value.row == 1 and "first line naming the columns" in (err.value.fix or "")


def test_real_headers_do_not_look_like_data() -> None:
    legacy = {"tmall": "gb18030", "superstore_mac": "mac_roman"}
    files = list(REAL.rglob("*.csv"))
    assert len(files) >= 11
    for path in files:
        encoding = next((e for d, e in legacy.items() if d in path.parts), "utf-8-sig")
        with path.open(encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh))
        assert not looks_like_data(header), path


@pytest.mark.parametrize(("name", "text", "column"), [
    # Tianchi's UserBehavior.csv with its columns named: read as a products file before, each
    # repeated item quarantined as a duplicate product
    ("UserBehavior.csv", "user_id,item_id,category_id,behavior_type,timestamp\n" + ROWS, "behavior_type"),
    # Retail Rocket's events.csv (view / addtocart / transaction events)
    ("events.csv", "timestamp,visitorid,event,itemid,transactionid\n"
                   "1433221332117,257597,view,355908,\n1433224214164,992329,view,248676,\n"
                   "1433221999827,111016,transaction,10572,4000\n", "event"),
])
def test_a_behaviour_log_is_named_as_such(tmp_path: Path, name: str, text: str, column: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        ls.load(tmp_path / name)
    assert "behaviour log" in err.value.message and err.value.column == column
    assert "transactions (customer_id, order_ts, amount" in (err.value.fix or "")

"""Customer lookup through DuckDB against pandas on the same Parquet file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loyalscope.web import customers


@pytest.fixture(scope="module")
def parquet(tmp_path_factory) -> Path:
    ids = [f"C{i:05d}" for i in range(1, 241)] + ["c99999", "X1"]
    frame = pd.DataFrame({"customer_id": ids, "clv": [float(i) for i in range(len(ids))],
                          "rfm_segment": ["champions"] * len(ids)})
    frame.loc[3, "clv"] = float("nan")
    path = tmp_path_factory.mktemp("cust") / "customers.parquet"
    frame.sample(frac=1.0, random_state=1).to_parquet(path, index=False)
    return path


def _expected(path: Path, prefix: str) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    hit = frame[frame["customer_id"].str.lower().str.startswith(prefix.lower())]
    return hit.sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize(("prefix", "limit", "offset"), [
    ("C001", 25, 0), ("C001", 25, 75), ("c0", 50, 200), ("", 10, 235), ("X", 5, 0), ("nope", 5, 0),
])
def test_search_pages_match_pandas(parquet: Path, prefix: str, limit: int, offset: int) -> None:
    expected = _expected(parquet, prefix)
    page = customers.search(parquet, prefix, limit, offset)
    assert page.total == len(expected)
    want = expected.iloc[offset:offset + limit]
    assert [r["customer_id"] for r in page.rows] == list(want["customer_id"])
    assert page.pages == max(1, -(-len(expected) // limit))
    assert page.page == offset // limit + 1


def test_limit_is_capped_and_nan_becomes_none(parquet: Path) -> None:
    page = customers.search(parquet, "", 10_000, 0)
    assert page.limit == customers.MAX_LIMIT and len(page.rows) == customers.MAX_LIMIT
    row = customers.get(parquet, "C00004")
    assert row is not None and row["clv"] is None


def test_get_one_customer(parquet: Path) -> None:
    frame = pd.read_parquet(parquet).set_index("customer_id")
    row = customers.get(parquet, "C00123")
    assert row == {"customer_id": "C00123", **frame.loc["C00123"].to_dict()}
    assert customers.get(parquet, "C0012") is None  # exact id, not a prefix
    assert customers.get(parquet, "' OR 1=1 --") is None  # a parameter, never SQL


def test_unicode_and_case_prefixes_match_pandas(tmp_path) -> None:
    ids = ["Äbc1", "äbc2", "ÄBC3", "abc4", "Zhang三", "zhang四", "ZHANG五", "\U0010ffffX"]
    path = tmp_path / "customers.parquet"
    pd.DataFrame({"customer_id": ids, "clv": range(len(ids))}).to_parquet(path, index=False)
    for prefix in ("äb", "ÄB", "zhang", "ZHA", "\U0010ffff", "a"):
        expected = _expected(path, prefix)
        page = customers.search(path, prefix, 50, 0)
        assert [r["customer_id"] for r in page.rows] == list(expected["customer_id"]), prefix
    assert customers.get(path, "Zhang三")["clv"] == 4 and customers.get(path, "zhang三") is None

"""Segment codes and names are written once per distinct code and gathered: every customer
still gets the code of its own scores and the segment the scheme gives that code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.segments.rfm import assign_segments, high_low_splits
from loyalscope.segments.scheme import load_scheme


def _scored(n: int = 3000, bins: int = 5, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "recency_days": rng.integers(0, 700, n).astype(float),
        "frequency": rng.integers(1, 20, n),
        "monetary": np.round(rng.gamma(2.0, 80.0, n), 2),
        "r": rng.integers(1, bins + 1, n), "f": rng.integers(1, bins + 1, n), "m": rng.integers(1, bins + 1, n),
    })


def _code_by_hand(row: pd.Series, key: str, split: dict[str, float] | None) -> str:
    if key == "r_fm":
        return f"{row.r}{int(np.floor((row.f + row.m) / 2 + 0.5))}"
    if key == "rfm":
        return f"{row.r}{row.f}{row.m}"
    assert split is not None
    return ("H" if row.recency_days < split["recency_days"] else "L") + \
        ("H" if row.frequency > split["frequency"] else "L") + ("H" if row.monetary > split["monetary"] else "L")


@pytest.mark.parametrize("name", ["classic11", "cn8"])
@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_codes_ids_and_names_row_by_row(name: str, lang: str) -> None:
    scheme = load_scheme(name)
    scored = _scored(bins=scheme.bins)
    out = assign_segments(scored, scheme, lang)
    split = high_low_splits(scored, scheme) if scheme.key == "high_low" else None
    lookup = scheme.lookup()
    for i in range(0, len(scored), 7):
        code = _code_by_hand(scored.iloc[i], scheme.key, split)
        assert out.code.iloc[i] == code
        assert out.segment_id.iloc[i] == lookup[code].id
        assert out.segment.iloc[i] == lookup[code].name(lang)
    assert out.code.dtype == object and out.segment_id.dtype == object


def test_high_low_scheme_codes(tmp_path) -> None:
    path = tmp_path / "hl.toml"
    path.write_text('key = "high_low"\nsplit = "median"\n[[segment]]\nid = "top"\ncodes = ["HHH"]\n'
                    '[[segment]]\nid = "rest"\ncodes = ["(?!HHH)..."]\n', encoding="utf-8")
    scheme = load_scheme(path)
    scored = _scored()
    out = assign_segments(scored, scheme)
    split = high_low_splits(scored, scheme)
    want = [_code_by_hand(r, "high_low", split) for _, r in scored.iterrows()]
    assert out.code.tolist() == want
    assert out.segment_id.tolist() == ["top" if c == "HHH" else "rest" for c in want]


def test_no_customers() -> None:
    out = assign_segments(_scored(0), load_scheme("classic11"))
    assert len(out) == 0 and {"code", "segment_id", "segment"} <= set(out.columns)

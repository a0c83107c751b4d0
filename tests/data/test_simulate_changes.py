"""Changes injected into the simulator: what they remove, add and shift, what they leave alone,
and their record in truth.json."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from loyalscope.data.simulate import simulate
from loyalscope.data.simulate_changes import Change, parse
from loyalscope.errors import ConfigError

KW = {"customers": 6000, "days": 730, "seed": 9, "acquisition_share": 1.0}


@pytest.fixture(scope="module")
def base():
    return simulate(**KW)


def _in(ts: pd.Series, start: str, end: str) -> pd.Series:
    return (ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))


def test_parse_forms() -> None:
    assert parse("order_drop:2025-06:0.3:region=east") == Change(
        "order_drop", date(2025, 6, 1), date(2025, 7, 1), 0.3, (("region", "east"),))
    c = parse("nps_fall:2025-Q2:2")
    assert (c.start, c.end, c.where) == (date(2025, 4, 1), date(2025, 7, 1), ())
    c = parse("complaint_surge:2025-06-01..2025-06-15:3:region=east,member_tier=gold")
    assert c.end == date(2025, 6, 15) and dict(c.where) == {"region": "east",
                                                           "member_tier": "gold"}


@pytest.mark.parametrize("text", ["order_drop:2025-06", "order_drop:June:0.3",
                                  "order_drop:2025-06:1.5", "complaint_surge:2025-06:0.5",
                                  "nps_fall:2025-06:2:region", "sales_up:2025-06:0.3"])
def test_bad_changes_say_how_to_write_them(text: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(text)
    assert err.value.fix


def test_no_change_leaves_the_company_as_it_was(base) -> None:
    again = simulate(**KW, changes=())
    for name, frame in base.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name])
    assert "changes" not in base.truth


def test_order_drop_removes_about_that_share_of_the_segments_orders(base) -> None:
    company = simulate(**KW, changes=[parse("order_drop:2025-06:0.3:region=east")])
    (truth,) = company.truth["changes"]
    east = set(base.tables["customers"].query("region == 'east'").customer_id)
    tx0, tx1 = base.tables["transactions"], company.tables["transactions"]
    scope = tx0.customer_id.isin(east) & _in(tx0.order_ts, "2025-06-01", "2025-07-01")
    first = ~tx0.customer_id.duplicated()
    assert truth["orders_in_scope"] == int((scope & ~first).sum())
    removed = set(tx0.order_id) - set(tx1.order_id)
    assert len(removed) == truth["orders_removed"]
    assert removed <= set(tx0.order_id[scope & ~first])  # nothing outside the scope
    k, m = truth["orders_removed"], truth["orders_in_scope"]
    assert abs(k - 0.3 * m) < 4 * np.sqrt(m * 0.3 * 0.7)  # binomial thinning
    assert not set(company.tables["returns"].order_id) & removed  # their returns went too
    assert set(company.tables["returns"].order_id) <= set(tx1.order_id) | (
        set(base.tables["returns"].order_id) - set(tx0.order_id))
    lp = company.tables["loyalty_points"]
    assert len(base.tables["loyalty_points"]) - len(lp) <= k


def test_complaint_surge_adds_complaints_in_the_window(base) -> None:
    company = simulate(**KW, changes=[parse("complaint_surge:2025-06:4:region=north")])
    (truth,) = company.truth["changes"]
    c0, c1 = base.tables["complaints"], company.tables["complaints"]
    assert len(c1) - len(c0) == truth["complaints_added"]
    new = c1[~c1.complaint_id.isin(c0.complaint_id)]
    north = set(base.tables["customers"].query("region == 'north'").customer_id)
    assert new.customer_id.isin(north).all()
    assert _in(new.opened_ts, "2025-06-01", "2025-07-01").all()
    assert new.complaint_id.is_unique and not new.complaint_id.isin(c0.complaint_id).any()
    expected = truth["orders_in_scope"] * 3 * 0.02
    assert abs(truth["complaints_added"] - expected) < 4 * np.sqrt(expected)
    assert (new.closed_ts.isna() | (new.closed_ts > new.opened_ts)).all()


def test_nps_fall_lowers_the_answers_of_the_segment(base) -> None:
    company = simulate(**KW, changes=[parse("nps_fall:2025-01-01..2025-07-01:2:channel=online")])
    (truth,) = company.truth["changes"]
    s0, s1 = base.tables["surveys"], company.tables["surveys"]
    online = set(base.tables["customers"].query("channel == 'online'").customer_id)
    scope = s0.customer_id.isin(online) & _in(s0.answered_ts, "2025-01-01", "2025-07-01")
    assert truth["answers_in_scope"] == int(scope.sum()) > 0
    expect = np.clip(s0.nps[scope] - 2, 0, 10)
    np.testing.assert_array_equal(s1.nps[scope], expect)
    np.testing.assert_array_equal(s1.nps[~scope], s0.nps[~scope])
    nps = 100 * ((expect >= 9).mean() - (expect <= 6).mean())
    assert truth["nps_after"] == pytest.approx(nps)


def test_unknown_segment_column_is_an_error() -> None:
    with pytest.raises(ConfigError, match="planet"):
        simulate(**KW, changes=[parse("order_drop:2025-06:0.3:planet=mars")])


def test_acquisition_share_must_be_a_share() -> None:
    with pytest.raises(ConfigError):
        simulate(customers=10, days=30, acquisition_share=0.0)

"""Changes injected into a simulated company: the ground truth the monitor is tested against.

A change has a kind, a window ``[start, end)``, the customers it touches (values of
``customers`` columns such as region, channel, member_tier or gender; none: everyone) and a
size:

- ``order_drop``: each order of those customers in the window, except a customer's first
  order (the signup), is removed with probability ``size`` (0 < size < 1), so their order rate
  falls by ``size``. The order's return, its loyalty points and a complaint raised on it go
  with it.
- ``complaint_surge``: each order of those customers in the window gets an extra complaint
  with probability ``(size - 1) x`` the base complaint probability (size > 1: the complaint
  probability is multiplied by ``size``), opened between the order and the end of the window.
- ``nps_fall``: each survey answer of those customers in the window has its 0-10 ``nps``
  lowered by ``size`` points (rounded, clipped at 0).

Changes are applied after the base company is simulated, from their own random stream: the
base tables are unchanged by them, and later behaviour (dropout) does not react to them.
``truth.json`` lists each change with what it did (``changes``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from loyalscope.data import simulate_columns as col
from loyalscope.errors import ConfigError
from loyalscope.i18n import t

KINDS = ("order_drop", "complaint_surge", "nps_fall")
COMPLAINT_DAYS = 10.0
CLOSE_DAYS = (0.5, 15.0)


@dataclass(frozen=True)
class Change:
    """One injected change (see the module docstring)."""

    kind: Literal["order_drop", "complaint_surge", "nps_fall"]
    start: date
    end: date
    size: float
    where: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError(t("core.input_errors.unknown_change", kind=self.kind), value=self.kind,
                              fix=t("core.input_errors.unknown_change_fix"))
        if self.end <= self.start:
            raise ConfigError(t("core.input_errors.empty_change", start=self.start, end=self.end),
                              value=f"{self.start}..{self.end}", fix=t("core.input_errors.empty_change_fix"))
        ok = {"order_drop": 0 < self.size < 1, "complaint_surge": self.size > 1,
              "nps_fall": 0 < self.size <= 10}[self.kind]
        if not ok:
            raise ConfigError(
                f"Size {self.size} does not fit a {self.kind}.", value=self.size,
                fix="order_drop: a share between 0 and 1 (0.3 = 30% fewer orders); "
                    "complaint_surge: a factor above 1 (2 = twice the complaints); "
                    "nps_fall: points of the 0-10 scale (1 to 10).")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "size": self.size, "where": dict(self.where)}


def parse(text: str) -> Change:
    """``KIND:WINDOW:SIZE[:COLUMN=VALUE[,COLUMN=VALUE]]``, e.g.
    ``order_drop:2026-06:0.3:region=east``. WINDOW is a month (``2026-06``), a quarter
    (``2026-Q2``) or ``2026-06-01..2026-06-15`` (end exclusive)."""
    parts = text.split(":")
    fix = t("core.input_errors.unreadable_change_fix")
    if len(parts) not in (3, 4):
        raise ConfigError(t("core.input_errors.unreadable_change", text=text), value=text, fix=fix)
    kind, window, size = parts[:3]
    try:
        start, end = _window(window)
        amount = float(size)
    except ValueError:
        raise ConfigError(t("core.input_errors.unreadable_change", text=text), value=text, fix=fix) from None
    where: list[tuple[str, str]] = []
    for item in (parts[3].split(",") if len(parts) == 4 and parts[3] else []):
        key, eq, value = item.partition("=")
        if not eq or not key or not value:
            raise ConfigError(t("core.input_errors.unreadable_change_part", item=item, text=text), value=text, fix=fix)
        where.append((key.strip(), value.strip()))
    return Change(kind, start, end, amount, tuple(where))  # type: ignore[arg-type]


def _window(text: str) -> tuple[date, date]:
    if ".." in text:
        a, b = text.split("..", 1)
        return date.fromisoformat(a), date.fromisoformat(b)
    m = re.fullmatch(r"(\d{4})-Q([1-4])", text)
    if m:
        first = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return first, _add_months(first, 3)
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if m:
        first = date(int(m[1]), int(m[2]), 1)
        return first, _add_months(first, 1)
    raise ValueError(text)


def _add_months(d: date, k: int) -> date:
    months = d.year * 12 + d.month - 1 + k
    return date(months // 12, months % 12 + 1, 1)


def apply(tables: dict[str, pd.DataFrame], complaint_order: pd.Series,
          changes: Sequence[Change], rng: np.random.Generator, end: datetime,
          complaint_prob: float) -> tuple[dict[str, pd.DataFrame], list[dict[str, Any]]]:
    """Apply ``changes`` in order; return the new tables and the truth of each change.

    ``complaint_order`` is the order id each complaint row was raised on; ``end`` the end of
    the simulated window (complaints closed later stay open).
    """
    tables = dict(tables)
    links = complaint_order.reset_index(drop=True)
    truth = []
    for change in changes:
        who = _customers(tables["customers"], change)
        if change.kind == "order_drop":
            tables, links, did = _order_drop(tables, links, change, who, rng)
        elif change.kind == "complaint_surge":
            tables, links, did = _complaint_surge(tables, links, change, who, rng, end,
                                                  complaint_prob)
        else:
            tables, did = _nps_fall(tables, change, who)
        truth.append({**change.to_dict(), **did})
    return tables, truth


def _customers(customers: pd.DataFrame, change: Change) -> pd.Series:
    sel = pd.Series(True, index=customers.index)
    for column, value in change.where:
        if column not in customers.columns:
            raise ConfigError(
                f"A change selects customers by {column!r}, which the simulated customers "
                "table does not have.", column=column,
                fix="Use region, channel, member_tier, gender or another customers column.")
        sel &= customers[column].astype("string").fillna("") == value
    return customers.loc[sel, "customer_id"].astype("string")


def _in_window(ts: pd.Series, change: Change) -> pd.Series:
    return (ts >= pd.Timestamp(change.start)) & (ts < pd.Timestamp(change.end))


def _order_drop(tables: dict[str, pd.DataFrame], links: pd.Series, change: Change,
                who: pd.Series, rng: np.random.Generator
                ) -> tuple[dict[str, pd.DataFrame], pd.Series, dict[str, Any]]:
    tx = tables["transactions"]
    cid = tx["customer_id"].astype("string")
    first = ~cid.duplicated()  # orders are sorted by time: a customer's first row is the signup
    scope = (cid.isin(who) & _in_window(tx["order_ts"], change) & ~first).to_numpy()
    drop = scope & (rng.random(len(tx)) < change.size)
    gone = set(tx.loc[drop, "order_id"].astype(str))
    keys = set(zip(cid[drop], tx.loc[drop, "order_ts"], strict=True))
    out = dict(tables)
    out["transactions"] = tx.loc[~drop].reset_index(drop=True)
    r = tables["returns"]
    out["returns"] = r.loc[~r["order_id"].astype(str).isin(gone)].reset_index(drop=True)
    c = tables["complaints"]
    keep_c = ~links.astype(str).isin(gone).to_numpy()
    out["complaints"] = c.loc[keep_c].reset_index(drop=True)
    lp = tables["loyalty_points"]
    lp_keys = pd.Series(list(zip(lp["customer_id"].astype("string"), lp["ts"], strict=True)),
                        index=lp.index)
    out["loyalty_points"] = lp.loc[~lp_keys.isin(keys)].reset_index(drop=True)
    did = {"orders_in_scope": int(scope.sum()), "orders_removed": int(drop.sum()),
           "complaints_removed": int((~keep_c).sum())}
    return out, links[keep_c].reset_index(drop=True), did


def _complaint_surge(tables: dict[str, pd.DataFrame], links: pd.Series, change: Change,
                     who: pd.Series, rng: np.random.Generator, end: datetime,
                     complaint_prob: float
                     ) -> tuple[dict[str, pd.DataFrame], pd.Series, dict[str, Any]]:
    tx = tables["transactions"]
    scope = (tx["customer_id"].astype("string").isin(who) & _in_window(tx["order_ts"], change))
    scope_np = scope.to_numpy()
    extra = scope_np & (rng.random(len(tx)) < (change.size - 1) * complaint_prob)
    orders = tx.loc[extra]
    k = len(orders)
    start_ts = orders["order_ts"].to_numpy()
    limit = np.minimum(np.datetime64(pd.Timestamp(change.end)), np.datetime64(end))
    room = (limit - start_ts) / np.timedelta64(1, "s")
    wait = np.minimum(room - 1, COMPLAINT_DAYS * 86400) * rng.uniform(0.01, 1.0, k)
    opened = start_ts + np.maximum(wait, 1).astype("timedelta64[s]")
    close = rng.uniform(*CLOSE_DAYS, k) * 86400
    closed = opened + close.astype("timedelta64[s]")
    major = rng.random(k) < 0.3
    resolved = (rng.random(k) < np.where(major, 0.6, 0.9)) & (closed < np.datetime64(end))
    base = tables["complaints"]
    first_no = len(base) + 1
    new = pd.DataFrame({
        "complaint_id": col.ids("K", np.arange(first_no, first_no + k), 6),
        "customer_id": orders["customer_id"].to_numpy(),
        "opened_ts": pd.Series(opened).dt.floor("s"),
        "closed_ts": pd.Series(closed).dt.floor("s").where(resolved),
        "severity": col.labels(major.astype(int), ["minor", "major"]),
        "resolved": col.booleans(resolved),
        "category": col.labels(rng.integers(0, 4, k), ["product", "delivery", "service",
                                                       "billing"]),
        "channel": col.labels(rng.integers(0, 4, k), ["phone", "online", "store", "wechat"]),
    })
    for extra_col in [c for c in base.columns if c not in new.columns]:
        # other columns (the complaint text of the report's themes): drawn from the existing
        # complaints of the same category, so the added ones read like the others
        pool = base.groupby("category")[extra_col].apply(lambda v: v.dropna().to_numpy())
        new[extra_col] = [rng.choice(pool[c]) if c in pool.index and len(pool[c]) else None
                          for c in new["category"].astype(str)]
    out = dict(tables)
    out["complaints"] = pd.concat([base, new.astype(base.dtypes.to_dict())], ignore_index=True)
    links = pd.concat([links, orders["order_id"].reset_index(drop=True)], ignore_index=True)
    return out, links, {"orders_in_scope": int(scope_np.sum()), "complaints_added": k}


def _nps_fall(tables: dict[str, pd.DataFrame], change: Change, who: pd.Series
              ) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    s = tables["surveys"]
    scope = (s["customer_id"].astype("string").isin(who) & _in_window(s["answered_ts"], change)
             & s["nps"].notna()).to_numpy()
    before = s.loc[scope, "nps"].to_numpy(dtype=float)
    after = np.clip(np.round(before - change.size), 0, 10)
    out = dict(tables)
    out["surveys"] = s.copy()
    out["surveys"].loc[scope, "nps"] = after
    did = {"answers_in_scope": int(scope.sum()), "nps_before": _nps(before),
           "nps_after": _nps(after)}
    return out, did


def _nps(x: np.ndarray) -> float | None:
    """Net Promoter Score in points (-100 to 100) of 0-10 answers."""
    if x.size == 0:
        return None
    return float(100.0 * (np.mean(x >= 9) - np.mean(x <= 6)))


def window_end(start: date, days: int) -> datetime:
    """End of a simulated window as a timestamp."""
    return datetime.combine(start, datetime.min.time()) + timedelta(days=days)

"""Calendar periods of the monitor: start dates, labels (``2025-11``, ``2025-Q4``,
``2025-W45``) and parsing of ``--at``.

Periods start where :meth:`loyalscope.metrics.MetricContext.bucket` puts them: days, ISO
weeks (Monday), calendar months, quarters and years.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pandas as pd

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

SEASON: dict[str, int | None] = {"day": 7, "week": 52, "month": 12, "quarter": 4, "year": None}
"""Periods per seasonal cycle (a week for days, a year otherwise)."""
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def start_of(d: date, grain: str) -> date:
    """Start of the period that contains ``d``."""
    if grain == "day":
        return d
    if grain == "week":
        return d - timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


def shift(start: date, grain: str, k: int = 1) -> date:
    """The start of the period ``k`` periods after the one starting at ``start``."""
    if grain == "day":
        return start + timedelta(days=k)
    if grain == "week":
        return start + timedelta(weeks=k)
    months = start.year * 12 + start.month - 1 + k * _MONTHS[grain]
    return date(months // 12, months % 12 + 1, 1)


def calendar(first: date, end: date, grain: str) -> list[date]:
    """Starts of the periods from the one containing ``first`` to the one containing the day
    before ``end`` (the analysis date, exclusive)."""
    out, p = [], start_of(first, grain)
    last = start_of(max(end - timedelta(days=1), first), grain)
    while p <= last:
        out.append(p)
        p = shift(p, grain)
    return out


def label(start: date, grain: str) -> str:
    """``2025-11-03`` (day), ``2025-W45`` (ISO week), ``2025-11``, ``2025-Q4``, ``2025``."""
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def parse(text: str, grain: str) -> date:
    """The start of the ``grain`` period named by ``text``: a label as :func:`label` writes
    it, or any ISO date inside the period."""
    s = text.strip()
    try:
        m = re.fullmatch(r"(\d{4})-W(\d{1,2})", s)
        if m:
            return start_of(date.fromisocalendar(int(m[1]), int(m[2]), 1), grain)
        m = re.fullmatch(r"(\d{4})-Q([1-4])", s)
        if m:
            return start_of(date(int(m[1]), 3 * int(m[2]) - 2, 1), grain)
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", s)
        if m:
            return start_of(date(int(m[1]), int(m[2]), 1), grain)
        if re.fullmatch(r"\d{4}", s):
            return start_of(date(int(s), 1, 1), grain)
        return start_of(pd.Timestamp(s).date(), grain)
    except (ValueError, OverflowError):
        raise ConfigError(
            t("monitoring.errors.bad_period", text=text), value=text,
            fix=t("monitoring.errors.bad_period_fix"),
        ) from None

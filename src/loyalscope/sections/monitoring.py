"""Section "Monitoring" (定期监测): every headline metric as a time series over complete
periods with its expected range from its own history, the periods that left it, and the
alerts of the latest complete period with the segments that drove them.

The numbers are those of ``loyalscope monitor`` on the same data and configuration (one
code path: :func:`loyalscope.monitoring.monitor`).
"""

from __future__ import annotations

import pandas as pd

from loyalscope.config import MonitorConfig
from loyalscope.data.dataset import Dataset
from loyalscope.i18n import has_key
from loyalscope.monitoring import monitor
from loyalscope.monitoring.alerts import RANK, Alert
from loyalscope.monitoring.message import fmt, fmt_range
from loyalscope.monitoring.monitor import MonitorResult, history
from loyalscope.results import Chart, Number, Phrase, Section, Table, Text
from loyalscope.sections.context import SectionContext

SECTION_ID = "monitoring"
K = "monitoring.section"
MAX_CHARTS = 6
"""Metrics charted: those with the most severe alerts over the last year."""
RECENT = 12


def build(ds: Dataset, ctx: SectionContext) -> Section:
    result = monitor(ds, ctx.config)
    section = Section(SECTION_ID)
    cfg = ctx.config.monitor
    section.add(Text(f"{K}.intro", {"period": result.label, "checked": result.checked,
                                    "level": f"{cfg.level:.0%}", "min_n": cfg.min_n,
                                    "history": cfg.min_history}))
    high = sum(a.severity == "high" for a in result.alerts)
    section.add(
        Number(f"{K}.alerts_now", float(len(result.alerts)), "count",
               numerator=float(len(result.alerts)), denominator=float(result.checked),
               note=f"{K}.alerts_note", note_kw={"period": result.label},
               warn=bool(result.alerts)),
        Number(f"{K}.high_now", float(high), "count", numerator=float(high),
               denominator=float(result.checked), note=f"{K}.alerts_note",
               note_kw={"period": result.label}, warn=high > 0),
    )
    if result.alerts:
        section.add(_alerts_table(result.alerts))
    section.add(_latest_table(result))
    hist = _history(result, cfg)
    left = hist[hist.severity.notna()]
    if not left.empty:
        section.add(Table(f"{K}.left_title", _left_table(left, result), columns=_LEFT_COLUMNS,
                          translate_values=("metric", "severity"), max_rows=60,
                          note=f"{K}.left_note"))
    for metric_id in _charted(hist):
        part = hist[(hist.metric_id == metric_id) & hist.value.notna()]
        section.add(Chart(
            kind="line", title=_name(result, metric_id),
            frame=part[["period", "value", "expected", "low", "high"]], x="period",
            y=["value", "expected", "low", "high"],
            labels={"period": "metrics.section.period", "value": f"{K}.col.value",
                    "expected": f"{K}.col.expected", "low": f"{K}.col.low",
                    "high": f"{K}.col.high"},
            options={"percent_y": metric_id != "nps" and _percent(metric_id)},
            note=f"{K}.chart_note"))
    section.data = {**result.to_dict(), "series": {
        mid: _records(part.drop(columns=["metric_id", "start"]))
        for mid, part in hist.groupby("metric_id", sort=False)}}
    return section


_LEFT_COLUMNS = {"metric": f"{K}.col.metric", "period": f"{K}.col.period",
                 "value": f"{K}.col.value", "expected": f"{K}.col.expected",
                 "range": f"{K}.col.range", "severity": f"{K}.col.severity"}


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, missing values as None (never NaN)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _name(result: MonitorResult, metric_id: str) -> str:
    """i18n key of the metric's name on the data monitored (CSAT of a yes / no question: the
    share of yes; :func:`loyalscope.metrics.wording`)."""
    w = result.watched.get(metric_id)
    return w.name if w is not None and w.name else f"metrics.{metric_id}.name"


def _percent(metric_id: str) -> bool:
    from loyalscope.metrics import REGISTRY

    return REGISTRY[metric_id].percent


def _history(result: MonitorResult, cfg: MonitorConfig) -> pd.DataFrame:
    cols = ["metric_id", "period", "start", "value", "expected", "low", "high", "severity"]
    if result.calendar is None:
        return pd.DataFrame(columns=cols)
    rows = [{"metric_id": mid, **row} for mid, w in result.watched.items()
            for row in history(w, result.calendar, cfg)]
    return pd.DataFrame(rows, columns=[*cols, "p_value", "n", "state"])


def _left_table(left: pd.DataFrame, result: MonitorResult) -> pd.DataFrame:
    left = left.sort_values("start", ascending=False)
    return pd.DataFrame({
        "metric": [_name(result, m) for m in left.metric_id],
        "period": left.period,
        "value": [fmt(m, v) for m, v in zip(left.metric_id, left.value, strict=True)],
        "expected": [fmt(m, v) for m, v in zip(left.metric_id, left.expected, strict=True)],
        "range": [fmt_range(m, lo, hi) for m, lo, hi in zip(left.metric_id, left.low, left.high, strict=True)],
        "severity": "monitoring.severity." + left.severity,
    })


def _charted(hist: pd.DataFrame) -> list[str]:
    """Metrics with the most severe alerts over the last :data:`RECENT` periods."""
    if hist.empty:
        return []
    recent = sorted(set(hist.start))[-RECENT:]
    part = hist[hist.start.isin(recent) & hist.severity.notna()]
    score = part.groupby("metric_id").severity.agg(lambda s: max(RANK[x] for x in s))
    return list(score.sort_values(ascending=False, kind="stable").index[:MAX_CHARTS])


def _latest_table(result: MonitorResult) -> Table:
    rows = [{
        "metric": _name(result, c.metric), "period": c.period, "value": fmt(c.metric, c.value),
        "expected": fmt(c.metric, c.expected),
        "range": fmt_range(c.metric, c.low, c.high),
        "n": "-" if c.n is None else f"{c.n:,.0f}",
        "status": f"monitoring.severity.{c.severity}" if c.severity else f"{K}.state.{c.state}",
    } for c in result.checks]
    frame = pd.DataFrame(rows, columns=["metric", "period", "value", "expected", "range", "n",
                                        "status"])
    return Table(f"{K}.latest_title", frame, columns={
        "metric": f"{K}.col.metric", "period": f"{K}.col.period", "value": f"{K}.col.value",
        "expected": f"{K}.col.expected", "range": f"{K}.col.range", "n": f"{K}.col.n",
        "status": f"{K}.col.status"}, translate_values=("metric", "status"), max_rows=80)


def _segment(dimension: str, value: object, share: float | None = None) -> Phrase:
    """"会员等级 = gold (69%)": the column's label in the reader's language, the value as in
    the data."""
    label: Phrase | str = Phrase(f"portrait.name.{dimension}") if has_key(f"portrait.name.{dimension}") \
        else dimension
    return Phrase(f"{K}.driver", {"dimension": label, "value": "-" if value is None else str(value),
                                  "share": "" if share is None else f" ({share:.0%})"})


def _alerts_table(alerts: list[Alert]) -> Table:
    rows = []
    for a in alerts:
        drivers = [_segment(d.dimension, d.segment, d.share) for d in a.drivers]
        rows.append({
            "metric": a.name_key(),
            "segment": "-" if a.segment is None else [_segment(a.segment["dimension"],
                                                               a.segment["value"])],
            "period": a.period, "value": fmt(a.metric, a.value),
            "expected": fmt(a.metric, a.expected),
            "range": fmt_range(a.metric, a.low, a.high),
            "severity": f"monitoring.severity.{a.severity}", "test": f"monitoring.test.{a.test}",
            "drivers": drivers or "-",
        })
    return Table(f"{K}.alerts_title", pd.DataFrame(rows), columns={
        "metric": f"{K}.col.metric", "segment": f"{K}.col.segment", "period": f"{K}.col.period",
        "value": f"{K}.col.value", "expected": f"{K}.col.expected", "range": f"{K}.col.range",
        "severity": f"{K}.col.severity", "test": f"{K}.col.test", "drivers": f"{K}.col.drivers"},
        translate_values=("metric", "severity", "test", "segment", "drivers"), max_rows=60)

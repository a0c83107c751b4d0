"""The one message a monitor run sends: a title and one line per alert, in zh or en, as plain
text (e-mail, Slack, 飞书) and as Markdown (企业微信, 钉钉). Every word comes from the i18n
catalogues (``monitoring.message.*``, metric names ``metrics.<id>.name`` or the variant that fits
the data, :attr:`Alert.name`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loyalscope.i18n import catalogue, t
from loyalscope.metrics import REGISTRY
from loyalscope.monitoring.alerts import RANK, SEVERITIES, Alert

if TYPE_CHECKING:
    from loyalscope.monitoring.monitor import MonitorResult

K = "monitoring.message"


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    markdown: str


def selected(result: MonitorResult, min_severity: str) -> list[Alert]:
    """The alerts at or above ``min_severity``, most severe first."""
    return [a for a in result.alerts if RANK[a.severity] >= RANK[min_severity]]


def build(result: MonitorResult, lang: str, min_severity: str = "low",
          max_alerts: int = 20) -> Message:
    """The message of ``result`` in ``lang`` ("zh" or "en")."""
    chosen = selected(result, min_severity)
    counts = {s: sum(a.severity == s for a in chosen) for s in SEVERITIES}
    if chosen:
        parts = [t(f"{K}.count_{s}", lang, n=counts[s]) for s in SEVERITIES if counts[s]]
        summary = t(f"{K}.alerts", lang, n=len(chosen), parts=t(f"{K}.sep", lang).join(parts))
    else:
        summary = t(f"{K}.no_alerts", lang)
    title = t(f"{K}.title", lang, period=result.label, summary=summary)
    lines = [line(a, lang) for a in chosen[:max_alerts]]
    more = len(chosen) - len(lines)
    tail = [t(f"{K}.more", lang, n=more)] if more > 0 else []
    footer = t(f"{K}.checked", lang, n=result.checked)
    text = "\n".join([title, *lines, *tail, footer])
    md = "\n".join([f"**{_md(title)}**", "", *(f"- {_md(x)}" for x in lines),
                    *(_md(x) for x in tail), "", _md(footer)])
    return Message(title, text, md)


def line(a: Alert, lang: str) -> str:
    """One alert as a sentence."""
    name = t(a.name_key(), lang)
    if a.segment is not None:
        name += t(f"{K}.segment", lang, segment=segment_name(a.segment["dimension"],
                                                             a.segment["value"], lang))
    if fmt(a.metric, a.expected) == fmt_range(a.metric, a.low, a.high) == "-":  # a threshold alert, no history
        where = t(f"{K}.no_range", lang)
    else:
        where = t(f"{K}.range", lang, expected=fmt(a.metric, a.expected),
                  low=fmt(a.metric, a.low), high=fmt(a.metric, a.high))
    changes = []
    if a.change_prev is not None:
        changes.append(t(f"{K}.vs_prev", lang, change=fmt_change(a.metric, a.change_prev, lang)))
    if a.change_yoy is not None:
        changes.append(t(f"{K}.vs_year", lang, change=fmt_change(a.metric, a.change_yoy, lang)))
    test = t(f"monitoring.test.{a.test}", lang)
    if a.p_value is not None and not a.test.startswith(("threshold", "target")):
        test += f", p={a.p_value:.2g}"
    out = t(f"{K}.line", lang, severity=t(f"monitoring.severity.{a.severity}", lang), name=name,
            period=a.period, value=fmt(a.metric, a.value), range=where,
            changes=t(f"{K}.sep", lang).join(changes) or "-", test=test)
    if a.drivers:
        names = [t(f"{K}.driver", lang, segment=segment_name(d.dimension, d.segment, lang),
                   share=f"{d.share:.0%}" if d.share is not None else "-") for d in a.drivers]
        out += t(f"{K}.drivers", lang, drivers=t(f"{K}.sep", lang).join(names))
    return out


def segment_name(dimension: str, value: object, lang: str) -> str:
    """``region = east`` with the column's translated name where the schema has one."""
    key = f"schema.customers.{dimension}"
    col = t(key, lang) if key in catalogue(lang) else dimension
    shown = t(f"{K}.blank", lang) if value is None else str(value)
    return t(f"{K}.segment_name", lang, column=col, value=shown)


def fmt(metric_id: str, x: float | None) -> str:
    """A value in the metric's units: 12.3% for shares, NPS in points, counts and amounts with
    thousands separators; "-" where there is none (None, NaN: a period without an expected
    range)."""
    if x is None or not math.isfinite(x):
        return "-"
    if metric_id == "nps":
        return f"{100 * x:.1f}"
    if REGISTRY[metric_id].percent:
        return f"{100 * x:.1f}%"
    return _plain(x)


def fmt_range(metric_id: str, low: float | None, high: float | None) -> str:
    """``low - high`` in the metric's units (:func:`fmt`); "-" when the range has no bound."""
    lo, hi = fmt(metric_id, low), fmt(metric_id, high)
    return "-" if lo == hi == "-" else f"{lo} - {hi}"


def fmt_change(metric_id: str, d: float, lang: str) -> str:
    """A change: percentage points for shares, metric units otherwise, with its sign."""
    if metric_id != "nps" and REGISTRY[metric_id].percent:
        return t(f"{K}.points", lang, d=f"{100 * d:+.1f}")
    if metric_id == "nps":
        return f"{100 * d:+.1f}"
    return ("+" if d >= 0 else "-") + _plain(abs(d))


def _plain(x: float) -> str:
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 1:
        return f"{x:,.2f}"
    return f"{x:.3g}"


def _md(s: str) -> str:
    """Escape the characters Markdown would read as formatting."""
    for ch in ("\\", "*", "_", "`", "[", "]", "#", "<", ">"):
        s = s.replace(ch, "\\" + ch)
    return s

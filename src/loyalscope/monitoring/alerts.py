"""Alerts, their severity and their JSON form.

Severity of a statistical check (two-sided p-value ``p`` of the period's value against its
expected value, :mod:`loyalscope.monitoring.baseline`):

- inside the expected range (``p >= 1 - level``): no alert;
- a change in the metric's bad direction: ``high`` when ``p < high_p``, ``medium`` when
  ``p < medium_p``, else ``low``;
- a change in the good direction: ``low``.

Segment checks use ``min(1, p S)`` (Bonferroni over the ``S`` segments checked for the metric
in that period). Configured thresholds (``min`` / ``max``) raise ``threshold_severity``;
crossing the target to its bad side raises ``low``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loyalscope.config import MonitorConfig, MonitorMetric
from loyalscope.monitoring.catalogue import Direction

SEVERITIES = ("high", "medium", "low")
RANK = {"high": 3, "medium": 2, "low": 1}


@dataclass
class Driver:
    """A segment's part in a change: its value against its own expected value, weighted by
    its share ``w`` of the metric's denominator: ``contribution = w (value - expected)``;
    ``share`` = contribution / (total value - total expected)."""

    dimension: str
    segment: Any
    value: float
    expected: float
    contribution: float
    share: float | None
    n: float | None
    p_value: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"dimension": self.dimension, "segment": self.segment,
                "value": self.value, "expected": self.expected,
                "change": self.value - self.expected, "contribution": self.contribution,
                "share": self.share, "n": self.n, "p_value": self.p_value}


@dataclass
class Alert:
    """A period of a metric (or of one segment of it) that left its expected range or broke
    a configured threshold."""

    metric: str
    period: str
    value: float
    expected: float | None
    low: float | None
    high: float | None
    severity: str
    test: str
    """``beta_binomial``, ``t``, ``poisson``, ``threshold_min``, ``threshold_max`` or
    ``target``."""
    p_value: float | None
    change_prev: float | None
    change_yoy: float | None
    n: float | None
    segment: dict[str, Any] | None = None
    """``{"dimension": "region", "value": "east"}`` for a segment's own check."""
    target: float | None = None
    drivers: list[Driver] = field(default_factory=list)
    name: str | None = None
    """i18n key of the metric's name on the data checked (:func:`loyalscope.metrics.wording`:
    CSAT of a yes / no question is the share of yes); None: ``metrics.<metric>.name``."""

    def name_key(self) -> str:
        return self.name or f"metrics.{self.metric}.name"

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric, "name": self.name_key(), "period": self.period, "value": self.value,
            "expected": self.expected, "low": self.low, "high": self.high,
            "severity": self.severity, "test": self.test, "p_value": self.p_value,
            "change_prev": self.change_prev, "change_yoy": self.change_yoy, "n": self.n,
            "segment": self.segment, "target": self.target,
            "drivers": [d.to_dict() for d in self.drivers],
        }


def statistical(p: float, value: float, expected: float, bad: Direction, cfg: MonitorConfig,
                mcfg: MonitorMetric, volume: bool) -> str | None:
    """Severity of a p-value (None: inside the range); ``volume``: the metric is a volume,
    to which ``[monitor] high_change`` applies."""
    if not p == p or p >= 1 - cfg.level:  # NaN or inside
        return None
    deviation = value - expected
    worse = bad == "both" or (bad == "down" and deviation < 0) or (bad == "up" and deviation > 0)
    if not worse:
        return "low"
    if p < (mcfg.high_p if mcfg.high_p is not None else cfg.high_p):
        return "high"
    if p < (mcfg.medium_p if mcfg.medium_p is not None else cfg.medium_p):
        big = mcfg.high_change if mcfg.high_change is not None else (
            cfg.high_change if volume else None)
        if big is not None and expected != 0 and abs(deviation) >= big * abs(expected):
            return "high"
        return "medium"
    return "low"


def thresholds(value: float, previous: float | None, bad: Direction, mcfg: MonitorMetric,
               target: float | None) -> tuple[str, str] | None:
    """(severity, test) of a configured threshold or target crossing, None if none broke."""
    if mcfg.min is not None and value < mcfg.min:
        return mcfg.threshold_severity, "threshold_min"
    if mcfg.max is not None and value > mcfg.max:
        return mcfg.threshold_severity, "threshold_max"
    if target is None or previous is None or bad == "both":
        return None
    if bad == "down" and previous >= target > value:
        return "low", "target"
    if bad == "up" and previous <= target < value:
        return "low", "target"
    return None


def worst(*candidates: tuple[str, str] | None) -> tuple[str, str] | None:
    """The (severity, test) of highest severity among ``candidates``."""
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda c: RANK[c[0]]) if found else None

"""The metric catalogue (``../shared/spec/metrics.md``) as Ibis expressions.

Importing this package registers every metric module listed in ``_MODULES``.
"""

from __future__ import annotations

import importlib

from loyalscope.metrics.registry import (
    REGISTRY,
    Metric,
    MetricContext,
    Wording,
    compute,
    get,
    register,
    wording,
)

_MODULES: tuple[str, ...] = ("behaviour", "retention", "cohorts", "service", "engagement", "value",
                               "survey", "volume")
"""Metric modules (``loyalscope.metrics.<name>``) imported for their registrations."""

for _name in _MODULES:
    importlib.import_module(f"loyalscope.metrics.{_name}")

__all__ = ["REGISTRY", "Metric", "MetricContext", "Wording", "compute", "get", "register", "wording"]

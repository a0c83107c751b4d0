"""Number formatting shared by the HTML and Excel renderers."""

from __future__ import annotations

import math
from typing import Any

from loyalscope.i18n import t


def fmt_value(value: Any, unit: str | None = None, lang: str = "en") -> str:
    """Format ``value`` for display; ``unit="percent"`` expects a share in [0, 1]."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return t("core.yes" if value else "core.no", lang)
    if isinstance(value, (int, float)):
        v = float(value)
        if unit == "percent":
            return f"{v * 100:.1f}%"
        if unit == "currency":
            return f"{v:,.2f}"
        if unit in ("count",) or (v.is_integer() and abs(v) < 1e15 and unit is None):
            return f"{round(v):,}"
        if abs(v) >= 1000:
            return f"{v:,.1f}"
        return f"{v:.3g}" if abs(v) < 0.01 else f"{v:,.2f}"
    return str(value)

"""The one call site through which the report's xlsx and CSV writers make text cells safe.

``loyalscope.report.cells.safe_text`` (helper data-intake, branch ``i10-intake``) escapes control
characters and neutralises formula starts (OWASP CSV injection). Until that module is on main,
a minimal stand-in with the same contract is used here.
TODO(i10-intake): when ``report/cells.py`` lands, delete the stand-in below.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _stand_in(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("\ufffd", value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _resolve() -> Callable[[Any], Any]:
    try:
        module = importlib.import_module("loyalscope.report.cells")
    except ModuleNotFoundError:
        return _stand_in
    return getattr(module, "safe_text", _stand_in)


safe_text: Callable[[Any], Any] = _resolve()
"""Make one cell value safe for a spreadsheet or CSV (non-strings pass through)."""

"""Conditions of the rule files (``{ <key> = ..., op = ..., value = ... }``): check and evaluate.

Two rule files use them: the loyalty types (``segments/rules/loyalty_types.toml``, conditions
on a customer's ``field``, evaluated on columns) and the strategy rules
(``strategy/rules.toml``, conditions on a diagnosis ``fact``, evaluated on scalars). Both follow
one convention: the operators of :data:`OPS`, and **a condition on a missing value (absent,
``None`` or NaN) is false** (never guessed).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
"""The comparison operators a rule file may use."""


def is_valid(cond: Mapping[str, Any], key: str, allowed: Collection[str] | None = None) -> bool:
    """Whether ``cond`` names its ``key`` (one of ``allowed`` when given), a known op and a value."""
    if key not in cond or (allowed is not None and cond[key] not in allowed):
        return False
    return cond.get("op") in OPS and "value" in cond


def _missing(x: Any) -> bool:
    return x is None or (np.ndim(x) == 0 and bool(pd.isna(x)))


def holds(actual: Any, op: str, value: Any) -> bool:
    """``actual <op> value``; False when ``actual`` is missing."""
    return not _missing(actual) and bool(OPS[op](actual, value))


def column_holds(column: pd.Series | None, op: str, value: Any, length: int | None = None) -> np.ndarray:
    """:func:`holds` for every element of ``column``; an absent column (``None``) is all false
    (``length`` rows)."""
    if column is None:
        return np.zeros(length or 0, dtype=bool)
    present = column.notna().to_numpy()
    out = np.zeros(len(column), dtype=bool)
    if column.dtype.kind == "f" and isinstance(value, int | float):  # IEEE comparison, as in Python
        out[present] = OPS[op](column.to_numpy(dtype=float, na_value=np.nan)[present], value)
        return out
    vals = column.astype(object).to_numpy()[present]
    out[present] = [bool(OPS[op](v, value)) for v in vals]
    return out

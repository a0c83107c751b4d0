"""Rule-file conditions shared by the loyalty types and the strategy rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.conditions import OPS, column_holds, holds, is_valid


@pytest.mark.parametrize(("op", "expected"), [("==", [False, True, False]), ("!=", [True, False, True]),
                                              ("<", [True, False, False]), ("<=", [True, True, False]),
                                              (">", [False, False, True]), (">=", [False, True, True])])
def test_every_operator_on_scalars_and_columns(op: str, expected: list[bool]) -> None:
    assert [holds(x, op, 2) for x in (1, 2, 3)] == expected
    assert column_holds(pd.Series([1.0, 2.0, 3.0]), op, 2).tolist() == expected
    assert set(OPS) == {"==", "!=", "<", "<=", ">", ">="}


@pytest.mark.parametrize("missing", [None, float("nan"), np.float32("nan"), pd.NA, pd.NaT])
@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_a_missing_value_never_satisfies_a_condition(missing: object, op: str) -> None:
    assert holds(missing, op, 0.5) is False
    col = pd.Series([missing, 0.5], dtype=object)
    assert not column_holds(col, op, 0.5)[0]


def test_booleans_and_absent_columns() -> None:
    col = pd.Series([True, False, None], dtype=object)
    assert column_holds(col, "==", True).tolist() == [True, False, False]
    assert column_holds(None, ">", 0, length=3).tolist() == [False, False, False]


def test_is_valid() -> None:
    assert is_valid({"fact": "x", "op": "<", "value": 1}, "fact")
    assert not is_valid({"fact": "x", "op": "=~", "value": 1}, "fact")
    assert not is_valid({"fact": "x", "op": "<"}, "fact")
    assert not is_valid({"op": "<", "value": 1}, "fact")
    assert is_valid({"field": "a", "op": "==", "value": True}, "field", ("a", "b"))
    assert not is_valid({"field": "c", "op": "==", "value": True}, "field", ("a", "b"))


@pytest.mark.parametrize("dtype", ["float64", "Float64", "object"])
@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
@pytest.mark.parametrize("value", [0.5, 1, True])
def test_columns_hold_as_each_element_on_its_own(dtype: str, op: str, value: object) -> None:
    """A column is evaluated as arrays; each element gets what :func:`holds` gives it alone."""
    rng = np.random.default_rng(1)
    values = np.round(rng.uniform(-0.5, 1.5, 500), 1)
    values[rng.random(500) < 0.2] = np.nan
    col = pd.Series(values).astype(dtype)
    want = [holds(None if pd.isna(v) else v, op, value) for v in col.astype(object)]
    assert column_holds(col, op, value).tolist() == want

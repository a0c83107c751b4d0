"""AHP weights and consistency against published values and an independent computation."""

from __future__ import annotations

import numpy as np
import pytest

from loyalscope.errors import ConfigError
from loyalscope.indices.ahp import RANDOM_INDEX, ahp, load_hierarchy


def _power_iteration(a: np.ndarray, iters: int = 500) -> tuple[np.ndarray, float]:
    w = np.ones(len(a)) / len(a)
    for _ in range(iters):
        v = a @ w
        w = v / v.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


def test_consistent_matrix_recovers_weights_exactly() -> None:
    w = np.array([0.5, 0.25, 0.15, 0.1])
    a = w[:, None] / w[None, :]
    res = ahp(a)
    np.testing.assert_allclose(res.weights, w, atol=1e-10)
    assert res.lambda_max == pytest.approx(4.0, abs=1e-10)
    assert res.cr == pytest.approx(0.0, abs=1e-10)


def test_saaty_3x3_example() -> None:
    # Classic textbook matrix (1, 3, 5 / 1/3, 1, 3 / 1/5, 1/3, 1):
    # published w = (0.637, 0.258, 0.105), lambda_max = 3.039, CR = 0.033.
    a = [[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]]
    res = ahp(a, name="example")
    np.testing.assert_allclose(res.weights, [0.637, 0.258, 0.105], atol=1e-3)
    assert res.lambda_max == pytest.approx(3.039, abs=1e-3)
    assert res.cr == pytest.approx(0.033, abs=1e-3)
    m = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    w, lam = _power_iteration(m)
    np.testing.assert_allclose(res.weights, w, atol=1e-9)
    assert res.ci == pytest.approx((lam - 3) / 2, abs=1e-9)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-9)


def test_4x4_against_power_iteration() -> None:
    m = np.array([[1, 2, 4, 3], [1 / 2, 1, 3, 2], [1 / 4, 1 / 3, 1, 1 / 2], [1 / 3, 1 / 2, 2, 1]])
    res = ahp(m)
    w, lam = _power_iteration(m)
    np.testing.assert_allclose(res.weights, w, atol=1e-9)
    assert res.cr == pytest.approx((lam - 4) / 3 / RANDOM_INDEX[4], abs=1e-9)
    assert res.cr < 0.10


def test_inconsistent_matrix_names_itself() -> None:
    # circular: A > B, B > C, C > A
    a = [[1, 5, "1/5"], ["1/5", 1, 5], [5, "1/5", 1]]
    with pytest.raises(ConfigError) as err:
        ahp(a, name="A3 emotional")
    assert err.value.value == "A3 emotional"
    assert "A3 emotional" in err.value.message


def test_non_reciprocal_rejected() -> None:
    with pytest.raises(ConfigError):
        ahp([[1, 2], [2, 1]], name="bad")


def test_default_hierarchy_is_consistent_and_sums_to_one() -> None:
    leaves, results = load_hierarchy()
    assert set(leaves) == {"A11", "A12", "A13", "A21", "A22", "A31", "A32", "A33", "A34"}
    assert sum(leaves.values()) == pytest.approx(1.0)
    assert all(r.cr < 0.10 for r in results)

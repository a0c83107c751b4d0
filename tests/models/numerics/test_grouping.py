"""Grouping of (x, t_x, T) rows into distinct rows with codes into tables of distinct values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from loyalscope.models.numerics.grouping import group_rows


def _rows(seed: int = 0, n: int = 20_000):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, n).astype(float)
    T = rng.integers(1, 60, n) / 7.0
    tx = np.where(x > 0, np.floor(T * 7.0 * rng.random(n)) / 7.0, 0.0)
    w = rng.integers(0, 4, n).astype(float)
    return x, tx, T, w


def test_group_rows_equals_groupby_sums():
    x, tx, T, w = _rows()
    g = group_rows(x, tx, T, w)
    expected = (pd.DataFrame({"x": x, "tx": tx, "T": T, "w": w})[w > 0]
                .groupby(["x", "tx", "T"], as_index=False).w.sum())
    got = pd.DataFrame({"x": g.x, "tx": g.tx, "T": g.T, "w": g.weights}).sort_values(["x", "tx", "T"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
    assert g.weights.sum() == w.sum()


def test_codes_point_into_the_tables_of_distinct_values():
    x, tx, T, w = _rows(1)
    g = group_rows(x, tx, T, w)
    np.testing.assert_array_equal(g.ux[g.ix], g.x)
    np.testing.assert_array_equal(g.utx[g.itx], g.tx)
    np.testing.assert_array_equal(g.uT[g.iT], g.T)
    assert len(set(g.ux)) == g.ux.size == np.unique(x[w > 0]).size
    np.testing.assert_allclose(g.by_x(), [w[(x == v)].sum() for v in g.ux])
    np.testing.assert_allclose(g.by_T(g.x), [(w * x)[T == v].sum() for v in g.uT])


def test_pairs_gather_back_to_rows():
    x, tx, T, w = _rows(2)
    g = group_rows(x, tx, T, w)
    for which, tau in (("tx", g.tx), ("T", g.T)):
        px, ptau, codes = g.pairs(which)
        np.testing.assert_array_equal(px[codes], g.x)
        np.testing.assert_array_equal(ptau[codes], tau)
        assert len(set(zip(px, ptau, strict=True))) == px.size


def test_distinct_rows_keep_their_weights():
    x = np.arange(5.0)
    g = group_rows(x, x, x + 1.0, np.array([1.0, 2.0, 0.0, 4.0, 5.0]))
    np.testing.assert_array_equal(g.x, [0.0, 1.0, 3.0, 4.0])
    np.testing.assert_array_equal(g.weights, [1.0, 2.0, 4.0, 5.0])

"""Covariances of reweighted copies of a data set against numpy on the copies themselves."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from loyalscope.errors import InsufficientDataError
from loyalscope.models.survey import moments
from loyalscope.models.survey.moments import Moments, bootstrap_counts, counts_of
from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_assess import htmt_interval
from loyalscope.models.survey.plspm_bootstrap import resample_covariances
from loyalscope.models.survey.reliability import htmt


def _data(n: int = 300, p: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n, 1))
    # items on a 1-10 scale far from zero: the centring must keep the precision
    return np.clip(np.rint(5.5 + 2 * base + rng.standard_normal((n, p))), 1, 10) + 1000.0


def test_bootstrap_covariances_equal_numpy_on_the_resampled_rows() -> None:
    x = _data()
    n = len(x)
    batches = list(bootstrap_counts(np.random.default_rng(3), n, 7, batch=3))
    assert [b.shape[0] for b in batches] == [3, 3, 1]
    covs = np.concatenate([Moments(x).weighted(c, n) for c in batches])
    draws = np.random.default_rng(3).integers(0, n, size=(7, n))
    for b, d in enumerate(draws):
        np.testing.assert_allclose(covs[b], np.cov(x[d], rowvar=False, ddof=0), rtol=0, atol=1e-10)


def test_leave_one_out_covariances_equal_numpy(monkeypatch) -> None:
    x = _data(n=40)
    monkeypatch.setattr(moments, "BLOCK_CELLS", 60)  # several blocks of rows
    jack = np.concatenate(list(Moments(x).jackknife()))
    assert jack.shape == (40, 5, 5)
    for i in (0, 13, 39):
        np.testing.assert_allclose(jack[i], np.cov(np.delete(x, i, axis=0), rowvar=False, ddof=0), atol=1e-10)


def test_group_covariances_from_membership_and_complement() -> None:
    x = _data(n=50)
    mom = Moments(x)
    member = np.zeros((2, 50), dtype=np.uint8)
    member[0, :20] = 1
    member[1, 5:45] = 1
    sums = mom.sums(member)
    np.testing.assert_allclose(mom.cov(sums, member.sum(axis=1))[1], np.cov(x[5:45], rowvar=False, ddof=0),
                               atol=1e-10)
    rest = mom.cov(mom.total()[None, :] - sums, 50 - member.sum(axis=1))
    np.testing.assert_allclose(rest[0], np.cov(x[20:], rowvar=False, ddof=0), atol=1e-10)


def test_counts_are_bincounts_and_widen_when_a_row_is_drawn_often() -> None:
    draws = np.array([[0, 0, 2, 1], [3, 3, 3, 3]])
    counts = counts_of(draws, 4)
    np.testing.assert_array_equal(counts, [[2, 1, 1, 0], [0, 0, 0, 4]])
    assert counts.dtype == np.uint8
    many = counts_of(np.zeros((1, 300), dtype=np.int64), 300)
    assert many[0, 0] == 300 and many.dtype == np.uint16


def test_bootstrap_builds_no_resamples_by_respondents_array() -> None:
    """200 resamples of 100,000 respondents x 18 items: a resample array would be 2.9 GB and the
    draws alone 160 MB; the counts, blocks and 200 small matrices stay far below."""
    rng = np.random.default_rng(1)
    f = np.cumsum(rng.standard_normal((100_000, 6)), axis=1)  # correlated constructs
    blocks = {f"F{j}": [f"x{j}{k}" for k in range(3)] for j in range(6)}
    data = pd.DataFrame({c: f[:, j] + 0.7 * rng.standard_normal(100_000)
                         for j, cols in enumerate(blocks.values()) for c in cols})
    model = PLSPM(blocks, ["F0 -> F1", "F1 -> F2", "F2 -> F3", "F3 -> F4", "F4 -> F5", "F0 -> F5"]).fit(data)
    tracemalloc.start()
    try:
        table = model.bootstrap(200, seed=2, bca=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert table.attrs["n_boot"] == 200
    assert peak < 120e6


def test_a_bootstrap_without_any_usable_resample_is_a_clear_error() -> None:
    rng = np.random.default_rng(1)
    f = rng.standard_normal((400, 3))  # unrelated constructs: PLSc is inadmissible on every resample
    blocks = {f"F{j}": [f"x{j}{k}" for k in range(3)] for j in range(3)}
    data = pd.DataFrame({c: f[:, j] + 0.7 * rng.standard_normal(400)
                         for j, cols in enumerate(blocks.values()) for c in cols})
    model = PLSPM(blocks, ["F0 -> F1", "F1 -> F2"]).fit(data)
    with pytest.raises(InsufficientDataError, match="bootstrap"):
        model.bootstrap(20, seed=1, bca=False)


def test_htmt_interval_shares_the_path_bootstrap_resamples() -> None:
    """The HTMT interval is the HTMT of each resample's rows (computed here on the rows)."""
    x = _data(n=120, p=6)
    data = pd.DataFrame(x, columns=[f"a{i}" for i in range(3)] + [f"b{i}" for i in range(3)])
    blocks = {"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2"]}
    model = PLSPM(blocks, ["A -> B"]).fit(data)
    out = htmt_interval(model, n_boot=30, seed=9, level=0.8)
    assert (9 in {k[1] for k in model._resample_cache_}) and resample_covariances(model, 30, 9).shape == (30, 6, 6)
    draws = np.random.default_rng(9).integers(0, 120, size=(30, 120))
    boot = [htmt(x[d], [[0, 1, 2], [3, 4, 5]])[1, 0] for d in draws]
    assert out.loc[0, "upper"] == pytest.approx(np.quantile(boot, 0.9), abs=1e-10)
    assert out.loc[0, "lower"] == pytest.approx(np.quantile(boot, 0.1), abs=1e-10)
    assert out.loc[0, "htmt"] == pytest.approx(htmt(x, [[0, 1, 2], [3, 4, 5]])[1, 0], abs=1e-12)

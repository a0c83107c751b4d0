"""The shared MLE machinery: grouping of sufficient statistics, fitted-state checks, JSON."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.errors import NotFittedError
from loyalscope.i18n import use_lang
from loyalscope.models import BGNBD
from loyalscope.models.base import compress


def test_compress_equals_groupby():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, 5000).astype(float)
    tx = rng.integers(0, 5, 5000).astype(float)
    T = np.full(5000, 6.0)
    w = rng.integers(0, 3, 5000).astype(float)
    (cx, ctx, cT), cw = compress((x, tx, T), w)
    expected = (pd.DataFrame({"x": x, "tx": tx, "T": T, "w": w})[w > 0]
                .groupby(["x", "tx", "T"], as_index=False).w.sum())
    got = pd.DataFrame({"x": cx, "tx": ctx, "T": cT, "w": cw})
    pd.testing.assert_frame_equal(got, expected)


def test_compress_leaves_distinct_rows_alone():
    x = np.arange(10.0)
    (cx,), cw = compress((x,), np.ones(10))
    np.testing.assert_array_equal(cx, x)
    np.testing.assert_array_equal(cw, np.ones(10))


def test_not_fitted_message():
    with use_lang("en"), pytest.raises(NotFittedError) as info:
        BGNBD().p_alive(1, 1, 2)
    assert info.value.message == "This BGNBD model is not fitted yet: it has no params_."
    assert info.value.fix == ("Call BGNBD().fit(...) first, or load a fitted model with "
                              "BGNBD.from_dict(...).")


def test_from_dict_checks_the_model_name():
    with pytest.raises(ValueError, match="GammaGamma"):
        BGNBD.from_dict({"model": "GammaGamma", "settings": {}})
    assert BGNBD.from_dict(BGNBD(penalizer=0.5).to_dict()).penalizer == 0.5

"""Model selection on the CDNOW sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loyalscope.models.purchase.selection import MODELS, select_model


@pytest.fixture(scope="module")
def cdnow(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "cdnow_sample_summary.csv")


def test_bic_choice_on_cdnow(cdnow):
    sel = select_model(cdnow.x, cdnow.t_x, cdnow["T"])
    assert set(sel.table.model) == set(MODELS)
    assert sel.criterion == "bic"
    # Published LLs: MBG/NBD -9582.13 > BG/NBD -9582.43 (> Pareto/NBD -9594.97); all have 4 parameters.
    assert sel.chosen == "mbgnbd"
    lls = dict(zip(sel.table.model, sel.table.loglik, strict=True))
    assert lls["mbgnbd"] == pytest.approx(-9582.13, abs=0.01)
    assert lls["bgnbd"] == pytest.approx(-9582.43, abs=0.01)
    assert sel.table.bic.min() == pytest.approx(sel.model.bic_)
    assert "lowest BIC" in sel.reason and "mbgnbd" in sel.reason


def test_holdout_choice_uses_mae(cdnow):
    rng = np.random.default_rng(0)
    holdout = rng.poisson(0.5, size=len(cdnow))  # any target: the rule must pick the smallest MAE
    sel = select_model(cdnow.x, cdnow.t_x, cdnow["T"], holdout_frequency=holdout, holdout_duration=39.0)
    assert sel.criterion == "holdout_mae"
    assert sel.chosen == sel.table.loc[sel.table.holdout_mae.idxmin(), "model"]
    pred = sel.model.predict_purchases(39.0, cdnow.x, cdnow.t_x, cdnow["T"])
    assert sel.table.holdout_mae.min() == pytest.approx(np.mean(np.abs(pred - holdout)))


def test_unknown_candidate():
    with pytest.raises(ValueError, match="Unknown model"):
        select_model([1], [1], [2], candidates=["nope"])

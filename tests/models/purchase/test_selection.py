"""Model selection: BIC on the calibration data, holdout error beside it, overriding only on a
significant margin (paired t-test over customers)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from loyalscope.models.purchase.selection import MODELS, paired_p_value, select_model


def test_bic_choice_on_cdnow(cdnow):
    sel = select_model(cdnow.x, cdnow.t_x, cdnow["T"])
    assert set(sel.table.model) == set(MODELS)
    assert (sel.criterion, sel.rule) == ("bic", "bic")
    # Published LLs: MBG/NBD -9582.13 > BG/NBD -9582.43 (> Pareto/NBD -9594.97); all have 4 parameters.
    assert sel.chosen == "mbgnbd"
    lls = dict(zip(sel.table.model, sel.table.loglik, strict=True))
    assert lls["mbgnbd"] == pytest.approx(-9582.13, abs=0.01)
    assert lls["bgnbd"] == pytest.approx(-9582.43, abs=0.01)
    assert sel.table.bic.min() == pytest.approx(sel.model.bic_)
    assert sel.table.set_index("model").delta_bic["mbgnbd"] == 0
    assert sel.ranking[0] == "mbgnbd" and set(sel.ranking) == set(MODELS)
    assert "lowest BIC" in sel.reason and "mbgnbd" in sel.reason


def test_noise_in_the_holdout_does_not_override_bic(cdnow):
    """A holdout target unrelated to the models: whichever has the lower error, the margin is not
    significant, so BIC decides (before: the lowest holdout MAE won on any margin)."""
    rng = np.random.default_rng(0)
    holdout = rng.poisson(0.5, size=len(cdnow))
    sel = select_model(cdnow.x, cdnow.t_x, cdnow["T"], holdout_frequency=holdout, holdout_duration=39.0)
    table = sel.table.set_index("model")
    pred = sel.fitted["mbgnbd"].predict_purchases(39.0, cdnow.x, cdnow.t_x, cdnow["T"])
    assert table.holdout_rmse["mbgnbd"] == pytest.approx(np.sqrt(np.mean((pred - holdout) ** 2)))
    assert sel.chosen == "mbgnbd" and sel.criterion == "bic"
    best_error = table.holdout_rmse.idxmin()
    if best_error == "mbgnbd":
        assert sel.rule == "bic_holdout_agrees"
    else:
        assert sel.rule == "bic_holdout_not_significant" and sel.p_value >= 0.05


def test_a_significant_holdout_margin_overrides_bic(cdnow):
    """The holdout is what BG/NBD predicts (exactly): its error is 0, far below MBG/NBD's on every
    customer, so the holdout decides although MBG/NBD has the lower BIC."""
    bg = MODELS["bgnbd"]().fit(cdnow.x, cdnow.t_x, cdnow["T"])
    holdout = bg.predict_purchases(39.0, cdnow.x, cdnow.t_x, cdnow["T"])
    sel = select_model(cdnow.x, cdnow.t_x, cdnow["T"], holdout_frequency=holdout, holdout_duration=39.0)
    assert (sel.chosen, sel.rule, sel.criterion) == ("bgnbd", "holdout_significant", "holdout_rmse")
    assert sel.p_value < 0.05 and sel.ranking[0] == "bgnbd"


def test_paired_p_value_is_the_paired_t_test():
    rng = np.random.default_rng(1)
    a, b = rng.exponential(1.0, 500), rng.exponential(1.1, 500)
    assert paired_p_value(a, b) == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert paired_p_value(a, a) == 1.0


def test_not_estimable_fits_do_not_compete():
    """Four identical customers: every fit runs off to the edge of its space; none is chosen."""
    sel = select_model([5.0] * 4, [20.0] * 4, [30.0] * 4)
    assert sel.chosen is None and sel.rule == "none_estimable"
    assert (sel.table.status == "not_estimable").all()
    assert all(not s.estimable for s in sel.statuses.values())


def test_unknown_candidate():
    with pytest.raises(ValueError, match="Unknown model"):
        select_model([1], [1], [2], candidates=["nope"])

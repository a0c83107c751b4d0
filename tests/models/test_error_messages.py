"""Errors of the models that end a report section are catalogue messages, so that the skip
reason reads in the report's language (zh and en), not in English in both; so is the error of a
model used before ``fit`` (one shared check, ``models.base.check_fitted``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from loyalscope.errors import InsufficientDataError, NotFittedError
from loyalscope.i18n import source_of, t, use_lang
from loyalscope.indices.entropy import entropy_weights
from loyalscope.models import BGNBD
from loyalscope.models.churn.churn_risk import LogisticChurnModel
from loyalscope.models.churn.cox import CoxPH
from loyalscope.models.survey.drivers import DriverAnalysis
from loyalscope.models.survey.factor_analysis import FactorAnalysis
from loyalscope.models.survey.nps import NPS
from loyalscope.models.survey.plspm import PLSPM
from loyalscope.models.survey.plspm_spec import ecsi_spec
from loyalscope.models.survey.sat_loyalty import SatLoyaltyCurve
from loyalscope.models.survey.satisfaction import csat_top2, mention_rate

CASES: dict[str, tuple[Callable[[], object], str]] = {
    "nps": (lambda: NPS().fit(np.array([], dtype=float)), "models.errors.no_nps_answers"),
    "csat": (lambda: csat_top2(np.array([], dtype=float)), "models.errors.no_answers"),
    "mention": (lambda: mention_rate(np.array([], dtype=float)), "models.errors.no_mentions"),
    "entropy": (lambda: entropy_weights(np.ones((1, 3))), "models.errors.entropy_too_few"),
    "churn": (lambda: LogisticChurnModel().fit(np.ones((6, 2)), np.zeros(6)),
              "models.errors.churn_needs_both"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_model_errors_are_catalogue_messages(case: str, lang: str) -> None:
    call, key = CASES[case]
    with use_lang(lang), pytest.raises(InsufficientDataError) as err:
        call()
    found = source_of(err.value.message)
    assert found is not None and found[0] == key, err.value.message
    assert err.value.fix and source_of(err.value.fix) is not None
    assert err.value.message == t(key, lang, **found[1])


NOT_FITTED: dict[str, tuple[Callable[[], object], str, str]] = {
    # a prediction or summary of a model that was never fitted: (call, class, learned attribute)
    "bgnbd": (lambda: BGNBD().predict_purchases(39, 2, 30.43, 38.86), "BGNBD", "params_"),
    "churn": (lambda: LogisticChurnModel().predict_proba(np.ones((3, 2))), "LogisticChurnModel",
              "coef_"),
    "cox": (lambda: CoxPH().summary(), "CoxPH", "coef_"),
    "nps": (lambda: NPS().summary(), "NPS", "nps_"),
    "sat_loyalty": (lambda: SatLoyaltyCurve().predict([1, 5]), "SatLoyaltyCurve", "curve_"),
    "drivers": (lambda: DriverAnalysis().summary(), "DriverAnalysis", "r2_"),
    "efa": (lambda: FactorAnalysis(n_factors=2).summary(), "FactorAnalysis", "loadings_"),
    "plspm": (lambda: PLSPM.from_spec(ecsi_spec()).path_dict(), "PLSPM", "path_coefs_"),
}


@pytest.mark.parametrize("case", sorted(NOT_FITTED))
def test_use_before_fit_is_a_catalogue_message_in_both_languages(case: str) -> None:
    call, name, attribute = NOT_FITTED[case]
    seen = {}
    for lang in ("zh", "en"):
        with use_lang(lang), pytest.raises(NotFittedError) as err:
            call()
        key = "models.errors.not_fitted"
        assert source_of(err.value.message) == (key, {"model": name, "missing": attribute})
        assert err.value.message == t(key, lang, model=name, missing=attribute)
        assert err.value.fix and source_of(err.value.fix) is not None
        assert err.value.fix.startswith(t(source_of(err.value.fix)[0], lang, model=name))
        seen[lang] = (err.value.message, err.value.fix)
    assert seen["zh"][0] != seen["en"][0] and seen["zh"][1] != seen["en"][1]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in seen["zh"][0] + seen["zh"][1])
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in seen["en"][0] + seen["en"][1])
    # the maximum-likelihood models can also be loaded fitted, and say so
    assert ("from_dict" in seen["en"][1]) == (case == "bgnbd")

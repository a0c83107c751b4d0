"""Errors of the models that end a report section are catalogue messages, so that the skip
reason reads in the report's language (zh and en), not in English in both."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from loyalscope.errors import InsufficientDataError
from loyalscope.i18n import source_of, t, use_lang
from loyalscope.indices.entropy import entropy_weights
from loyalscope.models.churn.churn_risk import LogisticChurnModel
from loyalscope.models.survey.nps import NPS
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

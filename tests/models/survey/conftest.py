"""Fixtures of the survey-model tests."""

from __future__ import annotations

import pandas as pd
import pytest
from survey_reference import CSEM_BLOCKS, CSEM_MODES, CSEM_PATHS

from loyalscope.models.survey.plspm import PLSPM


@pytest.fixture(scope="module")
def bank(data_dir) -> pd.DataFrame:
    """plspm's bank ``satisfaction`` data (250 respondents, ECSI items 1-10, gender)."""
    return pd.read_csv(data_dir / "ecsi_bank_satisfaction.csv", index_col=0)


@pytest.fixture(scope="module")
def csem_model(bank) -> PLSPM:
    """cSEM's README model of the bank data, consistent PLS, path scheme."""
    return PLSPM(CSEM_BLOCKS, CSEM_PATHS, modes=CSEM_MODES, scheme="path", consistent=True,
                 tol=1e-12, maxiter=500).fit(bank)

"""Fixtures of the metric tests.

A test module may override ``frames`` (its own canonical frames) and ``config`` (e.g. the
product's default, whose inactivity window comes from the data); ``make_ds``, ``ds`` and
``other_engine`` then build on the module's own."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import reference
from canonical_frames import make_frames

from loyalscope.config import AnalysisConfig
from loyalscope.data.dataset import Dataset


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return make_frames()


@pytest.fixture(scope="module")
def config() -> AnalysisConfig:
    # the reference computations use a fixed inactivity window (the product's default comes
    # from the data, see test_window.py)
    config = AnalysisConfig()
    config.analysis.inactivity_days = reference.W
    return config


@pytest.fixture(scope="module")
def make_ds(frames, config) -> Callable[..., Dataset]:
    """A new Dataset of the module's frames and config (on DuckDB unless ``con`` is given)."""

    def make(con=None) -> Dataset:
        return Dataset.from_frames(frames, config=config, con=con)

    return make


@pytest.fixture(scope="module")
def ds(make_ds) -> Dataset:
    return make_ds()


@pytest.fixture(
    scope="module",
    params=[pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow]),
            pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])],
)
def other_engine(request, make_ds):
    """The module's Dataset on Spark, then on PostgreSQL (the reference engine is DuckDB)."""
    if request.param == "spark":
        con = request.getfixturevalue("spark_con")
    else:
        from loyalscope.engine import connect

        con = connect(request.getfixturevalue("postgres_url"))
    out = make_ds(con)
    yield out
    out.release()  # temporary tables go before the server stops

"""Errors in what a user gives (a config file, a period, simulate's options) read in the
language in force and say how to fix the input: catalogue messages, not English literals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loyalscope.config import AnalysisConfig
from loyalscope.data.simulate import simulate
from loyalscope.data.simulate_changes import parse
from loyalscope.errors import ConfigError
from loyalscope.i18n import source_of, t, use_lang
from loyalscope.metrics.cohorts import _ctx


def _bad_toml(tmp: Path) -> object:
    p = tmp / "loyalscope.toml"
    p.write_text("[analysis\nmin_n = 3\n", encoding="utf-8")
    return AnalysisConfig.load(p)


CASES: dict[str, tuple[Callable[[Path], object], str]] = {
    "config_missing": (lambda tmp: AnalysisConfig.load(tmp / "nowhere.toml"),
                       "core.input_errors.config_missing"),
    "config_toml": (_bad_toml, "core.input_errors.config_toml"),
    "period": (lambda tmp: _ctx("fortnight", None), "core.input_errors.unknown_period"),
    "customers": (lambda tmp: simulate(customers=0), "core.input_errors.bad_customers"),
    "change": (lambda tmp: parse("order_drop"), "core.input_errors.unreadable_change"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_input_errors_are_catalogue_messages(case: str, lang: str, tmp_path: Path) -> None:
    call, key = CASES[case]
    with use_lang(lang), pytest.raises(ConfigError) as err:
        call(tmp_path)
    found = source_of(err.value.message)
    assert found is not None and found[0] == key, err.value.message
    assert err.value.message == t(key, lang, **found[1])
    assert err.value.fix and source_of(err.value.fix) is not None

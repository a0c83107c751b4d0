"""The i18n mirrors of bundled scheme and rule texts equal the data files."""

from __future__ import annotations

import pytest

from loyalscope.i18n import t
from loyalscope.segments.loyalty_types import load_rules as load_type_rules
from loyalscope.segments.scheme import BUILTIN, load_scheme
from loyalscope.strategy.engine import load_rules as load_strategy_rules


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_mirrors(lang: str) -> None:
    for name in BUILTIN:
        for s in load_scheme(name).segments:
            assert t(f"segments.name.{s.id}", lang) == s.name(lang)
    for r in load_type_rules():
        assert t(f"segments.loyalty_type.{r.id}", lang) == r.text(lang)
    for r in load_strategy_rules():
        assert t(f"strategy.rule.{r.id}", lang) == (r.zh if lang == "zh" else r.en)

"""Statistical models on NumPy arrays (scikit-learn conventions; see ``models/base.py``).

Layout by kind: ``purchase/`` (BTYD models, spend, sBG, CLV, model selection), ``survey/``
(PLS path models, reliability, drivers, factor analysis, NPS), ``churn/`` (churn risk) and
``numerics/`` (special functions, optimiser, grouping); ``base.py`` is the shared ``MLEModel``.
Classes are imported lazily, so ``import loyalscope.models`` stays cheap and a model whose file
has not landed yet does not break the others.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "MLEModel": "base",
    "BGNBD": "purchase.bgnbd",
    "MBGNBD": "purchase.mbgnbd",
    "ParetoNBD": "purchase.pareto_nbd",
    "BGBB": "purchase.bgbb",
    "GammaGamma": "purchase.gamma_gamma",
    "ShiftedBetaGeometric": "purchase.sbg",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"loyalscope.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'loyalscope.models' has no attribute {name!r}")

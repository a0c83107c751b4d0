"""Statistical models on NumPy arrays (scikit-learn conventions; see ``models/base.py``).

Classes are imported lazily, so ``import loyalscope.models`` stays cheap and a model whose file
has not landed yet does not break the others.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "MLEModel": "base",
    "BGNBD": "bgnbd",
    "MBGNBD": "mbgnbd",
    "ParetoNBD": "pareto_nbd",
    "BGBB": "bgbb",
    "GammaGamma": "gamma_gamma",
    "ShiftedBetaGeometric": "sbg",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"loyalscope.models.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'loyalscope.models' has no attribute {name!r}")

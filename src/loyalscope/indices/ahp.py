"""Analytic Hierarchy Process (AHP, 层次分析法): weights from pairwise comparison matrices.

For an n x n positive reciprocal matrix ``A`` (``a_ij`` = importance of i over j on Saaty's
1-9 scale, ``a_ji = 1 / a_ij``):

- weights ``w`` = principal right eigenvector of ``A``, scaled to sum to 1;
- ``lambda_max`` = its eigenvalue; consistency index ``CI = (lambda_max - n) / (n - 1)``;
- consistency ratio ``CR = CI / RI(n)`` with Saaty's random index RI (below). ``CR < 0.10``
  is acceptable; otherwise :class:`ConfigError` names the matrix. For n <= 2, CR = 0.

Reference: Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill. RI values from
Saaty (1980), table 1.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from loyalscope.errors import ConfigError
from loyalscope.i18n import t

RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49}
CR_LIMIT = 0.10


@dataclass(frozen=True)
class AHPResult:
    """Weights and consistency of one comparison matrix."""

    name: str
    items: tuple[str, ...]
    weights: np.ndarray
    lambda_max: float
    ci: float
    cr: float


def _number(x: Any) -> float:
    return float(Fraction(x)) if isinstance(x, str) else float(x)


def ahp(matrix: Any, items: list[str] | tuple[str, ...] | None = None, name: str = "matrix",
        check: bool = True) -> AHPResult:
    """Principal-eigenvector weights, CI and CR of ``matrix`` (numbers or strings like "1/3").

    Raises :class:`ConfigError` naming ``name`` when the matrix is not square, not positive,
    not reciprocal, or (with ``check``) when ``CR >= 0.10``.
    """
    a = np.array([[_number(x) for x in row] for row in matrix], dtype=float)
    n = a.shape[0]
    items = tuple(items) if items is not None else tuple(str(i + 1) for i in range(n))
    if a.ndim != 2 or a.shape != (n, n) or len(items) != n:
        raise ConfigError(t("indices.ahp.not_square", name=name), value=name,
                          fix=t("indices.ahp.not_square_fix", n=len(items)))
    if n > max(RANDOM_INDEX):
        raise ConfigError(t("indices.ahp.too_big", name=name, n=n), value=name,
                          fix=t("indices.ahp.too_big_fix"))
    if (a <= 0).any() or not np.allclose(a * a.T, 1.0, rtol=1e-3):
        raise ConfigError(t("indices.ahp.not_reciprocal", name=name), value=name,
                          fix=t("indices.ahp.not_reciprocal_fix"))
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    cr = ci / RANDOM_INDEX[n] if n > 2 else 0.0
    if check and cr >= CR_LIMIT:
        raise ConfigError(t("indices.ahp.inconsistent", name=name, cr=f"{cr:.3f}"),
                          value=name, fix=t("indices.ahp.inconsistent_fix", name=name))
    return AHPResult(name, items, w, lam, ci, cr)


def hierarchy_weights(spec: dict[str, Any], source: str = "") -> tuple[dict[str, float], list[AHPResult]]:
    """Global leaf weights of a two-level hierarchy.

    ``spec`` has ``[criteria] items, matrix`` and one ``[groups.<criterion>] items, matrix``
    per criterion; leaf weight = criterion weight x local weight. Returns (weights, results).
    """
    try:
        crit = spec["criteria"]
        top = ahp(crit["matrix"], crit["items"], "criteria")
        results = [top]
        leaves: dict[str, float] = {}
        for c, wc in zip(top.items, top.weights, strict=True):
            g = spec["groups"][c]
            res = ahp(g["matrix"], g["items"], c)
            results.append(res)
            leaves.update({i: float(wc * w) for i, w in zip(res.items, res.weights, strict=True)})
    except KeyError as exc:
        raise ConfigError(t("indices.ahp.missing", key=str(exc)), file=source or None,
                          fix=t("indices.ahp.missing_fix")) from exc
    except ConfigError as exc:
        exc.file = source or None
        raise
    return leaves, results


def load_hierarchy(path: str | Path | None = None) -> tuple[dict[str, float], list[AHPResult]]:
    """Leaf weights from an AHP file (default: the bundled ``ahp_default.toml``)."""
    if path is None:
        res = resources.files("loyalscope.indices") / "ahp_default.toml"
        return hierarchy_weights(tomllib.loads(res.read_text(encoding="utf-8")), "ahp_default.toml")
    return hierarchy_weights(tomllib.loads(Path(path).read_text(encoding="utf-8")), str(path))

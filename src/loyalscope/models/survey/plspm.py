"""PLS path modelling (PLS-PM) with Lohmöller's algorithm, as R ``plspm`` (Sanchez 2013).

Outer (measurement) model, for block ``j`` with manifests ``X_j`` and weights ``w_j``:
``Y_j = X_j w_j`` standardised. Inner estimate ``Z_j = sum_k e_jk Y_k`` over the LVs adjacent
to ``j``, with ``e_jk = sign(cor)`` (centroid), ``cor`` (factorial) or regression / correlation
(path). Mode A updates ``w_j = X_j' Z_j / n``; mode B regresses ``Z_j`` on ``X_j``. The loop stops
when ``sum((|w_old| - |w_new|)^2) < tol``. Path coefficients are OLS of each endogenous LV
score on its predecessors; GoF = sqrt(mean communality x mean R^2) (Tenenhaus et al. 2004).

Consistent PLS. With ``consistent="auto"`` (the default) a model whose blocks are all mode A
(reflective, common factors) is estimated by PLSc (Dijkstra & Henseler 2015, see
:mod:`loyalscope.models.survey.plsc`), as SmartPLS users choose for reflective models: the path
coefficients, R squared, loadings and effects are the consistent ones, and the plain PLS values
stay beside them (``path_coefs_pls_``, ``r2_pls_``, ``loadings_pls_``). ``consistent=True``
corrects the mode A blocks of a model that also has mode B composites (cSEM's ``=~`` and ``<~``);
``False`` gives plain PLS (R plspm's results).

Example
-------
>>> import pandas as pd
>>> from loyalscope.models.survey.plspm import PLSPM
>>> from loyalscope.models.survey.plspm_spec import ecsi_spec
>>> spec = ecsi_spec()                       # plspm's bank data model, scaled = FALSE
>>> data = pd.read_csv("tests/data/ecsi_bank_satisfaction.csv")  # doctest: +SKIP
>>> PLSPM.from_spec(spec).fit(data).gof_     # doctest: +SKIP
0.6097416...

References
----------
Lohmöller, J.-B. (1989). Latent Variable Path Modeling with Partial Least Squares.
Sanchez, G. (2013). PLS Path Modeling with R. Trowchez Editions.
Fornell, C. et al. (1996). The American Customer Satisfaction Index. J. Marketing 60(4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from loyalscope.errors import ConfigError, ConvergenceError, LoyalscopeError
from loyalscope.i18n import t
from loyalscope.models.base import check_fitted
from loyalscope.models.survey.plsc import consistent
from loyalscope.models.survey.plspm_core import (
    Estimates,
    WeightsResult,
    cross_product,
    estimate,
    outer_weights,
    total_effects,
    treat_cov,
    treat_data,
)
from loyalscope.models.survey.plspm_spec import ModelSpec, check_columns, parse_path, validate_spec


class NegativeWeightError(LoyalscopeError):
    """An outer weight is negative, so the 0-100 index (Fornell's formula) is undefined."""


class PLSPM:
    """Partial least squares path model.

    Parameters
    ----------
    blocks : mapping of str to list of str
        Latent variable -> manifest columns.
    paths : sequence of str or (str, str)
        Inner paths, ``"A -> B"`` or ``("A", "B")``.
    modes : mapping of str to {"A", "B"}, optional
        Measurement mode per block (default "A", reflective).
    scheme : {"centroid", "factorial", "path"}
        Inner weighting scheme.
    scaled : bool
        Standardise manifests (True) or only centre them (False, plspm ``scaled = FALSE``).
        Either way the outer weights are normalised so that the LV scores have unit variance.
    tol, maxiter : float, int
        Convergence control of the outer-weight iterations.
    consistent : {"auto", True, False}
        PLSc for the mode A blocks: "auto" when every block is mode A (see the module docstring).

    Attributes
    ----------
    path_coefs_ : DataFrame, ``[target, source]`` direct effect (0 where there is no path)
    outer_weights_, loadings_, communality_, redundancy_ : Series indexed by manifest
    cross_loadings_ : DataFrame manifest x LV
    r2_ : Series of the endogenous LVs
    gof_ : float
    total_effects_, indirect_effects_ : DataFrame ``[target, source]``
    scores_ : DataFrame respondent x LV (mean 0, population variance 1)
    n_iter_ : int
    consistent_ : bool, whether PLSc was used
    rho_a_ : Series, Dijkstra-Henseler's rho_A of every mode A block (1 for one indicator; NaN for mode B)
    construct_corr_ : DataFrame, construct correlations (disattenuated under PLSc)
    admissible_ : bool, reliabilities and |loadings| <= 1 and construct correlations positive definite
    path_coefs_pls_, r2_pls_, loadings_pls_ : the plain PLS estimates (equal to the above without PLSc)
    """

    def __init__(self, blocks: Mapping[str, Sequence[str]], paths: Sequence[str | tuple[str, str]],
                 modes: Mapping[str, str] | None = None, scheme: str = "centroid", scaled: bool = True,
                 tol: float = 1e-6, maxiter: int = 100, consistent: bool | str = "auto") -> None:
        self.blocks = blocks
        self.paths = paths
        self.modes = modes
        self.scheme = scheme
        self.scaled = scaled
        self.tol = tol
        self.maxiter = maxiter
        self.consistent = consistent

    @classmethod
    def from_spec(cls, spec: ModelSpec, **kw: Any) -> PLSPM:
        """Build an unfitted model from a :class:`ModelSpec`."""
        kw.setdefault("consistent", spec.consistent)
        return cls(spec.blocks, spec.paths, modes=spec.modes, scheme=spec.scheme, scaled=spec.scaled, **kw)

    def spec(self) -> ModelSpec:
        """The validated :class:`ModelSpec` of the constructor settings."""
        paths = [parse_path(p) if isinstance(p, str) else (p[0], p[1]) for p in self.paths]
        return ModelSpec({k: list(v) for k, v in self.blocks.items()}, paths, dict(self.modes or {}),
                         self.scheme, bool(self.scaled))

    def _setup(self) -> None:
        spec = self.spec()
        self._path = validate_spec(spec)
        self._lvs = list(spec.blocks)
        self._mvs = [c for cols in spec.blocks.values() for c in cols]
        self._odm = np.zeros((len(self._mvs), len(self._lvs)))
        row = 0
        for j, cols in enumerate(spec.blocks.values()):
            self._odm[row:row + len(cols), j] = 1
            row += len(cols)
        self._modes = [spec.modes.get(lv, "A") for lv in self._lvs]
        self._edges = [(a, b) for a, b in spec.paths]
        if self.consistent not in ("auto", True, False):
            raise ConfigError(t("survey_model.errors.consistent", value=self.consistent),
                              fix=t("survey_model.errors.consistent_fix"), value=str(self.consistent))
        use = all(m == "A" for m in self._modes) if self.consistent == "auto" else bool(self.consistent)
        self._common = np.array([use and m == "A" for m in self._modes])

    def _matrix(self, data: pd.DataFrame) -> np.ndarray:
        if not isinstance(data, pd.DataFrame):
            raise ConfigError(t("survey_model.errors.not_frame"), fix=t("survey_model.errors.not_frame_fix"))
        check_columns(self.spec(), list(data.columns))
        x = data[self._mvs].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        bad = np.isnan(x).any(axis=0)
        if bad.any():
            col = self._mvs[int(np.flatnonzero(bad)[0])]
            raise ConfigError(t("survey_model.errors.missing_values", col=col),
                              fix=t("survey_model.errors.missing_values_fix"), column=col)
        return x

    def fit_moments(self, cov: np.ndarray) -> tuple[Estimates, WeightsResult]:
        """Fit the model to a stack of raw covariance matrices ``(B, p, p)`` (population, divisor n).

        PLS-PM and PLSc depend on the data only through this matrix (see
        :mod:`loyalscope.models.survey.plspm_core`), so a bootstrap resample is a ``p x p``
        problem. Returns (Estimates without scores, WeightsResult); under PLSc the estimates'
        ``path_coefs``, ``r2``, ``loadings`` and ``lv_corr`` are the consistent ones,
        ``est.pls`` keeps the plain PLS ones and ``est.plsc`` the
        :class:`~loyalscope.models.survey.plsc.Consistent` result (rho_A, admissibility).
        """
        return self._fit_treated(treat_cov(cov, self.scaled))

    def _fit_treated(self, cov: np.ndarray) -> tuple[Estimates, WeightsResult]:
        res = outer_weights(cov, self._odm, self._path, self._modes, self.scheme, self.tol, self.maxiter)
        est = estimate(cov, res.w, self._odm, self._path)
        pc = consistent(cov, est.weights, est.lv_corr, est.loadings, self._odm, self._path, self._common)
        est.pls = (est.path_coefs, est.r2, est.loadings)
        est.plsc = pc
        if self._common.any():
            est.path_coefs, est.r2, est.loadings, est.lv_corr = pc.path_coefs, pc.r2, pc.loadings, pc.construct_corr
        return est, res

    def fit_stack(self, raw: np.ndarray) -> tuple[Estimates, WeightsResult]:
        """Fit the model to a stack of raw data sets ``(B, n, p)``; returns (Estimates, WeightsResult).

        As :meth:`fit_moments` on the data's covariance matrices, plus the LV scores
        ``est.scores`` (B, n, L) of the respondents.
        """
        x = treat_data(raw, self.scaled)
        est, res = self._fit_treated(cross_product(x))
        est.scores = x @ est.weights
        return est, res

    def fit(self, X: pd.DataFrame, y: None = None) -> PLSPM:
        """Estimate the model on the manifest columns of ``X`` (respondents in rows)."""
        self._setup()
        raw = self._matrix(X)
        if raw.shape[0] < 3:
            raise ConfigError(t("survey_model.errors.too_few", n=raw.shape[0]), fix=t("survey_model.errors.too_few_fix"))
        est, res = self.fit_stack(raw[None])
        if not res.converged[0]:
            raise ConvergenceError(t("survey_model.errors.no_convergence", maxiter=self.maxiter, tol=self.tol),
                                   fix=t("survey_model.errors.no_convergence_fix"))
        self._raw_ = raw
        self._resample_cache_: dict[tuple[int, int], np.ndarray] = {}  # see plspm_bootstrap
        lvs, mvs = self._lvs, self._mvs
        self.n_iter_ = int(res.iterations[0])
        self.outer_weights_ = pd.Series((est.weights[0] * self._odm).sum(axis=1), index=mvs, name="weight")
        self.loadings_ = pd.Series(est.loadings[0], index=mvs, name="loading")
        self.cross_loadings_ = pd.DataFrame(est.cross_loadings[0], index=mvs, columns=lvs)
        self.communality_ = (self.loadings_ ** 2).rename("communality")
        r2_all = pd.Series(est.r2[0], index=lvs)
        lv_of = pd.Series([lvs[j] for j in self._odm.argmax(axis=1)], index=mvs)
        self.redundancy_ = (self.communality_ * r2_all[lv_of].fillna(0).to_numpy()).rename("redundancy")
        self.r2_ = r2_all.dropna().rename("r2")
        self.gof_ = float(est.gof[0])
        self.path_coefs_ = pd.DataFrame(est.path_coefs[0], index=lvs, columns=lvs)
        total = total_effects(est.path_coefs[0])
        self.total_effects_ = pd.DataFrame(total, index=lvs, columns=lvs)
        self.indirect_effects_ = self.total_effects_ - self.path_coefs_
        assert est.scores is not None
        self.scores_ = pd.DataFrame(est.scores[0], index=X.index, columns=lvs)
        self.lv_of_ = lv_of
        assert est.pls is not None and est.plsc is not None
        pls_coefs, pls_r2, pls_loadings = est.pls
        self.consistent_ = bool(self._common.any())
        self.path_coefs_pls_ = pd.DataFrame(pls_coefs[0], index=lvs, columns=lvs)
        self.r2_pls_ = pd.Series(pls_r2[0], index=lvs).dropna().rename("r2")
        self.loadings_pls_ = pd.Series(pls_loadings[0], index=mvs, name="loading")
        mode_a = np.array([m == "A" for m in self._modes])
        self.rho_a_ = pd.Series(np.where(mode_a, est.plsc.rho_a[0], np.nan), index=lvs, name="rho_a")
        self.construct_corr_ = pd.DataFrame(est.lv_corr[0], index=lvs, columns=lvs)
        self.admissible_ = bool(est.plsc.admissible[0]) if self.consistent_ else True
        return self

    def _check(self) -> None:
        check_fitted(self, "path_coefs_")

    def path_dict(self) -> dict[str, float]:
        """Direct path coefficients as ``{"A -> B": value}`` in spec order."""
        self._check()
        return {f"{a} -> {b}": float(self.path_coefs_.loc[b, a]) for a, b in self._edges}

    def summary(self) -> pd.DataFrame:
        """One row per inner path: direct, indirect and total effect, and the plain PLS direct effect
        (``direct_pls``, equal to ``direct`` without PLSc)."""
        self._check()
        rows = [{"path": f"{a} -> {b}", "source": a, "target": b, "direct": self.path_coefs_.loc[b, a],
                 "indirect": self.indirect_effects_.loc[b, a], "total": self.total_effects_.loc[b, a],
                 "direct_pls": self.path_coefs_pls_.loc[b, a]}
                for a, b in self._edges]
        return pd.DataFrame(rows).set_index("path")

    def block_summary(self) -> pd.DataFrame:
        """One row per LV: mode, indicators, R squared, mean communality and redundancy."""
        self._check()
        rows = []
        for j, lv in enumerate(self._lvs):
            mvs = self.lv_of_.index[self.lv_of_ == lv]
            rows.append({"lv": lv, "mode": self._modes[j], "n_items": len(mvs),
                         "r2": self.r2_.get(lv, np.nan), "communality": self.communality_[mvs].mean(),
                         "redundancy": self.redundancy_[mvs].mean()})
        return pd.DataFrame(rows).set_index("lv")

    def index(self, scale_min: float | None = None, scale_max: float | None = None,
              errors: str = "raise") -> pd.Series:
        """Customer satisfaction indices on 0-100 (Fornell et al. 1996).

        The unstandardised outer weights of each block (``w / sd(x)`` when the data were
        standardised) are rescaled to sum to 1, and
        ``index = (sum_i w_i mean(x_i) - min) / (max - min) x 100`` on the raw item scale
        ``[scale_min, scale_max]`` (default: the smallest and largest value of all manifests).
        With ``errors="coerce"`` a block with a negative weight gets NaN instead of an error.

        Raises
        ------
        NegativeWeightError
            If an outer weight is negative (the rescaling would not be a weighted mean).
        """
        self._check()
        raw = self._raw_
        lo = float(raw.min()) if scale_min is None else float(scale_min)
        hi = float(raw.max()) if scale_max is None else float(scale_max)
        if not hi > lo:
            raise ConfigError(t("survey_model.errors.bad_scale", lo=lo, hi=hi), fix=t("survey_model.errors.bad_scale_fix"))
        w = self.outer_weights_.to_numpy()
        if self.scaled:
            w = w / raw.std(axis=0)
        means = raw.mean(axis=0)
        out = {}
        for lv in self._lvs:
            sel = (self.lv_of_ == lv).to_numpy()
            if (w[sel] < 0).any():
                if errors == "coerce":
                    out[lv] = float("nan")
                    continue
                col = self.outer_weights_.index[sel][int(np.argmin(w[sel]))]
                raise NegativeWeightError(t("survey_model.errors.negative_weight", lv=lv, col=col),
                                          fix=t("survey_model.errors.negative_weight_fix"), column=col,
                                          value=float(self.outer_weights_[col]))
            ws = w[sel] / w[sel].sum()
            out[lv] = (float(ws @ means[sel]) - lo) / (hi - lo) * 100
        return pd.Series(out, name="index")

    def bootstrap(self, n_boot: int = 1000, seed: int | None = None, level: float = 0.95,
                  bca: bool = True) -> pd.DataFrame:
        """Bootstrap CIs (percentile and BCa); see :func:`loyalscope.models.survey.plspm_bootstrap.bootstrap`."""
        from loyalscope.models.survey.plspm_bootstrap import bootstrap

        self._check()
        self.bootstrap_ = bootstrap(self, n_boot=n_boot, seed=seed, level=level, bca=bca)
        return self.bootstrap_

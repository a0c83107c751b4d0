"""Distinct ``(x, t_x, T)`` rows as codes into small tables of distinct values.

The BG/NBD and Pareto/NBD log-likelihoods are weighted sums over customers, and customers with
the same ``(x, t_x, T)`` contribute the same term, so the fit only needs the distinct rows and
their counts. Summaries from daily transaction data have few distinct values per column (a few
hundred ``x``, one ``t_x`` and ``T`` per day), so every distinct row is also stored as three
integer codes into the tables of distinct ``x``, ``t_x`` and ``T``. A likelihood can then
compute the terms that depend on one column only (``gammaln(r + x)``, ``log(alpha + T)``) once
per distinct value and gather them, and the terms that depend on ``(x, tau)`` once per distinct
pair (:meth:`Grouped.pairs`).

Grouping is hash based (``pandas.factorize`` on each column, then on a packed integer key), so
it takes O(n) time: about 50 ms for a million customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DistinctRows", "Grouped", "distinct_customer_rows", "distinct_rows", "group_rows"]


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(values, sort=False)
    return codes.astype(np.intp, copy=False), np.asarray(uniques, dtype=float)


@dataclass(frozen=True)
class Grouped:
    """Distinct ``(x, t_x, T)`` rows with their total weights.

    Attributes
    ----------
    x, tx, T, weights : ndarray
        One value per distinct row.
    ux, utx, uT : ndarray
        Tables of the distinct values of each column.
    ix, itx, iT : ndarray of int
        Codes of each distinct row into those tables (``x == ux[ix]``).
    """

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    weights: np.ndarray
    ux: np.ndarray
    utx: np.ndarray
    uT: np.ndarray
    ix: np.ndarray
    itx: np.ndarray
    iT: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __iter__(self):
        """Unpacks as ``x, t_x, T`` (the distinct rows), like the tuple of arrays it replaces."""
        return iter(self.data)

    @property
    def data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct rows as ``(x, t_x, T)``."""
        return self.x, self.tx, self.T

    @property
    def size(self) -> int:
        return int(self.weights.size)

    def by_x(self, values: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights * values`` (``weights`` when None) over the rows of each distinct x."""
        w = self.weights if values is None else self.weights * values
        return np.bincount(self.ix, weights=w, minlength=self.ux.size)

    def by_T(self, values: np.ndarray | None = None) -> np.ndarray:
        """Sum of ``weights * values`` (``weights`` when None) over the rows of each distinct T."""
        w = self.weights if values is None else self.weights * values
        return np.bincount(self.iT, weights=w, minlength=self.uT.size)

    def cached(self, name: str, make: Callable[[], Any]) -> Any:
        """A parameter-free aggregate, computed on first use (the rows never change)."""
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def pairs(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct ``(x, tau)`` pairs, ``tau`` = ``"tx"`` or ``"T"``: ``(x, tau, codes)``.

        ``codes`` maps every distinct row to its pair, so a term ``f(x, tau)`` computed on the
        pairs is gathered as ``f_pairs[codes]``.
        """

        def make():
            itau, utau = (self.itx, self.utx) if which == "tx" else (self.iT, self.uT)
            codes, keys = _factorize(self.ix.astype(np.int64) * utau.size + itau)
            keys = keys.astype(np.int64)
            return self.ux[keys // utau.size], utau[keys % utau.size], codes

        return self.cached("pairs_" + which, make)


def group_rows(x: np.ndarray, tx: np.ndarray, T: np.ndarray, weights: np.ndarray) -> Grouped:
    """Group identical ``(x, t_x, T)`` rows, adding up their weights; zero weights are dropped.

    Parameters
    ----------
    x, tx, T : ndarray
        Validated, equally long float arrays.
    weights : ndarray
        Non-negative counts of each row.

    Returns
    -------
    Grouped
        Distinct rows in order of first appearance, with codes into the distinct values.
    """
    if not np.all(weights > 0):
        keep = weights > 0
        x, tx, T, weights = x[keep], tx[keep], T[keep], weights[keep]
    (cx, ux), (ct, utx), (cT, uT) = (_factorize(v) for v in (x, tx, T))
    if ux.size * utx.size * uT.size < 2**62:
        key = (cx.astype(np.int64) * utx.size + ct) * uT.size + cT
        rows, first = _factorize(key)
        first = first.astype(np.int64)
        ix, rest = np.divmod(first, utx.size * uT.size)
        itx, iT = np.divmod(rest, uT.size)
    else:  # too many distinct values for a packed key: sort the code triples instead
        uniq, rows = np.unique(np.column_stack([cx, ct, cT]), axis=0, return_inverse=True)
        ix, itx, iT = uniq.T
        rows = rows.ravel()
    w = np.bincount(rows, weights=weights, minlength=ix.size)
    ix, itx, iT = (np.ascontiguousarray(c, dtype=np.intp) for c in (ix, itx, iT))
    return Grouped(ux[ix], utx[itx], uT[iT], w, ux, utx, uT, ix, itx, iT)


def distinct_rows(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows of equally long 1-d columns, and the index of each row's distinct row.

    ``f(*distinct)[inverse]`` equals ``f(*columns)`` for any row-wise ``f``: predictions on customer
    summaries (few distinct ``(x, t_x, T)`` triples) are computed once per distinct row. Hash
    based like :func:`group_rows` (``pandas.factorize`` per column, then on the packed codes).
    """
    codes, uniques = zip(*(_factorize(np.asarray(c)) for c in columns), strict=True)
    sizes = [u.size for u in uniques]
    if float(np.prod([float(s) for s in sizes])) >= 2**62:  # too many for a packed key
        stacked = np.column_stack(columns)
        uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
        return tuple(uniq.T), inverse.ravel()
    key = np.zeros(codes[0].size, dtype=np.int64)
    for c, s in zip(codes, sizes, strict=True):
        key = key * s + c
    inverse, keys = _factorize(key)
    keys = keys.astype(np.int64)
    out = []
    for u, s in zip(reversed(uniques), reversed(sizes), strict=True):
        keys, c = np.divmod(keys, s)
        out.append(u[c])
    return tuple(reversed(out)), inverse


@dataclass(frozen=True)
class DistinctRows:
    """Customers' ``(x, t_x, T)`` (and any further columns) as distinct rows with counts.

    The compressed sufficient statistics of the transaction models: a fit on ``(x, t_x, T)``
    with ``counts`` as weights is the fit on every customer (the log-likelihood is a weighted
    sum), and a prediction computed once per distinct row is gathered for the customers with
    ``values[inverse]``. Rows are in order of first appearance (as :func:`group_rows` orders
    them), so a fit on these rows groups them exactly as a fit on the customers would and
    gives the same numbers to the last bit.

    Attributes
    ----------
    columns : tuple of ndarray
        One float array per column, one value per distinct row (``x, t_x, T`` first).
    counts : ndarray
        Customers per distinct row (float, for use as weights).
    inverse : ndarray of int
        Each customer's distinct row: ``columns[k][inverse]`` is the k-th input column.
    """

    columns: tuple[np.ndarray, ...]
    counts: np.ndarray
    inverse: np.ndarray

    @property
    def x(self) -> np.ndarray:
        return self.columns[0]

    @property
    def tx(self) -> np.ndarray:
        return self.columns[1]

    @property
    def T(self) -> np.ndarray:
        return self.columns[2]

    @property
    def xtT(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(x, t_x, T)`` of the distinct rows, the arguments of the models' methods."""
        return self.columns[0], self.columns[1], self.columns[2]

    @property
    def size(self) -> int:
        return int(self.counts.size)


def distinct_customer_rows(*columns: Any) -> DistinctRows:
    """:class:`DistinctRows` of equally long per-customer columns (as float64), hash based
    (:func:`distinct_rows`), in O(n)."""
    cols = [np.ascontiguousarray(np.asarray(c, dtype=float).ravel()) for c in columns]
    rows, inverse = distinct_rows(*cols)
    counts = np.bincount(inverse, minlength=rows[0].size).astype(float)
    return DistinctRows(tuple(np.asarray(r, dtype=float) for r in rows), counts, inverse)

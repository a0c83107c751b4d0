"""Covariance matrices of many reweighted copies of one data set: bootstrap resamples, jackknife
samples and the groups of a permutation test, without building the copies.

A resample of the rows of ``X`` (n, p) is described by its counts ``c`` (how often each row was
drawn, summing to ``m``). Its covariance (population, divisor ``m``) is::

    mean = X' c / m,     cov = X' diag(c) X / m - mean mean'

For ``K`` resamples at once the counts form a ``(K, n)`` matrix and all the sums are one matrix
product ``counts @ P`` with ``P`` the ``(n, p(p+1)/2 + p)`` matrix of the row products
``x_i x_j`` (``i <= j``) and the rows themselves. ``X`` is first centred on its full-sample mean,
so the subtraction of ``mean mean'`` loses no precision. The work is ``O(K n p^2)`` in a few
large BLAS products, and the memory is bounded by the blocks: counts are kept as small
integers, and ``P`` and the float copy of the counts are built one block of rows at a time
(about ``BLOCK_CELLS`` cells each), never a ``K x n x p`` array.

Leave-one-out (jackknife) covariances use the full sums minus one row's products.

Reference: Efron, B. & Tibshirani, R. J. (1993). An Introduction to the Bootstrap, ch. 6
(the bootstrap as a reweighting of the empirical distribution).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_CELLS = 4_000_000
"""Float cells of one block of row products or of converted counts (about 32 MB)."""

DRAW_CELLS = 1_000_000
"""Row indices drawn at once (int64: about 8 MB) before they become counts."""

COUNT_CELLS = 32_000_000
"""Count cells kept at once (``uint8``: about 32 MB); sizes the batches of resamples."""


class Moments:
    """Weighted covariances of the rows of ``raw`` (n, p).

    Parameters
    ----------
    raw : ndarray (n, p)
        The data, respondents in rows.
    """

    def __init__(self, raw: np.ndarray) -> None:
        x = np.asarray(raw, dtype=float)
        self.xt = np.ascontiguousarray((x - x.mean(axis=0)).T)  # centred, one item per row
        self.p, self.n = self.xt.shape
        self.iu, self.ju = np.triu_indices(self.p)
        self.width = self.iu.size + self.p
        self._total: np.ndarray | None = None

    def batch_size(self) -> int:
        """How many resamples' counts fit in :data:`COUNT_CELLS`."""
        return max(1, COUNT_CELLS // self.n)

    def _products(self, start: int, stop: int) -> np.ndarray:
        """Row products ``x_i x_j`` (i <= j) and the rows, for rows ``start..stop``: (width, R).

        Built feature-major (each product a contiguous row) from the transposed data: three
        times faster than writing strided columns; the matrix products take its transpose.
        """
        rows = self.xt[:, start:stop]
        out = np.empty((self.width, rows.shape[1]))
        col = 0
        for i in range(self.p):  # row-major upper triangle, as triu_indices; no gathered copies
            np.multiply(rows[i], rows[i:], out=out[col:col + self.p - i])
            col += self.p - i
        out[col:] = rows
        return out

    def sums(self, counts: np.ndarray) -> np.ndarray:
        """Weighted sums (K, width) of the row products for ``counts`` (K, n) of any numeric type."""
        k = counts.shape[0]
        out = np.zeros((k, self.width))
        step = max(1, BLOCK_CELLS // max(k, self.width))
        for start in range(0, self.n, step):
            stop = min(self.n, start + step)
            out += counts[:, start:stop].astype(float) @ self._products(start, stop).T
        return out

    def total(self) -> np.ndarray:
        """Sums (width,) of the row products over all rows."""
        if self._total is None:
            self._total = np.zeros(self.width)
            step = max(1, BLOCK_CELLS // self.width)
            for s in range(0, self.n, step):
                self._total += self._products(s, min(self.n, s + step)).sum(axis=1)
        return self._total

    def cov(self, sums: np.ndarray, total: np.ndarray | float) -> np.ndarray:
        """Covariances (K, p, p) from summed products (K, width) over ``total`` rows (scalar or (K,))."""
        s = sums / np.broadcast_to(np.asarray(total, dtype=float), sums.shape[:1])[:, None]
        mean = s[:, self.iu.size:]
        upper = s[:, :self.iu.size] - mean[:, self.iu] * mean[:, self.ju]
        cov = np.empty((s.shape[0], self.p, self.p))
        cov[:, self.iu, self.ju] = upper
        cov[:, self.ju, self.iu] = upper
        return cov

    def weighted(self, counts: np.ndarray, total: np.ndarray | float | None = None) -> np.ndarray:
        """Covariances (K, p, p) of ``K`` reweighted copies, ``counts`` (K, n) of any numeric type.

        ``total`` is each copy's number of rows (default: the row sums of ``counts``).
        """
        if total is None:
            total = counts.sum(axis=1, dtype=float)
        return self.cov(self.sums(counts), total)

    def leave_one_out(self, start: int, stop: int) -> np.ndarray:
        """Covariances (stop - start, p, p) of the data without row ``i``, for ``i`` in ``start..stop``."""
        return self.cov(self.total()[None, :] - self._products(start, stop).T, self.n - 1.0)

    def jackknife(self) -> Iterator[np.ndarray]:
        """Leave-one-out covariances in blocks of rows, in row order."""
        step = max(1, BLOCK_CELLS // (self.p * self.p))
        for start in range(0, self.n, step):
            yield self.leave_one_out(start, min(self.n, start + step))


def counts_of(draws: np.ndarray, n: int) -> np.ndarray:
    """Counts (K, n) of the row indices ``draws`` (K, m), in the smallest unsigned integer type."""
    k = draws.shape[0]
    flat = (draws + (np.arange(k, dtype=np.int64) * n)[:, None]).ravel()
    counts = np.bincount(flat, minlength=k * n).reshape(k, n)
    del flat
    return counts.astype(np.min_scalar_type(int(counts.max(initial=0))))


def bootstrap_counts(rng: np.random.Generator, n: int, n_boot: int, batch: int) -> Iterator[np.ndarray]:
    """Counts of ``n_boot`` bootstrap resamples of ``n`` rows, ``batch`` resamples at a time.

    The draws are ``rng.integers(0, n, size=(n_boot, n))`` row after row (generated a few rows
    at a time, which gives the same numbers), so a loop of refits on ``data[draws[b]]`` with the
    same seed reproduces every resample.
    """
    rows = max(1, DRAW_CELLS // max(n, 1))
    for start in range(0, n_boot, batch):
        stop = min(n_boot, start + batch)
        counts = np.zeros((stop - start, n), dtype=np.uint8)
        for s in range(start, stop, rows):
            part = counts_of(rng.integers(0, n, size=(min(stop, s + rows) - s, n)), n)
            if part.dtype.itemsize > counts.dtype.itemsize:
                counts = counts.astype(part.dtype)
            counts[s - start:s - start + part.shape[0]] = part
        yield counts

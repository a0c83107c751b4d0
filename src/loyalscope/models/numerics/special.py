"""Log-space special functions for the BTYD likelihoods.

The Gauss hypergeometric function

.. math:: {}_2F_1(a, b; c; z) = \\sum_{n \\ge 0} \\frac{(a)_n (b)_n}{(c)_n\\, n!} z^n

appears in the Pareto/NBD likelihood with ``a`` in the thousands when a customer has thousands
of purchases, where the value itself overflows a double. Everything here therefore works with
``log 2F1``: after Pfaff or Euler transformations that give a series of positive terms with the
smallest numerator parameters, the series is summed in blocks in log space (a running
log-sum-exp) and stops on a bound of the remaining tail. ``2F1(1, b; c; z)`` with ``c >= b``,
the form the Pareto/NBD likelihood is rewritten into, has terms that start at 1 and fall, so it
takes a fast path summed in linear space (no overflow possible, the sum is at least 1). SciPy's ``hyp2f1`` is used only as a
fallback for arguments so close to 1 that the series would need more than ``MAX_TERMS`` terms.

Reference: Abramowitz & Stegun (1972), 15.1.1 (series), 15.3.4-15.3.5 (Pfaff), 15.3.3 (Euler).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = ["log_hyp2f1", "log_hyp2f1_series"]

#: Terms summed per vectorised block.
BLOCK = 128
#: Largest number of series terms before falling back to ``scipy.special.hyp2f1``.
MAX_TERMS = 200_000
_LOG_EPS = np.log(1e-17)
#: Terms of the unit-a series (the BTYD path) after which the integral form takes over.
INTEGRAL_AFTER = 2048
#: Terms summed between convergence checks in the fast path.
_CHECK_EVERY = 8
#: Terms summed term by term before switching to blocks (z near 1).
_LOOP_TERMS = 64


def log_hyp2f1_series(
    a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike, *, grad: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``log 2F1(a, b; c; z)`` by its power series, in log space.

    Parameters
    ----------
    a, b, c : array_like
        Positive real parameters (broadcast together with ``z``).
    z : array_like
        Argument with ``0 <= z < 1``; all terms of the series are then positive.
    grad : bool
        Also return the partial derivatives of ``log 2F1`` with respect to ``a``, ``b``, ``c``
        and ``z``, summed term by term alongside the value:
        ``d log t_n / d a = sum_{k<n} 1 / (a + k)``, likewise ``b`` and ``-c``, and ``n / z``.

    Returns
    -------
    ndarray, or a tuple ``(value, d_a, d_b, d_c, d_z)`` when ``grad`` is true.

    Notes
    -----
    Convergence: once the term ratio ``q_n = (a+n)(b+n) z / ((c+n)(n+1))`` is below 1, the tail
    after term ``n`` is at most ``t_n q / (1 - q)`` with ``q = max(q_n, z)`` (the ratio tends to
    ``z`` monotonically for large ``n``); summation stops when that bound (times ``n + 1/(1-q)``
    for the derivative sums) is below ``1e-17`` of the sum. With ``a = 1`` (the BTYD models),
    elements still far from converged after ``INTEGRAL_AFTER`` terms are evaluated from an
    integral (:func:`_integral_unit_a`), accurate to about 1e-10. Otherwise, elements that do
    not converge within ``MAX_TERMS`` terms (``z`` within about ``1e-5`` of 1 with a slowly
    decaying series) take
    SciPy's value where it is finite and positive, else the midpoint of the partial sum and its
    geometric tail bound (an approximation, not accurate to 1e-10); their derivatives are those
    of the partial sums. The BTYD models meet this only at extreme trial parameters.
    """
    a, b, c, z = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(a, b, c, z))
    shape = a.shape
    a, b, c, z = (v.ravel() for v in (a, b, c, z))
    if np.all(a == 1.0) and np.all(c >= b) and np.all((z >= 0) & (z < 1)):
        out = _series_unit_a(b, c, z, grad)
        if not grad:
            return out[0].reshape(shape)
        value, d_a, d_b, d_c, d_z = (v.reshape(shape) for v in out)
        return value, d_a, d_b, d_c, d_z
    m = a.size
    log_s = np.zeros(m)  # log of the running sum; t_0 = 1
    log_t = np.zeros(m)  # log of the last term summed
    # derivative accumulators: sum of t_n * dlog t_n / dp, stored relative to exp(log_s)
    d_acc = np.zeros((4, m))
    cum = np.zeros((3, m))  # running sums of 1/(a+k), 1/(b+k), 1/(c+k) for k < n
    with np.errstate(divide="ignore"):
        log_z = np.log(z)
    active = np.flatnonzero(z > 0)
    n0 = 0
    k = np.arange(BLOCK, dtype=float)
    while active.size and n0 < MAX_TERMS:
        aa, bb, cc = a[active, None], b[active, None], c[active, None]
        n = n0 + k[None, :]  # ratio t_{n+1} / t_n for n = n0 .. n0 + BLOCK - 1
        log_ratio = (
            np.log(aa + n) + np.log(bb + n) - np.log(cc + n) - np.log1p(n) + log_z[active, None]
        )
        lt = log_t[active, None] + np.cumsum(log_ratio, axis=1)  # log t_{n+1}
        block_max = lt.max(axis=1)
        top = np.maximum(block_max, log_s[active])
        w = np.exp(lt - top[:, None])
        new_log_s = top + np.log(np.exp(log_s[active] - top) + w.sum(axis=1))
        if grad:
            inv = np.stack([1.0 / (aa + n), 1.0 / (bb + n), -1.0 / (cc + n)])
            dlog = cum[:, active, None] + np.cumsum(inv, axis=2)  # dlog t_{n+1} / d(a, b, c)
            scale_old = np.exp(log_s[active] - new_log_s)
            w_new = np.exp(lt - new_log_s[:, None])
            d_acc[:3, active] = d_acc[:3, active] * scale_old + (dlog * w_new).sum(axis=2)
            d_acc[3, active] = d_acc[3, active] * scale_old + ((n + 1.0) * w_new).sum(axis=1)
            cum[:, active] = dlog[:, :, -1]
        log_s[active] = new_log_s
        log_t[active] = lt[:, -1]
        n_last = n0 + BLOCK
        q_n = np.exp(log_ratio[:, -1])  # ratio at the last term, ~ next ratio
        q = np.maximum(q_n, z[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            bound = lt[:, -1] + np.log(q) - np.log1p(-q) + np.log(n_last + 1.0 / (1.0 - q))
        done = (q < 1.0) & (bound - new_log_s < _LOG_EPS)
        active = active[~done]
        n0 = n_last
    if active.size:  # not converged within MAX_TERMS terms: z extremely close to 1
        fallback = special.hyp2f1(a[active], b[active], c[active], z[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.clip(z[active], 0.0, 1.0 - 1e-16)
            # midpoint of the partial sum (lower bound) and partial + t_N q / (1 - q) (upper)
            tail = log_t[active] + np.log(q) - np.log1p(-q) - np.log(2.0)
            approx = np.logaddexp(log_s[active], tail)
            log_s[active] = np.where(fallback > 0, np.log(fallback), approx)
    value = log_s.reshape(shape)
    if not grad:
        return value
    d_z = np.where(z > 0, d_acc[3] / np.where(z > 0, z, 1.0), a * b / c)
    return (
        value,
        d_acc[0].reshape(shape),
        d_acc[1].reshape(shape),
        d_acc[2].reshape(shape),
        d_z.reshape(shape),
    )


def log_hyp2f1(a: ArrayLike, b: ArrayLike, c: ArrayLike, z: ArrayLike) -> np.ndarray:
    """Natural log of the Gauss hypergeometric function ``2F1(a, b; c; z)``, vectorised.

    Parameters
    ----------
    a, b, c : array_like
        Positive real parameters.
    z : array_like
        Real argument, ``z < 1`` (negative values allowed, any magnitude).

    Returns
    -------
    ndarray
        ``log 2F1(a, b; c; z)``; finite where the series value overflows a double (``a`` or ``b``
        in the thousands and ``z`` near 1). NaN outside the supported domain, or where every
        transformation leaves a series with negative terms and SciPy's value is not positive.

    Notes
    -----
    * ``z < 0``: Pfaff, ``2F1(a,b;c;z) = (1-z)^{-a} 2F1(a, c-b; c; z/(z-1))`` (needs ``c > b``),
      or the same with ``a`` and ``b`` swapped; the new argument lies in ``[0, 1)``. For ``z``
      far below -1 with a large numerator parameter the transformed series needs more than
      ``MAX_TERMS`` terms and the SciPy fallback may overflow (the BTYD models never ask for it).
    * ``0 <= z < 1``: Euler, ``2F1(a,b;c;z) = (1-z)^{c-a-b} 2F1(c-a, c-b; c; z)`` when
      ``c > a``, ``c > b`` and ``c < a + b`` (smaller numerators, a faster series); otherwise
      the series in ``z`` directly.

    Examples
    --------
    >>> float(np.exp(log_hyp2f1(1.0, 1.0, 2.0, 0.5)))  # -log(1 - z) / z
    1.3862943611198906
    """
    a, b, c, z = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(a, b, c, z))
    out = np.full(a.shape, np.nan)
    ok = (a > 0) & (b > 0) & (c > 0) & (z < 1)
    # Pfaff for negative z: parameters (p1, p2; c; w) with prefactor -p0 * log(1 - z)
    neg = ok & (z < 0)
    # keep the smaller of a, b in the prefactor: less cancellation between prefactor and series
    use_b = neg & (c > b) & ((a <= b) | ~(c > a))
    use_a = neg & ~use_b & (c > a)
    if use_b.any() or use_a.any():
        sel = use_b | use_a
        p_keep = np.where(use_b, a, b)[sel]
        p_other = np.where(use_b, c - b, c - a)[sel]
        zz = z[sel]
        w = zz / (zz - 1.0)
        out[sel] = -p_keep * np.log1p(-zz) + _log_hyp2f1_unit(p_keep, p_other, c[sel], w)
    pos = ok & (z >= 0)
    if pos.any():
        out[pos] = _log_hyp2f1_unit(a[pos], b[pos], c[pos], z[pos])
    rest = ok & neg & ~use_a & ~use_b
    if rest.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rest] = np.log(special.hyp2f1(a[rest], b[rest], c[rest], z[rest]))
    return out


def _log_hyp2f1_unit(a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``log 2F1`` for positive parameters and ``0 <= z < 1``: Euler's form or the direct series."""
    out = np.empty(a.shape)
    euler = (c > a) & (c > b) & (c < a + b)
    if euler.any():
        aa, bb, cc, zz = a[euler], b[euler], c[euler], z[euler]
        out[euler] = (cc - aa - bb) * np.log1p(-zz) + log_hyp2f1_series(cc - aa, cc - bb, cc, zz)
    direct = ~euler
    if direct.any():
        out[direct] = log_hyp2f1_series(a[direct], b[direct], c[direct], z[direct])
    return out


def _series_unit_a(
    b: np.ndarray, c: np.ndarray, z: np.ndarray, grad: bool
) -> tuple[np.ndarray, ...]:
    """``log 2F1(1, b; c; z)`` for ``c >= b > 0``, ``0 <= z < 1``, summed in linear space.

    The terms ``t_n = (b)_n / (c)_n z^n`` start at 1 and fall (ratio ``(b+n) z / (c+n) <= z``),
    so they cannot overflow and the sum is at least 1: no logarithms are needed per term, which
    makes this the fast path of the BTYD likelihoods. The ratio rises towards ``z``, so the tail
    after ``t_N`` is below ``t_N z / (1 - z)``. The loop runs over ``n`` on 1-d arrays of the
    elements not yet converged (cache-sized, in place), dropping converged ones every
    ``_CHECK_EVERY`` terms.

    Returns ``(log S, d/da (NaN: a is fixed), d/db, d/dc, d/dz)``.
    """
    m = b.size
    total = np.ones(m)
    out = np.zeros((3, m))  # sums of t_n * dlog t_n / d(b, c) and n * t_n
    idx = np.flatnonzero(z > 0)
    bb, cc, zz = b[idx], c[idx], z[idx]
    t, s = np.ones(idx.size), np.ones(idx.size)
    cum_b, cum_c = np.zeros(idx.size), np.zeros(idx.size)
    acc = np.zeros((3, idx.size))
    tmp, inv = np.empty(idx.size), np.empty(idx.size)

    def store(sel: np.ndarray) -> None:
        total[idx[sel]] = s[sel]
        out[:, idx[sel]] = acc[:, sel]

    n = 0
    while idx.size and n < _LOOP_TERMS:
        for _ in range(_CHECK_EVERY):
            np.add(cc, n, out=inv)
            np.reciprocal(inv, out=inv)  # 1 / (c + n)
            np.add(bb, n, out=tmp)  # b + n
            t *= tmp
            t *= inv
            t *= zz  # t_{n+1}
            s += t
            if grad:
                np.reciprocal(tmp, out=tmp)
                cum_b += tmp  # sum_{k<=n} 1 / (b + k)
                cum_c += inv
                acc[0] += t * cum_b
                acc[1] += t * cum_c
                acc[2] += (n + 1.0) * t
            n += 1
        tail = t * zz / (1.0 - zz) * (n + 1.0 / (1.0 - zz))
        done = tail <= 1e-17 * s
        if done.any():
            store(done)
            keep = ~done
            idx, bb, cc, zz, t, s = idx[keep], bb[keep], cc[keep], zz[keep], t[keep], s[keep]
            cum_b, cum_c, acc = cum_b[keep], cum_c[keep], acc[:, keep]
            tmp, inv = np.empty(idx.size), np.empty(idx.size)
    if idx.size:  # slow convergence (z near 1): whole blocks of terms per step
        state: list[Any] = [t, s, cum_b, cum_c, acc]
        done = _blocks_unit_a(bb, cc, zz, n, state, grad, limit=INTEGRAL_AFTER)
        t, s, cum_b, cum_c, acc = state
        store(done)
        keep = ~done
        idx, bb, cc, zz, t, s = idx[keep], bb[keep], cc[keep], zz[keep], t[keep], s[keep]
        cum_b, cum_c, acc = cum_b[keep], cum_c[keep], acc[:, keep]
    if idx.size:  # still far from converged: the integral form (c > 1; see _integral_unit_a)
        ok = cc > 1.0
        if ok.any():
            _integral_unit_a(bb[ok], cc[ok], zz[ok], grad, total, out, idx[ok])
        keep = ~ok
        idx, bb, cc, zz, t, s = idx[keep], bb[keep], cc[keep], zz[keep], t[keep], s[keep]
        acc = acc[:, keep]
    if idx.size:  # c <= 1 (never in the BTYD models): the series to MAX_TERMS, then SciPy
        state = [t, s, cum_b[keep], cum_c[keep], acc]
        reached = n + -(-(INTEGRAL_AFTER - n) // (2 * BLOCK)) * 2 * BLOCK  # where blocks stopped
        _blocks_unit_a(bb, cc, zz, reached, state, grad)
        store(np.ones(idx.size, dtype=bool))
        fallback = special.hyp2f1(1.0, bb, cc, zz)
        total[idx] = np.where(fallback > 0, fallback, total[idx])
    log_s = np.log(total)
    if not grad:
        return (log_s,)
    inv_total = 1.0 / total
    d_z = np.where(z > 0, out[2] * inv_total / np.where(z > 0, z, 1.0), b / c)
    return log_s, np.full(m, np.nan), out[0] * inv_total, -out[1] * inv_total, d_z


def _integral_unit_a(b: np.ndarray, c: np.ndarray, z: np.ndarray, grad: bool,
                     total: np.ndarray, out: np.ndarray, idx: np.ndarray) -> None:
    """``2F1(1, b; c; z)`` by quadrature, for series that converge too slowly (z near 1 and
    ``c - b - 1`` small, where SciPy's ``hyp2f1`` returns NaN); writes ``total`` and the
    derivative sums ``out`` (in the form :func:`_series_unit_a` uses) at ``idx``.

    Euler's integral with ``a = 1`` as the integration parameter (valid for ``c > 1``),
    ``2F1(1, b; c; z) = (c - 1) int_0^1 (1 - t)^{c-2} (1 - z t)^{-b} dt``, becomes with
    ``t = 1 - e^-x``

        2F1(1, b; c; z) = (c - 1) int_0^inf exp(L(x)) dx,
        L(x) = -(c - b - 1) x - b log(z + (1 - z) e^x),

    a positive, log-concave integrand: no cancellation, and the partial derivatives are
    expectations under the normalised integrand: d/db = E[x - log(z + (1-z) e^x)],
    d/dc = 1 / (c - 1) - E[x], d/dz = b E[(1 - e^-x) e^x / (z + (1 - z) e^x)].
    :func:`_quadrature_unit_a` evaluates it (checked against mpmath in the tests).
    """
    log_f, d_b, d_c, d_z = _quadrature_unit_a(b, c, z)
    f = np.exp(log_f)
    total[idx] = f
    if grad:
        out[0, idx] = d_b * f
        out[1, idx] = -d_c * f
        out[2, idx] = d_z * z * f


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(24)


def _quadrature_unit_a(
    b: np.ndarray, c: np.ndarray, z: np.ndarray, drop: float = 45.0, segments: int = 48
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``log F`` and ``d log F / d(b, c, z)`` of the integral in :func:`_integral_unit_a`.

    The upper limit is where ``L`` has fallen ``drop`` (45: e^-45 ~ 3e-20) below its maximum
    (at 0, or inside when ``c - b - 1 < 0``); L is concave, so the tail beyond is smaller still.
    ``[0, X]`` is cut at ``h 2^k`` (``h`` = 1 / |slope of L at 0|, so the first pieces follow a
    fast initial decay and later ones double) and around the turn of the slope at
    ``log(z / (1 - z))``; 24-point Gauss-Legendre on each piece.
    """
    s = c - b - 1.0
    lz, lw = np.log(z), np.log1p(-z)

    def big_l(x: np.ndarray) -> np.ndarray:
        return -s[:, None] * x - b[:, None] * np.logaddexp(lz[:, None], lw[:, None] + x)

    q = np.where(s < 0, -s / b, 0.5)
    peak = np.where(s < 0, np.maximum(lz + np.log(q) - lw - np.log1p(-q), 0.0), 0.0)
    top = big_l(peak[:, None])[:, 0]
    hi = peak + 1.0
    for _ in range(80):
        short = big_l(hi[:, None])[:, 0] > top - drop
        if not short.any():
            break
        hi = np.where(short, peak + 2.0 * (hi - peak), hi)
    h = 1.0 / (1.0 + np.abs(s) + b * (1.0 - z))
    k = np.arange(-1, segments - 1, dtype=float)
    # extra cuts around x_t = log(z / (1 - z)), where the slope of L turns from -(c - b - 1)
    # to -(c - 1) over a width of about 1
    turn = (lz - lw)[:, None] + np.array([-4.0, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 4.0])
    edges = np.concatenate([np.zeros((b.size, 1)), h[:, None] * 2.0 ** k[None, :], turn], axis=1)
    edges = np.sort(np.clip(edges, 0.0, hi[:, None]), axis=1)
    half = 0.5 * (edges[:, 1:] - edges[:, :-1])
    mid = 0.5 * (edges[:, 1:] + edges[:, :-1])
    x = (mid[:, :, None] + half[:, :, None] * _GL_NODES).reshape(b.size, -1)
    wt = (half[:, :, None] * _GL_WEIGHTS).reshape(b.size, -1)
    lx = big_l(x)
    m = lx.max(axis=1, keepdims=True)
    terms = wt * np.exp(lx - m)
    tot = terms.sum(axis=1)
    log_f = np.log(c - 1.0) + m[:, 0] + np.log(tot)
    p = terms / tot[:, None]
    lg = np.logaddexp(lz[:, None], lw[:, None] + x)
    d_b = (p * (x - lg)).sum(axis=1)
    d_c = 1.0 / (c - 1.0) - (p * x).sum(axis=1)
    d_z = b * (p * (-np.expm1(-x)) * np.exp(x - lg)).sum(axis=1)
    return log_f, d_b, d_c, d_z


def _blocks_unit_a(
    b: np.ndarray, c: np.ndarray, z: np.ndarray, n0: int, state: list, grad: bool,
    limit: int = MAX_TERMS,
) -> np.ndarray:
    """Continue the series of :func:`_series_unit_a` from term ``n0`` in 2-d blocks.

    ``state`` is ``[last term, sum, sum 1/(b+k), sum 1/(c+k), derivative sums (3, m)]`` for
    ``k < n0``; it is updated in place. Returns the mask of converged elements.
    """
    last, total, cum_b, cum_c, acc = state
    done = np.zeros(b.size, dtype=bool)
    active = np.arange(b.size)
    size = 2 * BLOCK
    while active.size and n0 < limit:
        n = n0 + np.arange(size, dtype=float)[None, :]
        bn = b[active, None] + n
        inv_c = 1.0 / (c[active, None] + n)
        terms = last[active, None] * np.cumprod(bn * inv_c * z[active, None], axis=1)
        block_sum = terms.sum(axis=1)
        total[active] += block_sum
        if grad:
            # the factor 1/(b+n0+j) reaches the terms j.. of this block (suffix sums) and
            # the factors of earlier terms reach the whole block
            suffix = np.cumsum(terms[:, ::-1], axis=1)[:, ::-1]
            inv_b = 1.0 / bn
            acc[0, active] += cum_b[active] * block_sum + (inv_b * suffix).sum(axis=1)
            acc[1, active] += cum_c[active] * block_sum + (inv_c * suffix).sum(axis=1)
            acc[2, active] += (terms * (n + 1.0)).sum(axis=1)
            cum_b[active] += inv_b.sum(axis=1)
            cum_c[active] += inv_c.sum(axis=1)
        last[active] = terms[:, -1]
        n0 += size
        za = z[active]
        tail = terms[:, -1] * za / (1.0 - za) * (n0 + 1.0 / (1.0 - za))
        conv = tail <= 1e-17 * total[active]
        done[active[conv]] = True
        active = active[~conv]
    return done

"""Scoring and histogram kernels of the dm-dt novelty detector.

Two implementations of the same computation (docs/contributing.rst, "Reference implementations"):

* :func:`pair_sums` / :func:`pair_counts` -- compiled (numba) loops over the
  flat columns and per-object offsets of a :class:`~skastro.LightCurves`; one
  pass over the observations of each object, no Python loop over objects,
  objects scored in parallel. The work per object is
  ``O(n * n_bands + P)`` for ``n`` observations and ``P`` cross-passband pairs:
  consecutive same-band pairs come from the previous row of the band, and the
  cross-passband loops visit only the earlier rows of the *other* bands
  (``P <= n**2 / 2``; 0 for one band, so a single band is linear in ``n``);
* :func:`pair_sums_reference` -- a plain, per-object pure-Python version that
  enumerates the pairs exactly as Soraisam et al. (2020, §3.1) describe them.
  It is slow and kept for the tests, which check that both give the same
  numbers to 1e-9.

The pairs
---------
For an object with observations ``(t, m, band)`` sorted by time:

* **passband f = a**: consecutive observations in band ``a``,
  ``dt = t[j+1] - t[j]``, ``dm = m[j+1] - m[j]``;
* **cross-passband f = a-b** (a != b): all pairs of an observation ``i`` in
  ``a`` and ``j`` in ``b`` with ``t_i > t_j`` (strictly), ``dt = t_i - t_j``,
  ``dm = m_i - m_j``.

Channel indices: ``f = a`` for the single bands ``a = 0 .. nb-1``; then the
ordered pairs ``(a, b)``, ``a != b``, in row-major order:
``f = nb + a * (nb - 1) + (b if b < a else b - 1)``.

The grid
--------
``dt`` bin ``k`` is ``bisect_right(inner_dt_edges, dt)`` (``inner_dt_edges``
are the ``K - 1`` inner edges in days; pairs below the first or above the
last edge fall in the first or last bin). The ``dm`` cell is 0 for
``dm < dm_lo`` (underflow), ``n_dm + 1`` for ``dm >= dm_lo + n_dm * w``
(overflow) and ``1 + floor((dm - dm_lo) * (1 / w))`` otherwise.
"""

import bisect
import math
import threading

import numpy as np

try:  # pragma: no cover - exercised implicitly
    import numba

    _HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    _HAVE_NUMBA = False

__all__ = [
    "channel_index",
    "cross_pairs",
    "n_channels",
    "object_keys",
    "pair_counts",
    "pair_sums",
    "pair_sums_reference",
    "pair_counts_reference",
]


# numba's "workqueue" threading layer (the fallback when neither OpenMP nor TBB is
# available) aborts on parallel kernels launched from several Python threads at once
# (dask threads, threaded joblib): serialise the launches; each uses every core anyway.
_PARALLEL_LOCK = threading.Lock()


def n_channels(n_bands):
    """Number of (cross-)passband channels: ``nb`` bands + ``nb (nb - 1)`` ordered pairs."""
    return n_bands * n_bands


def channel_index(a, b, n_bands):
    """Channel of the ordered band pair ``(a, b)`` (``a == b``: the single band)."""
    if a == b:
        return a
    return n_bands + a * (n_bands - 1) + (b if b < a else b - 1)


def _jit(**kwargs):
    def wrap(func):
        if not _HAVE_NUMBA:  # pragma: no cover
            return func
        return numba.njit(cache=True, nogil=True, **kwargs)(func)

    return wrap


def _prange(n):  # pragma: no cover - replaced by numba.prange when compiled
    return range(n)


if _HAVE_NUMBA:
    _prange = numba.prange  # noqa: F811


@_jit()
def _dt_bin(dt, inner):
    # bisect_right(inner, dt)
    lo = 0
    hi = inner.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if dt < inner[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


@_jit()
def _dm_cell(dm, dm_lo, inv_width, n_dm):
    x = (dm - dm_lo) * inv_width
    if x < 0.0:
        return 0
    if x >= n_dm:
        return n_dm + 1
    return 1 + int(x)


@_jit()
def _band_lists(band, start, stop, nb):
    """Positions of one object's observations grouped by band, each group in time order.

    ``pos[first[b]:first[b + 1]]`` are the rows of band ``b`` (ignored rows, band -1, left
    out): the cross-passband loops visit only the other bands' rows, so their cost is the
    number of cross-passband pairs, not the square of the number of observations.
    """
    first = np.zeros(nb + 1, np.int64)
    for i in range(start, stop):
        if band[i] >= 0:
            first[band[i] + 1] += 1
    for b in range(nb):
        first[b + 1] += first[b]
    fill = first[:nb].copy()
    pos = np.empty(first[nb], np.int64)
    for i in range(start, stop):
        a = band[i]
        if a >= 0:
            pos[fill[a]] = i
            fill[a] += 1
    return pos, first


@_jit(parallel=True)
def _pair_sums_kernel(offsets, time, value, band, nb, inner, dm_lo, inv_width, n_dm,
                      table, mu, var, out_s, out_m, out_v, out_n):
    n_obj = offsets.shape[0] - 1
    n_f = table.shape[0]
    n_k = inner.shape[0]
    n_c = table.shape[2]
    flat = table.reshape(n_f * (n_k + 1) * n_c)
    for o in _prange(n_obj):
        start = offsets[o]
        stop = offsets[o + 1]
        pos, first = _band_lists(band, start, stop, nb)
        last = np.full(nb, -1, np.int64)
        # earlier[b]: how many rows of band b are strictly earlier than the current row
        earlier = np.zeros(nb, np.int64)
        s_loc = np.zeros(n_f)
        # pairs per (channel, dt bin): the sums of mu and var follow from them
        cnt = np.zeros((n_f, n_k + 1), np.int64)
        for i in range(start, stop):
            a = band[i]
            if a < 0:
                continue
            ti = time[i]
            mi = value[i]
            p = last[a]
            if p >= 0:
                k = _dt_bin(ti - time[p], inner)
                c = _dm_cell(mi - value[p], dm_lo, inv_width, n_dm)
                s_loc[a] += flat[(a * (n_k + 1) + k) * n_c + c]
                cnt[a, k] += 1
            last[a] = i
            base = nb + a * (nb - 1)
            for b in range(nb):
                if b == a:
                    continue
                while (first[b] + earlier[b] < first[b + 1]
                       and time[pos[first[b] + earlier[b]]] < ti):
                    earlier[b] += 1
                f = base + (b if b < a else b - 1)
                k = 0
                for q in range(first[b] + earlier[b] - 1, first[b] - 1, -1):  # back in time
                    j = pos[q]
                    dt = ti - time[j]
                    while k < n_k and dt >= inner[k]:
                        k += 1
                    c = _dm_cell(mi - value[j], dm_lo, inv_width, n_dm)
                    s_loc[f] += flat[(f * (n_k + 1) + k) * n_c + c]
                    cnt[f, k] += 1
        for f in range(n_f):
            out_s[o, f] = s_loc[f]
            tm = 0.0
            tv = 0.0
            tn = 0
            for k in range(n_k + 1):
                q = cnt[f, k]
                if q > 0:
                    tm += q * mu[f, k]
                    tv += q * var[f, k]
                    tn += q
            out_m[o, f] = tm
            out_v[o, f] = tv
            out_n[o, f] = tn


@_jit()
def _pair_counts_kernel(offsets, time, value, band, nb, inner, dm_lo, inv_width, n_dm, counts):
    n_obj = offsets.shape[0] - 1
    last = np.empty(nb, np.int64)
    earlier = np.empty(nb, np.int64)
    n_k = inner.shape[0]
    for o in range(n_obj):
        start = offsets[o]
        stop = offsets[o + 1]
        pos, first = _band_lists(band, start, stop, nb)
        for b in range(nb):
            last[b] = -1
            earlier[b] = 0
        for i in range(start, stop):
            a = band[i]
            if a < 0:
                continue
            ti = time[i]
            mi = value[i]
            p = last[a]
            if p >= 0:
                k = _dt_bin(ti - time[p], inner)
                c = _dm_cell(mi - value[p], dm_lo, inv_width, n_dm)
                counts[a, k, c] += 1
            last[a] = i
            base = nb + a * (nb - 1)
            for b in range(nb):
                if b == a:
                    continue
                while (first[b] + earlier[b] < first[b + 1]
                       and time[pos[first[b] + earlier[b]]] < ti):
                    earlier[b] += 1
                f = base + (b if b < a else b - 1)
                k = 0
                for q in range(first[b] + earlier[b] - 1, first[b] - 1, -1):
                    dt = ti - time[pos[q]]
                    while k < n_k and dt >= inner[k]:
                        k += 1
                    counts[f, k, _dm_cell(mi - value[pos[q]], dm_lo, inv_width, n_dm)] += 1


@_jit()
def _cross_pairs_kernel(offsets, time, band, nb, out):
    # per object: the number of cross-passband pairs (t_a > t_b, a != b), in O(n * nb)
    for o in range(offsets.shape[0] - 1):
        pos, first = _band_lists(band, offsets[o], offsets[o + 1], nb)
        earlier = np.zeros(nb, np.int64)
        total = 0
        for i in range(offsets[o], offsets[o + 1]):
            a = band[i]
            if a < 0:
                continue
            for b in range(nb):
                if b != a:
                    while (first[b] + earlier[b] < first[b + 1]
                           and time[pos[first[b] + earlier[b]]] < time[i]):
                        earlier[b] += 1
                    total += earlier[b]
        out[o] = total


def _as_inputs(offsets, time, value, band):
    return (
        np.ascontiguousarray(offsets, dtype=np.int64),
        np.ascontiguousarray(time, dtype=np.float64),
        np.ascontiguousarray(value, dtype=np.float64),
        np.ascontiguousarray(band, dtype=np.int64),
    )


def _mix64(x):
    # splitmix64's finaliser: a bijection of uint64 that spreads every input bit
    x = x ^ (x >> 30)
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> 27)
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> 31)


def object_keys(offsets, time, value, band):
    """A 64-bit hash of each object's content (its rows' time, value and band bits).

    The rows are combined by a sum, so the key does not depend on their order;
    equal light curves get equal keys, others collide with probability 2**-64.
    """
    offsets, time, value, band = _as_inputs(offsets, time, value, band)
    with np.errstate(over="ignore"):
        rows = _mix64(_mix64(_mix64(time.view(np.uint64)) ^ value.view(np.uint64))
                      ^ band.view(np.uint64))
        csum = np.concatenate([np.zeros(1, np.uint64), np.cumsum(rows, dtype=np.uint64)])
        total = csum[offsets[1:]] - csum[offsets[:-1]]
        return _mix64(total + np.diff(offsets).view(np.uint64))


def cross_pairs(offsets, time, band, n_bands):
    """Number of cross-passband pairs of each object (the cost of scoring it), in O(n)."""
    offsets, time, _, band = _as_inputs(offsets, time, time, band)
    out = np.zeros(offsets.size - 1, dtype=np.int64)
    _cross_pairs_kernel(offsets, time, band, int(n_bands), out)
    return out


def pair_counts(offsets, time, value, band, n_bands, inner_dt_edges, dm_lo, dm_width, n_dm,
                counts=None):
    """Histogram of the (channel, dt bin, dm cell) of every pair, added into ``counts``.

    Parameters
    ----------
    offsets : ndarray of int, shape (n_objects + 1,)
    time, value : ndarray of float, shape (n_obs,)
        Flat columns, sorted by time within each object.
    band : ndarray of int, shape (n_obs,)
        Band index of each observation (``-1``: ignore the observation).
    n_bands : int
    inner_dt_edges : ndarray of float, shape (K - 1,)
        Inner ``dt`` bin edges in days, increasing.
    dm_lo, dm_width : float
        Lower edge and width of the regular ``dm`` cells.
    n_dm : int
        Number of regular ``dm`` cells (plus one underflow and one overflow).
    counts : ndarray of int64, shape (n_bands**2, K, n_dm + 2), default=None
        Histogram to add to (in place); a new one when None.

    Returns
    -------
    counts : ndarray of int64, shape (n_bands**2, K, n_dm + 2)
    """
    inner = np.ascontiguousarray(inner_dt_edges, dtype=np.float64)
    if counts is None:
        counts = np.zeros((n_channels(n_bands), inner.size + 1, n_dm + 2), dtype=np.int64)
    _pair_counts_kernel(*_as_inputs(offsets, time, value, band), int(n_bands), inner,
                        float(dm_lo), 1.0 / float(dm_width), int(n_dm), counts)
    return counts


def pair_sums(offsets, time, value, band, n_bands, inner_dt_edges, dm_lo, dm_width, n_dm,
              table, mu, var):
    """Per object and channel: sums over its pairs of ``table``, ``mu``, ``var`` and the count.

    ``table[f, k, c]`` is the per-pair score contribution
    ``log p_f(dm|dt) - log <p_f(.|dt)>``; ``mu[f, k]`` and ``var[f, k]`` its
    mean and variance under the population in dt bin ``k``.

    Returns
    -------
    s, m, v : ndarray of float64, shape (n_objects, n_channels)
    n : ndarray of int64, shape (n_objects, n_channels)
    """
    offsets, time, value, band = _as_inputs(offsets, time, value, band)
    n_obj = offsets.size - 1
    n_f = n_channels(n_bands)
    s = np.zeros((n_obj, n_f))
    m = np.zeros((n_obj, n_f))
    v = np.zeros((n_obj, n_f))
    n = np.zeros((n_obj, n_f), dtype=np.int64)
    with _PARALLEL_LOCK:
        _pair_sums_kernel(offsets, time, value, band, int(n_bands),
                          np.ascontiguousarray(inner_dt_edges, dtype=np.float64),
                          float(dm_lo), 1.0 / float(dm_width), int(n_dm),
                          np.ascontiguousarray(table, dtype=np.float64),
                          np.ascontiguousarray(mu, dtype=np.float64),
                          np.ascontiguousarray(var, dtype=np.float64), s, m, v, n)
    return s, m, v, n


# --------------------------------------------------------------------------
# Plain reference implementation (tests only): one object at a time, pairs
# enumerated band by band as the paper describes them.
# --------------------------------------------------------------------------


def _reference_pairs(t, m, b, n_bands, inner, dm_lo, dm_width, n_dm):
    """Yield ``(channel, dt_bin, dm_cell)`` for every pair of one object."""
    inner = [float(x) for x in inner]

    inv_width = 1.0 / dm_width

    def cell(dm):
        x = (dm - dm_lo) * inv_width
        if x < 0.0:
            return 0
        if x >= n_dm:
            return n_dm + 1
        return 1 + math.floor(x)

    per_band = [[(t[i], m[i]) for i in range(len(t)) if b[i] == a] for a in range(n_bands)]
    for a in range(n_bands):
        obs = per_band[a]  # already in time order
        for (t0, m0), (t1, m1) in zip(obs[:-1], obs[1:]):
            yield a, bisect.bisect_right(inner, t1 - t0), cell(m1 - m0)
    for a in range(n_bands):
        for bb in range(n_bands):
            if a == bb:
                continue
            f = channel_index(a, bb, n_bands)
            for ta, ma in per_band[a]:
                for tb, mb in per_band[bb]:
                    if ta > tb:
                        yield f, bisect.bisect_right(inner, ta - tb), cell(ma - mb)


def pair_sums_reference(offsets, time, value, band, n_bands, inner_dt_edges, dm_lo, dm_width,
                        n_dm, table, mu, var):
    """Slow, obviously-correct version of :func:`pair_sums` (for the tests)."""
    n_obj = len(offsets) - 1
    n_f = n_channels(n_bands)
    s = np.zeros((n_obj, n_f))
    m = np.zeros((n_obj, n_f))
    v = np.zeros((n_obj, n_f))
    n = np.zeros((n_obj, n_f), dtype=np.int64)
    for o in range(n_obj):
        sl = slice(int(offsets[o]), int(offsets[o + 1]))
        t, mag, b = list(time[sl]), list(value[sl]), list(band[sl])
        for f, k, c in _reference_pairs(t, mag, b, n_bands, inner_dt_edges, dm_lo, dm_width,
                                        n_dm):
            s[o, f] += table[f, k, c]
            m[o, f] += mu[f, k]
            v[o, f] += var[f, k]
            n[o, f] += 1
    return s, m, v, n


def pair_counts_reference(offsets, time, value, band, n_bands, inner_dt_edges, dm_lo, dm_width,
                          n_dm):
    """Slow, obviously-correct version of :func:`pair_counts` (for the tests)."""
    counts = np.zeros((n_channels(n_bands), len(inner_dt_edges) + 1, n_dm + 2), dtype=np.int64)
    for o in range(len(offsets) - 1):
        sl = slice(int(offsets[o]), int(offsets[o + 1]))
        for f, k, c in _reference_pairs(list(time[sl]), list(value[sl]), list(band[sl]),
                                        n_bands, inner_dt_edges, dm_lo, dm_width, n_dm):
            counts[f, k, c] += 1
    return counts

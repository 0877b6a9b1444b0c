"""Robust truncated Fourier fits: batched normal equations and a plain reference.

The model of one light curve (one band) with angular frequency
``omega = 2 pi / P`` and order ``K`` is

    m(t) = a_0 + sum_k [alpha_k cos(k omega t) + beta_k sin(k omega t)]
         = a_0 + sum_k A_k sin(k omega t + Phi_k),

``A_k = hypot(alpha_k, beta_k)``, ``Phi_k = atan2(alpha_k, beta_k)``.
The fit is weighted least squares (weights ``1 / sigma^2``) with iterative
sigma clipping of the normalised residuals (robust scale from the median
absolute deviation), and the order is chosen by K-fold cross-validation
over *epochs* (measurements of one epoch share a fold, so near-duplicate
pawprint measurements never leak between training and validation).

:func:`robust_fit_batched` does this for a whole chunk of light curves at
once on padded ``(G, L)`` arrays with batched normal equations, made of
weighted trig sums (:func:`_trig_sums`: no design-matrix products; every
CV fold in one pass; the padding skipped);
:func:`robust_fit_reference` is the plain per-curve loop with
``numpy.linalg.lstsq`` that it is tested against.
"""

import functools

import numpy as np

from ..utils._grouped import row_nanmedian

__all__ = [
    "design_matrix",
    "robust_fit_batched",
    "robust_fit_reference",
    "fourier_parameters",
    "max_valid_order",
]

_MAD_TO_SIGMA = 1.4826
_RIDGE = 1e-10


def design_matrix(t, omega, order):
    """Columns ``[1, cos(w t), sin(w t), ..., cos(K w t), sin(K w t)]``.

    Parameters
    ----------
    t : ndarray of shape (..., L)
    omega : ndarray of shape (...,) or float
    order : int

    Returns
    -------
    A : ndarray of shape (..., L, 2 * order + 1)
    """
    t = np.asarray(t, dtype=np.float64)
    x = np.asarray(omega, dtype=np.float64)[..., None] * t
    A = np.empty(t.shape + (2 * order + 1,))
    A[..., 0] = 1.0
    if order:
        c1, s1 = np.cos(x), np.sin(x)
        c, s = c1, s1
        A[..., 1], A[..., 2] = c, s
        for k in range(2, order + 1):  # angle addition: cheaper than cos/sin of k x
            c, s = c * c1 - s * s1, s * c1 + c * s1
            A[..., 2 * k - 1], A[..., 2 * k] = c, s
    return A


def max_valid_order(n_epochs, n_folds, max_order):
    """Highest order whose ``2K + 1`` parameters are at most half the training epochs."""
    n_epochs = np.asarray(n_epochs)
    n_test = np.ceil(n_epochs / max(n_folds, 1))
    n_train = n_epochs - n_test if n_folds > 1 else n_epochs
    return np.clip((n_train // 2 - 1) // 2, 0, max_order).astype(np.int64)


def _solve(M, b):
    """Batched ``M x = b`` with a tiny ridge (keeps rank-deficient folds finite)."""
    p = M.shape[-1]
    diag = np.einsum("...ii->...i", M)
    scale = _RIDGE * diag.mean(axis=-1, keepdims=True) + 1e-300
    M = M + scale[..., None] * np.eye(p)
    return np.linalg.solve(M, b[..., None])[..., 0]


def _masked_system(M, b, order, p):
    """Restrict a full-order system to each row's own order (unused coefficients -> 0).

    The unused diagonal entries get the row's weight sum ``M[0, 0]``, so the
    ridge of :func:`_solve` scales with the data, not with the padding: the
    fit is invariant to a common scaling of the weights.
    """
    use = np.arange(p)[None, :] < (2 * order + 1)[:, None]
    outer = use[:, :, None] & use[:, None, :]
    pad = np.where(use, 0.0, M[:, :1, 0])
    M = np.where(outer, M, 0.0) + pad[:, :, None] * np.eye(p)
    return M, np.where(use, b, 0.0)


def _harmonics(t, omega, n):
    """The harmonics ``cos(m x)``, ``sin(m x)``, ``m = 0..n``, of ``x = omega t``.

    By the angle-addition recurrence of :func:`design_matrix` (bit for bit the
    same values). Its rounding error grows about linearly with ``m``: ~1e-15 at
    ``m = 10``, ~2e-15 at ``m = 20`` against ``cos``/``sin`` of the same ``x``
    in extended precision, while ``cos(m * x)`` in doubles would be off by
    ~1e-9 for ``x ~ 1e6`` (MJD times: ``m * x`` is rounded)
    (``tests/periodic/test_fourier_gram.py``).

    Parameters
    ----------
    t : ndarray of shape (G, L)
    omega : ndarray of shape (G,)
    n : int

    Returns
    -------
    H : ndarray of shape (G, 2 n + 2, L)
        ``H[:, 2 m] = cos(m x)``, ``H[:, 2 m + 1] = sin(m x)`` (``sin 0 = 0``).
    """
    x = np.asarray(omega, dtype=np.float64)[:, None] * np.asarray(t, dtype=np.float64)
    H = np.empty((x.shape[0], 2 * n + 2, x.shape[1]))
    H[:, 0], H[:, 1] = 1.0, 0.0
    if n:
        c1, s1 = np.cos(x), np.sin(x)
        H[:, 2], H[:, 3] = c1, s1
        tmp = np.empty_like(x)
        for m in range(2, n + 1):
            # real arithmetic, written in place: numpy's complex multiply may fuse
            # multiply-adds on contiguous data, and the bits would depend on the layout
            c, s, c_new, s_new = H[:, 2 * m - 2], H[:, 2 * m - 1], H[:, 2 * m], H[:, 2 * m + 1]
            np.multiply(c, c1, out=c_new)
            c_new -= np.multiply(s, s1, out=tmp)
            np.multiply(s, c1, out=s_new)
            s_new += np.multiply(c, s1, out=tmp)
    return H


@functools.lru_cache(maxsize=None)
def _product_index(order):
    """Where the products of two design columns sit among the trig sums.

    With ``x = omega t``, ``cos jx cos kx = [cos (j-k)x + cos (j+k)x] / 2``,
    ``sin jx sin kx = [cos (j-k)x - cos (j+k)x] / 2`` and
    ``cos jx sin kx = [sin (j+k)x + sin (k-j)x] / 2``, so every entry of
    ``A' W A`` is half a signed sum of two of the weighted trig sums
    ``C_m = sum w cos mx``, ``S_m = sum w sin mx``, ``m <= 2 order``
    (VanderPlas & Ivezic 2015; astropy's ``fastchi2``), laid out as the rows
    of :func:`_harmonics` (``C_m`` at ``2 m``, ``S_m`` at ``2 m + 1``).

    Returns
    -------
    first, second, sign : ndarray of shape (p, p)
        ``M[i, j] = (sums[first] + sign * sums[second]) / 2``.
    cols : ndarray of shape (p,)
        Where the design columns sit among the harmonics (``b = sums_y[cols]``).
    """
    p = 2 * order + 1
    k = np.r_[0, np.repeat(np.arange(1, order + 1), 2)]   # harmonic of each column
    is_sin = np.r_[False, np.tile([False, True], order)]
    j, k = k[:, None], k[None, :]
    si, sk = is_sin[:, None], is_sin[None, :]
    diff, add = np.abs(j - k), j + k
    first = np.where(si == sk, 2 * diff, 2 * add + 1)
    second = np.where(si == sk, 2 * add, 2 * diff + 1)
    # sin-sin: minus the sum harmonic; cos j sin k: sin (k - j)x = sign(k - j) S_|k-j|
    sign = np.where(si & sk, -1.0, np.where(si == sk, 1.0, np.sign(np.where(sk, k - j, j - k))))
    cols = np.r_[0, np.arange(2, p + 1)]
    return first, second, sign.astype(np.float64), cols


# the normal equations and predictions run over blocks of measurements of at most this
# many design elements (16 MiB), so their temporaries are bounded
_GRAM_BLOCK = 1 << 21
# the harmonics (as many as the design matrix's elements, plus the sin 0x row) are kept
# whole up to this many elements (64 MiB); larger ones (a huge light curve) are
# recomputed block by block where they are used: a fixed working set instead of
# (measurements x 2K+2) doubles, for a few more sines and cosines
_DESIGN_CACHE = 1 << 23


# rows of a tile are within this factor of the tile's shortest (padding skipped: see Design)
_TILE_RATIO = 1.5


def _row_tiles(lengths):
    """Rows in tiles of similar length: ``[(rows, length), ...]``.

    Rows sorted by length; each tile holds the rows up to ``_TILE_RATIO`` times as
    long as its shortest, and ``length`` is its longest (rows of length 0 are left
    out). A chunk of light curves is padded to its longest curve; by tiles the padding
    worked through stays below ~50 % instead of, e.g., 160 % for simulated VVV curves
    (lengths 99 to 928, mean 356).
    """
    order = np.argsort(lengths, kind="stable")
    ends = np.asarray(lengths)[order]
    tiles, i = [], np.searchsorted(ends, 1, side="left")  # skip the empty rows
    while i < ends.size:
        j = max(np.searchsorted(ends, _TILE_RATIO * ends[i], side="right"), i + 1)
        tiles.append((order[i:j], int(ends[j - 1])))
        i = j
    return tiles


def _used_length(w):
    """Per row, one past the last measurement of weight > 0 (0 for a row without)."""
    positive = np.asarray(w) > 0
    last_from_end = np.argmax(positive[..., ::-1], axis=-1)
    return np.where(positive.any(axis=-1), positive.shape[-1] - last_from_end, 0)


def _n_rows(rows, G):
    """Rows in a tile (a slice of all ``G`` or an index array)."""
    return G if isinstance(rows, slice) else rows.size


class Design:
    """A truncated Fourier series of order ``order`` at ``(G, L)`` times: its normal
    equations (:func:`_gram`) and predictions, by tiles of rows and blocks of measurements.

    It holds the harmonics ``cos kx``, ``sin kx``, ``k <= order``
    (:func:`_harmonics`: the columns of :func:`design_matrix` and a row of
    ``sin 0x = 0``), from which :func:`_gram` gets ``A' W A`` as trig sums.

    Parameters
    ----------
    t : ndarray of shape (G, L)
    omega : ndarray of shape (G,)
    order : int
    lengths : ndarray of int of shape (G,), default=None
        Measurements of each row that are used: the rest is padding, of weight 0
        wherever the design is used, and skipped (rows of similar length are
        worked through together, :func:`_row_tiles`). None: all ``L``.

    Attributes
    ----------
    A : list of ndarray of shape (rows, 2 order + 2, length), or None
        The harmonics of every tile, None where they are recomputed block by block.
    """

    def __init__(self, t, omega, order, lengths=None):
        self.t = np.asarray(t, dtype=np.float64)
        self.omega = np.asarray(omega, dtype=np.float64)
        self.order = order
        G, L = self.t.shape
        p = 2 * order + 1
        self.shape = (G, L, p)
        self.tiles = [(slice(None), L)] if lengths is None else _row_tiles(lengths)
        size = sum(_n_rows(rows, G) * length for rows, length in self.tiles)
        self.A = None
        if size * p <= _DESIGN_CACHE:
            self.A = [_harmonics(self.t[rows, :length], self.omega[rows], order)
                      for rows, length in self.tiles]

    def blocks(self, width=0):
        """Yield ``(rows, slice, harmonics[rows, :, slice])`` over the tiles and
        measurements, in blocks of at most ``_GRAM_BLOCK`` design elements (or
        values, for a caller that makes ``width > 2 order + 1`` per measurement)."""
        width = max(self.shape[2], width)
        for i, (rows, length) in enumerate(self.tiles):
            step = max(1, _GRAM_BLOCK // max(_n_rows(rows, self.shape[0]) * width, 1))
            for lo in range(0, length, step):
                sl = slice(lo, min(lo + step, length))
                h = self.A[i][:, :, sl] if self.A is not None else _harmonics(
                    self.t[rows, sl], self.omega[rows], self.order)
                yield rows, sl, h

    def predict(self, coef):
        """The model ``A @ coef`` of every row, shape ``(G, L)`` (on the padding: 0 or
        the model)."""
        G, L, p = self.shape
        # coefficients in the layout of the harmonics (0 for sin 0x)
        c = np.zeros((G, 1, p + 1))
        c[:, 0, 0], c[:, 0, 2:] = coef[:, 0], coef[:, 1:]
        out = np.zeros((G, L))
        for rows, sl, h in self.blocks():
            out[rows, sl] = np.matmul(c[rows], h)[:, 0]
        return out


def _trig_sums(D, y, w, fold=None, n_folds=0):
    """The weighted trig sums that the normal equations are made of (:func:`_gram`).

    Parameters
    ----------
    D : Design
    y : ndarray of shape (G, L) or (G, R, L)
    w : ndarray of shape (G, L) or (G, R, L)
        Weights; ``(G, R, L)``: ``R`` weightings (and values) at once.
    fold, n_folds : ndarray of int of shape (G, L), int
        If given, the sums of the measurements of each fold ``0..n_folds - 1``
        separately (``R = n_folds`` weightings ``w * (fold == f)``).

    Returns
    -------
    trig : ndarray of shape (G, R, 4K + 2)
        ``C_m = sum w cos mx`` at ``2 m`` and ``S_m = sum w sin mx`` at
        ``2 m + 1``, ``m <= 2K``.
    b : ndarray of shape (G, R, 2K + 1)
        ``A' W y``.
    """
    G, L, p = D.shape
    K = D.order
    R = n_folds if fold is not None else (w.shape[1] if w.ndim == 3 else 1)
    # per weighting, the sums over the measurements of [w, w cos Kx, w sin Kx, w y] times
    # the harmonics k <= K; the first give C_k, S_k, k <= K, the next two C_{K+j},
    # S_{K+j} by angle addition (no harmonics above K to compute), the last b
    sums = np.zeros((G, 4 * R, p + 1))
    width = 4 * R  # terms per measurement
    for rows, sl, h in D.blocks(width):
        wb, yb = w[rows, ..., sl], y[rows, ..., sl]
        wb, yb = (wb[:, None] if wb.ndim == 2 else wb), (yb[:, None] if yb.ndim == 2 else yb)
        terms = np.concatenate([wb, wb * h[:, None, p - 1], wb * h[:, None, p], wb * yb], axis=1)
        if fold is not None:  # one pass for all folds: each measurement's terms in its fold's
            in_fold = fold[rows, sl][:, None] == np.arange(n_folds)[:, None]
            terms = (in_fold[:, None] * terms[:, :, None]).reshape(h.shape[0], 4 * R, -1)
        sums[rows] += np.matmul(terms, h.transpose(0, 2, 1))
    w_h, wc_h, ws_h, b = sums[:, :R], sums[:, R:2 * R], sums[:, 2 * R:3 * R], sums[:, 3 * R:]
    trig = np.empty((G, R, 4 * K + 2))
    trig[..., :p + 1] = w_h
    # cos (K+j)x = cos Kx cos jx - sin Kx sin jx, sin (K+j)x = sin Kx cos jx + cos Kx sin jx
    trig[..., p + 1::2] = wc_h[..., 2::2] - ws_h[..., 3::2]
    trig[..., p + 2::2] = ws_h[..., 2::2] + wc_h[..., 3::2]
    return trig, b[..., _product_index(K)[3]]


def _normal_matrix(trig, order):
    """``A' W A`` (..., p, p) from the trig sums of :func:`_trig_sums` (..., 4K + 2)."""
    first, second, sign, _ = _product_index(order)
    return 0.5 * (trig[..., first] + sign * trig[..., second])


def _gram(D, y, w):
    """Normal equations ``M = A' W A`` and ``b = A' W y`` of every row, from trig sums.

    ``y`` and ``w`` as in :func:`_trig_sums`; ``M`` of shape (G, p, p), or
    (G, R, p, p) for ``R`` weightings, ``b`` (G, p) or (G, R, p).
    """
    trig, b = _trig_sums(D, y, w)
    M = _normal_matrix(trig, D.order)
    return (M, b) if w.ndim == 3 else (M[:, 0], b[:, 0])


def _fit_orders(D, y, w, order):
    p = D.shape[-1]
    M, b = _gram(D, y, w)
    M, b = _masked_system(M, b, order, p)
    return _solve(M, b)


def _cv_choose(D, y, w, fold, n_folds, min_order, max_order, order_cap):
    """Order with the lowest K-fold CV error per row, and that error (sse, weight sum)."""
    G = D.shape[0]
    orders = np.arange(min_order, max_order + 1)
    tot, totb = _gram(D, y, w)
    fold_trig, fold_b = _trig_sums(D, y, w, fold, n_folds)  # every fold's in one pass
    sse = np.zeros((G, orders.size))
    wsum = np.zeros(G)
    # orders above every row's cap are never chosen: no need to fit them
    top = np.max(np.maximum(order_cap, min_order), initial=min_order)
    for f in range(n_folds):
        wm = np.where(fold == f, w, 0.0)
        if not wm.any():
            continue
        wsum += wm.sum(axis=1)
        Mf, bf = _normal_matrix(fold_trig[:, f], D.order), fold_b[:, f]
        yyf = np.sum(wm * y * y, axis=1)
        for j, k in enumerate(orders[orders <= top]):
            P = 2 * k + 1
            coef = _solve(tot[:, :P, :P] - Mf[:, :P, :P], totb[:, :P] - bf[:, :P])
            # held-out weighted SSE as a quadratic form: y'Wy - 2 c'b + c'Mc
            quad = np.einsum("gp,gpq,gq->g", coef, Mf[:, :P, :P], coef)
            sse[:, j] += np.maximum(yyf - 2 * np.einsum("gp,gp->g", coef, bf[:, :P]) + quad, 0.0)
    bad = orders[None, :] > np.maximum(order_cap, min_order)[:, None]
    sse = np.where(bad, np.inf, sse)
    best = np.argmin(sse, axis=1)
    return orders[best], sse[np.arange(G), best], wsum


def robust_fit_batched(t, y, w, omega, fold, n_epochs, *, min_order=1, max_order=10,
                       n_folds=10, clip_sigma=4.0, max_iter=5, fixed_order=None):
    """Robust Fourier fits of many light curves at once.

    Parameters
    ----------
    t, y, w : ndarray of shape (G, L)
        Times, values and weights ``1/sigma^2`` (0 marks padding).
    omega : ndarray of shape (G,)
        Angular frequencies ``2 pi / P``.
    fold : ndarray of int, shape (G, L)
        CV fold of each measurement (that of its epoch).
    n_epochs : ndarray of int, shape (G,)
        Distinct epochs per row (caps the order, see :func:`max_valid_order`).
    min_order, max_order, n_folds : int
    clip_sigma : float or None
        Reject measurements whose normalised residual exceeds ``clip_sigma``
        robust standard deviations; None turns clipping off.
    max_iter : int
        Clipping iterations.
    fixed_order : ndarray of int, shape (G,), default=None
        Skip the CV and use these orders.

    Returns
    -------
    dict with ``coef`` (G, 2 max_order + 1), ``order`` (G,), ``inlier``
    (G, L) bool, ``cv_sse`` and ``cv_wsum`` (G,) (the CV loss is their
    ratio) and ``chi2`` (G,) weighted inlier sum of squares.
    """
    G, L = t.shape
    # centre each row on its weighted mean (better conditioned normal equations)
    ybar = np.sum(w * y, axis=1) / np.maximum(np.sum(w, axis=1), 1e-300)
    y = y - ybar[:, None]
    A = Design(t, omega, max_order, _used_length(w))  # the padding is skipped
    cap = max_valid_order(n_epochs, n_folds, max_order)
    inlier = w > 0
    wi = w
    if fixed_order is None:
        order, cv_sse, cv_wsum = _cv_choose(A, y, wi, fold, n_folds, min_order, max_order, cap)
    else:
        order = np.asarray(fixed_order)
        cv_sse, cv_wsum = np.full(G, np.nan), np.full(G, np.nan)
    order = np.minimum(order, np.maximum(cap, 0))
    coef = _fit_orders(A, y, wi, order)
    if clip_sigma is not None and max_iter > 0:
        sqrt_w = np.sqrt(w)
        changed_any = False
        for _ in range(max_iter):
            z = np.abs(y - A.predict(coef)) * sqrt_w
            zm = np.where(inlier, z, np.nan)
            with np.errstate(all="ignore"):
                scale = _MAD_TO_SIGMA * row_nanmedian(zm)
            new = (w > 0) & (z <= clip_sigma * scale[:, None])
            # never clip a row below 2 x its parameters: keep its previous inliers
            keep_old = new.sum(axis=1) < 2 * (2 * order + 1)
            new[keep_old] = inlier[keep_old]
            if np.array_equal(new, inlier):
                break
            changed_any = True
            inlier = new
            wi = np.where(inlier, w, 0.0)
            coef = _fit_orders(A, y, wi, order)
        if changed_any and fixed_order is None:
            order2, cv_sse, cv_wsum = _cv_choose(A, y, wi, fold, n_folds, min_order, max_order, cap)
            order2 = np.minimum(order2, np.maximum(cap, 0))
            if not np.array_equal(order2, order):
                order = order2
                coef = _fit_orders(A, y, wi, order)
    resid = y - A.predict(coef)
    chi2 = np.sum(wi * resid**2, axis=1)
    coef[:, 0] += ybar
    return {"coef": coef, "order": order, "inlier": inlier, "cv_sse": cv_sse,
            "cv_wsum": cv_wsum, "chi2": chi2}


def robust_fit_reference(t, y, dy, period, fold, n_epochs, *, min_order=1, max_order=10,
                         n_folds=10, clip_sigma=4.0, max_iter=5):
    """The same robust fit for one light curve, with plain ``lstsq`` loops.

    Slow and obviously correct: every order, fold and clipping step is an
    explicit weighted least-squares problem. Returns the same keys as
    :func:`robust_fit_batched` for a single row (scalars / 1-D arrays).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 100, 80))
    >>> y = 15 + 0.3 * np.sin(2 * np.pi * t / 0.6) + 0.01 * rng.normal(size=80)
    >>> y[5] += 2.0  # an outlier
    >>> fold = np.arange(80) % 10
    >>> out = robust_fit_reference(t, y, np.full(80, 0.01), 0.6, fold, 80)
    >>> int(out["order"]), bool(out["inlier"][5]), round(float(out["coef"][0]), 2)
    (1, False, 15.0)
    """
    t = np.asarray(t, dtype=np.float64)
    w = 1.0 / np.asarray(dy, dtype=np.float64) ** 2
    omega = 2 * np.pi / period
    cap = int(max_valid_order(n_epochs, n_folds, max_order))

    def lstsq(order, mask):
        A = design_matrix(t[mask], omega, order)
        sw = np.sqrt(w[mask])
        coef = np.linalg.lstsq(A * sw[:, None], y[mask] * sw, rcond=None)[0]
        out = np.zeros(2 * max_order + 1)
        out[: coef.size] = coef
        return out

    def predict(coef, order):
        return design_matrix(t, omega, max_order) @ coef

    def choose(mask):
        best, best_sse, wsum = None, np.inf, 0.0
        for f in range(n_folds):
            wsum += w[mask & (fold == f)].sum()
        for k in range(min_order, max(cap, min_order) + 1):
            sse = 0.0
            for f in range(n_folds):
                test = mask & (fold == f)
                if not test.any():
                    continue
                coef = lstsq(k, mask & (fold != f))
                sse += np.sum(w[test] * (y[test] - predict(coef, k)[test]) ** 2)
            if sse < best_sse:
                best, best_sse = k, sse
        return min(best, max(cap, 0)), best_sse, wsum

    mask = np.ones(t.size, dtype=bool)
    order, cv_sse, cv_wsum = choose(mask)
    coef = lstsq(order, mask)
    changed = False
    if clip_sigma is not None:
        for _ in range(max_iter):
            z = np.abs(y - predict(coef, order)) * np.sqrt(w)
            scale = _MAD_TO_SIGMA * np.median(z[mask])
            new = z <= clip_sigma * scale
            if new.sum() < 2 * (2 * order + 1):
                new = mask
            if np.array_equal(new, mask):
                break
            changed, mask = True, new
            coef = lstsq(order, mask)
        if changed:
            order2, cv_sse, cv_wsum = choose(mask)
            if order2 != order:
                order = order2
                coef = lstsq(order, mask)
    resid = y - predict(coef, order)
    return {"coef": coef, "order": order, "inlier": mask, "cv_sse": cv_sse,
            "cv_wsum": cv_wsum, "chi2": float(np.sum(w[mask] * resid[mask] ** 2))}


def fourier_parameters(coef):
    """Amplitudes ``A_k`` and phases ``Phi_k`` (sine convention) of coefficient rows.

    Parameters
    ----------
    coef : ndarray of shape (G, 2K + 1)

    Returns
    -------
    amplitudes, phases : ndarray of shape (G, K)
        ``m = a_0 + sum A_k sin(k omega t + Phi_k)``, ``Phi_k`` in [0, 2 pi).
    """
    alpha, beta = coef[:, 1::2], coef[:, 2::2]
    return np.hypot(alpha, beta), np.mod(np.arctan2(alpha, beta), 2 * np.pi)

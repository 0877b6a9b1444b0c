"""Generalised Lomb-Scargle periodograms: a fast NUFFT kernel and a plain reference.

The generalised (floating-mean, error-weighted) Lomb-Scargle periodogram of
Zechmeister & Kürster (2009) is what Dékány & Grebel (2020, §2) search periods
with. Two implementations compute the same "standard" normalisation
``p(f) = 1 - chi2(f) / chi2_0``:

- :func:`gls_reference` - a plain, obviously-correct sum over observations
  for every trial frequency (the equations of Zechmeister & Kürster 2009,
  §2), in blocks of frequencies so memory stays bounded;
- :func:`gls_fast` - the ``nifty-ls`` FINUFFT kernel in float64 (float32
  loses the phase precision a fine grid at high frequency needs and finds
  wrong peaks; see docs/contributing.rst, "Measured facts").

:func:`frequency_grid` builds the regular trial grid and :func:`top_peaks`
picks the highest distinct local maxima of a periodogram.
"""

from functools import partial

import numpy as np

__all__ = ["false_alarm_probability", "frequency_grid", "gls_reference", "gls_at", "gls_fast", "gls_multiband", "gls_search",
           "gls_search_many", "mhgls_at", "power_at_freqs", "daily_alias_peaks",
           "top_peaks", "SIDEREAL_DAY", "YEAR"]

# direct sums make (frequencies x observations) arrays: at most this many elements each
_BLOCK_ELEMENTS = 1 << 21
# FINUFFT tolerance: 1e-6 relative keeps the power good to ~1e-6 (peaks and their
# order are unchanged; tested against the reference) and is ~20 % faster than 1e-9.
_FINUFFT_EPS = 1e-6


#: The most frequencies one grid may hold: ~10^7 points is already a periodogram of
#: 80 MB per term and seconds per light curve; beyond it a grid is a mistake (times in
#: the wrong unit, a period range down to seconds), not a search to run for hours.
MAX_FREQUENCIES = 10**7


def frequency_grid(baseline, period_range, oversampling, *, what="the light curve"):
    """Regular frequency grid ``fmin + df * arange(nf)`` for a period range.

    Parameters
    ----------
    baseline : float
        Time span of the light curve (days); the step is
        ``df = 1 / (oversampling * baseline)``.
    period_range : (float, float)
        Shortest and longest trial period (days).
    oversampling : float
        Grid points per natural peak width ``1 / baseline``.
    what : str, default="the light curve"
        What the baseline is of, for the error message (e.g. an object id).

    Returns
    -------
    fmin, df : float
    nf : int
        The last frequency ``fmin + df * (nf - 1)`` never exceeds
        ``1 / period_range[0]``.

    Raises
    ------
    ValueError
        The grid would hold more than ``MAX_FREQUENCIES`` (10^7)
        frequencies, ``(1 / pmin - 1 / pmax) * oversampling * baseline``; the
        message names the three parameters.

    Examples
    --------
    >>> fmin, df, nf = frequency_grid(1826.0, (0.28, 0.98), 10)
    >>> round(fmin, 4), nf
    (1.0204, 46582)
    """
    pmin, pmax = period_range
    fmin, fmax = 1.0 / pmax, 1.0 / pmin
    df = 1.0 / (oversampling * baseline)
    n_steps = np.floor((fmax - fmin) * oversampling * baseline * (1 + 1e-12))  # never beyond fmax
    if not n_steps < MAX_FREQUENCIES:  # also inf/NaN: no int() of them
        raise ValueError(
            f"The frequency grid of {what} would hold {n_steps + 1:.3g} frequencies, more than "
            f"the {MAX_FREQUENCIES:.0e} allowed: (1/{pmin:g} - 1/{pmax:g}) per day x "
            f"oversampling={oversampling:g} x baseline={baseline:.6g} days. Check the time unit "
            "(days), narrow period_range or lower oversampling."
        )
    return fmin, df, int(n_steps) + 1


def _weights(dy, n):
    if dy is None:
        return np.full(n, 1.0 / n)
    w = 1.0 / np.asarray(dy, dtype=np.float64) ** 2
    return w / w.sum()


def false_alarm_probability(power, t, dy, fmax):
    """False-alarm probability of a GLS peak: Baluev (2008)'s alias-free bound.

    The probability that pure Gaussian noise, sampled at times ``t`` with
    errors ``dy``, gives a periodogram peak at least as high as ``power``
    anywhere below ``fmax`` - the same number as astropy's
    ``LombScargle(t, y, dy).false_alarm_probability(power, method="baluev",
    maximum_frequency=fmax)`` (standard normalisation), which it is tested
    against. Small values mean a significant period.

    Parameters
    ----------
    power : float
        Peak height, standard normalisation (``1 - chi2 / chi2_0``).
    t, dy : ndarray of shape (n,)
        Times and errors (only their relative sizes matter).
    fmax : float
        Highest frequency searched.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 100, 50)
    >>> f"{false_alarm_probability(0.6, t, np.ones(50), 5.0):.2e}"
    '1.39e-06'
    """
    from scipy.special import gammaln

    t = np.asarray(t, dtype=np.float64)
    w = 1.0 / np.asarray(dy, dtype=np.float64) ** 2
    w = w / w.sum()
    n = t.size
    z = float(np.clip(power, 0.0, 1.0))
    t_var = w @ t**2 - (w @ t) ** 2
    n_h, n_k = n - 1, n - 3
    gamma = np.sqrt(2 / n_h) * np.exp(gammaln(n_h / 2) - gammaln((n_h - 1) / 2))
    fap_single = (1 - z) ** (0.5 * n_k)
    tau = gamma * fmax * np.sqrt(4 * np.pi * t_var) * (1 - z) ** (0.5 * (n_k - 1)) \
        * np.sqrt(0.5 * n_h * z)
    return float(-np.expm1(-tau) + fap_single * np.exp(-tau))


def gls_reference(t, y, dy, fmin, df, nf, block=2048):
    """Generalised Lomb-Scargle power, computed directly (slow reference).

    Implements Zechmeister & Kürster (2009), Eqs. 4-20: with normalised
    weights ``w_i = sigma_i^-2 / sum sigma^-2`` and ``x = 2 pi f t``,
    ``p = (SS YC^2 + CC YS^2 - 2 CS YC YS) / (YY D)``, ``D = CC SS - CS^2``.

    Parameters
    ----------
    t, y : ndarray of shape (n,)
    dy : ndarray of shape (n,) or None
    fmin, df : float
    nf : int
    block : int, default=2048
        Frequencies evaluated at once (bounds memory to ``n * block``).

    Returns
    -------
    power : ndarray of shape (nf,)

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 20, 60)
    >>> y = np.sin(2 * np.pi * t / 0.5)
    >>> p = gls_reference(t, y, None, 1.0, 0.01, 200)
    >>> round(1.0 + 0.01 * int(np.argmax(p)), 2)
    2.0
    """
    out = np.empty(nf)
    for start in range(0, nf, block):
        f = fmin + df * np.arange(start, min(start + block, nf))
        out[start:start + f.size] = gls_at(t, y, dy, f)
    return out


def _in_blocks(func, freq, per_freq):
    """``func`` on blocks of ``freq`` with at most ``_BLOCK_ELEMENTS`` elements in each
    ``(block, per_freq)`` array it makes, concatenated (bounded memory for long curves)."""
    freq = np.asarray(freq, dtype=np.float64)
    block = max(1, _BLOCK_ELEMENTS // max(int(per_freq), 1))
    if freq.size <= block:
        return func(freq)
    return np.concatenate([func(freq[i:i + block]) for i in range(0, freq.size, block)])


def gls_at(t, y, dy, freq):
    """Generalised Lomb-Scargle power at arbitrary frequencies, by direct sums.

    Frequencies are taken in blocks, so memory stays at about
    ``10 * 8 * _BLOCK_ELEMENTS`` bytes (~160 MiB) however long the curve.

    Parameters
    ----------
    t, y : ndarray of shape (n,)
    dy : ndarray of shape (n,) or None
    freq : ndarray of shape (m,)

    Returns
    -------
    power : ndarray of shape (m,)
    """
    t = np.asarray(t, dtype=np.float64)
    return _in_blocks(lambda f: _gls_at(t, y, dy, f), freq, t.size)


def _gls_at(t, y, dy, freq):
    y = np.asarray(y, dtype=np.float64)
    t = t - t.mean()
    w = _weights(dy, t.size)
    ybar = w @ y
    yy = w @ (y - ybar) ** 2
    f = np.asarray(freq, dtype=np.float64)
    x = 2 * np.pi * np.outer(f, t)
    c, s = np.cos(x), np.sin(x)
    C, S = c @ w, s @ w
    YC = (c * w) @ y - ybar * C
    YS = (s * w) @ y - ybar * S
    CC = (c * c) @ w - C * C
    SS = (s * s) @ w - S * S
    CS = (c * s) @ w - C * S
    D = CC * SS - CS * CS
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (SS * YC**2 + CC * YS**2 - 2 * CS * YC * YS) / (yy * D)
    return np.where(np.isfinite(p), p, 0.0)


def gls_fast(t, y, dy, fmin, df, nf, nthreads=1, nterms=1):
    """Generalised Lomb-Scargle power with the nifty-ls FINUFFT kernel.

    Same result as :func:`gls_reference` (to ~1e-6 in power) in a few
    milliseconds for ~10^5 frequencies. Inputs are cast to float64 and the
    times centred, which both keeps the phases precise and makes FINUFFT
    faster.

    Parameters
    ----------
    t, y : ndarray of shape (n,)
    dy : ndarray of shape (n,) or None
    fmin, df : float
    nf : int
    nthreads : int, default=1

    Returns
    -------
    power : ndarray of shape (nf,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> t = np.sort(rng.uniform(0, 300, 80))
    >>> y = np.sin(2 * np.pi * t / 0.7) + rng.normal(0, 0.3, 80)
    >>> p = gls_fast(t, y, None, 1.0, 0.001, 2000)
    >>> np.allclose(p, gls_reference(t, y, None, 1.0, 0.001, 2000), atol=1e-5)
    True
    """
    import nifty_ls.finufft
    import nifty_ls.finufft_chi2

    t = np.asarray(t, dtype=np.float64)
    t = t - 0.5 * (t[0] + t[-1])
    y = np.ascontiguousarray(y, dtype=np.float64)
    dy = None if dy is None else np.ascontiguousarray(dy, dtype=np.float64)
    if nterms == 1:
        power = nifty_ls.finufft.lombscargle(
            t, y, float(fmin), float(df), int(nf), dy=dy, nthreads=nthreads,
            finufft_kwargs={"eps": _FINUFFT_EPS},
        )
    else:
        power = nifty_ls.finufft_chi2.lombscargle(
            t, y, float(fmin), float(df), int(nf), dy=dy, nthreads=nthreads, nterms=int(nterms),
            finufft_kwargs={"eps": _FINUFFT_EPS},
        )
    return np.nan_to_num(np.asarray(power, dtype=np.float64), nan=0.0)


def mhgls_at(t, y, dy, freq, nterms):
    """Multi-harmonic (``nterms`` sinusoids + mean) power at arbitrary frequencies.

    ``1 - chi2(f) / chi2_0`` of the weighted least-squares fit, by explicit
    normal equations (the reference for ``gls_fast(..., nterms=K)``), in
    blocks of frequencies as :func:`gls_at`.
    """
    t = np.asarray(t, dtype=np.float64)
    return _in_blocks(lambda f: _mhgls_at(t, y, dy, f, nterms), freq,
                      t.size * (2 * nterms + 1))


def _mhgls_at(t, y, dy, freq, nterms):
    from ._fourier import design_matrix

    t = t - t.mean()
    y = np.asarray(y, dtype=np.float64)
    w = _weights(dy, t.size)
    ybar = w @ y
    yc = y - ybar
    chi0 = w @ yc**2
    f = np.asarray(freq, dtype=np.float64)
    A = design_matrix(np.broadcast_to(t, (f.size, t.size)), 2 * np.pi * f, nterms)
    Aw = A * w[None, :, None]
    M = np.matmul(Aw.transpose(0, 2, 1), A)
    b = np.einsum("flp,l->fp", Aw, yc)
    M = M + 1e-12 * np.eye(M.shape[-1])
    coef = np.linalg.solve(M, b[..., None])[..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.einsum("fp,fp->f", coef, b) / chi0
    return np.where(np.isfinite(p), p, 0.0)


def power_at_freqs(t, y, dy, freq, *, nterms=1, band_codes=None):
    """Exact periodogram power at arbitrary frequencies, by direct sums.

    The GLS (:func:`gls_at`) for ``nterms=1``, the multi-harmonic power
    (:func:`mhgls_at`) otherwise, and their shared-period multi-band sum
    (:func:`gls_multiband`) when ``band_codes`` holds several bands.

    Parameters
    ----------
    t, y, dy : ndarray of shape (n,)
    freq : ndarray of shape (m,)
    nterms : int, default=1
    band_codes : ndarray of int, shape (n,), default=None

    Returns
    -------
    power : ndarray of shape (m,)
    """
    freq = np.asarray(freq, dtype=np.float64)

    def exact(tt, yy, ee, *_):
        return gls_at(tt, yy, ee, freq) if nterms == 1 else mhgls_at(tt, yy, ee, freq, nterms)

    if band_codes is not None and np.unique(band_codes).size > 1:
        return gls_multiband(t, y, dy, band_codes, 0.0, 0.0, 0, kernel=exact, _n=freq.size)
    return exact(t, y, dy)


#: Length of the sidereal day in (solar) days.
SIDEREAL_DAY = 0.99726957
#: Length of the (Julian) year in days: seasonal gaps alias ``f`` to ``f +- 1 / YEAR``.
YEAR = 365.25


def daily_alias_peaks(t, y, dy, freqs, fmin, fmax, *, nterms=1, band_codes=None,
                      orders=(1, 2)):
    """Peaks at the daily and yearly aliases of the frequencies ``freqs``.

    A ground-based survey observes at night, so a signal at ``f`` also
    leaves peaks at ``f +- k`` per solar day and, for fields observed near
    the same hour angle every night, per sidereal day; seasonal gaps add
    ``+- 1`` per year. With few epochs one of those is often higher than the
    true peak. This gives the top of the power (:func:`power_at_freqs`)
    within one peak width ``1 / baseline`` of every alias
    ``f + d + y``, ``d`` in ``{0, +-k / day, +-k / sidereal day}`` (``k`` in
    ``orders``), ``y`` in ``{0, +-1 / year}`` (not both 0), so the
    candidates can be compared by a better model (the Fourier fit of
    :class:`PeriodFolder`).

    Parameters
    ----------
    t, y, dy : ndarray of shape (n,)
        Time-sorted light curve (days).
    freqs : ndarray of shape (m,)
        Frequencies (1/day) whose aliases are wanted (NaN entries are skipped).
    fmin, fmax : float
        Search range; aliases outside it are dropped.
    nterms : int, default=1
    band_codes : ndarray of int, shape (n,), default=None
    orders : sequence of int, default=(1, 2)

    Returns
    -------
    ndarray
        Alias peak frequencies within ``[fmin, fmax]``, none closer than half
        a peak width to one of ``freqs`` or to another.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(np.round(rng.uniform(0, 300, 60)) + rng.normal(0, 0.02, 60))
    >>> y = np.sin(2 * np.pi * t / 0.6)
    >>> f = daily_alias_peaks(t, y, None, np.array([1 / 0.6]), 0.1, 10.0)
    >>> bool(np.any(np.abs(f - (1 / 0.6 + 1)) < 1 / 300))
    True
    """
    freqs = np.asarray(freqs, dtype=np.float64)
    freqs = freqs[np.isfinite(freqs)]
    width = 1.0 / max(np.ptp(t), 1e-12)
    daily = [0.0] + [s * k / day for k in orders for day in (1.0, SIDEREAL_DAY)
                     for s in (1.0, -1.0)]
    steps = (np.array(daily)[:, None] + np.array([0.0, 1.0, -1.0]) / YEAR).ravel()[1:]
    centres = (freqs[:, None] + steps[None, :]).ravel()
    centres = centres[(centres >= fmin) & (centres <= fmax)]
    if centres.size == 0:
        return centres
    power = partial(power_at_freqs, t, y, dy, nterms=nterms, band_codes=band_codes)
    found, _ = _peaks(power, centres, np.full(centres.size, width), n=17, n_refine=2)
    found = np.clip(found, fmin, fmax)
    out = []
    for f in found:  # distinct from the input peaks and from each other
        taken = np.concatenate([freqs, out])
        if not np.any(np.abs(taken - f) < 0.5 * width):
            out.append(f)
    return np.asarray(out)


def gls_multiband(t, y, dy, band_codes, fmin, df, nf, kernel=gls_fast, _n=None):
    """Shared-period periodogram of several bands (one mean and sinusoid per band).

    The power is the fractional chi-square reduction summed over bands,
    ``P(f) = sum_b chi2_0,b p_b(f) / sum_b chi2_0,b`` — the
    ``LombScargleMultiband`` model with ``nterms_base=0, nterms_band=1``.

    Parameters
    ----------
    t, y, dy : ndarray of shape (n,)
    band_codes : ndarray of int, shape (n,)
    fmin, df : float
    nf : int
    kernel : callable, default=gls_fast
        Single-band kernel (``gls_fast`` or ``gls_reference``).

    Returns
    -------
    power : ndarray of shape (nf,)
    """
    total = np.zeros(nf if _n is None else _n)
    chi0_sum = 0.0
    for code in np.unique(band_codes):
        sel = band_codes == code
        if sel.sum() < 3:
            continue
        w = 1.0 / dy[sel] ** 2
        ybar = np.sum(w * y[sel]) / w.sum()
        chi0 = float(np.sum(w * (y[sel] - ybar) ** 2))
        if chi0 <= 0:
            continue
        total += chi0 * kernel(t[sel], y[sel], dy[sel], fmin, df, nf)
        chi0_sum += chi0
    return total / chi0_sum if chi0_sum > 0 else total


def top_peaks(power, k):
    """Indices of the ``k`` highest local maxima of ``power``, highest first.

    Examples
    --------
    >>> top_peaks(np.array([0., 3., 1., 0., 2., 5., 4.]), 2).tolist()
    [5, 1]
    """
    p = np.asarray(power)
    if p.size < 3:
        return np.argsort(p)[::-1][:k]
    is_max = np.empty(p.size, dtype=bool)
    is_max[1:-1] = (p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:])
    is_max[0] = p[0] > p[1]
    is_max[-1] = p[-1] > p[-2]
    idx = np.flatnonzero(is_max)
    if idx.size == 0:
        return np.array([int(np.argmax(p))])
    if idx.size > k:
        idx = idx[np.argpartition(p[idx], -k)[-k:]]
    return idx[np.argsort(p[idx])[::-1]]


def gls_search(t, y, dy, fmin, df, nf, n_peaks=1, *, coarsening=3, n_candidates=12,
               band_codes=None, nterms=1, coarse=None, coarse_df=None):
    """Highest periodogram peaks on the grid ``fmin + df * arange(nf)``, fast.

    Coarse-to-fine: the NUFFT periodogram runs on every ``coarsening``-th
    grid frequency (its cost grows with the number of frequencies), the
    ``n_candidates`` highest coarse peaks are kept, and the exact power is
    evaluated by direct sums (:func:`gls_at`) on every fine grid frequency
    within one coarse step of each. With ``coarsening=1`` the whole fine grid
    is computed (exhaustive search).

    A peak of width ``1 / baseline`` sampled every ``coarsening * df`` loses
    at most ``sinc^2`` of half a coarse step of its height, so the true
    maximum is missed only if more than ``n_candidates`` other peaks are
    nearly as high; the benchmark checks the result against astropy's
    exhaustive search on the full grid.

    Parameters
    ----------
    t, y, dy : ndarray of shape (n,)
    fmin, df : float
    nf : int
    n_peaks : int, default=1
    coarsening : int, default=5
    n_candidates : int, default=12
    band_codes : ndarray of int, shape (n,), default=None
        Multi-band (shared-period) power, see :func:`gls_multiband`.
    nterms : int, default=1
        Harmonics of the periodogram model (1: the GLS; more: the
        multi-harmonic periodogram, nifty-ls ``finufft_chi2``).
    coarse, coarse_df : ndarray, float, default=None
        A coarse periodogram already computed on ``fmin + coarse_df *
        arange(len(coarse))`` (as :func:`gls_search_many` does for a batch).

    Returns
    -------
    freq : ndarray of shape (<= n_peaks,)
        Frequencies of the highest distinct peaks on the fine grid, highest first.
    power : ndarray of shape (<= n_peaks,)

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(2)
    >>> t = np.sort(rng.uniform(0, 1826, 100))
    >>> y = np.sin(2 * np.pi * t / 0.5432) + rng.normal(0, 0.2, 100)
    >>> fmin, df, nf = frequency_grid(np.ptp(t), (0.28, 0.98), 10)
    >>> f, p = gls_search(t, y, None, fmin, df, nf)
    >>> full = gls_fast(t, y, None, fmin, df, nf)
    >>> bool(np.isclose(f[0], fmin + df * np.argmax(full)))
    True
    """
    multi = band_codes is not None and np.unique(band_codes).size > 1
    power_at = partial(power_at_freqs, t, y, dy, nterms=nterms,
                       band_codes=band_codes if multi else None)

    def grid_kernel(tt, yy, ee, f0, step, n):
        return gls_fast(tt, yy, ee, f0, step, n, nterms=nterms)

    def on_grid(f0, step, n):
        if multi:
            return gls_multiband(t, y, dy, band_codes, f0, step, n, kernel=grid_kernel)
        return grid_kernel(t, y, dy, f0, step, n)

    c = max(int(coarsening), 1)
    if coarse is not None:
        cand = top_peaks(coarse, n_candidates)
        half = int(np.ceil(coarse_df / df))
        centre = np.rint(cand * (coarse_df / df)).astype(np.int64)
        fine = np.clip(centre[:, None] + np.arange(-half, half + 1)[None, :], 0, nf - 1)
        return _refine(fine, power_at, n_peaks, nterms, t.size, nf, fmin, df)
    if c == 1 or nf <= 4 * c * n_candidates:
        power = on_grid(fmin, df, nf)
        idx = top_peaks(power, n_peaks)
        if nterms > 1:
            idx, pw = _prefer_harmonic(idx, power[idx], power_at, t.size, nterms, nf, fmin, df)
            return fmin + df * idx, pw
        return fmin + df * idx, power[idx]
    nc = (nf - 1) // c + 1
    coarse = on_grid(fmin, df * c, nc)
    cand = top_peaks(coarse, n_candidates)
    offsets = np.arange(-c, c + 1)
    fine = np.clip(cand[:, None] * c + offsets[None, :], 0, nf - 1)
    return _refine(fine, power_at, n_peaks, nterms, t.size, nf, fmin, df)


def _refine(fine, power_at, n_peaks, nterms, n_points, nf, fmin, df):
    """Exact power on the fine-grid windows ``fine`` (candidates x window)."""
    p = power_at(fmin + df * fine.ravel()).reshape(fine.shape)
    best = np.argmax(p, axis=1)
    f_best = fine[np.arange(fine.shape[0]), best]
    p_best = p[np.arange(fine.shape[0]), best]
    # distinct fine peaks, highest first
    f_best, keep = np.unique(f_best, return_index=True)
    p_best = p_best[keep]
    order = np.argsort(p_best)[::-1][:n_peaks]
    idx, pw = f_best[order], p_best[order]
    if nterms > 1:
        idx, pw = _prefer_harmonic(idx, pw, power_at, n_points, nterms, nf, fmin, df)
    return fmin + df * idx, pw


def gls_search_many(curves, fmin, dfs, nfs, n_peaks=1, *, coarsening=3, n_candidates=12,
                    nterms=1, multiband=False, batch=20):
    """:func:`gls_search` for many light curves, the coarse stage batched.

    nifty-ls transforms a batch of series that share one time array; the
    light curves of a batch are put on the union of their times with
    infinite errors (zero weight) where a curve has no point, which halves
    the per-curve cost of the coarse periodogram (one NUFFT plan per batch).
    A batch holds curves with the same coarse step: ``coarsening`` times the
    curve's fine step, rounded down to the ladder ``2^(k/4)``, so a curve's
    coarse grid (and its result) depends on that curve alone, never on the
    other curves of the batch.

    Parameters
    ----------
    curves : list of (t, y, dy, band_codes)
        Time-sorted arrays per light curve (``band_codes`` may be None).
    fmin : float
    dfs, nfs : sequence
        Fine grid step and size per curve.
    n_peaks, coarsening, n_candidates, nterms : int
    multiband : bool
        Shared-period power over bands (chi-square-weighted sum).
    batch : int, default=20

    Returns
    -------
    freqs : ndarray of shape (n_curves, n_peaks)
        NaN where a curve has fewer peaks.
    """
    import nifty_ls.finufft
    import nifty_ls.finufft_chi2

    out = np.full((len(curves), n_peaks), np.nan)
    c = max(int(coarsening), 1)
    # the coarse step of a curve depends on that curve alone (its own step times the
    # coarsening, rounded down to a ladder of 2^(1/4) steps), so its candidates - and
    # its period - do not depend on the other curves of the batch
    level = np.floor(4 * np.log2(c * np.asarray(dfs, dtype=np.float64))).astype(np.int64)
    parts = []
    for lev in np.unique(level):
        members = np.flatnonzero(level == lev)
        parts += [members[lo:lo + batch] for lo in range(0, members.size, batch)]
    for part in parts:
        rows, owners, chi0 = [], [], []
        for i in part:
            t, y, dy, b = curves[i]
            groups = [np.ones(t.size, bool)]
            if multiband and b is not None and np.unique(b).size > 1:
                groups = [b == code for code in np.unique(b)]
            for g in groups:
                if g.sum() < 3:
                    continue
                w = 1.0 / dy[g] ** 2
                ybar = np.sum(w * y[g]) / w.sum()
                rows.append((t[g], y[g], dy[g]))
                owners.append(i)
                chi0.append(float(np.sum(w * (y[g] - ybar) ** 2)))
        if not rows or c == 1:
            for i in part:
                t, y, dy, b = curves[i]
                f, _ = gls_search(t, y, dy, fmin, dfs[i], nfs[i], n_peaks, coarsening=c,
                                  n_candidates=n_candidates, nterms=nterms,
                                  band_codes=b if multiband else None)
                out[i, :f.size] = f
            continue
        df_c = 2.0 ** (level[part[0]] / 4)
        nc_i = {i: int(np.ceil(dfs[i] * (nfs[i] - 1) / df_c)) + 1 for i in part}
        nc = max(nc_i.values())
        t_all = np.concatenate([r[0] for r in rows])
        t_union, inverse = np.unique(t_all, return_inverse=True)
        Y = np.zeros((len(rows), t_union.size))
        DY = np.full((len(rows), t_union.size), np.inf)
        start = 0
        for r, (t, y, dy) in enumerate(rows):
            cols = inverse[start:start + t.size]
            start += t.size
            Y[r, cols] = y
            DY[r, cols] = dy
        tc = t_union - 0.5 * (t_union[0] + t_union[-1])
        kw = dict(dy=DY, nthreads=1, finufft_kwargs={"eps": _FINUFFT_EPS})
        if nterms == 1:
            P = nifty_ls.finufft.lombscargle(tc, Y, float(fmin), float(df_c), nc, **kw)
        else:
            P = nifty_ls.finufft_chi2.lombscargle(tc, Y, float(fmin), float(df_c), nc,
                                                   nterms=int(nterms), **kw)
        P = np.nan_to_num(np.asarray(P, dtype=np.float64), nan=0.0)
        owners = np.asarray(owners)
        chi0 = np.asarray(chi0)
        for i in part:
            sel = owners == i
            if not sel.any():
                continue
            weights = chi0[sel]
            coarse = (weights @ P[sel]) / weights.sum() if weights.sum() > 0 else P[sel][0]
            coarse = coarse[:nc_i[i]]  # this curve's own coarse grid
            t, y, dy, b = curves[i]
            f, _ = gls_search(t, y, dy, fmin, dfs[i], nfs[i], n_peaks, coarsening=c,
                              n_candidates=n_candidates, nterms=nterms,
                              band_codes=b if multiband else None, coarse=coarse,
                              coarse_df=df_c)
            out[i, :f.size] = f
    return out


def _peaks(power_at, centres, halves, n=17, n_refine=4):
    """Frequencies and powers of the highest maxima within ``centres +- halves``.

    A grid of ``n`` points per window, then parabolic steps on the best one
    (all windows in one call of ``power_at`` per step), so the powers compared
    between candidate peaks are those of their tops, not of where a grid
    happens to sample them.
    """
    centres, halves = np.asarray(centres, float), np.asarray(halves, float)
    freq = centres[:, None] + halves[:, None] * np.linspace(-1, 1, n)[None, :]
    p = power_at(freq.ravel()).reshape(freq.shape)
    k = np.argmax(p, axis=1)
    rows = np.arange(centres.size)
    f, best, h = freq[rows, k], p[rows, k], 2 * halves / (n - 1)
    for _ in range(n_refine):
        pm, pp = power_at(np.concatenate([f - h, f + h])).reshape(2, -1)
        denom = pm - 2 * best + pp
        with np.errstate(all="ignore"):
            step = np.where(denom < 0, np.clip(0.5 * (pm - pp) / denom, -1.0, 1.0), 0.0)
        f_new = f + step * h
        p_new = power_at(f_new)
        better = p_new > best
        f, best = np.where(better, f_new, f), np.where(better, p_new, best)
        h = h / 4.0
    return f, best


def _prefer_harmonic(idx, pw, power_at, n_points, nterms, nf, fmin, df):
    """Multi-harmonic periodograms have (nearly) the same power at f, f/2 and f/3
    for a signal with period 1/f (the model at f/m holds the harmonic m (f/m)),
    and a bit more at f/m, whose model has more freedom. So for each peak f the
    multiples m f (m = 2, 3) are checked, the peaks compared at their tops
    (:func:`_peaks`, not at grid samples), and the multiple is kept unless the
    peak at f fits significantly better (chi-square drop, in units of the
    reduced chi-square, above the BIC penalty ``2 * nterms * ln N``) - as for an
    eclipsing binary with unequal minima. The highest multiple that fits as
    well wins; the returned index is the grid point nearest its top."""
    idx = np.asarray(idx, dtype=np.int64).copy()
    pw = np.asarray(pw, dtype=np.float64).copy()
    dof = max(n_points - (2 * nterms + 1), 1)
    penalty = 2 * nterms * np.log(max(n_points, 2))
    fmax = fmin + df * (nf - 1)
    for j in range(idx.size):
        f = fmin + df * idx[j]
        m = np.array([1, 2, 3])
        m = m[m * f <= fmax + 0.5 * df]
        # windows of +- m grid steps (the uncertainty of m f), sampled every m df / 6
        f_top, p_top = _peaks(power_at, m * f, m * df, n=13, n_refine=2)
        chi_f = 1.0 - max(p_top[0], pw[j])
        if chi_f <= 0:
            continue
        fits = (1.0 - p_top[1:] - chi_f) / (chi_f / dof) < penalty
        if fits.any():
            best = 1 + np.flatnonzero(fits)[-1]
            k = int(np.clip(np.rint((f_top[best] - fmin) / df), 0, nf - 1))
            idx[j], pw[j] = k, power_at(np.array([fmin + df * k]))[0]
    return idx, pw

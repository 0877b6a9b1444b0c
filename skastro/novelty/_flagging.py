"""Repeated-split flagging of Soraisam et al. (2020, §3.2)."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..utils import check_lightcurves

__all__ = ["percentile_outliers", "repeated_split_flags"]


def percentile_outliers(scores, percentile=2.0):
    """Flag the scores below the ``percentile``-th percentile of ``scores`` (the paper's rule).

    Parameters
    ----------
    scores : array-like of shape (n,)
        Higher is more normal.
    percentile : float, default=2.0
        Soraisam et al. use the 2nd percentile.

    Returns
    -------
    ndarray of bool, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.novelty import percentile_outliers
    >>> np.flatnonzero(percentile_outliers(np.arange(100.0), percentile=2.0))
    array([0, 1])
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"scores must be a non-empty 1-D array; got shape {scores.shape}.")
    if not 0 < percentile < 100:
        raise ValueError(f"percentile must be in (0, 100); got {percentile!r}.")
    return scores < np.percentile(scores, percentile)


def repeated_split_flags(detector, X, *, n_splits=10, train_size=2 / 3, percentile=2.0,
                         fit_on=None, strict=True, random_state=None):
    """Flag outliers over repeated random subsamples (Soraisam et al. 2020, §3.2).

    Each iteration fits a clone of ``detector`` on a random ``train_size``
    fraction of the fitting pool, scores the light curves not used to fit,
    and flags those below the ``percentile``-th percentile of those scores.
    With ``x_j`` the number of times source ``j`` was flagged (over the
    sources flagged at least once), the final outliers are the sources
    flagged more than (``strict=False``: at least)

    .. math:: \\mathcal{N} = \\mathrm{Med}(x_j) - \\mathrm{MAD}(x_j)

    times (MAD: median absolute deviation), as §3.2 says ("flagged more
    than N times"). With integer counts, when most flagged sources are
    flagged in every split the median is the maximum, the MAD is 0 and the
    strict rule keeps nothing; ``strict=False`` then keeps the ties.

    Parameters
    ----------
    detector : DmDtNoveltyDetector or any estimator with ``fit``/``score_samples``
        Template, cloned for every split.
    X : LightCurves
        The sources to search.
    n_splits : int, default=10
        Number of random subsamples (the paper: 10).
    train_size : float, default=2/3
        Fraction of the fitting pool used to build the distributions.
    percentile : float, default=2.0
        Flag the scores below this percentile in each split.
    fit_on : array-like of bool or int, default=None
        Positions of ``X`` the distributions may be built from (the paper's
        labelled sources: "P-labeled"); the others are scored every time.
        Default: all of ``X`` (each iteration fits on a subsample and scores
        the rest).
    strict : bool, default=True
        Keep only counts strictly above ``Med - MAD`` (the paper's rule);
        False: counts at or above it.
    random_state : int, RandomState or None, default=None

    Returns
    -------
    flagged : ndarray of bool, shape (n_objects,)
        The final outliers.
    counts : ndarray of int, shape (n_objects,)
        How many times each source was flagged.
    threshold : float
        ``Med(x_j) - MAD`` over the sources flagged at least once.

    References
    ----------
    .. [1] Soraisam, M. D., et al. 2020, ApJ 892, 112. https://doi.org/10.3847/1538-4357/ab7b61

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.datasets import make_transients
    >>> from skastro.novelty import DmDtNoveltyDetector, repeated_split_flags
    >>> lcs = make_transients(n_variables=150, n_transients=2, n_epochs=25, random_state=1)
    >>> flagged, counts, thr = repeated_split_flags(
    ...     DmDtNoveltyDetector(), lcs, n_splits=5, fit_on=range(100), random_state=0)
    >>> np.flatnonzero(flagged), lcs.meta["is_transient"].to_numpy().nonzero()[0]
    (array([150, 151]), array([150, 151]))
    """
    X = check_lightcurves(X, "repeated_split_flags")
    rng = check_random_state(random_state)
    n = len(X)
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1; got {n_splits}.")
    if not 0 < train_size < 1:
        raise ValueError(f"train_size must be in (0, 1); got {train_size}.")
    if fit_on is None:
        pool = np.arange(n)
    else:
        fit_on = np.asarray(list(fit_on) if isinstance(fit_on, range) else fit_on)
        pool = np.flatnonzero(fit_on) if fit_on.dtype == bool else fit_on.astype(int)
        if pool.size == 0 or pool.min() < 0 or pool.max() >= n:
            raise ValueError(f"fit_on must select positions in [0, {n}); got {pool.size} "
                             "position(s) outside or none.")
    counts = np.zeros(n, dtype=int)
    n_train = max(1, int(round(train_size * pool.size)))
    for _ in range(n_splits):
        train = rng.choice(pool, size=n_train, replace=False)
        test = np.setdiff1d(np.arange(n), train)
        if test.size == 0:
            raise ValueError("No light curve left to score; lower train_size.")
        model = clone(detector).fit(X[train])
        scores = model.score_samples(X[test])
        counts[test[percentile_outliers(scores, percentile)]] += 1
    x = counts[counts > 0]
    if x.size == 0:
        return np.zeros(n, dtype=bool), counts, 0.0
    med = float(np.median(x))
    threshold = med - float(np.median(np.abs(x - med)))
    flagged = counts > threshold if strict else (counts >= threshold) & (counts > 0)
    return flagged, counts, threshold

"""KMTNet's AlertFinder trigger (Viaña et al. 2025, §3.2; Kim et al. 2018b).

The vectorised kernels here (per site-group medians, broken-line fits over a
grid of break times) are shared by the preprocessing and the baseline.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..utils import check_lightcurves
from ..utils._set_output import ContainerTransformerMixin
from ..utils._grouped import group_median
from ..utils._validation import meta_as_float

__all__ = ["alertfinder_trigger", "AlertFinder"]

_ERR_FLOOR = 1e-6


# --------------------------------------------------------------------------- groups
def site_groups(X):
    """Observations ordered by (alert, site, time) and their group ids.

    Returns
    -------
    order : ndarray of int64
        Permutation of the flat observations into (alert, site, time) order.
    group : ndarray of int64
        Group id of each *ordered* observation, ``alert * n_sites + site``.
    n_sites : int
        Number of sites (1 when ``X`` has no site column).
    """
    obj = X.object_index
    if "site" in X.columns:
        site = X.codes("site").astype(np.int64)
        n_sites = max(len(X.sites), 1)
    else:
        site = np.zeros(X.n_observations, dtype=np.int64)
        n_sites = 1
    # Times are sorted within each object, and lexsort is stable.
    order = np.lexsort((site, obj))
    group = obj[order].astype(np.int64) * n_sites + site[order]
    return order, group, n_sites


def _wsum(weights, group, n_groups):
    return np.bincount(group, weights=weights, minlength=n_groups)


def constrained_line(t, f, w, group, n_groups, t_break):
    """The §5.4 fit: historic mean before ``t_break``, a line after, continuous.

    Parameters
    ----------
    t, f, w : ndarray
        Times, fluxes and weights (``1/σ²``) of the observations.
    group : ndarray of int
        Group of each observation.
    n_groups : int
    t_break : ndarray of shape (n_groups,)
        Break time of each group.

    Returns
    -------
    mean0, slope : ndarray of shape (n_groups,)
        Error-weighted historic mean and slope of the line through
        ``(t_break, mean0)``; the model is ``mean0 + slope * max(t - t_break, 0)``.
    """
    tb = t_break[group]
    pre = t < tb
    sw_pre = _wsum(w * pre, group, n_groups)
    sw_all = _wsum(w, group, n_groups)
    swf_pre = _wsum(w * f * pre, group, n_groups)
    swf_all = _wsum(w * f, group, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean0 = np.where(sw_pre > 0, swf_pre / np.where(sw_pre > 0, sw_pre, 1.0),
                         swf_all / np.where(sw_all > 0, sw_all, 1.0))
        x = np.maximum(t - tb, 0.0)
        num = _wsum(w * x * (f - mean0[group]), group, n_groups)
        den = _wsum(w * x * x, group, n_groups)
        slope = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return mean0, slope


def broken_line_search(t, f, w, group, n_groups, n_grid=32, n_refine=12, min_span=0.05):
    """Best Eq. 1 fit, ``F = a0 + a1 (t - t_break) Θ(t - t_break)``, per group.

    ``t_break`` is searched on a grid looking back from each group's last
    epoch (geometric in the look-back, then refined linearly around the best
    node); ``a0`` and ``a1`` are error-weighted least squares at each node.

    Returns
    -------
    dict of ndarray of shape (n_groups,)
        ``t_break``, ``a0``, ``a1``, ``chi2_flat``, ``chi2_broken``,
        ``delta_chi2`` (flat minus broken; 0 for empty groups) and ``n``.
    """
    n = np.bincount(group, minlength=n_groups)
    has = n > 0
    big = np.finfo(np.float64).max
    t_first = np.full(n_groups, np.inf)
    t_last = np.full(n_groups, -np.inf)
    np.minimum.at(t_first, group, t)
    np.maximum.at(t_last, group, t)
    t_first[~has] = 0.0
    t_last[~has] = 0.0
    span = np.maximum(t_last - t_first, min_span)
    sw = _wsum(w, group, n_groups)
    swf = _wsum(w * f, group, n_groups)
    swff = _wsum(w * f * f, group, n_groups)
    safe_sw = np.where(sw > 0, sw, 1.0)
    chi2_flat = swff - swf ** 2 / safe_sw

    def evaluate(tb):
        x = np.maximum(t - tb[group], 0.0)
        swx = _wsum(w * x, group, n_groups)
        swxx = _wsum(w * x * x, group, n_groups)
        swxf = _wsum(w * x * f, group, n_groups)
        det = sw * swxx - swx ** 2
        ok = det > 1e-12 * np.maximum(sw * swxx, 1e-300)
        safe = np.where(ok, det, 1.0)
        a1 = np.where(ok, (sw * swxf - swx * swf) / safe, 0.0)
        a0 = np.where(ok, (swf - a1 * swx) / safe_sw, swf / safe_sw)
        # chi2 = Σw(f - a0 - a1 x)² expanded
        chi2 = (swff - 2 * a0 * swf - 2 * a1 * swxf + a0 ** 2 * sw
                + 2 * a0 * a1 * swx + a1 ** 2 * swxx)
        chi2 = np.where(ok, chi2, chi2_flat)
        return chi2, a0, a1

    best = np.full(n_groups, big)
    best_tb = t_last - 0.5 * span
    q = np.geomspace(1.0 / 512, 1.0, n_grid)
    for qk in q:
        tb = t_last - qk * span
        chi2, _, _ = evaluate(tb)
        better = chi2 < best
        best = np.where(better, chi2, best)
        best_tb = np.where(better, tb, best_tb)
    # refine linearly between the neighbouring geometric nodes
    ratio = q[1] / q[0]
    look = t_last - best_tb
    lo, hi = look / ratio, np.minimum(look * ratio, span)
    for u in np.linspace(0.0, 1.0, n_refine):
        tb = t_last - (lo + u * (hi - lo))
        chi2, _, _ = evaluate(tb)
        better = chi2 < best
        best = np.where(better, chi2, best)
        best_tb = np.where(better, tb, best_tb)
    chi2, a0, a1 = evaluate(best_tb)
    delta = np.where(has, np.maximum(chi2_flat - chi2, 0.0), 0.0)
    return {"t_break": best_tb, "a0": a0, "a1": a1, "chi2_flat": chi2_flat,
            "chi2_broken": chi2, "delta_chi2": delta, "n": n}


def _weights(error):
    err = np.abs(np.asarray(error, dtype=np.float64))
    err = np.where(np.isfinite(err) & (err > _ERR_FLOOR), err, np.nan)
    w = 1.0 / err ** 2
    return np.where(np.isfinite(w), w, 0.0)


# ------------------------------------------------------------------------ trigger
def alertfinder_trigger(X, *, n_high=3, n_sigma=3.0, delta_chi2_threshold=100.0):
    """Run the AlertFinder trigger on every alert of ``X``.

    For each site of an alert: (1) at least ``n_high`` of the last
    ``n_high + 10`` fluxes lie ``≥ n_sigma`` flux errors above the site's
    median flux; (2) the broken line of Eq. 1 beats a flat line by
    ``Δχ² > delta_chi2_threshold`` with a positive slope. An alert triggers
    when one site passes both; ``t_break`` is taken from the passing site with
    the largest ``Δχ²`` (from the largest ``Δχ²`` overall when none passes).

    Parameters
    ----------
    X : LightCurves
        Flux light curves (``value_kind="flux"``), optionally with a ``site``
        column; each site is tested on its own, as KMTNet's photometry of one
        star differs in offset and scale between sites.
    n_high : int, default=3
        ``N_high`` of §3.2.
    n_sigma : float, default=3.0
        Significance of a "high" point, in units of its flux error.
    delta_chi2_threshold : float, default=100.0
        ``Δχ²_thresh`` of §3.2.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``X.meta``, with columns ``triggered`` (bool),
        ``t_break``, ``delta_chi2``, ``slope``, ``n_high_points`` and
        ``trigger_site`` (site label, or ``""`` without a site column).

    References
    ----------
    .. [1] Viaña, J. et al. 2025, "LensNet: Enhancing Real-time Microlensing
       Event Discovery with Recurrent Neural Networks in the Korea
       Microlensing Telescope Network", §3.2, 2025 preprint (identifier not in our copy of the paper)
    .. [2] Kim, H.-W. et al. 2018, "The KMTNet AlertFinder", arXiv:1806.07545.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.microlensing import alertfinder_trigger
    >>> t = np.arange(0.0, 40.0, 0.25)
    >>> flux = 100 + np.where(t > 35, 40 * (t - 35), 0.0)
    >>> flat = np.full_like(t, 100.0)
    >>> lcs = LightCurves.from_arrays([t, t], [flux, flat], [np.ones_like(t)] * 2,
    ...                               value_kind="flux")
    >>> out = alertfinder_trigger(lcs)
    >>> out["triggered"].tolist()
    [True, False]
    >>> bool(abs(out["t_break"].iloc[0] - 35.0) < 0.2)
    True
    """
    X = check_lightcurves(X, "alertfinder_trigger", value_kind="flux")
    for name, v in (("n_high", n_high),):
        if not isinstance(v, Integral) or v < 1:
            raise ValueError(f"{name} must be a positive integer; got {v!r}.")
    order, group, n_sites = site_groups(X)
    n_groups = len(X) * n_sites
    t = X.time[order]
    f = np.asarray(X.value, dtype=np.float64)[order]
    err = np.asarray(X.error, dtype=np.float64)[order]
    w = _weights(err)
    finite = np.isfinite(f) & (w > 0)
    t, f, err, w, group = t[finite], f[finite], err[finite], w[finite], group[finite]
    counts = np.bincount(group, minlength=n_groups)
    ends = np.cumsum(counts)
    median = group_median(f, group, n_groups)
    from_end = ends[group] - 1 - np.arange(group.size)
    recent = from_end < n_high + 10
    high = recent & (f - median[group] >= n_sigma * err)
    n_hi = np.bincount(group, weights=high, minlength=n_groups).astype(np.int64)
    fit = broken_line_search(t, f, w, group, n_groups)
    passes = ((n_hi >= n_high) & (fit["delta_chi2"] > delta_chi2_threshold)
              & (fit["a1"] > 0)).reshape(len(X), n_sites)
    delta = fit["delta_chi2"].reshape(len(X), n_sites)
    score = np.where(passes, delta, -1.0 - 1.0 / (1.0 + delta))
    best = np.argmax(np.where(counts.reshape(len(X), n_sites) > 0, score, -np.inf), axis=1)
    rows = np.arange(len(X))
    pick = rows * n_sites + best
    sites = np.asarray(X.sites if "site" in X.columns else ("",), dtype=object)
    return pd.DataFrame(
        {
            "triggered": passes.any(axis=1),
            "t_break": fit["t_break"][pick],
            "delta_chi2": fit["delta_chi2"][pick],
            "slope": fit["a1"][pick],
            "n_high_points": n_hi[pick],
            "trigger_site": sites[best],
        },
        index=X.meta.index,
    )


def t_break_of(X, column, name):
    """Per-object ``t_break``: the numeric metadata column ``column`` if ``X`` has
    it (non-numeric entries are a ``ValueError`` naming ``name``, the column and
    the object), else the §5.4 trigger's fit (:func:`alertfinder_trigger`)."""
    if column in X.meta.columns:
        return meta_as_float(X, column, name)
    return np.asarray(alertfinder_trigger(X)["t_break"], dtype=np.float64)


class AlertFinder(ContainerTransformerMixin, BaseEstimator):
    """The §3.2 AlertFinder trigger as a transformer.

    ``transform`` returns the light curves with the trigger results added to
    ``meta`` (``triggered``, ``t_break``, ``delta_chi2``, ``slope``,
    ``n_high_points``, ``trigger_site``; ``t_break`` is what the LensNet
    preprocessing uses). Stateless: ``fit`` only checks the input.

    Parameters
    ----------
    n_high : int, default=3
        ``N_high``: high points needed among the last ``N_high + 10``.
    n_sigma : float, default=3.0
        Significance of a high point, in flux errors above the median.
    delta_chi2_threshold : float, default=100.0
        ``Δχ²`` by which Eq. 1 must beat a flat line.
    overwrite : bool, default=False
        Replace an existing ``t_break`` meta column (by default an alert's
        ``t_break`` supplied by the survey is kept and only the other columns
        are added).

    Attributes
    ----------
    sites_ : tuple of str
        Sites of the alerts seen in ``fit`` (for information: the trigger
        runs on each alert alone).

    See Also
    --------
    alertfinder_trigger : the function this wraps.
    skastro.microlensing.LensNetPreprocessor : uses ``t_break``.

    References
    ----------
    .. [1] Viaña, J. et al. 2025, LensNet, §3.2, 2025 preprint (identifier not in our copy of the paper)

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import AlertFinder
    >>> alerts = make_microlensing_alerts(6, n_days=20, random_state=0)
    >>> out = AlertFinder(overwrite=True).fit_transform(alerts)
    >>> sorted(c for c in out.meta.columns if c in ("triggered", "t_break"))
    ['t_break', 'triggered']
    """

    _parameter_constraints = {
        "n_high": [Interval(Integral, 1, None, closed="left")],
        "n_sigma": [Interval(Real, 0, None, closed="neither")],
        "delta_chi2_threshold": [Interval(Real, 0, None, closed="left")],
        "overwrite": ["boolean"],
    }

    def __init__(self, *, n_high=3, n_sigma=3.0, delta_chi2_threshold=100.0, overwrite=False):
        self.n_high = n_high
        self.n_sigma = n_sigma
        self.delta_chi2_threshold = delta_chi2_threshold
        self.overwrite = overwrite

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check ``X`` and record its sites; nothing is learned.

        Parameters
        ----------
        X : LightCurves
            Flux light curves (``value_kind="flux"``); their ``site`` labels,
            if any, become ``sites_``.
        y : None
            Ignored.

        Returns
        -------
        self : AlertFinder
        """
        X = check_lightcurves(X, self, value_kind="flux", reset=True)
        self.sites_ = tuple(X.sites) if "site" in X.columns else ("",)
        return self

    def transform(self, X):
        """Add the trigger columns to ``X.meta`` (a new container).

        Parameters
        ----------
        X : LightCurves
            Flux light curves (``value_kind="flux"``). Not modified.

        Returns
        -------
        LightCurves
            ``X`` with the columns of :func:`alertfinder_trigger` added to
            ``meta`` (an existing ``t_break`` is kept unless ``overwrite``).
        """
        check_is_fitted(self)
        X = check_lightcurves(X, self, value_kind="flux", reset=False)
        out = alertfinder_trigger(X, n_high=self.n_high, n_sigma=self.n_sigma,
                                  delta_chi2_threshold=self.delta_chi2_threshold)
        if not self.overwrite and "t_break" in X.meta.columns:
            out = out.drop(columns="t_break")
        return X.with_meta(out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags

"""DmDtNoveltyDetector: population p_f(dm|dt) novelty scores (Soraisam et al. 2020)."""

from numbers import Integral, Real

import numpy as np
from scipy.special import log_ndtr, ndtri_exp
from sklearn.base import BaseEstimator, OutlierMixin, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import preset_params
from ..utils import check_lightcurves, load_model, save_model
from . import _kernels

__all__ = ["DmDtNoveltyDetector", "PRESETS"]

_SINGLE_BAND = "all"

PRESETS = {
    # Soraisam et al. 2020: the score S of Eqs. (1)-(2), flagged below the 2nd percentile
    # (§3.2), on the five passbands u, g, r, i, z and their 20 ordered pairs (§3.1, §5.2)
    "soraisam2020": {"score": "paper", "contamination": 0.02, "bands": ("u", "g", "r", "i", "z")},
}


def _check_range(value, name):
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers; got {value!r}.") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with low < high; got {value!r}.")
    return lo, hi


class DmDtNoveltyDetector(OutlierMixin, TransformerMixin, BaseEstimator):
    r"""Novelty detector from population dm-dt distributions (Soraisam et al. 2020).

    ``fit`` builds, for every passband ``f = a`` and every ordered pair of
    passbands ``f = a-b``, the population distribution :math:`p_f(dm|dt)` as a
    2-D histogram on a (log dt, dm) grid normalised along dm within each dt
    bin. Single bands use consecutive pairs of observations, cross-passbands
    all pairs with :math:`t_a > t_b` (§3.1). A light curve is scored by the
    likelihood of its own (dm, dt) pairs, Eq. (1), normalised by its
    expectation, Eq. (2):

    .. math::

        S = \log\frac{\mathcal{L}}{\langle\mathcal{L}\rangle}
          = \sum_{f,j}\Big[\log p_f(dm_{f,j}|dt_{f,j})
            - \log\!\int p_f(dm|dt_{f,j})^2\,d(dm)\Big].

    Higher scores are more normal; the interface is the one of
    :class:`sklearn.ensemble.IsolationForest`.

    Parameters
    ----------
    bands : sequence of str, default=None
        Passbands to use, in this order (defines the channel order). None: the
        bands of the training light curves (``X.bands``); then an unknown band
        at scoring time is an error. With explicit bands, observations in
        other bands are ignored. Light curves without a ``band`` column are one
        passband named ``"all"``.
    n_dt_bins : int, default=20
        Number of dt bins, uniform in log10(dt / day) over ``log_dt_range``.
        Pairs with dt outside the range fall in the first or last bin (dt is
        set by the cadence, so the nearest conditional is used).
    log_dt_range : (float, float), default=(-2.0, 3.5)
        The log10 of the dt grid limits in days (0.01 d to ~8.7 yr).
    n_dm_bins : int, default=64
        Number of regular dm cells over ``dm_range``. One underflow and one
        overflow cell collect the pairs off the grid, so every pair counts.
    dm_range : (float, float), default=(-8.0, 8.0)
        The dm grid limits in magnitudes (dm is a magnitude change for a single
        band, an asynchronous colour for a cross-passband).
    alpha : float, default=1.0
        Additive (Dirichlet) pseudo-count added to every cell of every dt bin
        before normalising: the stated rule for empty cells. A dt bin without
        training pairs is uniform, and then contributes exactly 0 to S.
    score : {"zscore", "paper"}, default="zscore"
        ``"paper"``: the paper's S. ``"zscore"``: each channel's S_f
        standardised, ``Z_f = (S_f - E[S_f]) / sd(S_f)``, with ``E[S_f]``
        exact under the fitted population and ``sd(S_f)`` calibrated on the
        training light curves; the score is the least normal channel's
        ``Z_f``, Šidák-corrected for the number of channels the light curve
        has (see Notes). It stays comparable across cadences, baselines and
        light-curve lengths, and a novelty in one band or colour is not
        averaged away by the others.
    contamination : float in (0, 0.5], default=0.02
        Fraction of outliers: ``offset_`` is the ``100 * contamination``
        percentile of the training scores, so the default is the paper's
        2nd-percentile threshold (§3.2).
    calibration_size : int, default=5000
        Training light curves kept (``calibration_sample_``) to calibrate the
        z-score and set ``offset_`` under the *current* distributions: the
        ``calibration_size`` curves of smallest content hash among all seen,
        a uniform sample that ``partial_fit`` and :meth:`merge` maintain
        exactly as ``fit`` on the union would. Up to this many training
        curves, ``offset_`` is exactly the percentile of all training scores;
        beyond it, with probability at least ``1 - delta`` the fraction of all
        training scores below ``offset_`` is within
        ``sqrt(2 q (1 - q) L / K) + 2 L / (3 K)`` of ``q = contamination``
        (``K = calibration_size``, ``L = log(2 / delta)``; Bernstein's
        inequality for sampling without replacement): ±0.006 for the
        defaults at ``delta = 0.05``. Memory: the rows of these curves.
    max_cross_pairs : int or None, default=10**8
        The most cross-passband pairs one light curve may have; more raise a
        ``ValueError`` naming the object (None: no limit). Fitting or scoring
        a light curve of ``n`` observations costs ``O(n * n_bands + P)``
        steps, ``P`` its number of cross-passband pairs: the paper pairs
        *every* observation with every earlier one in another band (§3.1), so
        ``P`` is quadratic in ``n`` (up to ``n**2 / 2``), while a single band
        is linear (consecutive pairs only). ``P`` is counted in ``O(n)``
        before any pair is visited; 10**8 pairs take a few seconds.

    Attributes
    ----------
    bands_ : tuple of str
        The passbands, in channel order.
    channels_ : tuple of str
        Channel names: the bands, then ``"a-b"`` for the ordered pairs
        (``dm = m_a(t_a) - m_b(t_b)`` with ``t_a > t_b``).
    log_dt_edges_ : ndarray of shape (n_dt_bins + 1,)
        dt bin edges, log10 days.
    dm_edges_ : ndarray of shape (n_dm_bins + 1,)
        Regular dm cell edges (magnitudes).
    counts_ : ndarray of int64, shape (n_channels, n_dt_bins, n_dm_bins + 2)
        The pair histograms (cell 0: dm below the grid, last: above).
        Additive: ``partial_fit`` and :meth:`merge` add them.
    prob_ : ndarray of shape (n_channels, n_dt_bins, n_dm_bins + 2)
        Cell probabilities :math:`P_f(c|k)`, summing to 1 along the last axis.
    n_objects_seen_ : int
        Light curves the histograms were built from.
    calibration_sample_ : dict of ndarray
        The calibration light curves (see ``calibration_size``): ``keys``
        (uint64 content hashes, increasing), ``offsets``, and the flat
        columns ``time``, ``value`` and ``band`` (index into ``bands_``, as
        uint8 up to 256 bands: the sample travels with every fitted state).
    zscore_calibration_ : ndarray of shape (n_channels,)
        ``beta_f`` of each channel's calibrated ``Var(S_f) = V_f + beta_f V_f**2``.
    offset_ : float
        Threshold: ``decision_function = score_samples - offset_``; the
        ``contamination`` percentile of the scores of the calibration sample,
        i.e. of all training light curves seen (see ``calibration_size``).

    See Also
    --------
    skastro.novelty.repeated_split_flags : The §3.2 repeated-split flagging.
    skastro.experiments.run_novelty_benchmark : The §5 comparison with KDE and Isolation Forest.
    sklearn.ensemble.IsolationForest : The interface followed here.

    Notes
    -----
    With cell probabilities :math:`P_f(c|k)` of dt bin :math:`k`, the
    per-pair contribution is :math:`\log P_f(c|k) - \log\sum_{c'} P_f(c'|k)^2`
    (the cell width cancels in :math:`\mathcal{L}/\langle\mathcal{L}\rangle`).
    Its mean :math:`\mu_{fk}` is at most 0 (Jensen: :math:`E[\log p] \le \log E[p]`),
    so the paper's S drifts down with the number of pairs: a long, dense light
    curve looks less normal than a short one from the same population.
    ``score="zscore"`` centres each channel's :math:`S_f` with the exact
    :math:`\sum\mu` and divides by :math:`\sqrt{V_f + \beta_f V_f^2}`, where
    :math:`V_f=\sum\sigma^2_{fk}` is the variance :math:`S_f` would have if
    its pairs were independent draws from the population. They are not: a
    light curve's pairs come from *one* object, which differs from the
    population average (its own amplitude, its own colour), so part of the
    deviation is shared by all its pairs and grows with their number — a
    random-effects model, within-object :math:`V_f` plus between-object
    :math:`\beta_f V_f^2`. :math:`\beta_f` is the median over the training
    curves of :math:`((S_f-\sum\mu)^2 - V_f)/V_f^2` (at least 0; the
    calibration sample, re-scored under the current distributions after
    every ``partial_fit`` or merge). The score is the least normal channel,
    :math:`\Phi^{-1}(1-(1-\Phi(\min_f Z_f))^k)` over the :math:`k` channels
    with pairs (Šidák), so adding normal channels neither hides a novel one
    nor makes a normal curve look novel. Objects with no pair score 0 under
    both rules (no evidence either way; :meth:`pair_counts` finds them).

    References
    ----------
    .. [1] Soraisam, M. D., Saha, A., Matheson, T., et al. 2020, "A
       classification algorithm for time-domain novelties in preparation for
       LSST alerts", ApJ 892, 112. https://doi.org/10.3847/1538-4357/ab7b61

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.novelty import DmDtNoveltyDetector
    >>> lcs = make_transients(n_variables=150, n_transients=3, n_epochs=30, random_state=0)
    >>> is_transient = lcs.meta["is_transient"].to_numpy()
    >>> det = DmDtNoveltyDetector().fit(lcs[~is_transient])  # the common population
    >>> det.transform(lcs).shape  # 5 bands + 20 cross-passbands
    (153, 25)
    >>> det.predict(lcs[is_transient])  # below the 2nd percentile of the training scores
    array([-1, -1, -1])
    """

    _parameter_constraints: dict = {
        "bands": [None, list, tuple],
        "n_dt_bins": [Interval(Integral, 1, None, closed="left")],
        "log_dt_range": [tuple, list],
        "n_dm_bins": [Interval(Integral, 1, None, closed="left")],
        "dm_range": [tuple, list],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "score": [StrOptions({"zscore", "paper"})],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "max_cross_pairs": [None, Interval(Integral, 0, None, closed="left")],
        "calibration_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, bands=None, n_dt_bins=20, log_dt_range=(-2.0, 3.5), n_dm_bins=64,
                 dm_range=(-8.0, 8.0), alpha=1.0, score="zscore", contamination=0.02,
                 calibration_size=5000, max_cross_pairs=10**8):
        self.bands = bands
        self.n_dt_bins = n_dt_bins
        self.log_dt_range = log_dt_range
        self.n_dm_bins = n_dm_bins
        self.dm_range = dm_range
        self.alpha = alpha
        self.score = score
        self.contamination = contamination
        self.calibration_size = calibration_size
        self.max_cross_pairs = max_cross_pairs

    @classmethod
    def from_preset(cls, name, **params):
        """A detector with the configuration of a published study.

        Parameters
        ----------
        name : {"soraisam2020"}
            ``"soraisam2020"`` (Soraisam et al. 2020): ``score="paper"`` (the
            S of Eqs. 1-2), ``contamination=0.02`` (the 2nd percentile,
            §3.2) and ``bands=("u", "g", "r", "i", "z")`` (25 channels, §3.1
            and §5.2). The paper leaves the grid and the empty-cell rule
            unstated; they keep skastro's defaults (see the user guide's
            table).
        **params
            Any other parameter, or one of the preset's to override.

        Returns
        -------
        DmDtNoveltyDetector
            Unfitted; ``get_params()`` shows every setting.

        Examples
        --------
        >>> from skastro.novelty import DmDtNoveltyDetector
        >>> det = DmDtNoveltyDetector.from_preset("soraisam2020")
        >>> det.score, det.contamination, det.bands
        ('paper', 0.02, ('u', 'g', 'r', 'i', 'z'))
        >>> DmDtNoveltyDetector.from_preset("soraisam2020", bands=None).bands is None
        True
        """
        return cls(**preset_params(PRESETS, name, params))

    # ------------------------------------------------------------------ set-up
    def _init_state(self, X):
        lo, hi = _check_range(self.log_dt_range, "log_dt_range")
        dm_lo, dm_hi = _check_range(self.dm_range, "dm_range")
        if self.bands is not None:
            bands = tuple(str(b) for b in self.bands)
            if not bands or len(set(bands)) != len(bands):
                raise ValueError(f"bands must be non-empty and unique; got {self.bands!r}.")
        elif "band" in X.columns:
            bands = tuple(X.bands)
        else:
            bands = (_SINGLE_BAND,)
        self.bands_ = bands
        nb = len(bands)
        self.channels_ = tuple(bands) + tuple(
            f"{a}-{b}" for a in bands for b in bands if a != b
        )
        self.log_dt_edges_ = np.linspace(lo, hi, self.n_dt_bins + 1)
        self.dm_edges_ = np.linspace(dm_lo, dm_hi, self.n_dm_bins + 1)
        self.counts_ = np.zeros((nb * nb, self.n_dt_bins, self.n_dm_bins + 2), dtype=np.int64)
        self.n_objects_seen_ = 0
        self.calibration_sample_ = _sample(np.zeros(1, np.int64), np.zeros(0), np.zeros(0),
                                           np.zeros(0, np.int64), nb)

    def _grid(self):
        inner = 10.0 ** self.log_dt_edges_[1:-1]
        dm_lo = float(self.dm_edges_[0])
        width = float(self.dm_edges_[-1] - self.dm_edges_[0]) / (self.dm_edges_.size - 1)
        return inner, dm_lo, width, self.dm_edges_.size - 1

    def _update_tables(self):
        counts = self.counts_.astype(np.float64) + self.alpha
        prob = counts / counts.sum(axis=2, keepdims=True)
        log_prob = np.log(prob)
        log_norm = np.log(np.sum(prob**2, axis=2))  # log <p>, Eq. (2) per pair
        self.prob_ = prob
        self._table = log_prob - log_norm[..., None]
        self._mu = np.sum(prob * self._table, axis=2)
        self._var = np.maximum(np.sum(prob * self._table**2, axis=2) - self._mu**2, 0.0)

    def _calibrate(self):
        """z-score calibration and ``offset_`` from the calibration sample (current tables)."""
        sample = self.calibration_sample_
        inner, dm_lo, width, n_dm = self._grid()
        s, m, v, n = _kernels.pair_sums(sample["offsets"], sample["time"], sample["value"],
                                        sample["band"], len(self.bands_), inner, dm_lo, width,
                                        n_dm, self._table, self._mu, self._var)
        c = s - m
        beta = np.zeros(c.shape[1])
        for f in range(c.shape[1]):
            ok = v[:, f] > 0
            if ok.any():  # median: robust to the novelties a training set may hold
                ratio = (c[ok, f] ** 2 - v[ok, f]) / v[ok, f] ** 2
                beta[f] = max(float(np.median(ratio)), 0.0)
        self.zscore_calibration_ = beta
        if len(c):
            scores = self._combine(s, m, v, n, per_channel=False)
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))
        else:
            self.offset_ = 0.0

    def _prepare(self, X):
        name = type(self).__name__
        X = check_lightcurves(X, self, value_kind="mag", errors="ignore")
        if len(X) == 0:
            raise ValueError(f"{name} got 0 light curves; need at least one.")
        for column in ("time", "value"):
            values = X.column(column)
            if not np.all(np.isfinite(values)):
                bad = int(np.count_nonzero(~np.isfinite(values)))
                raise ValueError(
                    f"{name}: column {column!r} must be finite; got {bad} NaN/inf value(s)."
                )
        if "band" in X.columns:
            lookup = np.array([self.bands_.index(b) if b in self.bands_ else -1
                               for b in X.bands], dtype=np.int64)
            codes = X.codes("band")
            if self.bands is None:
                used = np.bincount(codes, minlength=len(X.bands)) > 0
                unknown = [b for b, u in zip(X.bands, used) if u and b not in self.bands_]
                if unknown:
                    raise ValueError(
                        f"{name}: unknown band(s) {unknown}; the detector was fitted on "
                        f"bands {list(self.bands_)}. Pass bands=... to ignore other bands."
                    )
            band = lookup[codes] if lookup.size else np.full(X.n_observations, -1)
        else:
            if self.bands_ != (_SINGLE_BAND,):
                raise ValueError(
                    f"{name}: the light curves have no 'band' column but the detector uses "
                    f"bands {list(self.bands_)}."
                )
            band = np.zeros(X.n_observations, dtype=np.int64)
        if self.max_cross_pairs is not None and len(self.bands_) > 1:
            pairs = _kernels.cross_pairs(X.offsets, X.time, band, len(self.bands_))
            worst = int(np.argmax(pairs))
            if pairs[worst] > self.max_cross_pairs:
                raise ValueError(
                    f"{name}: light curve {X.ids[worst]!r} has {pairs[worst]:,} "
                    f"cross-passband pairs (t_a > t_b, all pairs as in the paper), more than "
                    f"max_cross_pairs={self.max_cross_pairs:,}; the cost grows as the square "
                    "of its length. Bin or cut the light curve, use fewer bands, or raise "
                    "max_cross_pairs (None: no limit)."
                )
        return X.offsets, X.time, X.value, band

    def _raw(self, X):
        offsets, time, value, band = self._prepare(X)
        inner, dm_lo, width, n_dm = self._grid()
        return _kernels.pair_sums(offsets, time, value, band, len(self.bands_), inner, dm_lo,
                                  width, n_dm, self._table, self._mu, self._var)

    def _combine(self, s, m, v, n, per_channel):
        if self.score == "paper":
            out = s if per_channel else s.sum(axis=1)
        else:
            beta = self.zscore_calibration_
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(v > 0, (s - m) / np.sqrt(v + beta * v**2), np.nan)
            out = z if per_channel else _sidak_min(z)
        if per_channel:
            out = np.where(n > 0, out, np.nan)
        return out

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build p_f(dm|dt) from the light curves ``X`` and set ``offset_``.

        Parameters
        ----------
        X : LightCurves
            Training light curves in magnitudes (``value_kind="mag"``).
        y : None
            Ignored.

        Returns
        -------
        self : DmDtNoveltyDetector
        """
        for attr in ("bands_",):
            if hasattr(self, attr):
                delattr(self, attr)
        return self._partial_fit(X)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Add the pairs of ``X`` to the histograms (night-by-night updates, §3.2).

        The histograms are additive and the calibration sample is the
        ``calibration_size`` smallest content hashes of all curves seen, so
        ``partial_fit`` over chunks, in any order, gives exactly the
        detector of one ``fit`` on all of them (``counts_``, z-score
        calibration, ``offset_``, scores), with memory bounded by the grid,
        the sample and one chunk. ``offset_`` describes all the data seen.

        Parameters
        ----------
        X : LightCurves
            A chunk of light curves in magnitudes.
        y : None
            Ignored.

        Returns
        -------
        self : DmDtNoveltyDetector
        """
        return self._partial_fit(X)

    def _partial_fit(self, X):
        X = check_lightcurves(X, self, value_kind="mag", errors="ignore")
        if not hasattr(self, "bands_"):
            self._init_state(X)
        offsets, time, value, band = self._prepare(X)
        inner, dm_lo, width, n_dm = self._grid()
        _kernels.pair_counts(offsets, time, value, band, len(self.bands_), inner, dm_lo, width,
                             n_dm, counts=self.counts_)
        self.n_objects_seen_ += len(X)
        keep = band >= 0  # the sample keeps the rows the detector uses
        if keep.all():  # no copy of the chunk's columns when every row is used
            chunk = _sample(offsets, time, value, band, len(self.bands_))
        else:
            used = np.concatenate([[0], np.cumsum(keep)])[offsets]
            chunk = _sample(used, time[keep], value[keep], band[keep], len(self.bands_))
        self.calibration_sample_ = _smallest_keys([self.calibration_sample_, chunk],
                                                  self.calibration_size)
        self._update_tables()
        self._calibrate()
        return self

    # ------------------------------------------------------------------ scoring
    def score_samples(self, X):
        """Novelty score of each light curve; higher is more normal.

        ``S = log(L / <L>)`` for ``score="paper"``; for ``score="zscore"``
        the Šidák-corrected least normal channel z-score (class Notes).

        Parameters
        ----------
        X : LightCurves
            Light curves in magnitudes.

        Returns
        -------
        scores : ndarray of shape (n_objects,)
        """
        check_is_fitted(self)
        return self._combine(*self._raw(X), per_channel=False)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : LightCurves
            Light curves in magnitudes.

        Returns
        -------
        ndarray of shape (n_objects,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers (score below ``offset_``), +1 for inliers.

        Parameters
        ----------
        X : LightCurves
            Light curves in magnitudes.

        Returns
        -------
        ndarray of int, shape (n_objects,)
        """
        decision = self.decision_function(X)
        out = np.ones(decision.shape[0], dtype=int)
        out[decision < 0] = -1
        return out

    def transform(self, X):
        """Per-(cross-)passband scores S_f: the features the paper feeds to KDE/iForest.

        Columns follow ``channels_`` (25 for 5 bands); NaN where the light
        curve has no pair in a channel (missing band) and, for
        ``score="zscore"``, where its pairs carry no information (all in dt
        bins without training pairs). Scaled as ``score`` says
        (``"zscore"``: each channel's ``Z_f``, calibrated per channel).

        Parameters
        ----------
        X : LightCurves
            Light curves in magnitudes.

        Returns
        -------
        ndarray of shape (n_objects, n_channels)
        """
        check_is_fitted(self)
        return self._combine(*self._raw(X), per_channel=True)

    def pair_counts(self, X):
        """Number of (dm, dt) pairs of each light curve in each channel.

        Parameters
        ----------
        X : LightCurves
            Light curves in magnitudes.

        Returns
        -------
        ndarray of int64, shape (n_objects, n_channels)
        """
        check_is_fitted(self)
        return self._raw(X)[3]

    def get_feature_names_out(self, input_features=None):
        """Names of the :meth:`transform` columns: ``S_<channel>``.

        Parameters
        ----------
        input_features : None
            Ignored: the input is a :class:`~skastro.LightCurves`; one score
            column per channel (``channels_``).

        Returns
        -------
        ndarray of str, shape (n_channels,)
        """
        check_is_fitted(self)
        return np.array([f"S_{c}" for c in self.channels_], dtype=object)

    def set_threshold(self, X, contamination=None):
        """Set ``offset_`` to a percentile of the scores of ``X`` (the paper's rule).

        Soraisam et al. flag the sources below the 2nd percentile of the
        scores of the sample being searched; call this with that sample.

        Parameters
        ----------
        X : LightCurves
        contamination : float, default=None
            Fraction to flag; default ``self.contamination``.

        Returns
        -------
        self : DmDtNoveltyDetector
        """
        check_is_fitted(self)
        q = self.contamination if contamination is None else contamination
        if not 0 < q <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5]; got {q!r}.")
        self.offset_ = float(np.percentile(self.score_samples(X), 100.0 * q))
        return self

    # ------------------------------------------------------------------ merge, I/O
    def merge(self, other):
        """A new detector whose histograms are the sum of ``self``'s and ``other``'s.

        Both must share bands and grid. The histograms are added and the
        calibration samples combined, so the result equals ``fit`` on the
        union of both training sets (``merge`` is commutative and
        associative); ``offset_`` and the z-score calibration are recomputed
        from the combined sample.

        Parameters
        ----------
        other : DmDtNoveltyDetector
            Fitted on another night, field or worker.

        Returns
        -------
        DmDtNoveltyDetector
        """
        check_is_fitted(self)
        if not isinstance(other, DmDtNoveltyDetector):
            raise TypeError(f"merge expects a DmDtNoveltyDetector; got {type(other).__name__}.")
        check_is_fitted(other)
        if self.bands_ != other.bands_:
            raise ValueError(f"Cannot merge: bands {self.bands_} != {other.bands_}.")
        if not (np.array_equal(self.log_dt_edges_, other.log_dt_edges_)
                and np.array_equal(self.dm_edges_, other.dm_edges_)):
            raise ValueError("Cannot merge: the two detectors use different dm-dt grids.")
        for name in ("alpha", "calibration_size"):
            if getattr(self, name) != getattr(other, name):
                raise ValueError(f"Cannot merge: {name} {getattr(self, name)} != "
                                 f"{getattr(other, name)}.")
        merged = DmDtNoveltyDetector(**self.get_params())
        for attr in ("bands_", "channels_", "log_dt_edges_", "dm_edges_"):
            setattr(merged, attr, getattr(self, attr))
        merged.counts_ = self.counts_ + other.counts_
        merged.n_objects_seen_ = self.n_objects_seen_ + other.n_objects_seen_
        merged.calibration_sample_ = _smallest_keys(
            [self.calibration_sample_, other.calibration_sample_], self.calibration_size)
        merged._update_tables()
        merged._calibrate()
        return merged

    def save(self, path):
        """Write the fitted detector to a model file (:func:`skastro.save_model`).

        The file is skastro's safe, versioned model file (a zip of a JSON
        manifest and ``.npy`` arrays; see "Saving and loading models" in the
        user guide). It stores the counts, the grid, the calibration sample
        and ``offset_`` (the tables and the z-score calibration are derived
        from them on load), so a loaded detector scores, goes on with
        ``partial_fit`` or merges.

        Parameters
        ----------
        path : str or Path
            Destination file (``.skm`` is the convention).

        Returns
        -------
        Path
            The file written.
        """
        check_is_fitted(self)
        return save_model(self, path)

    @classmethod
    def load(cls, path):
        """Read a detector written by :meth:`save` (:func:`skastro.load_model`).

        Nothing is unpickled (``allow_pickle=False``); besides the checks of
        :func:`~skastro.load_model`, the fitted state is checked entry by
        entry: every array's dtype and shape against the bands and grid, the
        edges against the parameters, the counts (non-negative integers),
        ``offset_`` (finite) and the calibration sample (shapes, finite
        sorted times, band indices, content hashes). A file that fails any
        check raises a ``ValueError`` saying it is not a skastro model file
        and why.

        Parameters
        ----------
        path : str or Path
            A file written by :meth:`save` (or :func:`skastro.save_model`).

        Returns
        -------
        DmDtNoveltyDetector
            Fitted, ready to score, ``partial_fit`` or merge.
        """
        det = load_model(path)
        if not isinstance(det, cls):
            raise ValueError(f"{path}: holds a {type(det).__name__}, not a {cls.__name__}.")
        return det

    # what the model file stores; the tables and z-score calibration follow from it
    _FILE_STATE = ("bands_", "channels_", "log_dt_edges_", "dm_edges_", "counts_",
                   "n_objects_seen_", "calibration_sample_", "offset_")

    def _get_model_state(self):
        state = {k: getattr(self, k) for k in self._FILE_STATE if hasattr(self, k)}
        if state:
            state["calibration_sample_"] = dict(sorted(self.calibration_sample_.items()))
        return state

    def _set_model_state(self, state):
        if not state:
            return  # an unfitted detector
        if set(state) != set(self._FILE_STATE):
            raise ValueError(f"fitted state {sorted(state)}; expected {sorted(self._FILE_STATE)}")
        _check_range(self.log_dt_range, "log_dt_range")
        _check_range(self.dm_range, "dm_range")
        for key, value in _check_state(self, state).items():
            setattr(self, key, value)
        self._update_tables()
        offset = self.offset_
        self._calibrate()
        self.offset_ = offset  # as saved (set_threshold may have moved it)

    # ------------------------------------------------------------------ plotting
    def plot_distributions(self, channels=None, fig=None, cmap="viridis"):
        """Plot p_f(dm|dt) on the (log dt, dm) plane, like Fig. 4 of the paper.

        Each column (dt bin) is normalised along dm; colours are the density
        relative to the panel's maximum, log-scaled over four decades (one
        colour bar for all panels). By default every single
        band and one of each mirror pair of cross-passbands (``a-b`` with
        ``a`` before ``b`` in ``bands_``) is shown.

        Parameters
        ----------
        channels : sequence of str, default=None
            Channel names to show.
        fig : matplotlib Figure, default=None
        cmap : str, default="viridis"

        Returns
        -------
        matplotlib.figure.Figure
        """
        import matplotlib.pyplot as plt
        from matplotlib.colors import LogNorm

        check_is_fitted(self)
        if channels is None:
            bands = self.bands_
            channels = list(bands) + [f"{a}-{b}" for i, a in enumerate(bands)
                                      for b in bands[i + 1:]]
        unknown = [c for c in channels if c not in self.channels_]
        if unknown:
            raise ValueError(f"Unknown channel(s) {unknown}; known: {list(self.channels_)}.")
        n = len(channels)
        ncols = min(5, n)
        nrows = int(np.ceil(n / ncols))
        if fig is None:
            fig = plt.figure(figsize=(3.0 * ncols, 2.6 * nrows))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        norm = LogNorm(vmin=1e-4, vmax=1.0)
        for ax, name in zip(axes.ravel(), channels):
            f = self.channels_.index(name)
            density = self.prob_[f, :, 1:-1]  # regular cells only
            mesh = ax.pcolormesh(self.log_dt_edges_, self.dm_edges_, (density / density.max()).T,
                                 cmap=cmap, shading="flat", norm=norm)
            ax.set_title(name if "-" in name else f"{name} (dm)", fontsize=9)
            ax.set_xlabel("log dt [d]", fontsize=8)
            ax.set_ylabel("dm [mag]", fontsize=8)
            ax.tick_params(labelsize=7)
        for ax in axes.ravel()[n:]:
            ax.set_visible(False)
        fig.tight_layout()
        fig.colorbar(mesh, ax=axes.ravel().tolist(), shrink=0.6, pad=0.01,
                     label="p(dm | dt) / panel maximum")
        return fig

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags


def _sidak_min(z):
    """The Šidák-corrected minimum of the channel z-values of each object, as a z-value.

    With ``k`` channels holding pairs, the least normal channel's lower-tail
    probability ``p = Phi(min z)`` becomes ``1 - (1 - p)**k`` (the chance that
    the least normal of ``k`` independent normal channels is that low), mapped
    back to a z-value; ``k = 1`` leaves ``z`` unchanged. No channel: 0, the
    median of a normal object (no evidence either way).
    """
    k = np.sum(np.isfinite(z), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        zmin = np.where(k > 0, np.nanmin(np.where(np.isfinite(z), z, np.inf), axis=1), 0.0)
        kk = np.maximum(k, 1)
        # 1 - (1 - p)**k from the upper tail, exact for moderate p; k * p for tiny p
        out = np.where(zmin < -5.0, ndtri_exp(np.log(kk) + log_ndtr(zmin)),
                       -ndtri_exp(kk * log_ndtr(-zmin)))
    return np.where(k > 0, out, 0.0)


# ---------------------------------------------------------------- calibration sample
def _band_dtype(n_bands):
    """The smallest unsigned integer type holding the band indices ``0 .. n_bands - 1``.

    The sample travels with every fitted state (up the merge of
    :func:`skastro.dask.partial_fit_merge`, to every scoring worker): a byte
    per row instead of eight for int64 is a third less of it. The values,
    the content keys and the scores are the same (the kernels read int64).
    """
    return np.min_scalar_type(max(int(n_bands) - 1, 0))


def _sample(offsets, time, value, band, n_bands):
    """A calibration sample: flat columns, offsets and each object's content key.

    ``band`` must hold indices in ``[0, n_bands)``; it is stored in the
    smallest integer type that holds them (:func:`_band_dtype`).
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    return {"keys": _kernels.object_keys(offsets, time, value, band), "offsets": offsets,
            "time": np.asarray(time, dtype=np.float64),
            "value": np.asarray(value, dtype=np.float64),
            "band": np.asarray(band).astype(_band_dtype(n_bands), copy=False)}


def _smallest_keys(samples, size):
    """The ``size`` objects of smallest key among ``samples``, in key order.

    A bottom-k sample: the result depends only on the multiset of objects, so
    chunks and merges in any order give the same sample (equal keys only come
    from equal light curves, so ties do not matter). The objects are chosen
    on the keys alone and their rows copied once, straight from the sample
    that holds them: a chunk of ``partial_fit`` may hold millions of rows.
    """
    keys = np.concatenate([s["keys"] for s in samples])
    chosen = np.argsort(keys, kind="stable")[:size]
    source = np.repeat(np.arange(len(samples)), [s["keys"].size for s in samples])[chosen]
    first = np.concatenate([s["offsets"][:-1] for s in samples])[chosen]  # in its sample
    lengths = np.concatenate([np.diff(s["offsets"]) for s in samples])[chosen]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    out = {name: np.empty(offsets[-1], np.result_type(*(s[name] for s in samples)))
           for name in ("time", "value", "band")}
    for i, sample in enumerate(samples):
        mine = np.flatnonzero(source == i)
        n = lengths[mine]
        within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)  # row within its object
        to_rows = np.repeat(offsets[mine], n) + within
        from_rows = np.repeat(first[mine], n) + within
        for name in out:
            out[name][to_rows] = sample[name][from_rows]
    return dict(out, keys=keys[chosen], offsets=offsets)


# ---------------------------------------------------------------------- model files
_SAMPLE_ENTRIES = ("keys", "offsets", "time", "value", "band")


def _check_state(det, state):
    """Check every fitted entry against the others; the fitted attributes if all hold.

    The compiled kernels index the tables with these arrays unchecked, so a
    tampered file must fail here, never read or write out of bounds.
    """

    def need(ok, reason):
        if not ok:
            raise ValueError(reason)

    bands = state["bands_"]
    need(isinstance(bands, tuple) and bands and all(isinstance(b, str) and b for b in bands)
         and len(set(bands)) == len(bands),
         f"'bands_' must be a non-empty tuple of unique names; got {bands!r}")
    if det.bands is not None and tuple(det.bands) != bands:
        raise ValueError(f"'bands_' {list(bands)} differ from the parameter "
                         f"bands={list(det.bands)}")
    nb = len(bands)
    channels = tuple(bands) + tuple(f"{a}-{b}" for a in bands for b in bands if a != b)
    need(state["channels_"] == channels,
         f"'channels_' {state['channels_']!r} do not follow from bands {list(bands)}")
    n_seen = state["n_objects_seen_"]
    need(isinstance(n_seen, (int, np.integer)) and not isinstance(n_seen, bool) and n_seen >= 0,
         f"'n_objects_seen_' must be a non-negative integer; got {n_seen!r}")
    offset = state["offset_"]
    need(isinstance(offset, (int, float, np.floating)) and not isinstance(offset, bool)
         and np.isfinite(offset), f"'offset_' must be a finite number; got {offset!r}")

    def array(name, value):
        need(isinstance(value, np.ndarray), f"{name!r} must be an array; got {type(value).__name__}")
        return value

    edges = {}
    for name, param, n in (("log_dt_edges_", "log_dt_range", det.n_dt_bins),
                           ("dm_edges_", "dm_range", det.n_dm_bins)):
        a = array(name, state[name])
        need(a.dtype.kind == "f" and a.shape == (n + 1,),
             f"{name!r} has dtype {a.dtype} and shape {a.shape}; expected float of shape "
             f"({n + 1},) for {'n_dt_bins' if 'dt' in name else 'n_dm_bins'}={n}")
        expected = np.linspace(*_check_range(getattr(det, param), param), n + 1)
        need(np.all(np.isfinite(a)) and np.allclose(a, expected, rtol=1e-12, atol=1e-12),
             f"{name!r} do not match {param}={getattr(det, param)!r}")
        edges[name] = np.array(a, dtype=np.float64)
    counts = array("counts_", state["counts_"])
    shape = (nb * nb, det.n_dt_bins, det.n_dm_bins + 2)
    need(counts.dtype.kind in "iu" and counts.shape == shape,
         f"'counts_' has dtype {counts.dtype} and shape {counts.shape}; expected integers of "
         f"shape {shape} for {nb} band(s), n_dt_bins={det.n_dt_bins}, "
         f"n_dm_bins={det.n_dm_bins}")
    need(counts.size == 0 or (counts.min() >= 0 and counts.max() < 2**62),
         "'counts_' must be non-negative (and below 2**62)")
    sample = state["calibration_sample_"]
    need(isinstance(sample, dict) and set(sample) == set(_SAMPLE_ENTRIES),
         f"'calibration_sample_' must hold {sorted(_SAMPLE_ENTRIES)}")
    sample = {k: array(f"calibration_sample_[{k!r}]", v) for k, v in sample.items()}
    keys, offsets = sample["keys"], sample["offsets"]
    n_rows = sample["time"].shape[0] if sample["time"].ndim == 1 else -1
    need(keys.dtype == np.uint64 and keys.ndim == 1 and keys.size <= det.calibration_size
         and keys.size <= n_seen and np.all(np.diff(keys) >= 0),
         f"the sample 'keys' must be at most calibration_size={det.calibration_size} and "
         f"n_objects_seen_={n_seen} sorted uint64; got dtype {keys.dtype}, shape {keys.shape}")
    need(offsets.dtype.kind in "iu" and offsets.shape == (keys.size + 1,)
         and offsets[0] == 0 and offsets[-1] == n_rows and np.all(np.diff(offsets) >= 0),
         f"the sample 'offsets' (shape {offsets.shape}) must run from 0 to the {n_rows} sample "
         f"rows, one entry per sample key plus one")
    for name, kind in (("time", "f"), ("value", "f"), ("band", "iu")):
        a = sample[name]
        need(a.dtype.kind in kind and a.shape == (n_rows,),
             f"the sample {name!r} has dtype {a.dtype} and shape {a.shape}; expected "
             f"{'float' if kind == 'f' else 'integer'} of shape ({n_rows},)")
    need(np.all(np.isfinite(sample["time"])) and np.all(np.isfinite(sample["value"])),
         "the sample 'time' and 'value' must be finite")
    need(n_rows == 0 or (sample["band"].min() >= 0 and sample["band"].max() < nb),
         f"the sample 'band' must hold band indices in [0, {nb})")
    starts = np.zeros(n_rows, bool)
    starts[offsets[:-1][offsets[:-1] < n_rows]] = True
    need(np.all((np.diff(sample["time"]) >= 0) | starts[1:]),
         "the sample 'time' must be sorted within each light curve")
    checked = _sample(offsets, sample["time"], sample["value"], sample["band"], nb)
    need(np.array_equal(checked["keys"], keys),
         "the sample 'keys' are not the content hashes of the sample light curves")
    return {"bands_": bands, "channels_": channels,
            "log_dt_edges_": edges["log_dt_edges_"], "dm_edges_": edges["dm_edges_"],
            "counts_": np.array(counts, dtype=np.int64), "calibration_sample_": checked,
            "n_objects_seen_": int(n_seen), "offset_": float(offset)}

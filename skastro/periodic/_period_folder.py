"""PeriodFolder: GLS period search, robust Fourier fit, epoch binning and folding."""

import numbers
from dataclasses import dataclass, fields
from functools import partial
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._lightcurves import LightCurves, _plain
from ..utils._validation import preset_params
from ..utils import check_lightcurves
from ..utils._set_output import ContainerTransformerMixin
from ..utils._grouped import group_median, row_nanmedian
from ..utils._progress import progress
from ._fourier import (
    _fit_orders,
    _gram,
    _solve,
    max_valid_order,
    Design,
    design_matrix,
    fourier_parameters,
    robust_fit_batched,
)
from ._periodogram import (
    daily_alias_peaks,
    false_alarm_probability,
    frequency_grid,
    gls_at,
    gls_fast,
    gls_multiband,
    gls_search_many,
)

__all__ = ["PeriodFolder", "PRESETS", "FOLD_META_COLUMNS"]

#: Settings of published pipelines: ``PeriodFolder.from_preset(name)``.
PRESETS = {
    # Dékány & Grebel (2020) §2-3.2: GLS over 0.28-0.98 d with a step of
    # 1/(10 baseline), 10-fold CV of the Fourier order, VVV pawprints binned
    # within ~3 minutes.
    "dekany2020": {
        "period_range": (0.28, 0.98),
        "oversampling": 10.0,
        "n_folds": 10,
        "max_order": 10,
        "bin_window": 3.0 / 1440.0,
        "n_peaks": 1,
        "nterms": 1,
        "check_aliases": False,
        "search_after_clipping": True,
        # "The optimal aperture is selected by minimizing the regression loss" (§3.2)
        "aperture_criterion": "fit_loss",
    },
}

#: Per-object columns PeriodFolder adds to ``meta`` (in this order).
FOLD_META_COLUMNS = (
    "period", "fourier_order", "amplitude", "mean_mag", "residual_std", "snr",
    "n_epochs", "phase_coverage_p", "phase_coverage_2p",
)
_FOURIER_META = ("fourier_A1", "fourier_A2", "fourier_A3", "fourier_A4",
                 "fourier_R21", "fourier_R31", "fourier_phi21", "fourier_phi31")
_EXTRA_META = ("fold_status", "period_searched", "fit_loss", "t0", "false_alarm_probability")
_N_MODEL_PHASES = 256
# epochs whose model is evaluated at once in the metrics
_EPOCH_BLOCK = 65536
_MAD = 1.4826
# groups where more than this fraction of measurements lie beyond pre_clip_sigma are
# not pre-clipped (deep eclipses are signal)
_PRE_CLIP_MAX_FRACTION = 0.10
# magnitudes whose error exceeds this many times the median error of their band carry
# no information (survey 'no measurement' sentinels, non-detections): pre-clipped
_PRE_CLIP_ERROR_RATIO = 50.0
# errors enter relative to the object's median error, limited to this factor either way
_REL_ERROR_LIMIT = 1e-6
# the alias check's noise models (see _noise_models): the variance of a measurement is
# c ((1 - lam) v + lam), v its quoted variance over the band's median; lam = 0 trusts the
# quoted errors, lam = 1 weighs every measurement alike
_NOISE_MIX = (0.0, 0.5, 0.9, 1.0)


class PeriodFolder(ContainerTransformerMixin, BaseEstimator):
    """Find periods, fit robust Fourier series, bin per epoch and phase-fold.

    For every light curve (Dékány & Grebel 2020, §2 and §3.2):

    1. search the period with the generalised Lomb-Scargle periodogram (GLS,
       floating mean, error-weighted) on a regular frequency grid over
       ``period_range`` with step ``1 / (oversampling * baseline)``, or take
       a known period from the metadata column ``period_column``;
    2. fit a truncated Fourier series by weighted least squares with
       iterative sigma clipping of outliers, choosing the order by
       ``n_folds``-fold cross-validation over epochs; with ``n_peaks > 1``
       the ``n_peaks`` highest periodogram peaks and (``check_aliases``)
       their daily and yearly aliases are all fitted, each at its best
       nearby period, and the one with the lowest Bayesian information
       criterion of the Fourier fit (its order chosen by the same criterion)
       wins; then refine the period (parabolic minimisation of the fit's
       chi-square around the peak);
    3. bin the measurements to one point per epoch (weighted mean of the
       inlier measurements within ``bin_window`` days of each other);
    4. fold with the period and align the phase so the first Fourier term has
       zero phase (Eq. 13): ``phi = mod(T / P + Phi_1 / (2 pi), 1)``;
    5. record per-object quality metrics in ``meta``.

    Every default is in the signature, so ``get_params()`` shows what runs;
    :meth:`from_preset` gives the settings of a published pipeline
    (``PeriodFolder.from_preset("dekany2020")``, the paper's VVV search).

    The output is a :class:`~skastro.LightCurves` with the same objects in the
    same order, one observation per binned epoch, and these columns:
    ``time``, ``value`` and ``error`` (binned), ``band``, ``phase`` (Eq. 13),
    ``phase_2p`` (the same alignment folded at ``2P``), ``value_centered``
    (binned value minus the fitted mean of its band), ``outlier`` (True when
    every measurement of the epoch was rejected by the clipping) and
    ``n_measurements``. Metadata columns added: ``period``,
    ``fourier_order``, ``amplitude`` (peak-to-valley of the fit),
    ``mean_mag`` (fitted mean), ``residual_std`` (of the binned inlier
    epochs around the fit), ``snr`` (Eq. 14: ``amplitude * sqrt(n_epochs) /
    residual_std``), ``n_epochs``, ``phase_coverage_p`` and
    ``phase_coverage_2p`` (1 - largest phase gap at ``P`` and ``2P``), the
    Fourier parameters ``fourier_A1..A4``, ``fourier_R21``, ``fourier_R31``,
    ``fourier_phi21``, ``fourier_phi31`` (for random-forest baselines, see
    :class:`FoldFeatures`), ``fold_status``, ``period_searched``,
    ``fit_loss``, ``t0`` (the time of maximum light - magnitude minimum or
    flux maximum of the fit - nearest the middle of the data, in the
    units of ``time``) and ``false_alarm_probability`` (of the chosen peak:
    Baluev 2008's bound, as astropy's ``method="baluev"``, computed from the
    GLS power at the final period in the band with most epochs; NaN for
    periods given by ``period_column``). Input metadata columns with any of these names are kept
    under ``"<name>_input"`` (e.g. a simulator's true ``period`` becomes
    ``period_input``).

    The output stays a :class:`~skastro.LightCurves` under
    ``set_output(transform="pandas")`` or
    ``sklearn.set_config(transform_output="pandas")``: the next step needs
    the folded curves, so the setting is accepted and ignored here (tables
    come from :class:`FoldFeatures`).

    Phase convention: ``phase`` is the paper's Eq. 13, which puts phase 0
    where the first Fourier term ``A_1 sin(omega t + Phi_1)`` rises through
    the mean; the RNN input of :class:`DualFoldSequencer` and the published
    models use it, so it stays the default. Maximum light is then at a
    phase that depends on the light-curve shape; for phase 0 at maximum light
    use ``np.mod((time - t0) / period, 1)`` (what :func:`plot_folded` does
    with ``phase="max_light"``). :meth:`periodogram` returns the periodogram
    the period was searched in.

    Degenerate light curves are never given a period silently: an object
    with fewer than ``min_epochs`` epochs (``fold_status="too_few_epochs"``),
    a constant light curve (``"flat"``) or one whose time span is shorter
    than the longest trial period, e.g. all points in one night
    (``"short_baseline"``), keeps its binned epochs but gets ``period``,
    ``phase``, ``amplitude``, ``snr`` ... = NaN and ``fourier_order = 0``.

    Parameters
    ----------
    period_range : (float, float) or astropy Quantity, default=(0.1, 10.0)
        Shortest and longest trial period, in days (or any time unit as an
        astropy ``Quantity``, e.g. ``(0.2 * u.day, 1 * u.day)``). Searched
        periods never leave this range; a periodogram peak on its edge (most
        likely the flank of a peak outside it) keeps its fit but gets
        ``fold_status="period_at_range_limit"``.
    oversampling : float, default=5.0
        Frequency-grid points per peak width ``1 / baseline`` (at least 1).
    period_column : str, default=None
        Metadata column holding a known period per object (days); skips the
        search and the refinement (the paper fixes OGLE periods for its
        training set).
    n_peaks : int, default=3
        Periodogram peaks checked with the Fourier fit (1: trust the GLS peak,
        and check no alias).
    min_order : int, default=1
        Lowest Fourier order tried.
    max_order : int, default=8
        Highest Fourier order tried; capped per light curve so the
        ``2K + 1`` parameters are at most half the training epochs.
    n_folds : int, default=10
        Folds of the cross-validation choosing the order.
    clip_sigma : float or None, default=4.0
        Outlier threshold in robust standard deviations (MAD) of the
        normalised residuals; None disables the rejection.
    max_iter : int, default=5
        Sigma-clipping iterations.
    pre_clip_sigma : float or None, default=5.0
        Before the period search, drop measurements farther than this many
        robust standard deviations (MAD) from the median (a 1-2 mag blend
        outlier dominates a periodogram of 50 points); skipped for a light
        curve with more than 10 % of its points beyond it (deep eclipses are
        signal). Magnitudes whose error exceeds 50 times the median error of
        their band are pre-clipped too, whatever their value: survey "no
        measurement" sentinels (SDSS's ``magerr = 99.999``) and non-detections
        weigh almost nothing, so no residual can flag them (not applied to
        fluxes, whose largest errors belong to the brightest points). None
        disables both. Pre-clipped points stay rejected in the Fourier fit
        (an epoch with no other measurement is flagged ``outlier``).
    refine_period : bool, default=True
        Refine searched periods by minimising the Fourier fit's chi-square.
    nterms : int, default=1
        Harmonics of the periodogram: 1 is the GLS (the paper); 2-3 give a
        multi-harmonic periodogram that finds the period of non-sinusoidal
        light curves (narrow eclipses) instead of one of its harmonics, at
        a higher cost (see the period-folding guide for the measured
        throughput).
    check_aliases : bool, default=True
        Also check the daily and yearly aliases of the ``n_peaks`` peaks:
        ``f +- k`` per solar and per sidereal day (``k = 1, 2``), each also
        ``+- 1`` per year (see ``_periodogram.daily_alias_peaks``). Nightly
        sampling makes an alias the highest peak of a sparse light curve
        more often than not; the Fourier fit tells them apart (on the SDSS
        Stripe 82 RR Lyrae, r band, the recovered fraction rises from 0.78 to
        0.92; see the real-data guide). Costs a few times the search.
        Ignored with ``n_peaks=1``.
    search_after_clipping : bool, default=False
        Search the period again without the measurements the robust Fourier
        fit rejected, and fit again, until the period stays (at most three
        rounds; only objects with rejected measurements), as Dékány & Grebel
        (2020, §3.2) iterate the GLS and the regression. On by
        ``from_preset("dekany2020")``; off by default because the pre-clip
        (``pre_clip_sigma``) already keeps gross outliers out of the search
        and each round costs another search.
    search_coarsening : int, default=3
        The NUFFT periodogram is computed on every ``search_coarsening``-th
        grid frequency and the exact power on the full grid around its
        highest peaks (see ``_periodogram.gls_search``; 3 gave the same peak
        as the exhaustive search on 900 of 900 simulated curves); 1 computes
        the whole grid.
    bin_window : float or astropy Quantity, default=0.0
        Measurements closer than this (days, or a time ``Quantity``) to the
        previous one belong to the same epoch; 0 bins only identical times.
    multiband : bool, default=False
        Search one period shared by all bands (multi-band GLS), then fit a
        Fourier series per band. Metadata columns then describe the band with
        most epochs (``reference_band``) and per-band copies
        ``amplitude_<band>``, ``mean_mag_<band>``, ``residual_std_<band>``,
        ``snr_<band>``, ``n_epochs_<band>``, ``fourier_order_<band>`` are added.
    band : str, default=None
        Single-band mode: use only this band's observations. Required when
        the light curves hold several bands and ``multiband=False``.
    aperture_columns : list of str or (str, str), default=None
        Optimal-aperture mode: per-epoch columns holding the magnitudes of
        several apertures (a name, whose errors are ``<name>_err`` if that
        column exists and ``error`` otherwise, or a ``(value, error)`` pair).
        Each object keeps the aperture with the lowest ``aperture_criterion``;
        its name goes to ``meta["aperture"]``.
    aperture_criterion : {"residual_std", "fit_loss"}, default="residual_std"
        What the best aperture minimises (with ``aperture_columns``), in the
        band with most epochs: ``"residual_std"``, the scatter of the binned
        inlier epochs around the fit (the noise of the light curve that
        :class:`DualFoldSequencer` passes on), or ``"fit_loss"``, the
        regression loss, the weighted mean squared residual of the inlier
        *measurements* (Dékány & Grebel 2020, §3.2; set by
        ``from_preset("dekany2020")``). They differ when an aperture's
        noise is partly common to the measurements of an epoch (seeing-
        dependent blending), which binning does not average out; the
        period-folding guide compares them.
    min_epochs : int, default=8
        Fewer epochs than this: no period (``fold_status="too_few_epochs"``).
    chunk_size : int, default=200
        Light curves processed together (memory grows with it, not with the
        number of light curves).
    n_jobs : int, default=None
        Processes working on chunks in parallel (joblib; -1: all cores).
    random_state : int, RandomState instance or None, default=None
        Seeds the assignment of epochs to cross-validation folds.
    verbose : int, default=0
        > 0: a progress bar of the folded light curves on stderr (tqdm).

    Attributes
    ----------
    settings_ : dict
        The settings in force (times converted to days).
    bands_ : tuple of str
        Bands seen in ``fit``.

    See Also
    --------
    DualFoldSequencer : the folded light curves as RNN input sequences.
    FoldFeatures : the per-object metadata as a feature matrix.
    quality_mask : the selection cuts of Eqs. 14-19 and 24-30.

    Notes
    -----
    The GLS kernel is nifty-ls (FINUFFT) in float64; the Fourier fits of a
    chunk are solved together with batched normal equations. Both are tested
    against plain reference implementations (``_periodogram.gls_reference``,
    ``_fourier.robust_fit_reference``). Eclipsing binaries with nearly equal
    minima get half their orbital period (as in the paper); the ``phase_2p``
    fold shows their alternating minima.

    Uncertainties are used relative to each object's median uncertainty,
    limited to 1e-6 to 1e6 times it: every result is invariant to a common
    scaling of an object's errors and no ``1 / sigma^2`` over- or underflows.
    Light curves without uncertainties (no ``error`` column, as astropy's
    ``LombScargle`` with ``dy=None``) get unit weights: an ordinary
    least-squares periodogram and Fourier fit, the same results as equal
    errors; ``residual_std``, ``snr`` (from the residuals, as always) and
    ``false_alarm_probability`` keep their meaning, and the output has no
    ``error`` column (a binned error would be invented).
    An object's result depends on that object alone (its cross-validation
    folds come from its own times and ``random_state``), never on the other
    objects, their order, ``chunk_size`` or ``n_jobs``.

    References
    ----------
    .. [1] Dékány, I. & Grebel, E. K. 2020, ApJ, 898, 46, "Near-infrared Search
       for Fundamental-mode RR Lyrae Stars toward the Inner Bulge by Deep
       Learning", doi:10.3847/1538-4357/ab9d85
    .. [2] Zechmeister, M. & Kürster, M. 2009, A&A, 496, 577,
       doi:10.1051/0004-6361:200811296

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.periodic import PeriodFolder
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 1000, 120))
    >>> m = 14 + 0.2 * np.sin(2 * np.pi * t / 0.6123) + rng.normal(0, 0.01, 120)
    >>> lcs = LightCurves.from_arrays([t], [m], [np.full(120, 0.01)])
    >>> folded = PeriodFolder(random_state=0).fit_transform(lcs)
    >>> round(float(folded.meta["period"].iloc[0]), 4)
    0.6123
    >>> round(float(folded.meta["amplitude"].iloc[0]), 2), folded.meta["fold_status"].iloc[0]
    (0.4, 'ok')
    """

    _parameter_constraints = {
        "period_range": [tuple, list, HasMethods(["to_value"])],
        "oversampling": [Interval(numbers.Real, 1, None, closed="left")],
        "period_column": [str, None],
        "n_peaks": [Interval(numbers.Integral, 1, None, closed="left")],
        "min_order": [Interval(numbers.Integral, 0, None, closed="left")],
        "max_order": [Interval(numbers.Integral, 0, None, closed="left")],
        "n_folds": [Interval(numbers.Integral, 2, None, closed="left")],
        "clip_sigma": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "pre_clip_sigma": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "refine_period": ["boolean"],
        "nterms": [Interval(numbers.Integral, 1, None, closed="left")],
        "check_aliases": ["boolean"],
        "search_after_clipping": ["boolean"],
        "search_coarsening": [Interval(numbers.Integral, 1, None, closed="left")],
        "bin_window": [Interval(numbers.Real, 0, None, closed="left"), HasMethods(["to_value"])],
        "multiband": ["boolean"],
        "band": [str, None],
        "aperture_columns": [list, tuple, None],
        "aperture_criterion": [StrOptions({"residual_std", "fit_loss"})],
        "min_epochs": [Interval(numbers.Integral, 3, None, closed="left")],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_jobs": [numbers.Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, *, period_range=(0.1, 10.0), oversampling=5.0, period_column=None,
                 n_peaks=3, min_order=1, max_order=8, n_folds=10, clip_sigma=4.0, max_iter=5,
                 pre_clip_sigma=5.0, refine_period=True, nterms=1, check_aliases=True,
                 search_after_clipping=False, search_coarsening=3,
                 bin_window=0.0, multiband=False, band=None, aperture_columns=None,
                 aperture_criterion="residual_std", min_epochs=8, chunk_size=200, n_jobs=None, random_state=None, verbose=0):
        self.period_range = period_range
        self.oversampling = oversampling
        self.period_column = period_column
        self.n_peaks = n_peaks
        self.min_order = min_order
        self.max_order = max_order
        self.n_folds = n_folds
        self.clip_sigma = clip_sigma
        self.max_iter = max_iter
        self.pre_clip_sigma = pre_clip_sigma
        self.refine_period = refine_period
        self.nterms = nterms
        self.check_aliases = check_aliases
        self.search_after_clipping = search_after_clipping
        self.search_coarsening = search_coarsening
        self.bin_window = bin_window
        self.multiband = multiband
        self.band = band
        self.aperture_columns = aperture_columns
        self.aperture_criterion = aperture_criterion
        self.min_epochs = min_epochs
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------ settings
    @classmethod
    def from_preset(cls, name, **params):
        """A PeriodFolder with the settings of a published pipeline.

        Parameters
        ----------
        name : {"dekany2020"}
            ``"dekany2020"`` (Dékány & Grebel 2020, §2-3.2):
            ``period_range=(0.28, 0.98)``, ``oversampling=10``,
            ``n_folds=10``, ``max_order=10``, ``bin_window=3 / 1440`` (VVV's
            ~3-minute pawprint groups), ``n_peaks=1``, ``nterms=1`` and
            ``check_aliases=False``, ``search_after_clipping=True`` and
            ``aperture_criterion="fit_loss"``.
        **params
            Any other parameter, or one of the preset's to override.

        Returns
        -------
        PeriodFolder
            Unfitted; ``get_params()`` shows every setting.

        Examples
        --------
        >>> from skastro.periodic import PeriodFolder
        >>> folder = PeriodFolder.from_preset("dekany2020", n_peaks=3)
        >>> folder.get_params()["period_range"], folder.n_peaks
        ((0.28, 0.98), 3)
        """
        return cls(**preset_params(PRESETS, name, params))

    def _resolve(self):
        settings = {name: getattr(self, name) for name in self._parameter_constraints}
        pr = self.period_range
        try:
            pr = [_to_days(v, "period_range") for v in _to_days(pr, "period_range")]
        except TypeError:
            pr = None
        if (pr is None or len(pr) != 2 or not all(isinstance(v, numbers.Real) for v in pr)
                or not np.all(np.isfinite(pr)) or not 0 < pr[0] < pr[1]):
            raise ValueError(
                f"period_range must be two finite periods (shortest, longest) with "
                f"0 < shortest < longest, in days or as time Quantities; got "
                f"{self.period_range!r}."
            )
        settings["period_range"] = (float(pr[0]), float(pr[1]))
        bin_window = _to_days(self.bin_window, "bin_window")
        if not (np.isscalar(bin_window) and np.isfinite(bin_window) and bin_window >= 0):
            raise ValueError(f"bin_window must be a finite time >= 0; got {self.bin_window!r}.")
        settings["bin_window"] = float(bin_window)
        if self.min_order > self.max_order:
            raise ValueError(
                f"min_order ({self.min_order}) must not exceed max_order ({self.max_order})."
            )
        return settings

    def _apertures(self, X):
        if self.aperture_columns is None:
            return [("value", "error")]
        if len(self.aperture_columns) == 0:
            raise ValueError("aperture_columns must list at least one column; got an empty list.")
        out = []
        for item in self.aperture_columns:
            if isinstance(item, str):
                err = f"{item}_err" if f"{item}_err" in X.columns else "error"
                out.append((item, err))
            elif isinstance(item, (tuple, list)) and len(item) == 2:
                out.append((str(item[0]), str(item[1])))
            else:
                raise ValueError(
                    "aperture_columns entries must be column names or (value, error) pairs; "
                    f"got {item!r}."
                )
        for value, err in out:
            for name in (value, err):
                if name not in X.columns:
                    raise ValueError(
                        f"aperture_columns names per-epoch column {name!r}, which the light "
                        f"curves lack; they have {list(X.columns)}."
                    )
        return out

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the settings and the light curves (the folder learns nothing).

        Parameters
        ----------
        X : LightCurves
        y : ignored

        Returns
        -------
        self : PeriodFolder
        """
        X = check_lightcurves(X, self, errors="unit", reset=True)
        self.settings_ = self._resolve()
        self._apertures(X)
        self.bands_ = tuple(X.bands)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = self.random_state is None
        tags.requires_fit = True
        return tags

    # ----------------------------------------------------------- transform
    def transform(self, X):
        """Fold every light curve.

        Parameters
        ----------
        X : LightCurves
            Magnitudes (or fluxes) with errors; ``meta[period_column]`` when
            periods are known.

        Returns
        -------
        LightCurves
            Binned, folded light curves (same objects, same order) with the
            columns and metadata listed in the class docstring.
        """
        check_is_fitted(self)
        X = check_lightcurves(X, self, measurements=(), reset=False)
        settings = _FoldSettings.from_settings(self.settings_)
        apertures = self._apertures(X)
        unweighted = "error" not in X.columns and any(e == "error" for _, e in apertures)
        # the bad-input policy; no errors: unit weights
        X = check_lightcurves(X, self, errors="unit", measurements=apertures)
        payload, chunks, band_names = self._payloads(X, apertures)
        n_bands = len(band_names) or 1
        band_names = band_names or ("",)
        output = partial(_chunk_output, band_names=band_names, apertures=apertures,
                         multiband=self.multiband, aperture_mode=bool(self.aperture_columns),
                         aperture_criterion=self.aperture_criterion)
        results = []
        with progress(total=len(X), verbose=self.verbose, desc="PeriodFolder", unit="curve") as bar:
            if self.n_jobs in (None, 1) or len(chunks) == 1:
                for lo, hi in chunks:
                    results.append(output(_fold_chunk(payload(lo, hi), settings, n_bands)))
                    bar.update(hi - lo)
            else:
                from joblib import Parallel, delayed

                try:  # results as they come (in order), to move the bar
                    parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
                except ValueError:  # a backend without generators (multiprocessing)
                    parallel = Parallel(n_jobs=self.n_jobs)
                tasks = (delayed(_fold_chunk)(payload(lo, hi), settings, n_bands)
                         for lo, hi in chunks)
                for result, (lo, hi) in zip(parallel(tasks), chunks):  # runs the generator out
                    results.append(output(result))
                    bar.update(hi - lo)
        return _assemble(X, results, band_names, with_error=not unweighted)

    def periodogram(self, X):
        """The periodogram each object's period is searched in, on its full grid.

        The same curves as :meth:`transform` searches (epoch means of the
        measurements that survive the pre-clip, of the first aperture, with the
        same ``nterms``, ``multiband`` and band selection), computed
        exhaustively on the grid ``1 / period_range[1] + k * df``,
        ``df = 1 / (oversampling * baseline)``, in the standard normalisation
        ``1 - chi2 / chi2_0`` (as astropy's ``LombScargle.autopower``). Costly
        for many objects: ask for the ones you want to look at.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        list of (frequency, power)
            One pair of arrays per object, in order (frequency in 1/day);
            empty arrays for an object that :meth:`transform` would not
            search (``fold_status`` ``"flat"``, ``"too_few_epochs"`` or
            ``"short_baseline"``).

        Examples
        --------
        >>> import numpy as np
        >>> from skastro.datasets import make_periodic_variables
        >>> from skastro.periodic import PeriodFolder
        >>> lcs = make_periodic_variables(2, n_epochs=80, classes={"RRab": 1}, random_state=0)
        >>> folder = PeriodFolder(n_peaks=1, refine_period=False, random_state=0).fit(lcs)
        >>> (frequency, power), _ = folder.periodogram(lcs)
        >>> period = folder.transform(lcs).meta["period"].iloc[0]
        >>> bool(np.isclose(1 / frequency[np.argmax(power)], period)), frequency.size == power.size
        (True, True)
        """
        check_is_fitted(self)
        X = check_lightcurves(X, self, measurements=(), reset=False)
        apertures = self._apertures(X)[:1]
        X = check_lightcurves(X, self, errors="unit", measurements=apertures)
        payload, chunks, band_names = self._payloads(X, apertures, need_known=False)
        out = []
        for lo, hi in chunks:
            out += _periodogram_chunk(payload(lo, hi), _FoldSettings.from_settings(self.settings_),
                                      len(band_names) or 1)
        return out

    def _payloads(self, X, apertures, need_known=True):
        """The chunks of ``X`` and a function giving the arrays of one chunk."""
        band_names = tuple(X.bands) if "band" in X.columns else ()
        codes = X.codes("band") if band_names else np.zeros(X.n_observations, np.int16)
        keep = None
        if self.band is not None:
            if self.band not in band_names:
                raise ValueError(
                    f"band={self.band!r} is not among the light curves' bands {list(band_names)}."
                )
            keep = codes == band_names.index(self.band)
        elif len(band_names) > 1 and not self.multiband:
            raise ValueError(
                f"The light curves hold {len(band_names)} bands {list(band_names)}; pass "
                "band='<name>' to fold one of them or multiband=True to share one period."
            )

        known = None
        if self.period_column is not None and need_known:
            if self.period_column not in X.meta.columns:
                raise ValueError(
                    f"period_column={self.period_column!r} is not a metadata column; meta has "
                    f"{list(X.meta.columns)}."
                )
            known = pd.to_numeric(X.meta[self.period_column], errors="coerce").to_numpy(float)
            if not np.all(np.isfinite(known) & (known > 0)):
                bad = X.ids[~(np.isfinite(known) & (known > 0))][:5].tolist()
                raise ValueError(
                    f"meta[{self.period_column!r}] must hold positive finite periods; objects "
                    f"{bad} do not."
                )

        seed = check_random_state(self.random_state).randint(2**31 - 1)
        keys = _observation_keys(X.time, seed)
        offsets = X.offsets
        n = len(X)
        chunks = [(s, min(s + self.chunk_size, n)) for s in range(0, n, self.chunk_size)]

        def payload(lo, hi):
            a, b = offsets[lo], offsets[hi]
            sel = slice(a, b)
            mask = None if keep is None else keep[sel]
            data = {
                "offsets": offsets[lo:hi + 1] - a,
                "time": X.time[sel],
                "band": codes[sel],
                "keys": keys[sel],
                "values": [X.column(v)[sel] for v, _ in apertures],
                "errors": [X.column(e)[sel] for _, e in apertures],
                "known": None if known is None else known[lo:hi],
                "ids": X.ids[lo:hi],
                "flux": X.value_kind == "flux",
            }
            if mask is not None:
                data = _select(data, mask)
            return data

        return payload, chunks, band_names

    def get_feature_names_out(self, input_features=None):
        """Names of the metadata columns this transformer adds.

        Parameters
        ----------
        input_features : None
            Ignored: the input is a :class:`~skastro.LightCurves`, whose
            columns pass through; the added columns are in ``meta``.

        Returns
        -------
        ndarray of str
        """
        return np.asarray(FOLD_META_COLUMNS + _FOURIER_META, dtype=object)


# ---------------------------------------------------------------- helpers
@dataclass(frozen=True)
class _FoldSettings:
    """What the folding stages read: the settings in force (``PeriodFolder.settings_``)."""

    period_range: tuple
    oversampling: float
    n_peaks: int
    min_order: int
    max_order: int
    n_folds: int
    clip_sigma: float | None
    max_iter: int
    pre_clip_sigma: float | None
    refine_period: bool
    nterms: int
    check_aliases: bool
    search_after_clipping: bool
    search_coarsening: int
    bin_window: float
    multiband: bool
    min_epochs: int

    @classmethod
    def from_settings(cls, settings):
        return cls(**{f.name: settings[f.name] for f in fields(cls)})


def _observation_keys(time, seed):
    """Pseudo-random keys in [0, 1) from each observation's time and ``seed``.

    The cross-validation folds of an object are drawn from its own times
    (splitmix64 of the float64 bits), so they do not depend on the other
    objects of the container, its order, the chunking or ``n_jobs``.
    """
    u = np.uint64
    x = np.ascontiguousarray(time, dtype=np.float64).view(u) ^ u(seed)
    x = x + u(0x9E3779B97F4A7C15)  # splitmix64 (uint64 arithmetic wraps)
    x = (x ^ (x >> u(30))) * u(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> u(27))) * u(0x94D049BB133111EB)
    x = x ^ (x >> u(31))
    return (x >> u(11)).astype(np.float64) / float(2**53)


def _to_days(value, name):
    """An astropy time ``Quantity`` in days (a plain number is taken as days)."""
    if not hasattr(value, "to_value"):
        return value
    import astropy.units as u

    try:
        days = value.to_value(u.day)
    except u.UnitConversionError:
        raise ValueError(
            f"{name} must be in days or a time Quantity (e.g. 0.5 * u.day); got {value!r}, "
            f"whose unit {value.unit} is not a time."
        ) from None
    return days.tolist() if np.ndim(days) else float(days)


def _select(data, mask):
    """Keep the measurements in ``mask`` (objects keep their place, may become empty)."""
    counts = np.add.reduceat(mask.astype(np.int64), data["offsets"][:-1]) if mask.size else 0
    counts = np.where(np.diff(data["offsets"]) > 0, counts, 0)
    out = dict(data)
    out["offsets"] = np.concatenate([[0], np.cumsum(counts)])
    for name in ("time", "band", "keys"):
        out[name] = data[name][mask]
    out["values"] = [v[mask] for v in data["values"]]
    out["errors"] = [e[mask] for e in data["errors"]]
    return out


def _coverage(phase, group, n_groups):
    """1 - largest gap between sorted phases (with wrap-around), per group."""
    out = np.full(n_groups, np.nan)
    if phase.size == 0:
        return out
    order = np.lexsort((phase, group))
    p, g = phase[order], group[order]
    gaps = np.diff(p)
    same = g[1:] == g[:-1]
    maxgap = np.zeros(n_groups)
    np.maximum.at(maxgap, g[1:][same], gaps[same])
    starts = np.flatnonzero(np.r_[True, ~same])
    ends = np.r_[starts[1:] - 1, p.size - 1]
    wrap = 1.0 - p[ends] + p[starts]
    gs = g[starts]
    maxgap[gs] = np.maximum(maxgap[gs], wrap)
    out[gs] = 1.0 - maxgap[gs]
    return out


def _padded(values_flat, group, pos, G, L, fill=0.0):
    out = np.full((G, L), fill, dtype=np.asarray(values_flat).dtype)
    out[group, pos] = values_flat
    return out


def _group_epochs(data, s, n_bands_total):
    """Stage 1: sort a chunk by (object, band, time); groups (object x band), epochs,
    CV folds by epoch and the padded (group, measurement) layout."""
    offsets = data["offsets"]
    n = offsets.size - 1
    lengths = np.diff(offsets)
    obj = np.repeat(np.arange(n), lengths)
    t = np.asarray(data["time"], dtype=np.float64)
    band_label = np.asarray(data["band"], dtype=np.int64)
    # single-band mode: one group per object (the label is kept for the output)
    band = band_label if s.multiband else np.zeros_like(band_label)
    # ----- sort by (object, band, time) and group into epochs
    order = np.lexsort((t, band, obj))
    t_s, b_s, o_s = t[order], band[order], obj[order]
    label_s = band_label[order]
    gkey = o_s * (n_bands_total + 1) + b_s
    new_group = np.r_[True, gkey[1:] != gkey[:-1]] if t_s.size else np.zeros(0, bool)
    new_epoch = new_group | np.r_[True, np.diff(t_s) > s.bin_window] if t_s.size else new_group
    group = np.cumsum(new_group) - 1
    epoch = np.cumsum(new_epoch) - 1
    G = int(group[-1]) + 1 if t_s.size else 0
    E = int(epoch[-1]) + 1 if t_s.size else 0
    g_start = np.flatnonzero(new_group)
    g_obj = o_s[g_start]
    g_band = label_s[g_start]
    g_len = np.diff(np.r_[g_start, t_s.size])
    pos = np.arange(t_s.size) - np.repeat(g_start, g_len)
    e_group = group[np.flatnonzero(new_epoch)]
    g_nep = np.bincount(e_group, minlength=G)
    o_nep = np.bincount(g_obj, weights=g_nep, minlength=n).astype(np.int64)

    # CV folds by epoch: rank of the epoch's random key within its group
    e_key = data["keys"][order][np.flatnonzero(new_epoch)]
    e_rank_order = np.lexsort((e_key, e_group))
    e_rank = np.empty(E, np.int64)
    first_epoch_of_group = np.searchsorted(e_group, np.arange(G)) if E else np.zeros(0, np.int64)
    e_rank[e_rank_order] = np.arange(E) - first_epoch_of_group[e_group[e_rank_order]]
    fold_m = (e_rank % s.n_folds)[epoch]

    L = int(g_len.max()) if G else 1
    t_pad = _padded(t_s, group, pos, G, L)
    fold_pad = _padded(fold_m, group, pos, G, L, fill=-1)
    o_tmin = np.full(n, np.nan)
    o_tmax = np.full(n, np.nan)
    if t_s.size:
        np.fmin.at(o_tmin, o_s, t_s)
        np.fmax.at(o_tmax, o_s, t_s)
    baseline = o_tmax - o_tmin
    return SimpleNamespace(t_first=o_tmin,
        n=n, lengths=lengths, order=order, t_s=t_s, o_s=o_s, group=group, epoch=epoch, G=G,
        E=E, L=L, pos=pos, g_obj=g_obj, g_band=g_band, g_len=g_len, e_group=e_group,
        g_nep=g_nep, o_nep=o_nep, t_pad=t_pad, fold_pad=fold_pad, baseline=baseline,
        ids=data.get("ids"))


def _object_name(c, i):
    """``object <id>`` of the chunk's ``i``-th object, for messages."""
    return f"object {_plain(c.ids[i])!r}" if c.ids is not None else f"object #{i}"


def _clean(c, vals, errs, s, known, flux):
    """Stage 2: relative weights, the gross-outlier pre-clip and the degenerate curves.

    Returns ``(y_s, e_scale, w_s, pre_keep, status, g_mean)``.
    """
    n, t_s, o_s, group, G, g_len = c.n, c.t_s, c.o_s, c.group, c.G, c.g_len
    y_s = np.asarray(vals, dtype=np.float64)[c.order]
    e_s = np.asarray(errs, dtype=np.float64)[c.order]
    # weights relative to the object's median error: no 1 / sigma^2 over- or underflow
    # and every result invariant to a common scaling of an object's errors
    e_scale = group_median(e_s, o_s, n) if t_s.size else np.ones(n)
    w_s = 1.0 / np.clip(e_s / e_scale[o_s], _REL_ERROR_LIMIT, 1 / _REL_ERROR_LIMIT) ** 2

    # gross outliers (beyond pre_clip robust sigmas of the median) never enter the
    # periodogram or the fit
    pre_keep = np.ones(t_s.size, dtype=bool)
    if s.pre_clip_sigma is not None and t_s.size:
        med = group_median(y_s, group, G)
        mad = _MAD * group_median(np.abs(y_s - med[group]), group, G)
        # (a MAD of 0 - most values equal - makes every other value an outlier)
        pre_keep = np.abs(y_s - med[group]) <= s.pre_clip_sigma * mad[group]
        # more than _PRE_CLIP_MAX_FRACTION beyond the bound is signal (deep eclipses), not
        # outliers: keep that group whole
        frac_out = np.bincount(group, weights=(~pre_keep).astype(float), minlength=G) / g_len
        pre_keep |= (frac_out > _PRE_CLIP_MAX_FRACTION)[group]
        if not flux:
            # an absurd magnitude error (SDSS's 99.999 'no measurement'): the point weighs
            # almost nothing, so the sigma clip on normalised residuals can never reject it
            pre_keep &= e_s <= _PRE_CLIP_ERROR_RATIO * group_median(e_s, group, G)[group]

    # degenerate objects (a curve that is flat but for its pre-clipped outliers is flat)
    status = np.full(n, "ok", dtype=object)
    w_kept = np.where(pre_keep, w_s, 0.0)
    wsum_o = np.bincount(o_s, weights=w_kept, minlength=n)
    ymean_o = np.bincount(o_s, weights=w_kept * y_s, minlength=n) / np.where(wsum_o > 0, wsum_o, 1)
    g_w = np.bincount(group, weights=w_kept, minlength=G)
    g_mean = np.bincount(group, weights=w_kept * y_s, minlength=G) / np.where(g_w > 0, g_w, 1)
    spread = np.zeros(n)
    if t_s.size:
        np.maximum.at(spread, o_s, np.where(pre_keep, np.abs(y_s - g_mean[group]), 0.0))
    status[spread <= 1e-12 * np.maximum(1.0, np.abs(ymean_o))] = "flat"
    if known is None:
        status[(c.baseline < s.period_range[1]) & (status == "ok")] = "short_baseline"
    status[c.o_nep < s.min_epochs] = "too_few_epochs"
    status[c.lengths == 0] = "too_few_epochs"
    return y_s, e_scale, w_s, pre_keep, status, g_mean


def _search_curves(c, y_s, w_s, pre_keep, todo):
    """Stage 3: the curves the periodogram sees, for the objects ``todo``: epoch means
    (pawprints of one epoch add no phase) of the measurements that survived the
    pre-clip, as time-sorted ``(t, y, sigma, band_code)`` (sigma relative)."""
    epoch, E, n = c.epoch, c.E, c.n
    wp = np.where(pre_keep, w_s, 0.0)
    ew = np.bincount(epoch, weights=wp, minlength=E)
    has = ew > 0
    ew_safe = np.where(has, ew, 1.0)
    et = np.bincount(epoch, weights=wp * c.t_s, minlength=E) / ew_safe
    ey = np.bincount(epoch, weights=wp * y_s, minlength=E) / ew_safe
    ee = 1.0 / np.sqrt(ew_safe)
    eb = c.g_band[c.e_group]
    eo = np.where(has, c.g_obj[c.e_group], n)  # epochs without data go last, unused
    e_sort = np.argsort(eo, kind="stable")
    et, ey, ee, eb, eo = et[e_sort], ey[e_sort], ee[e_sort], eb[e_sort], eo[e_sort]
    obj_start = np.searchsorted(eo, np.arange(n))
    obj_end = np.searchsorted(eo, np.arange(n), side="right")
    curves = []
    for i in todo:
        a, b = obj_start[i], obj_end[i]
        sl = np.argsort(et[a:b], kind="stable")
        curves.append((et[a:b][sl], ey[a:b][sl], ee[a:b][sl], eb[a:b][sl]))
    return curves


def _periodogram_chunk(data, s, n_bands_total):
    """Full-grid periodograms of the search curves of one chunk (first aperture)."""
    c = _group_epochs(data, s, n_bands_total)
    y_s, _, w_s, pre_keep, status, _ = _clean(c, data["values"][0], data["errors"][0], s, None,
                                                data["flux"])
    todo = np.flatnonzero(status == "ok")
    out = [(np.empty(0), np.empty(0))] * c.n
    kernel = partial(gls_fast, nterms=s.nterms)
    for i, (t, y, dy, band) in zip(todo, _search_curves(c, y_s, w_s, pre_keep, todo)):
        fmin, df, nf = frequency_grid(c.baseline[i], s.period_range, s.oversampling,
                                      what=_object_name(c, i))
        if s.multiband and np.unique(band).size > 1:
            power = gls_multiband(t, y, dy, band, fmin, df, nf, kernel=kernel)
        else:
            power = kernel(t, y, dy, fmin, df, nf)
        out[i] = (fmin + df * np.arange(nf), power)
    return out


def _fold_chunk(data, s, n_bands_total):
    """Fold one chunk of light curves (every aperture), return flat results.

    The stages, each vectorised over the chunk: :func:`_group_epochs`,
    :func:`_clean`, :func:`_search`, :func:`_choose`, :func:`_refine`,
    :func:`_bin` and :func:`_metrics`.
    """
    c = _group_epochs(data, s, n_bands_total)
    known = data["known"]
    per_aperture = []
    for vals, errs in zip(data["values"], data["errors"]):
        y_s, e_scale, w_s, pre_keep, status, g_mean = _clean(c, vals, errs, s, known, data["flux"])
        ok = status == "ok"
        y_pad = _padded(y_s, c.group, c.pos, c.G, c.L)
        w_pad = _padded(np.where(pre_keep, w_s, 0.0), c.group, c.pos, c.G, c.L)
        if known is None:
            cand, df_o, todo, curves = _search(c, y_s, w_s, pre_keep, ok, s)
        else:
            cand, df_o = np.asarray(known, dtype=np.float64)[:, None].copy(), np.full(c.n, np.nan)
        cand[~ok] = np.nan
        period, res = _choose(c, y_pad, w_pad, cand, known is None, s, df_o)
        if known is None and s.search_after_clipping:
            period, res = _search_again(c, y_s, w_s, pre_keep, ok, y_pad, w_pad, period, res,
                                        df_o, s)
        w_in = np.where(res["inlier"], w_pad, 0.0)
        fap = np.full(c.n, np.nan)
        if known is None:
            if s.refine_period and ok.any():
                period = np.where(ok, _refine(c, y_pad, w_in, period, res["order"], df_o, s),
                                  period)
            # a peak on the edge of the search range is most likely the flank of one
            # outside it: keep the fit, but do not call it ok
            pmin, pmax = s.period_range
            f = 1.0 / period
            edge = ok & (np.minimum(f - 1.0 / pmax, 1.0 / pmin - f) < 0.5 * df_o)
            status[edge] = "period_at_range_limit"
            fap[todo] = [_peak_fap(curve, fi, 1.0 / pmin) for curve, fi in zip(curves, f[todo])]
        epochs = _bin(c, y_s, w_s, e_scale, res["inlier"])
        g, e = _metrics(c, y_pad, w_in, period, res["order"], epochs, g_mean, ok, s,
                        data["flux"])
        per_aperture.append({
            "status": status,
            "period": np.where(ok, period, np.nan),
            "searched": np.full(c.n, known is None) & ok,
            "false_alarm_probability": np.where(ok, fap, np.nan),
            "ref_g": g.pop("ref_g"),
            "g_obj": c.g_obj, "g_band": c.g_band,
            "g": g, "e": e,
            "e_obj": epochs["obj"], "e_band": c.g_band[c.e_group],
        })
    return per_aperture


def _search(c, y_s, w_s, pre_keep, ok, s):
    """Stage 4: the ``n_peaks`` highest periodogram peaks of every ``ok`` object.

    Returns ``(cand, df, todo, curves)``: candidate periods ``(n, n_peaks)``
    (NaN where none), the fine grid step per object, the searched objects and
    their search curves.
    """
    pmin, pmax = s.period_range
    cand = np.full((c.n, s.n_peaks), np.nan)
    df_o = np.full(c.n, np.nan)
    todo = np.flatnonzero(ok)
    curves = _search_curves(c, y_s, w_s, pre_keep, todo)
    nfs = []
    for i in todo:
        _, df_o[i], nf = frequency_grid(c.baseline[i], (pmin, pmax), s.oversampling,
                                        what=_object_name(c, i))
        nfs.append(nf)
    if todo.size:
        freqs = gls_search_many(curves, 1.0 / pmax, df_o[todo], nfs, s.n_peaks,
                                coarsening=s.search_coarsening, nterms=s.nterms,
                                multiband=s.multiband)
        if s.check_aliases and s.n_peaks > 1:
            # the daily aliases of every peak join the candidates the Fourier fit judges
            extra = [daily_alias_peaks(t, y, dy, f, 1.0 / pmax, 1.0 / pmin, nterms=s.nterms,
                                       band_codes=b if s.multiband else None)
                     for (t, y, dy, b), f in zip(curves, freqs)]
            width = max(e.size for e in extra)
            freqs = np.hstack([freqs, np.full((todo.size, width), np.nan)])
            for row, e in zip(freqs, extra):
                row[s.n_peaks:s.n_peaks + e.size] = e
            cand = np.full((c.n, freqs.shape[1]), np.nan)
        cand[todo] = 1.0 / freqs
    return cand, df_o, todo, curves


def _search_again(c, y_s, w_s, pre_keep, ok, y_pad, w_pad, period, res, df_o, s,
                  max_rounds=3):
    """Stage 5b (Dékány & Grebel 2020, §3.2): search the period again without the
    measurements the robust fit rejected, and fit again, until the period stays (at
    most ``max_rounds`` times). Returns the period and the fit (per group)."""
    active = ok  # objects whose inliers may have changed since their last search
    for _ in range(max_rounds):
        inlier = res["inlier"][c.group, c.pos]
        clipped = np.bincount(c.o_s, weights=(pre_keep & ~inlier).astype(float), minlength=c.n)
        redo = active & (clipped > 0)
        if not redo.any():
            break
        cand, _, _, _ = _search(c, y_s, w_s, pre_keep & inlier, redo, s)
        cand[~redo] = np.nan
        new, _ = _choose(c, y_pad, w_pad, cand, True, s, df_o)
        with np.errstate(invalid="ignore"):
            changed = redo & (np.abs(1.0 / new - 1.0 / period) > 0.5 * df_o)
        if not changed.any():
            break
        active = changed
        period = np.where(changed, new, period)
        res = robust_fit_batched(c.t_pad, y_pad, w_pad, 2 * np.pi / period[c.g_obj], c.fold_pad,
                                 c.g_nep, clip_sigma=s.clip_sigma, max_iter=s.max_iter,
                                 min_order=s.min_order, max_order=s.max_order,
                                 n_folds=s.n_folds)
    return period, res


def _choose(c, y_pad, w_pad, cand, searched, s, df_o):
    """Stage 5: with several candidates, each is moved to the period of lowest BIC
    of the Fourier fit near it (:func:`_best_near`) and the lowest wins; the winner
    is fitted robustly. Returns the period per object and the fit (per group).

    The BIC allows for quoted errors that are wrong (:func:`_noise_models`): the
    coarse comparison of every candidate lets each pick its noise model per band; the
    final comparison of the best three uses, for every candidate of an object, the noise
    model (per band) that the best coarse candidate picked, so that their scores are
    likelihoods of one and the same noise model.
    """
    n, g_obj = c.n, c.g_obj
    pmin, pmax = s.period_range
    # dummy period for rows we will not use (keeps the batched algebra finite)
    cand_filled = np.where(np.isfinite(cand), cand, 0.5 * (pmin + pmax))
    if not searched:
        cand_filled[~np.isfinite(cand[:, 0]), 0] = 1.0
    period = cand_filled[:, 0]
    if cand.shape[1] > 1:
        noise = _noise_models(w_pad)
        # candidates sit on the search grid (or, for aliases, at a peak of the search
        # model), up to half a step from where a many-harmonic fit is best: compare
        # them at their best nearby period, first coarsely (all), then finely (top 3)
        step = np.where(np.isfinite(df_o), df_o, 0.0)
        scores = np.full(cand.shape, np.inf)
        for j in range(cand.shape[1]):
            cand_filled[:, j], sc = _best_near(c, y_pad, noise, cand_filled[:, j], 2.5 * step, s,
                                               n=5, n_parabolic=0)
            scores[:, j] = np.where(np.isfinite(cand[:, j]), sc, np.inf)
        rows = np.arange(n)
        # one noise model per band for the final comparison: the one of the best so far
        lead = cand_filled[rows, np.argmin(scores, axis=1)]
        mix = _bic_score(c, y_pad, noise, lead, s)[2]
        for j in np.argsort(scores, axis=1)[:, :3].T:
            pj, sc = _best_near(c, y_pad, noise, cand_filled[rows, j], 1.25 * step, s,
                                n=5, n_parabolic=2, mix=mix)
            finite = np.isfinite(scores[rows, j])
            cand_filled[rows, j] = np.where(finite, pj, cand_filled[rows, j])
            scores[rows, j] = np.where(finite, sc, np.inf)
        best = np.argmin(scores, axis=1)
        best[~np.isfinite(scores.min(axis=1))] = 0
        period = cand_filled[rows, best]
    res = robust_fit_batched(c.t_pad, y_pad, w_pad, 2 * np.pi / period[g_obj], c.fold_pad,
                             c.g_nep, clip_sigma=s.clip_sigma, max_iter=s.max_iter,
                             min_order=s.min_order, max_order=s.max_order, n_folds=s.n_folds)
    return period, res


def _noise_models(w):
    """The noise models the alias check's BIC chooses from, per group (band).

    Quoted errors are often wrong: SDSS's are too small for bright measurements, so a
    few points with tiny errors decide a weighted fit and can make a daily alias win.
    Model ``k`` gives measurement ``i`` the variance ``c ((1 - lam_k) v_i + lam_k)``,
    ``v_i`` its quoted variance over the median of its group and ``c`` free (profiled
    out): a jitter of ``lam / (1 - lam)`` median variances added to the quoted one,
    from none (``lam = 0``, the quoted errors) to all (``lam = 1``, equal weights).

    Parameters
    ----------
    w : ndarray of shape (G, L)
        Relative weights ``1 / v`` (0: not used).

    Returns
    -------
    weights : ndarray of shape (G, n_models, L)
        Per model, the weights ``1 / ((1 - lam) v + lam)`` (0 where ``w`` is).
    log_det : ndarray of shape (G, n_models)
        ``sum_i ln((1 - lam) v_i + lam)`` of each group and model (the normalisation
        term of the Gaussian likelihood; a period does not change it, a noise model does).
    """
    used = w > 0
    v = np.where(used, 1.0 / np.where(used, w, 1.0), np.nan)
    med = row_nanmedian(v)
    med[np.isnan(med)] = 1.0  # a row with no point: any scale
    v = np.where(used, v / med[:, None], 1.0)
    weights = np.empty((w.shape[0], len(_NOISE_MIX), w.shape[1]))
    log_det = np.empty((w.shape[0], len(_NOISE_MIX)))
    for k, lam in enumerate(_NOISE_MIX):
        var = (1.0 - lam) * v + lam
        weights[:, k] = np.where(used, 1.0 / var, 0.0)
        log_det[:, k] = np.sum(np.where(used, np.log(var), 0.0), axis=1)
    return weights, log_det


def _bic_score(c, y_pad, noise, period, s, mix=None):
    """Bayesian information criterion of the Fourier fit at ``period``, per object.

    Per group (band) and noise model ``k`` (:func:`_noise_models`), the best order
    ``K`` (``min_order`` to the CV cap) of
    ``n ln(chi2_K / n) + sum_i ln s_i + (2 K + 1) ln n`` (Gaussian errors of variance
    ``c s_i``, ``c`` profiled out; ``n`` measurements of weight > 0), the model ``k``
    being ``mix[g]`` where given, otherwise the one of lowest score; summed over the
    object's groups. Lower is better; only differences between periods of one object
    matter. Returns ``(score per object, order per group, model per group)``.
    """
    A = Design(c.t_pad, 2 * np.pi / period[c.g_obj], s.max_order, c.g_len)
    cap = np.maximum(max_valid_order(c.g_nep, s.n_folds, s.max_order), s.min_order)
    weights, log_det = noise
    best = np.full(c.G, np.inf)
    order = np.full(c.G, s.min_order)
    model = np.zeros(c.G, np.int64)
    models = np.arange(weights.shape[1])
    if mix is not None:
        models = models[np.isin(models, mix)]
        weights = weights[:, models]
    scores, orders = _bic_one(A, y_pad, weights, cap, s)  # all models in one pass
    for j, k in enumerate(models):
        sc, ordk = scores[:, j] + log_det[:, k], orders[:, j]
        better = (sc < best) if mix is None else (mix == k)
        best = np.where(better, sc, best)
        order, model = np.where(better, ordk, order), np.where(better, k, model)
    return np.bincount(c.g_obj, weights=best, minlength=c.n), order, model


def _bic_one(A, y_pad, w, cap, s):
    """``min_K n ln(chi2_K / n) + (2 K + 1) ln n`` per group for each of the weightings
    ``w`` (G, R, L), and the ``K``, both (G, R); ``A`` the :class:`Design` at the period."""
    wsum = np.sum(w, axis=-1)
    ybar = np.sum(w * y_pad[:, None], axis=-1) / np.maximum(wsum, 1e-300)
    y = y_pad[:, None] - ybar[..., None]
    M, b = _gram(A, y, w)
    yy = np.sum(w * y * y, axis=-1)
    n_g = np.maximum(np.sum(w > 0, axis=-1), 2)
    # nested orders from one Cholesky factor M = R'R: with z = R'^-1 b, the fit of the
    # first p columns leaves chi2_p = y'Wy - |z[:p]|^2
    P = M.shape[-1]
    diag = np.einsum("...ii->...i", M)
    M = M + (1e-9 * diag.mean(axis=-1) + 1e-300)[..., None, None] * np.eye(P)
    try:
        R = np.linalg.cholesky(M)
        z2 = np.cumsum(np.linalg.solve(R, b[..., None])[..., 0] ** 2, axis=-1)
    except np.linalg.LinAlgError:  # not expected with the ridge; the slow way
        z2 = np.stack([np.einsum("...p,...p->...", _solve(M[..., :p, :p], b[..., :p]),
                                 b[..., :p]) for p in range(1, P + 1)], axis=-1)
    best = np.full(yy.shape, np.inf)
    order = np.full(yy.shape, s.min_order)
    for k in range(s.min_order, s.max_order + 1):
        p = 2 * k + 1
        chi2 = np.maximum(yy - z2[..., p - 1], 1e-12 * yy + 1e-300)
        score = n_g * np.log(chi2 / n_g) + p * np.log(n_g)
        better = (k <= cap[:, None]) & (score < best)
        best, order = np.where(better, score, best), np.where(better, k, order)
    return best, order


def _best_near(c, y_pad, noise, period, half, s, n=5, n_parabolic=2, mix=None):
    """The period of lowest BIC (:func:`_bic_score`, noise models ``mix`` or each
    group's best) within ``half`` (a frequency, per object) of ``period``: a scan of
    ``n`` frequencies, then ``n_parabolic`` parabolic steps, each kept only where it
    lowers the BIC. Returns ``(period, score)``."""
    fmin, fmax = 1.0 / s.period_range[1], 1.0 / s.period_range[0]
    f0 = 1.0 / period
    best_f, best = f0.copy(), np.full(c.n, np.inf)

    def consider(f):
        nonlocal best_f, best
        f = np.clip(f, fmin, fmax)
        sc = _bic_score(c, y_pad, noise, 1.0 / f, s, mix=mix)[0]
        better = sc < best
        best_f, best = np.where(better, f, best_f), np.where(better, sc, best)
        return sc

    for x in np.linspace(-1.0, 1.0, n):
        consider(f0 + x * half)
    step = 2 * half / (n - 1)
    for _ in range(n_parabolic):
        f_mid, s_mid = best_f.copy(), best.copy()
        sm, sp = consider(f_mid - step), consider(f_mid + step)
        denom = sm - 2 * s_mid + sp
        with np.errstate(all="ignore"):
            x = np.where(denom > 0, 0.5 * (sm - sp) / denom, 0.0)
        consider(f_mid + np.clip(np.nan_to_num(x), -1.0, 1.0) * step)
        step = step / 3.0
    return 1.0 / best_f, best


def _refine(c, y_pad, w_in, period, order_g, df_o, s):
    """Stage 6: three parabolic steps through chi2 at f - h, f, f + h (h shrinking from
    the grid step), never leaving the search range. Returns the refined periods."""
    pmin, pmax = s.period_range
    f = 1.0 / period
    h = np.where(np.isfinite(df_o), df_o, 0.0)
    for _ in range(3):
        chis = []
        for sgn in (-1.0, 0.0, 1.0):
            A = Design(c.t_pad, 2 * np.pi * (f + sgn * h)[c.g_obj], s.max_order, c.g_len)
            coef = _fit_orders(A, y_pad, w_in, order_g)
            r = y_pad - A.predict(coef)
            chis.append(np.bincount(c.g_obj, weights=np.sum(w_in * r**2, axis=1), minlength=c.n))
        cm, c0, cp = chis
        denom = cm - 2 * c0 + cp
        with np.errstate(all="ignore"):
            step = np.where(denom > 0, 0.5 * (cm - cp) / denom, 0.0)
        step = np.clip(np.nan_to_num(step), -1.0, 1.0)
        f = np.clip(f + step * h, 1.0 / pmax, 1.0 / pmin)
        h = h / 3.0
    return 1.0 / f


def _bin(c, y_s, w_s, e_scale, inlier):
    """Stage 7: one point per epoch, the weighted mean of its inlier measurements (an
    epoch without inliers keeps the mean of all and is flagged ``outlier``)."""
    epoch, E = c.epoch, c.E
    inl_m = inlier[c.group, c.pos]
    has_in = np.bincount(epoch, weights=inl_m.astype(float), minlength=E) > 0
    wu = np.where(inl_m | ~has_in[epoch], w_s, 0.0)
    e_w = np.bincount(epoch, weights=wu, minlength=E)
    obj = c.g_obj[c.e_group]
    return {
        "obj": obj,
        "time": np.bincount(epoch, weights=wu * c.t_s, minlength=E) / e_w,
        "value": np.bincount(epoch, weights=wu * y_s, minlength=E) / e_w,
        "error": e_scale[obj] / np.sqrt(e_w),
        "outlier": ~has_in,
        "n_measurements": np.bincount(epoch, minlength=E),
    }


def _metrics(c, y_pad, w_in, period, order_g, epochs, g_mean, ok, s, flux):
    """Stage 8: the final fit, phases (Eq. 13) and the per-group quality metrics.

    Returns ``(g, e)``: per-group metadata columns (and ``ref_g``, the group
    per object that describes it) and the per-epoch output columns.
    """
    G, g_obj, e_group, max_order = c.G, c.g_obj, c.e_group, s.max_order
    A = Design(c.t_pad, 2 * np.pi / period[g_obj], max_order, c.g_len)
    coef = _fit_orders(A, y_pad, w_in, order_g)
    r = y_pad - A.predict(coef)
    del A
    chi2_g = np.sum(w_in * r**2, axis=1)
    amps, phis = fourier_parameters(coef)
    a0 = coef[:, 0]
    ref_g = _reference_groups(g_obj, c.g_nep, c.n)
    phi1_obj = np.where(ref_g >= 0, phis[np.maximum(ref_g, 0), 0], 0.0)
    e_obj, e_t, e_y = epochs["obj"], epochs["time"], epochs["value"]
    P_e = period[e_obj]
    shift = P_e * phi1_obj[e_obj] / (2 * np.pi)
    e_phase = np.mod((e_t + shift) / P_e, 1.0)
    e_phase2 = np.mod((e_t + shift) / (2 * P_e), 1.0)
    e_res = np.empty(e_t.size)
    for lo in range(0, e_t.size, _EPOCH_BLOCK):  # bounded memory for huge curves
        sl = slice(lo, lo + _EPOCH_BLOCK)
        A_e = design_matrix(e_t[sl, None], 2 * np.pi / P_e[sl], max_order)[:, 0, :]
        e_res[sl] = e_y[sl] - np.einsum("ep,ep->e", A_e, coef[e_group[sl]])
    e_in = ~epochs["outlier"]
    n_in = np.bincount(e_group, weights=e_in.astype(float), minlength=G)
    ss = np.bincount(e_group, weights=np.where(e_in, e_res**2, 0.0), minlength=G)
    dof = n_in - (2 * order_g + 1)
    ph = np.linspace(0, 1, _N_MODEL_PHASES, endpoint=False)
    kk = np.arange(1, max_order + 1)
    ok_e, ok_g = ok[e_obj], ok[g_obj]
    curve = np.zeros((G, ph.size))  # only ok groups use theirs: no sines for the others
    curve[ok_g] = np.einsum("gk,pgk->gp", amps[ok_g], np.sin(
        2 * np.pi * kk[None, None, :] * ph[:, None, None] + phis[ok_g][None]))
    amp_g = curve.max(axis=1) - curve.min(axis=1)
    t_mid = c.t_first + 0.5 * c.baseline
    t0_g = _max_light_epoch(curve, period[g_obj], t_mid[g_obj], flux)
    with np.errstate(all="ignore"):
        resid_std = np.sqrt(ss / np.where(dof > 0, dof, n_in))
        snr_g = amp_g * np.sqrt(c.g_nep) / resid_std
        loss_g = chi2_g / np.sum(w_in, axis=1)
    cov_p = _coverage(e_phase[e_in], e_group[e_in], G)
    cov_2p = _coverage(e_phase2[e_in], e_group[e_in], G)
    g = {
        "ref_g": ref_g,
        "fourier_order": np.where(ok_g, order_g, 0),
        "amplitude": np.where(ok_g, amp_g, np.nan),
        "mean_mag": np.where(ok_g, a0, g_mean),
        "residual_std": np.where(ok_g, resid_std, np.nan),
        "snr": np.where(ok_g, snr_g, np.nan),
        "n_epochs": c.g_nep,
        "phase_coverage_p": np.where(ok_g, cov_p, np.nan),
        "phase_coverage_2p": np.where(ok_g, cov_2p, np.nan),
        "fit_loss": np.where(ok_g, loss_g, np.nan),
        "t0": np.where(ok_g, t0_g, np.nan),
        **_fourier_meta(amps, phis, ok_g),
    }
    e = {
        "time": e_t, "value": e_y, "error": epochs["error"],
        "phase": np.where(ok_e, e_phase, np.nan),
        "phase_2p": np.where(ok_e, e_phase2, np.nan),
        "value_centered": e_y - np.where(ok_e, a0[e_group], g_mean[e_group]),
        "outlier": epochs["outlier"] & ok_e,
        "n_measurements": epochs["n_measurements"],
    }
    return g, e


def _peak_fap(curve, f, fmax):
    """False-alarm probability of the GLS power at ``f`` of a search curve's band with
    most epochs (Baluev 2008)."""
    t, y, dy, band = curve
    ref = band == np.argmax(np.bincount(band))
    power = gls_at(t[ref], y[ref], dy[ref], np.array([f]))[0]
    return false_alarm_probability(power, t[ref], dy[ref], fmax)


def _max_light_epoch(curve, period, t_mid, flux):
    """Time of maximum light (magnitude minimum, or flux maximum) nearest ``t_mid``
    (the middle of the data, where the ephemeris is best constrained), from fitted
    curves sampled at phases ``t / P mod 1`` (``(G, n)``), the extremum refined by a
    parabola through its neighbours."""
    m = -curve if flux else curve
    k = np.argmin(m, axis=1)
    n_ph = curve.shape[1]
    rows = np.arange(curve.shape[0])
    lo, mid, hi = m[rows, (k - 1) % n_ph], m[rows, k], m[rows, (k + 1) % n_ph]
    denom = lo - 2 * mid + hi
    with np.errstate(all="ignore"):
        delta = np.where(denom > 0, 0.5 * (lo - hi) / denom, 0.0)
    phase = (k + np.clip(delta, -0.5, 0.5)) / n_ph
    return period * (phase + np.round(t_mid / period - phase))


def _reference_groups(g_obj, g_nep, n):
    """Per object, the group (band) with most epochs (-1 for objects without any)."""
    ref = np.full(n, -1, np.int64)
    if g_obj.size == 0:
        return ref
    order = np.lexsort((-g_nep, g_obj))
    first = np.r_[True, g_obj[order][1:] != g_obj[order][:-1]]
    ref[g_obj[order][first]] = order[first]
    return ref


def _fourier_meta(amps, phis, ok):
    K = amps.shape[1]

    def col(k):
        return amps[:, k] if k < K else np.zeros(amps.shape[0])

    def ph(k):
        return phis[:, k] if k < K else np.zeros(amps.shape[0])

    a1 = col(0)
    with np.errstate(all="ignore"):
        out = {
            "fourier_A1": a1, "fourier_A2": col(1), "fourier_A3": col(2), "fourier_A4": col(3),
            "fourier_R21": np.where(a1 > 0, col(1) / a1, 0.0),
            "fourier_R31": np.where(a1 > 0, col(2) / a1, 0.0),
            "fourier_phi21": np.mod(ph(1) - 2 * ph(0), 2 * np.pi) * (col(1) > 0),
            "fourier_phi31": np.mod(ph(2) - 3 * ph(0), 2 * np.pi) * (col(2) > 0),
        }
    return {k: np.where(ok, v, np.nan) for k, v in out.items()}


def _chunk_output(chunk, band_names, apertures, multiband, aperture_mode,
                  aperture_criterion="residual_std"):
    """The output columns of one chunk's results (every aperture): the aperture chosen
    per object (lowest ``aperture_criterion`` of its reference band), its metadata (per object
    and per band) and its epochs. Called as each chunk comes, so that the fits' own
    arrays of all chunks are never held at once (a million one-point curves)."""
    n_ap = len(apertures)
    n = chunk[0]["status"].size
    if n_ap > 1:
        loss = np.full((n, n_ap), np.inf)
        for a, r in enumerate(chunk):
            ref = r["ref_g"]
            rs = np.where(ref >= 0, r["g"][aperture_criterion][np.maximum(ref, 0)], np.nan)
            loss[:, a] = np.where(np.isfinite(rs), rs, np.inf)
        choice = np.argmin(loss, axis=1)
    else:
        choice = np.zeros(n, np.int64)
    base = chunk[0]
    meta = {"fold_status": np.empty(n, dtype=object), "period": np.empty(n),
            "period_searched": np.zeros(n, bool),
            "false_alarm_probability": np.full(n, np.nan)}
    gcols = list(base["g"])
    for c in gcols:
        meta[c] = np.full(n, np.nan)
    pb = {}
    for a, r in enumerate(chunk):
        sel = choice == a
        meta["fold_status"][sel] = r["status"][sel]
        meta["period"][sel] = r["period"][sel]
        meta["period_searched"][sel] = r["searched"][sel]
        meta["false_alarm_probability"][sel] = r["false_alarm_probability"][sel]
        rg = r["ref_g"]
        for c in gcols:
            vals = np.where(rg >= 0, r["g"][c][np.maximum(rg, 0)], np.nan)
            meta[c][sel] = vals[sel]
        if multiband:
            g_sel = sel[r["g_obj"]]
            for c in ("amplitude", "mean_mag", "residual_std", "snr", "n_epochs",
                      "fourier_order"):
                for b in np.unique(r["g_band"]):
                    key = f"{c}_{band_names[b]}"
                    pb.setdefault(key, np.full(n, np.nan))
                    m = g_sel & (r["g_band"] == b)
                    pb[key][r["g_obj"][m]] = r["g"][c][m]
        if multiband:
            key = "reference_band"
            pb.setdefault(key, np.empty(n, dtype=object))
            pb[key][sel] = np.where(rg >= 0, np.asarray(band_names, dtype=object)[
                r["g_band"][np.maximum(rg, 0)]], None)[sel]
    if aperture_mode:
        meta["aperture"] = np.asarray([apertures[c][0] for c in choice], dtype=object)
    # epochs of the chosen aperture
    pick = choice[base["e_obj"]]
    cols = {}
    for c in base["e"]:
        col = base["e"][c].copy()
        for a in range(1, n_ap):
            m = pick == a
            col[m] = chunk[a]["e"][c][m]
        cols[c] = col
    return {"n": n, "meta": meta, "per_band": pb, "epochs": cols, "e_obj": base["e_obj"],
            "e_band": base["e_band"]}


def _assemble(X, parts, band_names, with_error=True):
    """Join the chunk outputs (:func:`_chunk_output`) into the output LightCurves (without
    ``error`` if not ``with_error``: unit weights give no binned uncertainty). Each column
    of the parts is released once joined, so a column is held at most twice."""
    n_total = len(X)
    starts = np.cumsum([0] + [p["n"] for p in parts])
    e_obj = np.concatenate([p["e_obj"] + lo for p, lo in zip(parts, starts)])
    counts = np.bincount(e_obj, minlength=n_total)
    if np.any(counts == 0):
        bad = X.ids[counts == 0][:5].tolist()
        raise ValueError(f"Objects {bad} have no observation in band {band_names!r} to fold.")
    order = np.argsort(e_obj, kind="stable")
    columns = {c: np.concatenate([p["epochs"].pop(c) for p in parts])[order]
               for c in list(parts[0]["epochs"]) if with_error or c != "error"}
    if band_names != ("",):
        columns["band"] = np.asarray(band_names, dtype=object)[
            np.concatenate([p["e_band"] for p in parts])[order]]
    offsets = np.r_[0, np.cumsum(counts)]
    meta_new = {c: np.concatenate([p["meta"].pop(c) for p in parts])
                for c in list(parts[0]["meta"])}
    for k in sorted({k for p in parts for k in p["per_band"]}):
        meta_new[k] = np.concatenate([p["per_band"].pop(k, np.full(p["n"], np.nan))
                                      for p in parts])
    meta = X.meta.copy()
    for c in meta_new:
        if c in meta.columns:
            meta[f"{c}_input"] = meta.pop(c)
    ordered = [*FOLD_META_COLUMNS, *_FOURIER_META, *_EXTRA_META]
    for c in ordered + [c for c in meta_new if c not in ordered]:
        if c in meta_new:
            meta[c] = meta_new.pop(c)
    meta["fourier_order"] = meta["fourier_order"].astype(np.int64)
    meta["n_epochs"] = meta["n_epochs"].astype(np.int64)
    meta["fold_status"] = meta["fold_status"].astype(str)
    return LightCurves(offsets, columns, meta=meta, value_kind=X.value_kind)

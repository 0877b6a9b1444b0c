"""Quality cuts of Dékány & Grebel (2020) and folded metadata as features."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from .._lightcurves import LightCurves
from ..utils import check_lightcurves

__all__ = ["quality_mask", "QUALITY_PRESETS", "FoldFeatures", "DEFAULT_FEATURES"]

#: The paper's selection cuts. ``"training"``: Eqs. 14-19 (§3.3);
#: ``"test"``: the explicit test set of §3.5; ``"target"``: Eqs. 24-30 (§4).
#: Bounds are inclusive unless noted (``snr_above`` and ``amplitude_max`` are strict).
QUALITY_PRESETS = {
    "training": {
        "snr_min": 60.0, "snr_above": None, "n_epochs_min": 40, "coverage_p_min": 0.8,
        "coverage_2p_min": 0.8, "mean_mag_range": (12.0, 15.5), "period_range": (0.28, 0.98),
        "amplitude_max": None,
    },
    # §3.5: "S/N > 30, N_ep >= 30, and <Ks> >= 12 mag" (S/N strict), in the period range of
    # the search and of the training set (§2, Eq. 19); no phase-coverage or amplitude cut is named
    "test": {
        "snr_min": None, "snr_above": 30.0, "n_epochs_min": 30, "coverage_p_min": None,
        "coverage_2p_min": None, "mean_mag_range": (12.0, None), "period_range": (0.28, 0.98),
        "amplitude_max": None,
    },
    "target": {
        "snr_min": 30.0, "snr_above": None, "n_epochs_min": 30, "coverage_p_min": 0.8,
        "coverage_2p_min": 0.8, "mean_mag_range": (12.0, None), "period_range": (0.28, 0.98),
        "amplitude_max": 1.0,
    },
}
_KEYS = tuple(QUALITY_PRESETS["training"])


def quality_mask(X, preset=None, **cuts):
    """Which objects pass the light-curve quality cuts (Eqs. 14-19, §3.5, Eqs. 24-30).

    Parameters
    ----------
    X : LightCurves or pandas.DataFrame
        Output of :class:`PeriodFolder` (or its ``meta``).
    preset : {"training", "test", "target"} or None, default=None
        Start from the paper's cuts for the training set (Eqs. 14-19:
        S/N >= 60, N_ep >= 40, C_P >= 0.8, C_2P >= 0.8, 12 <= <Ks> <= 15.5,
        0.28 <= P <= 0.98 d), the explicit test set (§3.5: S/N > 30,
        N_ep >= 30, <Ks> >= 12, and the search's 0.28 <= P <= 0.98 d; the
        paper names no phase-coverage cut there: add ``coverage_p_min=0.8,
        coverage_2p_min=0.8`` for the training set's) or the target set
        (Eqs. 24-30: S/N >= 30, N_ep >= 30, C_P, C_2P >= 0.8, <Ks> >= 12,
        A < 1 mag, 0.28 <= P <= 0.98 d). None: no cut unless given.
    **cuts
        Override or add cuts: ``snr_min``, ``snr_above`` (strict:
        ``snr > snr_above``), ``n_epochs_min``,
        ``coverage_p_min``, ``coverage_2p_min``, ``mean_mag_range`` (lo, hi;
        either may be None), ``period_range`` (lo, hi), ``amplitude_max``
        (strict: ``amplitude < amplitude_max``). A cut set to None is off.

    Returns
    -------
    mask : ndarray of bool, shape (n_objects,)
        Objects without a fit (NaN metrics) never pass an active cut.

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"snr": [80, 50], "n_epochs": [100, 100], "phase_coverage_p": [0.9, 0.9],
    ...                      "phase_coverage_2p": [0.9, 0.9], "mean_mag": [13.0, 13.0],
    ...                      "period": [0.5, 0.5], "amplitude": [0.3, 0.3]})
    >>> quality_mask(meta, "training").tolist()
    [True, False]
    >>> quality_mask(meta, "training", snr_min=40).tolist()
    [True, True]
    >>> quality_mask(meta, "test").tolist()  # S/N > 30 (§3.5)
    [True, True]
    """
    meta = X.meta if isinstance(X, LightCurves) else X
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(
            f"quality_mask expects a skastro.LightCurves or a pandas DataFrame; got {type(X).__name__}."
        )
    if preset is not None and preset not in QUALITY_PRESETS:
        raise ValueError(f"preset must be one of {sorted(QUALITY_PRESETS)} or None; got {preset!r}.")
    unknown = set(cuts) - set(_KEYS)
    if unknown:
        raise ValueError(f"Unknown cut(s) {sorted(unknown)}; known cuts are {list(_KEYS)}.")
    settings = dict.fromkeys(_KEYS)
    if preset is not None:
        settings.update(QUALITY_PRESETS[preset])
    settings.update(cuts)

    def col(name):
        if name not in meta.columns:
            raise ValueError(
                f"quality_mask needs meta column {name!r} (run PeriodFolder first); meta has "
                f"{list(meta.columns)}."
            )
        return pd.to_numeric(meta[name], errors="coerce").to_numpy(dtype=float)

    mask = np.ones(len(meta), dtype=bool)
    lower = {"snr_min": "snr", "n_epochs_min": "n_epochs", "coverage_p_min": "phase_coverage_p",
             "coverage_2p_min": "phase_coverage_2p"}
    for key, name in lower.items():
        if settings[key] is not None:
            mask &= col(name) >= settings[key]
    if settings["snr_above"] is not None:
        mask &= col("snr") > settings["snr_above"]
    for key, name in (("mean_mag_range", "mean_mag"), ("period_range", "period")):
        if settings[key] is not None:
            lo, hi = settings[key]
            values = col(name)
            mask &= np.isfinite(values)
            if lo is not None:
                mask &= values >= lo
            if hi is not None:
                mask &= values <= hi
    if settings["amplitude_max"] is not None:
        mask &= col("amplitude") < settings["amplitude_max"]
    return mask


#: Metadata columns :class:`FoldFeatures` returns by default.
DEFAULT_FEATURES = (
    "period", "amplitude", "fourier_order", "residual_std", "snr", "n_epochs",
    "phase_coverage_p", "phase_coverage_2p", "fourier_A1", "fourier_A2", "fourier_A3",
    "fourier_A4", "fourier_R21", "fourier_R31", "fourier_phi21", "fourier_phi31",
)


class FoldFeatures(TransformerMixin, BaseEstimator):
    """Per-object folding metadata as a feature matrix (for random-forest baselines).

    ``make_pipeline(PeriodFolder(), FoldFeatures(), RandomForestClassifier())``
    classifies light curves on the period, amplitude, quality metrics and
    Fourier parameters that :class:`PeriodFolder` writes to ``meta``.

    Parameters
    ----------
    columns : sequence of str, default=None
        Metadata columns to return, in order; None uses
        :data:`DEFAULT_FEATURES`.
    log_period : bool, default=True
        Return ``log10(period)`` instead of the period.
    fill_value : float, default=0.0
        Replaces NaN (objects without a fit) so tree models accept the rows.

    Attributes
    ----------
    meta_columns_ : ndarray of str
        The metadata columns read, in output order (the output names are
        :meth:`get_feature_names_out`).

    See Also
    --------
    PeriodFolder : writes the metadata.

    References
    ----------
    .. [1] Dékány, I. & Grebel, E. K. 2020, ApJ, 898, 46,
       doi:10.3847/1538-4357/ab9d85

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from skastro import LightCurves
    >>> from skastro.periodic import FoldFeatures
    >>> lcs = LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)], [np.ones(3)],
    ...                               meta=pd.DataFrame({"period": [0.5], "snr": [80.0]}))
    >>> FoldFeatures(columns=["period", "snr"]).fit_transform(lcs).round(3).tolist()
    [[-0.301, 80.0]]
    """

    _parameter_constraints = {
        "columns": [list, tuple, None],
        "log_period": ["boolean"],
        "fill_value": [float, int],
    }

    def __init__(self, columns=None, *, log_period=True, fill_value=0.0):
        self.columns = columns
        self.log_period = log_period
        self.fill_value = fill_value

    def _names(self):
        return list(DEFAULT_FEATURES if self.columns is None else self.columns)

    def _check(self, X):
        X = check_lightcurves(X, self, measurements=())  # selects, reads no measurement
        missing = [c for c in self._names() if c not in X.meta.columns]
        if missing:
            raise ValueError(
                f"FoldFeatures needs meta column(s) {missing} (run PeriodFolder first); meta "
                f"has {list(X.meta.columns)}."
            )
        return X

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the columns.

        Parameters
        ----------
        X : LightCurves
        y : ignored

        Returns
        -------
        self : FoldFeatures
        """
        self._check(X)
        self.meta_columns_ = np.asarray(self._names(), dtype=object)
        return self

    def transform(self, X):
        """The feature matrix.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        ndarray of shape (n_objects, ``len(meta_columns_)``)
        """
        check_is_fitted(self)
        X = self._check(X)
        out = np.empty((len(X), len(self.meta_columns_)))
        for j, name in enumerate(self.meta_columns_):
            col = pd.to_numeric(X.meta[name], errors="coerce").to_numpy(dtype=float)
            if name == "period" and self.log_period:
                with np.errstate(all="ignore"):
                    col = np.log10(col)
            out[:, j] = col
        out[~np.isfinite(out)] = self.fill_value
        return out

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns.

        Parameters
        ----------
        input_features : None
            Ignored: the columns are read from the input's ``meta``
            (``meta_columns_``).

        Returns
        -------
        ndarray of str
            ``meta_columns_``, with ``period`` renamed ``log10_period`` when
            ``log_period=True``.
        """
        check_is_fitted(self)
        return np.asarray(
            [("log10_period" if n == "period" and self.log_period else n)
             for n in self.meta_columns_], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags

"""DualFoldSequencer: folded light curves -> the 4-channel RNN input of §3.2."""

import numbers

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._lightcurves import _object_of, _plain
from ..utils import check_lightcurves
from ..utils._set_output import ContainerTransformerMixin
from ..utils._validation import add_dropped, check_cast, preset_params

__all__ = ["DualFoldSequencer"]

# Settings of published pipelines: ``DualFoldSequencer.from_preset(name)``.
_PRESETS = {
    # Dékány & Grebel (2020) §3.2: every binned epoch, rejected outliers left out
    "dekany2020": {"max_length": None, "drop_outliers": True, "on_invalid": "raise"},
}

_NEEDED = ("phase", "phase_2p", "value_centered")
# period (days) given to objects without one under on_invalid="zero"
_INVALID_PERIOD = 1.0


def _refuse_float32_overflow(X, mag, period):
    """The sequences are float32: a finite value beyond its range would become inf."""
    with np.errstate(over="ignore"):
        check_cast("column 'value_centered'", mag, mag.astype(np.float32),
                   lambda i: _object_of(X.offsets, X.ids, i), "DualFoldSequencer",
                   "the sequences hold")
        check_cast("meta['period']", period, period.astype(np.float32), lambda i: X.ids[i],
                   "DualFoldSequencer", "the sequences hold")


class DualFoldSequencer(ContainerTransformerMixin, BaseEstimator):
    """Turn folded light curves into the dual-fold sequences of Dékány & Grebel (2020).

    Each object becomes the sequence ``x<t> = (m, phi_P, m', phi_2P)``
    (§3.2, Eq. 12 extended with the fold at twice the period): ``m`` are the
    binned, mean-subtracted magnitudes sorted by their phase ``phi_P`` at the
    period ``P`` (Eq. 13), and ``m'`` the same magnitudes sorted by their phase
    ``phi_2P`` at ``2P``, which shows the alternating minima of eclipsing
    binaries that the fold at ``P`` stacks on top of each other. The period
    itself is a separate scalar input.

    Parameters
    ----------
    max_length : int, default=None
        Length ``T`` of the sequence axis. None: the longest sequence of each
        ``transform`` call. Longer sequences are thinned to ``max_length``
        evenly spaced points of their phase order (the whole cycle is kept).
    drop_outliers : bool, default=True
        Leave out epochs flagged ``outlier`` by :class:`PeriodFolder`.
    band : str, default=None
        Use only this band's epochs (required when the folded light curves
        hold several bands).
    on_invalid : {"raise", "zero"}, default="raise"
        What to do with objects without a period (``fold_status`` other than
        ``"ok"``): raise a ``ValueError`` naming them, or emit a single zero
        time step (length 1) and a period of 1 day (finite and positive, as
        :class:`BiLSTMClassifier` requires, so a pipeline keeps running when
        an object has too few epochs; the zero sequence of length 1 marks it).

    Attributes
    ----------
    n_channels_ : int
        4.

    See Also
    --------
    PeriodFolder : produces the folded light curves this transformer reads.

    Notes
    -----
    ``transform`` returns a :class:`skorch.helper.SliceDict`, so
    ``cross_val_score`` and ``GridSearchCV`` slice it per object, with

    - ``"sequence"``: float32 array ``(n, T, 4)``, channels
      ``[m_P, phi_P, m_2P, phi_2P]``, zero-padded after each object's length;
    - ``"length"``: int64 array ``(n,)``, the true sequence lengths (mask or
      pack the sequences with them so no information leaks through the padding);
    - ``"period"``: float32 array ``(n, 1)``, the period in days;
    - ``"n_dropped"``: int64 array ``(n,)``, epochs left out for a NaN or
      infinite phase or magnitude, added to the input's ``meta["n_dropped"]``
      (the count every step of a pipeline adds to; see the data-model guide).

    A magnitude or period beyond the float32 range (``abs(x) > 3.4e38``) is refused
    with a ``ValueError`` naming the object, rather than becoming inf.

    The output stays this ``SliceDict`` under
    ``set_output(transform="pandas")`` or
    ``sklearn.set_config(transform_output="pandas")`` (the setting is
    accepted and ignored: there is no table to give).

    References
    ----------
    .. [1] Dékány, I. & Grebel, E. K. 2020, ApJ, 898, 46,
       doi:10.3847/1538-4357/ab9d85

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.periodic import PeriodFolder, DualFoldSequencer
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 1000, 60))
    >>> m = 14 + 0.2 * np.sin(2 * np.pi * t / 0.5) + rng.normal(0, 0.01, 60)
    >>> lcs = LightCurves.from_arrays([t, t], [m, m[::-1]], [np.full(60, 0.01)] * 2,
    ...                               meta=None)
    >>> folded = PeriodFolder(period_range=(0.3, 0.9), n_peaks=1,
    ...                       random_state=0).fit_transform(lcs[:1])
    >>> X = DualFoldSequencer().fit_transform(folded)
    >>> X["sequence"].shape, X["sequence"].dtype, X["length"].tolist(), X["period"].shape
    ((1, 60, 4), dtype('float32'), [60], (1, 1))
    >>> bool(np.all(np.diff(X["sequence"][0, :, 1]) >= 0))  # sorted by phase at P
    True
    """

    _parameter_constraints = {
        "max_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "drop_outliers": ["boolean"],
        "band": [str, None],
        "on_invalid": [StrOptions({"raise", "zero"})],
    }

    def __init__(self, max_length=None, *, drop_outliers=True, band=None, on_invalid="raise"):
        self.max_length = max_length
        self.drop_outliers = drop_outliers
        self.band = band
        self.on_invalid = on_invalid

    @classmethod
    def from_preset(cls, name, **params):
        """A DualFoldSequencer with the settings of a published pipeline.

        Parameters
        ----------
        name : {"dekany2020"}
            ``"dekany2020"`` (Dékány & Grebel 2020, §3.2): every binned epoch
            (``max_length=None``), rejected outliers left out
            (``drop_outliers=True``), ``on_invalid="raise"``; these are also
            the defaults, so the preset exists for one convention across
            components.
        **params
            Any other parameter, or one of the preset's to override.

        Returns
        -------
        DualFoldSequencer
            Unfitted.

        Examples
        --------
        >>> from skastro.periodic import DualFoldSequencer
        >>> DualFoldSequencer.from_preset("dekany2020", max_length=60).get_params()["max_length"]
        60
        """
        return cls(**preset_params(_PRESETS, name, params))

    def _check(self, X, reset):
        # folded input; on_invalid covers bad folds
        X = check_lightcurves(X, self, columns=_NEEDED, measurements=(), reset=reset)
        for name in ("phase", "phase_2p"):
            phase = X.column(name)
            bad = np.flatnonzero(np.isfinite(phase) & ((phase < 0) | (phase > 1)))
            if bad.size:
                raise ValueError(
                    f"DualFoldSequencer: column {name!r} must hold phases in [0, 1] (PeriodFolder "
                    f"output); object {_object_of(X.offsets, X.ids, bad[0])!r} holds "
                    f"{phase[bad[0]]!r} ({bad.size} such observation(s) in all)."
                )
        if "period" not in X.meta.columns:
            raise ValueError(
                "DualFoldSequencer needs meta column 'period' (run PeriodFolder first); meta has "
                f"{list(X.meta.columns)}."
            )
        return X

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check that ``X`` is folded (nothing is learned).

        Parameters
        ----------
        X : LightCurves
            Output of :class:`PeriodFolder`.
        y : ignored

        Returns
        -------
        self : DualFoldSequencer
        """
        self._check(X, reset=True)
        self.n_channels_ = 4
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags

    def transform(self, X):
        """Build the padded dual-fold sequences.

        Parameters
        ----------
        X : LightCurves
            Output of :class:`PeriodFolder`.

        Returns
        -------
        skorch.helper.SliceDict
            Keys ``"sequence"`` (float32, ``(n, T, 4)``), ``"length"``
            (int64, ``(n,)``), ``"period"`` (float32, ``(n, 1)``) and
            ``"n_dropped"`` (int64, ``(n,)``).
        """
        from skorch.helper import SliceDict

        check_is_fitted(self)
        X = self._check(X, reset=False)
        n = len(X)
        period = np.asarray(X.meta["period"], dtype=np.float64)
        phase = X.column("phase")
        phase2 = X.column("phase_2p")
        mag = X.column("value_centered")
        obj = X.object_index
        finite = np.isfinite(phase) & np.isfinite(phase2) & np.isfinite(mag)
        _refuse_float32_overflow(X, mag, period)
        keep = finite.copy()
        if self.drop_outliers and "outlier" in X.columns:
            keep &= ~X.column("outlier").astype(bool)
        if self.band is not None:
            if self.band not in X.bands:
                raise ValueError(f"band={self.band!r} is not among the bands {list(X.bands)}.")
            keep &= X.codes("band") == X.bands.index(self.band)
        elif len(X.bands) > 1:
            raise ValueError(
                f"The folded light curves hold bands {list(X.bands)}; pass band='<name>' to "
                "choose the one to sequence."
            )
        invalid = ~(np.isfinite(period) & (period > 0))
        counts = np.bincount(obj[keep], minlength=n)
        invalid |= counts == 0
        if invalid.any() and self.on_invalid == "raise":
            bad = X.ids[invalid][:5].tolist()
            raise ValueError(
                f"{int(invalid.sum())} object(s) have no period or no usable epoch (e.g. {bad}); "
                "filter them (meta['fold_status'] == 'ok', skastro.periodic.quality_mask) or "
                "pass on_invalid='zero'."
            )
        keep &= ~invalid[obj]
        lengths = np.bincount(obj[keep], minlength=n)
        T = int(self.max_length) if self.max_length is not None else max(int(lengths.max()), 1)
        out = np.zeros((n, T, 4), dtype=np.float32)
        o = obj[keep]
        for ch, (ph, col) in enumerate(((phase[keep], 0), (phase2[keep], 2))):
            order = np.lexsort((ph, o))
            oo = o[order]
            starts = np.r_[0, np.cumsum(lengths)[:-1]]
            rank = np.arange(oo.size) - starts[oo]
            L = lengths[oo]
            if self.max_length is not None:
                # thin long sequences to T evenly spaced phase-ordered points
                take = L <= T
                step = np.where(take, 1.0, L / T)
                # the slot each kept point lands in
                slot = np.floor(rank / step).astype(np.int64)
                first = np.r_[True, (slot[1:] != slot[:-1]) | (oo[1:] != oo[:-1])]
                sel = (take | first) & (slot < T)
                oo_s, slot_s, src = oo[sel], slot[sel], order[sel]
            else:
                oo_s, slot_s, src = oo, rank, order
            out[oo_s, slot_s, col] = mag[keep][src]
            out[oo_s, slot_s, col + 1] = ph[src]
        length = np.minimum(lengths, T).astype(np.int64)
        per = np.where(invalid, _INVALID_PERIOD, period).astype(np.float32)[:, None]
        if invalid.any():
            length[invalid] = 1
            out[invalid] = 0.0
        # epochs left out for a non-finite phase or magnitude, counted as every step does
        # (objects without a period have NaN phases by construction: not counted)
        has_period = np.isfinite(period) & (period > 0)
        dropped = np.bincount(obj[~finite & has_period[obj]], minlength=n)
        return SliceDict(sequence=out, length=length, period=per,
                         n_dropped=add_dropped(X, dropped))

    def get_feature_names_out(self, input_features=None):
        """Channel names of the ``"sequence"`` array, in order.

        Parameters
        ----------
        input_features : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        ndarray of str
            ``["m_P", "phi_P", "m_2P", "phi_2P"]``.
        """
        return np.asarray(("m_P", "phi_P", "m_2P", "phi_2P"), dtype=object)

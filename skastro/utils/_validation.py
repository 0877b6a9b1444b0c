"""Input validation shared by the estimators: the one bad-input policy.

The policy (also a table in the data-model guide):

- Errors, whatever the estimator (raised when a container is built): NaN or
  infinite times, negative uncertainties, mismatched lengths, empty light
  curves, duplicated ids, a container of zero objects.
- Errors here: not a ``LightCurves``, a missing column, the wrong
  ``value_kind``, no uncertainties for an estimator that needs them (unless it
  accepts unit weights), zero uncertainties where they weight, an object left
  with no usable observation.
- Dropped here, counted per object in ``meta["n_dropped"]``: observations
  whose value (or uncertainty, when used) is NaN or infinite.
- Warned about here: times that look like Julian Dates rather than MJD.
"""

import warnings

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves, _object_of, _plain

ERROR_POLICIES = ("require", "unit", "ignore")
# Times beyond this (days) are taken for Julian Dates: MJD 2,400,000 is the year 8,429.
JD_THRESHOLD = 2_400_000.0


def check_lightcurves(X, estimator, columns=(), value_kind=None, *, errors="require",
                      measurements=(("value", "error"),), reset=None):
    """Check ``X`` for ``estimator`` and apply skastro's bad-input policy.

    Parameters
    ----------
    X : object
        What the user passed.
    estimator : object or str
        The caller, named in error messages.
    columns : sequence of str, default=()
        Further per-epoch columns that must be present.
    value_kind : {"mag", "flux"}, default=None
        Required ``value_kind``, if any.
    errors : {"require", "unit", "ignore"}, default="require"
        How the estimator uses the uncertainties (the second column of each
        pair in ``measurements``):

        - ``"require"``: they weight the fit. Light curves without an
          ``error`` column are refused with a ``ValueError`` naming the
          estimator and the column; zero uncertainties are refused naming the
          object and the column.
        - ``"unit"``: as ``"require"``, but light curves without an ``error``
          column get unit uncertainties (every observation weighs the same),
          as astropy's ``LombScargle`` does for ``dy=None``.
        - ``"ignore"``: the estimator does not read them; nothing is checked.
    measurements : sequence of (str, str), default=(("value", "error"),)
        (value column, uncertainty column) pairs the estimator reads.
    reset : bool or None, default=None
        As ``reset`` of scikit-learn's ``validate_data``: ``True`` in ``fit``
        records the per-epoch columns of ``X`` on the estimator; ``False``
        after ``fit`` requires every one of them again (a column missing at
        predict time would silently change the result, e.g. ``site`` or
        ``error``). ``None`` checks nothing.

    Returns
    -------
    LightCurves
        ``X`` itself when nothing needed cleaning (containers are immutable,
        so nothing is copied); else a new container without the observations
        whose value or used uncertainty is NaN or infinite, with the number
        dropped per object added to ``meta["n_dropped"]``, and unit
        uncertainties added for ``errors="unit"``.

    Raises
    ------
    TypeError
        ``X`` is not a ``LightCurves``.
    ValueError
        A missing column, the wrong ``value_kind``, missing or zero
        uncertainties (see ``errors``), or an object with no usable
        observation; the message names the estimator, the column and, where
        there is one, the object id.

    Warns
    -----
    UserWarning
        When times exceed 2,400,000 days: they look like Julian Dates, and
        skastro's simulators, loaders and fitted epochs use MJD
        (= JD - 2400000.5).

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.utils import check_lightcurves
    >>> lcs = LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)], [np.ones(3)])
    >>> check_lightcurves(lcs, "MyEstimator") is lcs
    True
    >>> check_lightcurves(np.ones((3, 2)), "MyEstimator")
    Traceback (most recent call last):
    ...
    TypeError: MyEstimator expects a skastro.LightCurves (build one with LightCurves.from_pandas or from_arrays); got ndarray.

    A NaN magnitude is dropped and counted:

    >>> nan = LightCurves.from_arrays([np.arange(3.0)], [np.array([1.0, np.nan, 1.0])],
    ...                               [np.ones(3)], ids=["star"])
    >>> clean = check_lightcurves(nan, "MyEstimator")
    >>> clean.lengths, clean.meta["n_dropped"].tolist()
    (array([2]), [1])

    Light curves without uncertainties are refused, unless unit weights are
    acceptable to the estimator:

    >>> bare = LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)])
    >>> check_lightcurves(bare, "MyEstimator")
    Traceback (most recent call last):
    ...
    ValueError: MyEstimator needs uncertainties in per-epoch column 'error'; these light curves have none (columns ['time', 'value']). Build them with errors, or use an estimator that accepts unit weights (see the data-model guide).
    >>> check_lightcurves(bare, "MyEstimator", errors="unit").error
    array([1., 1., 1.])
    """
    name = estimator if isinstance(estimator, str) else type(estimator).__name__
    if not isinstance(X, LightCurves):
        raise TypeError(
            f"{name} expects a skastro.LightCurves (build one with LightCurves.from_pandas "
            f"or from_arrays); got {type(X).__name__}."
        )
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}; got {errors!r}.")
    if reset:
        estimator._fit_columns = tuple(X.columns)
    elif reset is not None:
        missing = [c for c in getattr(estimator, "_fit_columns", ()) if c not in X.columns]
        if missing:
            raise ValueError(
                f"{name} was fitted on light curves with per-epoch columns "
                f"{list(estimator._fit_columns)}; these lack {missing}. Pass the same columns "
                "as in fit."
            )
    if errors == "unit" and "error" not in X.columns:
        X = X.with_columns(error=np.ones(X.n_observations))
    values = [value for value, _ in measurements]
    uncertainties = [] if errors == "ignore" else [err for _, err in measurements]
    if "error" in uncertainties and "error" not in X.columns:
        raise ValueError(
            f"{name} needs uncertainties in per-epoch column 'error'; these light curves have "
            f"none (columns {list(X.columns)}). Build them with errors, or use an estimator "
            "that accepts unit weights (see the data-model guide)."
        )
    missing = [c for c in dict.fromkeys([*columns, *values, *uncertainties]) if c not in X.columns]
    if missing:
        raise ValueError(
            f"{name} needs per-epoch column(s) {missing}; the light curves have {list(X.columns)}."
        )
    if value_kind is not None and X.value_kind != value_kind:
        raise ValueError(
            f"{name} expects value_kind={value_kind!r} light curves; got {X.value_kind!r}."
        )
    X = check_finite(X, name, [*values, *uncertainties])
    for column in uncertainties:
        _refuse_zero(X, name, column)
    _warn_jd(X, name)
    return X


def check_finite(X, estimator, columns, *, drop=True):
    """Drop (or refuse) the observations of ``X`` holding NaN or inf in ``columns``.

    The one place of the bad-input policy's "NaN or infinite value" row:
    :func:`check_lightcurves` calls it for the value and uncertainty columns
    an estimator reads, and estimators reading other per-epoch columns (e.g.
    ``BranchedRNNClassifier(preprocessor="passthrough")``, whose features are
    every numeric column) call it for those.

    Parameters
    ----------
    X : LightCurves
    estimator : object or str
        The caller, named in error messages.
    columns : sequence of str
        Per-epoch columns to check; non-float columns (integers, booleans,
        labels) cannot hold NaN and are skipped.
    drop : bool, default=True
        True: drop those observations and add the number dropped per object
        to ``meta["n_dropped"]``. False: refuse them with a ``ValueError``
        naming the object, the column and the count.

    Returns
    -------
    LightCurves
        ``X`` itself when every checked value is finite, else a new container.

    Raises
    ------
    ValueError
        An object would be left with no observation (``drop=True``), or any
        non-finite value (``drop=False``); the message names the estimator,
        the object id and the column.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.utils import check_finite
    >>> lcs = LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)], ids=["star"])
    >>> lcs = lcs.with_columns(airmass=np.array([1.1, np.inf, 1.2]))
    >>> check_finite(lcs, "MyEstimator", ["value", "airmass"]).meta["n_dropped"].tolist()
    [1]
    >>> check_finite(lcs, "MyEstimator", ["airmass"], drop=False)
    Traceback (most recent call last):
    ...
    ValueError: MyEstimator: column 'airmass' of object 'star' holds inf (1 non-finite value(s) in that column in all); drop those observations or fill them.
    """
    name = estimator if isinstance(estimator, str) else type(estimator).__name__
    bad = np.zeros(X.n_observations, dtype=bool)
    for column in columns:
        values = X.column(column)
        if values.dtype.kind not in "fc":
            continue
        here = ~np.isfinite(values)
        if here.any() and not drop:
            first = int(np.flatnonzero(here)[0])
            raise ValueError(
                f"{name}: column {column!r} of object {_object_of(X.offsets, X.ids, first)!r} "
                f"holds {_plain(values[first])!r} ({int(here.sum())} non-finite value(s) in that "
                "column in all); drop those observations or fill them."
            )
        bad |= here
    if not bad.any():
        return X
    dropped = np.add.reduceat(bad.astype(np.int64), X.offsets[:-1])
    emptied = np.flatnonzero(dropped == X.lengths)
    if emptied.size:
        raise ValueError(
            f"{name}: object {_plain(X.ids[emptied[0]])!r} has no observation with finite "
            f"{' and '.join(map(repr, columns))} ({emptied.size} such object(s) in all); drop "
            "those objects first, e.g. lcs[lcs.meta.index != id]."
        )
    return X.select_observations(~bad).with_meta(n_dropped=add_dropped(X, dropped))


def add_dropped(X, dropped):
    """``meta["n_dropped"]`` of ``X`` (0 where absent) plus ``dropped`` per object: counts
    add up along a pipeline."""
    before = X.meta["n_dropped"].to_numpy() if "n_dropped" in X.meta.columns else 0
    return before + np.asarray(dropped, dtype=np.int64)


def _refuse_zero(X, name, column):
    bad = ~(X.column(column) > 0)
    if bad.any():
        first = np.flatnonzero(bad)[0]
        raise ValueError(
            f"Column {column!r} of object {_object_of(X.offsets, X.ids, first)!r} holds an "
            f"uncertainty of {_plain(X.column(column)[first])!r} ({int(bad.sum())} not > 0 in all); "
            f"{name} weights observations by 1/{column}², so give them a floor (e.g. the "
            "survey's systematic error) or drop those observations."
        )


def _warn_jd(X, name):
    latest = float(X.time.max())
    if latest > JD_THRESHOLD:
        warnings.warn(
            f"{name}: times reach {latest:.1f} days, which looks like a Julian Date; skastro's "
            "loaders, simulators and fitted epochs use MJD = JD - 2400000.5 (periods and "
            "amplitudes are unaffected).",
            UserWarning,
            stacklevel=3,
        )


def meta_as_float(X, column, name):
    """Metadata column ``column`` of ``X`` as float64, refusing non-numeric entries.

    ``name`` (an estimator or its name) is named in the message.

    Numbers and numeric text (``"35.5"``) are read; NaN stays NaN. Anything
    else - other text, Python objects, booleans, dates - raises a
    ``ValueError`` naming ``name``, the column and the first object holding
    such a value (NumPy's own message names neither).

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> lcs = LightCurves.from_arrays([np.arange(3.0)] * 2, [np.ones(3)] * 2, ids=["a", "b"])
    >>> meta_as_float(lcs.with_meta(t_break=["1.5", "2"]), "t_break", "MyEstimator")
    array([1.5, 2. ])
    >>> meta_as_float(lcs.with_meta(t_break=["1.5", "soon"]), "t_break", "MyEstimator")
    Traceback (most recent call last):
    ...
    ValueError: MyEstimator: meta['t_break'] must hold numbers (times in days); object 'b' holds 'soon' (a str; 1 such object(s) in all).
    """
    name = name if isinstance(name, str) else type(name).__name__
    raw = X.meta[column]
    if raw.dtype.kind in "iuf":
        return raw.to_numpy(dtype=np.float64)
    if raw.dtype.kind in "OSU" and not isinstance(raw.dtype, pd.CategoricalDtype):
        values = pd.to_numeric(raw.map(_number_or_nan), errors="coerce")
        bad = (values.isna() & raw.notna()).to_numpy()
    else:  # booleans, dates, categories: not times in days
        values, bad = raw, np.ones(len(raw), dtype=bool)
    if bad.any():
        first = np.flatnonzero(bad)[0]
        value = raw.iloc[first]
        raise ValueError(
            f"{name}: meta[{column!r}] must hold numbers (times in days); object "
            f"{_plain(X.ids[first])!r} holds {_plain(value)!r} (a {type(value).__name__}; "
            f"{int(bad.sum())} such object(s) in all)."
        )
    return values.to_numpy(dtype=np.float64)


def _number_or_nan(value):
    """A number, numeric text, or NaN for anything else (bools included)."""
    if isinstance(value, (bool, np.bool_)):
        return np.nan
    if isinstance(value, (str, bytes, int, float, np.integer, np.floating)):
        return value
    return np.nan


def check_cast(what, values, cast, object_at, owner, reader):
    """Refuse finite values that a cast (to float32, mostly) made infinite.

    A network or a sequence that reads ``inf`` gives NaN weights or outputs
    without a word, so such values are an error naming the first one (the
    policy table's float32 row).

    Parameters
    ----------
    what : str
        The values, as the message names them (``"column 'sky'"``).
    values, cast : ndarray
        The values and their cast, of the same shape.
    object_at : callable
        ``object_at(i)``: the id of the object ``values[i]`` belongs to.
    owner : str
        Who refuses (``"DualFoldSequencer"``); starts the message.
    reader : str
        What reads the cast (``"the network reads"``).
    """
    overflow = np.isfinite(values) & ~np.isfinite(cast)
    if overflow.any():
        first = int(np.flatnonzero(overflow)[0])
        raise ValueError(
            f"{owner}: {what} of object {_plain(object_at(first))!r} holds "
            f"{_plain(values[first])!r}, beyond the range of {cast.dtype} {reader} "
            f"({int(overflow.sum())} such value(s) in all); drop or rescale it.")


def preset_params(presets, name, params):
    """The constructor parameters of preset ``name`` with ``params`` overriding them
    (the body of every estimator's ``from_preset``)."""
    if name not in presets:
        raise ValueError(f"Unknown preset {name!r}; the presets are {sorted(presets)}.")
    return {**presets[name], **params}

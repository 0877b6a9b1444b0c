"""Input validation shared by the estimators."""

from .._lightcurves import LightCurves


def check_lightcurves(X, estimator, columns=(), value_kind=None):
    """Check that ``X`` is a :class:`~skastro.LightCurves` fit for ``estimator``.

    Parameters
    ----------
    X : object
        What the user passed.
    estimator : object or str
        The caller, named in error messages.
    columns : sequence of str, default=()
        Per-epoch columns that must be present.
    value_kind : {"mag", "flux"}, default=None
        Required ``value_kind``, if any.

    Returns
    -------
    LightCurves
        ``X`` itself (containers are immutable, so nothing is copied).

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
    """
    name = estimator if isinstance(estimator, str) else type(estimator).__name__
    if not isinstance(X, LightCurves):
        raise TypeError(
            f"{name} expects a skastro.LightCurves (build one with LightCurves.from_pandas "
            f"or from_arrays); got {type(X).__name__}."
        )
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ValueError(
            f"{name} needs per-epoch column(s) {missing}; the light curves have {list(X.columns)}."
        )
    if value_kind is not None and X.value_kind != value_kind:
        raise ValueError(
            f"{name} expects value_kind={value_kind!r} light curves; got {X.value_kind!r}."
        )
    return X

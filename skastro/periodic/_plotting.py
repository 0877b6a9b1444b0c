"""plot_folded: phase-folded light curves from PeriodFolder, one panel per object."""

import numpy as np

from .._lightcurves import LightCurves

__all__ = ["plot_folded"]

_PHASES = ("eq13", "max_light")


def plot_folded(X, objects=None, *, phase="eq13", cycles=2, ncols=3, axes=None):
    """Plot folded light curves (the output of :class:`PeriodFolder`), one panel each.

    Each panel shows the binned epochs against phase over ``cycles`` cycles,
    with their error bars, the epochs rejected as outliers as crosses, and
    a title with the object's id, period and ``fold_status``. Magnitude axes
    are inverted (brighter up).

    Parameters
    ----------
    X : LightCurves
        Output of :meth:`PeriodFolder.transform`.
    objects : list of ids, default=None
        Objects to plot (values of ``X.ids``); None plots every object.
    phase : {"eq13", "max_light"}, default="eq13"
        ``"eq13"``: the ``phase`` column (the paper's Eq. 13, phase 0 where
        the first Fourier term rises through the mean); ``"max_light"``:
        ``mod((time - t0) / period, 1)``, maximum light at phase 0.
    cycles : int, default=2
        Cycles shown (1 or more).
    ncols : int, default=3
        Panels per row of a new figure.
    axes : matplotlib Axes or array of Axes, default=None
        Where to draw (one per object); None makes a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> from skastro.periodic import PeriodFolder, plot_folded
    >>> rng = np.random.default_rng(0)
    >>> t = np.sort(rng.uniform(0, 300, 80))
    >>> m = 14 + 0.2 * np.sin(2 * np.pi * t / 0.6123) + rng.normal(0, 0.01, 80)
    >>> lcs = LightCurves.from_arrays([t, t], [m, m[::-1]], [np.full(80, 0.01)] * 2)
    >>> folded = PeriodFolder(random_state=0).fit_transform(lcs)
    >>> fig = plot_folded(folded, phase="max_light")
    >>> len(fig.axes)
    2
    """
    import matplotlib.pyplot as plt

    if not isinstance(X, LightCurves):
        raise TypeError(f"plot_folded expects the LightCurves of PeriodFolder; got {type(X).__name__}.")
    for name in ("phase", "period", "t0"):
        if name not in X.columns and name not in X.meta.columns:
            raise ValueError(
                f"plot_folded needs {name!r} (the output of PeriodFolder.transform); the light "
                f"curves have columns {list(X.columns)} and meta {list(X.meta.columns)}."
            )
    if phase not in _PHASES:
        raise ValueError(f"phase must be one of {_PHASES}; got {phase!r}.")
    if int(cycles) != cycles or cycles < 1:
        raise ValueError(f"cycles must be a positive integer; got {cycles!r}.")
    ids = list(X.ids)
    if objects is None:
        index = np.arange(len(X))
    else:
        missing = [o for o in objects if o not in ids]
        if missing:
            raise ValueError(f"objects {missing[:5]} are not ids of the light curves.")
        index = np.array([ids.index(o) for o in objects], dtype=np.int64)
    if axes is None:
        ncols = max(1, min(int(ncols), index.size))
        nrows = max(1, -(-index.size // ncols))
        fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3 * nrows), squeeze=False)
        for ax in axes.ravel()[index.size:]:
            ax.remove()
    axes = np.atleast_1d(axes).ravel()
    if axes.size < index.size:
        raise ValueError(f"axes holds {axes.size} Axes for {index.size} objects.")
    for ax, i in zip(axes, index):
        _panel(ax, X[int(i)], phase, int(cycles), X.value_kind)
    return axes[0].figure


def _panel(ax, lc, phase, cycles, value_kind):
    meta = lc.meta.iloc[0]
    if phase == "eq13":
        ph = lc.column("phase")
    else:
        ph = np.mod((lc.time - meta["t0"]) / meta["period"], 1.0)
    value, error = lc.value, lc.error
    out = lc.column("outlier").astype(bool) if "outlier" in lc.columns else np.zeros(ph.size, bool)
    for c in range(cycles):
        ax.errorbar(ph[~out] + c, value[~out], error[~out], fmt="o", ms=3, color="C0",
                    elinewidth=0.8)
        ax.plot(ph[out] + c, value[out], "x", color="C3")
    ax.set_xlim(0, cycles)
    ax.set_xlabel("phase" + (" (0 = maximum light)" if phase == "max_light" else " (Eq. 13)"))
    ax.set_ylabel("magnitude" if value_kind == "mag" else "flux")
    if value_kind == "mag" and not ax.yaxis_inverted():
        ax.invert_yaxis()
    status = meta.get("fold_status", "")
    ax.set_title(f"{lc.ids[0]}  P = {meta['period']:.6g} d  {status}", fontsize=9)

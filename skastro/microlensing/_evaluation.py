"""LensNet evaluation (Viaña et al. 2025, §6 and §8; Figs. 11-13)."""

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.metrics import confusion_matrix
from sklearn.utils.validation import check_is_fitted

from ..utils import check_lightcurves
from ..utils._grouped import group_median
from ._alertfinder import _weights, clean_mask, constrained_line, t_break_of
from ._augmentation import crop_to_visibility

__all__ = [
    "per_class_accuracy",
    "accuracy_vs_threshold",
    "balanced_threshold",
    "purity_threshold",
    "accuracy_vs_visibility",
    "plot_confusion_matrices",
    "BrokenLineFeatures",
    "make_broken_line_baseline",
]


def per_class_accuracy(y_true, y_pred, labels=None):
    """Accuracy within each true class (recall), and their mean.

    The paper's "categorical accuracy" (§8.2); the mean of the classes is
    its "mean accuracy" (balanced accuracy).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        True and predicted labels.
    labels : array-like, default=None
        Classes to report, in order; default: those in ``y_true``. A class
        absent from ``y_true`` gets NaN and is left out of the mean.

    Returns
    -------
    pandas.Series
        One entry per class, plus ``"mean"``.

    Examples
    --------
    >>> from skastro.microlensing import per_class_accuracy
    >>> per_class_accuracy(["No", "No", "Yes", "Yes"], ["No", "Yes", "Yes", "Yes"]).to_dict()
    {'No': 0.5, 'Yes': 1.0, 'mean': 0.75}
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = np.unique(y_true) if labels is None else np.asarray(labels)
    acc = {str(c): float(np.mean(y_pred[y_true == c] == c)) if np.any(y_true == c) else np.nan
           for c in labels}
    acc["mean"] = float(np.nanmean(list(acc.values())))
    return pd.Series(acc)


def _binary(y_true, proba, pos_label):
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim == 2:
        proba = proba[:, 1]
    if pos_label is None:
        labels = np.unique(y_true)
        if labels.size != 2:
            raise ValueError(f"y_true must hold two classes; got {labels.tolist()}.")
        pos_label = labels[1]
    return y_true == pos_label, proba


def accuracy_vs_threshold(y_true, proba, *, pos_label=None, thresholds=None):
    """Accuracy of each class of the binary task against the decision threshold (Fig. 12).

    Parameters
    ----------
    y_true : array-like of shape (n,)
    proba : array-like of shape (n,) or (n, 2)
        Probability of the positive class (or ``predict_proba`` output).
    pos_label : label, default=None
        The positive class ("Yes/Maybe"); default: the larger label.
    thresholds : array-like, default=None
        Default ``np.linspace(0, 1, 201)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``negative`` ("No" accuracy), ``positive``
        and ``mean`` (their average, 0.5 at both ends).

    Examples
    --------
    >>> from skastro.microlensing import accuracy_vs_threshold
    >>> curve = accuracy_vs_threshold([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9], thresholds=[0.5])
    >>> curve[["negative", "positive", "mean"]].to_numpy().tolist()
    [[0.5, 0.5, 0.5]]
    """
    pos, p = _binary(y_true, proba, pos_label)
    thresholds = np.linspace(0, 1, 201) if thresholds is None else np.asarray(thresholds, float)
    pred = p[None, :] >= thresholds[:, None]
    neg_acc = (~pred[:, ~pos]).mean(axis=1) if (~pos).any() else np.full(thresholds.size, np.nan)
    pos_acc = pred[:, pos].mean(axis=1) if pos.any() else np.full(thresholds.size, np.nan)
    return pd.DataFrame({"threshold": thresholds, "negative": neg_acc, "positive": pos_acc,
                         "mean": 0.5 * (neg_acc + pos_acc)})


def balanced_threshold(y_true, proba, *, pos_label=None):
    """Threshold maximising the mean of the two class accuracies (LensNet's ~0.45).

    Among ties, the middle one. Choose it on validation data.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        True labels (two classes).
    proba : array-like of shape (n,) or (n, 2)
        Probability of the positive class (or ``predict_proba`` output).
    pos_label : label, default=None
        The positive class; default: the larger label.

    Returns
    -------
    float
        On the grid of :func:`accuracy_vs_threshold` (step 0.005).

    Examples
    --------
    >>> from skastro.microlensing import balanced_threshold
    >>> float(balanced_threshold([0, 0, 1, 1], [0.1, 0.3, 0.7, 0.9]))
    0.5
    """
    curve = accuracy_vs_threshold(y_true, proba, pos_label=pos_label)
    best = np.flatnonzero(curve["mean"].to_numpy() >= curve["mean"].max() - 1e-12)
    return float(curve["threshold"].to_numpy()[best[best.size // 2]])


def purity_threshold(y_true, proba, *, pos_label=None, negative_accuracy=0.99,
                     confidence=None):
    """Smallest threshold at which the "No" accuracy reaches ``negative_accuracy``.

    LensNet's 0.955 (§8.3): nearly no "No" alert is passed on, at the cost of
    missing some real ones. Choose it on validation data.

    Parameters
    ----------
    y_true : array-like of shape (n,)
    proba : array-like of shape (n,) or (n, 2)
    pos_label : label, default=None
    negative_accuracy : float, default=0.99
    confidence : float in (0, 1), default=None
        None: the observed "No" accuracy must reach ``negative_accuracy``.
        Otherwise its one-sided Clopper-Pearson lower bound at this
        confidence must, so that the purity also holds on unseen alerts
        (the observed rate on a few hundred "No" alerts is a noisy estimate
        of a 1 % tail).

    Returns
    -------
    float
        On a grid of step 0.001; 1.0 when no threshold qualifies.

    Examples
    --------
    >>> from skastro.microlensing import purity_threshold
    >>> float(purity_threshold([0, 0, 0, 1], [0.1, 0.2, 0.8, 0.9], negative_accuracy=1.0))
    0.801
    >>> float(purity_threshold([0] * 300 + [1], [0.5] * 3 + [0.1] * 297 + [0.9]))
    0.101
    >>> float(purity_threshold([0] * 300 + [1], [0.5] * 3 + [0.1] * 297 + [0.9], confidence=0.9))
    0.501
    """
    curve = accuracy_vs_threshold(y_true, proba, pos_label=pos_label,
                                  thresholds=np.linspace(0, 1, 1001))
    neg = curve["negative"].to_numpy()
    if confidence is not None:
        from scipy.stats import beta

        if not 0 < confidence < 1:
            raise ValueError(f"confidence must be in (0, 1) or None; got {confidence!r}.")
        pos, _ = _binary(y_true, proba, pos_label)
        n = int((~pos).sum())
        k = np.rint(neg * n)
        with np.errstate(invalid="ignore"):
            neg = np.where(k > 0, beta.ppf(1 - confidence, k, n - k + 1), 0.0)
    ok = np.flatnonzero(neg >= negative_accuracy)
    return float(curve["threshold"].to_numpy()[ok[0]]) if ok.size else 1.0


def accuracy_vs_visibility(estimator, X, y, fractions=None, *, t_break="t_break",
                           t_cut="t_cut"):
    """Per-class accuracy against the fraction of the alert shown (Fig. 11).

    Each alert is cropped on the right at ``t_break + f (t_cut - t_break)``
    (:func:`crop_to_visibility`) and scored by the fitted ``estimator``.

    Parameters
    ----------
    estimator : fitted estimator
        Anything with ``predict`` on :class:`~skastro.LightCurves`, e.g. a
        LensNet pipeline.
    X : LightCurves
        The alerts, with the ``t_break`` and ``t_cut`` meta columns.
    y : array-like of shape (n_alerts,)
        True labels.
    fractions : array-like of float, default=None
        Fractions of ``[t_break, t_cut]`` shown; default ``0, 0.2, ..., 1``.
    t_break, t_cut : str, default="t_break", "t_cut"
        Meta columns with the alert's break and cut times.

    Returns
    -------
    pandas.DataFrame
        Index: the fractions; columns: the classes and ``mean``.

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import accuracy_vs_visibility, make_broken_line_baseline
    >>> alerts = make_microlensing_alerts(30, n_days=12, random_state=0)
    >>> y = alerts.meta["label_binary"].to_numpy()
    >>> model = make_broken_line_baseline(0).fit(alerts, y)
    >>> accuracy_vs_visibility(model, alerts, y, [0.0, 1.0]).shape
    (2, 3)
    """
    fractions = np.linspace(0, 1, 6) if fractions is None else np.asarray(fractions, float)
    rows = {}
    for f in fractions:
        pred = estimator.predict(crop_to_visibility(X, float(f), t_break=t_break, t_cut=t_cut))
        rows[float(f)] = per_class_accuracy(y, pred)
    out = pd.DataFrame(rows).T
    out.index.name = "visible_fraction"
    return out


def plot_confusion_matrices(results, *, normalize="true", ax=None):
    """Row-normalised confusion matrices side by side (Fig. 13).

    Parameters
    ----------
    results : dict of str to (y_true, y_pred)
        Title -> labels.
    normalize : {"true", "pred", "all"} or None, default="true"
        As in :func:`sklearn.metrics.confusion_matrix`; "true" divides each
        row by the class size.
    ax : sequence of matplotlib.axes.Axes, default=None
        One Axes per entry of ``results`` to draw in (a single Axes for one
        entry); default: a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from skastro.microlensing import plot_confusion_matrices
    >>> fig = plot_confusion_matrices({"binary": (["No", "Yes", "Yes"], ["No", "Yes", "No"])})
    >>> len(fig.axes)
    1
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    if ax is None:
        fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
        axes = axes[0]
    else:
        axes = np.ravel(ax)
        if axes.size != len(results):
            raise ValueError(f"ax must hold one Axes per result ({len(results)}); got {axes.size}.")
        fig = axes[0].figure
    for axis, (title, (y_true, y_pred)) in zip(axes, results.items()):
        labels = np.unique(np.concatenate([np.asarray(y_true), np.asarray(y_pred)]))
        cm = confusion_matrix(y_true, y_pred, labels=labels, normalize=normalize)
        ConfusionMatrixDisplay(cm, display_labels=labels).plot(ax=axis, colorbar=False,
                                                               values_format=".2f")
        axis.set_title(title)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------ feature baseline
_FEATURES = ("n_pre", "n_post", "slope", "rms_pre", "rms_post", "skew", "kurtosis", "quad",
             "delta_chi2")


class BrokenLineFeatures(TransformerMixin, BaseEstimator):
    """Per-site features of the broken-line fit, the baseline LensNet tried (§6).

    For each site: the numbers of epochs before and after ``t_break``, the
    slope of the constrained line (flux errors per day), the RMS of the
    normalised residuals before and after ``t_break`` (the "fitting error"
    proxies), the skewness and kurtosis of the flux, the quadratic
    coefficient of a second-order fit after ``t_break`` (a higher-order
    fit) and the ``Δχ²`` of the line over a flat fit. Missing sites give
    NaN (gradient boosting handles them).

    Parameters
    ----------
    t_break : str, default="t_break"
        Meta column with the break time.

    Attributes
    ----------
    sites_ : tuple of str
        Sites seen in ``fit``; each gives 9 features (see
        :meth:`get_feature_names_out`).

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import BrokenLineFeatures
    >>> alerts = make_microlensing_alerts(5, n_days=15, random_state=0)
    >>> BrokenLineFeatures().fit_transform(alerts).shape
    (5, 27)
    """

    _parameter_constraints = {"t_break": [str]}

    def __init__(self, t_break="t_break"):
        self.t_break = t_break

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the sites; each site seen here gives 9 output columns.

        Parameters
        ----------
        X : LightCurves
            Flux light curves (``value_kind="flux"``), optionally with a
            ``site`` column.
        y : None
            Ignored.

        Returns
        -------
        self : BrokenLineFeatures
        """
        X = check_lightcurves(X, self, value_kind="flux", reset=True)
        self.sites_ = tuple(X.sites) if "site" in X.columns else ("",)
        return self

    def transform(self, X):
        """Broken-line features of each alert.

        Parameters
        ----------
        X : LightCurves
            Flux light curves (``value_kind="flux"``). The break time is read
            from the meta column named by ``t_break``; without that column,
            it comes from :func:`alertfinder_trigger`.

        Returns
        -------
        ndarray of shape (n_alerts, n_sites * 9)
            Columns named by :meth:`get_feature_names_out`; NaN for a site
            without data.
        """
        from ._preprocessing import _site_codes

        check_is_fitted(self)
        X = check_lightcurves(X, self, value_kind="flux", reset=False)
        n_sites = len(self.sites_)
        keep = clean_mask(X)
        site = _site_codes(X, self.sites_)[keep]
        obj = X.object_index[keep].astype(np.int64)
        t = X.time[keep]
        f = np.asarray(X.value, np.float64)[keep]
        err = np.asarray(X.error, np.float64)[keep]
        g = obj * n_sites + site
        n_g = len(X) * n_sites
        tb = t_break_of(X, self.t_break, self)
        tb_g = np.repeat(tb, n_sites)
        w = _weights(err)
        mean0, slope = constrained_line(t, f, w, g, n_g, tb_g)
        typ = group_median(err, g, n_g)
        typ = np.where(np.isfinite(typ) & (typ > 0), typ, 1.0)
        z = (f - mean0[g]) / typ[g]
        x = np.maximum(t - tb_g[g], 0.0)
        resid = (f - mean0[g] - slope[g] * x) / np.where(err > 0, err, typ[g])
        pre = t < tb_g[g]
        cnt = np.bincount(g, minlength=n_g).astype(float)
        n_pre = np.bincount(g, weights=pre, minlength=n_g)
        n_post = cnt - n_pre
        with np.errstate(invalid="ignore", divide="ignore"):
            rms_pre = np.sqrt(np.bincount(g, weights=resid ** 2 * pre, minlength=n_g) / n_pre)
            rms_post = np.sqrt(np.bincount(g, weights=resid ** 2 * ~pre, minlength=n_g) / n_post)
            m1 = np.bincount(g, weights=z, minlength=n_g) / cnt
            d = z - m1[g]
            m2 = np.bincount(g, weights=d ** 2, minlength=n_g) / cnt
            skew = np.bincount(g, weights=d ** 3, minlength=n_g) / cnt / m2 ** 1.5
            kurt = np.bincount(g, weights=d ** 4, minlength=n_g) / cnt / m2 ** 2 - 3
            # weighted fit z = a x + b x^2 after t_break
            wp = (1.0 / np.maximum(err / typ[g], 1e-6) ** 2) * ~pre
            s = {k: np.bincount(g, weights=wp * v, minlength=n_g) for k, v in
                 (("xx", x * x), ("xxx", x ** 3), ("x4", x ** 4), ("xz", x * z), ("xxz", x * x * z))}
            det = s["xx"] * s["x4"] - s["xxx"] ** 2
            quad = np.where(np.abs(det) > 1e-12, (s["xx"] * s["xxz"] - s["xxx"] * s["xz"]) / det, 0.0)
            wz = w * typ[g] ** 2
            chi_flat = np.bincount(g, weights=wz * (z - np.bincount(g, weights=wz * z, minlength=n_g)[g]
                                                   / np.bincount(g, weights=wz, minlength=n_g)[g]) ** 2,
                                   minlength=n_g)
            chi_line = np.bincount(g, weights=(resid ** 2), minlength=n_g)
        feats = np.column_stack([n_pre, n_post, slope / typ, rms_pre, rms_post, skew, kurt, quad,
                                 chi_flat - chi_line])
        feats[cnt == 0] = np.nan
        feats[~np.isfinite(feats)] = np.nan
        return feats.reshape(len(X), n_sites * len(_FEATURES))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, per site (``<site>_<feature>``).

        Parameters
        ----------
        input_features : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self)
        return np.asarray([f"{s}_{f}" for s in self.sites_ for f in _FEATURES], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags


def make_broken_line_baseline(random_state=None):
    """The §6 feature baseline: :class:`BrokenLineFeatures` + gradient boosting.

    Parameters
    ----------
    random_state : int, RandomState instance or None, default=None
        Seed of the gradient boosting.

    Returns
    -------
    sklearn.pipeline.Pipeline
        ``BrokenLineFeatures`` then a class-balanced
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`.

    Examples
    --------
    >>> from skastro.microlensing import make_broken_line_baseline
    >>> make_broken_line_baseline(0).steps[-1][0]
    'histgradientboostingclassifier'
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline

    return make_pipeline(BrokenLineFeatures(),
                         HistGradientBoostingClassifier(class_weight="balanced", max_iter=200,
                                                        random_state=random_state))

"""The strategy comparison of Astudillo et al. (2020), §8.3 (Figs. 3, 4 and 6)."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target

from ._info_gain import STRATEGIES, strategy_scores

RESULT_COLUMNS = (
    "gtp_improvement",
    "gtp_increased_ratio",
    "accuracy_improvement",
    "overall_accuracy",
    "correction_ratio",
)

_LABELS = {
    "random": "Random",
    "entropy": r"$H_t$",
    "ig": r"$IG(x_t)$",
    "ig+dy": r"$IG(x_t)+\Delta\hat{y}$",
    "entropy+dy": r"$H_t+\Delta\hat{y}$",
    "ideal": "Ideal scenario",
}


def _held_out_outputs(selector, X, y, cv, random_state):
    """Metrics and P_t/P_ts probabilities of every object, out of fold when ``cv`` is given."""
    X_df = X if isinstance(X, pd.DataFrame) else None
    y = np.asarray(y)
    n = len(y)

    def take(rows):
        return X_df.iloc[rows] if X_df is not None else np.asarray(X)[rows]

    if cv is None:
        folds = [(None, np.arange(n))]
    else:
        splitter = check_cv(cv, y, classifier=True)
        folds = list(splitter.split(np.zeros(n), y))
    parts = []
    for train, test in folds:
        est = selector
        if train is not None:
            est = clone(selector).fit(take(train), y[train])
        Xt = take(test)
        metrics = est.followup_metrics(Xt).reset_index(drop=True)
        Xa = est._validate(Xt)[0]
        p_t = est.classifier_t_.predict_proba(Xa[:, est.cheap_indices_])
        p_ts = est.classifier_ts_.predict_proba(Xa)
        code = {c: i for i, c in enumerate(est.classes_)}
        yi = np.array([code.get(v, -1) for v in y[test]])
        known = yi >= 0
        gtp_t = np.where(known, p_t[np.arange(len(test)), np.maximum(yi, 0)], 0.0)
        gtp_ts = np.where(known, p_ts[np.arange(len(test)), np.maximum(yi, 0)], 0.0)
        metrics["gtp_t"] = gtp_t
        metrics["gtp_ts"] = gtp_ts
        metrics["correct_t"] = est.classes_[p_t.argmax(1)] == y[test]
        metrics["correct_ts"] = est.classes_[p_ts.argmax(1)] == y[test]
        metrics["position"] = test
        parts.append((metrics, len(est.classes_)))
    metrics = pd.concat([m for m, _ in parts]).sort_values("position").reset_index(drop=True)
    return metrics, max(c for _, c in parts)


def evaluate_strategies(
    selector,
    X,
    y,
    subset_sizes=None,
    strategies=STRATEGIES,
    cv=None,
    n_random_repeats=20,
    random_state=None,
    return_metrics=False,
):
    """Compare follow-up strategies on objects whose spectra are in fact known (§8.3).

    For each strategy and subset size s, the s objects of highest priority are
    "observed": they are classified with P_ts on their true (x_t, x_s), the
    rest with P_t on x_t. Reported per (strategy, s):

    - ``gtp_improvement``: mean over the subset of P_ts(y|x_t,x_s) − P_t(y|x_t),
      the ground-truth-probability gain (Fig. 3 left, Fig. 4 left);
    - ``gtp_increased_ratio``: fraction of the subset whose GTP increased (Fig. 4 right);
    - ``accuracy_improvement``: accuracy of the subset with spectra minus
      without (Fig. 3 middle);
    - ``overall_accuracy``: accuracy of all objects (Fig. 3 right);
    - ``correction_ratio``: fraction of the subset wrongly classified by P_t and
      correctly by P_ts (false predictions corrected, Fig. 6).

    Parameters
    ----------
    selector : InfoGainFollowupSelector
        Fitted (when ``cv`` is None) or a template fitted per fold.
    X : array-like of shape (n_objects, n_features)
        Features including the true expensive features of every object.
    y : array-like of shape (n_objects,)
        True classes.
    subset_sizes : sequence of int, default=None
        Subset sizes s; None: every size from 1 to ``n_objects``.
    strategies : sequence of str, default=all six
        Strategies of §5.4 to compare.
    cv : int, cross-validation generator or None, default=None
        When given, ``selector`` is cloned and fitted on the training folds
        and every object is scored out of fold (the paper's 10-fold set-up).
    n_random_repeats : int, default=20
        Random orderings averaged for the ``"random"`` strategy.
    random_state : int, RandomState or None, default=None
        Seeds the random strategy.
    return_metrics : bool, default=False
        Also return the per-object metrics (IG, Δŷ, GTPs, ...).

    Returns
    -------
    results : DataFrame
        One row per (strategy, s) with columns ``strategy``, ``s``,
        ``fraction`` and the five quantities above.
    metrics : DataFrame
        Only when ``return_metrics``: per-object quantities.

    References
    ----------
    .. [1] Astudillo et al. (2020), AJ 159, 16, §8.3. doi:10.3847/1538-3881/ab557d

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skastro.followup import InfoGainFollowupSelector, evaluate_strategies
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 200)
    >>> X = np.hstack([rng.normal(size=(200, 2)) + 0.5 * y[:, None],
    ...                rng.normal(size=(200, 1)) + 3.0 * y[:, None]])
    >>> sel = InfoGainFollowupSelector([2], n_draws=20, random_state=0,
    ...     classifier_t=RandomForestClassifier(10, min_samples_leaf=5, random_state=0))
    >>> res = evaluate_strategies(sel, X, y, subset_sizes=[10, 50], cv=2, random_state=0)
    >>> sorted(res["strategy"].unique())
    ['entropy', 'entropy+dy', 'ideal', 'ig', 'ig+dy', 'random']
    >>> res.shape
    (12, 8)
    """
    if type_of_target(np.asarray(y)) not in ("binary", "multiclass"):
        raise ValueError(f"y must hold class labels; got target type {type_of_target(np.asarray(y))!r}.")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"strategies must be among {STRATEGIES}; got {unknown}.")
    metrics, n_classes = _held_out_outputs(selector, X, y, cv, random_state)
    n = len(metrics)
    if subset_sizes is None:
        sizes = np.arange(1, n + 1)
    else:
        sizes = np.asarray(subset_sizes, dtype=int)
        if sizes.ndim != 1 or sizes.size == 0 or sizes.min() < 1 or sizes.max() > n:
            raise ValueError(
                f"subset_sizes must be integers in [1, {n}]; got {list(np.atleast_1d(subset_sizes))}."
            )
    gain = (metrics["gtp_ts"] - metrics["gtp_t"]).to_numpy()
    c_t = metrics["correct_t"].to_numpy(dtype=float)
    c_ts = metrics["correct_ts"].to_numpy(dtype=float)
    per_object = np.stack(
        [gain, (gain > 0).astype(float), c_ts - c_t, c_ts - c_t, ((c_t == 0) & (c_ts == 1)).astype(float)],
        axis=1,
    )
    base_accuracy = c_t.mean()
    rng = check_random_state(random_state)
    rows = []
    for strategy in strategies:
        repeats = n_random_repeats if strategy == "random" else 1
        acc = np.zeros((sizes.size, per_object.shape[1]))
        for _ in range(repeats):
            scores = strategy_scores(metrics, strategy, n_classes, rng)
            order = np.argsort(-scores, kind="stable")
            cum = np.cumsum(per_object[order], axis=0)[sizes - 1]
            acc += cum
        acc /= repeats
        values = acc / sizes[:, None]
        values[:, 3] = base_accuracy + acc[:, 3] / n  # overall accuracy
        frame = pd.DataFrame(values, columns=RESULT_COLUMNS)
        frame.insert(0, "fraction", sizes / n)
        frame.insert(0, "s", sizes)
        frame.insert(0, "strategy", strategy)
        rows.append(frame)
    results = pd.concat(rows, ignore_index=True)
    return (results, metrics) if return_metrics else results


def plot_strategies(results, baseline="random", max_fraction=None, title=None):
    """Figures 3, 4 and 6 of the paper from :func:`evaluate_strategies` results.

    Parameters
    ----------
    results : DataFrame
        Output of :func:`evaluate_strategies`.
    baseline : str or None, default="random"
        Drawn dashed (the paper's reference strategy).
    max_fraction : float, default=None
        Clip the x axis at this fraction of the objects (e.g. 0.2 for Fig. 4).
    title : str, default=None
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Five panels: GTP improvement, fraction with increased GTP, subset
        accuracy improvement, overall accuracy, false-prediction correction ratio.

    Examples
    --------
    >>> import pandas as pd
    >>> from skastro.followup import plot_strategies
    >>> res = pd.DataFrame({"strategy": ["random"] * 2 + ["entropy"] * 2, "s": [1, 2] * 2,
    ...                     "fraction": [0.5, 1.0] * 2, "gtp_improvement": [0.0, 0.1, 0.2, 0.3],
    ...                     "gtp_increased_ratio": 0.5, "accuracy_improvement": 0.1,
    ...                     "overall_accuracy": 0.8, "correction_ratio": 0.1})
    >>> len(plot_strategies(res).axes)
    5
    """
    import matplotlib.pyplot as plt

    panels = [
        ("gtp_improvement", "GTP mean improvement (subset)"),
        ("gtp_increased_ratio", "fraction with increased GTP"),
        ("accuracy_improvement", "accuracy improvement (subset)"),
        ("overall_accuracy", "overall accuracy"),
        ("correction_ratio", "corrected false predictions (subset)"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), constrained_layout=True)
    data = results if max_fraction is None else results[results["fraction"] <= max_fraction]
    for ax, (column, label) in zip(axes, panels):
        for strategy, part in data.groupby("strategy", sort=False):
            ax.plot(
                part["s"], part[column], label=_LABELS.get(strategy, strategy),
                ls="--" if strategy == baseline else ("-." if strategy == "ideal" else "-"),
            )
        ax.set_xlabel("subset size s (objects followed up)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def plot_gtp_vs_uncertainty(metrics, ax=None):
    """Figure 5 of the paper: GTP improvement against the spectrum uncertainty.

    One point per object: on the x axis its spectrum uncertainty ``H_s``, the
    entropy of the N sampled x̂_s,i each weighted by Q(x̂_s,i | x_t) (§8.3);
    on the y axis its ground-truth-probability gain P_ts(y | x_t, x_s) −
    P_t(y | x_t) with the real x_s. Objects with a positive estimated
    information gain IG(x_t) are red stars, the others blue dots.

    Parameters
    ----------
    metrics : DataFrame
        The per-object metrics of :func:`evaluate_strategies` with
        ``return_metrics=True`` (columns ``H_s``, ``IG``, ``gtp_t``, ``gtp_ts``).
    ax : matplotlib Axes, default=None
        Where to draw; None makes a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> from skastro.followup import plot_gtp_vs_uncertainty
    >>> m = pd.DataFrame({"H_s": [1.2, 3.9, 4.5], "IG": [0.2, -0.1, 0.4],
    ...                   "gtp_t": [0.5, 0.6, 0.3], "gtp_ts": [0.7, 0.5, 0.9]})
    >>> fig = plot_gtp_vs_uncertainty(m)
    >>> fig.axes[0].get_xlabel()
    'spectrum uncertainty: entropy of the sampled $\\\\hat{x}_s$ (nats)'
    """
    import matplotlib.pyplot as plt

    missing = [c for c in ("H_s", "IG", "gtp_t", "gtp_ts") if c not in getattr(metrics, "columns", ())]
    if missing:
        raise ValueError(
            f"plot_gtp_vs_uncertainty needs the metrics of evaluate_strategies(..., return_metrics=True); "
            f"missing columns {missing}."
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.2), constrained_layout=True)
    gain = (metrics["gtp_ts"] - metrics["gtp_t"]).to_numpy(float)
    h = metrics["H_s"].to_numpy(float)
    pos = metrics["IG"].to_numpy(float) > 0
    ax.scatter(h[~pos], gain[~pos], s=6, c="tab:blue", label=r"$IG(x_t) \leq 0$")
    ax.scatter(h[pos], gain[pos], s=18, marker="*", c="tab:red", label=r"$IG(x_t) > 0$")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel(r"spectrum uncertainty: entropy of the sampled $\hat{x}_s$ (nats)")
    ax.set_ylabel("GTP improvement with the real $x_s$")
    ax.legend(fontsize=8)
    return ax.figure

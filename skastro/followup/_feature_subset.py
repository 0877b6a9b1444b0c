"""Choosing x_t and x_s by Gini importance (Astudillo et al. 2020, §5.3 and §8.1)."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils import Bunch


def select_feature_subset(X, y, estimator=None, cv=None, threshold=0.9, max_features=None, random_state=None):
    """Smallest Gini-importance-ordered feature subset reaching 90 % of the accuracy gain.

    Features are ordered by the impurity (Gini) importance of a random forest
    fitted on all of them; the candidate subsets C_d' are the d' most
    important features. Each is scored by cross-validated accuracy, and the
    smallest d' whose accuracy is at least ``worst + threshold * (best -
    worst)`` is chosen (§5.3).

    Parameters
    ----------
    X : DataFrame or array-like of shape (n_objects, n_features)
        Candidate features (cheap and expensive together, as in the paper).
    y : array-like of shape (n_objects,)
        Class labels.
    estimator : classifier, default=None
        Scorer of the subsets and source of ``feature_importances_``; None:
        ``RandomForestClassifier(100)``.
    cv : int or cross-validation generator, default=None
        None: stratified 10-fold, shuffled with ``random_state``.
    threshold : float, default=0.9
        Fraction of the possible accuracy improvement to reach.
    max_features : int, default=None
        Only score the first ``max_features`` subsets (saves time).
    random_state : int or None, default=None
        Seeds the forest and the folds.

    Returns
    -------
    Bunch
        ``features`` (chosen names, or positions for arrays), ``n_features``,
        ``order`` (all features by decreasing importance), ``importances``
        (Series), ``scores`` (Series of mean CV accuracy by d'), ``worst``,
        ``best`` and ``fraction_of_improvement`` of the choice.

    References
    ----------
    .. [1] Astudillo et al. (2020), AJ 159, 16, §5.3. doi:10.3847/1538-3881/ab557d

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skastro.followup import select_feature_subset
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 300)
    >>> X = rng.normal(size=(300, 5))
    >>> X[:, 3] += 3 * (y == 1)                          # tells class 1 apart
    >>> X[:, 0] += 3 * (y == 2)                          # tells class 2 apart
    >>> res = select_feature_subset(X, y, RandomForestClassifier(20, random_state=0),
    ...                             cv=3, random_state=0)
    >>> sorted(res.features)
    [0, 3]
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1]; got {threshold!r}.")
    names = list(X.columns) if isinstance(X, pd.DataFrame) else list(range(np.shape(X)[1]))
    Xa = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if Xa.ndim != 2 or len(Xa) != len(y):
        raise ValueError(f"X must be 2-D with one row per label; got shape {Xa.shape} and {len(y)} labels.")
    if not np.all(np.isfinite(Xa)):
        raise ValueError("X contains NaN or infinity; impute or drop those rows first.")
    est = estimator if estimator is not None else RandomForestClassifier(100, random_state=random_state)
    if cv is None:
        cv = StratifiedKFold(10, shuffle=True, random_state=random_state)
    fitted = clone(est).fit(Xa, y)
    if not hasattr(fitted, "feature_importances_"):
        raise ValueError(f"estimator must expose feature_importances_; {type(est).__name__} does not.")
    importances = pd.Series(fitted.feature_importances_, index=names)
    order = np.argsort(-fitted.feature_importances_, kind="stable")
    n_max = len(names) if max_features is None else min(int(max_features), len(names))
    scores = {}
    for d in range(1, n_max + 1):
        scores[d] = cross_val_score(clone(est), Xa[:, order[:d]], y, cv=cv).mean()
    scores = pd.Series(scores, name="accuracy")
    worst, best = scores.min(), scores.max()
    target = worst + threshold * (best - worst)
    d = int(scores.index[np.flatnonzero(scores.to_numpy() >= target - 1e-12)[0]])
    fraction = 1.0 if best == worst else (scores[d] - worst) / (best - worst)
    return Bunch(
        features=[names[i] for i in order[:d]],
        n_features=d,
        order=[names[i] for i in order],
        importances=importances,
        scores=scores,
        worst=worst,
        best=best,
        fraction_of_improvement=fraction,
    )

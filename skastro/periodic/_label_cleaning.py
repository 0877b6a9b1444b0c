"""Label cleaning by cross-validated predictions (Dékány & Grebel 2020, §3.4).

The paper inspected the training light curves that its classifier
misclassified at cross-validation, found RRab stars missing from the
reference catalogue (labelled non-RRab), removed them and retrained, three
times over (79 objects in all). These helpers do the bookkeeping: list the
confident mistakes for inspection, drop the ones you (or a rule) reject,
repeat, and refit on what is left.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict
from sklearn.utils import Bunch, _safe_indexing

from .._lightcurves import LightCurves

__all__ = ["confident_mistakes", "clean_labels"]


def confident_mistakes(y, proba, classes, *, threshold=0.9, ids=None):
    """Examples whose predicted class differs from their label with high confidence.

    Parameters
    ----------
    y : array-like of shape (n,)
        The labels.
    proba : array-like of shape (n, n_classes)
        Out-of-sample class probabilities, e.g. from
        ``cross_val_predict(..., method="predict_proba")``.
    classes : array-like of shape (n_classes,)
        The label of each column of ``proba`` (``estimator.classes_``).
    threshold : float, default=0.9
        Minimum probability of the predicted (wrong) class.
    ids : array-like of shape (n,), default=None
        Object identifiers to carry into the table (e.g. ``lcs.ids``).

    Returns
    -------
    mistakes : pandas.DataFrame
        One row per confident mistake, most confident first, with columns
        ``position`` (row in ``y``), ``id`` (when ``ids`` is given),
        ``label``, ``predicted``, ``confidence`` (probability of
        ``predicted``) and ``label_proba`` (probability of the label).

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.periodic import confident_mistakes
    >>> y = np.array(["RRab", "other", "other"])
    >>> proba = np.array([[0.1, 0.9], [0.97, 0.03], [0.02, 0.98]])
    >>> confident_mistakes(y, proba, classes=["other", "RRab"])
       position  label predicted  confidence  label_proba
    0         2  other      RRab        0.98         0.02
    """
    y = np.asarray(y)
    proba = np.asarray(proba, dtype=float)
    classes = np.asarray(classes)
    if proba.ndim != 2 or proba.shape != (len(y), len(classes)):
        raise ValueError(
            f"proba must have shape (len(y), len(classes)) = ({len(y)}, {len(classes)}); got {proba.shape}."
        )
    if not isinstance(threshold, Real) or not 0 < threshold <= 1:
        raise ValueError(f"threshold must be a probability in (0, 1]; got {threshold!r}.")
    unknown = set(np.unique(y)) - set(classes.tolist())
    if unknown:
        raise ValueError(f"y holds labels {sorted(unknown)} that are not in classes {classes.tolist()}.")
    top = proba.argmax(axis=1)
    label_col = np.searchsorted(classes, y) if np.all(classes[:-1] <= classes[1:]) else np.array(
        [np.flatnonzero(classes == v)[0] for v in y], dtype=int
    )
    confidence = proba[np.arange(len(y)), top]
    wrong = (classes[top] != y) & (confidence >= threshold)
    pos = np.flatnonzero(wrong)
    table = pd.DataFrame({"position": pos})
    if ids is not None:
        table["id"] = np.asarray(ids)[pos]
    table["label"] = y[pos]
    table["predicted"] = classes[top[pos]]
    table["confidence"] = confidence[pos]
    table["label_proba"] = proba[pos, label_col[pos]]
    return table.sort_values("confidence", ascending=False, kind="stable").reset_index(drop=True)


def _take(X, idx):
    """Rows ``idx`` of X: LightCurves and dict-like inputs index themselves."""
    if isinstance(X, LightCurves) or hasattr(X, "keys"):
        return X[idx]
    return _safe_indexing(X, idx)


def clean_labels(
    estimator, X, y, *, cv=5, threshold=0.9, max_iter=3, inspect=None, refit=True, ids=None, n_jobs=None
):
    """Iteratively drop confidently misclassified training examples and retrain.

    Each iteration runs ``cross_val_predict`` on the examples kept so far,
    lists the :func:`confident_mistakes`, lets ``inspect`` choose which to
    drop (default: all of them), and drops them. It stops after ``max_iter``
    iterations or when nothing is dropped; then (``refit=True``) a clone of
    ``estimator`` is fitted on the kept examples.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
        E.g. a ``Pipeline`` ending in :class:`~skastro.periodic.BiLSTMClassifier`.
    X : object indexable by an integer array
        Training inputs (``LightCurves``, ``SliceDict``, array...).
    y : array-like of shape (n,)
        Training labels.
    cv : int or cross-validation generator, default=5
        Folds of ``cross_val_predict`` (the paper used 5).
    threshold : float, default=0.9
        Minimum out-of-sample probability of the wrong class.
    max_iter : int, default=3
        Maximum cleaning rounds (the paper did 3).
    inspect : callable or None, default=None
        ``inspect(mistakes) -> positions``: given the table of
        :func:`confident_mistakes` (``position`` relative to the original
        ``X``), return the positions to drop; the paper did this by visual
        inspection. None drops every listed example.
    refit : bool, default=True
        Fit a clone of ``estimator`` on the cleaned data.
    ids : array-like of shape (n,), default=None
        Identifiers carried into the report.
    n_jobs : int, default=None
        Passed to ``cross_val_predict``.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``estimator`` (fitted on the kept data, or None), ``kept`` (positions
        kept), ``removed`` (DataFrame of the dropped examples with their
        ``iteration``), ``n_iter`` (rounds run).

    References
    ----------
    .. [1] Dékány, I. & Grebel, E. K. (2020), ApJ 898, 46, §3.4.
       doi:10.3847/1538-4357/ab9d85

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skastro.periodic import clean_labels
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, (50, 2)), rng.normal(2, 1, (50, 2))]
    >>> y = np.repeat([0, 1], 50)
    >>> y[[3, 7]] = 1  # two wrong labels deep inside class 0
    >>> result = clean_labels(LogisticRegression(), X, y, cv=5)
    >>> sorted(result.removed["position"])
    [3, 7]
    >>> len(result.kept)
    98
    """
    if not isinstance(max_iter, Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer; got {max_iter!r}.")
    y = np.asarray(y)
    n = len(y)
    kept = np.arange(n)
    removed = []
    n_iter = 0
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        X_k, y_k = _take(X, kept), y[kept]
        proba = cross_val_predict(clone(estimator), X_k, y_k, cv=cv, method="predict_proba", n_jobs=n_jobs)
        mistakes = confident_mistakes(y_k, proba, np.unique(y_k), threshold=threshold,
                                      ids=None if ids is None else np.asarray(ids)[kept])
        mistakes["position"] = kept[mistakes["position"].to_numpy()]
        if inspect is not None:
            chosen = np.asarray(inspect(mistakes.copy()), dtype=int).reshape(-1)
            mistakes = mistakes[mistakes["position"].isin(chosen)]
        if mistakes.empty:
            break
        left = np.setdiff1d(kept, mistakes["position"].to_numpy())
        emptied = sorted(set(np.unique(y_k).tolist()) - set(np.unique(y[left]).tolist()))
        if emptied:
            raise ValueError(
                f"clean_labels: round {iteration} would remove every example of class(es) {emptied} "
                f"({len(mistakes)} confident mistakes at threshold={threshold}); raise the threshold "
                f"or pass an `inspect` callback that keeps some."
            )
        mistakes.insert(0, "iteration", iteration)
        removed.append(mistakes)
        kept = np.setdiff1d(kept, mistakes["position"].to_numpy())
    columns = ["iteration", "position", *(["id"] if ids is not None else []),
               "label", "predicted", "confidence", "label_proba"]
    removed = pd.concat(removed, ignore_index=True) if removed else pd.DataFrame(columns=columns)
    fitted = clone(estimator).fit(_take(X, kept), y[kept]) if refit else None
    return Bunch(estimator=fitted, kept=kept, removed=removed, n_iter=n_iter)

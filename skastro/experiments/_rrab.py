"""The RRab-vs-rest study of Dékány & Grebel (2020, §3.4-3.5) on the simulator.

Public in :mod:`skastro.experiments`: ``examples/rrab_study.py`` runs it at
any scale from the command line, ``benchmarks/bench_rrab_scale.py`` reuses
its pieces, and the ``periodic`` section of ``skastro reproduce`` runs it at
small scale.

What it does, in one run:

1. simulate light curves with :func:`skastro.datasets.make_periodic_variables`
   and fold them once with :class:`~skastro.periodic.PeriodFolder`
   (``PeriodFolder.from_preset("dekany2020")``). The folder learns nothing from the training
   data (each light curve is folded on its own), so folding before the
   cross-validation gives the same result as folding inside every fold, at a
   fifth of the cost;
2. 5-fold stratified cross-validation, on the same folds, of
   ``DualFoldSequencer -> BiLSTMClassifier`` (the paper's network), the same
   network without the 2P channels (the ablation) and a random forest on the
   folder's features (``FoldFeatures``);
3. Table 2's metrics (overall and at S/N > 60), ROC/PR curves (Fig. 8),
   cumulative metrics against S/N (Fig. 7), learning curves (Fig. 6) and the
   eclipsing binaries that each model calls RRab.

With ``test_size`` it follows the paper's protocol (§3.4-3.5) instead: a
stratified held-out test set; cross-validation on the training part only;
optionally label cleaning on the training part (``clean_labels=True``,
:func:`~skastro.periodic.clean_labels`, with ``label_noise`` planting the
paper's failure mode, RRab stars labelled non-RRab); then a final refit of
every model on the whole (cleaned) training part, scored once on the test set.
"""

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

EB_LABELS = ("EC", "ESD")


def binary_metrics(y, pred):
    """Accuracy, precision, recall and F1 of binary predictions (Table 2's columns).

    Parameters
    ----------
    y, pred : array-like of shape (n,)
        True and predicted labels (1 = RRab).

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``precision``, ``recall`` and ``f1`` (0 where undefined).

    Examples
    --------
    >>> from skastro.experiments import binary_metrics
    >>> binary_metrics([0, 1, 1, 0], [0, 1, 0, 0])["recall"]
    0.5
    """
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

    return {
        "n": int(len(y)),
        "accuracy": float(accuracy_score(y, pred)),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
    }


def fold_rrab_simulation(n_objects, random_state=0, n_jobs=None, log=print):
    """Simulate VVV-like variables and fold them with the paper's PeriodFolder settings.

    Parameters
    ----------
    n_objects : int
        Light curves simulated (:func:`~skastro.datasets.make_periodic_variables`).
    random_state : int, default=0
    n_jobs : int, default=None
        Processes for :class:`~skastro.periodic.PeriodFolder`.
    log : callable, default=print
        Receives a progress line.

    Returns
    -------
    LightCurves
        The folded light curves with ``fold_status == "ok"``.

    Examples
    --------
    >>> from skastro.experiments import fold_rrab_simulation
    >>> folded = fold_rrab_simulation(8, log=lambda m: None)
    >>> bool((folded.meta["fold_status"] == "ok").all()), "phase_2p" in folded.columns
    (True, True)
    """
    from ..datasets import make_periodic_variables
    from ..periodic import PeriodFolder

    t0 = time.perf_counter()
    lcs = make_periodic_variables(n_objects, random_state=random_state)
    folded = PeriodFolder.from_preset("dekany2020", n_jobs=n_jobs, random_state=random_state).fit_transform(lcs)
    ok = (folded.meta["fold_status"] == "ok").to_numpy()
    log(f"simulated and folded {n_objects} light curves in {time.perf_counter() - t0:.0f} s "
        f"({ok.sum()} with a period)")
    return folded[ok]


def make_rrab_models(max_epochs=300, batch_size=256, lr=0.0015, hidden_sizes=(48, 32), dense_size=64,
                     n_threads=1, random_state=0, rf_trees=300, max_length=None, bilstm_preset=None):
    """The three models compared in the study, unfitted.

    ``DualFoldSequencer -> BiLSTMClassifier`` (the paper's network), the same
    network on the fold at ``P`` only (the ablation) and a random forest on
    :class:`~skastro.periodic.FoldFeatures`.

    Parameters
    ----------
    max_epochs, batch_size, lr, hidden_sizes, dense_size, n_threads, random_state
        :class:`~skastro.periodic.BiLSTMClassifier` settings.
    rf_trees : int, default=300
        Trees of the random forest.
    max_length : int, default=None
        :class:`~skastro.periodic.DualFoldSequencer` ``max_length``.
    bilstm_preset : {"dekany2020"} or None, default=None
        Build the networks with ``BiLSTMClassifier.from_preset(bilstm_preset)``
        (the paper's raw inputs and time-step dropout) and their sequencers
        with ``DualFoldSequencer.from_preset(bilstm_preset)``, the settings
        above overriding the presets'; None: skastro's defaults.

    Returns
    -------
    dict of str to Pipeline

    Examples
    --------
    >>> from skastro.experiments import make_rrab_models
    >>> list(make_rrab_models())
    ['BiLSTM P+2P', 'BiLSTM P only', 'RF features']
    """
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline

    from ..periodic import BiLSTMClassifier, DualFoldSequencer, FoldFeatures

    def net(**kw):
        make = BiLSTMClassifier if bilstm_preset is None else (
            lambda **p: BiLSTMClassifier.from_preset(bilstm_preset, **p))
        return make(hidden_sizes=hidden_sizes, dense_size=dense_size, max_epochs=max_epochs,
                    batch_size=batch_size, lr=lr, validation_fraction=0.15,
                    n_jobs=n_threads, random_state=random_state, **kw)

    def seq():
        if bilstm_preset is None:
            return DualFoldSequencer(max_length=max_length)
        return DualFoldSequencer.from_preset(bilstm_preset, max_length=max_length)

    return {
        "BiLSTM P+2P": make_pipeline(seq(), net()),
        "BiLSTM P only": make_pipeline(seq(), net(channels=(0, 1))),
        "RF features": make_pipeline(FoldFeatures(), RandomForestClassifier(
            n_estimators=rf_trees, random_state=random_state, n_jobs=1)),
    }


def fit_and_score(model, folded, y, tr, te):
    """Fit a clone of ``model`` on the rows ``tr`` and score the rows ``te``.

    Parameters
    ----------
    model : Pipeline
        One of :func:`make_rrab_models`.
    folded : LightCurves
        Folded light curves.
    y : ndarray of shape (n,)
        Binary labels.
    tr, te : array of int
        Training and test rows.

    Returns
    -------
    proba : ndarray of shape (len(te),)
        Probability of the positive class.
    history : DataFrame or None
        Per-epoch losses of a network (None for the forest).
    seconds : float
        Wall time of the fit and the scoring.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.experiments import fit_and_score, fold_rrab_simulation, make_rrab_models
    >>> folded = fold_rrab_simulation(20, log=lambda m: None)
    >>> y = (folded.meta["label"] == "RRab").to_numpy().astype(int)
    >>> rows = np.arange(len(y))
    >>> model = make_rrab_models(rf_trees=10)["RF features"]
    >>> proba, history, _ = fit_and_score(model, folded, y, rows[::2], rows[1::2])
    >>> proba.shape == rows[1::2].shape, history is None
    (True, True)
    """
    from sklearn.base import clone

    t0 = time.perf_counter()
    fitted = clone(model).fit(folded[tr], y[tr])
    p = fitted.predict_proba(folded[te])[:, 1]
    last = fitted.steps[-1][1]
    history = None
    if hasattr(last, "history_"):
        history = pd.DataFrame([{key: row.get(key) for key in
                                 ("epoch", "train_loss", "valid_loss", "train_acc", "valid_acc", "dur")}
                                for row in last.history_])
    return p, history, time.perf_counter() - t0


def _import_torch():
    """Worker initializer of :func:`cross_validate_models`."""
    import torch  # noqa: F401


def cross_validate_models(folded, y, models, n_splits=5, random_state=0, log=print, n_jobs=None):
    """Out-of-fold RRab probabilities of every model and the BiLSTM histories.

    ``n_jobs`` runs the (fold, model) fits in parallel processes (joblib).
    Each worker imports torch before its first job: loky takes a worker's
    memory after its first job as the reference and replaces a worker that
    grows 300 MB beyond it ("A worker stopped while some jobs were given to
    the executor"), which importing torch (~320 MB) in a later job did.
    """
    from joblib import Parallel, delayed, parallel_config
    from sklearn.model_selection import StratifiedKFold

    cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    splits = list(cv.split(np.zeros(len(y)), y))
    tasks = [(k, name) for k in range(n_splits) for name in models]
    with parallel_config(backend="loky", initializer=_import_torch):
        results = Parallel(n_jobs=n_jobs)(
            delayed(fit_and_score)(models[name], folded, y, *splits[k]) for k, name in tasks
        )
    proba = {name: np.full(len(y), np.nan) for name in models}
    histories = {name: [] for name in models}
    seconds = {name: 0.0 for name in models}
    for (k, name), (p, history, sec) in zip(tasks, results):
        proba[name][splits[k][1]] = p
        if history is not None:
            histories[name].append(history)
        seconds[name] += sec
        log(f"fold {k + 1}/{n_splits} {name}: {sec:.0f} s")
    return proba, histories, seconds


def summarise(y, snr, labels, proba):
    """Table-2 metrics, ROC AUC / AP at S/N > 30 and > 60, and what each model does with the EBs."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    rows = {}
    for name, p in proba.items():
        pred = (p >= 0.5).astype(int)
        r = {"all": binary_metrics(y, pred), "snr>60": binary_metrics(y[snr > 60], pred[snr > 60])}
        for cut in (30, 60):
            m = snr > cut
            r[f"roc_auc_snr>{cut}"] = float(roc_auc_score(y[m], p[m]))
            r[f"ap_snr>{cut}"] = float(average_precision_score(y[m], p[m]))
        eb = np.isin(labels, EB_LABELS)
        r["eb_called_rrab"] = float(pred[eb].mean()) if eb.any() else float("nan")
        r["eb_called_rrab_snr>60"] = float(pred[eb & (snr > 60)].mean()) if (eb & (snr > 60)).any() else float("nan")
        r["false_positives_by_class"] = {
            str(c): int(((pred == 1) & (labels == c)).sum()) for c in np.unique(labels) if c != "RRab"
        }
        rows[name] = r
    return rows


# Dékány & Grebel (2020) §3.5, BiLSTM at S/N > 60: accuracy, precision, recall,
# F1, ROC AUC, average precision (drawn on the figures for comparison).
_PAPER_SNR60 = (0.990, 0.985, 0.992, 0.988, 0.996, 0.999)


def _cumulative_metrics(y, pred, snr, grid):
    """Accuracy, precision, recall and F1 of the objects with S/N above each of ``grid``
    (``(len(grid), 4)``; 0 where undefined, as :func:`binary_metrics`), by counting:
    sklearn's scorers validate their input on every call, 40 times per curve."""
    above = snr[None, :] > np.asarray(grid)[:, None]
    y, pred = np.asarray(y) == 1, np.asarray(pred) == 1
    tp, fp = (above & y & pred).sum(1), (above & ~y & pred).sum(1)
    fn, n = (above & y & ~pred).sum(1), above.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acc = np.where(n > 0, (n - fp - fn) / n, 0.0)
        prec = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        rec = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return np.column_stack([acc, prec, rec, f1])


def plot_figures(out_dir, y, snr, proba, histories, main="BiLSTM P+2P", baseline="RF features"):
    """Figs. 6-8 of the paper for our run; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import precision_recall_curve, roc_curve

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []

    # Fig. 6: learning curves (loss and accuracy, train and validation, per fold and mean)
    hist = histories.get(main) or []
    if hist:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, key in zip(axes, ("loss", "acc")):
            for prefix, colour in (("train", "tab:red"), ("valid", "tab:green")):
                curves = [h[f"{prefix}_{key}"].to_numpy(float) for h in hist if h[f"{prefix}_{key}"].notna().all()]
                for c in curves:
                    ax.plot(np.arange(1, len(c) + 1), c, color=colour, alpha=0.25, lw=0.8)
                if curves:
                    n = min(len(c) for c in curves)
                    ax.plot(np.arange(1, n + 1), np.mean([c[:n] for c in curves], axis=0), color=colour,
                            lw=2, label=f"{'TR' if prefix == 'train' else 'CV'} mean")
            ax.set_xlabel("epoch")
            ax.set_ylabel("binary cross-entropy" if key == "loss" else "accuracy")
            ax.legend()
        fig.suptitle(f"{main}: learning curves (cf. Dékány & Grebel 2020, Fig. 6)")
        fig.tight_layout()
        paths.append(out_dir / "bilstm_fig6_learning_curves.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)

    # Fig. 7: cumulative metrics for S/N above a threshold
    grid = np.quantile(snr, np.linspace(0, 0.95, 40))
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for name, style in ((main, "-"), (baseline, ":")):
        if name not in proba:
            continue
        pred = (proba[name] >= 0.5).astype(int)
        vals = _cumulative_metrics(y, pred, snr, grid)
        for j, (k, colour) in enumerate(zip(("accuracy", "precision", "recall", "F1"),
                                            ("k", "tab:blue", "tab:orange", "tab:red"))):
            ax.plot(grid, vals[:, j], style, color=colour, label=f"{k} ({name})")
    # the paper's BiLSTM at S/N > 60 (§3.5): accuracy, precision, recall, F1
    for value, colour in zip(_PAPER_SNR60[:4], ("k", "tab:blue", "tab:orange", "tab:red")):
        ax.plot(60, value, "*", color=colour, ms=9, mec="k", mew=0.5)
    ax.plot([], [], "*", color="grey", ms=9, label="paper, S/N > 60")
    ax.set_xscale("log")
    ax.set_xlabel("S/N threshold (objects with S/N above it)")
    ax.set_ylabel("metric (objects above the S/N threshold)")
    ax.legend(fontsize=7, ncol=2)
    ax.set_title("cumulative metrics vs S/N (cf. Fig. 7)")
    fig.tight_layout()
    paths.append(out_dir / "bilstm_fig7_cumulative_snr.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    # Fig. 8: ROC and precision-recall curves at S/N > 30 and > 60
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    for name, style in ((main, "-"), (baseline, ":")):
        if name not in proba:
            continue
        for cut, colour in ((30, "tab:blue"), (60, "tab:red")):
            m = snr > cut
            fpr, tpr, _ = roc_curve(y[m], proba[name][m])
            prec, rec, _ = precision_recall_curve(y[m], proba[name][m])
            axes[0].plot(fpr, tpr, style, color=colour, label=f"{name}, S/N>{cut}")
            axes[1].plot(rec, prec, style, color=colour, label=f"{name}, S/N>{cut}")
    axes[0].set(xlabel="false positive rate", ylabel="true positive rate",
                title=f"ROC (cf. Fig. 8 left; paper AUC {_PAPER_SNR60[4]} at S/N > 60)")
    axes[1].set(xlabel="recall", ylabel="precision",
                title=f"precision-recall (cf. Fig. 8 right; paper AP {_PAPER_SNR60[5]})")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(out_dir / "bilstm_fig8_roc_pr.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def _plant_label_noise(y, rows, fraction, random_state):
    """Positions (among ``rows``) of a ``fraction`` of the RRab stars to relabel non-RRab."""
    rrab = rows[y[rows] == 1]
    n = int(round(fraction * len(rrab)))
    return np.sort(np.random.default_rng(random_state).choice(rrab, size=n, replace=False))


def _clean_training_set(model, folded, y, rows, planted, n_splits, threshold, max_iter, random_state, n_jobs,
                        log):
    """§3.4 label cleaning of the training rows with ``model``; returns (kept rows, report)."""
    from joblib import parallel_config
    from sklearn.model_selection import StratifiedKFold

    from ..periodic import clean_labels

    cv = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    with parallel_config(backend="loky", initializer=_import_torch):
        res = clean_labels(model, folded[rows], y[rows], cv=cv, threshold=threshold, max_iter=max_iter,
                           refit=False, ids=folded.ids[rows], n_jobs=n_jobs)
    removed = rows[res.removed["position"].to_numpy(dtype=int)]
    labels = folded.meta["label"].to_numpy().astype(str)
    report = {
        "n_iter": int(res.n_iter),
        "removed_per_iteration": [int((res.removed["iteration"] == k).sum()) for k in range(1, res.n_iter + 1)],
        "n_removed": int(len(removed)),
        "removed_ids": [str(i) for i in folded.ids[removed]],
        "n_planted": int(len(planted)),
        "planted_removed": int(np.isin(removed, planted).sum()),
        "correct_labels_removed_by_class": {
            str(c): int(((labels[removed] == c) & ~np.isin(removed, planted)).sum())
            for c in np.unique(labels[removed])},
    }
    log(f"label cleaning: {report['n_removed']} removed in {report['n_iter']} rounds, "
        f"{report['planted_removed']} of {report['n_planted']} planted wrong labels among them")
    return rows[res.kept], report


def run_rrab_study(n_objects=3000, max_epochs=60, batch_size=256, lr=0.0015, n_splits=5,
                   hidden_sizes=(48, 32), dense_size=64, rf_trees=300, random_state=0, n_threads=1,
                   n_jobs=None, out_dir=None, log=print,
                   max_length=100, folded=None, n_jobs_cv=None, bilstm_preset=None, test_size=None,
                   label_noise=0.0, clean_labels=False, clean_with="BiLSTM P+2P", clean_threshold=0.9,
                   clean_max_iter=3):
    """Run the whole simulator study; write figures and ``bilstm_study.json`` into ``out_dir``.

    Two protocols. By default (``test_size=None``), every model is
    cross-validated on all the folded curves and the metrics are
    out-of-fold. With ``test_size``, the paper's (§3.4-3.5): a stratified
    held-out test set; cross-validation on the training part (the paper's
    "CV" column); optionally label cleaning of the training part with the
    main network (``clean_labels``); a final refit of every model on the
    whole (cleaned) training part, scored once on the test set (the paper's
    "test" column, and Figs. 7-8).

    Parameters
    ----------
    n_objects : int, default=3000
        Light curves simulated (see :func:`fold_rrab_simulation`).
    max_epochs, batch_size, lr, hidden_sizes, dense_size, rf_trees, n_threads
        Model settings (see :func:`make_rrab_models`).
    n_splits : int, default=5
        Stratified cross-validation folds, the same for every model (and the
        folds of the label cleaning).
    random_state : int, default=0
    n_jobs : int, default=None
        Processes for the folding.
    out_dir : path, default=None
        Where figures and the JSON summary go (None: nothing is written).
    log : callable, default=print
    max_length : int, default=100
        Sequences are thinned to at most this many phase-ordered steps (VVV's ~100 epochs).
    folded : LightCurves, default=None
        The output of :func:`fold_rrab_simulation` for the same ``n_objects``
        and ``random_state`` (a cache).
    n_jobs_cv : int, default=None
        Processes for the (fold, model) fits.
    bilstm_preset : {"dekany2020"} or None, default=None
        Networks from ``BiLSTMClassifier.from_preset`` (see
        :func:`make_rrab_models`).
    test_size : float in (0, 1) or None, default=None
        Fraction of the curves held out, stratified by class, for the final
        test (the paper's protocol); None: cross-validation only.
    label_noise : float in [0, 1), default=0.0
        Fraction of the training part's RRab stars relabelled non-RRab before
        anything is trained (the paper's wrong labels: RRab stars missing from
        the reference catalogue, §3.4). The test labels stay true. Needs
        ``test_size``.
    clean_labels : bool, default=False
        Clean the training part's labels (§3.4) with
        :func:`~skastro.periodic.clean_labels` and the main network before
        the final refit. Needs ``test_size``.
    clean_with : str, default="BiLSTM P+2P"
        The model (a key of :func:`make_rrab_models`) whose out-of-fold
        predictions pick the examples to drop; the paper used its network.
    clean_threshold : float, default=0.9
        Out-of-fold probability of the other class above which a training
        example is dropped.
    clean_max_iter : int, default=3
        Cleaning rounds (the paper did 3).

    Returns
    -------
    dict
        ``scale`` (the settings), ``models`` (Table 2 metrics, ROC AUC and AP
        at S/N > 60, eclipsing binaries called RRab, per model; out-of-fold,
        on the training part when ``test_size`` is set), ``oof`` (the
        cross-validated curves' ``ids`` and each model's out-of-fold RRab
        probability, in that order), ``fit_seconds``,
        ``total_seconds`` and ``figures`` (written paths). With
        ``test_size``: ``test`` (the same metrics for the final refits on the
        test set), ``test_ids`` and ``cleaning`` (``n_iter``,
        ``removed_per_iteration``, ``n_removed``, ``removed_ids``,
        ``n_planted``, ``planted_removed`` and
        ``correct_labels_removed_by_class``; None without cleaning).

    Examples
    --------
    >>> from skastro.experiments import format_rrab_table, run_rrab_study
    >>> res = run_rrab_study(n_objects=40, max_epochs=1, n_splits=2, rf_trees=5, batch_size=16,
    ...                      hidden_sizes=(4,), dense_size=4, log=lambda m: None)
    >>> sorted(res["models"])
    ['BiLSTM P only', 'BiLSTM P+2P', 'RF features']
    >>> format_rrab_table(res).split()[:3]
    ['model', 'subset', 'n']
    """
    from joblib import Parallel, delayed, parallel_config
    from sklearn.model_selection import train_test_split

    if test_size is None and (clean_labels or label_noise):
        raise ValueError("run_rrab_study: clean_labels and label_noise need a held-out test set "
                         f"(test_size); got test_size=None, clean_labels={clean_labels!r}, "
                         f"label_noise={label_noise!r}.")
    if test_size is not None and not 0 < test_size < 1:
        raise ValueError(f"run_rrab_study: test_size must lie in (0, 1) or be None; got {test_size!r}.")
    if clean_labels and clean_with not in ("BiLSTM P+2P", "BiLSTM P only", "RF features"):
        raise ValueError(f"run_rrab_study: clean_with must name one of the study's models "
                         f"('BiLSTM P+2P', 'BiLSTM P only', 'RF features'); got {clean_with!r}.")
    if not 0 <= label_noise < 1:
        raise ValueError(f"run_rrab_study: label_noise must lie in [0, 1); got {label_noise!r}.")
    t0 = time.perf_counter()
    if folded is None:
        folded = fold_rrab_simulation(n_objects, random_state=random_state, n_jobs=n_jobs, log=log)
    labels = folded.meta["label"].to_numpy().astype(str)
    y = (labels == "RRab").astype(int)
    snr = folded.meta["snr"].to_numpy(float)
    models = make_rrab_models(max_epochs=max_epochs, batch_size=batch_size, lr=lr, hidden_sizes=hidden_sizes,
                              dense_size=dense_size, n_threads=n_threads,
                              random_state=random_state, rf_trees=rf_trees,
                              max_length=max_length, bilstm_preset=bilstm_preset)
    rows = np.arange(len(y))
    if test_size is not None:
        rows, test = train_test_split(rows, test_size=test_size, stratify=y, random_state=random_state)
        rows = np.sort(rows)
        planted = _plant_label_noise(y, rows, label_noise, random_state)
        y_train = y.copy()
        y_train[planted] = 0
    else:
        y_train = y
    proba, histories, seconds = cross_validate_models(folded[rows], y_train[rows], models, n_splits=n_splits,
                                                      random_state=random_state, log=log, n_jobs=n_jobs_cv)
    result = {
        "scale": {"n_objects": n_objects, "n_folded_ok": int(len(y)), "n_rrab": int(y.sum()),
                  "n_snr>60": int((snr > 60).sum()), "max_epochs": max_epochs, "batch_size": batch_size,
                  "lr": lr, "n_splits": n_splits, "hidden_sizes": list(hidden_sizes), "dense_size": dense_size,
                  "rf_trees": rf_trees, "random_state": random_state, "max_length": max_length,
                  "bilstm_preset": bilstm_preset, "test_size": test_size, "label_noise": label_noise,
                  "clean_labels": clean_labels, "clean_with": clean_with if clean_labels else None},
        "models": summarise(y_train[rows], snr[rows], labels[rows], proba),
        "oof": {"ids": [str(i) for i in folded.ids[rows]],
                **{name: [float(v) for v in p] for name, p in proba.items()}},
        "fit_seconds": seconds,
        "total_seconds": None,
    }
    figure_data = (y, snr, proba)
    if test_size is not None:
        kept, result["cleaning"] = rows, None
        if clean_labels:
            kept, result["cleaning"] = _clean_training_set(
                models[clean_with], folded, y_train, rows, planted, n_splits, clean_threshold,
                clean_max_iter, random_state, n_jobs_cv, log)
        with parallel_config(backend="loky", initializer=_import_torch):
            final = Parallel(n_jobs=n_jobs_cv)(
                delayed(fit_and_score)(model, folded, y_train, kept, test) for model in models.values())
        test_proba = {name: p for name, (p, _, _) in zip(models, final)}
        for name, (_, _, sec) in zip(models, final):
            log(f"final refit on {len(kept)} training curves, {name}: {sec:.0f} s")
        result["scale"].update(n_train=int(len(rows)), n_train_kept=int(len(kept)), n_test=int(len(test)))
        result["test_ids"] = [str(i) for i in folded.ids[test]]
        result["test"] = summarise(y[test], snr[test], labels[test], test_proba)
        figure_data = (y[test], snr[test], test_proba)  # Figs. 7-8 are the test set's (§3.5)
    if out_dir is not None:
        result["figures"] = [str(p) for p in plot_figures(out_dir, *figure_data, histories)]
    result["total_seconds"] = time.perf_counter() - t0
    if out_dir is not None:
        Path(out_dir, "bilstm_study.json").write_text(json.dumps(result, indent=2))
    return result


def format_rrab_table(result):
    """Table 2 style text table of a :func:`run_rrab_study` result.

    Parameters
    ----------
    result : dict
        What :func:`run_rrab_study` returned.

    Returns
    -------
    str
        One line per model and subset: ``all`` and ``snr>60`` out-of-fold
        (the paper's "CV" column), then ``test`` and ``test>60`` for the
        final refits on the held-out test set when the result has one.

    Examples
    --------
    >>> from skastro.experiments import format_rrab_table
    >>> m = {"n": 10, "accuracy": 0.9, "precision": 1.0, "recall": 0.8, "f1": 0.889}
    >>> result = {"models": {"RF": {"all": m, "snr>60": m, "roc_auc_snr>60": 0.95, "ap_snr>60": 0.97,
    ...                             "eb_called_rrab": 0.0, "eb_called_rrab_snr>60": 0.0}}}
    >>> print(format_rrab_table(result))
    model            subset        n    acc   prec    rec     F1  AUC60   AP60 EB->RRab
    RF               all          10  0.900  1.000  0.800  0.889  0.950  0.970    0.000
    RF               snr>60       10  0.900  1.000  0.800  0.889  0.950  0.970    0.000
    """
    lines = [f"{'model':<16} {'subset':<8} {'n':>6} {'acc':>6} {'prec':>6} {'rec':>6} {'F1':>6} "
             f"{'AUC60':>6} {'AP60':>6} {'EB->RRab':>8}"]
    sections = [("models", "all", "snr>60")]
    if result.get("test") is not None:
        sections.append(("test", "test", "test>60"))
    for section, name_all, name_60 in sections:
        for name, r in result[section].items():
            for subset, shown in (("all", name_all), ("snr>60", name_60)):
                m = r[subset]
                eb = r["eb_called_rrab" if subset == "all" else "eb_called_rrab_snr>60"]
                lines.append(f"{name:<16} {shown:<8} {m['n']:>6} {m['accuracy']:>6.3f} {m['precision']:>6.3f} "
                             f"{m['recall']:>6.3f} {m['f1']:>6.3f} {r['roc_auc_snr>60']:>6.3f} "
                             f"{r['ap_snr>60']:>6.3f} {eb:>8.3f}")
    return "\n".join(lines)


def run_rrab_plasticc(data_dir, band="r", classes=(92, 16, 53), max_epochs=40, batch_size=32,
                      lr=0.003, n_splits=5, rf_trees=300, random_state=0, n_threads=1, n_jobs=None,
                      min_epochs=10, log=print,
                      n_jobs_cv=None):
    """PLAsTiCC check: RR Lyrae (class 92) against eclipsing binaries (16) and Miras (53), one band.

    The light curves of ``band`` are folded with :class:`~skastro.periodic.PeriodFolder`
    (GLS over 0.1-10 d), objects with a period and at least ``min_epochs``
    epochs are kept, and the BiLSTM pipeline and the random forest on the
    folder's features are cross-validated on the same stratified folds.

    Parameters
    ----------
    data_dir : path
        Folder holding ``plasticc/`` (see :func:`~skastro.datasets.load_plasticc`).
    band : str, default="r"
        The band folded and classified.
    classes : tuple of int, default=(92, 16, 53)
        PLAsTiCC classes loaded; 92 (RR Lyrae) is the positive class.
    max_epochs, batch_size, lr, rf_trees, n_threads, n_splits, random_state, n_jobs, n_jobs_cv
        As in :func:`run_rrab_study`.
    min_epochs : int, default=10
        Epochs in ``band`` an object needs.
    log : callable, default=print

    Returns
    -------
    dict
        Counts (``n_objects``, ``n_rrl``, ``classes``), ``median_epochs``
        and per-model metrics with the average precision ``ap``.

    Examples
    --------
    Needs the PLAsTiCC files (real data, not shipped; see the README):

    >>> from skastro.experiments import run_rrab_plasticc
    >>> run_rrab_plasticc("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: PLAsTiCC light curves not found at /nonexistent/plasticc/...
    """
    from ..datasets import load_plasticc
    from ..periodic import PeriodFolder

    t0 = time.perf_counter()
    lcs = load_plasticc(data_dir, classes=list(classes))
    codes = lcs.codes("band")
    n_in_band = np.bincount(lcs.object_index[codes == lcs.bands.index(band)], minlength=len(lcs))
    lcs = lcs[n_in_band >= min_epochs]
    folded = PeriodFolder(period_range=(0.1, 10.0), oversampling=5, band=band, min_epochs=min_epochs,
                          n_jobs=n_jobs, random_state=random_state).fit_transform(lcs)
    folded = folded[(folded.meta["fold_status"] == "ok").to_numpy()]
    target = folded.meta["target"].to_numpy()
    y = (target == 92).astype(int)
    log(f"PLAsTiCC {band}: {len(y)} objects folded ({y.sum()} RR Lyrae) in {time.perf_counter() - t0:.0f} s")
    models = make_rrab_models(max_epochs=max_epochs, batch_size=batch_size, lr=lr, n_threads=n_threads,
                              random_state=random_state, rf_trees=rf_trees, max_length=100)
    models = {k: v for k, v in models.items() if k != "BiLSTM P only"}
    proba, _, seconds = cross_validate_models(folded, y, models, n_splits=n_splits,
                                              random_state=random_state, log=log, n_jobs=n_jobs_cv)
    out = {"band": band, "n_objects": int(len(y)), "n_rrl": int(y.sum()),
           "classes": {str(c): int((target == c).sum()) for c in classes}, "max_epochs": max_epochs,
           "median_epochs": float(np.median(folded.meta["n_epochs"])), "fit_seconds": seconds, "models": {}}
    for name, p in proba.items():
        pred = (p >= 0.5).astype(int)
        out["models"][name] = binary_metrics(y, pred)
        from sklearn.metrics import average_precision_score

        out["models"][name]["ap"] = float(average_precision_score(y, p))
    out["total_seconds"] = time.perf_counter() - t0
    return out

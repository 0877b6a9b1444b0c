"""The §5 Monte Carlo of Soraisam et al. (2020): IND vs KDE vs Isolation Forest.

Persistent variables are the common population, transients the novelties.
Each split fits the dm-dt distributions on 2/3 of the variables; each draw
picks ``n_pool`` random transients, lets one algorithm (the *selection
scheme*) choose the ``n_inject`` least-similar of them, adds those to the
held-out third of the variables and asks every algorithm to find them.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import logsumexp
from sklearn.base import clone
from sklearn.ensemble import IsolationForest
from sklearn.impute import KNNImputer
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves
from ..novelty import DmDtNoveltyDetector, percentile_outliers

__all__ = [
    "PAPER_AUC",
    "PERSISTENT_TARGETS",
    "TRANSIENT_TARGETS",
    "NoveltyBenchmarkResult",
    "PopulationStudyResult",
    "run_population_study",
    "exact_gaussian_kde_logpdf",
    "select_plasticc",
    "summary_features",
    "run_novelty_benchmark",
]

# Soraisam et al. (2020) §5.3: AUC (%) by selection scheme and algorithm.
PAPER_AUC = {
    ("iforest", "IND"): 98.5, ("iforest", "iForest"): 98.0, ("iforest", "KDE"): 97.7,
    ("ind", "IND"): 98.7, ("ind", "iForest"): 98.0, ("ind", "KDE"): 97.8,
    ("kde", "IND"): 94.3, ("kde", "iForest"): 92.8, ("kde", "KDE"): 95.6,
}
# PLAsTiCC class codes: AGN, eclipsing binary, RR Lyrae, M-dwarf flare (Miras, 53, excluded).
PERSISTENT_TARGETS = (88, 16, 92, 65)
# Extragalactic transients (SNe Ia/Ia-91bg/Iax/II/Ibc, SLSN-I, TDE, kilonova).
TRANSIENT_TARGETS = (90, 67, 52, 42, 62, 95, 15, 64)
METHODS = ("IND", "IND-z", "KDE", "iForest", "iForest-summary")


def exact_gaussian_kde_logpdf(train, X, bandwidth):
    """Exact log-density of a Gaussian KDE (no tree approximation).

    scikit-learn's ``KernelDensity`` with tree algorithms can be off by more
    than 100 nats for far outliers (docs/contributing.rst, "Measured facts"); this evaluates
    ``log(1/n Σ_i N(x; x_i, h² I))`` with a log-sum-exp over all training
    points, in blocks.

    Parameters
    ----------
    train : ndarray of shape (n, d)
    X : ndarray of shape (m, d)
    bandwidth : float

    Returns
    -------
    ndarray of shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.experiments import exact_gaussian_kde_logpdf
    >>> float(exact_gaussian_kde_logpdf(np.zeros((1, 1)), np.array([[30.0]]), 1.0)[0])
    -450.918...
    """
    train = np.asarray(train, dtype=float)
    X = np.asarray(X, dtype=float)
    n, d = train.shape
    sq_train = np.sum(train**2, axis=1)
    out = np.empty(X.shape[0])
    norm = -np.log(n) - 0.5 * d * np.log(2 * np.pi * bandwidth**2)
    for start in range(0, X.shape[0], 2048):
        block = X[start:start + 2048]
        d2 = np.sum(block**2, axis=1)[:, None] + sq_train[None, :] - 2.0 * block @ train.T
        np.maximum(d2, 0.0, out=d2)
        out[start:start + 2048] = logsumexp(-0.5 * d2 / bandwidth**2, axis=1) + norm
    return out


def select_plasticc(lcs, *, bands=("u", "g", "r", "i", "z"), max_error=0.1, min_bands=2,
                    min_points=3, persistent=PERSISTENT_TARGETS, transients=TRANSIENT_TARGETS):
    """Apply the §5.2 selection to PLAsTiCC light curves in magnitudes.

    Keeps observations in ``bands`` with error ≤ ``max_error`` mag, then
    objects with ≥ ``min_bands`` passbands and ≥ ``min_points`` points.

    Parameters
    ----------
    lcs : LightCurves
        From :func:`skastro.datasets.load_plasticc` (meta holds ``target``).
    bands : sequence of str, default=("u", "g", "r", "i", "z")
        The paper's 5 bands (25 features).
    max_error : float, default=0.1
    min_bands, min_points : int, default=2, 3
    persistent, transients : sequence of int
        Class codes of the common population and of the novelty pool.

    Returns
    -------
    variables, transients : LightCurves
        The selected common population and novelty pool.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import select_plasticc
    >>> lcs = make_transients(n_variables=6, n_transients=3, n_epochs=5, random_state=0)
    >>> lcs = lcs.with_meta(target=np.r_[[88] * 6, [90] * 3])  # PLAsTiCC class codes
    >>> variables, transients = select_plasticc(lcs)
    >>> len(variables), len(transients), bool((variables.error <= 0.1).all())
    (6, 3, True)
    """
    keep = (np.asarray(lcs.error) <= max_error) & np.isin(np.asarray(lcs.column("band")), bands)
    counts = np.add.reduceat(keep.astype(np.int64), lcs.offsets[:-1])
    lcs = lcs[counts > 0]
    keep = (np.asarray(lcs.error) <= max_error) & np.isin(np.asarray(lcs.column("band")), bands)
    lcs = lcs.select_observations(keep)
    codes = lcs.codes("band").astype(np.int64)
    n_b = len(lcs.bands)
    present = np.zeros((len(lcs), n_b), dtype=bool)
    present[lcs.object_index, codes] = True
    ok = (present.sum(axis=1) >= min_bands) & (lcs.lengths >= min_points)
    lcs = lcs[ok]
    target = lcs.meta["target"].to_numpy()
    return lcs[np.isin(target, persistent)], lcs[np.isin(target, transients)]


def summary_features(lcs, bands):
    """Generic per-band summary features (the "no dm-dt" Isolation Forest baseline).

    Per band: number of points, mean, standard deviation, 5-95 % range and
    median absolute consecutive change; NaN where a band has no point.

    Parameters
    ----------
    lcs : LightCurves
    bands : sequence of str

    Returns
    -------
    ndarray of shape (n_objects, 5 * len(bands))

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import summary_features
    >>> lcs = make_transients(n_variables=4, n_transients=0, n_epochs=10, random_state=0)
    >>> F = summary_features(lcs, bands=("g", "r"))
    >>> F.shape, F[:, 0].tolist()  # 10 g-band points each
    ((4, 10), [10.0, 10.0, 10.0, 10.0])
    """
    band = np.asarray(lcs.column("band"))
    df = pd.DataFrame({"obj": lcs.object_index, "band": band, "m": lcs.value})
    df = df[df["band"].isin(bands)]
    df["dm"] = df.groupby(["obj", "band"], sort=False)["m"].diff().abs()
    g = df.groupby(["obj", "band"])
    table = pd.concat({
        "n": g["m"].size(), "mean": g["m"].mean(), "std": g["m"].std(ddof=0),
        "range": g["m"].quantile(0.95) - g["m"].quantile(0.05), "dm": g["dm"].median(),
    }, axis=1).unstack("band")
    cols = [(f, b) for b in bands for f in ("n", "mean", "std", "range", "dm")]
    table = table.reindex(index=np.arange(len(lcs)), columns=pd.MultiIndex.from_tuples(cols))
    return table.to_numpy(dtype=float)


@dataclass
class NoveltyBenchmarkResult:
    """What :func:`run_novelty_benchmark` returns.

    Attributes
    ----------
    auc : pandas.DataFrame
        One row per (scheme, method): ``auc_mean``, ``auc_std`` (over splits ×
        draws, per-draw AUC), ``auc_curve`` (area under the averaged ROC, as
        the paper computes it), ``paper`` (the paper's AUC, %), ``n``.
    roc : dict
        ``{(scheme, method): (fpr, tpr)}``, averaged over splits × draws at
        each percentile threshold.
    thresholds : ndarray
        Percentile thresholds (0.1-100, log-spaced, as in §5.3).
    info : dict
        Sample sizes and settings.

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import run_novelty_benchmark
    >>> var = make_transients(n_variables=60, n_transients=0, n_epochs=8, random_state=0)
    >>> tr = make_transients(n_variables=0, n_transients=20, n_epochs=8, id_prefix="t",
    ...                      random_state=1)
    >>> result = run_novelty_benchmark(var, tr, n_splits=1, n_draws=1, n_pool=20,
    ...                                schemes=("ind",), iforest_estimators=10, random_state=0)
    >>> result.info["n_train"], result.info["n_test"], result.thresholds.size
    (40, 20, 40)
    """

    auc: pd.DataFrame
    roc: dict
    thresholds: np.ndarray
    info: dict = field(default_factory=dict)


def _roc_at_percentiles(scores, y, thresholds):
    cut = np.percentile(scores, thresholds)
    flagged = scores[None, :] < cut[:, None]
    flagged[thresholds >= 100] = True
    tpr = flagged[:, y].mean(axis=1)
    fpr = flagged[:, ~y].mean(axis=1)
    return fpr, tpr


def _curve_auc(fpr, tpr):
    x = np.r_[0.0, fpr, 1.0]
    t = np.r_[0.0, tpr, 1.0]
    order = np.argsort(x, kind="stable")
    return float(np.trapezoid(t[order], x[order]))


def run_novelty_benchmark(variables, transients, *, bands=("u", "g", "r", "i", "z"),
                          detector=None, n_splits=10, n_draws=10, n_pool=1000, n_inject=5,
                          schemes=("iforest", "ind", "kde"), n_neighbors=3,
                          iforest_estimators=100, n_thresholds=40, random_state=None,
                          log=None):
    """Run the §5 Monte Carlo: IND vs KDE vs Isolation Forest (Soraisam et al. 2020).

    For each of ``n_splits`` 2:1 splits of ``variables``: the dm-dt detector
    is fitted on the training part and gives the 25 features
    ``S_f = log(L_f/<L_f>)`` of every source; missing ``S_f`` are imputed
    with ``KNNImputer(n_neighbors=3)`` (fitted on the training variables for
    the variables, on the drawn transient subsample for the transients, as
    the paper does). For each of ``n_draws`` draws of ``n_pool`` transients
    and each selection scheme, the ``n_inject`` transients least similar to
    the training variables under that scheme's algorithm are added to the
    test variables, and every algorithm scores that test set:

    - ``IND``: the paper's score S (sum of the S_f);
    - ``IND-z``: skastro's pair-count-normalised z-score;
    - ``KDE``: an exact Gaussian KDE of the standardised S_f of the training
      variables, Scott's bandwidth ``n^(-1/(d+4))``;
    - ``iForest``: ``IsolationForest`` on the S_f;
    - ``iForest-summary``: ``IsolationForest`` on generic summary features
      (:func:`summary_features`), no dm-dt.

    Parameters
    ----------
    variables, transients : LightCurves
        The common population and the novelty pool (magnitudes).
    bands : sequence of str, default=("u", "g", "r", "i", "z")
    detector : DmDtNoveltyDetector, default=None
        Template for IND (cloned; ``score`` is overridden). Default: default
        parameters with ``bands``.
    n_splits : int, default=10
    n_draws : int, default=10
        Draws per split (the paper: 1000).
    n_pool, n_inject : int, default=1000, 5
    schemes : sequence of {"iforest", "ind", "kde"}
    n_neighbors : int, default=3
    iforest_estimators : int, default=100
    n_thresholds : int, default=40
    random_state : int or None
    log : callable(str), default=None
        Progress messages.

    Returns
    -------
    NoveltyBenchmarkResult
        AUC table, averaged ROC curves and settings.

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import run_novelty_benchmark
    >>> var = make_transients(n_variables=90, n_transients=0, n_epochs=10, random_state=0)
    >>> tr = make_transients(n_variables=0, n_transients=30, n_epochs=10, id_prefix="t",
    ...                      random_state=1)
    >>> result = run_novelty_benchmark(var, tr, n_splits=1, n_draws=1, n_pool=30,
    ...                                schemes=("iforest",), iforest_estimators=20,
    ...                                random_state=0)
    >>> result.auc[["scheme", "method"]].head(3).values.tolist()
    [['iforest-selected', 'IND'], ['iforest-selected', 'IND-z'], ['iforest-selected', 'KDE']]
    >>> bool(result.auc.query("method == 'IND-z'")["auc_mean"].min() > 90)
    True
    """
    rng = check_random_state(random_state)
    unknown = set(schemes) - {"iforest", "ind", "kde"}
    if unknown:
        raise ValueError(f"schemes must be in ('iforest', 'ind', 'kde'); got {sorted(unknown)}.")
    if not isinstance(variables, LightCurves) or not isinstance(transients, LightCurves):
        raise TypeError("variables and transients must be skastro.LightCurves.")
    n_pool = min(n_pool, len(transients))
    if n_inject > n_pool:
        raise ValueError(f"n_inject ({n_inject}) must not exceed n_pool ({n_pool}).")
    template = DmDtNoveltyDetector(bands=list(bands)) if detector is None else detector
    thresholds = np.logspace(-1, 2, n_thresholds)
    summ_var = summary_features(variables, bands)
    summ_tr = summary_features(transients, bands)
    keys = [(s, m) for s in schemes for m in METHODS]
    aucs = {k: [] for k in keys}
    roc_sum = {k: np.zeros((2, thresholds.size)) for k in keys}
    n_var = len(variables)
    n_train = int(round(2 * n_var / 3))
    for split in range(n_splits):
        perm = rng.permutation(n_var)
        tr_idx, te_idx = np.sort(perm[:n_train]), np.sort(perm[n_train:])
        train, test = variables[tr_idx], variables[te_idx]
        det = clone(template).set_params(score="paper").fit(train)
        det_z = clone(template).set_params(score="zscore").fit(train)
        F_train, F_test, F_tr = det.transform(train), det.transform(test), det.transform(transients)
        ind = {"test": det.score_samples(test), "tr": np.nansum(F_tr, axis=1)}
        ind_z = {"test": det_z.score_samples(test), "tr": det_z.score_samples(transients)}
        imputer = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True).fit(F_train)
        Xtr, Xte = imputer.transform(F_train), imputer.transform(F_test)
        scaler = StandardScaler().fit(Xtr)
        Ztr = scaler.transform(Xtr)
        h = Ztr.shape[0] ** (-1.0 / (Ztr.shape[1] + 4))
        iforest = IsolationForest(n_estimators=iforest_estimators,
                                  random_state=rng.randint(2**31 - 1)).fit(Xtr)
        s_imp = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True).fit(summ_var[tr_idx])
        iforest_s = IsolationForest(n_estimators=iforest_estimators,
                                    random_state=rng.randint(2**31 - 1)).fit(
            s_imp.transform(summ_var[tr_idx]))
        test_scores = {
            "IND": ind["test"], "IND-z": ind_z["test"],
            "KDE": exact_gaussian_kde_logpdf(Ztr, scaler.transform(Xte), h),
            "iForest": iforest.score_samples(Xte),
            "iForest-summary": iforest_s.score_samples(s_imp.transform(summ_var[te_idx])),
        }
        for draw in range(n_draws):
            pool = rng.choice(len(transients), size=n_pool, replace=False)
            Fp = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True).fit_transform(
                F_tr[pool])
            Sp = KNNImputer(n_neighbors=n_neighbors, keep_empty_features=True).fit_transform(
                summ_tr[pool])
            pool_scores = {
                "IND": ind["tr"][pool], "IND-z": ind_z["tr"][pool],
                "KDE": exact_gaussian_kde_logpdf(Ztr, scaler.transform(Fp), h),
                "iForest": iforest.score_samples(Fp),
                "iForest-summary": iforest_s.score_samples(Sp),
            }
            select_by = {"iforest": "iForest", "ind": "IND", "kde": "KDE"}
            y = np.r_[np.zeros(len(test), bool), np.ones(n_inject, bool)]
            for scheme in schemes:
                chosen = np.argsort(pool_scores[select_by[scheme]], kind="stable")[:n_inject]
                for method in METHODS:
                    s = np.r_[test_scores[method], pool_scores[method][chosen]]
                    aucs[(scheme, method)].append(roc_auc_score(y, -s))
                    roc_sum[(scheme, method)] += np.array(_roc_at_percentiles(s, y, thresholds))
        if log is not None:
            log(f"split {split + 1}/{n_splits}: IND AUC so far "
                + ", ".join(f"{s}-selected {100 * np.mean(aucs[(s, 'IND')]):.1f}"
                            for s in schemes))
    n_runs = n_splits * n_draws
    roc = {k: roc_sum[k] / n_runs for k in keys}
    rows = []
    for scheme, method in keys:
        a = 100 * np.asarray(aucs[(scheme, method)])
        rows.append({
            "scheme": f"{scheme}-selected", "method": method, "auc_mean": a.mean(),
            "auc_std": a.std(ddof=1) if a.size > 1 else 0.0,
            "auc_curve": 100 * _curve_auc(*roc[(scheme, method)]),
            "paper": PAPER_AUC.get((scheme, method), np.nan), "n": a.size,
        })
    info = {"n_variables": n_var, "n_transients": len(transients), "n_train": n_train,
            "n_test": n_var - n_train, "n_splits": n_splits, "n_draws": n_draws,
            "n_pool": n_pool, "n_inject": n_inject, "bands": list(bands)}
    return NoveltyBenchmarkResult(pd.DataFrame(rows), roc, thresholds, info)


@dataclass
class PopulationStudyResult:
    """What :func:`run_population_study` returns (Soraisam et al. 2020, §3.2, Figs. 5-6).

    Attributes
    ----------
    unlabelled : ndarray of int
        Positions in ``X`` of the unlabelled sources (the sources searched).
    labelled : ndarray of int
        Positions in ``X`` of the labelled sources.
    labels : ndarray of object
        The labels of the ``labelled`` sources, in that order.
    p_all : ndarray of shape (n_objects,)
        Every source's score under P-all (the distributions built from all
        sources, the scored one included).
    p_labelled : ndarray of shape (n_iter, n_objects)
        Scores under each P-labelled iteration (built from a random
        ``train_size`` of the labelled sources); NaN for the sources that
        iteration was built from.
    flag_counts : ndarray of int, shape (n_unlabelled,)
        How many of the ``1 + n_iter`` experiments flagged each unlabelled
        source (below the ``percentile`` of the unlabelled scores).
    flagged : ndarray of bool, shape (n_unlabelled,)
        The final sample: flagged more than ``Med(x_j) - MAD`` times.
    threshold : float
        ``Med(x_j) - MAD`` over the unlabelled sources flagged at least once.
    info : dict
        Sample sizes and settings.

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import run_population_study
    >>> lcs = make_transients(n_variables=60, n_transients=2, n_epochs=10, random_state=0)
    >>> labels = [lab if i % 2 == 0 and i < 60 else None  # half the variables labelled
    ...           for i, lab in enumerate(lcs.meta["label"])]
    >>> result = run_population_study(lcs, labels, n_iter=2, random_state=0)
    >>> result.p_labelled.shape, len(result.unlabelled), len(result.labelled)
    ((2, 62), 32, 30)
    """

    unlabelled: np.ndarray
    labelled: np.ndarray
    labels: np.ndarray
    p_all: np.ndarray
    p_labelled: np.ndarray
    flag_counts: np.ndarray
    flagged: np.ndarray
    threshold: float
    info: dict = field(default_factory=dict)


def _is_missing(label):
    """None, NaN, pandas.NA or "": an unlabelled source."""
    if isinstance(label, str):
        return label == ""
    return label is None or (np.ndim(label) == 0 and bool(pd.isna(label)))


def run_population_study(X, labels, *, detector=None, n_iter=10, train_size=2 / 3,
                         percentile=2.0, strict=True, random_state=None):
    """The P-all vs P-labelled experiments of Soraisam et al. (2020, §3.2, Figs. 5-6).

    A field holds labelled sources (e.g. cross-matched with a catalogue of
    known variables) and unlabelled ones, the sources searched for novelties.

    - **P-all**: the dm-dt distributions are built from *all* sources and
      every source is scored under them (each source contributes to the
      distributions it is scored against).
    - **P-labelled**: ``n_iter`` times, the distributions are built from a
      random ``train_size`` of the labelled sources; the unlabelled sources
      and the held-out labelled ones are scored.

    In each of the ``1 + n_iter`` experiments the unlabelled sources below
    the ``percentile``-th percentile of the unlabelled scores are flagged;
    the final sample holds those flagged more than
    :math:`\\mathcal{N} = \\mathrm{Med}(x_j) - \\mathrm{MAD}(x_j)` times
    (``x_j``: flag counts of the sources flagged at least once;
    ``strict=False``: at least). Fig. 5 of the paper is the cumulative
    distribution of the unlabelled scores under both; Fig. 6 the labelled
    scores by label under P-all (all labelled) and P-labelled (the held-out
    ones of each iteration, pooled).

    Parameters
    ----------
    X : LightCurves
        All sources, in magnitudes.
    labels : array-like of shape (n_objects,)
        A label per source; None, NaN or "" for the unlabelled ones.
    detector : DmDtNoveltyDetector, default=None
        Template (cloned for every experiment). Default:
        ``DmDtNoveltyDetector.from_preset("soraisam2020", bands=None)``: the
        paper's score S on the bands of ``X``.
    n_iter : int, default=10
        P-labelled iterations (the paper: 10).
    train_size : float, default=2/3
        Fraction of the labelled sources each P-labelled iteration is built
        from (the paper: 2/3).
    percentile : float, default=2.0
        Flag below this percentile of the unlabelled scores (the paper: 2).
    strict : bool, default=True
        Keep counts strictly above ``Med - MAD`` (§3.2); False: at or above.
    random_state : int, RandomState or None, default=None

    Returns
    -------
    PopulationStudyResult

    See Also
    --------
    skastro.novelty.repeated_split_flags : The repeated-split flags alone.

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> from skastro.experiments import run_population_study
    >>> lcs = make_transients(n_variables=150, n_transients=2, n_epochs=20, random_state=1)
    >>> labels = [lab if i < 100 else None for i, lab in enumerate(lcs.meta["label"])]
    >>> result = run_population_study(lcs, labels, n_iter=5, random_state=0)
    >>> result.flag_counts[-2:], result.threshold  # the two transients: flagged 6 times of 6
    (array([6, 6]), 6.0)
    >>> int(result.flagged.sum())  # §3.2's "more than N" keeps none when all counts tie
    0
    >>> result = run_population_study(lcs, labels, n_iter=5, strict=False, random_state=0)
    >>> [int(i) for i in result.unlabelled[result.flagged]]
    [150, 151]
    """
    if not isinstance(X, LightCurves):
        raise TypeError(f"run_population_study: X must be a skastro.LightCurves; got "
                        f"{type(X).__name__}.")
    labels = np.asarray(list(labels), dtype=object)
    if labels.shape != (len(X),):
        raise ValueError(f"run_population_study: labels must have one entry per light curve "
                         f"({len(X)}); got shape {labels.shape}.")
    if int(n_iter) != n_iter or n_iter < 1:
        raise ValueError(f"run_population_study: n_iter must be an integer >= 1; got {n_iter!r}.")
    if not 0 < train_size < 1:
        raise ValueError(f"run_population_study: train_size must be in (0, 1); got "
                         f"{train_size!r}.")
    missing = np.array([_is_missing(v) for v in labels], dtype=bool)
    labelled, unlabelled = np.flatnonzero(~missing), np.flatnonzero(missing)
    n_train = int(round(train_size * labelled.size))
    if unlabelled.size == 0 or n_train < 1 or n_train == labelled.size:
        raise ValueError(
            f"run_population_study: need unlabelled sources and enough labelled ones to split "
            f"{train_size:.2f}/{1 - train_size:.2f}; got {unlabelled.size} unlabelled and "
            f"{labelled.size} labelled.")
    rng = check_random_state(random_state)
    template = (DmDtNoveltyDetector.from_preset("soraisam2020", bands=None)
                if detector is None else detector)
    p_all = clone(template).fit(X).score_samples(X)
    counts = percentile_outliers(p_all[unlabelled], percentile).astype(int)
    p_labelled = np.full((int(n_iter), len(X)), np.nan)
    for i in range(int(n_iter)):
        train = np.sort(rng.choice(labelled, size=n_train, replace=False))
        scored = np.setdiff1d(np.arange(len(X)), train)
        p_labelled[i, scored] = clone(template).fit(X[train]).score_samples(X[scored])
        counts += percentile_outliers(p_labelled[i, unlabelled], percentile)
    x = counts[counts > 0]
    threshold = 0.0
    if x.size:
        med = float(np.median(x))
        threshold = med - float(np.median(np.abs(x - med)))
    flagged = (counts > threshold) if strict else (counts >= threshold) & (counts > 0)
    info = {"n_objects": len(X), "n_labelled": int(labelled.size),
            "n_unlabelled": int(unlabelled.size), "n_train": n_train, "n_iter": int(n_iter),
            "percentile": percentile, "strict": strict}
    return PopulationStudyResult(unlabelled, labelled, labels[labelled], p_all, p_labelled,
                                 counts, flagged, threshold, info)

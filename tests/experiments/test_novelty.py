"""Tests of the §5 benchmark harness, the exact KDE and the transient simulator."""

import numpy as np
import pytest
from sklearn.neighbors import KernelDensity

from skastro.datasets import make_transients
from skastro.experiments import (
    PAPER_AUC,
    exact_gaussian_kde_logpdf,
    run_novelty_benchmark,
    select_plasticc,
    summary_features,
)


def test_exact_kde_matches_direct_sum_and_sklearn_near_the_data():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(300, 4))
    near = rng.normal(size=(20, 4))
    far = near + 40.0
    h = 0.7
    ours = exact_gaussian_kde_logpdf(train, np.vstack([near, far]), h)
    d2 = ((np.vstack([near, far])[:, None, :] - train[None]) ** 2).sum(-1)
    direct = np.log(np.exp(-0.5 * d2[:20] / h**2).sum(1) / 300 / (2 * np.pi * h**2) ** 2)
    np.testing.assert_allclose(ours[:20], direct, rtol=1e-10)
    # far away the density underflows in a direct sum; the log-sum-exp stays exact
    nearest = d2[20:].min(axis=1)
    assert np.all(ours[20:] <= -0.5 * nearest / h**2 - np.log(300) - 2 * np.log(2 * np.pi * h**2)
                  + np.log(300) + 1e-9)
    assert np.all(ours[20:] >= -0.5 * nearest / h**2 - np.log(300)
                  - 2 * np.log(2 * np.pi * h**2) - 1e-9)
    sk = KernelDensity(bandwidth=h).fit(train).score_samples(near)
    np.testing.assert_allclose(ours[:20], sk, atol=1e-6)


def test_make_transients_is_seeded_and_labelled():
    a = make_transients(n_variables=30, n_transients=5, random_state=4)
    b = make_transients(n_variables=30, n_transients=5, random_state=4)
    assert a.equals(b)
    assert a.meta["is_transient"].sum() == 5 and len(a) == 35
    assert set(a.meta["label"][:30]) <= {"RR Lyrae", "eclipsing binary", "AGN", "M-dwarf flare"}
    assert (a.lengths >= 3).all() and a.value_kind == "mag"
    with pytest.raises(ValueError, match="bands"):
        make_transients(bands=("q",))
    with pytest.raises(ValueError, match="n_epochs"):
        make_transients(n_epochs=(5, 2))


def test_summary_features_shape_and_missing_bands():
    lcs = make_transients(n_variables=10, n_transients=0, bands=("g", "r"), random_state=0)
    F = summary_features(lcs, bands=("u", "g", "r"))
    assert F.shape == (10, 15)
    assert np.isnan(F[:, :5]).all() and np.isfinite(F[:, 5:]).all()
    n_g = np.array([np.sum(np.asarray(lcs[i].column("band")) == "g") for i in range(10)])
    np.testing.assert_array_equal(F[:, 5], n_g)


def test_benchmark_harness_on_simulated_field():
    variables = make_transients(n_variables=240, n_transients=0, n_epochs=(8, 20),
                                id_prefix="v", random_state=0)
    transients = make_transients(n_variables=0, n_transients=80, n_epochs=(8, 20),
                                 id_prefix="t", random_state=1)
    res = run_novelty_benchmark(variables, transients, n_splits=2, n_draws=2, n_pool=60,
                                random_state=0)
    assert len(res.auc) == 3 * 5
    assert res.auc["n"].eq(4).all()
    assert res.auc["auc_mean"].between(0, 100).all()
    ind = res.auc[res.auc.method == "IND"]
    assert (ind["auc_mean"] > 90).all()  # SN-like transients are easy novelties here
    assert res.auc["paper"].notna().sum() == len(PAPER_AUC)
    fpr, tpr = res.roc[("kde", "KDE")]
    assert fpr.shape == tpr.shape == res.thresholds.shape
    assert np.all(np.diff(fpr) >= 0) and tpr[-1] == 1.0
    again = run_novelty_benchmark(variables, transients, n_splits=2, n_draws=2, n_pool=60,
                                  random_state=0)
    np.testing.assert_array_equal(res.auc["auc_mean"], again.auc["auc_mean"])
    with pytest.raises(ValueError, match="schemes"):
        run_novelty_benchmark(variables, transients, schemes=("svm",))


@pytest.mark.data
def test_select_plasticc_on_real_data(data_dir):
    from skastro.datasets import load_plasticc

    lcs = load_plasticc(data_dir)
    variables, transients = select_plasticc(lcs)
    assert set(variables.meta["target"]) == {88, 16, 92, 65}  # Miras (53) excluded
    assert 6 not in set(transients.meta["target"]) and 53 not in set(transients.meta["target"])
    for part in (variables, transients):
        assert (np.asarray(part.error) <= 0.1).all()
        assert (part.lengths >= 3).all()
        assert set(np.unique(np.asarray(part.column("band")))) <= set("ugriz")
    assert len(variables) > 1000 and len(transients) > 1000

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from skastro.followup import InfoGainFollowupSelector, entropy, strategy_scores

# Expected failures of scikit-learn's checks, each with its reason.
EXPECTED_FAILED_CHECKS = {
    "check_estimators_pickle": (
        "allow_nan is declared because NaN marks a missing x_s, but this check also puts NaN "
        "into the cheap columns x_t, which the selector rejects by design."
    ),
}


def _small(**kw):
    params = dict(
        classifier_t=RandomForestClassifier(5, random_state=0), n_draws=3, max_iter=50, random_state=0
    )
    params.update(kw)
    return InfoGainFollowupSelector(**params)


@parametrize_with_checks([_small()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_checks(estimator, check):
    check(estimator)


def make_problem(n=400, seed=0, informative_s=True):
    """x_t weakly informative; x_s decisive (or pure noise)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x_t = rng.normal(size=(n, 2)) + 0.6 * y[:, None]
    x_s = rng.normal(size=(n, 1)) + (3.0 * y[:, None] if informative_s else 0.0)
    return np.hstack([x_t, x_s]), y


def fitted(X, y, **kw):
    params = dict(
        expensive_features=[2],
        classifier_t=RandomForestClassifier(30, min_samples_leaf=5, random_state=0),
        n_draws=40,
        random_state=0,
    )
    params.update(kw)
    return InfoGainFollowupSelector(**params).fit(X, y)


def hide(X, cols=(2,)):
    X = X.copy()
    X[:, list(cols)] = np.nan
    return X


def test_entropy():
    assert entropy([1.0, 0.0]) == 0.0
    np.testing.assert_allclose(entropy([[0.5, 0.5], [0.25, 0.75]]), [np.log(2), -(0.25 * np.log(0.25) + 0.75 * np.log(0.75))])


def test_conditional_is_exact_gaussian_conditioning():
    X, y = make_problem(300)
    sel = fitted(X, y)
    weights, means, chol = sel.conditional_params(X[:5])
    mix = sel.mixture_
    zt = (X[:5, :2] - sel._mean[:2]) / sel._scale[:2]
    for i in range(5):
        logw = np.array([
            np.log(mix.weights_[k]) + multivariate_normal(mix.means_[k, :2], mix.covariances_[k][:2, :2]).logpdf(zt[i])
            for k in range(mix.n_components)
        ])
        np.testing.assert_allclose(weights[i], np.exp(logw - logw.max()) / np.exp(logw - logw.max()).sum(), atol=1e-10)
        for k in range(mix.n_components):
            S = mix.covariances_[k]
            mu = mix.means_[k, 2:] + S[2:, :2] @ np.linalg.solve(S[:2, :2], zt[i] - mix.means_[k, :2])
            cov = S[2:, 2:] - S[2:, :2] @ np.linalg.solve(S[:2, :2], S[:2, 2:])
            np.testing.assert_allclose(means[i, k], mu, atol=1e-10)
            np.testing.assert_allclose(chol[k] @ chol[k].T, cov, atol=1e-10)


def test_samples_follow_the_analytic_conditional():
    # One Gaussian component: x_s | x_t ~ N(rho x_t, 1 - rho^2) in standard units.
    rng = np.random.default_rng(1)
    rho = 0.8
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=3000)
    y = (z[:, 0] > 0).astype(int)
    sel = fitted(z, y, expensive_features=1, n_components=1, n_draws=4000,
                 classifier_t=RandomForestClassifier(5, random_state=0))
    x_t = np.array([[1.0, np.nan]])
    draws = sel.sample_expensive(x_t)[0, :, 0]
    m, s = sel._mean, sel._scale
    expected_mean = m[1] + s[1] * rho * (1.0 - m[0]) / s[0]
    assert abs(draws.mean() - expected_mean) < 0.05
    assert abs(draws.std() - np.sqrt(1 - rho**2)) < 0.05


def test_vectorized_and_loop_give_identical_results():
    X, y = make_problem(200)
    sel = fitted(X, y, n_draws=15)
    Xn = hide(X[:40])
    fast = sel.followup_metrics(Xn)
    loop = sel.followup_metrics(Xn, method="loop")
    np.testing.assert_allclose(fast["IG"], loop["IG"], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fast["delta_y"], loop["delta_y"])
    np.testing.assert_array_equal(fast["l_ts_mode"], loop["l_ts_mode"])
    # an object's draws do not depend on how many objects follow it
    head = sel.followup_metrics(Xn[:10], method="loop")
    np.testing.assert_allclose(head["IG"], fast["IG"][:10], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="method"):
        sel.followup_metrics(Xn, method="fast")


def test_information_gain_tracks_how_informative_x_s_is():
    X, y = make_problem(500)
    Xn = hide(X)
    ig_useful = fitted(X, y).followup_metrics(Xn)["IG"].mean()
    Xr, yr = make_problem(500, informative_s=False)
    ig_noise = fitted(Xr, yr).followup_metrics(hide(Xr))["IG"].mean()
    assert ig_useful > 0.3
    assert ig_useful > ig_noise + 0.2


def test_metrics_columns_and_ideal_values():
    X, y = make_problem(300)
    sel = fitted(X, y)
    m = sel.followup_metrics(X)  # x_s present: the ideal IG is available
    assert list(m.columns) == ["H_t", "H_ts_mean", "IG", "l_t", "l_ts_mode", "delta_y", "H_s", "H_ts_true",
                               "IG_true"]
    np.testing.assert_allclose(m["IG"], m["H_t"] - m["H_ts_mean"])
    p_ts = sel.classifier_ts_.predict_proba(X)
    np.testing.assert_allclose(m["H_ts_true"], entropy(p_ts))
    assert set(m["delta_y"]) <= {0, 1}
    np.testing.assert_array_equal(m["delta_y"], (m["l_t"] != m["l_ts_mode"]).astype(int))
    # estimated metrics ignore the true x_s
    m2 = sel.followup_metrics(hide(X))
    np.testing.assert_allclose(m["IG"], m2["IG"])
    assert m2["IG_true"].isna().all()


def test_strategies():
    X, y = make_problem(300)
    Xn = hide(X)
    sel = fitted(X, y)
    m = sel.followup_metrics(Xn)
    for strategy in ("ig+dy", "entropy+dy"):
        order = clone(sel).set_params(strategy=strategy).fit(X, y).select(Xn, len(X))
        k = int(m["delta_y"].sum())
        assert k > 0
        assert m["delta_y"].to_numpy()[order[:k]].all()
        key = "IG" if strategy == "ig+dy" else "H_t"
        within = m[key].to_numpy()[order[:k]]
        assert np.all(np.diff(within) <= 1e-12)
    ent = sel.set_params(strategy="entropy")
    np.testing.assert_allclose(ent.priority_scores(Xn), m["H_t"])
    rand = clone(sel).set_params(strategy="random").fit(X, y)
    np.testing.assert_array_equal(rand.select(Xn, 10), rand.select(Xn, 10))
    ideal = clone(sel).set_params(strategy="ideal").fit(X, y)
    np.testing.assert_allclose(ideal.priority_scores(X), m["H_t"] - entropy(sel.classifier_ts_.predict_proba(X)))
    with pytest.raises(ValueError, match="true expensive features"):
        ideal.priority_scores(Xn)
    with pytest.raises(ValueError, match="n_select"):
        sel.select(Xn, len(X) + 1)
    with pytest.raises(ValueError, match="strategy"):
        strategy_scores(m, "best", 3)


def test_predict_uses_p_ts_where_x_s_present_else_p_t():
    X, y = make_problem(300)
    sel = fitted(X, y)
    Xm = X.copy()
    Xm[::2, 2] = np.nan
    proba = sel.predict_proba(Xm)
    np.testing.assert_allclose(proba[1::2], sel.classifier_ts_.predict_proba(X[1::2]))
    np.testing.assert_allclose(proba[::2], sel.classifier_t_.predict_proba(X[::2, :2]))
    # spectra make predictions better
    assert (sel.predict(X) == y).mean() > (sel.predict(hide(X)) == y).mean() + 0.15


def test_dataframe_names_any_classifier_and_no_mutation():
    X, y = make_problem(200)
    df = pd.DataFrame(X, columns=["period", "amp", "mu0"])
    template = LogisticRegression()
    sel = InfoGainFollowupSelector("mu0", classifier_t=template, n_draws=10, random_state=0).fit(df, y)
    assert not hasattr(template, "coef_")  # cloned, not fitted in place
    np.testing.assert_array_equal(sel.cheap_indices_, [0, 1])
    assert sel.select(df.assign(mu0=np.nan), 5).shape == (5,)
    m = sel.followup_metrics(df.set_axis(np.arange(200) + 1000))
    assert m.index[0] == 1000
    with pytest.raises(ValueError, match="no column named 'mu9'"):
        InfoGainFollowupSelector("mu9").fit(df, y)
    with pytest.raises(ValueError, match="no column names"):
        InfoGainFollowupSelector("mu0").fit(X, y)
    with pytest.raises(ValueError, match="out of range"):
        InfoGainFollowupSelector(7).fit(X, y)
    with pytest.raises(ValueError, match="no cheap column"):
        InfoGainFollowupSelector([0, 1, 2]).fit(X, y)


def test_bad_nan_patterns():
    X, y = make_problem(100)
    X4 = np.hstack([X, X[:, 2:]])
    X4[0, 3] = np.nan  # one of two expensive columns missing
    with pytest.raises(ValueError, match="all present or all NaN"):
        InfoGainFollowupSelector([2, 3]).fit(X4, y)
    with pytest.raises(ValueError, match="at least 2 rows"):
        InfoGainFollowupSelector([2]).fit(hide(X), y)
    Xb = X.copy()
    Xb[3, 0] = np.nan
    with pytest.raises(ValueError, match="cheap features"):
        InfoGainFollowupSelector([2]).fit(Xb, y)
    Xb[3, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        InfoGainFollowupSelector([2]).fit(Xb, y)


def test_rows_without_x_s_are_ignored_at_fit():
    X, y = make_problem(300)
    Xm = X.copy()
    Xm[200:, 2] = np.nan
    a = fitted(Xm, y)
    b = fitted(X[:200], y[:200])
    assert a.n_fit_rows_ == 200
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.data
def test_css_features_give_a_useful_ranking(data_dir):
    from skastro.followup import evaluate_strategies
    from skastro.experiments import CSS_CHEAP, CSS_EXPENSIVE, load_css_followup

    X, y = load_css_followup(data_dir)
    assert list(X.columns) == CSS_CHEAP + CSS_EXPENSIVE
    assert len(y) > 2500 and set(y) == {"EW", "EA", "RRab", "RRc", "RRd", "RS CVn"}
    sel = InfoGainFollowupSelector(
        CSS_EXPENSIVE, classifier_t=RandomForestClassifier(30, random_state=0), n_draws=20, random_state=0
    )
    res = evaluate_strategies(sel, X, y, subset_sizes=[130], cv=3, strategies=["random", "entropy+dy"], random_state=0)
    corr = res.set_index("strategy")["correction_ratio"]
    assert corr["entropy+dy"] > corr["random"] + 0.15


# ------------------------------------------------------------- paper preset (issue 16)
def test_astudillo2020_preset():
    from skastro.followup import PRESETS

    sel = InfoGainFollowupSelector.from_preset("astudillo2020", expensive_features=["mu2", "mu5"])
    assert sel.n_draws == 200 and sel.n_components is None and sel.strategy == "ig+dy"
    assert sel.expensive_features == ["mu2", "mu5"]
    assert {k: sel.get_params()[k] for k in PRESETS["astudillo2020"]} == PRESETS["astudillo2020"]
    # overrides win; other parameters pass through
    sel = InfoGainFollowupSelector.from_preset("astudillo2020", n_draws=20, random_state=3)
    assert (sel.n_draws, sel.random_state) == (20, 3)
    with pytest.raises(ValueError, match="Unknown preset 'astudillo'.*astudillo2020"):
        InfoGainFollowupSelector.from_preset("astudillo")


# ------------------------------------------- Fig. 5: entropy of the sampled spectra (issue 16)
def test_spectrum_entropy_by_hand():
    """Three draws z = 0, 1, 2 of a standard normal: p ∝ (1, e^-1/2, e^-2)."""
    q = np.exp(-0.5 * np.array([0.0, 1.0, 4.0]))
    p = q / q.sum()
    expected = -(p * np.log(p)).sum()  # p = (0.574, 0.348, 0.078)
    zs = np.array([0.0, 1.0, 2.0]).reshape(1, 3, 1)
    h = InfoGainFollowupSelector._sample_entropy(zs, np.ones((1, 1)), np.zeros((1, 1, 1)), np.ones((1, 1, 1)))
    assert h == pytest.approx([expected], abs=1e-12)
    assert expected == pytest.approx(0.8845, abs=1e-4)
    # a component of weight 0 changes nothing; a scaled covariance changes nothing (units cancel)
    w2 = np.array([[1.0, 0.0]])
    m2 = np.zeros((1, 2, 1))
    c2 = np.array([[[1.0]], [[5.0]]])
    assert InfoGainFollowupSelector._sample_entropy(zs, w2, m2, c2) == pytest.approx([expected], abs=1e-12)
    assert InfoGainFollowupSelector._sample_entropy(3 * zs, np.ones((1, 1)), np.zeros((1, 1, 1)),
                                                    3 * np.ones((1, 1, 1))) == pytest.approx([expected])


def test_spectrum_entropy_is_the_entropy_of_the_draws_weighted_by_q():
    """H_s against scipy: each draw's density under the mixture conditional, normalised over the draws."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    X = np.hstack([rng.normal(size=(200, 2)) + y[:, None], rng.normal(size=(200, 2)) + 2.0 * y[:, None]])
    sel = InfoGainFollowupSelector([2, 3], n_components=2, n_draws=5, random_state=0,
                                   classifier_t=RandomForestClassifier(5, random_state=0)).fit(X, y)
    Xq = hide(X[:4], cols=(2, 3))
    h = sel.followup_metrics(Xq)["H_s"].to_numpy()
    draws = sel.sample_expensive(Xq)  # the same draws (same seed)
    weights, means, chol = sel.conditional_params(Xq)
    z = (draws - sel._mean[2:]) / sel._scale[2:]
    for i in range(4):
        q = sum(weights[i, k] * multivariate_normal(means[i, k], chol[k] @ chol[k].T).pdf(z[i])
                for k in range(weights.shape[1]))
        p = q / q.sum()
        assert h[i] == pytest.approx(-(p * np.log(p)).sum(), rel=1e-9)
    assert np.all((h >= 0) & (h <= np.log(5) + 1e-12))
    # one draw: a single certain outcome
    one = clone(sel).set_params(n_draws=1).fit(X, y).followup_metrics(Xq)["H_s"]
    np.testing.assert_allclose(one, 0.0, atol=1e-12)


@pytest.mark.parametrize("rows", ["identical", "proportional"])
def test_degenerate_mixture_is_a_clear_error(rows):
    # issue 17 fuzzing: sklearn's mixture error (or a LinAlgError from the Cholesky
    # factorisation) named neither this estimator nor reg_covar
    rng = np.random.default_rng(0)
    a = rng.normal(size=20)
    X = np.tile([[1.0, 2.0, 3.0]], (20, 1)) if rows == "identical" else np.c_[a, 2 * a, 3 * a]
    y = np.array([0, 1] * 10)
    sel = InfoGainFollowupSelector(expensive_features=[2], reg_covar=0.0, random_state=0)
    with pytest.raises(ValueError, match=r"InfoGainFollowupSelector: the Gaussian mixture over the "
                                         r"20 training rows is degenerate .* reg_covar=0.0 and "
                                         r"n_components=2; raise reg_covar"):
        sel.fit(X, y)
    assert sel.set_params(reg_covar=1e-6).fit(X, y).n_fit_rows_ == 20  # the default copes

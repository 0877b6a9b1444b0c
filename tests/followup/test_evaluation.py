import matplotlib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier

from skastro.datasets import make_followup_survey
from skastro.followup import (
    InfoGainFollowupSelector,
    evaluate_strategies,
    plot_gtp_vs_uncertainty,
    plot_strategies,
    select_feature_subset,
)

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def survey_xy():
    """Simulated survey with quick spectral features (temperature, metallicity + noise)."""
    s = make_followup_survey(900, n_wavelengths=60, random_state=0)
    X = s.features.copy()
    X["PeriodLS"] = np.log10(X["PeriodLS"])
    rng = np.random.default_rng(0)
    X["x_s0"] = (s.params["temperature"] - 6500) / 800 + 0.2 * rng.standard_normal(len(X))
    X["x_s1"] = s.params["metallicity"] + 0.2 * rng.standard_normal(len(X))
    return X, s.y


def test_strategies_on_a_survey_with_known_structure(survey_xy):
    X, y = survey_xy
    sel = InfoGainFollowupSelector(
        ["x_s0", "x_s1"],
        classifier_t=RandomForestClassifier(40, min_samples_leaf=2, random_state=0),
        n_draws=30,
        random_state=0,
    )
    sizes = [9, 27, 45]  # 1 %, 3 %, 5 %
    res, met = evaluate_strategies(sel, X, y, subset_sizes=sizes, cv=3, random_state=0, return_metrics=True)
    assert res.shape == (6 * 3, 8)
    acc = res.pivot(index="s", columns="strategy", values="accuracy_improvement")
    for s in sizes:
        for ours in ("ig+dy", "entropy+dy"):
            assert acc.loc[s, ours] > acc.loc[s, "random"]
            assert acc.loc[s, ours] >= acc.loc[s, "entropy"]
    # EW/RRc confusion is resolved by spectra; RRab is clear from photometry.
    met["y"] = y
    ig = met.groupby("y")["IG"].mean()
    assert ig["EW"] > ig["RRab"] + 0.2 and ig["RRc"] > ig["RRab"] + 0.2
    # overall accuracy rises with s and the random strategy is flat in GTP gain
    over = res[res.strategy == "entropy+dy"]["overall_accuracy"].to_numpy()
    assert np.all(np.diff(over) >= -1e-12)
    fig = plot_strategies(res, title="survey")
    assert len(fig.axes) == 5
    # Fig. 5: one point per object, red stars where IG > 0, x = H_s (not H_ts_mean)
    fig = plot_gtp_vs_uncertainty(met)
    stars, dots = fig.axes[0].collections[1], fig.axes[0].collections[0]
    assert len(stars.get_offsets()) == int((met["IG"] > 0).sum())
    assert len(stars.get_offsets()) + len(dots.get_offsets()) == len(y)
    np.testing.assert_allclose(np.sort(stars.get_offsets()[:, 0]), np.sort(met.loc[met["IG"] > 0, "H_s"]))
    assert np.all((met["H_s"] >= 0) & (met["H_s"] <= np.log(30) + 1e-12))
    with pytest.raises(ValueError, match="missing columns \\['H_s'\\]"):
        plot_gtp_vs_uncertainty(met.drop(columns="H_s"))


def test_reproduce_key_figures_read_the_strategy_table_at_five_percent(survey_xy, tmp_path):
    from skastro.reproduce import Context
    from skastro.reproduce._followup import KEY_CORRECTED, KEY_GTP, KEY_NEVER_BELOW, _record_key_figures

    X, y = survey_xy
    sel = InfoGainFollowupSelector(["x_s0", "x_s1"], n_draws=10, random_state=0)
    res = evaluate_strategies(sel, X, y, subset_sizes=[9, 45, 90], cv=2, random_state=0)
    ctx = Context(out_dir=tmp_path, data_dir=None, full=False, random_state=0)
    _record_key_figures(ctx, res, len(y), "sim")
    at_45 = res[res.s == 45].set_index("strategy")   # 5 % of 900
    gtp = ctx.keys[KEY_GTP.format(label="sim")].split(" / ")
    assert gtp == [f"{at_45.loc[st, 'gtp_improvement']:.2f}" for st in ("ig+dy", "entropy", "random")]
    corrected = ctx.keys[KEY_CORRECTED.format(label="sim")].split(" / ")
    assert corrected == [f"{at_45.loc[st, 'correction_ratio']:.2f}" for st in ("entropy+dy", "entropy", "random")]
    assert ctx.keys[KEY_NEVER_BELOW.format(label="sim")] in ("yes", "no")


def test_evaluate_strategies_bad_input(survey_xy):
    X, y = survey_xy
    sel = InfoGainFollowupSelector(["x_s0", "x_s1"], n_draws=5,
                                   classifier_t=RandomForestClassifier(5, random_state=0)).fit(X, y)
    with pytest.raises(ValueError, match="subset_sizes"):
        evaluate_strategies(sel, X, y, subset_sizes=[0, 5])
    with pytest.raises(ValueError, match="strategies"):
        evaluate_strategies(sel, X, y, subset_sizes=[5], strategies=["best"])
    with pytest.raises(ValueError, match="class labels"):
        evaluate_strategies(sel, X, np.linspace(0, 1, len(y)), subset_sizes=[5])


def test_select_feature_subset():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 300)
    X = rng.normal(size=(300, 6))
    X[:, 4] += 4.0 * (y == 0)  # separates class 0
    X[:, 1] += 4.0 * (y == 1)  # separates class 1 from 2
    res = select_feature_subset(X, y, RandomForestClassifier(20, random_state=0), cv=3, random_state=0)
    assert sorted(res.features) == [1, 4]
    assert sorted(res.order[:2]) == [1, 4]
    assert res.scores.max() == res.best and res.fraction_of_improvement >= 0.9
    with pytest.raises(ValueError, match="threshold"):
        select_feature_subset(X, y, threshold=1.5)
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        select_feature_subset(X, y)


def test_simulated_followup_features_pipeline():
    from skastro.experiments import simulated_followup_features

    logs = []
    sim = simulated_followup_features(
        n_objects=400, n_spectra=150, n_wavelengths=60, dims=(2, 3),
        vae_params=dict(max_epochs=3), subset_estimator=RandomForestClassifier(10, random_state=0),
        random_state=0, log=logs.append,
    )
    assert sim.latent.latent_dim in (2, 3)
    assert sim.expensive and all(c.startswith("mu") for c in sim.expensive)
    assert list(sim.X.columns) == sim.cheap + sim.expensive
    assert len(sim.X) == len(sim.y) == 400 and np.isfinite(sim.X.to_numpy()).all()
    assert len(logs) == 2


def test_simulated_followup_features_paper_mode_uses_the_common_grid():
    """§6.4: spectra with their own coverage, the 99 % grid, short ones dismissed, the VAE preset."""
    from skastro.experiments import simulated_followup_features

    logs = []
    sim = simulated_followup_features(
        n_objects=200, n_spectra=100, n_wavelengths=200, dims=(2,),
        vae_params=dict(max_epochs=2, kl_anneal_epochs=2), subset_estimator=RandomForestClassifier(3, random_state=0),
        random_state=0, log=logs.append, paper=True,
    )
    grid = sim.wavelength
    # 99 % of the starts (3,650-3,850 Å, on 27 Å pixels) lie below the grid's start; 99 % of the
    # ends (9,150-9,350 Å) above its end
    assert 3820 < grid[0] < 3880 and 9120 < grid[-1] < 9180
    # (at most the 1 % latest starts and 1 % earliest ends, here 0-2 spectra, are dismissed)
    assert sum(sim.n_dismissed) < 0.1 * 300 and len(sim.y) == 200 - sim.n_dismissed[1]
    assert len(sim.X) == len(sim.y) and np.isfinite(sim.X.to_numpy()).all()
    assert sim.test_spectra.shape[1] == grid.size and np.isfinite(sim.test_spectra).all()
    est = sim.latent.estimator
    assert (est.max_epochs, est.n_hidden) == (2, 3) and est.n_features_in_ == grid.size
    assert "common grid" in logs[0]

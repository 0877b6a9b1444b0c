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
    # the --paper key figure: the paper's S (IND) with the preset, the z-score (IND-z) without
    from skastro.reproduce import Context
    from skastro.reproduce._novelty import KEY_SIM_AUC, _record_auc

    for paper, method in ((True, "IND"), (False, "IND-z")):
        ctx = Context(out_dir=None, data_dir=None, full=False, random_state=0, paper=paper)
        _record_auc(ctx, KEY_SIM_AUC, res)
        auc = res.auc.set_index(["scheme", "method"]).loc[("iforest-selected", method), "auc_mean"]
        assert ctx.keys[KEY_SIM_AUC].startswith(f"{auc:.1f} ± ")
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


# ------------------------------------------------- §3.2: P-all vs P-labelled (Figs. 5-6)
@pytest.fixture(scope="module")
def labelled_field():
    lcs = make_transients(n_variables=240, n_transients=3, n_epochs=(10, 20), random_state=5)
    labels = [lab if i < 160 else None for i, lab in enumerate(lcs.meta["label"])]
    return lcs, labels


def test_population_study_follows_section_3_2(labelled_field):
    from skastro.experiments import run_population_study
    from skastro.novelty import DmDtNoveltyDetector

    lcs, labels = labelled_field
    values, saved = lcs.value.copy(), list(labels)
    r = run_population_study(lcs, labels, n_iter=3, random_state=0)
    assert saved == labels and np.array_equal(lcs.value, values)  # inputs untouched
    np.testing.assert_array_equal(r.labelled, np.arange(160))
    np.testing.assert_array_equal(r.unlabelled, np.arange(160, 243))
    # P-all: the paper's S under distributions built from every source
    paper = DmDtNoveltyDetector.from_preset("soraisam2020", bands=None)
    np.testing.assert_allclose(r.p_all, paper.fit(lcs).score_samples(lcs))
    for row in r.p_labelled:
        # P-labelled: built from 2/3 of the labelled sources, the rest scored
        train = np.flatnonzero(np.isnan(row))
        assert train.size == round(2 / 3 * 160) and set(train) <= set(r.labelled)
        rest = np.flatnonzero(~np.isnan(row))
        np.testing.assert_allclose(
            row[rest], paper.fit(lcs[train]).score_samples(lcs[rest]))
    # flags: below the 2nd percentile of the unlabelled scores, in each of 1 + 3 experiments
    from skastro.novelty import percentile_outliers

    expected = sum(percentile_outliers(s[r.unlabelled], 2.0)
                   for s in (r.p_all, *r.p_labelled))
    np.testing.assert_array_equal(r.flag_counts, expected)
    x = r.flag_counts[r.flag_counts > 0]
    assert r.threshold == np.median(x) - np.median(np.abs(x - np.median(x)))
    np.testing.assert_array_equal(r.flagged, r.flag_counts > r.threshold)
    assert r.flag_counts[-3:].max() == 4  # a transient flagged in every experiment


def test_population_study_bad_input(labelled_field):
    from skastro.experiments import run_population_study

    lcs, labels = labelled_field
    with pytest.raises(TypeError, match="run_population_study.*LightCurves"):
        run_population_study(np.zeros((3, 3)), labels)
    with pytest.raises(ValueError, match="one entry per light curve"):
        run_population_study(lcs, labels[:-1])
    with pytest.raises(ValueError, match="unlabelled"):
        run_population_study(lcs, ["x"] * len(lcs))
    with pytest.raises(ValueError, match="n_iter"):
        run_population_study(lcs, labels, n_iter=0)
    with pytest.raises(ValueError, match="train_size"):
        run_population_study(lcs, labels, train_size=1.0)
    # NaN, pandas.NA and "" mark unlabelled sources as None does
    import pandas as pd

    other = [lab if lab is not None else [np.nan, pd.NA, ""][i % 3]
             for i, lab in enumerate(labels)]
    a = run_population_study(lcs, other, n_iter=1, random_state=0)
    np.testing.assert_array_equal(a.unlabelled, np.arange(160, 243))


@pytest.mark.parametrize("paper", [False, True])
def test_reproduce_writes_figures_1_5_6_7(tmp_path, paper):
    from skastro.reproduce import Context
    from skastro.reproduce._novelty import population_study

    ctx = Context(out_dir=tmp_path, data_dir=None, full=False, random_state=0, verbose=False,
                  paper=paper)
    rows = population_study(ctx, n_variables=40, n_iter=1)
    for k in (1, 5, 6, 7):
        assert (tmp_path / f"population_fig{k}.png").stat().st_size > 10_000
    by_name = {r.quantity: r for r in rows}
    assert "P-all" in rows[2].quantity and "transients" in rows[3].ours
    fig7 = next(r for r in rows if r.quantity.startswith("Fig. 7"))
    # Fig. 7 shows the final sample of the section's configuration, and says which
    assert ("soraisam2020" in fig7.note) is paper
    # the key figures of --paper's side-by-side table: the configuration's final sample
    from skastro.reproduce._novelty import KEY_FIG7, KEY_FINAL

    assert ctx.keys[KEY_FIG7].split(" (")[0] == fig7.ours.split(" at ")[0]
    final = next(r for r in rows if r.quantity.startswith("§3.2 final sample") and
                 (('zscore' in r.quantity) is (not paper)))
    assert ctx.keys[KEY_FINAL].startswith(final.ours.split(" sources")[0] + " of "), ctx.keys
    # an empty final sample: Fig. 7 shows the ties, and its key figure says so
    assert ("of the ties" in ctx.keys[KEY_FIG7]) == final.ours.startswith("0 sources")
    assert "u" in by_name["Fig. 1: median observations per source and band, simulated field"].ours


def test_per_band_stats_counts_means_and_central_ranges():
    from skastro import LightCurves
    from skastro.reproduce._novelty import per_band_stats

    rng = np.random.default_rng(0)
    mags = [rng.normal(18, 1, 30), rng.normal(20, 1, 7)]
    lcs = LightCurves.from_arrays([np.arange(30.0), np.arange(7.0)], mags,
                                  bands=[np.r_[["g"] * 20, ["i"] * 10], np.array(["g"] * 7)])
    stats = per_band_stats(lcs)
    assert stats["n"]["g"].tolist() == [20, 7] and stats["n"]["i"].iloc[0] == 10
    assert np.isnan(stats["mean"]["i"].iloc[1])  # no i point: NaN, not 0
    g0 = mags[0][:20]
    assert stats["mean"]["g"].iloc[0] == pytest.approx(g0.mean())
    assert stats["range"]["g"].iloc[0] == pytest.approx(np.subtract(*np.percentile(g0, [95, 5])))


def test_reproduce_real_samples_skip_when_absent(tmp_path):
    from skastro.reproduce import Context
    from skastro.reproduce._novelty import real_survey_samples

    ctx = Context(out_dir=tmp_path, data_dir=tmp_path / "none", full=False, random_state=0,
                  verbose=False)
    assert real_survey_samples(ctx) == [] and not (tmp_path / "real_fig1.png").exists()


def test_reproduce_real_fig1(tmp_path, data_dir):
    from skastro.reproduce import Context
    from skastro.reproduce._novelty import real_survey_samples

    ctx = Context(out_dir=tmp_path, data_dir=data_dir, full=False, random_state=0, verbose=False)
    rows = real_survey_samples(ctx)
    assert (tmp_path / "real_fig1.png").stat().st_size > 10_000
    assert len(rows) == 4 and rows[2].ours.startswith("g ")  # ZTF: g, then R

"""PeriodFolder, its kernels (fast vs reference), quality cuts and FoldFeatures."""

import numpy as np
import pandas as pd
import pytest
from astropy.timeseries import LombScargle
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skastro import LightCurves
from skastro.datasets import make_periodic_variables
from skastro.periodic import (
    FOLD_META_COLUMNS,
    FoldFeatures,
    PeriodFolder,
    quality_mask,
)
from skastro.periodic._fourier import robust_fit_batched, robust_fit_reference
from skastro.periodic._periodogram import (
    SIDEREAL_DAY,
    YEAR,
    daily_alias_peaks,
    frequency_grid,
    gls_fast,
    gls_multiband,
    gls_reference,
    gls_search,
    gls_search_many,
    mhgls_at,
    top_peaks,
)


def _sine_curves(periods, n=80, baseline=400.0, noise=0.01, amp=0.3, seed=0, outlier=None):
    rng = np.random.default_rng(seed)
    times, values, errors = [], [], []
    for p in periods:
        t = np.sort(rng.uniform(0, baseline, n)) + 55000.0
        m = 14.0 + amp * np.sin(2 * np.pi * t / p) + 0.1 * amp * np.sin(4 * np.pi * t / p + 1)
        m = m + rng.normal(0, noise, n)
        if outlier is not None:
            m[outlier] += 1.5
        times.append(t)
        values.append(m)
        errors.append(np.full(n, noise))
    return LightCurves.from_arrays(times, values, errors)


def _recovered(meta, tol=1e-4):
    p, true = meta["period"].to_numpy(), meta["period_input"].to_numpy()
    exact = np.abs(p - true) / true < tol
    alias = (~meta["label"].isin(["RRab", "RRc"])).to_numpy() & (np.abs(p - true / 2) / (true / 2) < tol)
    return exact | alias


# ------------------------------------------------------------------ kernels
def test_frequency_grid_matches_paper_grid():
    fmin, df, nf = frequency_grid(1826.0, (0.28, 0.98), 10)
    assert abs(df - 1 / 18260.0) < 1e-15
    assert 46_500 < nf < 46_700  # "46,590 frequencies" (docs/contributing.rst, "Measured facts")
    assert fmin + df * (nf - 1) >= 1 / 0.28 - df


def test_gls_fast_matches_reference_and_astropy():
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 900, 120)) + 55000
    dy = rng.uniform(0.01, 0.05, 120)
    y = 13 + 0.2 * np.sin(2 * np.pi * t / 0.4567) + rng.normal(0, dy)
    fmin, df, nf = frequency_grid(np.ptp(t), (0.28, 0.98), 5)
    fast = gls_fast(t, y, dy, fmin, df, nf)
    ref = gls_reference(t, y, dy, fmin, df, nf)
    np.testing.assert_allclose(fast, ref, atol=2e-5)
    freq = fmin + df * np.arange(nf)
    astro = LombScargle(t, y, dy).power(freq, method="cython")
    np.testing.assert_allclose(ref, astro, atol=1e-9)
    assert abs(1 / freq[np.argmax(fast)] - 0.4567) < 1e-4


def test_gls_float32_input_is_promoted():
    rng = np.random.default_rng(4)
    t = (np.sort(rng.uniform(0, 1826, 100)) + 55000).astype(np.float32)
    y = np.sin(2 * np.pi * t.astype(float) / 0.5123).astype(np.float32)
    fmin, df, nf = frequency_grid(float(np.ptp(t)), (0.28, 0.98), 10)
    p = gls_fast(t, y, None, fmin, df, nf)
    assert p.dtype == np.float64
    ref = gls_reference(t.astype(float), y.astype(float), None, fmin, df, nf)
    assert np.argmax(p) == np.argmax(ref)


def test_coarse_to_fine_search_equals_exhaustive_search():
    lcs = make_periodic_variables(60, n_epochs=100, measurements_per_epoch=(1, 1), random_state=21)
    for i in range(len(lcs)):
        lc = lcs[i]
        t, y, e = lc.time, lc.value, lc.error
        fmin, df, nf = frequency_grid(np.ptp(t), (0.28, 0.98), 10)
        f_fast, p_fast = gls_search(t, y, e, fmin, df, nf, 2, coarsening=3)
        full = gls_fast(t, y, e, fmin, df, nf)
        assert f_fast[0] == pytest.approx(fmin + df * np.argmax(full), abs=1e-12)
        assert p_fast[0] == pytest.approx(full.max(), abs=1e-5)


@pytest.mark.parametrize("multiband", [False, True])
def test_batched_search_on_union_times_equals_one_by_one(multiband):
    bands = ("g", "r") if multiband else ("Ks",)
    lcs = make_periodic_variables(30, n_epochs=(40, 120), bands=bands,
                                  measurements_per_epoch=(1, 1), random_state=22)
    curves, dfs, nfs = [], [], []
    for i in range(len(lcs)):
        lc = lcs[i]
        curves.append((lc.time, lc.value, lc.error, lc.codes("band") if multiband else None))
        fmin, df, nf = frequency_grid(np.ptp(lc.time), (0.28, 0.98), 10)
        dfs.append(df)
        nfs.append(nf)
    batched = gls_search_many(curves, fmin, dfs, nfs, 2, multiband=multiband, batch=16)
    for i, (t, y, e, b) in enumerate(curves):
        alone, _ = gls_search(t, y, e, fmin, dfs[i], nfs[i], 2, band_codes=b)
        assert batched[i, 0] == pytest.approx(alone[0], abs=1e-12)


def test_multiharmonic_kernel_matches_reference_and_prefers_the_harmonic():
    rng = np.random.default_rng(8)
    t = np.sort(rng.uniform(0, 1826, 100))
    P = 0.4321
    y = np.sin(2 * np.pi * t / P) + 0.4 * np.sin(4 * np.pi * t / P + 1) + rng.normal(0, 0.05, 100)
    dy = np.full(100, 0.05)
    fmin, df, nf = frequency_grid(np.ptp(t), (0.2, 1.0), 2)
    np.testing.assert_allclose(gls_fast(t, y, dy, fmin, df, nf, nterms=3),
                               mhgls_at(t, y, dy, fmin + df * np.arange(nf), 3), atol=2e-5)
    # 2P has as much 3-harmonic power as P: the search must still return P, not 2P
    fmin, df, nf = frequency_grid(np.ptp(t), (0.28, 0.98), 10)
    f, _ = gls_search(t, y, dy, fmin, df, nf, 1, nterms=3)
    assert abs(1 / f[0] - P) < 1e-4


def test_multiharmonic_search_finds_narrow_eclipses():
    # V-shaped eclipses of unequal depth: GLS peaks at a harmonic, nterms=3 at P (or P/2)
    lcs = make_periodic_variables(40, n_epochs=100, classes={"ESD": 1}, random_state=31)
    hi = lcs.meta["snr"].to_numpy() > 60
    gls = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    mh = PeriodFolder.from_preset("dekany2020", nterms=3, random_state=0).fit_transform(lcs)
    r_gls, r_mh = _recovered(gls.meta)[hi].mean(), _recovered(mh.meta)[hi].mean()
    assert r_mh >= 0.9 and r_mh > r_gls


def test_multiband_power_and_top_peaks():
    rng = np.random.default_rng(5)
    t = np.sort(rng.uniform(0, 500, 150))
    band = rng.integers(0, 3, 150)
    y = np.array([0.0, 1.0, 2.0])[band] + [0.3, 0.2, 0.1] @ np.eye(3)[band].T * np.sin(2 * np.pi * t / 0.61)
    dy = np.full(150, 0.02)
    y = y + rng.normal(0, 0.02, 150)
    fmin, df, nf = frequency_grid(np.ptp(t), (0.3, 0.9), 5)
    fast = gls_multiband(t, y, dy, band, fmin, df, nf)
    ref = gls_multiband(t, y, dy, band, fmin, df, nf, kernel=gls_reference)
    np.testing.assert_allclose(fast, ref, atol=2e-5)
    best = top_peaks(fast, 3)
    assert abs(1 / (fmin + df * best[0]) - 0.61) < 1e-3
    assert np.all(np.diff(fast[best]) <= 0)


def test_batched_robust_fit_matches_reference():
    rng = np.random.default_rng(6)
    G, L, F = 5, 70, 5
    t = np.sort(rng.uniform(0, 300, (G, L)), axis=1)
    periods = rng.uniform(0.3, 0.9, G)
    y = 15 + 0.3 * np.sin(2 * np.pi * t / periods[:, None]) + 0.1 * np.cos(
        4 * np.pi * t / periods[:, None]) + rng.normal(0, 0.02, (G, L))
    y[:, 7] += 1.0  # an outlier per curve
    dy = rng.uniform(0.015, 0.03, (G, L))
    fold = np.tile(np.arange(L) % F, (G, 1))
    res = robust_fit_batched(t, y, 1 / dy**2, 2 * np.pi / periods, fold, np.full(G, L),
                             max_order=6, n_folds=F)
    for g in range(G):
        ref = robust_fit_reference(t[g], y[g], dy[g], periods[g], fold[g], L, max_order=6, n_folds=F)
        assert res["order"][g] == ref["order"]
        np.testing.assert_array_equal(res["inlier"][g], ref["inlier"])
        np.testing.assert_allclose(res["coef"][g], ref["coef"], atol=1e-7)
        np.testing.assert_allclose(res["cv_sse"][g], ref["cv_sse"], rtol=1e-6)
        assert not res["inlier"][g, 7]


# ------------------------------------------------------------ PeriodFolder
def test_recovers_periods_and_writes_the_contract():
    periods = [0.3123, 0.4567, 0.6789, 0.9012]
    lcs = _sine_curves(periods, outlier=11)
    out = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    meta = out.meta
    for name in FOLD_META_COLUMNS:
        assert name in meta.columns
    np.testing.assert_allclose(meta["period"], periods, rtol=1e-4)
    assert (meta["fold_status"] == "ok").all()
    assert (meta["fourier_order"] >= 2).all()
    np.testing.assert_allclose(meta["amplitude"], 0.6, atol=0.08)
    np.testing.assert_allclose(meta["mean_mag"], 14.0, atol=0.01)
    assert (meta["residual_std"] < 0.02).all()
    snr = meta["amplitude"] * np.sqrt(meta["n_epochs"]) / meta["residual_std"]
    np.testing.assert_allclose(meta["snr"], snr)  # Eq. 14
    assert (meta["phase_coverage_p"] > 0.8).all() and (meta["phase_coverage_2p"] > 0.7).all()
    assert {"phase", "phase_2p", "value_centered", "outlier"} <= set(out.columns)
    # the planted outlier (measurement 11 of each object) is flagged
    flagged = out.column("outlier")
    assert flagged.sum() == len(periods)
    assert np.all(np.abs(out.column("value_centered")[flagged]) > 1.0)
    assert out.column("phase").min() >= 0 and out.column("phase").max() < 1


def test_phase_alignment_eq13():
    lcs = _sine_curves([0.55], n=120, amp=0.3)
    out = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    phi, m = out.column("phase"), out.column("value_centered")
    # first Fourier term at zero phase: m ~ A1 sin(2 pi phi) + ..., so the cosine term vanishes
    A = np.column_stack([np.ones_like(phi), np.cos(2 * np.pi * phi), np.sin(2 * np.pi * phi),
                         np.cos(4 * np.pi * phi), np.sin(4 * np.pi * phi)])
    coef = np.linalg.lstsq(A, m, rcond=None)[0]
    assert abs(coef[1]) < 0.01 and coef[2] > 0.25
    # phase_2p folds at twice the period with the same alignment
    np.testing.assert_allclose(np.mod(2 * out.column("phase_2p"), 1), phi, atol=1e-9)


def test_known_periods_from_meta_column():
    lcs = _sine_curves([0.4, 0.7], seed=1)
    lcs = lcs.with_meta(ogle_period=np.array([0.4, 0.7]))
    out = PeriodFolder(period_column="ogle_period", random_state=0).fit_transform(lcs)
    np.testing.assert_array_equal(out.meta["period"], [0.4, 0.7])
    assert not out.meta["period_searched"].any()
    bad = lcs.with_meta(ogle_period=np.array([0.4, np.nan]))
    with pytest.raises(ValueError, match="ogle_period"):
        PeriodFolder(period_column="ogle_period").fit(bad).transform(bad)
    with pytest.raises(ValueError, match="period_column"):
        PeriodFolder(period_column="nope").fit(lcs).transform(lcs)


def test_simulator_recovery_and_binning():
    lcs = make_periodic_variables(120, n_epochs=100, classes={"RRab": 0.6, "EC": 0.4},
                                  random_state=11)
    out = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    meta = out.meta
    # pawprints within ~3 minutes are binned to one point per epoch
    # (two simulated epochs closer than 3 minutes are, rightly, one epoch)
    diff = meta["n_epochs_input"] - meta["n_epochs"]
    assert (diff >= 0).all() and (diff <= 2).all() and (diff == 0).mean() > 0.9
    assert (out.column("n_measurements") >= 1).all()
    assert "period_input" in meta.columns  # the simulator's true period is kept
    hi = meta["snr_input"].to_numpy() > 60
    assert hi.sum() > 50
    assert _recovered(meta)[hi].mean() >= 0.95
    # an eclipsing binary folded at 2P shows its two minima: fit at 2P is not worse
    assert (meta.loc[meta["label"] == "EC", "phase_coverage_2p"] > 0.5).all()


def test_pre_clip_drops_blends_but_not_eclipses_from_the_search():
    rng = np.random.default_rng(13)
    t = np.sort(rng.uniform(0, 2000, 60)) + 55000
    P = 0.6123
    phase = np.mod(t / P, 1)
    # an eclipse-like curve: flat, with a 1-mag dip over 30 % of the cycle (more than
    # 10 % of the points beyond 5 robust sigmas: signal, not pre-clipped)
    algol = 14 + 1.0 * np.exp(-0.5 * ((phase - 0.5) / 0.06) ** 2) + rng.normal(0, 0.01, 60)
    # an RR Lyrae-like sinusoid with two 2-mag blend outliers
    rr = 14 + 0.3 * np.sin(2 * np.pi * phase) + rng.normal(0, 0.01, 60)
    rr[[5, 40]] += 2.0
    lcs = LightCurves.from_arrays([t, t], [algol, rr], [np.full(60, 0.01)] * 2)
    out = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    assert abs(out.meta["period"].iloc[0] - P) < 1e-4
    assert abs(out.meta["period"].iloc[1] - P) < 1e-4
    flagged = out.column("outlier") & (out.object_index == 1)
    assert flagged.sum() == 2 and np.all(out.column("value")[flagged] > 15.0)


def test_sentinel_rows_are_pre_clipped_and_change_nothing():
    # issue 19 item 6: surveys write a missing measurement as a row with an absurd
    # error (SDSS: magerr = 99.999) and a meaningless magnitude; no residual can flag
    # such a point (it weighs ~nothing), so it came out as a non-outlier
    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 1500, 120)) + 55000.0
    P = 0.5712
    m = 17 + 0.4 * np.sin(2 * np.pi * t / P) + 0.15 * np.sin(4 * np.pi * t / P + 1)
    m = m + rng.normal(0, 0.02, t.size)
    e = np.full(t.size, 0.02)
    t_bad = np.array([55100.3, 55700.7, 56200.1, 56400.9])
    m_bad = np.array([17.2, 16.9, 99.0, -99.0])  # plausible and absurd magnitudes
    dirty = LightCurves.from_arrays([np.r_[t, t_bad]], [np.r_[m, m_bad]],
                                    [np.r_[e, np.full(4, 99.999)]])
    clean = LightCurves.from_arrays([t], [m], [e])
    folder = PeriodFolder(period_range=(0.2, 2.0), random_state=0)
    a, b = folder.fit_transform(clean), folder.fit_transform(dirty)
    assert abs(a.meta["period"].iloc[0] - P) < 1e-4
    assert b.meta["period"].iloc[0] == pytest.approx(a.meta["period"].iloc[0], rel=1e-7)
    for col in ("amplitude", "mean_mag", "fourier_A1", "fourier_R21"):
        assert b.meta[col].iloc[0] == pytest.approx(a.meta[col].iloc[0], rel=1e-3), col
    sentinel = np.isclose(b.time[:, None], t_bad, rtol=0, atol=1e-6).any(axis=1)
    assert sentinel.sum() == 4 and b.column("outlier")[sentinel].all()
    assert b.column("outlier")[~sentinel].sum() == a.column("outlier").sum()
    # fluxes are exempt: their largest errors belong to the brightest points
    flux = LightCurves.from_arrays([np.r_[t, t_bad]], [10 ** (-0.4 * (np.r_[m, 17.2, 16.9, 17.0,
                                                                         17.1] - 17))],
                                   [np.r_[e, np.full(4, 99.999)]], value_kind="flux")
    out = folder.fit_transform(flux)
    near = np.isclose(out.time[:, None], t_bad, rtol=0, atol=1e-6).any(axis=1)
    assert near.sum() == 4 and not out.column("outlier")[near].any()


def test_light_curves_without_errors_fold_with_unit_weights():
    # issue 19 item 4: error=None (astropy's dy=None) gets unit weights, not a KeyError
    from skastro.periodic import DualFoldSequencer

    lcs = make_periodic_variables(4, n_epochs=120, classes={"RRab": 1, "RRc": 1},
                                  random_state=5)
    bare = LightCurves.from_arrays(list(lcs.split("time")), list(lcs.split("value")),
                                   ids=lcs.ids, meta=lcs.meta)
    equal = bare.with_columns(error=np.full(bare.n_observations, 0.03))
    folder = PeriodFolder(period_range=(0.2, 1.5), random_state=0)
    a, b = folder.fit_transform(bare), folder.fit_transform(equal)
    true = lcs.meta["period"].to_numpy()
    np.testing.assert_allclose(a.meta["period"], true, rtol=1e-3)
    # all-equal errors weigh like no errors: the same results
    pd.testing.assert_frame_equal(a.meta, b.meta)
    for col in ("time", "value", "phase", "outlier"):
        np.testing.assert_array_equal(a.column(col), b.column(col))
    # no binned uncertainty is invented
    assert "error" not in a.columns and "error" in b.columns
    (f, p), *_ = folder.fit(bare).periodogram(bare)
    assert abs(1 / f[np.argmax(p)] / true[0] - 1) < 1e-3
    assert DualFoldSequencer().fit_transform(a).shape == (4,)


def test_bin_window_zero_keeps_every_measurement():
    lcs = make_periodic_variables(6, n_epochs=40, random_state=2)
    out = PeriodFolder.from_preset("dekany2020", bin_window=0.0, random_state=0).fit_transform(lcs)
    np.testing.assert_array_equal(out.lengths, lcs.lengths)


def test_degenerate_inputs_are_flagged_not_guessed():
    rng = np.random.default_rng(7)
    good_t = np.sort(rng.uniform(0, 500, 80))
    good = 14 + 0.3 * np.sin(2 * np.pi * good_t / 0.5) + rng.normal(0, 0.01, 80)
    few_t = np.array([1.0, 50.0, 120.0, 300.0])
    one_night = np.sort(rng.uniform(100.0, 100.3, 40))
    lcs = LightCurves.from_arrays(
        [good_t, few_t, good_t, one_night],
        [good, np.array([14.0, 14.2, 13.9, 14.1]), np.full(80, 15.0),
         14 + 0.1 * np.sin(2 * np.pi * one_night / 0.5)],
        [np.full(80, 0.01), np.full(4, 0.01), np.full(80, 0.01), np.full(40, 0.01)],
        ids=["good", "few", "flat", "one_night"],
    )
    out = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    status = out.meta["fold_status"].to_dict()
    assert status == {"good": "ok", "few": "too_few_epochs", "flat": "flat",
                      "one_night": "short_baseline"}
    bad = out.meta.index != "good"
    assert out.meta.loc[bad, "period"].isna().all()
    assert (out.meta.loc[bad, "fourier_order"] == 0).all()
    assert np.isnan(out.column("phase")[out.object_index != 0]).all()
    assert abs(out.meta.loc["good", "period"] - 0.5) < 1e-4
    # flat curve: mean is still reported
    assert out.meta.loc["flat", "mean_mag"] == pytest.approx(15.0)


def test_bad_input_errors():
    lcs = _sine_curves([0.5], n=30)
    with pytest.raises(TypeError, match="LightCurves"):
        PeriodFolder().fit(np.zeros((3, 4)))
    bad_mag = lcs.with_columns(value=np.full(30, np.nan))  # one NaN is dropped (test_validation.py)
    with pytest.raises(ValueError, match="object 0 has no observation with finite 'value'"):
        PeriodFolder().fit(bad_mag).transform(bad_mag)
    bad_err = lcs.with_columns(error=np.zeros(30))
    with pytest.raises(ValueError, match="error"):
        PeriodFolder().fit(bad_err).transform(bad_err)
    with pytest.raises(ValueError, match="period_range"):
        PeriodFolder(period_range=(0.9, 0.3)).fit(lcs)
    multi = lcs.with_columns(band=np.where(np.arange(30) % 2, "g", "r"))
    with pytest.raises(ValueError, match="band"):
        PeriodFolder().fit(multi).transform(multi)
    with pytest.raises(ValueError, match="band='z'"):
        PeriodFolder(band="z").fit(multi).transform(multi)
    with pytest.raises(ValueError, match="aperture"):
        PeriodFolder(aperture_columns=["mag_ap9"]).fit(lcs)


def test_object_without_the_chosen_band_is_named():
    lcs = _sine_curves([0.5, 0.6], n=40)
    bands = np.where(np.arange(80) < 40, "g", "r")  # object 0 only g, object 1 only r
    lcs = lcs.with_columns(band=bands)
    with pytest.raises(ValueError, match=r"Objects \[0\] have no observation"):
        PeriodFolder(band="r").fit(lcs).transform(lcs)
    out = PeriodFolder(band="r").fit(lcs[[1]]).transform(lcs[[1]])
    assert out.bands == ("r",)


def test_chunking_and_parallelism_do_not_change_results():
    lcs = make_periodic_variables(14, n_epochs=50, random_state=5)
    a = PeriodFolder.from_preset("dekany2020", chunk_size=100, random_state=0).fit_transform(lcs)
    b = PeriodFolder.from_preset("dekany2020", chunk_size=4, n_jobs=2, random_state=0).fit_transform(lcs)
    pd.testing.assert_frame_equal(a.to_pandas(with_meta=True), b.to_pandas(with_meta=True))


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_verbose_shows_a_progress_bar_on_stderr_only(capsys, n_jobs):
    lcs = make_periodic_variables(6, n_epochs=40, random_state=5)
    folder = PeriodFolder(chunk_size=2, n_jobs=n_jobs, n_peaks=1, random_state=0).fit(lcs)
    quiet = folder.transform(lcs)
    assert capsys.readouterr() == ("", "")  # verbose=0 (the default): silent
    loud = folder.set_params(verbose=1).transform(lcs)
    out, err = capsys.readouterr()
    assert out == "" and "PeriodFolder" in err and "6/6" in err and "curve" in err
    assert loud.equals(quiet)


def test_multiband_shares_one_period():
    lcs = make_periodic_variables(12, n_epochs=120, bands=("g", "r", "i"), classes={"RRab": 1},
                                  measurements_per_epoch=(1, 1), random_state=4)
    out = PeriodFolder(period_range=(0.25, 1.0), oversampling=10, multiband=True, n_peaks=3,
                       random_state=0).fit_transform(lcs)
    meta = out.meta
    assert np.mean(np.abs(meta["period"] - meta["period_input"]) / meta["period_input"] < 1e-3) >= 0.9
    for b in "gri":
        assert f"amplitude_{b}" in meta.columns
    # pulsation amplitude falls with wavelength: g > i
    assert (meta["amplitude_g"] > meta["amplitude_i"]).mean() > 0.8
    assert set(out.bands) == {"g", "r", "i"}


def test_optimal_aperture_picks_the_cleaner_column():
    lcs = _sine_curves([0.45, 0.62], n=90, seed=9)
    rng = np.random.default_rng(0)
    noisy = lcs.value + rng.normal(0, 0.08, lcs.n_observations)
    lcs = lcs.with_columns(mag_ap1=noisy, mag_ap2=lcs.value.copy())
    out = PeriodFolder.from_preset("dekany2020", aperture_columns=["mag_ap1", "mag_ap2"],
                       random_state=0).fit_transform(lcs)
    assert out.meta["aperture"].tolist() == ["mag_ap2", "mag_ap2"]
    assert (out.meta["residual_std"] < 0.02).all()


def _two_aperture_curves(n_objects=2, n_epochs=60, per_epoch=6, seed=3):
    """Aperture 1: independent noise per measurement (binning averages it out);
    aperture 2: less of it, but a jitter common to each epoch's measurements (binning
    keeps it), so the binned scatter and the per-measurement loss rank them oppositely."""
    rng = np.random.default_rng(seed)
    times, values, errors, ap1, ap2 = [], [], [], [], []
    for k in range(n_objects):
        t = np.sort(rng.uniform(0, 400, n_epochs))[:, None] + np.arange(per_epoch) * 30 / 86400
        m = 14.0 + 0.3 * np.sin(2 * np.pi * t / (0.45 + 0.1 * k))
        times.append(t.ravel() + 55000.0)
        values.append(m.ravel())
        errors.append(np.full(t.size, 0.03))
        ap1.append((m + rng.normal(0, 0.06, t.shape)).ravel())
        ap2.append((m + rng.normal(0, 0.04, (n_epochs, 1)) + rng.normal(0, 0.005, t.shape)).ravel())
    lcs = LightCurves.from_arrays(times, values, errors)
    return lcs.with_columns(mag_ap1=np.concatenate(ap1), mag_ap2=np.concatenate(ap2))


def test_aperture_criterion_decides_between_binned_scatter_and_regression_loss():
    lcs = _two_aperture_curves()
    kw = dict(aperture_columns=["mag_ap1", "mag_ap2"], random_state=0)
    by_scatter = PeriodFolder.from_preset("dekany2020", aperture_criterion="residual_std", **kw)
    by_loss = PeriodFolder.from_preset("dekany2020", **kw)   # the paper's choice (§3.2)
    assert by_loss.aperture_criterion == "fit_loss" and PeriodFolder().aperture_criterion == "residual_std"
    a, b = by_scatter.fit_transform(lcs).meta, by_loss.fit_transform(lcs).meta
    # binned, aperture 1's scatter is ~0.06/sqrt(6) = 0.025, aperture 2's ~0.04;
    # per measurement, aperture 1's squared residual is ~0.06^2, aperture 2's ~0.04^2
    assert a["aperture"].tolist() == ["mag_ap1", "mag_ap1"]
    assert b["aperture"].tolist() == ["mag_ap2", "mag_ap2"]
    assert (a["residual_std"] < b["residual_std"]).all() and (a["fit_loss"] > b["fit_loss"]).all()
    np.testing.assert_allclose(a["period"], [0.45, 0.55], rtol=1e-3)
    with pytest.raises(ValueError, match="aperture_criterion"):
        PeriodFolder(aperture_criterion="chi2").fit(lcs)


def test_top_peaks_check_helps_on_sparse_rr_lyrae():
    # ~50 epochs over 8 years (real-survey-like): checking the top peaks with the
    # multi-harmonic fit beats trusting the GLS peak. 160 curves: the gain is ~1 %
    # (925 vs 919 of 960 over 12 seeds of 80), so with 80 one star decides the sign.
    lcs = make_periodic_variables(160, n_epochs=50, baseline=2920.0, classes={"RRab": 1},
                                  measurements_per_epoch=(1, 1), random_state=8)
    # (the search after clipping is off in both: this compares the peak check alone)
    kw = dict(search_after_clipping=False, random_state=0)
    plain = PeriodFolder.from_preset("dekany2020", n_peaks=1, **kw).fit_transform(lcs)
    robust = PeriodFolder.from_preset("dekany2020", n_peaks=5, **kw).fit_transform(lcs)
    r_plain, r_robust = _recovered(plain.meta, 1e-3).mean(), _recovered(robust.meta, 1e-3).mean()
    assert r_robust >= r_plain
    assert r_robust > 0.85


# --------------------------------------------------------- cuts & features
def test_quality_mask_presets():
    meta = pd.DataFrame({
        "snr": [80, 45, 80, 80], "n_epochs": [100, 100, 35, 100],
        "phase_coverage_p": [0.9, 0.9, 0.9, 0.9], "phase_coverage_2p": [0.9, 0.9, 0.9, 0.9],
        "mean_mag": [13.0, 13.0, 13.0, 16.0], "period": [0.5, 0.5, 0.5, 0.5],
        "amplitude": [0.3, 0.3, 0.3, 1.2],
    })
    assert quality_mask(meta, "training").tolist() == [True, False, False, False]
    assert quality_mask(meta, "target").tolist() == [True, True, True, False]
    assert quality_mask(meta, "target", amplitude_max=None).tolist() == [True, True, True, True]
    with pytest.raises(ValueError, match="snr_max"):
        quality_mask(meta, snr_max=3)
    with pytest.raises(ValueError, match="preset"):
        quality_mask(meta, "nope")
    with pytest.raises(ValueError, match="snr"):
        quality_mask(meta.drop(columns="snr"), "training")


def test_fold_features_in_random_forest_pipeline():
    lcs = make_periodic_variables(60, n_epochs=60, classes={"RRab": 0.5, "EC": 0.5},
                                  measurements_per_epoch=(1, 2), random_state=12)
    y = (lcs.meta["label"] == "RRab").to_numpy()
    pipe = make_pipeline(PeriodFolder.from_preset("dekany2020", random_state=0), FoldFeatures(),
                         RandomForestClassifier(n_estimators=50, random_state=0))
    scores = cross_val_score(pipe, lcs, y, cv=3)
    assert scores.mean() > 0.75
    feats = FoldFeatures().fit(PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs[:5]))
    assert feats.get_feature_names_out()[0] == "log10_period"
    with pytest.raises(ValueError, match="PeriodFolder"):
        FoldFeatures().fit(lcs)


# ------------------------------------------- issue 18: fuzzing regressions
def _one_sine(period=0.7, n=80, baseline=200.0, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, baseline, n))
    return t, 14 + 0.3 * np.sin(2 * np.pi * t / period) + rng.normal(0, noise, n)


@pytest.mark.parametrize("period_column", [None, "P"])
def test_tiny_errors_neither_crash_nor_blame_time(period_column):
    # item 1: 1 / sigma^2 overflowed below ~1e-154 (FINUFFT segfault); with
    # period_column the NaN epochs were blamed on column 'time'
    t, m = _one_sine()
    lcs = LightCurves.from_arrays([t], [m], [np.full(80, 1e-300)],
                                  meta=pd.DataFrame({"P": [0.7]}))
    out = PeriodFolder(period_range=(0.3, 2), period_column=period_column,
                       random_state=0).fit_transform(lcs)
    assert out.meta["fold_status"].iloc[0] == "ok"
    assert out.meta["period"].iloc[0] == pytest.approx(0.7, rel=1e-4)
    assert out.meta["amplitude"].iloc[0] == pytest.approx(0.6, rel=0.02)
    assert np.all(np.isfinite(out.column("error")) & (out.column("error") > 0))


def test_results_invariant_to_a_common_scaling_of_the_errors():
    # item 5: the ridge was scaled by padding entries (sigma = 1e7: amplitude 0.005x;
    # >= 1e200: IndexError)
    t, m = _one_sine()
    folder = PeriodFolder(period_range=(0.3, 2), random_state=0)
    ref = folder.fit_transform(LightCurves.from_arrays([t], [m], [np.full(80, 0.01)])).meta
    for sigma in (1e6, 1e7, 1e200):
        out = folder.fit_transform(LightCurves.from_arrays([t], [m], [np.full(80, sigma)]))
        for col in ("period", "amplitude", "snr", "residual_std", "fourier_order"):
            assert out.meta[col].iloc[0] == pytest.approx(ref[col].iloc[0], rel=1e-6), (sigma, col)
        np.testing.assert_allclose(out.column("error"), sigma, rtol=1e-9)


def test_batched_fourier_fit_invariant_to_weight_scale():
    rng = np.random.default_rng(2)
    t = np.sort(rng.uniform(0, 100, (3, 60)), axis=1)
    y = 0.3 * np.sin(2 * np.pi * t / 0.6) + rng.normal(0, 0.01, t.shape)
    w = np.ones_like(t)
    w[2, 40:] = 0  # a shorter, padded row
    fold = np.tile(np.arange(60) % 10, (3, 1))
    kw = dict(min_order=1, max_order=6, n_folds=10)
    a = robust_fit_batched(t, y, w, np.full(3, 2 * np.pi / 0.6), fold, np.full(3, 60), **kw)
    b = robust_fit_batched(t, y, w * 1e-14, np.full(3, 2 * np.pi / 0.6), fold, np.full(3, 60), **kw)
    np.testing.assert_allclose(b["coef"], a["coef"], rtol=1e-8, atol=1e-12)


def test_flat_curve_with_one_outlier_is_flat():
    # item 6: the flat test ran before the pre-clip (reported ok, periodic, S/N 12.6)
    t, _ = _one_sine()
    y = np.full(80, 14.0)
    y[10] += 1.0
    out = PeriodFolder(period_range=(0.3, 2), random_state=0).fit_transform(
        LightCurves.from_arrays([t], [y], [np.full(80, 0.01)]))
    assert out.meta["fold_status"].iloc[0] == "flat"
    assert np.isnan(out.meta["period"].iloc[0]) and np.isnan(out.meta["snr"].iloc[0])
    assert out.meta["mean_mag"].iloc[0] == pytest.approx(14.0)


@pytest.mark.parametrize("nterms", [2, 3])
def test_multiharmonic_search_returns_the_fundamental_of_clean_sinusoids(nterms):
    # item 7: nterms=2/3 returned 2P or 3P for clean sinusoids (4 and 6 of 20)
    rng = np.random.default_rng(1)
    periods = rng.uniform(0.3, 2, 20)
    curves = [_one_sine(p, n=100, baseline=300, seed=i) for i, p in enumerate(periods)]
    lcs = LightCurves.from_arrays([c[0] for c in curves], [c[1] for c in curves],
                                  [np.full(100, 0.01)] * 20)
    out = PeriodFolder(period_range=(0.2, 10), nterms=nterms, random_state=0).fit_transform(lcs)
    np.testing.assert_allclose(out.meta["period"], periods, rtol=1e-3)


def test_periods_never_leave_the_range_and_edge_peaks_are_flagged():
    # item 8: range 0.3-5 d, true 6.4 d came back as 5.9-15 d with fold_status "ok"
    curves = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        curves.append(_one_sine(6.4, baseline=rng.uniform(6, 14), seed=seed))
    lcs = LightCurves.from_arrays([c[0] for c in curves], [c[1] for c in curves],
                                  [np.full(80, 0.01)] * 12)
    for kw in ({}, {"n_peaks": 1, "oversampling": 1.0}):
        meta = PeriodFolder(period_range=(0.3, 5), random_state=0, **kw).fit_transform(lcs).meta
        assert meta["period"].between(0.3, 5).all()
        assert (meta["fold_status"] == "period_at_range_limit").all()
    with pytest.raises(ValueError, match="oversampling"):
        PeriodFolder(oversampling=1e-6).fit(lcs)


def test_period_of_an_object_does_not_depend_on_its_batch():
    # item 4: CV fold keys were drawn across the container (with n_peaks > 1, 14 of 80
    # low-S/N curves changed with their neighbours)
    lcs = make_periodic_variables(40, n_epochs=(20, 60), random_state=11)
    noisy = lcs.with_columns(value=lcs.value + np.random.default_rng(0).normal(
        0, 0.15, lcs.n_observations))
    folder = PeriodFolder(n_peaks=3, random_state=0)
    cols = ["period", "fourier_order", "amplitude", "snr", "fit_loss", "fold_status"]
    ref = folder.fit_transform(noisy).meta[cols]
    perm = np.random.default_rng(1).permutation(len(noisy))
    shuffled = folder.fit_transform(noisy[perm]).meta[cols]
    pd.testing.assert_frame_equal(shuffled.loc[ref.index], ref)
    for i in (0, 7, 23):
        alone = folder.fit_transform(noisy[[i]]).meta[cols]
        pd.testing.assert_frame_equal(alone, ref.iloc[[i]])
    small = PeriodFolder(n_peaks=3, chunk_size=3, random_state=0).fit_transform(noisy[perm[:20]])
    pd.testing.assert_frame_equal(small.meta[cols], ref.loc[small.meta.index])


# ------------------------------------- defaults, presets, units (issues 15, 19)
def test_defaults_are_in_the_signature_and_presets_are_a_classmethod():
    params = PeriodFolder().get_params()
    assert all(params[k] is not None for k in ("period_range", "oversampling", "n_peaks",
                                               "max_order", "n_folds", "nterms", "bin_window"))
    assert "preset" not in params
    with pytest.raises(TypeError):
        PeriodFolder((0.1, 1.0))  # keyword-only
    paper = PeriodFolder.from_preset("dekany2020", n_peaks=2)
    assert paper.get_params()["period_range"] == (0.28, 0.98)
    assert paper.bin_window == pytest.approx(3 / 1440) and paper.n_peaks == 2
    with pytest.raises(ValueError, match="dekany2020"):
        PeriodFolder.from_preset("nonsense")


def test_time_parameters_accept_astropy_quantities():
    import astropy.units as u

    lcs = _sine_curves([0.5, 0.37], n=60)
    ref = PeriodFolder(period_range=(0.2, 1.0), bin_window=3 / 1440, random_state=0)
    expected = ref.fit_transform(lcs).meta
    for pr, bw in (((0.2 * u.day, 1 * u.day), 3 * u.min), ([0.2, 1.0] * u.day, 180 * u.s),
                   ((4.8 * u.hour, 24 * u.hour), 0.05 * u.hour)):
        folder = PeriodFolder(period_range=pr, bin_window=bw, random_state=0).fit(lcs)
        assert folder.settings_["period_range"] == pytest.approx((0.2, 1.0))
        pd.testing.assert_frame_equal(folder.transform(lcs).meta, expected)
    with pytest.raises(ValueError, match="period_range.*not a time"):
        PeriodFolder(period_range=(0.2 * u.m, 1 * u.m)).fit(lcs)
    with pytest.raises(ValueError, match="bin_window.*not a time"):
        PeriodFolder(bin_window=1 * u.mag).fit(lcs)


# ------------------------------- periodogram, significance, T0 (issue 19 item 5)
def test_false_alarm_probability_matches_astropy_baluev():
    from skastro.periodic._periodogram import false_alarm_probability

    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 300, 60))
    dy = rng.uniform(0.01, 0.05, 60)
    ls = LombScargle(t, rng.normal(0, 1, 60), dy)
    for z in (0.05, 0.2, 0.4, 0.6):
        assert false_alarm_probability(z, t, dy, 3.0) == pytest.approx(
            ls.false_alarm_probability(z, method="baluev", maximum_frequency=3.0), rel=1e-3)


def test_meta_holds_significance_and_epoch_of_maximum_light():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 300, 100)) + 55000

    def shape(x):
        return 0.3 * np.sin(2 * np.pi * x / 0.7) + 0.1 * np.sin(4 * np.pi * x / 0.7 + 1)

    m = 14 + shape(t) + rng.normal(0, 0.02, 100)
    noise = 14 + rng.normal(0, 0.02, 100)
    lcs = LightCurves.from_arrays([t, t], [m, noise], [np.full(100, 0.02)] * 2)
    meta = PeriodFolder(random_state=0).fit_transform(lcs).meta
    assert meta["false_alarm_probability"].iloc[0] < 1e-20
    assert meta["false_alarm_probability"].iloc[1] > 0.01  # pure noise is not significant
    t0 = meta["t0"].iloc[0]
    assert t.min() <= t0 <= t.max()
    grid = np.linspace(t0 - 0.35, t0 + 0.35, 70001)
    assert grid[np.argmin(shape(grid))] == pytest.approx(t0, abs=1e-3)  # magnitude minimum
    # fluxes: maximum light is the maximum of the values
    flux = LightCurves.from_arrays([t], [-m], [np.full(100, 0.02)], value_kind="flux")
    t0_flux = PeriodFolder(random_state=0).fit_transform(flux).meta["t0"].iloc[0]
    assert t0_flux == pytest.approx(t0, abs=1e-6)
    # known periods: no search, no false-alarm probability
    out = PeriodFolder(period_column="P").fit_transform(lcs.with_meta(P=[0.7, 0.7])).meta
    assert out["false_alarm_probability"].isna().all() and out["t0"].notna().all()


@pytest.mark.parametrize("kw", [{}, {"nterms": 2}, {"multiband": True}])
def test_periodogram_is_the_searched_one(kw):
    bands = ("g", "r") if kw.get("multiband") else ("Ks",)
    lcs = make_periodic_variables(4, n_epochs=80, bands=bands, classes={"RRab": 1},
                                  measurements_per_epoch=(1, 1), random_state=2)
    folder = PeriodFolder(n_peaks=1, refine_period=False, random_state=0, **kw).fit(lcs)
    meta = folder.transform(lcs).meta
    grams = folder.periodogram(lcs)
    assert len(grams) == len(lcs)
    for (freq, power), period in zip(grams, meta["period"]):
        assert freq.shape == power.shape and np.all(np.diff(freq) > 0)
        chosen = np.argmin(np.abs(freq - 1 / period))
        assert 1 / freq[chosen] == pytest.approx(period, rel=1e-9)  # a frequency of this grid
        if kw.get("nterms", 1) == 1:
            assert chosen == np.argmax(power)
        else:
            # With 2+ terms the model at 2P contains the one at P, so a nearly
            # sinusoidal RRab has two near-equal peaks; the (coarsened) search may
            # take either.
            assert power[chosen] == pytest.approx(power.max(), rel=0.01)
        assert freq[0] == pytest.approx(1 / 10.0) and freq[-1] <= 1 / 0.1


def _nightly_rrab(n_stars, n_epochs=45, seed=0, n_bright=0):
    """Skewed RRab-like curves observed once a night at the same hour angle (three
    90-night seasons a year apart, as SDSS Stripe 82): strong sidereal-day aliases.
    0.02 mag noise; ``n_bright`` measurements per star quote an error five times too
    small (0.004 mag), as SDSS's bright ones do."""
    rng = np.random.default_rng(seed)
    seasons = np.r_[0:90, 365:455, 730:820, 1095:1185]
    times, values, errors, periods = [], [], [], []
    for _ in range(n_stars):
        p = rng.uniform(0.45, 0.7)
        nights = np.sort(rng.choice(seasons, n_epochs, replace=False))
        t = 51000 + nights * SIDEREAL_DAY + rng.normal(0, 0.02, n_epochs)
        ph = 2 * np.pi * t / p
        m = 17 + sum(a * np.sin(k * ph + 0.7 * k)
                     for k, a in enumerate((0.35, 0.17, 0.11, 0.07, 0.04), start=1))
        e = np.full(n_epochs, 0.02)
        if n_bright:
            e[rng.choice(n_epochs, n_bright, replace=False)] = 0.004
        times.append(t)
        values.append(m + rng.normal(0, 0.02, n_epochs))
        errors.append(e)
        periods.append(p)
    return LightCurves.from_arrays(times, values, errors), np.array(periods)


def test_daily_aliases_are_checked_on_nightly_sampling():
    lcs, true = _nightly_rrab(20)

    def found(**kw):
        folder = PeriodFolder(period_range=(0.2, 2.0), random_state=0, **kw)
        return folder.fit_transform(lcs).meta["period"].to_numpy()

    plain = found(n_peaks=1)
    ok_plain = np.abs(plain - true) / true < 1e-3
    # the GLS peak is often a (sidereal-)daily alias of the true one ...
    daily = np.abs(np.abs(1 / plain - 1 / true) - 1 / SIDEREAL_DAY) < 1e-3
    assert ok_plain.mean() < 0.7 and daily[~ok_plain].mean() > 0.7
    # ... which checking the aliases with the Fourier fit corrects
    checked = found()
    assert np.mean(np.abs(checked - true) / true < 1e-3) >= 0.95
    no_alias = found(check_aliases=False)
    assert np.mean(np.abs(no_alias - true) / true < 1e-3) < 0.9


def test_alias_check_allows_for_under_quoted_errors():
    # The alias check compares the true period with its daily aliases by the BIC of the
    # Fourier fit. Trusting the quoted errors, the third of the points whose errors are
    # 5x too small decide that fit and an alias often fits them better (6 of these 40
    # stars); the BIC that also weighs noise models with an error floor or equal weights
    # keeps the true period. n_peaks=10: the true period is among the candidates, so
    # what is tested is the comparison, not the search.
    lcs, true = _nightly_rrab(40, seed=1, n_bright=15)
    folder = PeriodFolder(period_range=(0.2, 2.0), n_peaks=10, random_state=0)
    found = folder.fit_transform(lcs).meta["period"].to_numpy()
    assert np.mean(np.abs(found - true) / true < 1e-3) >= 0.925


def test_daily_alias_peaks_lie_at_the_aliases():
    lcs, true = _nightly_rrab(1, seed=3)
    t, y = lcs.time, lcs.value
    f0 = 1 / true[0]
    f = daily_alias_peaks(t, y, None, np.array([f0]), 0.1, 10.0)
    width = 1 / np.ptp(t)
    for step in (1.0, 1 / SIDEREAL_DAY, 2.0, -1 / SIDEREAL_DAY, 1 / YEAR, 1 / SIDEREAL_DAY - 1 / YEAR):
        assert np.min(np.abs(f - (f0 + step))) < width
    assert np.all(np.abs(f - f0) > 0.5 * width) and f.min() >= 0.1 and f.max() <= 10.0
    # NaN input frequencies are skipped, aliases outside the range dropped
    assert daily_alias_peaks(t, y, None, np.array([np.nan]), 0.1, 10.0).size == 0
    assert daily_alias_peaks(t, y, None, np.array([f0]), f0 - 0.5, f0 + 0.5).max() < f0 + 0.5


def test_search_again_after_clipping_finds_the_period_outliers_hid():
    # Dékány & Grebel 2020, §3.2: the GLS is run again without the points the robust fit
    # rejected. Three +0.8 mag outliers (kept out of the pre-clip) pull the GLS peak to
    # a wrong period; the fit there rejects them, and the second search finds the period.
    rng = np.random.default_rng(0)
    times, values, periods = [], [], []
    for _ in range(60):
        p = rng.uniform(0.3, 0.9)
        t = np.sort(rng.uniform(0, 1000, 40))
        m = (15 + 0.2 * np.sin(2 * np.pi * t / p) + 0.06 * np.sin(4 * np.pi * t / p + 1)
             + rng.normal(0, 0.02, 40))
        m[rng.choice(40, 3, replace=False)] += 0.8
        times.append(t)
        values.append(m)
        periods.append(p)
    pick = [20, 38, 41, 43]
    lcs = LightCurves.from_arrays([times[i] for i in pick], [values[i] for i in pick],
                                  [np.full(40, 0.02)] * len(pick))
    true = np.array(periods)[pick]

    def periods_found(**kw):
        folder = PeriodFolder.from_preset("dekany2020", pre_clip_sigma=None, random_state=0, **kw)
        return folder.fit_transform(lcs).meta["period"].to_numpy()

    assert PeriodFolder.from_preset("dekany2020").search_after_clipping
    once = periods_found(search_after_clipping=False)
    again = periods_found()
    assert np.all(np.abs(once - true) / true > 1e-3)
    np.testing.assert_allclose(again, true, rtol=1e-3)


def test_direct_sums_in_frequency_blocks_equal_one_block(monkeypatch):
    # long curves: direct sums are taken in blocks of frequencies (bounded memory)
    import skastro.periodic._periodogram as pg

    rng = np.random.default_rng(4)
    t = np.sort(rng.uniform(0, 500, 300))
    y = np.sin(2 * np.pi * t / 0.7) + rng.normal(0, 0.3, 300)
    dy = np.full(300, 0.3)
    freq = np.linspace(0.5, 3.0, 101)
    whole = pg.gls_at(t, y, dy, freq), pg.mhgls_at(t, y, dy, freq, 3)
    monkeypatch.setattr(pg, "_BLOCK_ELEMENTS", 4000)  # 13 frequencies per GLS block
    np.testing.assert_allclose(pg.gls_at(t, y, dy, freq), whole[0], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pg.mhgls_at(t, y, dy, freq, 3), whole[1], rtol=1e-10, atol=1e-12)


def test_blocked_design_gives_the_same_fold(monkeypatch):
    # a huge curve's design matrix is recomputed in blocks of measurements instead of
    # kept whole (bounded memory, issue 17 item 4): force it, with several blocks
    from skastro.periodic import _fourier

    rng = np.random.default_rng(3)
    t = np.sort(rng.uniform(0, 300, 200))
    m = 14 + 0.3 * np.sin(2 * np.pi * t / 0.61) + 0.1 * np.cos(4 * np.pi * t / 0.61)
    m = m + rng.normal(0, 0.02, t.size)
    m[[5, 50]] += 1.0
    lcs = LightCurves.from_arrays([t, t[:120]], [m, m[:120] + 1], [np.full(200, 0.02),
                                                                    np.full(120, 0.02)])
    folder = PeriodFolder(period_range=(0.3, 2.0), random_state=0)
    whole = folder.fit_transform(lcs)
    monkeypatch.setattr(_fourier, "_DESIGN_CACHE", 0)
    monkeypatch.setattr(_fourier, "_GRAM_BLOCK", 2 * 21 * 13)  # 13 measurements a block
    design = _fourier.Design(np.tile(t, (2, 1)), np.full(2, 10.0), 10)
    assert design.A is None and len(list(design.blocks())) == 16
    blocked = folder.fit_transform(lcs)
    assert (blocked.meta["fold_status"] == "ok").all()
    for col in whole.meta.columns:
        if whole.meta[col].dtype.kind == "f":
            np.testing.assert_allclose(blocked.meta[col], whole.meta[col], rtol=1e-10, err_msg=col)
        else:
            assert (blocked.meta[col] == whole.meta[col]).all(), col
    for col in ("phase", "value_centered", "outlier"):
        np.testing.assert_allclose(blocked.column(col), whole.column(col), rtol=1e-10, atol=1e-12)

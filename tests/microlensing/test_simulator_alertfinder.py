import numpy as np
import pandas as pd
import pytest

from skastro import LightCurves
from skastro.datasets import MICROLENSING_KINDS, make_microlensing_alerts
from skastro.microlensing import AlertFinder, alertfinder_trigger


def test_simulator_structure(small_alerts):
    a = small_alerts
    assert a.value_kind == "flux" and a.sites == ("CTIO", "SAAO", "SSO")
    assert set(a.context_columns) == {"sky", "fwhm", "airmass", "psf_quality"}
    meta = a.meta
    assert set(meta["label"]) <= {"Yes", "Maybe", "No"}
    assert all(MICROLENSING_KINDS[k] == lab for k, lab in zip(meta["kind"], meta["label"]))
    assert ((meta["label"] == "No") == (meta["label_binary"] == "No")).all()
    # data stop at t_cut, and t_break lies before it
    last = a.time[a.offsets[1:] - 1]
    assert np.all(last <= meta["t_cut"].to_numpy() + 1e-9)
    assert np.all(meta["t_break"].to_numpy() <= last + 1e-9)
    # repeated stars share their star_id (so group splits are needed)
    assert meta["star_id"].duplicated().any()
    # realistic context ranges
    am = a.column("airmass")
    assert am.min() >= 1.0 and am.max() <= 3.0
    assert np.nanmedian(a.column("fwhm")) > 1


def test_simulator_is_seeded_and_validates():
    a = make_microlensing_alerts(6, n_days=10, random_state=1)
    b = make_microlensing_alerts(6, n_days=10, random_state=1)
    pd.testing.assert_frame_equal(a.to_pandas(with_meta=True), b.to_pandas(with_meta=True))
    with pytest.raises(ValueError, match="n_alerts"):
        make_microlensing_alerts(0)
    with pytest.raises(ValueError, match="class_fractions"):
        make_microlensing_alerts(5, class_fractions={"Perhaps": 1.0})
    two = make_microlensing_alerts(5, n_days=10, sites=("A", "B"), random_state=0)
    assert two.sites == ("A", "B")


def test_simulator_bad_flags_and_missing_sites():
    a = make_microlensing_alerts(40, n_days=10, bad_value_fraction=0.05,
                                 missing_site_fraction=0.5, trigger=False, random_state=2)
    assert np.isnan(a.error).any() and (a.column("fwhm") < 0).any()
    assert (a.column("psf_quality") > 100).any() and np.isnan(a.value).any()
    sites_per_alert = pd.Series(a.codes("site")).groupby(a.object_index).nunique()
    assert (sites_per_alert < 3).any()


def _planted():
    t = np.arange(0.0, 30.0, 0.1)
    rise = 100 + np.where(t > 26.0, 25 * (t - 26.0), 0.0)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 1, t.size)
    lcs = LightCurves.from_arrays(
        [t, t, t], [rise + noise, 100 + noise, 100 + noise + 30 * np.sin(t)],
        [np.ones_like(t)] * 3, sites=[np.where(np.arange(t.size) % 2, "A", "B")] * 3,
        value_kind="flux")
    return lcs


def test_alertfinder_recovers_break_and_rejects_flat():
    out = alertfinder_trigger(_planted())
    assert out["triggered"].tolist()[:2] == [True, False]
    assert abs(out["t_break"].iloc[0] - 26.0) < 0.3
    assert out["slope"].iloc[0] == pytest.approx(25.0, rel=0.1)
    # a higher Δχ² threshold than the rise gives switches the trigger off
    strict = alertfinder_trigger(_planted(), delta_chi2_threshold=1e12)
    assert not strict["triggered"].any()


def test_alertfinder_transformer_keeps_given_t_break():
    lcs = _planted().with_meta(t_break=[1.0, 2.0, 3.0])
    kept = AlertFinder().fit_transform(lcs)
    assert kept.meta["t_break"].tolist() == [1.0, 2.0, 3.0] and "triggered" in kept.meta
    replaced = AlertFinder(overwrite=True).fit_transform(lcs)
    assert abs(replaced.meta["t_break"].iloc[0] - 26.0) < 0.3
    with pytest.raises(TypeError, match="LightCurves"):
        alertfinder_trigger(np.zeros((3, 3)))


def test_simulator_sky_is_bounded_and_yes_rises_stand_out():
    a = make_microlensing_alerts(120, n_days=12, trigger=False, random_state=4)
    # twilight brightens the sky at most ~3x (x moon, airmass, noise); it used to blow
    # up to 10^4-10^7 x the median just past the night's edge
    sky = a.column("sky")
    assert sky.max() < 20 * np.median(sky)
    # "Yes" stars: intrinsic red noise at most a quarter of the lensed flux at t_cut (§4.1)
    m = a.meta[(a.meta["label"] == "Yes") & a.meta.index.str.endswith("-0")]   # first review
    u = np.hypot(m["u0"], (m["t_cut"] - m["t0"]) / m["tE"])
    lensed = 10 ** (-0.4 * (m["I_source"] - 28.0)) * ((u ** 2 + 2) / np.sqrt(u ** 2 * (u ** 2 + 4)) - 1)
    assert len(m) > 20 and np.all(m["red_noise_amp"] <= 0.25 * lensed + 1e-9)
    assert (a.meta["red_noise_amp"] > 0).any()


def test_simulator_refuses_a_cadence_that_leaves_no_observation():
    # one slot a night at the first site is always the V image: this used to recurse forever
    with pytest.raises(ValueError, match=r"fewer than 3 valid epochs before t_cut after \d+ draws with cadence_hours=24"):
        make_microlensing_alerts(4, sites=("CTIO",), cadence_hours=24, trigger=False, random_state=0)


def _two_site_rise(seed=1, offset_b=50.0):
    """A weak rise shared by two interleaved sites (B on another zero point) and a flat star."""
    t = np.arange(0.0, 30.0, 0.1)
    site = np.where(np.arange(t.size) % 2, "A", "B")
    rng = np.random.default_rng(seed)
    rise = 100 + np.where(t > 27, 1.3 * (t - 27), 0.0) + rng.normal(0, 1, t.size)
    rise = rise + np.where(site == "B", offset_b, 0.0)
    flat = 100 + rng.normal(0, 1, t.size)
    return LightCurves.from_arrays([t, t], [rise, flat], [np.ones_like(t)] * 2,
                                   sites=[site, site], value_kind="flux")


def test_alertfinder_combinations_trigger_on_the_union_of_two_sites():
    lcs = _two_site_rise()
    single = alertfinder_trigger(lcs)                       # each site alone
    assert not single["triggered"].any()
    assert (single["delta_chi2"] < 100).all()
    union = alertfinder_trigger(lcs, combinations="all")    # §3.2: every site set
    assert union["triggered"].tolist() == [True, False]
    assert union["trigger_site"].iloc[0] == "A+B"
    assert union["delta_chi2"].iloc[0] > 100 and abs(union["t_break"].iloc[0] - 27.0) < 1.0
    # the paper preset runs the same search
    out = AlertFinder.from_preset("viana2025", overwrite=True).fit_transform(lcs)
    assert out.meta["triggered"].tolist() == [True, False]
    assert AlertFinder.from_preset("viana2025", combinations="single").combinations == "single"
    with pytest.raises(ValueError, match="Unknown preset"):
        AlertFinder.from_preset("kim2018")


def test_alertfinder_single_site_sets_match_the_all_search_per_site():
    # on a one-site alert every combination is that site: both searches agree
    p = _planted()
    lcs = LightCurves.from_arrays([p.time[p.object_index == k] for k in range(3)],
                                  [p.value[p.object_index == k] for k in range(3)],
                                  [p.error[p.object_index == k] for k in range(3)],
                                  sites=[np.full(300, "A")] * 3, value_kind="flux")
    a, b = alertfinder_trigger(lcs), alertfinder_trigger(lcs, combinations="all")
    pd.testing.assert_frame_equal(a.drop(columns="trigger_site"), b.drop(columns="trigger_site"))


def test_alertfinder_masks_flagged_diagnostics():
    t = np.arange(0.0, 30.0, 0.1)
    rng = np.random.default_rng(0)
    flux = 100 + rng.normal(0, 1, t.size)
    psf = np.full(t.size, 80.0)
    flux[-6:] += 40.0                                       # a late jump...
    psf[-6:] = 999.0                                        # ...on epochs flagged bad
    lcs = LightCurves.from_arrays([t], [flux], [np.ones_like(t)],
                                  context={"psf_quality": [psf]}, value_kind="flux")
    before = lcs.to_pandas().copy()
    assert alertfinder_trigger(lcs, mask_diagnostics=False)["triggered"].iloc[0]
    assert not alertfinder_trigger(lcs)["triggered"].iloc[0]
    pd.testing.assert_frame_equal(lcs.to_pandas(), before)  # input untouched


def test_alertfinder_combination_bad_input():
    lcs = _two_site_rise()
    with pytest.raises(ValueError, match="combinations"):
        alertfinder_trigger(lcs, combinations="pairs")
    with pytest.raises(ValueError, match="n_high"):
        alertfinder_trigger(lcs, n_high=0)
    many = LightCurves.from_arrays([np.arange(9.0)], [np.ones(9)], [np.ones(9)],
                                   sites=[np.array(list("ABCDEFGHI"))], value_kind="flux")
    with pytest.raises(ValueError, match="9 sites"):
        alertfinder_trigger(many, combinations="all")
    assert len(alertfinder_trigger(many)) == 1


def test_maybe_holds_no_ghosts_nor_lensing_as_in_section_4_2():
    # §4.2: ghosts (echoes of a real event within 20") and real events not yet
    # clear were removed from "Maybe"; what is left are image-level false positives
    a = make_microlensing_alerts(300, n_days=6, cadence_hours=5.0, trigger=False, random_state=5)
    maybe = a.meta[a.meta["label"] == "Maybe"]
    assert len(maybe) > 30 and set(maybe["kind"]) == {"bleed", "spike"}
    assert "ghost" not in MICROLENSING_KINDS
    assert maybe[["t0", "tE", "u0"]].isna().all().all()


def test_ogle_survey_is_single_site_nightly_seasonal_without_diagnostics():
    a = make_microlensing_alerts(120, survey="ogle", n_days=60, repeat_fraction=0.0, trigger=False,
                                 random_state=0)
    assert a.sites == ("LCO",) and a.context_columns == ()
    obj, night = a.object_index, np.floor(a.time - 0.5)
    per_night = pd.Series(1, index=pd.MultiIndex.from_arrays([obj, night])).groupby(level=[0, 1]).size()
    assert per_night.max() <= 3 and (per_night == 1).mean() > 0.85
    doy = (a.time - 9340.0 + 116.0) % 365.25         # the simulator's calendar
    assert ((doy >= 40) & (doy <= 300)).all()        # nothing outside the bulge season
    assert 0.15 < np.median(a.lengths) / 60 < 0.5    # ~0.3 epochs a night
    events = a.meta[a.meta["kind"].isin(["pspl", "planet"])]
    # seen at any time while magnified (A > 1.15, u < 1.43), before or after the peak
    u_cut2 = events["u0"] ** 2 + ((events["t_cut"] - events["t0"]) / events["tE"]) ** 2
    assert (u_cut2 <= 1.432 ** 2).all() and (events["t_cut"] > events["t0"]).any()
    assert (events["t_cut"] < events["t0"]).any()
    kmt = make_microlensing_alerts(20, n_days=10, random_state=0)
    assert kmt.sites == ("CTIO", "SAAO", "SSO") and len(kmt.context_columns) == 4
    with pytest.raises(ValueError, match="survey"):
        make_microlensing_alerts(5, survey="moa")
    with pytest.raises(ValueError, match="cadence_hours"):
        make_microlensing_alerts(5, survey="ogle", cadence_hours=2.0)

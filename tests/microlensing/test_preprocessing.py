import numpy as np
import pandas as pd
import pytest
import torch

from skastro import LightCurves
from skastro.datasets import make_microlensing_alerts
from skastro.microlensing import (LensNetPreprocessor, augment_crops, clean_mask,
                                  crop_to_visibility, pad_branches)
from skastro.nn._branched import BranchedRNN


def _alert(n=40, t_break=30.0, sites=("A", "B"), ident=0):
    t = np.linspace(0, 40, n)
    flux = 50 + np.where(t > t_break, 10 * (t - t_break), 0.0)
    ctx = {"sky": [np.full(n, 1000.0)], "fwhm": [np.full(n, 4.0)],
           "airmass": [np.full(n, 1.2)], "psf_quality": [np.full(n, 90.0)]}
    site = np.array([sites[i % len(sites)] for i in range(n)])
    return LightCurves.from_arrays([t], [flux], [np.ones(n)], sites=[site], context=ctx,
                                   meta=pd.DataFrame({"t_break": [t_break]}, index=[ident]),
                                   value_kind="flux")


def test_clean_mask_rules(small_alerts):
    a = small_alerts
    m = clean_mask(a)
    q = a.column("psf_quality")
    assert not m[(a.error < 0) | (q > 100) | (q < 0) | (a.column("fwhm") < 0) | np.isnan(a.value)].any()
    assert m.mean() > 0.95


def test_preprocessor_steps(small_alerts):
    a = small_alerts
    prep = LensNetPreprocessor(max_length=20)
    out = prep.fit(a).transform(a)
    assert len(out) == len(a) and list(out.ids) == list(a.ids)
    # the line feature shares the flux's statistics
    assert prep.mean_[-1] == prep.mean_[1] and prep.scale_[-1] == prep.scale_[1]
    # at most max_length epochs per site
    counts = pd.Series(out.codes("site")).groupby([out.object_index, out.codes("site")]).size()
    assert counts.max() <= 20
    # t_rel: relative to the last clean epoch over all sites (taken before the
    # outlier removal, as in §5.4, so that epoch may itself be dropped later)
    t_rel = out.column("t_rel") * prep.scale_[0] + prep.mean_[0]
    assert np.all(t_rel <= 1e-9)
    assert np.mean(np.isclose(t_rel[out.offsets[1:] - 1], 0.0)) > 0.8
    # standardised with training statistics; finite everywhere
    for name in prep.get_feature_names_out():
        assert np.isfinite(out.column(name)).all()
    assert abs(out.column("sky").mean()) < 0.3
    # a test set is scaled with the *training* statistics
    other = prep.transform(a[:5])
    np.testing.assert_allclose(other.column("sky"), out[:5].column("sky"))


def test_line_fit_is_continuous_and_exact():
    a = _alert()
    prep = LensNetPreprocessor(flux_normalization="none", outlier_sigma=None, context=()).fit(a)
    out = prep.transform(a)
    line = out.column("line_fit") * prep.scale_[-1] + prep.mean_[-1]
    t = a.time
    np.testing.assert_allclose(line, 50 + np.where(t > 30, 10 * (t - 30), 0.0), atol=1e-8)


def test_outlier_spike_removed_and_min_valid_flag():
    a = _alert(n=60)
    v = a.value.copy()
    v[20] += 500.0
    spiky = a.with_columns(value=v)
    out = LensNetPreprocessor(context=()).fit(spiky).transform(spiky)
    assert out.n_observations == 59 and 20 not in np.flatnonzero(np.isin(a.time, out.time) == 0) - 1
    assert not np.isin(a.time[20], out.time)
    few = _alert(n=12)
    flagged = LensNetPreprocessor().fit(a).transform(few)
    assert not flagged.meta["lensnet_valid"].iloc[0]      # 6 epochs per site < 10


def test_pad_branches_left_zero_padding_and_missing_site():
    a = LightCurves.concat([_alert(n=10, sites=("A", "B")), _alert(n=4, sites=("A",), ident=1)])
    x, lengths = pad_branches(a, ["time", "value"], ("A", "B"))
    assert x.shape == (2, 2, 5, 2)
    assert lengths.tolist() == [[5, 5], [4, 0]]
    assert np.all(x[1, 0, 0] == 0) and np.all(x[1, 1] == 0)       # zeros on the left
    assert x[1, 0, -1, 0] == a[1].time[-1]
    with pytest.raises(ValueError, match="Unknown site"):
        pad_branches(a, ["time"], ("A",))


def test_pad_branches_refuses_values_beyond_float32():
    # issue 17 fuzzing: a finite 1e300 became inf in the float32 input and every
    # predicted probability NaN, silently
    a = LightCurves.concat([_alert(n=10, sites=("A", "B")), _alert(n=4, sites=("A",), ident=1)])
    sky = np.ones(a.n_observations)
    sky[a.offsets[1] + 2] = 1e300
    with pytest.raises(ValueError, match=r"column 'sky' of object 1 holds 1e\+300, beyond "
                                         r"the range of float32"):
        pad_branches(a.with_columns(sky=sky), ["time", "sky"], ("A", "B"))
    x, _ = pad_branches(a.with_columns(sky=sky), ["sky"], ("A", "B"), dtype=np.float64)
    assert x.max() == 1e300


@pytest.mark.parametrize("pooling", ["last", "last+mean"])
def test_branched_module_is_padding_invariant_and_handles_empty_branch(pooling):
    torch.manual_seed(0)
    net = BranchedRNN(n_sites=2, n_features=3, hidden_size=5, dense_size=6, pooling=pooling).eval()
    x = torch.randn(2, 2, 6, 3)
    lengths = torch.tensor([[6, 2], [3, 0]])
    x[1, :, :3] = 0
    x[0, 1, :4] = 0
    x[1, 1] = 0
    longer = torch.cat([torch.zeros(2, 2, 7, 3), x], dim=2)
    with torch.no_grad():
        out, out_long = net(x, lengths), net(longer, lengths)
    torch.testing.assert_close(out, out_long)
    assert torch.isfinite(out).all()
    four = BranchedRNN(n_sites=4, n_features=3, n_outputs=3)
    assert four(torch.zeros(1, 4, 2, 3), torch.tensor([[2, 0, 1, 0]])).shape == (1, 3)


def test_crops_share_the_interval_across_sites_and_keep_labels(small_alerts):
    a = small_alerts[:10]
    y = a.meta["label"].to_numpy()
    aug, y_aug = augment_crops(a, y, n_crops=2, max_left_crop=0.5, max_right_crop=0.5,
                               random_state=0)
    assert len(aug) == 30 and (y_aug == np.tile(y, 3)).all()
    crops = aug[10:]
    assert (crops.meta["crop_of"].to_numpy() == np.tile(a.ids.to_numpy(), 2)).all()
    left, right = crops.meta["crop_left"].to_numpy(), crops.meta["crop_right"].to_numpy()
    obj = crops.object_index
    assert np.all((crops.time >= left[obj] - 1e-9) & (crops.time <= right[obj] + 1e-9))
    # every site is cut at the same times: the minimum retention holds
    tb = np.tile(a.meta["t_break"].to_numpy(), 2)
    first, last = np.tile(a.time[a.offsets[:-1]], 2), np.tile(a.time[a.offsets[1:] - 1], 2)
    tb = np.clip(tb, first, last)
    assert np.all(left <= first + 0.5 * (tb - first) + 1e-9)
    assert np.all(right >= last - 0.5 * (last - tb) - 1e-9)
    tb = a.meta["t_break"].to_numpy()
    with pytest.raises(ValueError, match="max_left_crop"):
        augment_crops(a, y, max_left_crop=1.0)
    zero = crop_to_visibility(a, 0.0)
    assert np.all(zero.time[zero.offsets[1:] - 1] <= np.maximum(tb, zero.time[zero.offsets[:-1]]) + 1e-9)



@pytest.mark.parametrize("bad", ["2021-03-01", ["35.0"], True, pd.Timestamp("2021-03-01")])
def test_non_numeric_t_break_is_a_clear_error_naming_column_and_object(small_alerts, bad):
    # issue 18: a string t_break column gave NumPy's "could not convert string to float"
    from skastro.microlensing import (BrokenLineFeatures, accuracy_vs_visibility,
                                      make_broken_line_baseline)

    alerts = small_alerts[:4]
    tb = np.array(alerts.meta["t_break"], dtype=object)
    tb[2] = bad
    dirty = alerts.with_meta(t_break=tb)
    where = rf"meta\['t_break'\] must hold numbers \(times in days\); object '{alerts.ids[2]}'"
    for name, call in [
        ("LensNetPreprocessor", lambda X: LensNetPreprocessor().fit_transform(X)),
        ("BrokenLineFeatures", lambda X: BrokenLineFeatures().fit_transform(X)),
        ("crop_to_visibility", lambda X: crop_to_visibility(X, 0.5)),
        ("augment_crops", lambda X: augment_crops(X, random_state=0)),
    ]:
        with pytest.raises(ValueError, match=f"{name}: {where}"):
            call(dirty)
    with pytest.raises(ValueError, match=f"crop_to_visibility: {where}"):
        accuracy_vs_visibility(make_broken_line_baseline(0), dirty, None, [0.5])
    # numeric text is read as the number it spells
    text = alerts.with_meta(t_break=alerts.meta["t_break"].astype(str))
    np.testing.assert_array_equal(crop_to_visibility(text, 0.5).time,
                                  crop_to_visibility(alerts, 0.5).time)


def test_max_length_per_alert_keeps_the_alerts_last_epochs():
    a = _alert(n=40)                                # sites A and B alternate
    per_site = LensNetPreprocessor(max_length=6, outlier_sigma=None).fit(a).transform(a)
    per_alert = LensNetPreprocessor(max_length=6, max_length_per="alert",
                                    outlier_sigma=None).fit(a).transform(a)
    assert per_site.n_observations == 12 and per_alert.n_observations == 6
    np.testing.assert_array_equal(per_alert.time, a.time[-6:])
    np.testing.assert_array_equal(per_site.time, a.time[-12:])


def test_preprocessor_paper_preset():
    prep = LensNetPreprocessor.from_preset("viana2025")
    assert (prep.flux_normalization, prep.max_length, prep.max_length_per) == ("none", 1500, "alert")
    assert LensNetPreprocessor.from_preset("viana2025", max_length=100).max_length == 100
    with pytest.raises(ValueError, match="Unknown preset"):
        LensNetPreprocessor.from_preset("paper")
    with pytest.raises(ValueError, match="max_length_per"):
        LensNetPreprocessor(max_length_per="band").fit(_alert())


def test_paper_crops_oversample_maybe_as_table_1():
    # §5.3, Table 1: 7,404 / 1,190 "Maybe", 10,902 / 1,825 "Yes", 12,008 / 2,038 "No"
    # instances after / before augmentation; "Maybe" gets the most copies on purpose
    a = make_microlensing_alerts(400, n_days=6, cadence_hours=5.0, trigger=False, random_state=4)
    aug, y_aug = augment_crops(a, a.meta["label_binary"].to_numpy(), n_crops="paper",
                               random_state=0)
    per_alert = aug.meta.groupby("label").size() / a.meta.groupby("label").size()
    paper = {"Maybe": 7404 / 1190, "Yes": 10902 / 1825, "No": 12008 / 2038}
    for label, ratio in paper.items():
        assert abs(per_alert[label] - ratio) < 0.15, (label, per_alert[label], ratio)
    # each alert gets floor or ceil of its class's mean, and its label follows it
    assert per_alert["Maybe"] > max(per_alert["Yes"], per_alert["No"])
    copies = aug.meta.groupby("crop_of").size().loc[a.ids].to_numpy()
    low = a.meta["label"].map({"Maybe": 6, "Yes": 5, "No": 5}).to_numpy()
    assert np.isin(copies - low, [0, 1]).all()
    assert (y_aug == np.where(aug.meta["label"] == "No", "No", "Yes/Maybe")).all()


def test_crops_per_class_dict_and_its_bad_input(small_alerts):
    a = small_alerts[:20]
    aug, y_aug = augment_crops(a, a.meta["label"].to_numpy(),
                               n_crops={"Yes": 2, "Maybe": 1, "No": 0}, random_state=0)
    want = a.meta["label"].map({"Yes": 3, "Maybe": 2, "No": 1})
    assert (aug.meta.groupby("crop_of").size().loc[a.ids].to_numpy() == want.to_numpy()).all()
    assert (y_aug == aug.meta["label"].to_numpy()).all()
    before = a.to_pandas(with_meta=True)
    for bad, match in (({"Yes": 1}, r"no number of crops.*'Maybe'"),
                       ({"Yes": -1, "Maybe": 1, "No": 1}, "non-negative"),
                       (True, "n_crops"), (-1, "n_crops must be >= 0"), ("lots", "'paper'")):
        with pytest.raises(ValueError, match=match):
            augment_crops(a, n_crops=bad)
    with pytest.raises(ValueError, match=r"meta\['kind_of'\]"):
        augment_crops(a, n_crops="paper", label="kind_of")
    pd.testing.assert_frame_equal(a.to_pandas(with_meta=True), before)

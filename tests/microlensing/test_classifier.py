import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline

from skastro import LightCurves
from skastro.datasets import make_microlensing_alerts
from skastro.microlensing import (BranchedRNNClassifier, LensNetPreprocessor,
                                  accuracy_vs_threshold, balanced_threshold,
                                  make_broken_line_baseline, per_class_accuracy,
                                  purity_threshold)


def _clf(**kw):
    params = dict(hidden_size=8, dense_size=8, max_epochs=3, batch_size=32, n_jobs=1,
                  lr=1e-2, random_state=0)
    params.update(kw)
    return BranchedRNNClassifier(**params)


@pytest.fixture(scope="module")
def fitted(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    return _clf().fit(small_alerts, y), small_alerts, y


def _rises_and_flats(n=80, seed=0):
    """Three-site alerts: a rise over the last days ("Yes") or flat noise ("No")."""
    rng = np.random.default_rng(seed)
    times, values, errors, sites, ctx = [], [], [], [], {k: [] for k in
                                                        ("sky", "fwhm", "airmass", "psf_quality")}
    y = np.where(np.arange(n) % 2, "Yes", "No")
    for label in y:
        t = np.sort(rng.uniform(0, 20, 60))
        s = np.array(["CTIO", "SAAO", "SSO"])[rng.integers(0, 3, 60)]
        f = 100 + rng.normal(0, 5, 60)
        if label == "Yes":
            f = f + np.clip(t - 15, 0, None) * rng.uniform(8, 15)
        times.append(t); values.append(f); errors.append(np.full(60, 5.0)); sites.append(s)
        for k, lo in (("sky", 900), ("fwhm", 4), ("airmass", 1.2), ("psf_quality", 80)):
            ctx[k].append(lo * rng.uniform(0.9, 1.1, 60))
    meta = pd.DataFrame({"t_break": np.full(n, 15.0), "label": y})
    return LightCurves.from_arrays(times, values, errors, sites=sites, context=ctx, meta=meta,
                                   value_kind="flux"), y


def test_learns_a_clear_separation():
    a, y = _rises_and_flats()
    clf = _clf(max_epochs=8, batch_size=8).fit(a[:60], y[:60])
    acc = per_class_accuracy(y[60:], clf.predict(a[60:]))["mean"]
    assert acc > 0.85


def test_proba_threshold_and_chunking(fitted):
    clf, a, y = fitted
    p = clf.predict_proba(a)
    assert p.shape == (len(a), 2) and np.allclose(p.sum(1), 1)
    # scores do not depend on the chunking (padding-invariant branches)
    small = clf.set_params(chunk_size=7).predict_proba(a)
    np.testing.assert_allclose(p, small, atol=1e-5)
    clf.set_params(chunk_size=2048)
    # a higher threshold never adds positives
    low = clf.set_params(threshold=0.2).predict(a) == clf.classes_[1]
    high = clf.set_params(threshold=0.9).predict(a) == clf.classes_[1]
    clf.set_params(threshold=0.5)
    assert np.all(low >= high)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(a[:5]), p[:5])


def test_missing_site_for_an_alert_is_an_empty_branch(fitted):
    clf, a, y = fitted
    one = a[[0]]
    keep = one.column("site") != "SSO"
    without = one.select_observations(keep)
    p = clf.predict_proba(without)
    assert np.isfinite(p).all()


def test_three_classes_and_class_weights(small_alerts):
    y3 = small_alerts.meta["label"].to_numpy()
    clf = _clf(max_epochs=1, class_weight=None).fit(small_alerts, y3)
    assert list(clf.classes_) == ["Maybe", "No", "Yes"]
    assert clf.net_.module_.n_outputs == 3
    assert clf.predict_proba(small_alerts[:4]).shape == (4, 3)
    assert set(clf.predict(small_alerts)) <= set(clf.classes_)


def test_sites_come_from_the_data():
    a = make_microlensing_alerts(20, n_days=8, cadence_hours=2.5, sites=("A", "B", "C", "D"),
                                 random_state=0)
    clf = _clf(max_epochs=1).fit(a, a.meta["label_binary"].to_numpy())
    assert clf.sites_ == ("A", "B", "C", "D") and len(clf.net_.module_.branches) == 4


def test_pipeline_with_preprocessing_and_tuned_threshold(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    pipe = make_pipeline(LensNetPreprocessor(), _clf(preprocessor="passthrough", max_epochs=1))
    pipe.fit(small_alerts, y)
    assert pipe.predict_proba(small_alerts).shape == (len(small_alerts), 2)
    tuned = TunedThresholdClassifierCV(_clf(max_epochs=1), cv=2, scoring="balanced_accuracy",
                                       thresholds=5, random_state=0)
    tuned.fit(small_alerts, y)
    assert 0 < tuned.best_threshold_ < 1
    with pytest.raises(ValueError, match="passthrough"):
        _clf(preprocessor="passthrough", n_crops=1).fit(small_alerts, y)


def test_crops_inside_fit_only(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    clf = _clf(max_epochs=1, n_crops=2).fit(small_alerts, y)
    # the training set was augmented (3x batches seen), predictions keep one row per alert
    assert clf.predict(small_alerts).shape == (len(small_alerts),)


def _instances_per_class(clf):
    """Training instances of each class, from the balanced loss weights and the batch sizes."""
    total = sum(b["train_batch_size"] for b in clf.history_[-1]["batches"])
    if len(clf.classes_) == 2:                     # pos_weight = n_negative / n_positive
        pos = round(total / (1 + float(clf.net_.criterion_.pos_weight)))
        return dict(zip(clf.classes_, [total - pos, pos]))
    weights = clf.net_.criterion_.weight.numpy()   # total / (n_classes * n_class)
    return dict(zip(clf.classes_, np.round(total / (len(weights) * weights)).astype(int)))


@pytest.fixture(scope="module")
def crop_alerts():
    return make_microlensing_alerts(90, n_days=6, cadence_hours=4, random_state=1)


def test_crops_per_class_follow_table1(crop_alerts):
    y = crop_alerts.meta["label"].to_numpy()
    n = pd.Series(y).value_counts()
    fit = dict(hidden_size=4, dense_size=4, max_epochs=1, batch_size=256, lr=1e-3)
    # an int: the same number of copies for every class
    assert _instances_per_class(_clf(n_crops=2, **fit).fit(crop_alerts, y)) == dict(3 * n)
    # a dict per class, exactly (means that are integers)
    got = _instances_per_class(_clf(n_crops={"Yes": 2, "Maybe": 1, "No": 0}, **fit).fit(crop_alerts, y))
    assert got == {"Yes": 3 * n["Yes"], "Maybe": 2 * n["Maybe"], "No": n["No"]}
    # "paper": Table 1's instances per alert, 10902/1825, 7404/1190, 12008/2038
    got = _instances_per_class(_clf(n_crops="paper", **fit).fit(crop_alerts, y))
    per_alert = {k: got[k] / n[k] for k in got}
    assert 6 <= per_alert["Maybe"] <= 7 and 5 <= per_alert["Yes"] <= 6 and 5 <= per_alert["No"] <= 6
    assert per_alert["Maybe"] > max(per_alert["Yes"], per_alert["No"])  # oversampled
    for k, table in {"Yes": 10902 / 1825, "Maybe": 7404 / 1190, "No": 12008 / 2038}.items():
        assert abs(per_alert[k] - table) < 0.2, (k, per_alert[k], table)


def test_crops_per_class_of_y_without_meta_label(crop_alerts):
    y = crop_alerts.meta["label_binary"].to_numpy()
    alerts = LightCurves(crop_alerts.offsets, {c: crop_alerts.column(c) for c in crop_alerts.columns},
                         meta=crop_alerts.meta.drop(columns="label"), value_kind="flux")
    got = _instances_per_class(_clf(n_crops={"No": 0, "Yes/Maybe": 1}, hidden_size=4, dense_size=4,
                                    max_epochs=1, batch_size=256).fit(alerts, y))
    n = pd.Series(y).value_counts()
    assert got == {"No": n["No"], "Yes/Maybe": 2 * n["Yes/Maybe"]}


@pytest.mark.parametrize("label, size, seed", [("label_binary", 4, 0), ("label", 8, 7)])
def test_history_records_per_class_accuracy(crop_alerts, label, size, seed):
    y = crop_alerts.meta[label].to_numpy()
    # lr ~ 0 and no dropout: the batch predictions of the epoch are predict()'s
    # (seeds where the untrained net does not predict one class for all)
    clf = _clf(max_epochs=1, lr=1e-12, dropout=0.0, hidden_size=size, dense_size=size,
               random_state=seed).fit(crop_alerts, y)
    pred = clf.predict(crop_alerts)
    expected = [np.mean(pred[y == c] == c) for c in clf.classes_]
    assert 0 < np.mean(expected) and sum(0 < e < 1 for e in expected) >= 1
    np.testing.assert_allclose(clf.history_[-1, "train_class_acc"], expected)
    assert clf.history_[-1, "train_acc"] == pytest.approx(np.mean(pred == y))


@pytest.mark.parametrize("n_crops, match", [
    ("lots", "'n_crops' parameter of BranchedRNNClassifier"),
    (-1, "'n_crops' parameter of BranchedRNNClassifier"),
    (1.5, "'n_crops' parameter of BranchedRNNClassifier"),
    ({"Yes": -1, "Maybe": 1, "No": 1}, "BranchedRNNClassifier: n_crops must map"),
    ({"Yes": 1, "No": 1}, r"BranchedRNNClassifier: n_crops=.* classes \['Maybe'\] of meta\['label'\]"),
])
def test_rejects_bad_n_crops(small_alerts, n_crops, match):
    y = small_alerts.meta["label_binary"].to_numpy()
    with pytest.raises(ValueError, match=match):
        _clf(n_crops=n_crops, max_epochs=1).fit(small_alerts, y)


def test_rejects_bad_input(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    with pytest.raises(TypeError, match="LightCurves"):
        _clf().fit(np.zeros((3, 4)), y[:3])
    with pytest.raises(ValueError, match="one label per alert"):
        _clf().fit(small_alerts, y[:-1])
    with pytest.raises(ValueError, match="2 classes"):
        _clf().fit(small_alerts, np.full(len(y), "No"))
    mag = LightCurves(small_alerts.offsets, {c: small_alerts.column(c) for c in small_alerts.columns},
                      meta=small_alerts.meta, value_kind="mag")
    with pytest.raises(ValueError, match="flux"):
        _clf().fit(mag, y)


def test_threshold_helpers_and_baseline(small_alerts):
    y = np.array([0] * 50 + [1] * 50)
    rng = np.random.default_rng(0)
    p = np.clip(np.r_[rng.normal(0.3, 0.15, 50), rng.normal(0.7, 0.15, 50)], 0, 0.999)
    curve = accuracy_vs_threshold(y, p)
    assert curve["mean"].iloc[0] == 0.5 and curve["mean"].iloc[-1] <= 0.5
    thr = balanced_threshold(y, p)
    assert 0.35 < thr < 0.65 and curve["mean"].max() > 0.85
    pur = purity_threshold(y, p, negative_accuracy=1.0)
    assert pur >= p[:50].max() - 1e-9 and pur > thr
    yb = small_alerts.meta["label_binary"].to_numpy()
    base = make_broken_line_baseline(0).fit(small_alerts, yb)
    assert base.predict_proba(small_alerts).shape == (len(yb), 2)


def test_early_stopping_keeps_the_best_epoch(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    clf = _clf(max_epochs=12, early_stopping=True, validation_fraction=0.3, n_iter_no_change=2,
               n_crops=1, lr=3e-2).fit(small_alerts, y)
    loss = np.asarray(clf.history_[:, "valid_loss"])
    assert 1 <= len(loss) <= 12
    stop = dict(clf.net_.callbacks_)["early_stopping"]
    assert stop.best_epoch_ == int(np.argmin(loss)) + 1
    # the fitted weights are the best epoch's, not the last one's
    for name, value in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(value, stop.best_model_weights_[name])
    assert clf.predict(small_alerts).shape == (len(y),)


def test_validation_fraction_alone_only_monitors(small_alerts):
    y = small_alerts.meta["label_binary"].to_numpy()
    clf = _clf(max_epochs=3, validation_fraction=0.3).fit(small_alerts, y)
    assert len(clf.history_) == 3 and np.all(np.isfinite(clf.history_[:, "valid_loss"]))
    assert "early_stopping" not in dict(clf.net_.callbacks_)


def test_purity_threshold_with_confidence():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(400, int), np.ones(100, int)]
    p = np.r_[rng.uniform(0, 1, 400) ** 3, rng.uniform(0.3, 1, 100)]
    plain = purity_threshold(y, p, negative_accuracy=0.99)
    sure = purity_threshold(y, p, negative_accuracy=0.99, confidence=0.95)
    curve = accuracy_vs_threshold(y, p, thresholds=[plain, sure])
    assert curve["negative"].iloc[0] >= 0.99 and sure > plain
    # 400 "No" alerts, all right, only bound the accuracy below by ~0.9925 at 95 %
    assert curve["negative"].iloc[1] > 0.99
    with pytest.raises(ValueError, match="confidence"):
        purity_threshold(y, p, confidence=1.5)


def test_plot_confusion_matrices_draws_in_the_given_axes():
    import matplotlib.pyplot as plt

    from skastro.microlensing import plot_confusion_matrices

    results = {"binary": (["No", "Yes", "Yes"], ["No", "Yes", "No"]),
               "three": (["No", "Yes", "Maybe"], ["No", "Yes", "Yes"])}
    fig, axes = plt.subplots(1, 2)
    assert plot_confusion_matrices(results, ax=axes) is fig
    assert [a.get_title() for a in axes] == ["binary", "three"]
    with pytest.raises(ValueError, match="one Axes per result"):
        plot_confusion_matrices(results, ax=axes[0])
    plt.close("all")


def test_paper_preset():
    clf = BranchedRNNClassifier.from_preset("viana2025")
    assert (clf.lr, clf.batch_size, clf.n_crops, clf.max_epochs) == (1e-6, 2048, "paper", 3000)
    assert clf.preprocessor.get_params()["flux_normalization"] == "none"
    assert clf.preprocessor.max_length_per == "alert"
    # each call builds its own preprocessor; keywords override the preset
    assert BranchedRNNClassifier.from_preset("viana2025").preprocessor is not clf.preprocessor
    assert BranchedRNNClassifier.from_preset("viana2025", lr=1e-3, preprocessor=None).lr == 1e-3
    with pytest.raises(ValueError, match="Unknown preset"):
        BranchedRNNClassifier.from_preset("lensnet")


def test_passthrough_drops_nonfinite_epochs_instead_of_training_on_nan(small_alerts):
    # issue 17 fuzzing: one NaN/inf feature made every weight NaN, silently
    prep = LensNetPreprocessor().fit(small_alerts)
    X = prep.transform(small_alerts)
    y = small_alerts.meta["label_binary"].to_numpy()
    value, error = X.value.copy(), X.error.copy()
    value[[3, 10]] = np.nan   # both in the first alert
    error[X.offsets[1] + 1] = np.inf
    dirty = X.with_columns(value=value, error=error)
    clf = _clf(preprocessor="passthrough", max_epochs=2).fit(dirty, y)
    assert clf.n_dropped_ == 3
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())
    assert np.isfinite(clf.predict_proba(dirty)).all()
    clean = X.select_observations(np.isfinite(value) & np.isfinite(error))
    # the same as training on the alerts without those epochs (fit and predict)
    ref = _clf(preprocessor="passthrough", max_epochs=2).fit(clean, y)
    np.testing.assert_allclose(clf.predict_proba(dirty), ref.predict_proba(clean), rtol=1e-5)
    assert _clf(preprocessor="passthrough", max_epochs=1).fit(X, y).n_dropped_ == 0
    flagged = X.with_columns(value=np.where(X.object_index == 2, np.nan, X.value))
    with pytest.raises(ValueError, match=f"BranchedRNNClassifier: object {X.ids[2]!r} has no "
                                         "observation with finite"):
        clf.predict_proba(flagged)


def test_feature_beyond_float32_is_a_clear_error_not_nan_probabilities(small_alerts):
    # issue 17 fuzzing: a context value of 1e300 overflowed the float32 input to inf
    # and fit, then predict_proba, gave NaN for every alert without a word
    y = small_alerts.meta["label_binary"].to_numpy()
    sky = np.array(small_alerts.column("sky"), dtype=float)
    sky[small_alerts.offsets[1]] = 1e300
    huge = small_alerts.with_columns(sky=sky)
    with pytest.raises(ValueError, match=f"column 'sky' of object {small_alerts.ids[1]!r} holds "
                                         "1e\\+300, beyond the range of float32"):
        _clf(preprocessor="passthrough", max_epochs=1).fit(huge, y)
    clf = _clf(preprocessor="passthrough", max_epochs=1).fit(small_alerts, y)
    with pytest.raises(ValueError, match="beyond the range of float32"):
        clf.predict_proba(huge)

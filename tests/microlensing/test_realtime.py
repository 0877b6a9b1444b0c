import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skastro.datasets import make_microlensing_alerts
from skastro.microlensing import BranchedRNNClassifier, LensNetStream

CONTEXT = ("sky", "fwhm", "airmass", "psf_quality")


@pytest.fixture(scope="module")
def alerts():
    return make_microlensing_alerts(16, n_days=6, cadence_hours=3.0, random_state=5)


def _causal(alerts):
    """Per-epoch features from fixed constants only (what an incremental model needs)."""
    v, e = alerts.value, alerts.error
    return alerts.with_columns(
        t_rel=(alerts.time - 9300.0) / 10.0, value=(v - 1000.0) / 500.0, error=e / 500.0,
        sky=alerts.column("sky") / 1000.0, fwhm=alerts.column("fwhm") / 4.0)


def _feed(stream, X, k, rng, columns):
    """Stream alert k of X in random chunks; yield the probabilities after each update."""
    df = X[[k]].to_pandas()
    df = df.iloc[rng.permutation(len(df))].sort_values("time", kind="stable")  # sites interleave
    start = 0
    while start < len(df):
        chunk = df.iloc[start:start + rng.integers(1, 6)]
        start += len(chunk)
        for site, part in chunk.groupby("site", sort=False):
            p = stream.update(X.meta.index[k], site, part["time"].to_numpy(),
                              part["value"].to_numpy(), part["error"].to_numpy(),
                              meta={"t_break": float(X.meta["t_break"].iloc[k])},
                              **{c: part[c].to_numpy() for c in columns if c != "error"})
        yield p


def test_recompute_stream_equals_a_full_rescore_after_each_update(alerts):
    y = alerts.meta["label_binary"].to_numpy()
    clf = BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=1, random_state=0).fit(alerts, y)
    stream = clf.stream()
    assert isinstance(stream, LensNetStream) and stream.mode == "recompute"
    assert stream.columns == ("error", *CONTEXT)
    rng = np.random.default_rng(0)
    for k in (0, 1):
        for p in _feed(stream, alerts, k, rng, stream.columns):
            full = clf.predict_proba(stream.to_lightcurves([alerts.meta.index[k]]))[0]
            np.testing.assert_allclose(p, full, atol=1e-6)
        # the whole history streamed = the alert itself
        np.testing.assert_allclose(p, clf.predict_proba(alerts[[k]])[0], atol=1e-6)
    assert len(stream) == 2 and stream.object_ids == list(alerts.meta.index[:2])


@pytest.mark.parametrize("pooling, num_layers, label", [("last", 1, "label_binary"),
                                                       ("last+mean", 2, "label")])
def test_incremental_stream_equals_a_full_rescore_after_each_update(alerts, pooling, num_layers,
                                                                     label):
    # passthrough feeds the values as they are: no flagged (NaN) epochs
    X = _causal(make_microlensing_alerts(16, n_days=6, cadence_hours=3.0, bad_value_fraction=0.0,
                                         random_state=5))
    clf = BranchedRNNClassifier(preprocessor="passthrough", hidden_size=5, dense_size=4,
                                num_layers=num_layers, pooling=pooling, max_epochs=1,
                                random_state=0).fit(X, X.meta[label].to_numpy())
    stream = clf.stream()
    assert stream.mode == "incremental" and "t_rel" in stream.columns
    rng = np.random.default_rng(1)
    oid = X.meta.index[2]
    scores = []
    for p in _feed(stream, X, 2, rng, stream.columns):
        full = clf.predict_proba(stream.to_lightcurves([oid]))[0]
        np.testing.assert_allclose(p, full, atol=2e-6)
        scores.append(p)
    assert len(p) == len(clf.classes_) and np.ptp(np.array(scores)[:, -1]) > 0
    # an epoch older than its site's last re-reads that site, and stays exact
    df = X[[2]].to_pandas()
    row = df[df["site"] == "CTIO"].iloc[0]
    late = stream.update(oid, "CTIO", row["time"] - 0.01, row["value"], row["error"],
                         **{c: row[c] for c in stream.columns if c != "error"})
    np.testing.assert_allclose(late, clf.predict_proba(stream.to_lightcurves([oid]))[0], atol=2e-6)
    np.testing.assert_allclose(stream.score(oid), late)
    stream.forget(oid)
    assert oid not in stream and len(stream) == 0


def test_stream_bad_input(alerts):
    clf = BranchedRNNClassifier(hidden_size=3, dense_size=3, max_epochs=1, random_state=0)
    with pytest.raises(NotFittedError):
        clf.stream()
    with pytest.raises(TypeError, match="LensNetStream"):
        LensNetStream(object())
    stream = clf.fit(alerts, alerts.meta["label_binary"].to_numpy()).stream()
    ctx = {c: 1.0 for c in CONTEXT}
    with pytest.raises(ValueError, match="unknown site"):
        stream.update("a", "OGLE", 1.0, 10.0, 1.0, **ctx)
    with pytest.raises(ValueError, match="psf_quality"):
        stream.update("a", "CTIO", 1.0, 10.0, 1.0, sky=1.0, fwhm=1.0, airmass=1.0)
    with pytest.raises(ValueError, match="'value' has shape"):
        stream.update("a", "CTIO", [1.0, 2.0], [1.0, 2.0, 3.0], 1.0, **ctx)
    with pytest.raises(ValueError, match="site has shape"):
        stream.update("a", ["CTIO", "SSO"], [1.0, 2.0, 3.0], 10.0, 1.0, **ctx)
    with pytest.raises(ValueError, match="finite"):
        stream.update("a", "CTIO", np.nan, 10.0, 1.0, **ctx)
    with pytest.raises(TypeError, match="meta"):
        stream.update("a", "CTIO", 1.0, 10.0, 1.0, meta=[1], **ctx)
    assert len(stream) == 0                     # nothing half-added
    with pytest.raises(KeyError, match="no alert"):
        stream.score("a")
    with pytest.raises(KeyError, match="no alert"):
        stream.forget("a")
    t = np.array([3.0, 1.0, 2.0])
    stream.update("a", "CTIO", t, [10.0, 11.0, 12.0], 1.0, **ctx)
    assert t.tolist() == [3.0, 1.0, 2.0]        # input untouched


def test_incremental_stream_skips_nonfinite_epochs_as_predict_proba_drops_them():
    # issue 17: predict_proba (passthrough) drops NaN/inf epochs; the stream fed them to
    # the LSTM state, and every later score of that alert was NaN
    X = _causal(make_microlensing_alerts(16, n_days=6, cadence_hours=3.0, bad_value_fraction=0.0,
                                         random_state=5))
    clf = BranchedRNNClassifier(preprocessor="passthrough", hidden_size=5, dense_size=4,
                                max_epochs=1, random_state=0).fit(X, X.meta["label_binary"].to_numpy())
    value = X.value.copy()
    o = X.offsets
    value[[o[2] + 3, o[2] + 7]] = [np.nan, np.inf]
    dirty = X.with_columns(value=value)
    stream = clf.stream()
    oid = X.meta.index[2]
    for p in _feed(stream, dirty, 2, np.random.default_rng(1), stream.columns):
        assert np.isfinite(p).all()
        np.testing.assert_allclose(p, clf.predict_proba(stream.to_lightcurves([oid]))[0], atol=2e-6)
    df = dirty[[2]].to_pandas()
    row = df[df["site"] == df["site"].iloc[0]].iloc[0]  # an old epoch: re-reads its site
    late = stream.update(oid, row["site"], row["time"] - 0.01, row["value"], row["error"],
                         **{c: row[c] for c in stream.columns if c != "error"})
    np.testing.assert_allclose(late, clf.predict_proba(stream.to_lightcurves([oid]))[0], atol=2e-6)


def test_incremental_stream_refuses_features_beyond_float32_as_predict_proba_does():
    # issue 17: predict_proba refuses a finite 1e300 (it would be inf in the float32
    # input); the stream must not feed it to the alert's LSTM state either
    X = _causal(make_microlensing_alerts(16, n_days=6, cadence_hours=3.0, bad_value_fraction=0.0,
                                         random_state=5))
    clf = BranchedRNNClassifier(preprocessor="passthrough", hidden_size=5, dense_size=4,
                                max_epochs=1, random_state=0).fit(X, X.meta["label_binary"].to_numpy())
    stream = clf.stream()
    oid = X.meta.index[2]
    row = X[[2]].to_pandas().iloc[0]
    context = {c: row[c] for c in stream.columns if c != "error"}
    first = stream.update(oid, row["site"], row["time"], row["value"], row["error"], **context)
    with pytest.raises(ValueError, match=f"column 'sky' of object {oid!r} holds 1e\\+300, "
                                         "beyond the range of float32"):
        stream.update(oid, row["site"], row["time"] + 0.1, row["value"], row["error"],
                      **{**context, "sky": 1e300})
    with pytest.raises(ValueError, match="beyond the range of float32"):
        clf.predict_proba(X[[2]].with_columns(sky=np.full(X.lengths[2], 1e300)))
    # the refused epoch left the alert as it was
    assert stream.to_lightcurves([oid]).n_observations == 1
    assert np.isfinite(first).all()

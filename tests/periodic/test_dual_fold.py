"""DualFoldSequencer: the output contract the BiLSTM codes against."""

import numpy as np
import pytest
from skorch.helper import SliceDict
from sklearn.model_selection import KFold

from skastro import LightCurves
from skastro.datasets import make_periodic_variables
from skastro.periodic import DualFoldSequencer, PeriodFolder


@pytest.fixture(scope="module")
def folded():
    lcs = make_periodic_variables(12, n_epochs=(30, 80), classes={"RRab": 0.5, "EC": 0.5},
                                  random_state=3)
    return PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)


def test_contract_shapes_dtypes_and_padding(folded):
    X = DualFoldSequencer().fit_transform(folded)
    assert isinstance(X, SliceDict)
    assert set(X.keys()) == {"sequence", "length", "period", "n_dropped"}
    np.testing.assert_array_equal(X["n_dropped"], 0)
    seq, length, period = X["sequence"], X["length"], X["period"]
    n = len(folded)
    assert seq.dtype == np.float32 and seq.ndim == 3 and seq.shape[0] == n and seq.shape[2] == 4
    assert length.dtype == np.int64 and length.shape == (n,)
    assert period.dtype == np.float32 and period.shape == (n, 1)
    assert seq.shape[1] == length.max()
    np.testing.assert_allclose(period[:, 0], folded.meta["period"], rtol=1e-6)
    # lengths count the non-outlier epochs
    kept = np.bincount(folded.object_index[~folded.column("outlier")], minlength=n)
    np.testing.assert_array_equal(length, kept)
    for i in range(n):
        L = length[i]
        assert np.all(seq[i, L:] == 0)  # zero padding after the true length
        assert np.all(np.diff(seq[i, :L, 1]) >= 0)  # sorted by phase at P
        assert np.all(np.diff(seq[i, :L, 3]) >= 0)  # sorted by phase at 2P
        lc = folded[i]
        keep = ~lc.column("outlier")
        m, ph, ph2 = lc.column("value_centered")[keep], lc.column("phase")[keep], lc.column("phase_2p")[keep]
        np.testing.assert_allclose(seq[i, :L, 0], m[np.argsort(ph, kind="stable")], atol=1e-6)
        np.testing.assert_allclose(seq[i, :L, 2], m[np.argsort(ph2, kind="stable")], atol=1e-6)
        assert 0 <= seq[i, :L, 1].min() and seq[i, :L, 3].max() < 1


def test_slicing_like_cross_validation(folded):
    X = DualFoldSequencer().fit_transform(folded)
    for train, test in KFold(3).split(np.zeros(len(folded))):
        part = X[test]
        assert part["sequence"].shape[0] == len(test)
        np.testing.assert_array_equal(part["length"], X["length"][test])


def test_max_length_pads_and_thins(folded):
    long_T = 200
    X = DualFoldSequencer(max_length=long_T).fit_transform(folded)
    assert X["sequence"].shape[1] == long_T
    T = 10
    Y = DualFoldSequencer(max_length=T).fit_transform(folded)
    assert Y["sequence"].shape == (len(folded), T, 4)
    assert (Y["length"] == np.minimum(X["length"], T)).all()
    # thinned sequences still span the cycle in phase order
    ph = Y["sequence"][:, :, 1]
    assert np.all(np.diff(ph, axis=1) >= 0)
    assert np.all(ph[:, -1] - ph[:, 0] > 0.6)


def test_keep_outliers_option(folded):
    with_out = DualFoldSequencer(drop_outliers=False).fit_transform(folded)
    np.testing.assert_array_equal(with_out["length"], folded.lengths)


def test_invalid_objects_raise_or_zero():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 500, 60))
    lcs = LightCurves.from_arrays(
        [t, t[:4]], [14 + 0.2 * np.sin(2 * np.pi * t / 0.5), np.full(4, 14.0) + [0, .1, 0, .1]],
        [np.full(60, 0.01), np.full(4, 0.01)], ids=["ok", "few"])
    folded = PeriodFolder.from_preset("dekany2020", random_state=0).fit_transform(lcs)
    with pytest.raises(ValueError, match="few"):
        DualFoldSequencer().fit(folded).transform(folded)
    X = DualFoldSequencer(on_invalid="zero").fit_transform(folded)
    assert X["length"].tolist() == [60, 1]
    assert X["period"][1, 0] == 1.0 and np.all(X["sequence"][1] == 0)


def test_pipeline_runs_with_an_object_too_short_to_fold():
    # issue 18 item 12: on_invalid="zero" used to emit period 0, which BiLSTMClassifier
    # rejects, so one object with too few epochs broke the whole pipeline
    from sklearn.pipeline import make_pipeline

    from skastro.periodic import BiLSTMClassifier

    lcs = make_periodic_variables(12, n_epochs=40, classes={"RRab": 0.5, "EC": 0.5},
                                  random_state=0)
    keep = np.ones(lcs.n_observations, bool)
    keep[lcs.offsets[1] + 3:lcs.offsets[2]] = False  # object 1 keeps 3 measurements
    few = lcs.select_observations(keep)
    y = lcs.meta["label"].to_numpy()
    pipe = make_pipeline(
        PeriodFolder(random_state=0), DualFoldSequencer(max_length=20, on_invalid="zero"),
        BiLSTMClassifier(hidden_sizes=(4,), dense_size=4, max_epochs=1, batch_size=8,
                         n_jobs=1, random_state=0))
    pipe.fit(few, y)
    folded = pipe[0].transform(few)
    assert folded.meta["fold_status"].iloc[1] == "too_few_epochs"
    assert pipe.predict_proba(few).shape == (12, 2)


def test_bad_inputs():
    lcs = make_periodic_variables(3, n_epochs=30, random_state=1)
    with pytest.raises(ValueError, match="phase"):
        DualFoldSequencer().fit(lcs)
    with pytest.raises(TypeError, match="LightCurves"):
        DualFoldSequencer().fit(np.zeros((3, 5, 4)))
    multi = make_periodic_variables(3, n_epochs=60, bands=("g", "r"), random_state=1)
    folded = PeriodFolder.from_preset("dekany2020", multiband=True, random_state=0).fit_transform(multi)
    with pytest.raises(ValueError, match="band"):
        DualFoldSequencer().fit(folded).transform(folded)
    X = DualFoldSequencer(band="r").fit(folded).transform(folded)
    assert X["sequence"].shape[0] == 3


def test_nonfinite_epochs_are_counted_and_float32_overflow_refused(folded):
    # issue 17 fuzzing: NaN epochs were left out silently, and a magnitude beyond the
    # float32 range became inf in the sequences without a word
    seq = DualFoldSequencer().fit(folded)
    mag = folded.column("value_centered").copy()
    o = folded.offsets
    mag[[o[1] + 2, o[1] + 5]] = [np.nan, -np.inf]
    mag[o[4]] = np.nan
    dirty = folded.with_columns(value_centered=mag).with_meta(n_dropped=np.arange(len(folded)))
    X = seq.transform(dirty)
    expected = np.arange(len(folded))
    expected[[1, 4]] += [2, 1]
    np.testing.assert_array_equal(X["n_dropped"], expected)
    clean = seq.transform(folded)
    np.testing.assert_array_equal(clean["length"] - X["length"],
                                  [np.count_nonzero(~np.isfinite(mag[o[i]:o[i + 1]])
                                                    & ~folded.column("outlier")[o[i]:o[i + 1]])
                                   for i in range(len(folded))])
    huge = folded.column("value_centered").copy()
    huge[o[3] + 1] = 1e300
    with pytest.raises(ValueError, match=rf"DualFoldSequencer: column 'value_centered' of object "
                                         rf"{folded.ids[3]!r} holds 1e\+300, beyond the range of float32"):
        seq.transform(folded.with_columns(value_centered=huge))
    period = folded.meta["period"].to_numpy().copy()
    period[2] = 1e39
    with pytest.raises(ValueError, match=rf"meta\['period'\] of object {folded.ids[2]!r} holds"):
        seq.transform(folded.with_meta(period=period))

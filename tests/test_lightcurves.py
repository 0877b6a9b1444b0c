import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from astropy.time import Time
from astropy.timeseries import TimeSeries
import astropy.units as u
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score, train_test_split

from skastro import LightCurves


def long_table():
    return pd.DataFrame(
        {
            "object_id": ["b", "b", "a", "a", "a", "b", "c"],
            "time": [5.0, 1.0, 3.0, 2.0, 4.0, 3.0, 7.0],
            "mag": [15.0, 15.1, 17.0, 17.1, 17.2, 15.2, 12.0],
            "mag_err": [0.01, 0.02, 0.1, 0.1, 0.1, 0.03, 0.005],
            "filter": ["r", "g", "g", "g", "r", "r", "i"],
            "airmass": [1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
        }
    )


def test_from_pandas_groups_sorts_and_keeps_first_appearance_order():
    table = long_table()
    before = table.copy()
    lcs = LightCurves.from_pandas(table, band="filter", context=["airmass"])
    pd.testing.assert_frame_equal(table, before)  # input not mutated
    assert len(lcs) == 3 and lcs.ids.tolist() == ["b", "a", "c"]
    assert lcs.lengths.tolist() == [3, 3, 1]
    np.testing.assert_array_equal(lcs.time, [1, 3, 5, 2, 3, 4, 7])
    np.testing.assert_array_equal(lcs.value, [15.1, 15.2, 15.0, 17.1, 17.0, 17.2, 12.0])
    np.testing.assert_array_equal(lcs.column("airmass"), [1.2, 1.6, 1.1, 1.4, 1.3, 1.5, 1.7])
    assert lcs.column("band").tolist() == ["g", "r", "r", "g", "g", "r", "i"]
    assert lcs.bands == ("g", "i", "r") and lcs.context_columns == ("airmass",)
    assert lcs.value_kind == "mag"
    assert [a.tolist() for a in lcs.split("time")] == [[1, 3, 5], [2, 3, 4], [7]]


def test_from_pandas_keeps_categorical_band_order_and_infers_flux():
    table = long_table().rename(columns={"mag": "flux", "mag_err": "flux_err"})
    table["filter"] = pd.Categorical(table["filter"], categories=["g", "r", "i"])
    lcs = LightCurves.from_pandas(table, value="flux", error="flux_err", band="filter")
    assert lcs.bands == ("g", "r", "i") and lcs.value_kind == "flux"
    assert lcs.codes("band").tolist() == [0, 1, 1, 0, 0, 1, 2]


def test_from_pandas_aligns_meta_by_id():
    meta = pd.DataFrame({"label": ["A", "B", "C"]}, index=["a", "b", "c"])
    lcs = LightCurves.from_pandas(long_table(), meta=meta)
    assert lcs.meta["label"].tolist() == ["B", "A", "C"]
    with pytest.raises(ValueError, match="no row for object id"):
        LightCurves.from_pandas(long_table(), meta=meta.iloc[:2])


def test_unknown_column_lists_available_ones():
    with pytest.raises(KeyError, match=r"\['magnitude'\] not in the table; available columns: \['object_id'"):
        LightCurves.from_pandas(long_table(), value="magnitude")
    lcs = LightCurves.from_pandas(long_table())
    with pytest.raises(KeyError, match="available columns"):
        lcs.column("fwhm")


def test_nan_time_error_names_the_object():
    table = long_table()
    table.loc[4, "time"] = np.nan  # object "a"
    with pytest.raises(ValueError, match="'time' of object 'a' holds NaN or inf"):
        LightCurves.from_pandas(table)
    table.loc[4, "time"] = np.inf
    with pytest.raises(ValueError, match="object 'a'"):
        LightCurves.from_pandas(table)


def test_from_arrays_errors_name_the_object():
    t = [np.arange(3.0), np.arange(2.0)]
    with pytest.raises(ValueError, match=r"Object 'y': 'value' has shape \(3,\) but 'time' has 2"):
        LightCurves.from_arrays(t, [np.ones(3), np.ones(3)], [np.ones(3), np.ones(2)], ids=["x", "y"])
    with pytest.raises(ValueError, match="object 'y' is empty"):
        LightCurves.from_arrays([np.ones(2), np.array([])], [np.ones(2), np.array([])],
                                [np.ones(2), np.array([])], ids=["x", "y"])
    with pytest.raises(ValueError, match="Got 1 arrays for 'value' but 2"):
        LightCurves.from_arrays(t, [np.ones(3)], [np.ones(3), np.ones(2)])


def test_from_arrays_sorts_without_mutating_inputs():
    times = [np.array([3.0, 1.0, 2.0])]
    values = [np.array([30.0, 10.0, 20.0])]
    lcs = LightCurves.from_arrays(times, values, [np.ones(3)], bands=[np.array(["g", "r", "g"])],
                                  context={"fwhm": [np.array([3.0, 1.0, 2.0])]})
    np.testing.assert_array_equal(times[0], [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(lcs.value, [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(lcs.column("fwhm"), [1.0, 2.0, 3.0])
    assert lcs.column("band").tolist() == ["r", "g", "g"]


def test_constructor_validation():
    cols = {"time": np.arange(3.0), "value": np.ones(3), "error": np.ones(3)}
    with pytest.raises(ValueError, match="empty"):
        LightCurves([0, 3, 3], cols)
    with pytest.raises(ValueError, match="must include"):
        LightCurves([0, 3], {"time": np.arange(3.0)})
    with pytest.raises(ValueError, match="Column 'value' has shape"):
        LightCurves([0, 3], {**cols, "value": np.ones(4)})
    with pytest.raises(ValueError, match="value_kind"):
        LightCurves([0, 3], cols, value_kind="counts")
    with pytest.raises(ValueError, match="unique"):
        LightCurves([0, 1, 3], cols, meta=pd.DataFrame(index=["a", "a"]))
    with pytest.raises(TypeError, match="must be numeric"):
        LightCurves([0, 3], {**cols, "note": np.array(["x", "y", "z"])})


def test_containers_are_read_only():
    lcs = LightCurves.from_pandas(long_table())
    with pytest.raises(ValueError):
        lcs.time[0] = 0.0


@pytest.fixture
def lcs():
    rng = np.random.default_rng(0)
    n = 20
    lengths = rng.integers(3, 9, n)
    times = [np.sort(rng.uniform(0, 10, k)) for k in lengths]
    values = [rng.normal(15 + (i % 2), 0.1, k) for i, k in enumerate(lengths)]
    meta = pd.DataFrame({"label": np.arange(n) % 2}, index=[f"obj{i}" for i in range(n)])
    return LightCurves.from_arrays(times, values, [np.full(k, 0.1) for k in lengths],
                                   bands=[rng.choice(["g", "r"], k) for k in lengths], meta=meta)


@pytest.mark.parametrize(
    "key, expected",
    [
        (3, [3]),
        (-1, [19]),
        (slice(2, 5), [2, 3, 4]),
        (slice(None, None, -7), [19, 12, 5]),
        (np.array([5, 1, 1]), [5, 1, 1]),
        ([0, -2], [0, 18]),
        (np.arange(20) % 5 == 0, [0, 5, 10, 15]),
    ],
)
def test_indexing_returns_lightcurves(lcs, key, expected):
    sub = lcs[key]
    assert isinstance(sub, LightCurves) and len(sub) == len(expected)
    assert sub.ids.tolist() == [f"obj{i}" for i in expected]
    whole = lcs.split("value")
    for got, i in zip(sub.split("value"), expected):
        np.testing.assert_array_equal(got, whole[i])
    assert sub.bands == lcs.bands


def test_indexing_errors(lcs):
    with pytest.raises(IndexError, match="out of range"):
        lcs[20]
    with pytest.raises(IndexError, match="Boolean mask has shape"):
        lcs[np.ones(3, dtype=bool)]
    with pytest.raises(IndexError, match="no object"):
        lcs[[]]
    with pytest.raises(IndexError, match="integer array"):
        lcs[np.array([0.5])]


def test_train_test_split_and_kfold(lcs):
    train, test = train_test_split(lcs, test_size=0.25, random_state=0)
    assert isinstance(train, LightCurves) and (len(train), len(test)) == (15, 5)
    assert set(train.ids) | set(test.ids) == set(lcs.ids)
    y = lcs.meta["label"].to_numpy()
    X_tr, X_te, y_tr, y_te = train_test_split(lcs, y, test_size=0.5, stratify=y, random_state=0)
    np.testing.assert_array_equal(X_tr.meta["label"], y_tr)
    for train_idx, test_idx in KFold(4).split(lcs):
        assert len(lcs[train_idx]) == 15 and len(lcs[test_idx]) == 5


class MeanMagnitudeClassifier(ClassifierMixin, BaseEstimator):
    """Test double: thresholds the mean magnitude of each light curve."""

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y):
        assert isinstance(X, LightCurves)
        self.classes_ = np.unique(y)
        means = np.add.reduceat(X.value, X.offsets[:-1]) / X.lengths
        self.threshold_ = np.median(means) + self.shift
        return self

    def predict(self, X):
        means = np.add.reduceat(X.value, X.offsets[:-1]) / X.lengths
        return (means > self.threshold_).astype(int)


def test_cross_val_score_and_grid_search_index_the_container(lcs):
    y = lcs.meta["label"].to_numpy()
    scores = cross_val_score(MeanMagnitudeClassifier(), lcs, y, cv=KFold(4, shuffle=True, random_state=0))
    assert scores.mean() > 0.9  # label 1 curves are 1 mag fainter
    search = GridSearchCV(MeanMagnitudeClassifier(), {"shift": [0.0, 5.0]}, cv=4).fit(lcs, y)
    assert search.best_params_ == {"shift": 0.0}


def test_with_columns_meta_and_select(lcs):
    flag = lcs.value > 15.5
    new = lcs.with_columns(flag=flag)
    assert "flag" in new and "flag" not in lcs
    np.testing.assert_array_equal(new.column("flag"), flag)
    with pytest.raises(ValueError, match="one value per observation"):
        lcs.with_columns(flag=flag[:-1])
    with pytest.raises(ValueError, match="cannot replace 'time'"):
        lcs.with_columns(time=lcs.time)
    meta = lcs.with_meta(mean=np.arange(20.0)).meta
    assert meta["mean"].tolist() == list(range(20)) and "mean" not in lcs.meta
    keep = lcs.time > -1
    keep[lcs.offsets[:-1]] = False
    fewer = lcs.select_observations(keep)
    assert fewer.lengths.tolist() == (lcs.lengths - 1).tolist()
    drop_all = np.ones(lcs.n_observations, bool)
    drop_all[lcs.offsets[3]:lcs.offsets[4]] = False
    with pytest.raises(ValueError, match="object 'obj3' would be empty"):
        lcs.select_observations(drop_all)


def test_concat_and_equals(lcs):
    joined = LightCurves.concat([lcs[:5], lcs[5:]])
    assert joined.equals(lcs)
    assert not joined.equals(lcs[:5])
    with pytest.raises(ValueError, match="unique"):
        LightCurves.concat([lcs, lcs])


def test_pandas_round_trip(lcs):
    back = LightCurves.from_pandas(lcs.to_pandas(), value="value", error="error", band="band")
    assert back.with_meta(lcs.meta).equals(lcs)
    wide = lcs.to_pandas(with_meta=True)
    assert (wide.groupby("object_id")["label"].nunique() == 1).all()


def test_astropy_table_round_trip(lcs):
    table = lcs.to_table()
    assert table["time"].unit == u.day and table["value"].unit == u.mag
    back = LightCurves.from_table(table, value="value", error="error", band="band",
                                  meta=table.meta["objects"])
    assert back.equals(lcs)


def test_from_astropy_timeseries_with_time_column():
    ts = TimeSeries(time=Time([59000.5, 59000.0, 59001.0], format="mjd"),
                    data={"object_id": [1, 1, 2], "mag": [1.0, 2.0, 3.0], "mag_err": [0.1] * 3})
    lcs = LightCurves.from_table(ts)
    np.testing.assert_allclose(lcs.time, [59000.0, 59000.5, 59001.0])
    assert lcs.ids.tolist() == [1, 2]
    hours = Table({"object_id": [1, 1], "t": [24.0, 48.0] * u.hour, "mag": [1.0, 2.0], "mag_err": [0.1, 0.1]})
    np.testing.assert_allclose(LightCurves.from_table(hours, time="t").time, [1.0, 2.0])


def test_parquet_round_trip(lcs, tmp_path):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    back = LightCurves.read_parquet(path)
    assert back.equals(lcs) and back.bands == lcs.bands
    import pyarrow.parquet as pq

    assert pq.read_table(path).num_rows == len(lcs)  # one row per object, list columns
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="not written by LightCurves.to_parquet"):
        LightCurves.read_parquet(tmp_path / "other.parquet")


def test_to_padded(lcs):
    padded, lengths = lcs.to_padded(columns=("time", "value"))
    assert padded.shape == (20, lcs.lengths.max(), 2)
    np.testing.assert_array_equal(lengths, lcs.lengths)
    for i, (t, n) in enumerate(zip(lcs.split("time"), lengths)):
        np.testing.assert_array_equal(padded[i, :n, 0], t)
        assert np.isnan(padded[i, n:]).all()
    cut, kept = lcs.to_padded(max_length=4, fill_value=0.0)
    assert cut.shape == (20, 4, 3) and kept.max() == 4
    i = int(np.argmax(lcs.lengths))
    np.testing.assert_array_equal(cut[i, :, 0], lcs.split("time")[i][-4:])  # keeps the last ones


def test_repr_mentions_what_it_holds(lcs):
    text = repr(lcs)
    assert "20 objects" in text and "bands=['g', 'r']" in text and "meta=['label']" in text


# ------------------------------------------------- issue 18: container defects
def test_zero_object_container_is_refused_by_the_constructor():
    empty = {"time": np.zeros(0), "value": np.zeros(0), "error": np.zeros(0)}
    with pytest.raises(ValueError, match="zero objects; a LightCurves holds at least one object"):
        LightCurves([0], empty)


def test_labels_that_read_the_same_are_one_band():
    t = np.arange(3.0)
    lcs = LightCurves.from_arrays([t, t], [t, t], [t, t],
                                  bands=[np.array([1, 1, 2], dtype=object), np.array(["1", "2", "2"])])
    assert lcs.bands == ("1", "2")
    assert lcs.column("band").tolist() == ["1", "1", "2", "1", "2", "2"]
    numeric = LightCurves.from_arrays([np.arange(3.0)], [t], [t], bands=[np.array([10, 9, 10])])
    assert numeric.bands == ("9", "10")  # numbers keep their numeric order


def test_labels_that_read_the_same_survive_parquet(tmp_path):
    t = np.arange(2.0)
    lcs = LightCurves.from_arrays([t, t], [t, t], [t, t],
                                  bands=[np.array([1, "1"], dtype=object), np.array(["1", "1"])])
    lcs.to_parquet(tmp_path / "x.parquet")
    assert LightCurves.read_parquet(tmp_path / "x.parquet").equals(lcs)


def test_context_column_may_not_take_a_label_name():
    table = long_table().rename(columns={"filter": "band"})
    with pytest.raises(ValueError, match="Context column 'band' has a reserved name"):
        LightCurves.from_pandas(table, context=["band"])
    t = [np.arange(3.0)]
    with pytest.raises(ValueError, match="Context column 'site' has a reserved name"):
        LightCurves.from_arrays(t, t, t, context={"site": [np.array(["a", "b", "c"])]})


def test_with_columns_checks_dtypes(lcs):
    with pytest.raises(TypeError, match="Context column 'note' must be numeric"):
        lcs.with_columns(note=np.array(["x"] * lcs.n_observations))
    with pytest.raises(TypeError, match="Core column 'value' must be numeric"):
        lcs.with_columns(value=np.array(["x"] * lcs.n_observations))
    relabelled = lcs.with_columns(band=np.where(lcs.column("band") == "g", "u", "z"))
    assert relabelled.bands == ("u", "z") and lcs.bands == ("g", "r")


def test_from_pandas_column_labels():
    table = long_table()
    dup = table.rename(columns={"airmass": "mag"})
    with pytest.raises(ValueError, match=r"column labels must be unique; \['mag'\] repeat"):
        LightCurves.from_pandas(dup)
    numbered = table[["object_id", "time", "mag", "mag_err"]].copy()
    numbered.columns = [0, 1, 2, 3]  # as read_csv(header=None) gives
    lcs = LightCurves.from_pandas(numbered, id=0, time=1, value=2, error=3)
    assert lcs.equals(LightCurves.from_pandas(table))
    with pytest.raises(TypeError, match="Context column names must be strings; got 7"):
        LightCurves.from_pandas(table, context=[7])


def test_from_arrays_rejects_meta_that_is_not_a_frame():
    t = [np.arange(3.0)]
    with pytest.raises(TypeError, match="meta must be a pandas DataFrame indexed by object id; got list"):
        LightCurves.from_arrays(t, t, t, meta=[{"label": "RRab"}])


@pytest.mark.parametrize("max_length", [-1, 0, 2.5])
def test_to_padded_rejects_bad_max_length(lcs, max_length):
    with pytest.raises(ValueError, match=f"max_length must be a positive integer or None; got {max_length}"):
        lcs.to_padded(max_length=max_length)


def test_messages_print_plain_ids():
    t = np.arange(3.0)
    with pytest.raises(ValueError, match=r"object 7 holds a negative") as info:
        LightCurves.from_arrays([t], [t], [-np.ones(3)], ids=np.array([7]))
    assert "np." not in str(info.value)


def test_from_pandas_nullable_dtypes():
    table = long_table()
    table["mag"] = table["mag"].astype("Float64")
    table.loc[2, "mag"] = pd.NA
    table["filter"] = pd.array([1, 2, 2, 1, 2, 1, 3], dtype="Int64")
    lcs = LightCurves.from_pandas(table, band="filter")
    assert lcs.value.dtype == np.float64 and np.isnan(lcs.value).sum() == 1
    assert lcs.bands == ("1", "2", "3")  # integer labels stay integers, not "1.0"
    table.loc[0, "filter"] = pd.NA
    with pytest.raises(ValueError, match="Label column 'band' holds missing values"):
        LightCurves.from_pandas(table, band="filter")

"""The bad-input policy (docs/user_guide/data_model.rst, "Bad input"): one test per row."""

import warnings

import numpy as np
import pandas as pd
import pytest

from skastro import LightCurves
from skastro.periodic import PeriodFolder
from skastro.utils import check_lightcurves


def _curves(n=60, periods=(0.5, 0.7), seed=0):
    rng = np.random.default_rng(seed)
    times, values = [], []
    for p in periods:
        t = np.sort(rng.uniform(0, 300, n)) + 55000.0
        times.append(t)
        values.append(15.0 + 0.3 * np.sin(2 * np.pi * t / p) + rng.normal(0, 0.01, n))
    return LightCurves.from_arrays(times, values, [np.full(n, 0.01)] * len(periods),
                                   ids=["star_a", "star_b"][: len(periods)])


# ------------------------------------------------ errors when a container is built
def test_row_nonfinite_time_is_an_error():
    t = np.array([1.0, np.inf, 3.0])
    with pytest.raises(ValueError, match="Column 'time' of object 'x' holds NaN or inf"):
        LightCurves.from_arrays([t], [np.ones(3)], [np.ones(3)], ids=["x"])


def test_row_negative_error_is_an_error():
    t, y, err = np.arange(3.0), np.ones(3), np.full(3, 0.1)
    with pytest.raises(ValueError, match="Column 'error' of object 0 holds a negative uncertainty "
                                         r"\(-0.1; 3 negative in all\)"):
        LightCurves.from_arrays([t], [y], [-err])
    table = pd.DataFrame({"object_id": ["a", "b"], "time": [1.0, 2.0], "mag": [1.0, 1.0],
                          "mag_err": [0.1, -99.0]})
    with pytest.raises(ValueError, match="object 'b' holds a negative uncertainty"):
        LightCurves.from_pandas(table)


def test_row_mismatched_lengths_is_an_error():
    with pytest.raises(ValueError, match=r"Object 'q': 'error' has shape \(2,\) but 'time' has 3"):
        LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)], [np.ones(2)], ids=["q"])


def test_row_empty_curve_zero_objects_and_duplicate_ids_are_errors():
    with pytest.raises(ValueError, match="object 'e' is empty"):
        LightCurves.from_arrays([np.ones(1), np.zeros(0)], [np.ones(1), np.zeros(0)],
                                [np.ones(1), np.zeros(0)], ids=["d", "e"])
    with pytest.raises(ValueError, match="zero objects"):
        LightCurves([0], {"time": np.zeros(0), "value": np.zeros(0)})
    with pytest.raises(ValueError, match="'a' repeats"):
        LightCurves([0, 1, 2], {"time": np.ones(2), "value": np.ones(2)},
                    meta=pd.DataFrame(index=["a", "a"]))


# --------------------------------------------------------- what estimators do
def test_row_not_lightcurves_is_a_type_error():
    with pytest.raises(TypeError, match="PeriodFolder expects a skastro.LightCurves"):
        PeriodFolder().fit(np.ones((3, 4)))


@pytest.mark.parametrize("column, bad", [("value", np.nan), ("value", np.inf), ("error", np.nan),
                                         ("error", np.inf)])
def test_row_nonfinite_value_or_error_is_dropped_and_counted(column, bad):
    lcs = _curves()
    flat = lcs.column(column).copy()
    flat[[3, 7, lcs.offsets[1] + 2]] = bad  # two in star_a, one in star_b
    dirty = lcs.with_columns(**{column: flat})
    clean = check_lightcurves(dirty, "Est")
    assert clean.lengths.tolist() == [58, 59] and clean.meta["n_dropped"].tolist() == [2, 1]
    assert np.isfinite(clean.value).all() and np.isfinite(clean.error).all()
    assert "n_dropped" not in dirty.meta and dirty.n_observations == 120  # input unchanged
    again = check_lightcurves(clean.with_columns(value=np.where(
        np.arange(clean.n_observations) == 0, np.nan, clean.value)), "Est")
    assert again.meta["n_dropped"].tolist() == [3, 1]  # counts add up along a pipeline
    assert check_lightcurves(lcs, "Est") is lcs  # nothing to drop: no copy, no column


def test_row_nonfinite_error_is_kept_when_errors_are_ignored():
    lcs = _curves()
    dirty = lcs.with_columns(error=np.where(np.arange(120) == 5, np.nan, lcs.error))
    assert check_lightcurves(dirty, "Est", errors="ignore") is dirty


def test_row_object_without_a_finite_observation_is_an_error():
    lcs = _curves()
    value = np.where(lcs.object_index == 1, np.nan, lcs.value)
    with pytest.raises(ValueError, match="Est: object 'star_b' has no observation with finite "
                                         "'value' and 'error'"):
        check_lightcurves(lcs.with_columns(value=value), "Est")


def test_row_zero_error_is_an_error_naming_the_object():
    lcs = _curves()
    error = np.where(np.arange(120) == lcs.offsets[1] + 4, 0.0, lcs.error)
    folder = PeriodFolder(period_range=(0.3, 2.0)).fit(lcs)
    with pytest.raises(ValueError, match="Column 'error' of object 'star_b' holds an uncertainty "
                                         r"of 0.0 \(1 not > 0 in all\); PeriodFolder weights"):
        folder.transform(lcs.with_columns(error=error))
    assert check_lightcurves(lcs.with_columns(error=error), "Est", errors="ignore") is not None


def test_row_missing_error_column_is_refused_by_default():
    from skastro.microlensing import AlertFinder

    bare = LightCurves.from_arrays([np.arange(5.0)], [np.ones(5)])
    # AlertFinder counts points n_sigma flux errors above the median: it needs them
    flux = LightCurves.from_arrays([np.arange(5.0)], [np.ones(5)], value_kind="flux")
    with pytest.raises(ValueError, match="AlertFinder needs uncertainties in per-epoch column "
                                         "'error'; these light curves have none"):
        AlertFinder().fit(flux)
    unit = check_lightcurves(bare, "Est", errors="unit")
    np.testing.assert_array_equal(unit.error, np.ones(5))
    assert "error" not in bare
    assert check_lightcurves(bare, "Est", errors="ignore") is bare
    with pytest.raises(ValueError, match="errors must be one of"):
        check_lightcurves(bare, "Est", errors="skip")


def test_row_jd_like_times_warn():
    lcs = LightCurves.from_arrays([np.arange(3.0) + 2459000.5], [np.ones(3)], [np.ones(3)])
    with pytest.warns(UserWarning, match=r"Est: times reach 2459002.5 days, which looks like a "
                                         "Julian Date; .* MJD = JD - 2400000.5"):
        check_lightcurves(lcs, "Est")
    mjd = LightCurves.from_arrays([np.arange(3.0) + 59000.0], [np.ones(3)], [np.ones(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_lightcurves(mjd, "Est")


def test_period_folder_drops_nan_magnitudes_of_one_object():
    lcs = _curves()
    value = lcs.value.copy()
    value[[5, 9, 20]] = np.nan  # all in star_a
    folder = PeriodFolder(period_range=(0.3, 2.0), random_state=0)
    dirty = folder.fit_transform(lcs.with_columns(value=value))
    keep = ~np.isin(np.arange(120), [5, 9, 20])
    clean = folder.fit_transform(lcs.select_observations(keep))
    assert dirty.meta["n_dropped"].tolist() == [3, 0]
    np.testing.assert_allclose(dirty.meta["period"], clean.meta["period"])
    assert abs(dirty.meta.loc["star_a", "period"] - 0.5) < 1e-3


# ------------------------------------------------- light curves without errors
def test_light_curves_without_errors_build_everywhere(tmp_path):
    from astropy.table import Table

    t, y = np.arange(4.0), np.array([1.0, 2.0, 1.5, 1.2])
    a = LightCurves.from_arrays([t], [y])
    b = LightCurves.from_pandas(pd.DataFrame({"object_id": 0, "time": t, "mag": y}), error=None)
    c = LightCurves.from_table(Table({"object_id": [0] * 4, "time": t, "mag": y}), error=None)
    assert a.columns == ("time", "value") and a.equals(b) and a.equals(c)
    with pytest.raises(KeyError, match="no 'error' column"):
        a.error
    a.to_parquet(tmp_path / "x.parquet")
    assert LightCurves.read_parquet(tmp_path / "x.parquet").equals(a)
    assert LightCurves.from_table(a.to_table(), value="value", error=None).equals(a)


def test_columns_seen_in_fit_are_required_after_fit():
    # a column missing at predict time silently changed results (site, error, outlier, fwhm)
    from skastro.datasets import make_periodic_variables

    lcs = make_periodic_variables(3, n_epochs=60, random_state=0)
    bare = LightCurves.from_arrays(list(lcs.split("time")), list(lcs.split("value")), ids=lcs.ids)
    folder = PeriodFolder(random_state=0).fit(lcs)
    with pytest.raises(ValueError, match=r"PeriodFolder was fitted on .*'error'.*these lack \['error', 'band'\]"):
        folder.transform(bare)
    extra = lcs.with_columns(extra=np.zeros(lcs.n_observations))
    assert folder.transform(extra).meta["period"].equals(folder.transform(lcs).meta["period"])
    assert PeriodFolder(random_state=0).fit(bare).transform(bare).meta["fold_status"].eq("ok").all()


def test_check_finite_drops_or_refuses_any_numeric_column():
    from skastro.utils import check_finite

    lcs = _curves()
    airmass = np.full(120, 1.2)
    airmass[[lcs.offsets[1] + 3, lcs.offsets[1] + 8]] = [np.inf, np.nan]
    ctx = lcs.with_columns(airmass=airmass, n_exposures=np.ones(120, dtype=np.int64))
    clean = check_finite(ctx, "Est", ["value", "airmass", "n_exposures"])
    assert clean.meta["n_dropped"].tolist() == [0, 2] and clean.lengths.tolist() == [60, 58]
    assert check_finite(lcs, "Est", ["value", "error"]) is lcs
    with pytest.raises(ValueError, match=r"Est: column 'airmass' of object 'star_b' holds inf "
                                         r"\(2 non-finite value\(s\) in that column in all\)"):
        check_finite(ctx, "Est", ["value", "airmass"], drop=False)


@pytest.mark.filterwarnings("ignore:.*looks like a Julian Date")
def test_row_frequency_grid_over_ten_million_is_an_error():
    # issue 17 fuzzing: times in seconds (or scaled by 10^6) asked FINUFFT for a grid of
    # ~10^9 frequencies: "RuntimeError: FINUFFT general malloc failure" or a long hang
    from skastro.periodic._periodogram import MAX_FREQUENCIES, frequency_grid

    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 300, 80))
    m = 15 + 0.3 * np.sin(2 * np.pi * t / 0.61) + rng.normal(0, 0.02, 80)
    lcs = LightCurves.from_arrays([t, t * 1e6], [m, m], [np.full(80, 0.02)] * 2,
                                  ids=["fine", "in seconds"])
    folder = PeriodFolder(period_range=(0.1, 10.0), random_state=0)
    message = (r"frequency grid of object 'in seconds' would hold 1.4\d*e\+10 frequencies, more "
               r"than the 1e\+07 allowed: \(1/0.1 - 1/10\) per day x oversampling=5 x "
               r"baseline=2.9\d+e\+08 days")
    with pytest.raises(ValueError, match=message):
        folder.fit_transform(lcs)
    with pytest.raises(ValueError, match="object 'in seconds'"):
        folder.fit(lcs[:1]).periodogram(lcs)
    assert folder.fit_transform(lcs[:1]).meta["fold_status"].iloc[0] == "ok"
    # the bound itself: (1/0.1 - 1/10) x 5 x baseline frequencies
    baseline = (MAX_FREQUENCIES - 1) / (9.9 * 5)
    assert frequency_grid(baseline * (1 - 1e-9), (0.1, 10.0), 5)[2] <= MAX_FREQUENCIES
    with pytest.raises(ValueError, match="would hold"):
        frequency_grid(baseline * 1.001, (0.1, 10.0), 5)
    with pytest.raises(ValueError, match="would hold inf frequencies"):
        frequency_grid(np.inf, (0.1, 10.0), 5)


def test_row_nonfinite_feature_columns_are_dropped_and_counted():
    from skastro.periodic import DualFoldSequencer

    # check_finite itself: test_check_finite_drops_or_refuses_any_numeric_column; the
    # passthrough classifier: tests/microlensing (a real fit, slower)
    lcs = _curves()
    folded = PeriodFolder(period_range=(0.3, 2.0), random_state=0).fit_transform(lcs)
    mag = folded.column("value_centered").copy()
    mag[[1, folded.offsets[1] + 1, folded.offsets[1] + 2]] = [np.nan, np.inf, np.nan]
    out = DualFoldSequencer().fit(folded).transform(folded.with_columns(value_centered=mag))
    assert out["n_dropped"].tolist() == [1, 2]


def test_check_cast_refuses_only_what_the_cast_made_infinite():
    from skastro.utils._validation import check_cast

    values = np.array([1.0, np.nan, np.inf, -3e38, 5e38, -1e300])
    with np.errstate(over="ignore"):
        cast = values.astype(np.float32)
    ids = np.array(["a", "b", "c", "d", "e", "f"])
    with pytest.raises(ValueError, match=r"^Owner: column 'x' of object 'e' holds 5e\+38, beyond the "
                                         r"range of float32 the reader \(2 such value\(s\) in all\)"):
        check_cast("column 'x'", values, cast, lambda i: ids[i], "Owner", "the reader")
    check_cast("column 'x'", values[:4], cast[:4], lambda i: ids[i], "Owner", "the reader")


def test_row_float32_overflow_is_an_error():
    # BranchedRNNClassifier and LensNetStream: tests/microlensing (a real fit, slower)
    from skastro.periodic import DualFoldSequencer

    folded = PeriodFolder(period_range=(0.3, 2.0), random_state=0).fit_transform(_curves())
    mag = folded.column("value_centered").copy()
    mag[folded.offsets[1]] = -1e39
    with pytest.raises(ValueError, match="column 'value_centered' of object 'star_b' holds -1e"):
        DualFoldSequencer().fit(folded).transform(folded.with_columns(value_centered=mag))

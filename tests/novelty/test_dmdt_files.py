"""DmDtNoveltyDetector.save/load: its own checks of the fitted state (issues 17, 18).

The generic checks of a model file (junk, truncated, pickled, other versions)
are in ``tests/test_model_io.py``; here every entry of the detector's state
is tampered with, because the compiled kernels would index the tables with
it unchecked.
"""

import copy

import numpy as np
import pytest

from skastro import load_model, save_model
from skastro.datasets import make_transients
from skastro.novelty import DmDtNoveltyDetector
from skastro.periodic import PeriodFolder

NOT_A_MODEL = "not a skastro model file"


@pytest.fixture(scope="module")
def fitted():
    lcs = make_transients(n_variables=60, n_transients=1, n_epochs=(8, 15), random_state=5)
    return lcs, DmDtNoveltyDetector(n_dt_bins=6, n_dm_bins=10).fit(lcs)


def test_round_trip(fitted, tmp_path):
    lcs, det = fitted
    path = det.save(tmp_path / "det.skm")
    again = DmDtNoveltyDetector.load(path)
    assert again.get_params() == det.get_params()
    np.testing.assert_array_equal(again.score_samples(lcs), det.score_samples(lcs))
    np.testing.assert_array_equal(again.zscore_calibration_, det.zscore_calibration_)
    assert load_model(path).offset_ == det.offset_


def test_calibration_band_is_stored_in_one_byte_and_int64_files_still_load(fitted, tmp_path):
    # the sample travels with every fitted state (merges, scattering): band indices in
    # uint8, not int64; files written before, with int64 indices, load to the same detector
    lcs, det = fitted
    assert det.calibration_sample_["band"].dtype == np.uint8
    assert DmDtNoveltyDetector.load(det.save(tmp_path / "new.skm")).calibration_sample_[
        "band"].dtype == np.uint8
    older = copy.deepcopy(det)
    older.calibration_sample_["band"] = det.calibration_sample_["band"].astype(np.int64)
    again = DmDtNoveltyDetector.load(save_model(older, tmp_path / "old.skm"))
    assert again.calibration_sample_["band"].dtype == np.uint8
    for name, values in det.calibration_sample_.items():
        np.testing.assert_array_equal(again.calibration_sample_[name], values)
    np.testing.assert_array_equal(again.score_samples(lcs), det.score_samples(lcs))
    assert again.offset_ == det.offset_


def _sample(det, **changes):
    return dict(det.calibration_sample_, **changes)


def _tamper_cases(det):
    counts, edges = det.counts_, det.log_dt_edges_
    sample = det.calibration_sample_
    more = (*det.bands_, "y")
    more_channels = more + tuple(f"{a}-{b}" for a in more for b in more if a != b)
    return {
        # issue 18: these two made the compiled kernels read and write out of bounds
        "counts cut to one channel": ({"counts_": counts[:1]}, "'counts_' has"),
        "extra band": ({"bands_": more, "channels_": more_channels}, "'counts_' has"),
        "channels not from bands": ({"channels_": det.channels_[::-1]}, "channels"),
        "bands not unique": ({"bands_": det.bands_[:1] * 2}, "unique"),
        "bands a list": ({"bands_": list(det.bands_)}, "tuple"),
        "negative count": ({"counts_": np.where(counts == counts.max(), -1, counts)},
                           "non-negative"),
        "float counts": ({"counts_": counts.astype(float)}, "'counts_' has dtype"),
        "too few dt edges": ({"log_dt_edges_": edges[:-1]}, "'log_dt_edges_'"),
        "NaN dt edge": ({"log_dt_edges_": np.r_[np.nan, edges[1:]]}, "'log_dt_edges_'"),
        "reversed dt edges": ({"log_dt_edges_": edges[::-1].copy()}, "'log_dt_edges_'"),
        "dm edges off the dm_range": ({"dm_edges_": det.dm_edges_ * 2}, "'dm_edges_'"),
        "edges not an array": ({"dm_edges_": list(det.dm_edges_)}, "must be an array"),
        "negative alpha": ({"alpha": -1.0}, "alpha"),
        "NaN alpha": ({"alpha": float("nan")}, "alpha"),
        "n_dt_bins disagrees": ({"n_dt_bins": 3}, "'log_dt_edges_'"),
        "bad dm_range": ({"dm_range": (2.0, 1.0)}, "dm_range"),
        "NaN offset": ({"offset_": float("nan")}, "offset_"),
        "string offset": ({"offset_": "low"}, "offset_"),
        "negative n_objects_seen": ({"n_objects_seen_": -3}, "n_objects_seen_"),
        "sample offsets past the rows": (
            {"calibration_sample_": _sample(det, offsets=sample["offsets"] + 1)}, "'offsets'"),
        "sample band out of range": (
            {"calibration_sample_": _sample(det, band=sample["band"] + len(det.bands_))}, "'band'"),
        "sample time cut short": (
            {"calibration_sample_": _sample(det, time=sample["time"][:-1])}, "sample rows"),
        "NaN sample value": (
            {"calibration_sample_": _sample(det, value=np.r_[np.nan, sample["value"][1:]])},
            "finite"),
        "unsorted sample time": (
            {"calibration_sample_": _sample(det, time=sample["time"][::-1].copy())}, "sorted"),
        "changed sample value": (
            {"calibration_sample_": _sample(det, value=sample["value"] + 0.1)}, "content hashes"),
        "sample entry missing": (
            {"calibration_sample_": {k: v for k, v in sample.items() if k != "keys"}},
            "'calibration_sample_' must hold"),
        "sample larger than calibration_size": ({"calibration_size": 1}, "'keys'"),
        "fitted attribute missing": ({"offset_": None}, "fitted state"),
    }


TAMPER_CASES = [
    "counts cut to one channel", "extra band", "channels not from bands", "bands not unique",
    "bands a list", "negative count", "float counts", "too few dt edges", "NaN dt edge",
    "reversed dt edges", "dm edges off the dm_range", "edges not an array", "negative alpha",
    "NaN alpha", "n_dt_bins disagrees", "bad dm_range", "NaN offset", "string offset",
    "negative n_objects_seen", "sample offsets past the rows", "sample band out of range",
    "sample time cut short", "NaN sample value", "unsorted sample time", "changed sample value",
    "sample entry missing", "sample larger than calibration_size", "fitted attribute missing",
]


@pytest.mark.parametrize("case", TAMPER_CASES)
def test_tampered_files_are_refused(fitted, tmp_path, case):
    """A file holding the tampered detector (written by save_model itself) is refused."""
    det = fitted[1]
    cases = _tamper_cases(det)
    assert sorted(cases) == sorted(TAMPER_CASES)
    changes, match = cases[case]
    bad = copy.deepcopy(det)
    for key, value in changes.items():
        if value is None:
            delattr(bad, key)
        else:
            setattr(bad, key, value)
    path = save_model(bad, tmp_path / "tampered.skm")
    with pytest.raises(ValueError, match=NOT_A_MODEL) as info:
        DmDtNoveltyDetector.load(path)
    assert match in str(info.value) and str(path) in str(info.value)


def test_load_wants_a_detector(tmp_path):
    path = save_model(PeriodFolder(), tmp_path / "folder.skm")
    with pytest.raises(ValueError, match="holds a PeriodFolder, not a DmDtNoveltyDetector"):
        DmDtNoveltyDetector.load(path)
    with pytest.raises(FileNotFoundError):
        DmDtNoveltyDetector.load(tmp_path / "missing.skm")

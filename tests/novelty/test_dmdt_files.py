"""DmDtNoveltyDetector.save/load: junk, truncated and tampered files (issues 17, 18)."""

import json

import numpy as np
import pytest

from skastro import __version__
from skastro.datasets import make_transients
from skastro.novelty import FILE_VERSION, DmDtNoveltyDetector

NOT_A_MODEL = "not a skastro model file"


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    lcs = make_transients(n_variables=60, n_transients=1, n_epochs=(8, 15), random_state=5)
    det = DmDtNoveltyDetector(n_dt_bins=6, n_dm_bins=10).fit(lcs)
    path = tmp_path_factory.mktemp("model") / "det.npz"
    det.save(path)
    with np.load(path) as data:
        payload = {k: data[k] for k in data.files}
    return lcs, det, path, payload


def _write(tmp_path, payload, header=None, **arrays):
    payload = dict(payload, **arrays)
    if header is not None:
        payload["header"] = np.array(json.dumps(header))
    path = tmp_path / "tampered.npz"
    np.savez(path, **payload)
    return path


def _header(payload):
    return json.loads(str(payload["header"]))


def test_round_trip_records_versions(saved):
    lcs, det, path, payload = saved
    header = _header(payload)
    assert header["version"] == FILE_VERSION and header["skastro_version"] == __version__
    again = DmDtNoveltyDetector.load(path)
    np.testing.assert_array_equal(again.score_samples(lcs), det.score_samples(lcs))


def _tamper_cases(payload):
    h = _header(payload)
    counts, edges = payload["counts"], payload["log_dt_edges"]
    offsets = payload["sample_offsets"]
    more = h["bands"] + ["y"]
    more_channels = more + [f"{a}-{b}" for a in more for b in more if a != b]
    nan_alpha = json.loads(json.dumps(dict(h, params=dict(h["params"], alpha=float("nan")))))
    return {
        # issue 18: these two made the compiled kernels read and write out of bounds
        "counts cut to one channel": ({}, {"counts": counts[:1]}, "'counts' has"),
        "extra band in the header": ({"bands": more, "channels": more_channels}, {},
                                     "'counts' has"),
        "channels not from bands": ({"channels": h["channels"][::-1]}, {}, "channels"),
        "bands not unique": ({"bands": h["bands"][:1] * 2}, {}, "unique"),
        "negative count": ({}, {"counts": np.where(counts == counts.max(), -1, counts)},
                           "non-negative"),
        "float counts": ({}, {"counts": counts.astype(float)}, "'counts' has dtype"),
        "too few dt edges": ({}, {"log_dt_edges": edges[:-1]}, "'log_dt_edges'"),
        "NaN dt edge": ({}, {"log_dt_edges": np.r_[np.nan, edges[1:]]}, "'log_dt_edges'"),
        "reversed dt edges": ({}, {"log_dt_edges": edges[::-1].copy()}, "'log_dt_edges'"),
        "dm edges off the dm_range": ({}, {"dm_edges": payload["dm_edges"] * 2}, "'dm_edges'"),
        "negative alpha": ({"params": dict(h["params"], alpha=-1.0)}, {}, "alpha"),
        "NaN alpha": (nan_alpha, {}, "alpha"),
        "n_dt_bins disagrees": ({"params": dict(h["params"], n_dt_bins=3)}, {},
                                "'log_dt_edges'"),
        "unknown parameter": ({"params": dict(h["params"], gamma=1)}, {}, "gamma"),
        "NaN offset": ({"offset": float("nan")}, {}, "offset"),
        "string offset": ({"offset": "low"}, {}, "offset"),
        "negative n_objects_seen": ({"n_objects_seen": -3}, {}, "n_objects_seen"),
        "sample offsets past the rows": ({}, {"sample_offsets": offsets + 1}, "sample_offsets"),
        "sample band out of range": ({}, {"sample_band": payload["sample_band"] + len(h["bands"])},
                                     "sample_band"),
        "sample time cut short": ({}, {"sample_time": payload["sample_time"][:-1]},
                                  "sample rows"),
        "NaN sample value": ({}, {"sample_value": np.r_[np.nan, payload["sample_value"][1:]]},
                             "finite"),
        "unsorted sample time": ({}, {"sample_time": payload["sample_time"][::-1].copy()},
                                 "sorted"),
        "changed sample value": ({}, {"sample_value": payload["sample_value"] + 0.1},
                                 "content hashes"),
        "sample larger than calibration_size": (
            {"params": dict(h["params"], calibration_size=1)}, {}, "sample_keys"),
        "another format": ({"format": "other"}, {}, "format 'other'"),
        "extra entry": ({}, {"extra": np.zeros(2)}, "entries"),
    }


TAMPER_CASES = [
    "counts cut to one channel", "extra band in the header", "channels not from bands",
    "bands not unique", "negative count", "float counts", "too few dt edges", "NaN dt edge",
    "reversed dt edges", "dm edges off the dm_range", "negative alpha", "NaN alpha",
    "n_dt_bins disagrees", "unknown parameter", "NaN offset", "string offset",
    "negative n_objects_seen", "sample offsets past the rows", "sample band out of range",
    "sample time cut short", "NaN sample value", "unsorted sample time", "changed sample value",
    "sample larger than calibration_size",
    "another format", "extra entry",
]


@pytest.mark.parametrize("case", TAMPER_CASES)
def test_tampered_files_are_refused(saved, tmp_path, case):
    payload = saved[3]
    cases = _tamper_cases(payload)
    assert sorted(cases) == sorted(TAMPER_CASES)
    header_changes, arrays, match = cases[case]
    header = {**_header(payload), **header_changes} if header_changes else None
    path = _write(tmp_path, payload, header, **arrays)
    with pytest.raises(ValueError, match=NOT_A_MODEL) as info:
        DmDtNoveltyDetector.load(path)
    assert match in str(info.value) and str(path) in str(info.value)


def test_pickled_object_arrays_are_never_loaded(saved, tmp_path):
    payload = dict(saved[3])
    payload["counts"] = np.array([{"a": 1}, None], dtype=object)  # needs pickle to read
    path = tmp_path / "pickled.npz"
    np.savez(path, **payload)
    with pytest.raises(ValueError, match=NOT_A_MODEL) as info:
        DmDtNoveltyDetector.load(path)
    assert "allow_pickle" not in str(info.value)  # numpy's advice to do the unsafe thing


@pytest.mark.parametrize("kind", ["text", "npy", "pickle", "empty"])
def test_junk_files(tmp_path, kind):
    path = tmp_path / "junk.npz"
    if kind == "text":
        path.write_text("time,value\n1,2\n")
    elif kind == "npy":
        with open(path, "wb") as fh:
            np.save(fh, np.arange(4))
    elif kind == "pickle":
        import pickle

        path.write_bytes(pickle.dumps({"counts": [1, 2]}))
    else:
        path.write_bytes(b"")
    with pytest.raises(ValueError, match=NOT_A_MODEL) as info:
        DmDtNoveltyDetector.load(path)
    assert "allow_pickle" not in str(info.value)


def test_truncated_and_corrupted_files(saved, tmp_path):
    data = saved[2].read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=NOT_A_MODEL):
            DmDtNoveltyDetector.load(path)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # inside an array: the zip CRC check catches it
    path = tmp_path / "flipped.npz"
    path.write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=NOT_A_MODEL):
        DmDtNoveltyDetector.load(path)
    with pytest.raises(FileNotFoundError):
        DmDtNoveltyDetector.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("version", [1, FILE_VERSION + 1])
def test_other_version_is_refused_clearly(saved, tmp_path, version):
    payload = saved[3]
    header = dict(_header(payload), version=version, skastro_version="9.9")
    with pytest.raises(ValueError, match=rf"version {version} \(written by skastro "
                                         rf"9\.9\) is not supported.*reads version "
                                         rf"{FILE_VERSION}"):
        DmDtNoveltyDetector.load(_write(tmp_path, payload, header))

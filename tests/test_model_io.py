"""skastro.save_model / load_model: round trips and hostile files (issues 14 and 17)."""

import io
import json
import pickle
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skastro import __version__, load_model, save_model
from skastro.periodic import FoldFeatures
from skastro.utils import ALLOWED_CLASSES

from .specs import collect_specs
from .test_common import OUTPUT_METHODS, _assert_same, _fit, public_estimators

SPECS = collect_specs()
NOT_A_MODEL = "not a skastro model file"


@pytest.fixture(params=list(SPECS), ids=lambda cls: cls.__name__)
def spec(request):
    return SPECS[request.param]


def _outputs(est, X):
    out = {}
    for method in OUTPUT_METHODS:
        if hasattr(est, method):
            value = getattr(est, method)(X)
            out[method] = value.to_pandas(with_meta=True) if hasattr(value, "to_pandas") else value
    return out


def _same_params(a, b):
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    assert pa.keys() == pb.keys()
    for key, value in pa.items():
        if isinstance(value, BaseEstimator):
            assert type(pb[key]) is type(value)
            _same_params(value, pb[key])
        else:
            assert pb[key] == value and type(pb[key]) is type(value), key


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_allow_list_names_every_public_estimator():
    names = {f"{cls.__module__.split('._')[0]}.{cls.__name__}" for cls in public_estimators()}
    assert names <= ALLOWED_CLASSES


def test_round_trip_every_estimator(spec, tmp_path):
    X, y = spec.make_data(0)
    est = _fit(spec.make_estimator(), X, y)
    path = save_model(est, tmp_path / "model.skm")
    again = load_model(path)
    assert type(again) is type(est)
    _same_params(est, again)
    before, after = _outputs(est, X), _outputs(again, X)
    assert before.keys() == after.keys() and before
    for method in before:
        _assert_same(before[method], after[method])
    # saving the loaded model again writes the same manifest and arrays: the whole state came back
    members, again_members = _members(path), _members(save_model(again, tmp_path / "again.skm"))
    assert members.keys() == again_members.keys()
    for name, data in members.items():
        if name.endswith(".pt"):  # compare the tensors, not torch's pickle bytes
            a, b = (torch.load(io.BytesIO(d), weights_only=True) for d in (data, again_members[name]))
            for part in ("module", "criterion"):
                assert a[part].keys() == b[part].keys()
                for key in a[part]:
                    assert torch.equal(a[part][key], b[part][key])
        elif name.endswith(".npy"):  # values (tree nodes have padding bytes numpy leaves as is)
            a, b = (np.load(io.BytesIO(d)) for d in (data, again_members[name]))
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() or (
                a.dtype.names and all(np.array_equal(a[f], b[f]) for f in a.dtype.names)), name
        else:
            assert data == again_members[name], name


def test_unfitted_estimator_round_trip(spec, tmp_path):
    est = spec.make_estimator()
    again = load_model(save_model(est, tmp_path / "unfitted.skm"))
    _same_params(est, again)
    assert not [k for k in vars(again) if k.endswith("_") and not k.startswith("_")]


def test_pipeline_round_trip(tmp_path):
    from .specs.periodic_folding import SPECS as FOLDING

    spec = next(s for s in FOLDING if type(s.make_estimator()).__name__ == "PeriodFolder")
    X, y = spec.make_data(0)
    pipe = make_pipeline(spec.make_estimator(), FoldFeatures(), StandardScaler(),
                         RandomForestClassifier(n_estimators=5, random_state=0)).fit(X, y)
    again = load_model(save_model(pipe, tmp_path / "pipe.skm"))
    assert [type(s) for _, s in again.steps] == [type(s) for _, s in pipe.steps]
    np.testing.assert_array_equal(again.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(again[:-1].transform(X), pipe[:-1].transform(X))


def test_typed_values_round_trip(tmp_path):
    """DataFrames, Series, dicts, tuples, sets and numpy scalars come back with their types."""
    scaler = StandardScaler().fit(np.arange(6.0).reshape(3, 2))
    frame = pd.DataFrame({"a": [1.5, np.nan, 3.0], "b": ["x", "y", None],
                          "c": pd.array([1, None, 3], dtype="Int64"),
                          "d": pd.Categorical(["u", "g", "u"]), 7: [True, False, True]},
                         index=pd.Index(["o1", "o2", "o3"], name="object_id"))
    extra = {
        "frame_": frame,
        "series_": pd.Series([1, 2], index=pd.RangeIndex(10, 12), name="n"),
        "nested_": {"t": (1, 2.5, "s", None), 3: [np.float32(1.25), np.int64(-7)],
                    (1, "k"): {"inf": float("inf"), "nan": np.float64("nan")}},
        "set_": frozenset({"u", "g"}),
        "dtype_": np.dtype("<f4"),
        "strings_": np.array(["RRab", None, 3], dtype=object),
        "structured_": np.zeros(2, dtype=[("x", "<f8"), ("n", "<i4")]),
        "bool_": np.bool_(True),
        "str_": np.str_("band"),
        "others_": [np.complex64(1 - 2j), np.bytes_(b"u\xff"), np.datetime64("2020-01-02T03:04"),
                    np.timedelta64(5, "D"), np.array(["2020-01-01"], dtype="M8[D]")],
    }
    vars(scaler).update(extra)
    again = load_model(save_model(scaler, tmp_path / "typed.skm"))
    pd.testing.assert_frame_equal(again.frame_, frame)
    pd.testing.assert_series_equal(again.series_, extra["series_"])
    nested = again.nested_
    assert nested["t"] == (1, 2.5, "s", None)
    assert type(nested[3][0]) is np.float32 and nested[3][0] == 1.25
    assert type(nested[3][1]) is np.int64 and nested[3][1] == -7
    assert nested[(1, "k")]["inf"] == float("inf") and np.isnan(nested[(1, "k")]["nan"])
    assert type(nested[(1, "k")]["nan"]) is np.float64
    assert again.set_ == extra["set_"] and type(again.set_) is frozenset
    assert again.dtype_ == np.float32
    assert again.strings_.dtype == object and list(again.strings_) == ["RRab", None, 3]
    np.testing.assert_array_equal(again.structured_, extra["structured_"])
    assert type(again.bool_) is np.bool_ and type(again.str_) is np.str_ and again.str_ == "band"
    for a, b in zip(again.others_, extra["others_"]):
        assert type(a) is type(b) and a.dtype == b.dtype and np.all(a == b)


def test_what_cannot_be_stored_is_refused_at_save(tmp_path):
    class Local(BaseEstimator):
        pass

    with pytest.raises(TypeError, match="not in skastro.utils.ALLOWED_CLASSES"):
        save_model(Local(), tmp_path / "a.skm")
    scaler = StandardScaler().fit(np.ones((3, 1)))
    scaler.hook_ = print
    with pytest.raises(TypeError, match=r"model.hook_ .*without pickling"):
        save_model(scaler, tmp_path / "b.skm")
    assert not (tmp_path / "a.skm").exists()


# ----------------------------------------------------------------- hostile files
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A fitted SpectrumVAE (arrays, torch state dicts) and a fitted random forest (trees)."""
    from .specs.followup import SPECS as FOLLOWUP

    spec = next(s for s in FOLLOWUP if type(s.make_estimator()).__name__ == "SpectrumVAE")
    X, y = spec.make_data(0)
    folder = tmp_path_factory.mktemp("models")
    vae = save_model(_fit(spec.make_estimator(), X, y), folder / "vae.skm")
    rng = np.random.default_rng(0)
    forest = RandomForestClassifier(n_estimators=3, random_state=0).fit(
        rng.random((30, 3)), np.arange(30) % 2)
    return vae, save_model(forest, folder / "forest.skm")


def _rewrite(path, out, manifest=None, **members):
    """A copy of the model file with the manifest edited by ``manifest(m)`` and members replaced."""
    old = _members(path)
    m = json.loads(old.pop("manifest.json"))
    if manifest is not None:
        m = manifest(m) or m
    old.update(members)
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", json.dumps(m))
        for name, data in old.items():
            zf.writestr(name, data)
    return out


def _load_refused(path, match):
    with pytest.raises(ValueError, match=NOT_A_MODEL) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {NOT_A_MODEL}: ") and match in message, message
    assert "allow_pickle" not in message  # numpy's advice to do the unsafe thing


@pytest.mark.parametrize("kind", ["random", "empty", "text", "pickle", "npz"])
def test_junk_files(tmp_path, kind):
    path = tmp_path / "junk.skm"
    if kind == "random":
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("time,value\n1,2\n")
    elif kind == "pickle":
        path.write_bytes(pickle.dumps(StandardScaler()))
    else:
        with open(path, "wb") as fh:
            np.savez(fh, a=np.arange(3))  # a zip, but no manifest
    _load_refused(path, "no manifest.json" if kind == "npz" else "not a zip archive")


def test_truncated_and_corrupted_files(saved, tmp_path):
    data = saved[0].read_bytes()
    for cut in (10, len(data) // 3, len(data) // 2, len(data) - 30, len(data) - 1):
        path = tmp_path / f"cut{cut}.skm"
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match=f"{NOT_A_MODEL}: "):
            load_model(path)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # the zip CRC check catches it
    (tmp_path / "flipped.skm").write_bytes(bytes(flipped))
    with pytest.raises(ValueError, match=f"{NOT_A_MODEL}: "):
        load_model(tmp_path / "flipped.skm")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.skm")


@pytest.fixture
def flag_module(tmp_path, monkeypatch):
    """A module that records its import in a file: it must never be imported."""
    flag = tmp_path / "imported.flag"
    (tmp_path / "skastro_evil_mod.py").write_text(
        f"open({str(flag)!r}, 'w').close()\n"
        "from sklearn.base import BaseEstimator\n"
        "class Evil(BaseEstimator):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield flag
    assert not flag.exists() and "skastro_evil_mod" not in sys.modules


@pytest.mark.parametrize("name", ["os.system", "skastro_evil_mod.Evil", "sklearn.svm.SVC",
                                  "skastro.utils._model_io._Writer", "builtins.eval"])
def test_classes_outside_the_allow_list_are_never_imported(saved, tmp_path, flag_module, name):
    def edit(m):
        m["model"]["class"] = name

    _load_refused(_rewrite(saved[0], tmp_path / "evil.skm", edit), f"class {name!r} is not in the allow-list")


def test_nested_class_outside_the_allow_list(saved, tmp_path, flag_module):
    def edit(m):
        m["model"]["state"]["extra_"] = {"@": "estimator", "class": "skastro_evil_mod.Evil",
                                         "params": {}, "state": {}}

    _load_refused(_rewrite(saved[1], tmp_path / "evil.skm", edit), "skastro_evil_mod.Evil")


class _Boom:
    """Unpickling this creates ``path``: the proof that a file ran code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_pickled_blobs_are_never_unpickled(saved, tmp_path):
    flag = tmp_path / "ran.flag"
    # an object array in place of a .npy array
    buf = io.BytesIO()
    np.save(buf, np.array([_Boom(flag), None], dtype=object), allow_pickle=True)
    npy = next(n for n in _members(saved[1]) if n.endswith(".npy"))
    _load_refused(_rewrite(saved[1], tmp_path / "a.skm", **{npy: buf.getvalue()}),
                  "holds pickled data")
    # a torch file whose pickle calls a function
    buf = io.BytesIO()
    torch.save({"module": _Boom(flag)}, buf)
    pt = next(n for n in _members(saved[0]) if n.endswith(".pt"))
    _load_refused(_rewrite(saved[0], tmp_path / "b.skm", **{pt: buf.getvalue()}),
                  "is not a plain torch state dict")
    # a plain pickle in place of an array
    _load_refused(_rewrite(saved[1], tmp_path / "c.skm", **{npy: pickle.dumps(_Boom(flag))}),
                  "holds pickled data")
    assert not flag.exists()
    pickle.loads(pickle.dumps(_Boom(flag)))  # the payload is live: unpickling runs it
    assert flag.exists()


@pytest.mark.parametrize("case", ["unknown entry", "dunder attribute", "extra key", "missing member",
                                  "member outside arrays/", "unknown parameter", "invalid parameter",
                                  "tree child out of range", "forest narrower than its trees",
                                  "shadowed method", "bare NaN", "wrong format", "manifest not JSON"])
def test_tampered_manifests(saved, tmp_path, case):
    vae, forest = saved
    path, match = forest, None

    def edit(m):
        state = m["model"]["state"]
        if case == "unknown entry":
            state["n_outputs_"] = {"@": "pickle", "data": "gASV"}
        elif case == "dunder attribute":
            state["__class__"] = 1
        elif case == "extra key":
            state["n_features_in_"] = {"@": "tuple", "items": [], "call": "os.system"}
        elif case == "missing member":
            m["model"]["state"]["classes_"]["file"] = "arrays/999.npy"
        elif case == "member outside arrays/":
            m["model"]["state"]["classes_"]["file"] = "../../etc/passwd"
        elif case == "unknown parameter":
            m["model"]["params"]["gamma"] = 1
        elif case == "invalid parameter":
            m["model"]["params"]["n_estimators"] = -3
        elif case == "forest narrower than its trees":
            state["n_features_in_"] = 2
        elif case == "shadowed method":
            state["predict"] = 1
        elif case == "bare NaN":
            state["n_outputs_"] = float("nan")  # json.dumps writes NaN
        elif case == "wrong format":
            m["format"] = "skops"

    matches = {"unknown entry": "unknown entry type 'pickle'", "dunder attribute": "attribute names",
               "extra key": "exactly the keys", "missing member": "arrays/999.npy",
               "member outside arrays/": "etc/passwd", "unknown parameter": "gamma",
               "invalid parameter": "n_estimators", "wrong format": "format 'skops'",
               "tree child out of range": "tree nodes point outside the tree",
               "manifest not JSON": "not valid JSON",
               "forest narrower than its trees": "do not all take n_features_in_=2",
               "shadowed method": "fitted state ['predict'] would shadow",
               "bare NaN": "holds NaN, which JSON does not allow"}
    members = {}
    if case == "tree child out of range":
        m = json.loads(_members(forest)["manifest.json"])
        tree = m["model"]["state"]["estimators_"][0]["state"]["tree_"]
        nodes = np.load(io.BytesIO(_members(forest)[tree["nodes"]["file"]]))
        nodes["left_child"][0] = 10**6
        buf = io.BytesIO()
        np.save(buf, nodes)
        members[tree["nodes"]["file"]] = buf.getvalue()
    out = tmp_path / "tampered.skm"
    _rewrite(path, out, edit, **members)
    if case == "manifest not JSON":
        data = _members(out)
        data["manifest.json"] = b"{not json"
        with zipfile.ZipFile(out, "w") as zf:
            for name, d in data.items():
                zf.writestr(name, d)
    _load_refused(out, match or matches[case])
    assert vae.exists()


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_other_format_version_is_refused_clearly(saved, tmp_path, version):
    def edit(m):
        m.update(format_version=version, skastro_version="9.9")

    with pytest.raises(ValueError, match=rf"format version {version!r} \(written by skastro 9\.9\) "
                                         rf"is not supported; this skastro {__version__} reads "
                                         r"version 1"):
        load_model(_rewrite(saved[0], tmp_path / "v.skm", edit))


def test_model_saved_for_cuda_loads_on_the_cpu(saved, tmp_path):
    """A model saved with device='cuda' loads and predicts on a machine without CUDA."""
    if torch.cuda.is_available():
        pytest.skip("CUDA is available here: the fallback to the CPU is not exercised")

    def edit(m):
        m["model"]["params"]["device"] = "cuda"

    cpu = load_model(saved[0])
    with pytest.warns(UserWarning, match="device='cuda'.*runs on the CPU"):
        gpu = load_model(_rewrite(saved[0], tmp_path / "cuda.skm", edit))
    assert gpu.device == "cuda" and str(gpu.net_.device) == "cpu"
    X = np.random.default_rng(1).random((4, cpu.n_features_in_))
    np.testing.assert_array_equal(gpu.transform(X), cpu.transform(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_model_fitted_on_gpu_loads_on_the_cpu(tmp_path):
    import os
    import subprocess

    from skastro.followup import SpectrumVAE

    X = np.random.default_rng(0).random((20, 12))
    vae = SpectrumVAE(latent_dim=2, n_hidden=1, max_epochs=2, device="cuda", random_state=0).fit(X)
    path = save_model(vae, tmp_path / "gpu.skm")
    np.testing.assert_array_equal(load_model(path).transform(X), vae.transform(X))
    np.save(tmp_path / "X.npy", X)
    code = ("import sys, numpy as np, torch; from skastro import load_model; "
            "assert not torch.cuda.is_available(); m = load_model(sys.argv[1]); "
            "assert str(m.net_.device) == 'cpu'; np.save(sys.argv[3], m.transform(np.load(sys.argv[2])))")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "X.npy"),
                    str(tmp_path / "cpu.npy")], env=env, check=True)
    np.testing.assert_allclose(np.load(tmp_path / "cpu.npy"), vae.transform(X), rtol=1e-4, atol=1e-5)


def test_torch_state_that_does_not_fit_the_network(saved, tmp_path):
    vae = saved[0]

    def drop(m):
        del m["model"]["state"]["n_features_in_"]

    _load_refused(_rewrite(vae, tmp_path / "a.skm", drop), "n_features_in_")
    pt = next(n for n in _members(vae) if n.endswith(".pt"))
    weights = torch.load(io.BytesIO(_members(vae)[pt]), weights_only=True)
    key = next(iter(weights["module"]))
    weights["module"][key] = torch.zeros(1)
    buf = io.BytesIO()
    torch.save(weights, buf)
    _load_refused(_rewrite(vae, tmp_path / "b.skm", **{pt: buf.getvalue()}),
                  "the saved weights do not fit the network")

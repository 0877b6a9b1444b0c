"""Safe, versioned model files: :func:`save_model` and :func:`load_model`.

A model file is a zip archive (``format: "skastro-model"``) holding

- ``manifest.json``: the format name and version, the skastro version that
  wrote it, and the estimator as typed JSON (its class as a dotted path, its
  ``get_params(deep=False)`` and its fitted state);
- ``arrays/<n>.npy``: NumPy arrays (``numpy.save``, never object arrays);
- ``torch/<n>.pt``: torch state dicts (``torch.save``), read with
  ``torch.load(weights_only=True)`` onto the CPU.

Reading never unpickles anything and never imports a module that the
allow-list (:data:`ALLOWED_CLASSES`) does not name; whatever does not follow
the format is refused with one ``ValueError``. The layout is documented in
the user guide ("Saving and loading models") so the files can be read
without skastro.
"""

import importlib
import io
import json
import math
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from .._version import __version__

__all__ = ["ALLOWED_CLASSES", "FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT = "skastro-model"
FORMAT_VERSION = 1

#: Classes a model file may name (dotted path, as written in the manifest). Loading
#: imports a module only to look up one of these; anything else is refused.
ALLOWED_CLASSES = frozenset({
    # skastro's public estimators
    "skastro.periodic.PeriodFolder",
    "skastro.periodic.DualFoldSequencer",
    "skastro.periodic.FoldFeatures",
    "skastro.periodic.BiLSTMClassifier",
    "skastro.microlensing.BranchedRNNClassifier",
    "skastro.microlensing.LensNetPreprocessor",
    "skastro.microlensing.AlertFinder",
    "skastro.microlensing.BrokenLineFeatures",
    "skastro.novelty.DmDtNoveltyDetector",
    "skastro.followup.InfoGainFollowupSelector",
    "skastro.followup.SpectrumVAE",
    # scikit-learn: composition, the usual scalers, and what skastro estimators hold
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.RobustScaler",
    "sklearn.preprocessing.LabelEncoder",
    "sklearn.impute.SimpleImputer",
    "sklearn.decomposition.PCA",
    "sklearn.linear_model.LogisticRegression",
    "sklearn.mixture.GaussianMixture",
    "sklearn.mixture.BayesianGaussianMixture",
    "sklearn.tree.DecisionTreeClassifier",
    "sklearn.tree.DecisionTreeRegressor",
    "sklearn.tree.ExtraTreeClassifier",
    "sklearn.tree.ExtraTreeRegressor",
    "sklearn.ensemble.RandomForestClassifier",
    "sklearn.ensemble.RandomForestRegressor",
    "sklearn.ensemble.ExtraTreesClassifier",
    "sklearn.ensemble.IsolationForest",
})

_MANIFEST = "manifest.json"
_MAX_MANIFEST = 64 * 2**20
_KEY = re.compile(r"^(?!__)[A-Za-z_][A-Za-z0-9_]*$")  # attribute names a file may set
# what a damaged or foreign archive can raise inside zipfile / numpy / json
_READ_ERRORS = (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, struct.error,
                zlib.error, NotImplementedError, OverflowError, RecursionError, TypeError)


class _NotAModel(ValueError):
    """Raised while decoding; :func:`load_model` adds the path."""


# ------------------------------------------------------------------------- save
def save_model(estimator, path):
    """Write a fitted (or unfitted) estimator to a safe, versioned model file.

    The file is a zip archive: a JSON manifest (format ``"skastro-model"``,
    its version, the skastro version, the estimator's class, parameters and
    fitted state), NumPy ``.npy`` arrays and, for the torch estimators, torch
    state dicts. Nested estimators (a :class:`~sklearn.pipeline.Pipeline`,
    sub-estimators such as a random forest) are stored the same way. Only the
    classes in ``skastro.utils.ALLOWED_CLASSES`` can be saved; the user guide
    ("Saving and loading models") describes the layout.

    Parameters
    ----------
    estimator : estimator
        A skastro estimator, or a Pipeline / scikit-learn estimator of the
        allowed classes.
    path : str or Path
        Destination file (written as given; ``.skm`` is the convention).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    TypeError
        When the estimator or any value in its state cannot be stored
        without pickling (a class outside the allow-list, a function, an
        object array of arbitrary objects...); nothing is written then.

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skastro.utils import load_model, save_model
    >>> scaler = StandardScaler().fit(np.arange(6.0).reshape(3, 2))
    >>> path = os.path.join(tempfile.mkdtemp(), "scaler.skm")
    >>> _ = save_model(scaler, path)
    >>> load_model(path).mean_
    array([2., 3.])
    """
    writer = _Writer()
    model = writer.estimator(estimator, "model")
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "skastro_version": __version__, "model": model}
    text = json.dumps(manifest, indent=1, allow_nan=False)
    path = Path(path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(_MANIFEST, text)
        for name, data in writer.files.items():
            zf.writestr(name, data)
    return path


def model_state(estimator):
    """The default fitted state: every instance attribute that is not a parameter."""
    params = estimator.get_params(deep=False)
    return {k: v for k, v in vars(estimator).items() if k not in params}


def _dotted(cls):
    """The allow-listed dotted path of ``cls`` (public module, else the defining one)."""
    for name in ALLOWED_CLASSES:
        module, _, attr = name.rpartition(".")
        if attr == cls.__name__ and cls.__module__.startswith(module.split(".")[0]):
            mod = sys.modules.get(module) or importlib.import_module(module)
            if getattr(mod, attr, None) is cls:
                return name
    return None


class _Writer:
    def __init__(self):
        self.files = {}

    def _file(self, folder, data, suffix):
        name = f"{folder}/{len(self.files)}{suffix}"
        self.files[name] = data
        return name

    def estimator(self, est, where):
        name = _dotted(type(est))
        if name is None:
            raise TypeError(
                f"save_model: {where} is a {type(est).__module__}.{type(est).__qualname__}, which "
                "is not in skastro.utils.ALLOWED_CLASSES; only those classes can be saved "
                "without pickling.")
        params = est.get_params(deep=False)
        hook = getattr(est, "_get_model_state", None)
        state = hook() if hook is not None else model_state(est)
        return {"@": "estimator", "class": name,
                "params": {k: self.value(v, f"{where}.{k}") for k, v in params.items()},
                "state": {k: self.value(v, f"{where}.{k}") for k, v in state.items()}}

    def value(self, v, where):
        if v is None or type(v) in (bool, str, int):  # not their numpy subclasses (np.str_)
            return v
        if type(v) is float:
            return v if math.isfinite(v) else {"@": "float", "value": repr(v)}
        if isinstance(v, np.generic):
            return self.scalar(v, where)
        if isinstance(v, np.ndarray):
            return self.array(v, where)
        if type(v) is list:
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if type(v) is tuple:
            return {"@": "tuple", "items": [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, (set, frozenset)) and type(v) in (set, frozenset):
            return {"@": type(v).__name__, "items": [self.value(x, where) for x in v]}
        if _has_tensor(v):
            return self.torch(v, where)
        if isinstance(v, dict) and type(v).__module__ in ("builtins", "collections"):
            if all(type(k) is str for k in v):
                return {"@": "dict", "map": {k: self.value(x, f"{where}[{k!r}]") for k, x in v.items()}}
            return {"@": "dict", "items": [[self.value(k, where), self.value(x, f"{where}[{k!r}]")]
                                           for k, x in v.items()]}
        if isinstance(v, np.dtype):
            return {"@": "dtype", "value": self.dtype(v, where)}
        if isinstance(v, type) and issubclass(v, np.generic):
            return {"@": "numpy_type", "value": self.dtype(np.dtype(v), where)}
        if isinstance(v, BaseEstimator):
            return self.estimator(v, where)
        if isinstance(v, pd.DataFrame):
            return {"@": "dataframe", "columns": self.index(v.columns, where),
                    "index": self.index(v.index, where),
                    "data": [self.column(v.iloc[:, i], f"{where}[{c!r}]")
                             for i, c in enumerate(v.columns)]}
        if isinstance(v, pd.Series):
            return {"@": "series", "name": self.value(v.name, where),
                    "index": self.index(v.index, where), "data": self.column(v, where)}
        if isinstance(v, pd.Index):
            return self.index(v, where)
        if type(v).__module__ == "sklearn.tree._tree" and type(v).__name__ == "Tree":
            return self.tree(v, where)
        raise TypeError(f"save_model: cannot store {where} (a {type(v).__module__}."
                        f"{type(v).__qualname__}) without pickling.")

    def dtype(self, dtype, where):
        if dtype.hasobject or dtype.kind not in "biufcUSMm":
            raise TypeError(f"save_model: cannot store {where}: dtype {dtype} holds Python objects.")
        return dtype.str

    def scalar(self, v, where):
        kind = v.dtype.kind
        value = ([v.real.item(), v.imag.item()] if kind == "c"
                 else v.item().decode("latin-1") if kind == "S"
                 else v.item() if kind in "biufU" else v.astype(np.int64).item())  # datetimes: ticks
        return {"@": "scalar", "dtype": self.dtype(v.dtype, where), "value": self.value(value, where)}

    def array(self, a, where):
        if a.dtype.hasobject:
            if a.dtype != object:
                raise TypeError(f"save_model: cannot store {where}: dtype {a.dtype} holds objects.")
            return {"@": "object_array", "shape": list(a.shape),
                    "items": [self.value(x, f"{where}[{i}]") for i, x in enumerate(a.ravel())]}
        buf = io.BytesIO()
        np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
        return {"@": "ndarray", "file": self._file("arrays", buf.getvalue(), ".npy")}

    def column(self, s, where):
        if isinstance(s.dtype, pd.CategoricalDtype):
            return {"@": "categorical", "codes": self.array(s.cat.codes.to_numpy(), where),
                    "categories": self.index(s.cat.categories, where),
                    "ordered": bool(s.cat.ordered)}
        if isinstance(s.dtype, np.dtype):
            return self.array(s.to_numpy(), where)
        values = s.astype(object).where(s.notna(), None).to_numpy()
        return {"@": "extension", "dtype": str(s.dtype), "values": self.array(values, where)}

    def index(self, idx, where):
        if isinstance(idx, pd.MultiIndex):
            raise TypeError(f"save_model: cannot store {where}: MultiIndex is not supported.")
        if isinstance(idx, pd.RangeIndex):
            return {"@": "range_index", "start": idx.start, "stop": idx.stop, "step": idx.step,
                    "name": self.value(idx.name, where)}
        return {"@": "index", "name": self.value(idx.name, where),
                "data": self.column(pd.Series(idx, dtype=idx.dtype), where)}

    def tree(self, t, where):
        _, (n_features, n_classes, n_outputs), state = t.__reduce__()
        return {"@": "sklearn_tree", "n_features": int(n_features), "n_outputs": int(n_outputs),
                "n_classes": self.array(np.asarray(n_classes, np.int64), where),
                "max_depth": int(state["max_depth"]), "node_count": int(state["node_count"]),
                "nodes": self.array(state["nodes"], where),
                "values": self.array(state["values"], where)}

    def torch(self, v, where):
        import torch

        buf = io.BytesIO()
        torch.save(v, buf)
        return {"@": "torch", "file": self._file("torch", buf.getvalue(), ".pt")}


def _has_tensor(v):
    torch = sys.modules.get("torch")  # no tensor can exist before torch is imported
    if torch is None:
        return False
    if isinstance(v, torch.Tensor):
        return True
    if isinstance(v, dict):
        return any(_has_tensor(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_tensor(x) for x in v)
    return False


# ------------------------------------------------------------------------- load
def load_model(path):
    """Read a model written by :func:`save_model`, without unpickling anything.

    The manifest is checked node by node: every class it names must be in
    ``skastro.utils.ALLOWED_CLASSES`` (no other module is ever imported),
    arrays are read with ``allow_pickle=False`` and torch state dicts with
    ``torch.load(weights_only=True)`` onto the CPU (a model saved on a GPU
    loads on a machine without one; it moves to its ``device`` when that is
    available). Estimators check their own state where a wrong value could
    give silently wrong results (e.g. the dm-dt histograms against the grid).

    Parameters
    ----------
    path : str or Path
        A file written by :func:`save_model`.

    Returns
    -------
    estimator
        The estimator, with the parameters and fitted state it was saved with.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        ``"<path>: not a skastro model file: <reason>"`` for anything that is
        not a model file (another file type, a truncated or tampered archive,
        a class outside the allow-list, a pickled or object array); a file of
        another format version names that version and the skastro that wrote it.

    See Also
    --------
    save_model : Write a model file.

    Examples
    --------
    >>> import tempfile, os
    >>> from skastro.utils import load_model
    >>> path = os.path.join(tempfile.mkdtemp(), "junk.skm")
    >>> with open(path, "wb") as fh:
    ...     _ = fh.write(b"not a model")
    >>> load_model(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...junk.skm: not a skastro model file: not a zip archive.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such model file.")
    try:
        with zipfile.ZipFile(path) as zf:
            reader = _Reader(zf)
            manifest = reader.manifest()
            _check_version(path, manifest)
            return reader.estimator(manifest.get("model"), "model")
    except _NotAModel as exc:
        raise ValueError(f"{path}: not a skastro model file: {exc}.") from None
    except zipfile.BadZipFile:
        raise ValueError(f"{path}: not a skastro model file: not a zip archive.") from None
    except _READ_ERRORS as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(f"{path}:"):
            raise
        raise ValueError(f"{path}: not a skastro model file: unreadable "
                         f"({type(exc).__name__}: {str(exc)[:120]}).") from None


def _check_version(path, manifest):
    if manifest.get("format") != FORMAT:
        raise _NotAModel(f"format {manifest.get('format')!r}, expected {FORMAT!r}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION or type(version) is not int:
        raise ValueError(
            f"{path}: {FORMAT} file format version {version!r} (written by skastro "
            f"{manifest.get('skastro_version', 'unknown')}) is not supported; this skastro "
            f"{__version__} reads version {FORMAT_VERSION}. Load it with the skastro that "
            "wrote it, or refit the model.")


def _no_constant(name):
    raise _NotAModel(f"{_MANIFEST} holds {name}, which JSON does not allow (non-finite "
                     "floats are typed entries)")


def _need(ok, reason):
    if not ok:
        raise _NotAModel(reason)


def _resolve(name):
    """The class an allow-listed dotted path names (imports only allow-listed modules)."""
    _need(isinstance(name, str) and name in ALLOWED_CLASSES,
          f"class {name!r} is not in the allow-list of skastro model classes")
    module, _, attr = name.rpartition(".")
    cls = getattr(importlib.import_module(module), attr, None)
    _need(isinstance(cls, type) and issubclass(cls, BaseEstimator),
          f"{name} is not an estimator class in this environment")
    return cls


def _keys(node, *keys):
    _need(isinstance(node, dict) and set(node) == {"@", *keys},
          f"a {node.get('@') if isinstance(node, dict) else type(node).__name__!r} entry must "
          f"have exactly the keys {sorted({'@', *keys})}")


class _Reader:
    def __init__(self, zf):
        self.zf = zf
        self.names = set(zf.namelist())

    def manifest(self):
        _need(_MANIFEST in self.names, f"no {_MANIFEST} in the archive")
        info = self.zf.getinfo(_MANIFEST)
        _need(info.file_size <= _MAX_MANIFEST, f"{_MANIFEST} is larger than 64 MiB")
        try:
            manifest = json.loads(self.zf.read(_MANIFEST).decode("utf-8"),
                                  parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _NotAModel(f"{_MANIFEST} is not valid JSON") from None
        _need(isinstance(manifest, dict), f"{_MANIFEST} is not a JSON object")
        return manifest

    def read(self, name, folder, suffix):
        _need(isinstance(name, str) and re.fullmatch(rf"{folder}/\d+\{suffix}", name) is not None
              and name in self.names, f"missing or misnamed archive member {name!r}")
        return self.zf.read(name)

    def estimator(self, node, where):
        _keys(node, "class", "params", "state")
        _need(node["@"] == "estimator", f"{where} is not an estimator entry")
        cls = _resolve(node["class"])
        params, state = node["params"], node["state"]
        _need(isinstance(params, dict) and isinstance(state, dict)
              and all(isinstance(k, str) and _KEY.match(k) for k in (*params, *state)),
              f"{where}: 'params' and 'state' must map attribute names to values")
        params = {k: self.value(v, f"{where}.{k}") for k, v in params.items()}
        try:
            est = cls(**params)
        except TypeError as exc:
            raise _NotAModel(f"{where}: {node['class']} does not take these parameters in "
                             f"skastro {__version__} ({exc})") from None
        shadowed = sorted(k for k in state if hasattr(cls, k))
        _need(not shadowed, f"{where}: fitted state {shadowed} would shadow {cls.__name__}'s "
                            "own attributes")
        state = {k: self.value(v, f"{where}.{k}") for k, v in state.items()}
        hook = getattr(est, "_set_model_state", None)
        try:
            if getattr(est, "_parameter_constraints", None) is not None:
                est._validate_params()  # the parameters, as fit would check them
            if hook is not None:
                hook(state)
            else:
                vars(est).update(state)
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # a missing or mistyped fitted attribute: the state does not fit the class
            raise _NotAModel(f"{where} ({node['class']}): {exc}") from None
        _check_trees(est, where)
        return est

    def value(self, node, where):
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if isinstance(node, list):
            return [self.value(x, where) for x in node]
        _need(isinstance(node, dict) and isinstance(node.get("@"), str),
              f"{where}: unknown entry {node!r:.80}")
        kind = node["@"]
        _need(kind in _KINDS, f"{where}: unknown entry type {kind!r}")
        decode = getattr(self, f"_{kind}")
        if kind == "dict":  # {"map": {str: value}} or {"items": [[key, value], ...]}
            _keys(node, "map" if "map" in node else "items")
        else:
            _keys(node, *_KINDS[kind])
        return decode(node, where)

    # one method per entry type ("@"), with the keys it must have
    def _estimator(self, node, where):
        return self.estimator(node, where)

    def _float(self, node, where):
        _need(node["value"] in ("nan", "inf", "-inf"), f"{where}: bad float {node['value']!r}")
        return float(node["value"])

    def _tuple(self, node, where):
        _need(isinstance(node["items"], list), f"{where}: tuple items must be a list")
        return tuple(self.value(x, where) for x in node["items"])

    def _set(self, node, where):
        return set(self._tuple(node, where))

    def _frozenset(self, node, where):
        return frozenset(self._tuple(node, where))

    def _dict(self, node, where):
        if "map" in node:
            _need(isinstance(node["map"], dict), f"{where}: dict 'map' must be an object")
            return {k: self.value(v, where) for k, v in node["map"].items()}
        _need(isinstance(node["items"], list)
              and all(isinstance(p, list) and len(p) == 2 for p in node["items"]),
              f"{where}: dict 'items' must be [key, value] pairs")
        out = {}
        for k, v in node["items"]:
            k = self.value(k, where)
            _need(k.__hash__ is not None, f"{where}: unhashable dict key")
            out[k] = self.value(v, where)
        return out

    def _dtype_of(self, value, where):
        _need(isinstance(value, str) and len(value) < 32, f"{where}: bad dtype {value!r:.40}")
        try:
            dtype = np.dtype(value)
        except (TypeError, ValueError):
            raise _NotAModel(f"{where}: bad dtype {value!r}") from None
        _need(not dtype.hasobject and dtype.kind in "biufcUSMm", f"{where}: dtype {value!r} is not allowed")
        return dtype

    def _dtype(self, node, where):
        return self._dtype_of(node["value"], where)

    def _numpy_type(self, node, where):
        return self._dtype_of(node["value"], where).type

    def _scalar(self, node, where):
        dtype = self._dtype_of(node["dtype"], where)
        value = self.value(node["value"], where)
        if dtype.kind == "c":
            _need(isinstance(value, list) and len(value) == 2
                  and all(isinstance(x, (int, float)) for x in value), f"{where}: bad complex")
            value = complex(*value)
        _need(isinstance(value, (bool, int, float, str, complex)), f"{where}: bad scalar")
        try:
            if dtype.kind == "S":
                return dtype.type(value.encode("latin-1"))
            if dtype.kind in "Mm":
                _need(type(value) is int, f"{where}: bad {dtype}")
                return np.array(value, dtype=np.int64).astype(dtype)[()]
            return dtype.type(value) if dtype.kind == "U" else np.array(value, dtype=dtype)[()]
        except (TypeError, ValueError, OverflowError):
            raise _NotAModel(f"{where}: {value!r:.40} is not a {dtype}") from None

    def _ndarray(self, node, where):
        data = self.read(node["file"], "arrays", ".npy")
        try:
            a = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            why = ("holds pickled data (an object array or a pickle: reading it would need "
                   "unpickling, which skastro never does)" if "pickle" in str(exc)
                   else f"is unreadable ({exc})")
            raise _NotAModel(f"{where}: {node['file']} {why}") from None
        _need(isinstance(a, np.ndarray) and not a.dtype.hasobject, f"{where}: not a plain array")
        return a

    def _object_array(self, node, where):
        shape = node["shape"]
        _need(isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)
              and isinstance(node["items"], list) and math.prod(shape) == len(node["items"]),
              f"{where}: object array shape and items do not agree")
        items = [self.value(x, where) for x in node["items"]]
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)

    def _column(self, node, where):
        kind = node.get("@") if isinstance(node, dict) else None
        _need(kind in ("ndarray", "object_array", "categorical", "extension"),
              f"{where}: bad column entry")
        if kind == "categorical":
            _keys(node, *_KINDS["categorical"])
            codes = self._ndarray_node(node["codes"], where)
            categories = self.value(node["categories"], where)
            _need(isinstance(categories, pd.Index) and codes.ndim == 1 and codes.dtype.kind == "i",
                  f"{where}: bad categorical column")
            return pd.Categorical.from_codes(codes, categories, ordered=bool(node["ordered"]))
        if kind == "extension":
            _keys(node, *_KINDS["extension"])
            values = self.value(node["values"], where)
            _need(node["dtype"] in _EXTENSION_DTYPES and isinstance(values, np.ndarray),
                  f"{where}: pandas dtype {node['dtype']!r} is not allowed")
            return pd.array(values, dtype=node["dtype"])
        return self.value(node, where)

    def _ndarray_node(self, node, where):
        _need(isinstance(node, dict) and node.get("@") == "ndarray", f"{where}: expected an array")
        _keys(node, "file")
        return self._ndarray(node, where)

    def _dataframe(self, node, where):
        columns = self.value(node["columns"], where)
        index = self.value(node["index"], where)
        _need(isinstance(columns, pd.Index) and isinstance(index, pd.Index)
              and isinstance(node["data"], list) and len(node["data"]) == len(columns),
              f"{where}: bad DataFrame entry")
        data = [self._column(c, where) for c in node["data"]]
        _need(all(len(c) == len(index) for c in data), f"{where}: DataFrame columns differ in length")
        frame = pd.DataFrame({i: c for i, c in enumerate(data)}, index=index)
        frame.columns = columns
        return frame

    def _series(self, node, where):
        index = self.value(node["index"], where)
        data = self._column(node["data"], where)
        _need(isinstance(index, pd.Index) and len(data) == len(index), f"{where}: bad Series entry")
        return pd.Series(data, index=index, name=self.value(node["name"], where))

    def _index(self, node, where):
        data = self._column(node["data"], where)
        _need(getattr(data, "ndim", 1) == 1, f"{where}: an index must be 1-D")
        return pd.Index(data, name=self.value(node["name"], where))

    def _range_index(self, node, where):
        args = [node[k] for k in ("start", "stop", "step")]
        _need(all(type(a) is int for a in args) and args[2] != 0, f"{where}: bad RangeIndex")
        return pd.RangeIndex(*args, name=self.value(node["name"], where))

    def _sklearn_tree(self, node, where):
        from sklearn.tree._tree import NODE_DTYPE, Tree

        n_features, n_outputs = node["n_features"], node["n_outputs"]
        max_depth, count = node["max_depth"], node["node_count"]
        _need(all(type(v) is int and v >= 0 for v in (n_features, n_outputs, max_depth, count))
              and n_outputs >= 1, f"{where}: bad tree sizes")
        n_classes = self._ndarray_node(node["n_classes"], where)
        nodes = self._ndarray_node(node["nodes"], where)
        values = self._ndarray_node(node["values"], where)
        _need(n_classes.shape == (n_outputs,) and n_classes.dtype.kind == "i" and n_classes.min() >= 1,
              f"{where}: bad tree n_classes")
        _need(nodes.dtype == NODE_DTYPE and nodes.shape == (count,), f"{where}: bad tree nodes")
        _need(values.dtype == np.float64
              and values.shape == (count, n_outputs, int(n_classes.max())), f"{where}: bad tree values")
        # the tree is walked in C without bounds checks: every child and feature must be in range
        left, right, feat = nodes["left_child"], nodes["right_child"], nodes["feature"]
        leaf = left == -1
        idx = np.arange(count)
        _need(np.array_equal(leaf, right == -1)
              and np.all((left[~leaf] > idx[~leaf]) & (left[~leaf] < count))
              and np.all((right[~leaf] > idx[~leaf]) & (right[~leaf] < count))
              and np.all((feat[~leaf] >= 0) & (feat[~leaf] < n_features)),
              f"{where}: tree nodes point outside the tree")
        tree = Tree(n_features, n_classes.astype(np.intp), n_outputs)
        tree.__setstate__({"max_depth": max_depth, "node_count": count, "nodes": nodes,
                           "values": values})
        return tree

    def _torch(self, node, where):
        import pickle

        import torch

        data = self.read(node["file"], "torch", ".pt")
        try:
            return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
        except (pickle.UnpicklingError, RuntimeError, *_READ_ERRORS) as exc:
            raise _NotAModel(f"{where}: {node['file']} is not a plain torch state dict "
                             f"({type(exc).__name__}: {str(exc).splitlines()[0][:120]})") from None


def _check_trees(est, where):
    """Trees are walked in C without bounds checks: they must agree with ``n_features_in_``."""
    n = vars(est).get("n_features_in_")
    tree = vars(est).get("tree_")
    if type(tree).__name__ == "Tree":
        _need(tree.n_features == n, f"{where}: the tree has {tree.n_features} features, "
                                    f"n_features_in_ is {n!r}")
    subs = vars(est).get("estimators_")
    if n is None or not isinstance(subs, list) or "estimators_features_" in vars(est):
        return  # bagging (IsolationForest) indexes X's columns itself, with bounds checks
    _need(all(vars(sub).get("n_features_in_") == n for sub in subs if "tree_" in vars(sub)),
          f"{where}: the trees do not all take n_features_in_={n!r} features")


#: entry type -> its keys besides "@"
_KINDS = {
    "estimator": ("class", "params", "state"),
    "float": ("value",),
    "dict": None,
    "tuple": ("items",),
    "set": ("items",),
    "frozenset": ("items",),
    "dtype": ("value",),
    "numpy_type": ("value",),
    "scalar": ("dtype", "value"),
    "ndarray": ("file",),
    "object_array": ("shape", "items"),
    "categorical": ("codes", "categories", "ordered"),
    "extension": ("dtype", "values"),
    "dataframe": ("columns", "index", "data"),
    "series": ("name", "index", "data"),
    "index": ("name", "data"),
    "range_index": ("start", "stop", "step", "name"),
    "sklearn_tree": ("n_features", "n_outputs", "n_classes", "max_depth", "node_count", "nodes",
                     "values"),
    "torch": ("file",),
}
#: pandas extension dtypes a DataFrame column may have (names pandas resolves itself)
_EXTENSION_DTYPES = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32",
                               "UInt64", "Float32", "Float64", "boolean", "string", "str"})

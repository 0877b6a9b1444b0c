"""Hypothesis strategies for hostile light curves and arrays (issue 17, issue 18).

A drawn :class:`RawCurves` holds per-object arrays built by resampling the
observations of a *template* container (so values have realistic ranges for
each column: magnitudes, fluxes, phases, airmasses) and then corrupting them:
NaN and infinities in any column, duplicated and unsorted times, Julian-Date
times, zero, negative, tiny (1e-300) and huge (1e300) values, rescaling by up
to 10^±12, constant columns. Curves have 0 to 500 points; ids are odd (negative
ints, unicode strings, mixed types, duplicates); labels mix types (``1`` and
``"1"``); each column may be float32, int or a nullable pandas dtype (for
every constructor, from_arrays included). A
``RawCurves`` can be built into a container by each public constructor.
"""

import dataclasses
import functools
import os
import tempfile

import numpy as np
import pandas as pd
from hypothesis import note
from hypothesis import strategies as st
from skorch.helper import SliceDict

from skastro import LightCurves

LABEL_COLUMNS = ("band", "site")
CORRUPTIONS = ("nan", "inf", "-inf", "zero", "negative", "tiny", "huge", "scale", "constant",
               "duplicate", "jd")
DTYPES = ("float64", "float64", "float32", "int", "Float64", "Int64")
ODD_LABELS = (1, "1", "ü", "w", " ", "g\u0301")
ID_KINDS = ("default", "negative", "unicode", "mixed", "duplicate", "float")
CONSTRUCTORS = ("from_arrays", "from_pandas", "from_table", "read_parquet")


@dataclasses.dataclass
class RawCurves:
    """Per-object arrays of a fuzzed set of light curves, before any constructor."""

    columns: dict  # name -> list of per-object arrays (labels as object arrays)
    ids: list
    meta: pd.DataFrame  # one row per object, in object order (index replaced by ids on build)
    value_kind: str
    dtypes: dict  # name -> one of DTYPES, applied on build

    @property
    def n_objects(self):
        return len(self.columns["time"])

    def describe(self):
        lines = [f"{self.n_objects} objects, ids={self.ids!r}, value_kind={self.value_kind!r}, "
                 f"dtypes={self.dtypes}"]
        for name, arrays in self.columns.items():
            lines.append(f"  {name}: {[a.tolist() if a.size <= 12 else f'<{a.size}: {a[:4].tolist()}...>' for a in arrays]}")
        return "\n".join(lines)

    def _typed(self, name, array):
        """``array`` in this column's drawn dtype: float32, int64 (only where every value is
        integral-safe), or a pandas nullable ``Float64``/``Int64`` array (``Int64`` becomes
        ``Float64`` where a value is infinite), for every constructor."""
        kind = self.dtypes.get(name, "float64")
        if name in LABEL_COLUMNS or array.dtype == object:
            return array
        if kind == "float32":
            with np.errstate(over="ignore"):
                return array.astype(np.float32)
        if kind == "int" and np.all(np.isfinite(array)) and np.all(np.abs(array) < 2**62):
            return np.round(array).astype(np.int64)
        if kind in ("Float64", "Int64"):  # a pandas nullable array: NaN becomes <NA>
            if kind == "Int64" and not np.all(np.isfinite(array) | np.isnan(array)):
                kind = "Float64"  # Int64 holds no infinity
            if kind == "Int64":
                array = np.where(np.abs(array) < 2**62, np.round(array), np.nan)
            return pd.array(np.where(np.isnan(array), None, array), dtype=kind)
        return array

    def _meta(self, unique_only):
        if unique_only and len(set(map(repr, self.ids))) < len(self.ids):
            return None
        meta = self.meta.copy()
        try:
            meta.index = pd.Index(self.ids, dtype=object)
        except (TypeError, ValueError):
            return None
        return meta if meta.index.is_unique else None

    def long_table(self):
        """One row per observation; ``value`` is named ``mag`` or ``flux``."""
        n = [a.size for a in self.columns["time"]]
        table = {"object_id": np.repeat(np.array(self.ids, dtype=object), n)}
        for name, arrays in self.columns.items():
            flat = np.concatenate(arrays) if arrays else np.array([])
            table[_long_name(name, self.value_kind)] = self._typed(name, flat)
        frame = pd.DataFrame(table)
        return frame

    def _keywords(self):
        context = [c for c in self.columns if c not in ("time", "value", "error", *LABEL_COLUMNS)]
        return dict(time="time", value=_long_name("value", self.value_kind),
                    error="err" if "error" in self.columns else None,
                    band="band" if "band" in self.columns else None,
                    site="site" if "site" in self.columns else None,
                    context=context or None, value_kind=self.value_kind)

    def build(self, how):
        """The container built by constructor ``how`` (one of CONSTRUCTORS)."""
        if how == "from_arrays":
            return self.from_arrays()
        frame = self.long_table()
        keywords = self._keywords()
        meta = self._meta(unique_only=True)
        if how == "from_pandas":
            return LightCurves.from_pandas(frame, id="object_id", meta=meta, **keywords)
        if how == "from_table":
            from astropy.table import Table

            return LightCurves.from_table(Table.from_pandas(frame), id="object_id", meta=meta,
                                          **keywords)
        if how == "read_parquet":
            for column in ("object_id", *LABEL_COLUMNS):  # Parquet holds one type per column
                if column in frame and frame[column].map(type).nunique() > 1:
                    frame[column] = frame[column].astype(str)
                    meta = None if column == "object_id" else meta
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "long.parquet")
                frame.to_parquet(path)
                return LightCurves.read_parquet(path, id="object_id", meta=meta, **keywords)
        raise ValueError(how)

    def from_arrays(self):
        typed = {name: [self._typed(name, a) for a in arrays] for name, arrays in self.columns.items()}
        context = {k: v for k, v in typed.items()
                   if k not in ("time", "value", "error", *LABEL_COLUMNS)}
        return LightCurves.from_arrays(
            typed["time"], typed["value"], typed.get("error"), bands=typed.get("band"),
            sites=typed.get("site"), ids=self.ids, meta=self._meta(unique_only=False),
            context=context or None, value_kind=self.value_kind)


def _long_name(name, value_kind):
    return {"value": "flux" if value_kind == "flux" else "mag", "error": "err"}.get(name, name)


def default_template():
    """Two sinusoidal curves in two bands (the template when none is given)."""
    rng = np.random.default_rng(0)
    times = [np.sort(rng.uniform(0, 300, 80)) for _ in range(2)]
    values = [15 + 0.3 * np.sin(2 * np.pi * t / 0.61) + rng.normal(0, 0.02, t.size) for t in times]
    return LightCurves.from_arrays(times, values, [np.full(t.size, 0.02) for t in times],
                                   bands=[np.where(rng.random(t.size) < 0.5, "g", "r") for t in times],
                                   ids=["a", "b"])


_LABELS = {}


def _labels(lcs, name):
    """The template's labels of column ``name`` (object array), computed once per template:
    every example resamples them."""
    key = id(lcs), name
    if key not in _LABELS:
        _LABELS[key] = lcs, np.asarray(lcs.column(name), dtype=object)  # lcs: keep its id taken
    return _LABELS[key][1]


class _Lazy:
    """A note whose text is built only when Hypothesis reports it (a failing example),
    not for each of the thousands of passing ones."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text()


@st.composite
def ids_for(draw, n):
    """``n`` object ids of a drawn kind (some kinds make duplicates or mixed types)."""
    kind = draw(st.sampled_from(ID_KINDS))
    if kind == "default" or n == 0:
        return list(range(n))
    if kind == "negative":
        return [-i - 1 for i in range(n)]
    if kind == "float":
        return [i + 0.5 for i in range(n)]
    if kind == "unicode":
        texts = st.text(min_size=0, max_size=6)
        return draw(st.lists(texts, min_size=n, max_size=n, unique=True))
    if kind == "mixed":
        return [i if i % 2 else f"obj {i} ★" for i in range(n)]
    ids = list(range(n))  # duplicate
    if n > 1:
        ids[draw(st.integers(1, n - 1))] = ids[0]
    return ids


# The strategies raw_curves draws from, built once per set of arguments: a strategy
# built anew in every example costs Hypothesis more (its properties are recomputed) than
# the draw itself. The same strategies, so the same examples.
_SEED = st.integers(0, 2**32 - 1)
_DTYPE = st.sampled_from(DTYPES)


@functools.lru_cache(maxsize=None)
def _lengths(n, max_points):
    return st.lists(st.one_of(st.integers(0, 4), st.integers(1, 60), st.integers(0, max_points)),
                    min_size=n, max_size=n)


@functools.lru_cache(maxsize=None)
def _indices(n, size):
    return st.lists(st.integers(0, size - 1), min_size=n, max_size=n)


@functools.lru_cache(maxsize=None)
def _corruptions(names, n):
    return st.lists(st.tuples(st.sampled_from(names), st.sampled_from(CORRUPTIONS),
                              st.integers(-1, max(n - 1, 0)), st.floats(0.0, 1.0)), max_size=3)


@st.composite
def raw_curves(draw, template=None, min_objects=0, max_objects=6, max_points=500):
    """A :class:`RawCurves` resampled from ``template`` and corrupted (module docstring)."""
    template = default_template() if template is None else template
    rng = np.random.default_rng(draw(_SEED))
    n = draw(st.integers(min_objects, max_objects))
    lengths = draw(_lengths(n, max_points))
    sources = draw(_indices(n, len(template)))
    names = list(template.columns)
    label_values = {name: _labels(template, name) for name in names if name in LABEL_COLUMNS}
    columns = {name: [] for name in names}
    shuffle = draw(st.booleans()) and draw(st.booleans())
    for length, j in zip(lengths, sources):
        lo, hi = template.offsets[j], template.offsets[j + 1]
        rows = (np.sort(rng.choice(np.arange(lo, hi), length, replace=length > hi - lo))
                if length else np.array([], dtype=np.int64))
        if shuffle:
            rows = rng.permutation(rows)
        for name in names:
            source = label_values[name] if name in label_values else template.column(name)
            columns[name].append(np.array(source[rows], dtype=object if name in label_values else float))
    corruptions = draw(_corruptions(tuple(names), n))
    for name, kind, which, fraction in corruptions:
        targets = range(n) if which < 0 else [which] if n else []
        for i in targets:
            _corrupt(columns, name, kind, i, fraction, rng, label_values)
    dtypes = {name: draw(_DTYPE) for name in names if name not in label_values}
    meta = template.meta.iloc[sources].reset_index(drop=True)
    raw = RawCurves(columns=columns, ids=draw(ids_for(n)), meta=meta,
                    value_kind=template.value_kind, dtypes=dtypes)
    note(_Lazy(raw.describe))
    note(_Lazy(lambda: f"corruptions={corruptions}"))
    return raw


def _corrupt(columns, name, kind, i, fraction, rng, label_values):
    a = columns[name][i]
    if a.size == 0:
        return
    hit = rng.random(a.size) < max(fraction, 1.0 / a.size)
    if name in label_values:  # labels: odd labels of mixed types instead
        a[hit] = ODD_LABELS[int(rng.integers(len(ODD_LABELS)))]
        return
    if kind == "nan":
        a[hit] = np.nan
    elif kind == "inf":
        a[hit] = np.inf
    elif kind == "-inf":
        a[hit] = -np.inf
    elif kind == "zero":
        a[hit] = 0.0
    elif kind == "negative":
        a[hit] = -np.abs(a[hit]) - 1e-3
    elif kind == "tiny":
        a[hit] = a[hit] * 1e-300
    elif kind == "huge":
        a[hit] = a[hit] * 1e300
    elif kind == "scale":
        a *= 10.0 ** rng.uniform(-12, 12)
    elif kind == "constant":
        a[:] = a[0]
    elif kind == "duplicate" and a.size > 1:
        a[1:][hit[1:]] = a[0]
    elif kind == "jd":
        a += 2_400_000.5


_ARRAY_DTYPE = st.sampled_from([np.float32, np.int64, np.float16, object])


@functools.lru_cache(maxsize=None)
def _array_corruptions(keys):
    return st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(CORRUPTIONS + ("dtype",)),
                              st.floats(0, 1)), max_size=3)


@st.composite
def hostile_arrays(draw, template, max_rows=40):
    """Rows resampled from ``template`` (ndarray or SliceDict), then corrupted."""
    n_template = len(template)
    n = draw(st.integers(0, max_rows))
    rng = np.random.default_rng(draw(_SEED))
    rows = rng.integers(0, n_template, n)
    if isinstance(template, SliceDict):
        out = {k: np.array(np.asarray(template[k])[rows]) for k in template}
    else:
        out = {"X": np.array(np.asarray(template)[rows], dtype=float)}
    for key, kind, fraction in draw(_array_corruptions(tuple(sorted(out)))):
        a = out[key]
        if a.size == 0:
            continue
        if kind == "dtype":
            # through float: an object array (an earlier cast) holding NaN would make
            # ``astype(int64)`` call int(nan) and the generator, not the estimator, fail
            with np.errstate(invalid="ignore", over="ignore"):
                out[key] = np.asarray(a, dtype=float).astype(draw(_ARRAY_DTYPE))
            continue
        if a.dtype.kind != "f":
            a = out[key] = a.astype(float)
        flat = a.reshape(-1)
        hit = rng.random(flat.size) < max(fraction, 1.0 / flat.size)
        column = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "zero": 0.0}.get(kind)
        if column is not None:
            flat[hit] = column
        elif kind in ("negative",):
            flat[hit] = -np.abs(flat[hit]) - 1
        elif kind == "tiny":
            flat[hit] *= 1e-300
        elif kind == "huge":
            flat[hit] *= 1e300
        elif kind == "scale":
            flat *= 10.0 ** rng.uniform(-12, 12)
        elif kind == "constant":
            flat[:] = flat[0]
    note({k: (v.dtype, v.shape) for k, v in out.items()})
    if isinstance(template, SliceDict):
        if draw(st.booleans()):  # a wrong length, the commonest SliceDict mistake
            out["length"] = np.asarray(out["length"]) + draw(st.integers(-5, 5))
        return SliceDict(**out)
    return out["X"]

"""The light-curve container shared by every skastro estimator."""

import json
import numbers

import numpy as np
import pandas as pd

__all__ = ["LightCurves"]

# Per-epoch columns every container has, in this order.
CORE_COLUMNS = ("time", "value", "error")
# Per-epoch columns stored as integer codes into a tuple of labels.
CATEGORICAL_COLUMNS = ("band", "site")
VALUE_KINDS = ("mag", "flux")
_PARQUET_KEY = b"skastro"
_PARQUET_VERSION = 1


def _readonly(array):
    array = np.asarray(array)
    array.flags.writeable = False
    return array


class LightCurves:
    """A set of ragged, irregularly sampled, multi-band light curves.

    The sample axis is the object: ``len(lcs)`` is the number of objects and
    ``lcs[idx]`` (int, slice, boolean mask or integer array) returns a new
    ``LightCurves`` holding those objects, so ``train_test_split``, ``KFold``,
    ``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` use it unmodified.

    Inside, observations are stored columnar, as Arrow list arrays are: one
    flat array per per-epoch column, all objects one after the other, and an
    ``offsets`` array of length ``n_objects + 1`` such that the observations of
    object ``i`` are ``offsets[i]:offsets[i + 1]``. Per-object metadata
    (labels, periods, fitted quantities) is a :class:`pandas.DataFrame`
    ``meta`` whose index is the object id.

    Build one with :meth:`from_pandas` (a long table, one row per
    observation), :meth:`from_arrays` (lists of per-object arrays),
    :meth:`from_table` (astropy) or :meth:`read_parquet`; the constructor
    itself takes the flat arrays and is meant for code that already has them.

    Within each object, observations are sorted by time (stably) on
    construction; the input is never modified.

    Parameters
    ----------
    offsets : array-like of int, shape (n_objects + 1,)
        Start of each object's observations in the flat columns, then the
        total count. Must start at 0 and increase strictly (no empty light
        curve).
    columns : dict of str to array-like
        Flat per-epoch columns, each of length ``offsets[-1]``. Must hold
        ``"time"`` (days), ``"value"`` (magnitude or flux) and ``"error"``.
        ``"band"`` and ``"site"`` are optional labels (strings); any other
        entry is a context column (airmass, fwhm, sky, ...).
    meta : pandas.DataFrame, default=None
        One row per object, index = object ids (unique). Default: ids
        ``0 .. n_objects - 1`` and no columns.
    value_kind : {"mag", "flux"}, default="mag"
        What the ``value`` column holds.

    Attributes
    ----------
    offsets : ndarray of int64, shape (n_objects + 1,)
    lengths : ndarray of int64, shape (n_objects,)
        Number of observations of each object.
    meta : pandas.DataFrame
        Per-object metadata; index = object id.
    ids : pandas.Index
        The object ids.
    columns : tuple of str
        Names of the per-epoch columns.
    context_columns : tuple of str
        The per-epoch columns that are neither core columns nor labels.
    bands, sites : tuple of str
        Distinct band (site) labels, empty when the column is absent.
    value_kind : str
        ``"mag"`` or ``"flux"``.

    See Also
    --------
    skastro.datasets.make_periodic_variables : simulated light curves.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro import LightCurves
    >>> lcs = LightCurves.from_arrays(
    ...     times=[np.array([3.0, 1.0, 2.0]), np.array([0.5, 1.5])],
    ...     values=[np.array([15.3, 15.1, 15.2]), np.array([17.0, 17.2])],
    ...     errors=[np.full(3, 0.01), np.full(2, 0.05)],
    ...     ids=["star_a", "star_b"],
    ... )
    >>> len(lcs)
    2
    >>> lcs.lengths
    array([3, 2])
    >>> lcs.time  # sorted within each object
    array([1. , 2. , 3. , 0.5, 1.5])
    >>> lcs[[1]].ids.tolist()
    ['star_b']
    """

    def __init__(self, offsets, columns, meta=None, value_kind="mag"):
        offsets = np.asarray(offsets)
        if offsets.ndim != 1 or offsets.size < 1 or not np.issubdtype(offsets.dtype, np.integer):
            raise ValueError(
                f"offsets must be a 1-D integer array of length n_objects + 1; got "
                f"shape {offsets.shape} and dtype {offsets.dtype}."
            )
        offsets = offsets.astype(np.int64)
        if offsets[0] != 0:
            raise ValueError(f"offsets must start at 0; got {offsets[0]}.")
        n_objects = offsets.size - 1
        if value_kind not in VALUE_KINDS:
            raise ValueError(f"value_kind must be one of {VALUE_KINDS}; got {value_kind!r}.")
        meta = self._check_meta(meta, n_objects)
        lengths = np.diff(offsets)
        if np.any(lengths <= 0):
            bad = np.flatnonzero(lengths <= 0)
            if np.any(lengths < 0):
                raise ValueError("offsets must be non-decreasing.")
            raise ValueError(
                f"Light curve of object {meta.index[bad[0]]!r} is empty "
                f"({bad.size} empty light curve(s) in all); every object needs at "
                "least one observation."
            )
        missing = [name for name in CORE_COLUMNS if name not in columns]
        if missing:
            raise ValueError(
                f"columns must include {list(CORE_COLUMNS)}; missing {missing}. "
                f"Got {sorted(columns)}."
            )
        n_obs = int(offsets[-1])
        flat, categories = {}, {}
        for name, column in columns.items():
            if not isinstance(name, str):
                raise TypeError(f"Column names must be strings; got {name!r}.")
            if name in CATEGORICAL_COLUMNS and isinstance(column, (pd.Categorical, pd.Series)):
                column = pd.Categorical(column)  # keeps a given category order
            else:
                column = np.asarray(column)
            if column.ndim != 1 or column.shape[0] != n_obs:
                raise ValueError(
                    f"Column {name!r} has shape {column.shape}; expected ({n_obs},), "
                    "one value per observation."
                )
            if name in CATEGORICAL_COLUMNS:
                codes, labels = _encode(column, name)
                flat[name], categories[name] = codes, labels
            elif name == "time":
                flat[name] = column.astype(np.float64)
            elif column.dtype.kind in "biuf":
                flat[name] = column
            else:
                raise TypeError(
                    f"Context column {name!r} must be numeric; got dtype {column.dtype}. "
                    f"Only {list(CATEGORICAL_COLUMNS)} may hold labels."
                )
        time = flat["time"]
        bad_time = ~np.isfinite(time)
        if bad_time.any():
            obj = np.searchsorted(offsets, np.flatnonzero(bad_time)[0], side="right") - 1
            raise ValueError(
                f"Column 'time' of object {meta.index[obj]!r} holds NaN or inf "
                f"({int(bad_time.sum())} non-finite time(s) in all); times must be finite."
            )
        order = _sort_within_objects(time, offsets)
        if order is not None:
            flat = {name: column[order] for name, column in flat.items()}
        self._offsets = _readonly(offsets)
        self._columns = {name: _readonly(column) for name, column in flat.items()}
        self._categories = categories
        self._meta = meta
        self.value_kind = value_kind

    # ------------------------------------------------------------------ basics
    @staticmethod
    def _check_meta(meta, n_objects):
        if meta is None:
            return pd.DataFrame(index=pd.RangeIndex(n_objects, name="object_id"))
        if not isinstance(meta, pd.DataFrame):
            raise TypeError(f"meta must be a pandas DataFrame; got {type(meta).__name__}.")
        if len(meta) != n_objects:
            raise ValueError(
                f"meta has {len(meta)} rows; expected one per object ({n_objects})."
            )
        if not meta.index.is_unique:
            dup = meta.index[meta.index.duplicated()][0]
            raise ValueError(f"Object ids (meta.index) must be unique; {dup!r} repeats.")
        meta = meta.copy()
        if meta.index.name is None:
            meta.index.name = "object_id"
        return meta

    def __len__(self):
        return self._offsets.size - 1

    @property
    def shape(self):
        """``(n_objects,)``: lets scikit-learn index the container like an array."""
        return (len(self),)

    @property
    def n_objects(self):
        """Number of objects."""
        return len(self)

    @property
    def n_observations(self):
        """Total number of observations over all objects."""
        return int(self._offsets[-1])

    @property
    def offsets(self):
        return self._offsets

    @property
    def lengths(self):
        return np.diff(self._offsets)

    @property
    def meta(self):
        return self._meta

    @property
    def ids(self):
        return self._meta.index

    @property
    def columns(self):
        return tuple(self._columns)

    @property
    def context_columns(self):
        fixed = CORE_COLUMNS + CATEGORICAL_COLUMNS
        return tuple(name for name in self._columns if name not in fixed)

    @property
    def bands(self):
        return self._categories.get("band", ())

    @property
    def sites(self):
        return self._categories.get("site", ())

    @property
    def time(self):
        """Flat observation times (days), object after object."""
        return self._columns["time"]

    @property
    def value(self):
        """Flat magnitudes or fluxes (see ``value_kind``)."""
        return self._columns["value"]

    @property
    def error(self):
        """Flat uncertainties of ``value``."""
        return self._columns["error"]

    @property
    def object_index(self):
        """Flat array: the object (position) each observation belongs to."""
        return np.repeat(np.arange(len(self)), self.lengths)

    def __contains__(self, name):
        return name in self._columns

    def _check_column(self, name):
        if name not in self._columns:
            raise KeyError(
                f"No per-epoch column {name!r}; available columns: {list(self._columns)}."
            )

    def column(self, name):
        """Flat array of a per-epoch column; ``band``/``site`` as labels.

        Parameters
        ----------
        name : str
            Column name (see ``columns``).

        Returns
        -------
        ndarray of shape (n_observations,)
        """
        self._check_column(name)
        if name in self._categories:
            return np.asarray(self._categories[name], dtype=object)[self._columns[name]]
        return self._columns[name]

    def codes(self, name):
        """Integer codes of a label column (``band`` or ``site``).

        ``codes("band")[k]`` indexes ``bands``. Vectorised code should prefer
        codes to the string labels of :meth:`column`.
        """
        self._check_column(name)
        if name not in self._categories:
            raise KeyError(f"Column {name!r} is not a label column; label columns: {list(self._categories)}.")
        return self._columns[name]

    def split(self, name):
        """Per-object arrays of a per-epoch column (views, no copy)."""
        return np.split(self.column(name), self._offsets[1:-1])

    def __repr__(self):
        parts = [f"{len(self)} objects", f"{self.n_observations} observations",
                 f"value_kind={self.value_kind!r}"]
        if self.bands:
            parts.append(f"bands={list(self.bands)}")
        if self.sites:
            parts.append(f"sites={list(self.sites)}")
        if self.context_columns:
            parts.append(f"context={list(self.context_columns)}")
        if len(self._meta.columns):
            parts.append(f"meta={list(self._meta.columns)}")
        return f"LightCurves({', '.join(parts)})"

    def equals(self, other):
        """True when both containers hold the same observations and metadata."""
        if not isinstance(other, LightCurves) or self.value_kind != other.value_kind:
            return False
        if self.columns != other.columns or not np.array_equal(self._offsets, other._offsets):
            return False
        for name in self.columns:
            a, b = self.column(name), other.column(name)
            if a.dtype.kind == "f" and b.dtype.kind == "f":
                if not np.array_equal(a, b, equal_nan=True):
                    return False
            elif not np.array_equal(a, b):
                return False
        return self._meta.equals(other._meta)

    # ---------------------------------------------------------------- indexing
    def _positions(self, key):
        n = len(self)
        if isinstance(key, tuple):
            # scikit-learn's array indexing asks for X[key, ...].
            if len(key) >= 1 and all(k is Ellipsis for k in key[1:]):
                key = key[0]
            else:
                raise IndexError("LightCurves has one axis (objects); index it with one key.")
        if isinstance(key, numbers.Integral):
            if not -n <= key < n:
                raise IndexError(f"Object index {key} is out of range for {n} objects.")
            return np.array([key % n])
        if isinstance(key, slice):
            return np.arange(n)[key]
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != (n,):
                raise IndexError(
                    f"Boolean mask has shape {key.shape}; expected ({n},), one per object."
                )
            return np.flatnonzero(key)
        if key.size == 0:
            return np.zeros(0, dtype=np.int64)
        if key.ndim != 1 or not np.issubdtype(key.dtype, np.integer):
            raise IndexError(
                "Index LightCurves with an int, a slice, a boolean mask or a 1-D "
                f"integer array; got dtype {key.dtype} and shape {key.shape}."
            )
        if key.min() < -n or key.max() >= n:
            raise IndexError(f"Object index out of range for {n} objects.")
        return key % n

    def __getitem__(self, key):
        pos = self._positions(key)
        if pos.size == 0:
            raise IndexError("Selecting no object: a LightCurves holds at least one object.")
        lengths = self.lengths[pos]
        new_offsets = np.zeros(pos.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=new_offsets[1:])
        starts = self._offsets[:-1][pos]
        if pos.size == len(self) and np.array_equal(pos, np.arange(len(self))):
            take = slice(None)
        elif np.all(np.diff(pos) == 1):
            take = slice(int(starts[0]), int(starts[0] + new_offsets[-1]))
        else:
            take = np.repeat(starts - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
        columns = {name: column[take] for name, column in self._columns.items()}
        return self._derive(new_offsets, columns, self._meta.iloc[pos])

    def _derive(self, offsets, columns, meta):
        """A new container sharing this one's labels; skips validation and sorting."""
        new = object.__new__(LightCurves)
        new._offsets = _readonly(np.asarray(offsets, dtype=np.int64))
        new._columns = {name: _readonly(column) for name, column in columns.items()}
        new._categories = dict(self._categories)
        new._meta = meta
        new.value_kind = self.value_kind
        return new

    # ------------------------------------------------------------ derivations
    def with_columns(self, **columns):
        """A copy with per-epoch columns added or replaced.

        Each value is a flat array of length ``n_observations`` in this
        container's order. ``time`` cannot be replaced (it defines the order);
        build a new container for that.
        """
        if "time" in columns:
            raise ValueError("with_columns cannot replace 'time'; build a new LightCurves.")
        new_columns = dict(self._columns)
        categories = dict(self._categories)
        for name, column in columns.items():
            column = np.asarray(column)
            if column.shape != (self.n_observations,):
                raise ValueError(
                    f"Column {name!r} has shape {column.shape}; expected "
                    f"({self.n_observations},), one value per observation."
                )
            if name in CATEGORICAL_COLUMNS:
                column, categories[name] = _encode(column, name)
            new_columns[name] = column
        new = self._derive(self._offsets, new_columns, self._meta)
        new._categories = categories
        return new

    def with_meta(self, meta=None, **columns):
        """A copy with per-object metadata columns added or replaced.

        Parameters
        ----------
        meta : pandas.DataFrame, default=None
            Columns to add; its index must hold the same ids (any order).
        **columns : array-like of shape (n_objects,)
            Columns to add, in object order.
        """
        new_meta = self._meta.copy()
        if meta is not None:
            if not isinstance(meta, pd.DataFrame):
                raise TypeError(f"meta must be a pandas DataFrame; got {type(meta).__name__}.")
            missing = self.ids.difference(meta.index)
            if len(missing):
                raise ValueError(f"meta lacks rows for object ids {list(missing[:5])}.")
            for name in meta.columns:
                new_meta[name] = meta[name].reindex(self.ids).to_numpy()
        for name, column in columns.items():
            column = np.asarray(column)
            if column.shape[:1] != (len(self),):
                raise ValueError(
                    f"Meta column {name!r} has length {column.shape[:1]}; expected {len(self)}."
                )
            new_meta[name] = column
        return self._derive(self._offsets, self._columns, new_meta)

    def select_observations(self, mask):
        """A copy keeping the observations where ``mask`` (flat, boolean) is True.

        Raises ``ValueError`` naming the object if that would leave an object
        with no observation; drop such objects first by indexing.
        """
        mask = np.asarray(mask)
        if mask.dtype != bool or mask.shape != (self.n_observations,):
            raise ValueError(
                f"mask must be boolean of shape ({self.n_observations},); got dtype "
                f"{mask.dtype} and shape {mask.shape}."
            )
        kept = np.add.reduceat(mask.astype(np.int64), self._offsets[:-1])
        if np.any(kept == 0):
            obj = int(np.flatnonzero(kept == 0)[0])
            raise ValueError(
                f"Light curve of object {self.ids[obj]!r} would be empty "
                f"({int((kept == 0).sum())} object(s) in all)."
            )
        offsets = np.concatenate([[0], np.cumsum(kept)])
        columns = {name: column[mask] for name, column in self._columns.items()}
        return self._derive(offsets, columns, self._meta)

    @classmethod
    def concat(cls, parts):
        """Join several containers object-wise (ids must stay unique)."""
        parts = list(parts)
        if not parts:
            raise ValueError("concat needs at least one LightCurves.")
        first = parts[0]
        for part in parts:
            if not isinstance(part, LightCurves):
                raise TypeError(f"concat takes LightCurves; got {type(part).__name__}.")
            if part.columns != first.columns or part.value_kind != first.value_kind:
                raise ValueError(
                    "concat needs the same columns and value_kind in every part; got "
                    f"{first.columns}/{first.value_kind} and {part.columns}/{part.value_kind}."
                )
        offsets = np.concatenate(
            [[0], np.cumsum(np.concatenate([p.lengths for p in parts]))]
        )
        columns = {name: np.concatenate([p.column(name) for p in parts]) for name in first.columns}
        meta = pd.concat([p.meta for p in parts])
        return cls(offsets, columns, meta=meta, value_kind=first.value_kind)

    # ---------------------------------------------------------- constructors
    @classmethod
    def from_pandas(cls, table, id="object_id", time="time", value="mag", error="mag_err",
                    band=None, site=None, context=None, meta=None, value_kind=None):
        """Build from a long table, one row per observation.

        Objects keep the order in which their ids first appear; within an
        object, rows are sorted by time (stably).

        Parameters
        ----------
        table : pandas.DataFrame
            The observations. Not modified.
        id, time, value, error : str
            Names of the object-id, time (days), magnitude-or-flux and
            uncertainty columns.
        band, site : str, default=None
            Names of the passband and site/telescope columns, if any.
        context : list of str, default=None
            Names of further per-epoch columns to keep (airmass, fwhm, ...).
        meta : pandas.DataFrame, default=None
            Per-object metadata indexed by id; rows are matched to the objects
            and ids missing from it are an error.
        value_kind : {"mag", "flux"}, default=None
            What ``value`` holds; by default ``"flux"`` when the column name
            contains "flux", else ``"mag"``.

        Returns
        -------
        LightCurves
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
        if len(table) == 0:
            raise ValueError("table has no rows; a LightCurves needs at least one observation.")
        names = {"time": time, "value": value, "error": error}
        if band is not None:
            names["band"] = band
        if site is not None:
            names["site"] = site
        context = [context] if isinstance(context, str) else list(context or [])
        for name in context:
            if name in names:
                raise ValueError(f"Context column {name!r} clashes with a core column name.")
            names[name] = name
        requested = [id, *names.values()]
        missing = [name for name in requested if name not in table.columns]
        if missing:
            raise KeyError(
                f"Column(s) {missing} not in the table; available columns: {list(table.columns)}."
            )
        codes, uniques = pd.factorize(table[id], sort=False, use_na_sentinel=True)
        if (codes < 0).any():
            raise ValueError(f"Column {id!r} holds missing object ids.")
        columns = {
            role: table[col].array if isinstance(table[col].dtype, pd.CategoricalDtype)
            else table[col].to_numpy()
            for role, col in names.items()
        }
        if columns["time"].dtype.kind not in "iuf":
            raise TypeError(
                f"Time column {time!r} must be numeric days; got dtype {columns['time'].dtype}."
            )
        order = np.argsort(codes, kind="stable")
        if not np.all(order[1:] > order[:-1]):
            columns = {role: column[order] for role, column in columns.items()}
            codes = codes[order]
        counts = np.bincount(codes, minlength=len(uniques))
        offsets = np.concatenate([[0], np.cumsum(counts)])
        ids = pd.Index(uniques, name=id)
        obj_meta = _align_meta(meta, ids)
        if value_kind is None:
            value_kind = "flux" if "flux" in value.lower() else "mag"
        return cls(offsets, columns, meta=obj_meta, value_kind=value_kind)

    @classmethod
    def from_arrays(cls, times, values, errors, bands=None, ids=None, meta=None, sites=None,
                    context=None, value_kind="mag"):
        """Build from lists of per-object arrays.

        Parameters
        ----------
        times, values, errors : list of array-like
            One array per object; the three lists must match object by object.
        bands, sites : list of array-like of str, default=None
            Per-observation labels, one array per object.
        ids : array-like, default=None
            Object ids (default ``0 .. n - 1``).
        meta : pandas.DataFrame, default=None
            Per-object metadata; if it has as many rows as objects and no ids
            are given, its index supplies them, else rows are matched by id.
        context : dict of str to list of array-like, default=None
            Further per-epoch columns.
        value_kind : {"mag", "flux"}, default="mag"

        Returns
        -------
        LightCurves
        """
        per_object = {"time": times, "value": values, "error": errors}
        if bands is not None:
            per_object["band"] = bands
        if sites is not None:
            per_object["site"] = sites
        for name, arrays in (context or {}).items():
            if name in per_object:
                raise ValueError(f"Context column {name!r} clashes with a core column name.")
            per_object[name] = arrays
        n = len(times)
        if n == 0:
            raise ValueError("from_arrays needs at least one light curve; got none.")
        if ids is None:
            ids = meta.index if meta is not None and len(meta) == n else pd.RangeIndex(n)
        ids = pd.Index(ids, name=getattr(ids, "name", None) or "object_id")
        if len(ids) != n:
            raise ValueError(f"Got {len(ids)} ids for {n} light curves.")
        arrays = {}
        for name, seq in per_object.items():
            if len(seq) != n:
                raise ValueError(f"Got {len(seq)} arrays for {name!r} but {n} for 'time'.")
            arrays[name] = [np.atleast_1d(np.asarray(a)) for a in seq]
        lengths = np.array([a.size for a in arrays["time"]], dtype=np.int64)
        for name, seq in arrays.items():
            for i, (a, length) in enumerate(zip(seq, lengths)):
                if a.ndim != 1 or a.size != length:
                    raise ValueError(
                        f"Object {ids[i]!r}: {name!r} has shape {a.shape} but 'time' has "
                        f"{length} values."
                    )
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise ValueError(f"Light curve of object {ids[empty[0]]!r} is empty.")
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        columns = {name: np.concatenate(seq) for name, seq in arrays.items()}
        return cls(offsets, columns, meta=_align_meta(meta, ids), value_kind=value_kind)

    @classmethod
    def from_table(cls, table, id="object_id", time="time", value="mag", error="mag_err",
                   band=None, site=None, context=None, meta=None, value_kind=None):
        """Build from a long astropy ``Table`` or ``TimeSeries``.

        Same keywords as :meth:`from_pandas`. A ``Time`` column is converted
        to MJD; a time column with a unit is converted to days.
        """
        from astropy.table import Table
        from astropy.time import Time
        import astropy.units as u

        if not isinstance(table, Table):
            raise TypeError(f"table must be an astropy Table; got {type(table).__name__}.")
        if time not in table.colnames:
            raise KeyError(f"Column {time!r} not in the table; available columns: {table.colnames}.")
        plain = Table(table, copy=False)
        times = plain[time]
        if isinstance(times, Time):
            days = times.mjd
        elif getattr(times, "unit", None) is not None:
            days = u.Quantity(times).to_value(u.day)
        else:
            days = np.asarray(times)
        frame = pd.DataFrame(
            {name: np.asarray(plain[name]) for name in plain.colnames if name != time}
        )
        frame[time] = np.asarray(days, dtype=np.float64)
        # Label order written by to_table (e.g. bands by wavelength) survives the round trip.
        for role, col in (("band", band), ("site", site)):
            labels = table.meta.get("categories", {}).get(role)
            if col is not None and col in frame and labels is not None:
                frame[col] = pd.Categorical(frame[col], categories=labels)
        if value_kind is None:
            value_kind = table.meta.get("value_kind")
        return cls.from_pandas(frame, id=id, time=time, value=value, error=error, band=band,
                               site=site, context=context, meta=meta, value_kind=value_kind)

    # ------------------------------------------------------------- exporters
    def to_pandas(self, with_meta=False):
        """The long table: one row per observation.

        Columns: the id (named as ``meta.index``), ``time``, ``value``,
        ``error``, then ``band``/``site`` labels and context columns; with
        ``with_meta=True`` the per-object metadata is repeated on each row.
        """
        id_name = self.ids.name or "object_id"
        frame = pd.DataFrame({id_name: np.repeat(self.ids.to_numpy(), self.lengths)})
        for name in self.columns:
            if name in self._categories:
                frame[name] = pd.Categorical.from_codes(self._columns[name], self._categories[name])
            else:
                frame[name] = self._columns[name]
        if with_meta:
            for name in self._meta.columns:
                frame[name] = np.repeat(self._meta[name].to_numpy(), self.lengths)
        return frame

    def to_table(self):
        """The long table as an astropy ``Table`` (time in days, value in mag
        when ``value_kind == "mag"``); ``meta`` goes to ``table.meta['objects']``."""
        from astropy.table import Table
        import astropy.units as u

        table = Table.from_pandas(self.to_pandas())
        table["time"].unit = u.day
        if self.value_kind == "mag":
            table["value"].unit = u.mag
            table["error"].unit = u.mag
        table.meta["value_kind"] = self.value_kind
        table.meta["categories"] = {name: list(labels) for name, labels in self._categories.items()}
        table.meta["objects"] = self._meta.copy()
        return table

    def to_padded(self, columns=("time", "value", "error"), max_length=None, fill_value=np.nan):
        """Stack per-epoch columns into a padded 3-D array.

        Parameters
        ----------
        columns : sequence of str, default=("time", "value", "error")
            Numeric per-epoch columns to stack (label columns give codes).
        max_length : int, default=None
            Length of the time axis; longer light curves keep their *last*
            ``max_length`` observations. Default: the longest light curve.
        fill_value : float, default=nan

        Returns
        -------
        padded : ndarray of shape (n_objects, max_length, len(columns))
            Observations left-aligned, ``fill_value`` after them.
        lengths : ndarray of int64, shape (n_objects,)
            Number of real observations in each row.
        """
        for name in columns:
            self._check_column(name)
        lengths = self.lengths
        if max_length is None:
            max_length = int(lengths.max())
        keep = np.minimum(lengths, max_length)
        out = np.full((len(self), max_length, len(columns)), fill_value, dtype=np.float64)
        row = np.repeat(np.arange(len(self)), keep)
        pos = np.arange(keep.sum()) - np.repeat(np.cumsum(keep) - keep, keep)
        src = np.repeat(self._offsets[1:] - keep, keep) + pos
        for k, name in enumerate(columns):
            out[row, pos, k] = self._columns[name][src]
        return out, keep

    # ----------------------------------------------------------------- parquet
    def to_parquet(self, path):
        """Write to one Parquet file: a row per object, per-epoch columns as
        list columns (Arrow's layout), metadata columns as plain columns."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        clash = set(self.columns) & set(map(str, self._meta.columns))
        id_name = self.ids.name or "object_id"
        if clash or id_name in self.columns:
            raise ValueError(
                f"Per-epoch and metadata columns share names {sorted(clash | ({id_name} & set(self.columns)))}; "
                "rename one side before writing Parquet."
            )
        offsets = pa.array(self._offsets.astype(np.int32) if self.n_observations < 2**31 else self._offsets)
        list_type = pa.ListArray if offsets.type == pa.int32() else pa.LargeListArray
        arrays = {id_name: pa.array(self.ids.to_numpy())}
        for name in self.columns:
            arrays[name] = list_type.from_arrays(offsets, pa.array(self.column(name)))
        meta_table = pa.Table.from_pandas(self._meta, preserve_index=False)
        for name in meta_table.column_names:
            arrays[name] = meta_table[name]
        info = {
            "version": _PARQUET_VERSION,
            "value_kind": self.value_kind,
            "id": id_name,
            "epoch_columns": list(self.columns),
            "meta_columns": list(meta_table.column_names),
            "categories": {name: list(labels) for name, labels in self._categories.items()},
        }
        table = pa.table(arrays)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _PARQUET_KEY: json.dumps(info).encode()}
        )
        pq.write_table(table, path)

    @classmethod
    def read_parquet(cls, path):
        """Read a file written by :meth:`to_parquet`."""
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        raw = (table.schema.metadata or {}).get(_PARQUET_KEY)
        if raw is None:
            raise ValueError(f"{path} was not written by LightCurves.to_parquet (no skastro metadata).")
        info = json.loads(raw)
        if info.get("version") != _PARQUET_VERSION:
            raise ValueError(
                f"{path} has skastro Parquet version {info.get('version')}; this skastro reads "
                f"version {_PARQUET_VERSION}."
            )
        columns, offsets = {}, None
        for name in info["epoch_columns"]:
            lists = table[name].combine_chunks()
            if offsets is None:
                offsets = np.asarray(lists.offsets, dtype=np.int64)
            values = lists.values
            if name in CATEGORICAL_COLUMNS:
                columns[name] = pd.Categorical(values.to_numpy(zero_copy_only=False),
                                               categories=info["categories"][name])
            else:
                columns[name] = values.to_numpy(zero_copy_only=False)
        meta = table.select(info["meta_columns"]).to_pandas()
        meta.index = pd.Index(table[info["id"]].to_numpy(zero_copy_only=False), name=info["id"])
        return cls(offsets, columns, meta=meta, value_kind=info["value_kind"])


def _encode(labels, name):
    """Integer codes and label tuple of a label column.

    Labels are sorted, unless ``labels`` is a pandas Categorical: then its
    category order is kept (e.g. passbands in wavelength order).
    """
    if isinstance(labels, pd.Categorical):
        codes, uniques = labels.codes, labels.categories
    else:
        codes, uniques = pd.factorize(np.asarray(labels), sort=True)
    if (codes < 0).any():
        raise ValueError(f"Label column {name!r} holds missing values.")
    return np.asarray(codes, dtype=np.int16), tuple(str(label) for label in uniques)


def _sort_within_objects(time, offsets):
    """Permutation sorting times within each object, or None when already sorted."""
    if time.size < 2:
        return None
    step_down = time[1:] < time[:-1]
    # A decrease exactly at an object boundary is fine.
    step_down[offsets[1:-1] - 1] = False
    if not step_down.any():
        return None
    obj = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    return np.lexsort((time, obj))


def _align_meta(meta, ids):
    if meta is None:
        return pd.DataFrame(index=ids)
    if not isinstance(meta, pd.DataFrame):
        raise TypeError(f"meta must be a pandas DataFrame; got {type(meta).__name__}.")
    if not meta.index.is_unique:
        raise ValueError("meta's index (object ids) must be unique.")
    missing = ids.difference(meta.index)
    if len(missing):
        raise ValueError(
            f"meta has no row for object id(s) {list(missing[:5])} "
            f"({len(missing)} missing in all)."
        )
    aligned = meta.reindex(ids)
    aligned.index.name = ids.name
    return aligned

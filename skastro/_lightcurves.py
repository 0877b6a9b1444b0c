"""The light-curve container shared by every skastro estimator."""

import json
import numbers

import numpy as np
import pandas as pd

__all__ = ["LightCurves"]

# Per-epoch columns with a fixed meaning, in this order; "error" may be absent
# (light curves without uncertainties, as astropy's ``dy=None``).
CORE_COLUMNS = ("time", "value", "error")
REQUIRED_COLUMNS = ("time", "value")
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
        total count. Must start at 0 and increase strictly (at least one
        object, no empty light curve).
    columns : dict of str to array-like
        Flat per-epoch columns, each of length ``offsets[-1]``. Must hold
        ``"time"`` (days, finite) and ``"value"`` (magnitude or flux), and
        usually ``"error"`` (uncertainties >= 0, NaN for a missing one; absent
        for light curves without uncertainties). ``"band"`` and ``"site"``
        are optional labels (compared as text); any other entry is a numeric
        context column (airmass, fwhm, sky, ...).
    meta : pandas.DataFrame, default=None
        One row per object, index = object ids (unique). Default: ids
        ``0 .. n_objects - 1`` and no columns.
    value_kind : {"mag", "flux"}, default="mag"
        What the ``value`` column holds.
    units : dict of str to str, default=None
        Units of per-epoch columns, e.g. ``{"value": "mJy"}``; written by
        :meth:`to_table` and :meth:`to_parquet`.

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
    units : dict of str to str
        Known units of per-epoch columns (empty when none were given).

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

    def __init__(self, offsets, columns, meta=None, value_kind="mag", units=None):
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
        if n_objects == 0:
            raise ValueError(
                "offsets has length 1, i.e. zero objects; a LightCurves holds at least one object."
            )
        if value_kind not in VALUE_KINDS:
            raise ValueError(f"value_kind must be one of {VALUE_KINDS}; got {value_kind!r}.")
        if not isinstance(columns, dict):
            raise TypeError(f"columns must be a dict of name to flat array; got {type(columns).__name__}.")
        meta = self._check_meta(meta, n_objects)
        lengths = np.diff(offsets)
        if np.any(lengths <= 0):
            bad = np.flatnonzero(lengths <= 0)
            if np.any(lengths < 0):
                raise ValueError("offsets must be non-decreasing.")
            raise ValueError(
                f"Light curve of object {_plain(meta.index[bad[0]])!r} is empty "
                f"({bad.size} empty light curve(s) in all); every object needs at "
                "least one observation."
            )
        missing = [name for name in REQUIRED_COLUMNS if name not in columns]
        if missing:
            raise ValueError(
                f"columns must include {list(REQUIRED_COLUMNS)} (and usually 'error'); missing "
                f"{missing}. Got {sorted(map(str, columns))}."
            )
        n_obs = int(offsets[-1])
        flat, categories = {}, {}
        for name, column in columns.items():
            flat[name], labels = _prepare_column(name, column, n_obs)
            if labels is not None:
                categories[name] = labels
        _check_values(flat, offsets, meta.index)
        order = _sort_within_objects(flat["time"], offsets)
        if order is not None:
            flat = {name: column[order] for name, column in flat.items()}
        self._offsets = _readonly(offsets)
        self._columns = {name: _readonly(column) for name, column in flat.items()}
        self._categories = categories
        self._meta = meta
        self.value_kind = value_kind
        self._units = _check_units(units, flat)

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
            raise ValueError(f"Object ids (meta.index) must be unique; {_plain(dup)!r} repeats.")
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
        """Flat uncertainties of ``value`` (a ``KeyError`` when there are none)."""
        if "error" not in self._columns:
            raise KeyError(
                "These light curves have no 'error' column (built without uncertainties); "
                f"available columns: {list(self._columns)}."
            )
        return self._columns["error"]

    @property
    def units(self):
        """Units of per-epoch columns known from the input, e.g. ``{"value": "mJy"}``."""
        return dict(self._units)

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

        Parameters
        ----------
        name : {"band", "site"}
            The label column; a ``KeyError`` for a column that is absent or
            holds no labels.

        Returns
        -------
        numpy.ndarray of int, shape (n_observations,)
            The code of each observation's label, in this container's order
            (the stored array, not a copy: do not modify it).
        """
        self._check_column(name)
        if name not in self._categories:
            raise KeyError(f"Column {name!r} is not a label column; label columns: {list(self._categories)}.")
        return self._columns[name]

    def split(self, name):
        """Per-object arrays of a per-epoch column (views, no copy).

        Parameters
        ----------
        name : str
            A per-epoch column (``"time"``, ``"value"``, ``"error"``, a label
            or context column); labels come as strings, as from :meth:`column`.

        Returns
        -------
        list of numpy.ndarray
            One array per object, in object order.
        """
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
        """True when both containers hold the same observations and metadata.

        Parameters
        ----------
        other : object
            Anything; only a :class:`LightCurves` with the same ``value_kind``,
            units, columns, observations (NaN equals NaN) and ``meta`` is equal.

        Returns
        -------
        bool
        """
        if not isinstance(other, LightCurves) or self.value_kind != other.value_kind:
            return False
        if self._units != other._units:
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
        new._units = {name: unit for name, unit in self._units.items() if name in columns}
        return new

    # ------------------------------------------------------------ derivations
    def with_columns(self, **columns):
        """A copy with per-epoch columns added or replaced.

        Each value is a flat array of length ``n_observations`` in this
        container's order. ``time`` cannot be replaced (it defines the order);
        build a new container for that. Columns are checked as by the
        constructor (shape, numeric unless ``band``/``site``), but their values
        are not: a derived column (e.g. standardised features written over
        ``error``) may hold anything, and estimators check what they read.

        Parameters
        ----------
        **columns : array-like, shape (n_observations,)
            Column name to values, e.g. ``value=standardised``; ``band`` and
            ``site`` take labels, other columns must be numeric.

        Returns
        -------
        LightCurves
            A new container; units of replaced columns are dropped.
        """
        if "time" in columns:
            raise ValueError("with_columns cannot replace 'time'; build a new LightCurves.")
        new_columns = dict(self._columns)
        categories = dict(self._categories)
        added = {}
        for name, column in columns.items():
            added[name], labels = _prepare_column(name, column, self.n_observations)
            categories.pop(name, None)
            if labels is not None:
                categories[name] = labels
        new_columns.update(added)
        new = self._derive(self._offsets, new_columns, self._meta)
        new._categories = categories
        new._units = {name: unit for name, unit in self._units.items() if name not in added}
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

        Parameters
        ----------
        mask : numpy.ndarray of bool, shape (n_observations,)
            One flag per observation, in this container's (flat) order.

        Returns
        -------
        LightCurves
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
                f"Light curve of object {_plain(self.ids[obj])!r} would be empty "
                f"({int((kept == 0).sum())} object(s) in all)."
            )
        offsets = np.concatenate([[0], np.cumsum(kept)])
        columns = {name: column[mask] for name, column in self._columns.items()}
        return self._derive(offsets, columns, self._meta)

    @classmethod
    def concat(cls, parts):
        """Join several containers object-wise (ids must stay unique).

        Parameters
        ----------
        parts : iterable of LightCurves
            At least one container; all with the same columns, ``value_kind``
            and units. Objects keep the order of ``parts``.

        Returns
        -------
        LightCurves
        """
        parts = list(parts)
        if not parts:
            raise ValueError("concat needs at least one LightCurves.")
        first = parts[0]
        for part in parts:
            if not isinstance(part, LightCurves):
                raise TypeError(f"concat takes LightCurves; got {type(part).__name__}.")
            if (part.columns, part.value_kind, part._units) != (
                    first.columns, first.value_kind, first._units):
                raise ValueError(
                    "concat needs the same columns, value_kind and units in every part; got "
                    f"{first.columns}/{first.value_kind}/{first._units} and "
                    f"{part.columns}/{part.value_kind}/{part._units}."
                )
        offsets = np.concatenate(
            [[0], np.cumsum(np.concatenate([p.lengths for p in parts]))]
        )
        columns = {name: np.concatenate([p.column(name) for p in parts]) for name in first.columns}
        meta = pd.concat([p.meta for p in parts])
        return cls(offsets, columns, meta=meta, value_kind=first.value_kind, units=first.units)

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
        id, time, value, error : column label
            Labels of the object-id, time (days), magnitude-or-flux and
            uncertainty columns. ``id=None``: the whole table is one light
            curve (id 0). ``error=None``: no uncertainties (estimators that
            need them refuse such light curves; see the data-model guide).
        band, site : column label, default=None
            Labels of the passband and site/telescope columns, if any.
        context : list of str, default=None
            Names of further per-epoch columns to keep (airmass, fwhm, ...);
            ``time``, ``value``, ``error``, ``band`` and ``site`` are reserved.
        meta : pandas.DataFrame, default=None
            Per-object metadata indexed by id; rows are matched to the objects
            and ids missing from it are an error.
        value_kind : {"mag", "flux"}, default=None
            What ``value`` holds; by default ``"flux"`` when the column name
            contains "flux", else ``"mag"``.

        Returns
        -------
        LightCurves

        Examples
        --------
        >>> import pandas as pd
        >>> from skastro import LightCurves
        >>> table = pd.DataFrame({"object_id": ["a", "a", "b"], "time": [2.0, 1.0, 5.0],
        ...                       "mag": [15.2, 15.1, 17.0], "mag_err": [0.01, 0.01, 0.05]})
        >>> LightCurves.from_pandas(table)
        LightCurves(2 objects, 3 observations, value_kind='mag')
        """
        if not isinstance(table, pd.DataFrame):
            raise TypeError(f"table must be a pandas DataFrame; got {type(table).__name__}.")
        if len(table) == 0:
            raise ValueError("table has no rows; a LightCurves needs at least one observation.")
        if not table.columns.is_unique:
            dup = table.columns[table.columns.duplicated()].unique().tolist()
            raise ValueError(f"The table's column labels must be unique; {dup} repeat.")
        names = {"time": time, "value": value}
        for role, label in (("error", error), ("band", band), ("site", site)):
            if label is not None:
                names[role] = label
        context = [context] if isinstance(context, str) else list(context or [])
        for name in context:
            if not isinstance(name, str):
                raise TypeError(f"Context column names must be strings; got {name!r}.")
            if name in CORE_COLUMNS + CATEGORICAL_COLUMNS:
                raise ValueError(
                    f"Context column {name!r} has a reserved name; pass label columns as "
                    f"band=/site=, or rename it (reserved: {list(CORE_COLUMNS + CATEGORICAL_COLUMNS)})."
                )
            names[name] = name
        requested = [*([] if id is None else [id]), *names.values()]
        missing = [name for name in requested if name not in table.columns]
        if missing:
            hint = (" (for a single light curve without an id column, pass id=None)"
                    if id is not None and id in missing else "")
            raise KeyError(
                f"Column(s) {missing} not in the table; available columns: "
                f"{list(table.columns)}{hint}."
            )
        if id is None:
            codes, uniques = np.zeros(len(table), dtype=np.int64), pd.Index([0])
        else:
            codes, uniques = pd.factorize(_native(table[id].to_numpy()), sort=False,
                                          use_na_sentinel=True)
        if (codes < 0).any():
            raise ValueError(f"Column {id!r} holds missing object ids.")
        columns = {role: _column_values(table[col], labels=role in CATEGORICAL_COLUMNS)
                   for role, col in names.items()}
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
        ids = pd.Index(uniques, name=id if isinstance(id, str) else "object_id")
        obj_meta = _align_meta(meta, ids)
        if value_kind is None:
            value_kind = "flux" if "flux" in str(value).lower() else "mag"
        return cls(offsets, columns, meta=obj_meta, value_kind=value_kind)

    @classmethod
    def from_arrays(cls, times, values, errors=None, bands=None, ids=None, meta=None, sites=None,
                    context=None, value_kind="mag"):
        """Build from lists of per-object arrays.

        Parameters
        ----------
        times : list of array-like
            One array per object: days, an astropy ``Time`` (converted to MJD)
            or a time ``Quantity`` (converted to days).
        values : list of array-like
            Magnitudes or fluxes, one array per object; astropy Quantities
            keep their unit in ``units["value"]``.
        errors : list of array-like, default=None
            Uncertainties of ``values`` (>= 0; NaN marks a missing one).
            ``None``: no uncertainties, as astropy's ``dy=None``.
        bands, sites : list of array-like of str, default=None
            Per-observation labels, one array per object.
        ids : array-like, default=None
            Object ids (default ``0 .. n - 1``).
        meta : pandas.DataFrame, default=None
            Per-object metadata; if it has as many rows as objects and no ids
            are given, its index supplies them, else rows are matched by id.
        context : dict of str to list of array-like, default=None
            Further per-epoch columns (names other than ``time``, ``value``,
            ``error``, ``band`` and ``site``).
        value_kind : {"mag", "flux"}, default="mag"

        Returns
        -------
        LightCurves

        Examples
        --------
        >>> import numpy as np
        >>> from skastro import LightCurves
        >>> lcs = LightCurves.from_arrays([np.arange(4.0)], [np.ones(4)])  # no errors
        >>> lcs.columns
        ('time', 'value')
        """
        if meta is not None and not isinstance(meta, pd.DataFrame):
            raise TypeError(f"meta must be a pandas DataFrame indexed by object id; got {type(meta).__name__}.")
        per_object = {"time": times, "value": values}
        for role, arrays in (("error", errors), ("band", bands), ("site", sites)):
            if arrays is not None:
                per_object[role] = arrays
        if context is not None and not isinstance(context, dict):
            raise TypeError(f"context must be a dict of name to list of arrays; got {type(context).__name__}.")
        for name, arrays in (context or {}).items():
            if name in CORE_COLUMNS + CATEGORICAL_COLUMNS:
                raise ValueError(
                    f"Context column {name!r} has a reserved name; pass labels as bands=/sites=, "
                    f"or rename it (reserved: {list(CORE_COLUMNS + CATEGORICAL_COLUMNS)})."
                )
            per_object[name] = arrays
        for name, seq in per_object.items():
            if isinstance(seq, (str, bytes)) or not hasattr(seq, "__len__"):
                raise TypeError(
                    f"from_arrays takes one array per object for {name!r} (a list of arrays); "
                    f"got {type(seq).__name__}."
                )
        n = len(times)
        if n == 0:
            raise ValueError("from_arrays needs at least one light curve; got none.")
        if ids is None:
            ids = meta.index if meta is not None and len(meta) == n else pd.RangeIndex(n)
        ids = pd.Index(ids, name=getattr(ids, "name", None) or "object_id")
        if len(ids) != n:
            raise ValueError(f"Got {len(ids)} ids for {n} light curves.")
        arrays, units = {}, {}
        for name, seq in per_object.items():
            if len(seq) != n:
                raise ValueError(f"Got {len(seq)} arrays for {name!r} but {n} for 'time'.")
            if name == "time":
                arrays[name] = [np.atleast_1d(_days(a)) for a in seq]
            else:
                arrays[name], units[name] = _strip_units(seq, name)
        lengths = np.array([a.size for a in arrays["time"]], dtype=np.int64)
        for name, seq in arrays.items():
            for i, (a, length) in enumerate(zip(seq, lengths)):
                if a.ndim != 1 or a.size != length:
                    raise ValueError(
                        f"Object {_plain(ids[i])!r}: {name!r} has shape {a.shape} but 'time' has "
                        f"{length} values."
                    )
        empty = np.flatnonzero(lengths == 0)
        if empty.size:
            raise ValueError(f"Light curve of object {_plain(ids[empty[0]])!r} is empty.")
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        columns = {name: np.concatenate(seq) for name, seq in arrays.items()}
        return cls(offsets, columns, meta=_align_meta(meta, ids), value_kind=value_kind,
                   units=units)

    @classmethod
    def from_table(cls, table, id="object_id", time="time", value="mag", error="mag_err",
                   band=None, site=None, context=None, meta=None, value_kind=None):
        """Build from a long astropy ``Table``, ``QTable`` or ``TimeSeries``.

        Same keywords as :meth:`from_pandas`. A ``Time`` column becomes MJD
        and a time column with a unit becomes days; units of the other
        columns (e.g. flux in mJy) are kept in ``units`` and written back by
        :meth:`to_table`. FITS tables work as read (big-endian numbers, byte
        string labels). A ``TimeSeries`` without an ``id`` column is one light
        curve, as is any table with ``id=None``.

        Parameters
        ----------
        table : astropy.table.Table, QTable or TimeSeries
            The observations, one row per observation. Not modified.
        id, time, value, error : column name, default="object_id", "time", "mag", "mag_err"
            Names of the object-id, time, magnitude-or-flux and uncertainty
            columns, as in :meth:`from_pandas` (``id=None``: one light curve;
            ``error=None``: no uncertainties). ``time`` may be a ``Time``
            column or a column with a time unit.
        band, site, context, meta, value_kind : default=None
            As in :meth:`from_pandas`: passband and site column names,
            further per-epoch columns to keep, per-object metadata (a
            DataFrame indexed by id), and ``"mag"`` or ``"flux"`` (by default
            guessed from the ``value`` column name).

        Returns
        -------
        LightCurves

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.time import Time
        >>> from astropy.timeseries import TimeSeries
        >>> from skastro import LightCurves
        >>> ts = TimeSeries(time=Time([59000.0, 59001.5, 59003.0], format="mjd"),
        ...                 data={"flux": [1.0, 1.2, 0.9] * u.mJy, "flux_err": [0.1] * 3 * u.mJy})
        >>> lcs = LightCurves.from_table(ts, value="flux", error="flux_err")
        >>> len(lcs), lcs.value_kind, lcs.units["value"]
        (1, 'flux', 'mJy')
        """
        from astropy.table import Table
        from astropy.timeseries import TimeSeries
        import astropy.units as u

        if not isinstance(table, Table):
            raise TypeError(f"table must be an astropy Table; got {type(table).__name__}.")
        if time not in table.colnames:
            raise KeyError(f"Column {time!r} not in the table; available columns: {table.colnames}.")
        if isinstance(table, TimeSeries) and id is not None and id not in table.colnames:
            id = None  # a TimeSeries is usually one object's light curve
        frame = pd.DataFrame(
            {name: _unmasked(table[name], name) for name in table.colnames if name != time}
        )
        times = table[time]
        if getattr(times, "unit", None) is not None and not isinstance(times, u.Quantity):
            times = u.Quantity(times)
        frame[time] = _native(_days(times))
        # Label order written by to_table (e.g. bands by wavelength) survives the round trip.
        for role, col in (("band", band), ("site", site)):
            labels = table.meta.get("categories", {}).get(role)
            if col is not None and col in frame and labels is not None:
                frame[col] = pd.Categorical(frame[col], categories=labels)
        if value_kind is None:
            value_kind = table.meta.get("value_kind")
        lcs = cls.from_pandas(frame, id=id, time=time, value=value, error=error, band=band,
                              site=site, context=context, meta=meta, value_kind=value_kind)
        roles = {"value": value, "error": error, **{name: name for name in lcs.context_columns}}
        implied = "mag" if lcs.value_kind == "mag" else None  # what to_table writes anyway
        units = {role: getattr(table[col], "unit", None) for role, col in roles.items()
                 if col is not None}
        units = {role: unit for role, unit in units.items()
                 if not (role in ("value", "error") and unit is not None and str(unit) == implied)}
        lcs._units = _check_units(units, lcs._columns)
        return lcs

    # ------------------------------------------------------------- exporters
    def to_pandas(self, with_meta=False):
        """The long table: one row per observation.

        Columns: the id (named as ``meta.index``), ``time``, ``value``,
        ``error``, then ``band``/``site`` labels and context columns; with
        ``with_meta=True`` the per-object metadata is repeated on each row.

        Parameters
        ----------
        with_meta : bool, default=False
            Add the columns of ``meta``, repeated on each of the object's rows.

        Returns
        -------
        pandas.DataFrame
            One row per observation; ``band``/``site`` are categorical.
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
        """The long table as an astropy ``Table`` with units: time in days,
        value and error in the unit they were read with (see ``units``), else
        mag when ``value_kind == "mag"``; ``meta`` goes to ``table.meta['objects']``."""
        from astropy.table import Table

        table = Table.from_pandas(self.to_pandas())
        units = {"time": "d"}
        if self.value_kind == "mag":
            units.update(value="mag", error="mag")
        units.update(self._units)
        for name, unit in units.items():
            if name in table.colnames:
                table[name].unit = unit
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
        elif (not isinstance(max_length, numbers.Integral) or isinstance(max_length, bool)
              or max_length < 1):
            raise ValueError(f"max_length must be a positive integer or None; got {max_length!r}.")
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
        list columns (Arrow's layout), metadata columns as plain columns.

        Object ids must share one type (all str or all int, ...), and no
        metadata column may be named like the id or a per-epoch column.

        Parameters
        ----------
        path : str or path-like
            The file to write (overwritten if it exists); read it back with
            :meth:`read_parquet`.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        id_name = self.ids.name or "object_id"
        meta_names = list(map(str, self._meta.columns))
        clash = sorted((set(self.columns) | {id_name}) & set(meta_names) | {id_name} & set(self.columns))
        if clash:
            raise ValueError(
                f"Column name(s) {clash} are used twice among the object id ({id_name!r}), "
                "the per-epoch and the metadata columns; rename one before writing Parquet."
            )
        try:
            ids = pa.array(self.ids.to_numpy())
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            kinds = sorted({type(i).__name__ for i in self.ids})
            raise TypeError(
                f"Object ids must share one type to be written to Parquet; got {kinds} "
                f"(e.g. {list(self.ids[:3])}). Convert them, e.g. lcs.ids.astype(str)."
            ) from exc
        offsets = pa.array(self._offsets.astype(np.int32) if self.n_observations < 2**31 else self._offsets)
        list_type = pa.ListArray if offsets.type == pa.int32() else pa.LargeListArray
        arrays = {id_name: ids}
        for name in self.columns:
            if name in self._categories:  # dictionary-encoded: read back without hashing labels
                codes = self._columns[name]
                flat = pa.DictionaryArray.from_arrays(
                    pa.array(codes, mask=codes < 0), pa.array(list(self._categories[name])))
            else:
                flat = pa.array(self.column(name))
            arrays[name] = list_type.from_arrays(offsets, flat)
        for name in self._meta.columns:
            try:
                arrays[str(name)] = pa.Table.from_pandas(
                    self._meta[[name]], preserve_index=False).column(0)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise TypeError(f"Meta column {name!r} cannot be written to Parquet: {exc}") from exc
        info = {
            "version": _PARQUET_VERSION,
            "value_kind": self.value_kind,
            "id": id_name,
            "epoch_columns": list(self.columns),
            "meta_columns": meta_names,
            "categories": {name: list(labels) for name, labels in self._categories.items()},
            "units": self._units,
        }
        table = pa.table(arrays)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _PARQUET_KEY: json.dumps(info).encode()}
        )
        pq.write_table(table, path)

    @classmethod
    def read_parquet(cls, path, **columns):
        """Read a Parquet file: one written by :meth:`to_parquet`, or a plain
        long table (one row per observation).

        Parameters
        ----------
        path : str or path-like
            The Parquet file to read.
        **columns
            For a long table only: the keywords of :meth:`from_pandas`
            (``id``, ``time``, ``value``, ``error``, ``band``, ``site``,
            ``context``, ``meta``, ``value_kind``).

        Returns
        -------
        LightCurves

        Raises
        ------
        ValueError
            When the file is not Parquet, is truncated or corrupted, or holds
            skastro metadata that is damaged or of another version; the
            message names the file and the problem.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import pandas as pd
        >>> from skastro import LightCurves
        >>> folder = tempfile.mkdtemp()
        >>> lcs = LightCurves.from_arrays([np.arange(3.0)], [np.ones(3)], [np.full(3, 0.1)])
        >>> lcs.to_parquet(os.path.join(folder, "lcs.parquet"))
        >>> LightCurves.read_parquet(os.path.join(folder, "lcs.parquet")).equals(lcs)
        True
        >>> long = pd.DataFrame({"star": ["a", "a", "b"], "mjd": [1.0, 2.0, 1.5],
        ...                      "flux": [3.0, 3.2, 9.0], "flux_err": [0.1, 0.1, 0.2]})
        >>> long.to_parquet(os.path.join(folder, "long.parquet"))
        >>> LightCurves.read_parquet(os.path.join(folder, "long.parquet"), id="star", time="mjd",
        ...                          value="flux", error="flux_err")
        LightCurves(2 objects, 3 observations, value_kind='flux')
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except FileNotFoundError:
            raise
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(
                f"{path} is not a readable Parquet file (truncated, corrupted or another "
                f"format): {exc}"
            ) from exc
        raw = (table.schema.metadata or {}).get(_PARQUET_KEY)
        if raw is None:
            try:
                return cls.from_pandas(table.to_pandas(), **columns)
            except KeyError as exc:
                raise ValueError(
                    f"{path} was not written by LightCurves.to_parquet (no skastro metadata), so "
                    "it is read as a long table, one row per observation, with the column "
                    f"keywords of LightCurves.from_pandas: {exc.args[0]}"
                ) from exc
        if columns:
            raise TypeError(
                f"{path} was written by LightCurves.to_parquet; the column keywords "
                f"{sorted(columns)} apply to long tables only."
            )
        try:
            return cls._from_arrow(table, raw)
        except (KeyError, TypeError, ValueError, IndexError, pa.ArrowException) as exc:
            raise ValueError(f"{path} holds damaged skastro data: {exc}") from exc

    @classmethod
    def _from_arrow(cls, table, raw):
        """The container in an Arrow table written by :meth:`to_parquet`."""
        import pyarrow as pa

        info = json.loads(raw)
        if not isinstance(info, dict):
            raise ValueError("its skastro metadata is not a JSON object.")
        if info.get("version") != _PARQUET_VERSION:
            raise ValueError(
                f"skastro Parquet version {info.get('version')!r}; this skastro reads version "
                f"{_PARQUET_VERSION}."
            )
        names = {key: info.get(key) for key in ("epoch_columns", "meta_columns")}
        for key, value in names.items():
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"metadata entry {key!r} must be a list of column names; got {value!r}.")
        shared = set(names["epoch_columns"]) & set(names["meta_columns"]) | (
            {info.get("id")} & set(names["epoch_columns"] + names["meta_columns"]))
        if shared:
            raise ValueError(f"its metadata names column(s) {sorted(map(str, shared))} twice.")
        absent = [name for name in [info.get("id"), *names["epoch_columns"], *names["meta_columns"]]
                  if name not in table.column_names]
        if absent:
            raise ValueError(f"column(s) {absent} named in its metadata are missing from the file.")
        columns, offsets = {}, None
        for name in names["epoch_columns"]:
            lists = table[name].combine_chunks()
            if not pa.types.is_list(lists.type) and not pa.types.is_large_list(lists.type):
                raise ValueError(f"per-epoch column {name!r} is not a list column ({lists.type}).")
            if lists.null_count:
                raise ValueError(f"per-epoch column {name!r} holds {lists.null_count} null list(s).")
            own = np.asarray(lists.offsets, dtype=np.int64)
            own = own - own[0]
            if offsets is None:
                offsets, first = own, name
            elif not np.array_equal(own, offsets):
                obj = int(np.flatnonzero(np.diff(own) != np.diff(offsets))[0])
                raise ValueError(
                    f"the list lengths of column {name!r} disagree with those of {first!r} "
                    f"(first at object {table[info['id']][obj].as_py()!r})."
                )
            values = lists.flatten()
            if name in CATEGORICAL_COLUMNS:
                columns[name] = _categorical_from_arrow(values, list(info["categories"][name]), name)
            else:
                columns[name] = values.to_numpy(zero_copy_only=False)
        meta = table.select(names["meta_columns"]).to_pandas()
        meta.index = pd.Index(table[info["id"]].to_numpy(zero_copy_only=False), name=info["id"])
        return cls(offsets, columns, meta=meta, value_kind=info.get("value_kind"),
                   units=info.get("units"))


def _categorical_from_arrow(values, labels, name):
    """A label column read from Arrow as a pandas Categorical of ``labels``.

    Labels are matched through Arrow's dictionary (Arrow hashes them when the file
    holds plain strings), so no Python string is made per observation: at survey
    scale this is most of the time spent reading a partition.
    """
    import pyarrow as pa

    if not pa.types.is_dictionary(values.type):
        values = values.dictionary_encode()
    dictionary = values.dictionary.to_pylist()
    unknown = [label for label in dictionary if label not in labels]
    if unknown:
        raise ValueError(
            f"label column {name!r} holds {sorted(map(str, unknown))}, which its "
            f"categories {labels} lack."
        )
    position = np.array([labels.index(label) for label in dictionary] + [-1], dtype=np.int64)
    indices = values.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(position[indices], categories=labels)


def _encode(labels, name):
    """Integer codes and label tuple of a label column.

    Labels are compared as text (``1`` and ``"1"`` are one band; bytes are
    decoded) and sorted, unless ``labels`` is a pandas Categorical: then its
    category order is kept (e.g. passbands in wavelength order).
    """
    if isinstance(labels, pd.Categorical):
        codes, uniques = labels.codes, labels.categories
    else:
        try:
            codes, uniques = pd.factorize(labels, sort=True)
        except TypeError:  # labels of mixed types do not sort; sort their text below
            codes, uniques = pd.factorize(labels, sort=False)
    if (codes < 0).any():
        raise ValueError(f"Label column {name!r} holds missing values.")
    text = [_label_text(label) for label in uniques]
    if isinstance(labels, pd.Categorical):
        if len(set(text)) < len(text):
            raise ValueError(
                f"Label column {name!r} has categories that are the same as text: {list(uniques)}."
            )
        merged, final = np.arange(len(text)), text
    else:
        final = sorted(set(text)) if len(set(map(type, uniques))) > 1 else list(dict.fromkeys(text))
        position = {label: k for k, label in enumerate(final)}
        merged = np.array([position[label] for label in text], dtype=np.int64)
    if len(final) > np.iinfo(np.int16).max:
        raise ValueError(f"Label column {name!r} has {len(final)} distinct labels; at most 32767.")
    return np.asarray(merged[codes], dtype=np.int16), tuple(final)


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


def _prepare_column(name, column, n_obs):
    """A validated flat column and, for a label column, its labels (else None)."""
    if not isinstance(name, str):
        raise TypeError(f"Column names must be strings; got {name!r}.")
    if name in CATEGORICAL_COLUMNS and isinstance(column, (pd.Categorical, pd.Series)):
        column = pd.Categorical(column)  # keeps a given category order
    else:
        column = _native(column)
    if column.ndim != 1 or column.shape[0] != n_obs:
        raise ValueError(
            f"Column {name!r} has shape {column.shape}; expected ({n_obs},), "
            "one value per observation."
        )
    if name in CATEGORICAL_COLUMNS:
        return _encode(column, name)
    if column.dtype.kind not in "biuf" or (name in CORE_COLUMNS and column.dtype.kind == "b"):
        role = "Core column" if name in CORE_COLUMNS else "Context column"
        raise TypeError(
            f"{role} {name!r} must be numeric; got dtype {column.dtype}. "
            f"Only {list(CATEGORICAL_COLUMNS)} may hold labels."
        )
    if name == "time":
        column = column.astype(np.float64)
    return column, None


def _plain(value):
    """A numpy scalar as the Python one, so messages print ``5``, not ``np.int64(5)``."""
    return value.item() if isinstance(value, np.generic) else value


def _object_of(offsets, ids, flat_index):
    """The id of the object holding flat observation ``flat_index``."""
    return _plain(ids[int(np.searchsorted(offsets, flat_index, side="right")) - 1])


def _check_values(flat, offsets, ids):
    """Values no container may hold: non-finite times and negative uncertainties."""
    if "time" in flat:
        bad = ~np.isfinite(flat["time"])
        if bad.any():
            first = np.flatnonzero(bad)[0]
            raise ValueError(
                f"Column 'time' of object {_object_of(offsets, ids, first)!r} holds NaN or inf "
                f"({int(bad.sum())} non-finite time(s) in all); times must be finite."
            )
    if "error" in flat:
        bad = flat["error"] < 0
        if bad.any():
            first = np.flatnonzero(bad)[0]
            raise ValueError(
                f"Column 'error' of object {_object_of(offsets, ids, first)!r} holds a negative "
                f"uncertainty ({_plain(flat['error'][first])!r}; {int(bad.sum())} negative in all); "
                "uncertainties must be >= 0 (NaN marks a missing one)."
            )


def _native(array):
    """An ndarray in native byte order, byte strings decoded to str.

    FITS tables give big-endian numbers and byte-string labels, which pandas
    cannot factorize and which would otherwise print as ``"b'g'"``.
    """
    array = np.asarray(array)
    if array.dtype.kind == "S":
        return np.char.decode(array, "utf-8", "replace")
    if not array.dtype.isnative:
        return array.astype(array.dtype.newbyteorder("="))
    return array


def _column_values(series, labels=False):
    """A pandas column as an array: Categoricals kept, nullable numbers (not
    labels) as float with NaN, native byte order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.array
    if (not labels and pd.api.types.is_extension_array_dtype(series.dtype)
            and pd.api.types.is_numeric_dtype(series.dtype)):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    return _native(series.to_numpy())


def _is_astropy(obj):
    return type(obj).__module__.startswith("astropy")


def _days(times):
    """Times in days: an astropy ``Time`` becomes MJD, a time ``Quantity`` days."""
    if _is_astropy(times):
        from astropy.time import Time
        import astropy.units as u

        if isinstance(times, Time):
            return np.asarray(times.mjd, dtype=np.float64)
        if isinstance(times, u.Quantity):
            if not times.unit.is_equivalent(u.day):
                raise ValueError(f"Time column has unit {times.unit}; expected a unit of time.")
            return np.asarray(times.to_value(u.day), dtype=np.float64)
    return np.asarray(times)


def _strip_units(seq, name):
    """Per-object arrays without astropy units (converted to the first one's), and that unit."""
    unit = next((a.unit for a in seq if _is_astropy(a) and hasattr(a, "unit")), None)
    if unit is None:
        return [np.atleast_1d(np.asarray(a)) for a in seq], None
    import astropy.units as u

    out = []
    for a in seq:
        try:
            out.append(np.atleast_1d(u.Quantity(a).to_value(unit)))
        except u.UnitsError as exc:
            raise ValueError(f"Column {name!r}: units disagree between objects ({exc}).") from exc
    return out, str(unit)


def _unmasked(column, name):
    """An astropy column as a native array; masked floats become NaN (masked others: error)."""
    mask = np.asarray(getattr(column, "mask", False))
    if mask.any():
        if np.asarray(column).dtype.kind != "f":
            raise ValueError(
                f"Column {name!r} has {int(mask.sum())} masked (missing) entries; fill or drop "
                "those rows first (only float columns are read with NaN for masked entries)."
            )
        column = column.filled(np.nan)
    return _native(column)


def _label_text(label):
    if isinstance(label, (bytes, np.bytes_)):
        return label.decode("utf-8", "replace")
    return str(label)


def _check_units(units, columns):
    if units is None:
        return {}
    if not isinstance(units, dict):
        raise TypeError(f"units must be a dict of column name to unit string; got {type(units).__name__}.")
    unknown = [name for name in units if name not in columns]
    if unknown:
        raise ValueError(f"units names column(s) {unknown} that the light curves lack.")
    return {name: str(unit) for name, unit in units.items() if unit is not None and str(unit)}

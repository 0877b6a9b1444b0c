"""Partitioned light-curve data: a directory of Parquet files, one per partition.

Each partition is an ordinary file written by :meth:`LightCurves.to_parquet`
(one row per object, per-epoch columns as list columns), so an object is never
split across partitions and any one partition can be read alone.
"""

from pathlib import Path

from ._lightcurves import LightCurves

__all__ = ["write_partitions", "partition_paths", "iter_partitions", "read_partitions"]

_PATTERN = "part-{:05d}.parquet"
_GLOB = "part-*.parquet"


def write_partitions(lcs, path, *, partition_size=10_000, overwrite=False):
    """Write light curves to a directory of Parquet partitions.

    Parameters
    ----------
    lcs : LightCurves or iterable of LightCurves
        A ``LightCurves`` is cut into partitions of ``partition_size``
        objects (an object is never split). An iterable (e.g. a generator
        that simulates or reads one chunk at a time) gives one partition per
        item, so a set larger than memory can be written; its object ids must
        be unique across items (not checked here).
    path : str or Path
        The directory; created if needed. Partitions are named
        ``part-00000.parquet``, ``part-00001.parquet``, ...
    partition_size : int, default=10_000
        Objects per partition when ``lcs`` is a ``LightCurves``.
    overwrite : bool, default=False
        Replace the partitions already in ``path``; otherwise a directory
        that holds partitions is an error.

    Returns
    -------
    list of Path
        The partition files, in order.

    See Also
    --------
    read_partitions, iter_partitions, skastro.dask.read_partitions

    Examples
    --------
    >>> import tempfile
    >>> from skastro import write_partitions, read_partitions
    >>> from skastro.datasets import make_periodic_variables
    >>> lcs = make_periodic_variables(25, n_epochs=(30, 60), random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> [p.name for p in write_partitions(lcs, folder, partition_size=10)]
    ['part-00000.parquet', 'part-00001.parquet', 'part-00002.parquet']
    >>> read_partitions(folder).equals(lcs)
    True
    """
    if isinstance(lcs, LightCurves):
        if isinstance(partition_size, bool) or not isinstance(partition_size, int) \
                or partition_size < 1:
            raise ValueError(f"partition_size must be a positive int; got {partition_size!r}.")
        parts = (lcs[lo:lo + partition_size] for lo in range(0, len(lcs), partition_size))
    else:
        parts = lcs
    path = _prepare_directory(path, overwrite)
    written = []
    for i, part in enumerate(parts):
        if not isinstance(part, LightCurves):
            raise TypeError(f"partition {i} is a {type(part).__name__}; expected LightCurves.")
        file = path / _PATTERN.format(i)
        part.to_parquet(file)
        written.append(file)
    if not written:
        raise ValueError("write_partitions got no light curves to write.")
    return written


def _prepare_directory(path, overwrite, name="path"):
    """Create the directory ``path`` for partitions; remove old ones if ``overwrite``."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{name} {str(path)!r} exists and is not a directory.")
    path.mkdir(parents=True, exist_ok=True)
    old = sorted(path.glob(_GLOB))
    if old and not overwrite:
        raise ValueError(
            f"{name} {str(path)!r} already holds {len(old)} partition(s); pass "
            "overwrite=True to replace them."
        )
    for file in old:
        file.unlink()
    return path


def partition_paths(path):
    """The partition files of a directory written by :func:`write_partitions`.

    Parameters
    ----------
    path : str or Path
        The directory.

    Returns
    -------
    list of Path
        Sorted partition files (at least one).

    Examples
    --------
    >>> import tempfile
    >>> from skastro import write_partitions, partition_paths
    >>> from skastro.datasets import make_periodic_variables
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_partitions(make_periodic_variables(6, random_state=0), folder, partition_size=4)
    >>> [p.name for p in partition_paths(folder)]
    ['part-00000.parquet', 'part-00001.parquet']
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(
            f"path {str(path)!r} is not a directory of light-curve partitions "
            f"({'not found' if not path.exists() else 'it is a file'})."
        )
    files = sorted(path.glob(_GLOB))
    if not files:
        raise ValueError(f"path {str(path)!r} holds no partition files ({_GLOB}).")
    return files


def iter_partitions(path):
    """Yield the partitions of a directory one at a time, as ``LightCurves``.

    Only one partition is in memory at a time, so this walks a set larger
    than memory.

    Parameters
    ----------
    path : str or Path
        A directory written by :func:`write_partitions`.

    Yields
    ------
    LightCurves

    Examples
    --------
    >>> import tempfile
    >>> from skastro import write_partitions, iter_partitions
    >>> from skastro.datasets import make_periodic_variables
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_partitions(make_periodic_variables(7, random_state=0), folder, partition_size=3)
    >>> [len(part) for part in iter_partitions(folder)]
    [3, 3, 1]
    """
    for file in partition_paths(path):
        yield LightCurves.read_parquet(file)


def read_partitions(path):
    """Read a whole partitioned directory into one ``LightCurves``.

    Parameters
    ----------
    path : str or Path
        A directory written by :func:`write_partitions`.

    Returns
    -------
    LightCurves
        The partitions joined in order (:meth:`LightCurves.concat`).

    Examples
    --------
    >>> import tempfile
    >>> from skastro import write_partitions, read_partitions
    >>> from skastro.datasets import make_periodic_variables
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_partitions(make_periodic_variables(5, random_state=0), folder, partition_size=2)
    >>> len(read_partitions(folder))
    5
    """
    return LightCurves.concat(iter_partitions(path))

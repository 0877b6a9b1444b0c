"""Dask collections of light curves and distributed inference and fitting.

A collection is a :class:`dask.bag.Bag` whose elements are ``LightCurves``,
one element per partition (see the "Scaling out" user guide for why a bag
and not a Dask DataFrame). Functions here run on the scheduler Dask is set up
to use: a ``dask.distributed`` client if one is active, else Dask's default
for bags (a local process pool, which sends every task its inputs: prefer a
``distributed.LocalCluster`` for large models);
``dask.config.set(scheduler="synchronous")`` runs everything in this process.

Needs the ``dask`` extra: ``pip install "skastro[dask]"``.
"""

import contextlib
import copy
import functools
import sys
from pathlib import Path

import dask
import dask.bag as db
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from skastro._lightcurves import LightCurves
from skastro._partitioned import _PATTERN, _prepare_directory, partition_paths

__all__ = ["read_partitions", "from_lightcurves", "map_estimator", "partial_fit_merge",
           "METHODS", "WORKER_CONFIG"]

#: Estimator methods :func:`map_estimator` applies.
METHODS = ("transform", "predict", "predict_proba", "score_samples", "decision_function")

#: Dask settings for the worker processes of a cluster that runs skastro; set them
#: (``dask.config.set(WORKER_CONFIG)``) before the cluster starts:
#:
#: - a single-threaded worker runs numba (the dm-dt kernels) on one thread too, as
#:   Dask already sets for OpenMP and BLAS. In the worker's environment, not Dask's
#:   ``pre-spawn-environ``: the nanny copies that into the process that starts the
#:   cluster, where numba, had it launched its threads already, would refuse to
#:   compile again (RuntimeError); numba reads the variable when it compiles, after
#:   the worker has set it.
#: - Dask's ``MALLOC_TRIM_THRESHOLD_`` is removed: it turns off glibc's adaptive mmap
#:   threshold, so every large numpy temporary is mapped afresh and faulted in page by
#:   page, which made ``PeriodFolder`` 2.2 times slower in a worker (and in any
#:   process pool the client started after the cluster, which inherits it); the
#:   "Scaling out" guide has the figures and the memory it costs.
WORKER_CONFIG = {"distributed.nanny.environ.NUMBA_NUM_THREADS": 1,
                 "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def read_partitions(path):
    """A lazy collection over a directory written by :func:`skastro.write_partitions`.

    Nothing is read until the collection is computed; each task reads one
    partition file (on the worker, so the directory must be visible to the
    workers: a shared or network file system).

    Parameters
    ----------
    path : str or Path
        The partitioned directory.

    Returns
    -------
    dask.bag.Bag
        One partition per file; each partition's single element is the
        ``LightCurves`` of that file.

    Examples
    --------
    >>> import tempfile
    >>> import dask
    >>> import skastro.dask
    >>> from skastro import write_partitions
    >>> from skastro.datasets import make_periodic_variables
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_partitions(make_periodic_variables(9, random_state=0), folder, partition_size=4)
    >>> bag = skastro.dask.read_partitions(folder)
    >>> bag.npartitions
    3
    >>> with dask.config.set(scheduler="synchronous"):
    ...     bag.map(len).compute()
    [4, 4, 1]
    """
    files = [str(file) for file in partition_paths(path)]
    bag = db.from_sequence(files, npartitions=len(files)).map(LightCurves.read_parquet)
    bag._skastro_partition_files = files  # so partial_fit_merge can read inside its tasks
    return bag


def from_lightcurves(lcs, partition_size=10_000):
    """A collection over an in-memory ``LightCurves``, cut into partitions.

    The data travel inside the task graph: fine for tests and moderate sets;
    for large sets write a partitioned directory and use
    :func:`read_partitions`.

    Parameters
    ----------
    lcs : LightCurves
    partition_size : int, default=10_000
        Objects per partition (an object is never split).

    Returns
    -------
    dask.bag.Bag
        One ``LightCurves`` element per partition.

    Examples
    --------
    >>> import skastro.dask
    >>> from skastro.datasets import make_periodic_variables
    >>> bag = skastro.dask.from_lightcurves(make_periodic_variables(10, random_state=0),
    ...                                     partition_size=4)
    >>> bag.npartitions
    3
    """
    if not isinstance(lcs, LightCurves):
        raise TypeError(f"lcs must be a LightCurves; got {type(lcs).__name__}.")
    if isinstance(partition_size, bool) or not isinstance(partition_size, int) \
            or partition_size < 1:
        raise ValueError(f"partition_size must be a positive int; got {partition_size!r}.")
    parts = [lcs[lo:lo + partition_size] for lo in range(0, len(lcs), partition_size)]
    return db.from_sequence(parts, npartitions=len(parts))


def _as_bag(collection):
    if isinstance(collection, db.Bag):
        return collection
    if isinstance(collection, (str, Path)):
        return read_partitions(collection)
    raise TypeError(
        "collection must be a dask.bag.Bag of LightCurves (skastro.dask.read_partitions / "
        f"from_lightcurves) or a partitioned directory; got {type(collection).__name__}."
    )


def _client(collection):
    """The distributed client that will compute ``collection``, or None."""
    scheduler = dask.base.get_scheduler(collections=[collection])
    client = getattr(scheduler, "__self__", None)
    return client if callable(getattr(client, "scatter", None)) else None


def _compute(collection, verbose):
    """``collection.compute()``, with Dask's progress bar on stderr when ``verbose``.

    On a distributed client, ``distributed.progress`` (which draws on stdout,
    hence the redirection: commands write their data there); on a local
    scheduler, ``dask.diagnostics.ProgressBar``.
    """
    if not verbose:
        return collection.compute()
    client = _client(collection)
    if client is None:
        from dask.diagnostics import ProgressBar

        with ProgressBar(out=sys.stderr):
            return collection.compute()
    from distributed import progress

    future = client.compute(collection)
    with contextlib.redirect_stdout(sys.stderr):
        progress(future, notebook=False)  # blocks until done
    return future.result()


def _ship(estimator, bag):
    """One graph node holding ``estimator``: scattered to every worker when the
    scheduler that will compute ``bag`` is a distributed client, else a single
    pure ``dask.delayed``."""
    client = _client(bag)
    if client is not None:
        return client.scatter(estimator, broadcast=True, hash=False)
    return dask.delayed(estimator, pure=True)


def _column_names(estimator, method, n_columns):
    if method == "predict_proba" and hasattr(estimator, "classes_"):
        return [f"proba_{c}" for c in estimator.classes_]
    if method == "transform" and hasattr(estimator, "get_feature_names_out"):
        try:
            names = list(estimator.get_feature_names_out())
        except (AttributeError, TypeError, ValueError):  # names that need input features
            names = []
        if len(names) == n_columns:
            return [str(n) for n in names]
    return [method] if n_columns == 1 else [f"{method}_{j}" for j in range(n_columns)]


def _as_frame(result, lcs, estimator, method):
    """A per-object table of an estimator's output, indexed by object id."""
    if isinstance(result, pd.DataFrame):
        frame = result.set_axis(lcs.ids, axis=0)
    else:
        values = np.asarray(result)
        if values.ndim == 1:
            values = values[:, None]
        frame = pd.DataFrame(values, index=lcs.ids,
                             columns=_column_names(estimator, method, values.shape[1]))
    frame.index.name = lcs.ids.name or "object_id"
    return frame


def _release_arrow_memory():
    """Give the memory Arrow's pool keeps after a Parquet read or write back to the OS.

    Arrow's default pool (mimalloc) keeps freed blocks for reuse, so a worker
    held the buffers of its last partitions between tasks; returning them once
    per partition lowered the workers' peaks by 80-100 MB (of ~0.9 GB) at a cost
    too small to measure ("Scaling out" guide). It only returns memory that no
    live array uses.
    """
    import pyarrow

    pyarrow.default_memory_pool().release_unused()


def _apply(lcs, estimator, method, file=None):
    result = getattr(estimator, method)(lcs)
    if file is None:
        return result
    if isinstance(result, LightCurves):
        result.to_parquet(file)
    else:
        _as_frame(result, lcs, estimator, method).to_parquet(file)
    _release_arrow_memory()
    return file


def _read_apply(item, estimator, method):
    """:func:`_apply` on a partition file read here; ``item`` is its path, or a pair
    (path, output file)."""
    path, file = (item, None) if isinstance(item, str) else item
    result = _apply(LightCurves.read_parquet(path), estimator, method, file)
    _release_arrow_memory()
    return result


def _concat(parts):
    if all(isinstance(p, LightCurves) for p in parts):
        return LightCurves.concat(parts)
    if all(isinstance(p, pd.DataFrame) for p in parts):
        return pd.concat(parts)
    return np.concatenate([np.asarray(p) for p in parts], axis=0)


def map_estimator(estimator, collection, method="transform", *, output=None, overwrite=False,
                  compute=True, verbose=0):
    """Apply a fitted estimator partition by partition (distributed inference).

    The estimator is put in the graph once: scattered to the workers of the
    active ``dask.distributed`` client, or one ``dask.delayed`` node without
    one; every partition's task refers to that single key.

    Parameters
    ----------
    estimator : fitted estimator
        Any fitted skastro (or scikit-learn) estimator taking ``LightCurves``.
    collection : dask.bag.Bag or str or Path
        A collection from :func:`read_partitions` / :func:`from_lightcurves`,
        or a partitioned directory.
    method : {"transform", "predict", "predict_proba", "score_samples", \
"decision_function"}, default="transform"
    output : str or Path, default=None
        Write each partition's result to ``output/part-NNNNN.parquet``: a
        ``LightCurves`` result (e.g. ``PeriodFolder.transform``) as a
        partitioned light-curve directory (:func:`skastro.read_partitions`),
        an array as a table indexed by object id (``pandas.read_parquet(output)``
        reads all of it). Written by the workers, so ``output`` must be on a
        file system they share with you.
    overwrite : bool, default=False
        Replace partitions already in ``output``.
    compute : bool, default=True
        False: return the lazy ``dask.bag.Bag`` of per-partition results
        (or written paths) instead, to compute on the scheduler active now.
    verbose : int, default=0
        > 0: Dask's progress bar on stderr while computing
        (``distributed.progress`` on a distributed client,
        ``dask.diagnostics.ProgressBar`` otherwise).

    Returns
    -------
    LightCurves or ndarray or list of Path or dask.bag.Bag
        Without ``output``: the partition results joined in order, identical
        to ``getattr(estimator, method)`` on each partition; with ``output``:
        the written files.

    Examples
    --------
    >>> import dask
    >>> import numpy as np
    >>> import skastro.dask
    >>> from skastro.datasets import make_transients
    >>> from skastro.novelty import DmDtNoveltyDetector
    >>> lcs = make_transients(n_variables=60, n_transients=2, n_epochs=20, random_state=0)
    >>> det = DmDtNoveltyDetector().fit(lcs)
    >>> bag = skastro.dask.from_lightcurves(lcs, partition_size=25)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     scores = skastro.dask.map_estimator(det, bag, "score_samples")
    >>> np.array_equal(scores, det.score_samples(lcs))
    True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    if not callable(getattr(estimator, method, None)):
        raise ValueError(f"{type(estimator).__name__} has no method {method!r}.")
    check_is_fitted(estimator)
    bag = _as_bag(collection)
    shipped = _ship(estimator, bag)
    if output is not None:
        output = _prepare_directory(output, overwrite, name="output")
        files = [str(output / _PATTERN.format(i)) for i in range(bag.npartitions)]
    inputs = getattr(bag, "_skastro_partition_files", None)
    if inputs is not None:
        # one task a partition that reads, applies and writes: as a task of its own, the
        # read would be computed whenever Dask likes (ahead, on another worker)
        items = inputs if output is None else list(zip(inputs, files))
        results = db.from_sequence(items, npartitions=len(items)).map(_read_apply, shipped,
                                                                      method)
    elif output is None:
        results = bag.map(_apply, shipped, method)
    else:
        results = bag.map(_apply, shipped, method, db.from_sequence(files, npartitions=len(files)))
    if not compute:
        return results
    parts = _compute(results, verbose)
    return [Path(p) for p in parts] if output is not None else _concat(parts)


def _fit_step(state, template, partition):
    """One link of a fitting chain: ``partial_fit`` on the light curves of a partition.

    ``partition`` is a bag partition (a list or an iterator of ``LightCurves``)
    or the path of a partition file, read here. ``state`` is the previous
    link's estimator (None at the start of the chain, or while the chain has
    seen no light curves); it is copied, not changed: Dask may still hold a
    task's inputs, or run the task again.
    """
    read_here = isinstance(partition, str)
    if read_here:
        partition = [LightCurves.read_parquet(partition)]
    estimator = None
    for lcs in partition:  # a bag partition: a list, or an iterator
        if estimator is None:
            estimator = clone(template) if state is None else copy.deepcopy(state)
        estimator.partial_fit(lcs)
    if read_here:
        del partition, lcs
        _release_arrow_memory()
    return state if estimator is None else estimator


def _merge_chains(states):
    fitted = [state for state in states if state is not None]
    if not fitted:
        raise ValueError("partial_fit_merge: the collection holds no light curves.")
    return functools.reduce(lambda a, b: a.merge(b), fitted)


def _default_chains(collection):
    """One chain per worker thread of the distributed client, else per core."""
    client = _client(collection)
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return max(1, dask.system.CPU_COUNT)


def partial_fit_merge(estimator, collection, *, n_chains=None, compute=True, verbose=0):
    """Fit on a collection: chains of ``partial_fit`` over the partitions, then ``merge``.

    For estimators whose fitted state is additive, such as
    :class:`~skastro.novelty.DmDtNoveltyDetector` (pair histograms). The
    partitions are dealt round-robin to ``n_chains`` chains; each chain fits
    its partitions in turn with ``partial_fit`` (a task per partition,
    taking the chain's state so far), and the chains' estimators are merged
    with ``merge`` at the end. A worker so holds a chain's state and the
    partition it fits, whatever the number of partitions: a merge tree
    would hold more fitted states, the more levels it has (its fan-in per
    level, waiting for their siblings). On a partitioned directory (or a
    collection straight from :func:`read_partitions`) each task reads its
    partition itself; the partitions of another bag are tasks of their own,
    which Dask may compute ahead of the chains (fine for data already in
    memory, as from :func:`from_lightcurves`). ``merge`` carries everything the
    fitted state needs (for ``DmDtNoveltyDetector`` its calibration sample,
    from which ``offset_`` comes), so no second pass over the data is made.

    Parameters
    ----------
    estimator : estimator with ``partial_fit`` and ``merge``
        Unfitted template (cloned; not modified).
    collection : dask.bag.Bag or str or Path
        As in :func:`map_estimator`.
    n_chains : int, default=None
        Number of chains, at most the number of partitions. None: one per
        worker thread of the active ``dask.distributed`` client (so the
        workers fit in parallel and each keeps its chain's state), else one
        per core.
    compute : bool, default=True
        False: return the lazy fit instead, a ``dask.delayed`` of the
        merged estimator, to compute on the scheduler active now.
    verbose : int, default=0
        > 0: Dask's progress bar on stderr, as in :func:`map_estimator`.

    Returns
    -------
    estimator or dask.delayed.Delayed
        The merged, fitted estimator. For ``DmDtNoveltyDetector`` it equals
        ``fit`` on the union bit for bit: ``counts_``, calibration, ``offset_``
        and scores, with either score, whatever ``n_chains``.

    Examples
    --------
    >>> import dask
    >>> import numpy as np
    >>> import skastro.dask
    >>> from skastro.datasets import make_transients
    >>> from skastro.novelty import DmDtNoveltyDetector
    >>> lcs = make_transients(n_variables=60, n_transients=0, n_epochs=20, random_state=0)
    >>> bag = skastro.dask.from_lightcurves(lcs, partition_size=25)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     det = skastro.dask.partial_fit_merge(DmDtNoveltyDetector(score="paper"), bag)
    >>> np.array_equal(det.counts_, DmDtNoveltyDetector(score="paper").fit(lcs).counts_)
    True
    """
    for name in ("partial_fit", "merge"):
        if not callable(getattr(estimator, name, None)):
            raise TypeError(
                f"partial_fit_merge needs an estimator with partial_fit and merge; "
                f"{type(estimator).__name__} has no {name!r}."
            )
    if n_chains is not None and (isinstance(n_chains, bool) or not isinstance(n_chains, int)
                                 or n_chains < 1):
        raise ValueError(f"n_chains must be a positive int or None; got {n_chains!r}.")
    bag = _as_bag(collection)
    template = clone(estimator)
    # A chain's task reads its own partition file where the collection is a directory: as
    # separate tasks without dependencies, the reads would run ahead of the chains, every
    # partition read waiting in a worker's memory for its turn (at 10^6 curves in 100
    # partitions, 27 results held and 3.2 GB at peak on one worker).
    partitions = getattr(bag, "_skastro_partition_files", None) or bag.to_delayed()
    n_chains = min(n_chains or _default_chains(bag), len(partitions))
    chains = [None] * n_chains
    for i, partition in enumerate(partitions):
        chains[i % n_chains] = dask.delayed(_fit_step)(chains[i % n_chains], template,
                                                        partition)
    merged = dask.delayed(_merge_chains)(chains)
    if not compute:
        return merged
    # on the scheduler that would compute the bag (a process pool by default), not the
    # threads dask.delayed would default to
    with dask.config.set(scheduler=dask.base.get_scheduler(collections=[bag])):
        return _compute(merged, verbose)

"""Survey scale: folding and dm-dt scoring of partitioned light curves on Dask.

Simulated VVV-like Ks light curves (``make_periodic_variables``, 30-300
epochs, 1-6 measurements each) are written, a partition at a time, as a
partitioned Parquet directory. For each size, folding with the ``dekany2020``
``PeriodFolder`` and scoring with a fitted ``DmDtNoveltyDetector`` run

* on the subset (the first partitions, at least ``--check`` curves and one
  partition per worker), the three paths alternating, best of ``--repeats``:

  - in process, one core: the Dask ``synchronous`` scheduler over the
    partitions (also the reference for identical results);
  - in process, ``--workers`` cores: the subset in memory,
    ``PeriodFolder(n_jobs=--workers).transform`` then ``score_samples`` (the
    dm-dt kernel is numba-parallel): what one would do without Dask;
  - on a ``LocalCluster`` of ``--workers`` single-threaded worker processes:
    ``skastro.dask.map_estimator`` reading the partitions and writing the
    folded light curves and the scores as Parquet partitions;

* on the same cluster, the dm-dt fit on every curve by ``partial_fit_merge``,
  compared bit for bit with single-process fits (as ``--dmdt-only`` does,
  below), then folding and scoring every curve once (a quarter of the
  partitions, then the rest); each worker's peak resident memory in the fit,
  after the quarter and after all.

Reported: throughput (curves/s) of each path, the cluster/in-process ratio on
the subset and for the whole set (cluster over all curves against in process
on the subset), the workers' peak memory, whether the cluster's periods,
folded curves and scores of the subset are identical to the in-process ones,
and whether the merged dm-dt fit equals the single-process ones.

PeriodFolder draws its cross-validation folds per ``transform`` call, so
folding partition by partition is compared with the in-process fold of the
same partitions; the script also counts how many periods differ when the
subset is folded in one call. Progress goes to stderr.

``--dmdt-only`` runs the dm-dt stages alone, fit included, in minutes at
sizes where folding takes an hour or more (the mode records the folding rate
on ``--fold-sample`` curves). The curves are simulated and
written a partition at a time, never held together. Then:

* in process, on the first partitions (at least ``--check`` curves): read,
  ``fit``, ``score_samples``, write the scores; best of a run before and one
  after the cluster;
* on a ``LocalCluster`` of ``--workers`` single-threaded workers (numba
  too): ``partial_fit_merge`` over all partitions, then ``map_estimator``
  writing every score as Parquet; each worker's peak resident memory
  (``VmHWM``) in each of the two (reset, on Linux, before each);
* in process, the single-process fit: ``partial_fit`` over the partitions
  in order, one in memory at a time (bounded memory at any size), and, up to
  ``--union-fit-max`` curves, ``fit`` on the whole set in memory (what
  tests/test_dask.py compares with). The merged detector must equal both bit
  for bit: ``counts_`` and ``n_objects_seen_``, the calibration sample,
  ``zscore_calibration_`` and ``offset_``; and the cluster's scores of the
  subset must equal the single-process detector's.

Run::

    python benchmarks/bench_scale.py       # 200 and 400 curves in partitions of 50: 7-13 min wall
                                           # on 2 cores shared with other jobs (load 10-18)
    python benchmarks/bench_scale.py --n-curves 100000 1000000 --partition-size 10000
    python benchmarks/bench_scale.py --dmdt-only --n-curves 100000 1000000 --partition-size 10000
"""

import argparse
import contextlib
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import dask
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster

import skastro.dask as sd
from skastro import (LightCurves, iter_partitions, partition_paths, read_partitions,
                     write_partitions)
from skastro.datasets import make_periodic_variables
from skastro.novelty import DmDtNoveltyDetector
from skastro.periodic import PeriodFolder


def simulate(n_curves, partition_size, seed=0):
    """Yield partitions of simulated curves with ids unique across partitions."""
    for i, lo in enumerate(range(0, n_curves, partition_size)):
        part = make_periodic_variables(min(partition_size, n_curves - lo),
                                       random_state=seed + i)
        meta = part.meta.set_axis(pd.RangeIndex(lo, lo + len(part), name="object_id"))
        yield LightCurves(part.offsets, {n: part.column(n) for n in part.columns}, meta=meta,
                          value_kind=part.value_kind)


def _peak_rss_mb():
    """This process's peak resident memory (MB).

    ``VmHWM`` where Linux has it: ``ru_maxrss`` survives ``exec``, so in a
    worker process it would start at its parent's peak when it was started.
    """
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _reset_peak_rss():
    """Start this process's ``VmHWM`` again from its current resident memory (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _link(files, folder):
    """A partitioned directory of symbolic links to some partitions of another."""
    folder.mkdir(exist_ok=True)
    for file in files:
        (folder / file.name).symlink_to(file)
    return folder


def _log(message):
    """Progress of a long run, on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_size(n_curves, args, root):
    """Fold and score every curve on the cluster; compare on the subset."""
    data = root / f"lcs_{n_curves}"
    load = os.getloadavg()[0]  # the machine's load (other jobs) when the size started
    start = time.perf_counter()
    write_partitions(simulate(n_curves, args.partition_size), data)
    files = partition_paths(data)
    row = {"n_curves": n_curves, "partitions": len(files), "partition_size": args.partition_size,
           "simulate_write_s": round(time.perf_counter() - start, 1)}
    _log(f"{n_curves} curves written in {row['simulate_write_s']} s")
    # the subset (the first partitions, at least --check curves and one partition per worker:
    # a worker's unit of work is a partition) is where the paths are timed side by side and
    # compared; the whole set runs once, on the cluster
    n_subset = max(-(-min(args.check, n_curves) // args.partition_size), args.workers)
    subset = _link(files[:n_subset], root / "subset")
    first = next(iter_partitions(data))
    folder = PeriodFolder.from_preset("dekany2020", random_state=0).fit(first)
    detector = DmDtNoveltyDetector().fit(first)  # a fitted model to score with

    # warm-up (numba compilation, imports) outside the timings
    folder.transform(first[:4])
    detector.score_samples(first[:4])

    def inproc_1core():  # run under the synchronous scheduler
        return (sd.map_estimator(folder, subset),
                sd.map_estimator(detector, subset, "score_samples"))

    def inproc_all_cores():
        lcs = read_partitions(subset)
        folded = PeriodFolder.from_preset("dekany2020", random_state=0,
                                          n_jobs=args.workers).fit(first).transform(lcs)
        detector.score_samples(lcs)
        return folded

    def cluster_subset():
        sd.map_estimator(folder, subset, output=root / "folded_subset", overwrite=True)
        sd.map_estimator(detector, subset, "score_samples", output=root / "scores_subset",
                         overwrite=True)

    def cluster_part(name, part_files):
        """Fold and score some partitions on the cluster; their time and the workers' peak."""
        part = _link(part_files, root / name)
        start = time.perf_counter()
        sd.map_estimator(folder, part, output=root / "folded" / name, overwrite=True)
        sd.map_estimator(detector, part, "score_samples", output=root / "scores" / name,
                         overwrite=True)
        shutil.rmtree(part)
        return time.perf_counter() - start

    # The three paths alternate on the subset, best of --repeats: other load on the
    # machine hits them alike.
    best = {"inproc_1core": np.inf, "inproc_all": np.inf, "cluster": np.inf}
    with dask.config.set(sd.WORKER_CONFIG), \
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster, Client(cluster) as client:
        client.run(lambda: (folder.transform(first[:4]), detector.score_samples(first[:4])))
        for repeat in range(args.repeats):
            for name, func in (("inproc_1core", inproc_1core), ("inproc_all", inproc_all_cores),
                               ("cluster", cluster_subset)):
                with (dask.config.set(scheduler="synchronous") if name != "cluster"
                      else contextlib.nullcontext()):
                    start = time.perf_counter()
                    out = func()
                    best[name] = min(best[name], time.perf_counter() - start)
                _log(f"subset, repeat {repeat + 1}: {name} {time.perf_counter() - start:.0f} s")
                if name == "inproc_1core":
                    sync_fold, sync_scores = out
                elif name == "inproc_all":
                    subset_fold = out
        n_sub = len(sync_fold)
        row["subset_curves"] = n_sub
        row["inproc_1core_curves_s"] = round(n_sub / best["inproc_1core"], 1)
        row[f"inproc_{args.workers}cores_curves_s"] = round(n_sub / best["inproc_all"], 1)
        row["cluster_subset_curves_s"] = round(n_sub / best["cluster"], 1)
        row["cluster_vs_inproc_ratio"] = round(best["inproc_all"] / best["cluster"], 2)
        # the dm-dt fit on every curve: partial_fit/merge on the cluster
        client.run(_reset_peak_rss)
        start = time.perf_counter()
        merged = sd.partial_fit_merge(DmDtNoveltyDetector(), data)
        row["cluster_dmdt_fit_curves_s"] = round(n_curves / (time.perf_counter() - start))
        row["worker_peak_rss_mb_fit"] = sorted(
            round(v) for v in client.run(_peak_rss_mb).values())
        _log(f"so far {row}")
        # the whole set, once: each worker's peak after a quarter of the partitions, then
        # after all of them
        client.run(_reset_peak_rss)
        quarter = max(1, len(files) // 4)
        whole_s = cluster_part("quarter", files[:quarter])
        row["worker_peak_rss_mb_quarter"] = sorted(
            round(v) for v in client.run(_peak_rss_mb).values())
        _log(f"a quarter ({quarter} partitions) folded and scored in {whole_s:.0f} s, worker "
             f"peaks {row['worker_peak_rss_mb_quarter']} MB")
        if quarter < len(files):
            whole_s += cluster_part("rest", files[quarter:])
        row["worker_peak_rss_mb_all"] = sorted(
            round(v) for v in client.run(_peak_rss_mb).values())
        _log(f"all folded and scored in {whole_s:.0f} s")
    _compare_fits(merged, data, n_curves, args, row)
    row["cluster_all_curves_s"] = round(n_curves / whole_s, 1)
    row["cluster_all_vs_inproc_ratio"] = round(
        row["cluster_all_curves_s"] / row[f"inproc_{args.workers}cores_curves_s"], 2)

    # identical results: the cluster's (whole-set pass) against the synchronous in-process run
    cluster_fold = read_partitions(root / "folded" / "quarter")
    if len(cluster_fold) < n_sub:
        cluster_fold = LightCurves.concat([cluster_fold, read_partitions(root / "folded" / "rest")])
    cluster_fold = cluster_fold[:n_sub]
    cluster_scores = pd.concat(
        [pd.read_parquet(root / "scores" / name) for name in ("quarter", "rest")
         if (root / "scores" / name).exists()])["score_samples"].to_numpy()
    row["scored_curves"] = len(cluster_scores)
    row["periods_identical"] = bool(np.array_equal(
        cluster_fold.meta["period"].to_numpy(), sync_fold.meta["period"].to_numpy(),
        equal_nan=True))
    row["folds_identical"] = cluster_fold.equals(sync_fold)
    row["scores_identical"] = bool(np.array_equal(cluster_scores[:n_sub], sync_scores))
    # folding the subset in one call draws other cross-validation folds than partition by
    # partition (see the module doc): how many periods that moves, and by how much
    whole, parts = (f.meta["period"].to_numpy() for f in (subset_fold, sync_fold))
    differ = ~((whole == parts) | (np.isnan(whole) & np.isnan(parts)))
    row["periods_differing_one_call_vs_partitions"] = int(differ.sum())
    rel = np.nanmax(np.abs(whole[differ] - parts[differ]) / parts[differ], initial=0.0)
    row["max_rel_period_difference"] = f"{rel:.2g}"  # as text: the table prints 1e-16 as 0.0
    row["load_avg_start_end"] = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
    for path in (data, subset, root / "folded", root / "scores", root / "folded_subset",
                 root / "scores_subset"):
        shutil.rmtree(path, ignore_errors=True)
    return row


def _same_fit(a, b):
    """Whether two fitted detectors are equal bit for bit, attribute by attribute."""
    same = {"counts": np.array_equal(a.counts_, b.counts_)
            and a.n_objects_seen_ == b.n_objects_seen_,
            "calibration_sample": all(np.array_equal(a.calibration_sample_[k],
                                                     b.calibration_sample_[k])
                                      for k in a.calibration_sample_),
            "zscore_calibration": np.array_equal(a.zscore_calibration_, b.zscore_calibration_),
            "offset": a.offset_ == b.offset_}
    return all(same.values()), [k for k, v in same.items() if not v]


def _compare_fits(merged, data, n_curves, args, row):
    """The cluster's merged dm-dt fit against single-process fits, bit for bit (into ``row``).

    The single-process fit streams the partitions through ``partial_fit`` in
    order (one in memory at a time); up to ``--union-fit-max`` curves the
    whole set is also fitted in memory. Returns the streamed detector.
    """
    start = time.perf_counter()
    streamed = DmDtNoveltyDetector()
    for part in iter_partitions(data):
        streamed.partial_fit(part)
    row["stream_fit_1proc_curves_s"] = round(n_curves / (time.perf_counter() - start))
    row["merge_equals_stream_fit"], differ = _same_fit(merged, streamed)
    if n_curves <= args.union_fit_max:  # and fit on the whole set in memory, where it fits
        union = DmDtNoveltyDetector().fit(read_partitions(data))
        row["merge_equals_union_fit"], more = _same_fit(merged, union)
        del union
        differ += more
    row["attributes_differing"] = ",".join(sorted(set(differ))) or "none"
    return streamed


def run_dmdt_size(n_curves, args, root):
    """The dm-dt stages alone (``--dmdt-only``): fit and score at survey scale."""
    data = root / f"lcs_{n_curves}"
    load = os.getloadavg()[0]  # the machine's load (other jobs) when the size started
    start = time.perf_counter()
    write_partitions(simulate(n_curves, args.partition_size), data)
    files = partition_paths(data)
    row = {"n_curves": n_curves, "partitions": len(files), "partition_size": args.partition_size,
           "simulate_write_s": round(time.perf_counter() - start, 1)}
    # the subset: the first partitions, at least --check curves
    subset = _link(files[:-(-min(args.check, n_curves) // args.partition_size)], root / "subset")
    warm = next(iter_partitions(data))[:20]
    DmDtNoveltyDetector().fit(warm).score_samples(warm)  # numba compilation outside the timings

    def inproc():
        """In process on the subset, all cores (the scoring kernel is numba-parallel):
        read, fit, score, write the scores; curves/s."""
        start = time.perf_counter()
        lcs = read_partitions(subset)
        scores = DmDtNoveltyDetector().fit(lcs).score_samples(lcs)
        pd.DataFrame({"score_samples": scores}, index=lcs.ids).to_parquet(root / "s.parquet")
        row["subset_curves"] = len(lcs)
        return len(lcs) / (time.perf_counter() - start)

    inproc_rate = inproc()  # and again after the cluster: best of two, as load varies

    # on the cluster: single-threaded worker processes, numba too
    with dask.config.set(sd.WORKER_CONFIG), \
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                         dashboard_address=":0") as cluster, Client(cluster) as client:
        client.run(lambda: DmDtNoveltyDetector().fit(warm).score_samples(warm))
        client.run(_reset_peak_rss)
        start = time.perf_counter()
        merged = sd.partial_fit_merge(DmDtNoveltyDetector(), data)
        fit_s = time.perf_counter() - start
        fit_rss = sorted(round(v) for v in client.run(_peak_rss_mb).values())
        client.run(_reset_peak_rss)
        start = time.perf_counter()
        sd.map_estimator(merged, data, "score_samples", output=root / "scores", overwrite=True)
        score_s = time.perf_counter() - start
        score_rss = sorted(round(v) for v in client.run(_peak_rss_mb).values())
    row["inproc_subset_curves_s"] = round(max(inproc_rate, inproc()))
    row["cluster_fit_curves_s"] = round(n_curves / fit_s)
    row["cluster_score_curves_s"] = round(n_curves / score_s)
    row["cluster_fit_score_curves_s"] = round(n_curves / (fit_s + score_s))
    row["cluster_vs_inproc_ratio"] = round(
        row["cluster_fit_score_curves_s"] / row["inproc_subset_curves_s"], 2)
    row["cluster_fit_s"], row["cluster_score_s"] = round(fit_s, 2), round(score_s, 2)
    # each phase's peak, from the resident memory it started at (on Linux; elsewhere the
    # peak of the whole process); the larger of the two is the worker's peak
    row["worker_peak_rss_mb_fit"] = fit_rss
    row["worker_peak_rss_mb_score"] = score_rss

    streamed = _compare_fits(merged, data, n_curves, args, row)
    cluster_scores = pd.read_parquet(root / "scores")["score_samples"].to_numpy()
    row["scored_curves"] = len(cluster_scores)
    lcs = read_partitions(subset)
    row["subset_scores_identical"] = bool(np.array_equal(
        cluster_scores[:len(lcs)], streamed.score_samples(lcs)))

    # folding is not run at this scale: its rate, for the record (up to chunk_size=200
    # curves are one chunk, so one core)
    sample = lcs[:args.fold_sample]
    folder = PeriodFolder.from_preset("dekany2020", random_state=0, n_jobs=args.workers)
    folder.fit(sample).transform(sample[:2])
    start = time.perf_counter()
    folder.transform(sample)
    row["fold_curves_s"] = round(len(sample) / (time.perf_counter() - start), 1)
    row["load_avg_start_end"] = f"{load:.1f}-{os.getloadavg()[0]:.1f}"
    for path in (data, subset, root / "scores", root / "s.parquet"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-curves", type=int, nargs="+", default=[200, 400],
                        help="sizes to run (default: %(default)s)")
    parser.add_argument("--partition-size", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2,
                        help="timings alternate, best of this many (default: %(default)s)")
    parser.add_argument("--check", type=int, default=10_000,
                        help="curves compared for identical results (default: %(default)s)")
    parser.add_argument("--dir", default=None, help="scratch directory (default: a temporary one)")
    parser.add_argument("--dmdt-only", action="store_true",
                        help="only the dm-dt fit and scoring (no folding; see the module doc)")
    parser.add_argument("--union-fit-max", type=int, default=200_000,
                        help="--dmdt-only: also fit the whole set in memory up to this many "
                             "curves (default: %(default)s)")
    parser.add_argument("--fold-sample", type=int, default=200,
                        help="--dmdt-only: curves folded in process to record the folding rate "
                             "(default: %(default)s)")
    args = parser.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="bench_scale_"))
    run = run_dmdt_size if args.dmdt_only else run_size
    rows = [run(n, args, root) for n in args.n_curves]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(pd.DataFrame(rows).set_index("n_curves").T.to_string())


if __name__ == "__main__":
    main()

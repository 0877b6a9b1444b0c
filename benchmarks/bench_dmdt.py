"""Speed and memory of DmDtNoveltyDetector (issue 6 targets).

Targets:

- scoring >= 2,000 light curves per second for 5-band curves with 50 points
  per band (all cross-band pairs), and >= 50x faster than the plain
  per-object reference implementation, with the same scores to 1e-9;
- fit time linear in the number of pairs;
- bounded memory for 10^6 curves fed through ``partial_fit`` (a generator
  of chunks).

Run:  python benchmarks/bench_dmdt.py [--quick]
      python benchmarks/bench_dmdt.py --long 1e4,1e5,1e6 [--long-bands 1]
          (fit + score of ONE light curve of each length: time vs length, issue 18)
      python benchmarks/bench_dmdt.py --plasticc ../shared/data [--splits 10 --draws 10]
          [--ddf-only]     (the §5 Monte Carlo only: IND vs KDE vs Isolation Forest)
          [--paper-count]  (the paper's 10 splits x 1000 draws: 100x the default 10 x 10;
                            ~2 s a draw on two shared cores, so ~5.5 h on all fields)
"""

import argparse
import gc
import resource
import time
import tracemalloc

import numpy as np

from skastro import LightCurves
from skastro.novelty import DmDtNoveltyDetector
from skastro.novelty import _kernels

BANDS = np.array(list("ugriz"))


def make_curves(n, points_per_band, rng, baseline=1000.0):
    """n random-walk-ish 5-band curves with exactly ``points_per_band`` points per band."""
    nb = len(BANDS)
    per = nb * points_per_band
    time_ = np.sort(rng.uniform(0, baseline, (n, per)), axis=1)
    band = np.tile(np.repeat(np.arange(nb), points_per_band), (n, 1))
    band = rng.permuted(band, axis=1)
    amp = rng.uniform(0.05, 1.0, (n, 1))
    value = 18 + amp * np.sin(time_ / rng.uniform(0.3, 50, (n, 1))) + 0.3 * band
    value = value + rng.normal(0, 0.05, value.shape)
    offsets = np.arange(n + 1, dtype=np.int64) * per
    columns = {"time": time_.ravel(), "value": value.ravel(),
               "error": np.full(n * per, 0.05), "band": BANDS[band.ravel()]}
    return LightCurves(offsets, columns)


def best_of(func, repeat):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def bench_scoring(args, rng):
    train = make_curves(1000, 50, rng)
    det = DmDtNoveltyDetector(score="paper").fit(train)
    X = make_curves(args.n_score, 50, rng)
    det.score_samples(X[:10])  # warm up (JIT compiled and cached)
    t_fast = best_of(lambda: det.score_samples(X), args.repeat)
    rate = len(X) / t_fast
    n_pairs = int(det.pair_counts(X[:1]).sum())
    sub = X[: args.n_reference]
    band = np.array([det.bands_.index(b) for b in sub.bands])[sub.codes("band")]
    inner, lo, width, n_dm = det._grid()
    start = time.perf_counter()
    ref = _kernels.pair_sums_reference(sub.offsets, sub.time, sub.value, band, 5, inner, lo,
                                       width, n_dm, det._table, det._mu, det._var)
    t_ref = (time.perf_counter() - start) / len(sub)
    fast_sub = det.score_samples(sub)
    err = float(np.max(np.abs(fast_sub - ref[0].sum(axis=1)) / np.maximum(1, np.abs(fast_sub))))
    t_fast_per = t_fast / len(X)
    print(f"\n[scoring] 5 bands x 50 points ({n_pairs} pairs per curve, all cross-band pairs)")
    print(f"  fast kernel     : {rate:10,.0f} curves/s  ({1e6 * t_fast_per:8.1f} us/curve, "
          f"{n_pairs * rate / 1e6:,.0f} M pairs/s)      target >= 2,000   "
          f"{'MET' if rate >= 2000 else 'NOT MET'}")
    print(f"  reference (py)  : {1 / t_ref:10,.1f} curves/s  ({1e6 * t_ref:8.1f} us/curve)")
    ratio = t_ref / t_fast_per
    print(f"  speed-up        : {ratio:10,.0f} x            target >= 50        "
          f"{'MET' if ratio >= 50 else 'NOT MET'}")
    print(f"  max rel. diff   : {err:.2e}              target <= 1e-9      "
          f"{'MET' if err <= 1e-9 else 'NOT MET'}")
    return rate, ratio, err


def bench_fit_scaling(args, rng):
    print("\n[fit] time vs number of pairs (fit = histogram + one scoring pass)")
    print(f"  {'curves':>7} {'pts/band':>8} {'pairs':>12} {'fit s':>8} {'ns/pair':>8}")
    xs, ys = [], []
    for n, ppb in args.fit_grid:
        X = make_curves(n, ppb, rng)
        det = DmDtNoveltyDetector()
        det.fit(X[:5])  # warm up
        t = best_of(lambda: DmDtNoveltyDetector().fit(X), args.repeat)
        pairs = int(DmDtNoveltyDetector().fit(X[:1]).pair_counts(X).sum())
        xs.append(pairs)
        ys.append(t)
        print(f"  {n:7d} {ppb:8d} {pairs:12,d} {t:8.3f} {1e9 * t / pairs:8.1f}")
    slope = np.polyfit(np.log(xs), np.log(ys), 1)[0]
    print(f"  log-log slope of fit time vs pairs: {slope:.2f} (1 = linear)   "
          f"{'MET' if 0.8 <= slope <= 1.2 else 'NOT MET'}")
    return slope


def bench_memory(args, rng):
    n_total, chunk, ppb = args.n_stream, args.chunk, args.stream_points
    print(f"\n[memory] partial_fit over a generator: {n_total:,} curves in chunks of "
          f"{chunk:,} (5 bands x {ppb} points)")

    def chunks():
        for start in range(0, n_total, chunk):
            yield make_curves(min(chunk, n_total - start), ppb, rng)

    det = DmDtNoveltyDetector()
    gc.collect()
    tracemalloc.start()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peaks, start = [], time.perf_counter()
    for i, X in enumerate(chunks()):
        det.partial_fit(X)
        del X
        if i in (0, 9) or (i + 1) * chunk >= n_total:
            peaks.append(tracemalloc.get_traced_memory()[1] / 1e6)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    one_chunk = make_curves(chunk, ppb, rng)
    chunk_mb = sum(one_chunk.column(c).nbytes for c in one_chunk.columns) / 1e6
    print(f"  curves seen      : {det.n_objects_seen_:,}  pairs counted: {det.counts_.sum():,}"
          f"  ({seconds:.0f} s, {det.n_objects_seen_ / seconds:,.0f} curves/s)")
    print(f"  traced peak (MB) : after 1 chunk {peaks[0]:.1f}, after 10 {peaks[1]:.1f}, "
          f"at the end {peak:.1f}   (one chunk's columns: {chunk_mb:.1f} MB; "
          f"histograms {det.counts_.nbytes / 1e6:.2f} MB)")
    print(f"  max RSS (MB)     : before {rss0:.0f}, after {rss1:.0f}")
    bounded = peak <= 1.5 * peaks[0] + 1
    print(f"  bounded memory   : {'MET' if bounded else 'NOT MET'} "
          "(peak at the end within 1.5x the peak after the first chunk)")
    return peak, peaks[0]


def bench_long(args):
    """Fit and score a single light curve of n points in ``--long-bands`` bands."""
    bands = BANDS[: args.long_bands]
    rng = np.random.default_rng(args.seed)
    print(f"[long] one light curve, {len(bands)} band(s): fit + score time vs length")
    print(f"  {'points':>10} {'pairs':>14} {'fit s':>8} {'score s':>8} {'ns/point':>9}")
    for i, n in enumerate([100] + args.long):  # the first: a warm-up, not shown
        t = np.sort(rng.uniform(0, 3000, n))
        lc = LightCurves.from_arrays([t], [18 + np.sin(t) + rng.normal(0, 0.1, n)],
                                     [np.full(n, 0.05)], bands=[rng.choice(bands, n)])
        start = time.perf_counter()
        det = DmDtNoveltyDetector(max_cross_pairs=None).fit(lc)
        t_fit = time.perf_counter() - start
        start = time.perf_counter()
        det.score_samples(lc)
        t_score = time.perf_counter() - start
        pairs = int(det.counts_.sum())
        if i == 0:
            continue
        print(f"  {n:10,d} {pairs:14,d} {t_fit:8.2f} {t_score:8.2f} "
              f"{1e9 * (t_fit + t_score) / n:9.0f}", flush=True)


def bench_plasticc(args):
    import pandas as pd

    from skastro.datasets import load_plasticc
    from skastro.experiments import run_novelty_benchmark, select_plasticc

    lcs = load_plasticc(args.plasticc)
    if args.ddf_only:
        lcs = lcs[lcs.meta["ddf_bool"].to_numpy() == 1]
    variables, transients = select_plasticc(lcs)
    print(f"PLAsTiCC training set{' (DDF only)' if args.ddf_only else ''}: "
          f"{len(variables)} variables, {len(transients)} transients after the §5.2 selection")
    start = time.perf_counter()
    res = run_novelty_benchmark(variables, transients, n_splits=args.splits,
                                n_draws=args.draws, random_state=args.seed)
    print(f"{args.splits} splits x {args.draws} draws in {time.perf_counter() - start:.0f} s")
    with pd.option_context("display.width", 140, "display.precision", 1):
        print(res.auc.round(1).to_string(index=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (~1 minute)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plasticc", metavar="DATA_DIR", default=None,
                        help="run the §5 Monte Carlo on PLAsTiCC under DATA_DIR instead")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--draws", type=int, default=10)
    parser.add_argument("--paper-count", action="store_true",
                        help="the paper's Monte Carlo count: 10 splits x 1000 draws (§5.3)")
    parser.add_argument("--ddf-only", action="store_true",
                        help="keep only deep-drilling-field objects (as the paper)")
    parser.add_argument("--long", default=None, metavar="N1,N2,...",
                        help="time fit + score of one light curve of each length instead")
    parser.add_argument("--long-bands", type=int, default=1, choices=range(1, 6))
    args = parser.parse_args(argv)
    if args.long:
        args.long = [int(float(n)) for n in args.long.split(",")]
        bench_long(args)
        return
    if args.paper_count:
        args.splits, args.draws = 10, 1000
    if args.plasticc:
        bench_plasticc(args)
        return
    args.repeat = 3
    if args.quick:
        args.n_score, args.n_reference = 4000, 10
        args.fit_grid = [(1000, 20), (2000, 20), (4000, 20), (1000, 40), (1000, 80)]
        args.n_stream, args.chunk, args.stream_points = 100_000, 10_000, 10
    else:
        args.n_score, args.n_reference = 20000, 30
        args.fit_grid = [(1000, 25), (2000, 25), (4000, 25), (8000, 25), (1000, 50),
                         (1000, 100), (4000, 100)]
        args.n_stream, args.chunk, args.stream_points = 1_000_000, 20_000, 10
    rng = np.random.default_rng(args.seed)
    print(f"DmDtNoveltyDetector benchmark ({'quick' if args.quick else 'full'})")
    rate, ratio, err = bench_scoring(args, rng)
    slope = bench_fit_scaling(args, rng)
    peak, first = bench_memory(args, rng)
    print("\nsummary")
    print(f"  scoring          {rate:,.0f} curves/s (>= 2,000)")
    print(f"  vs reference     {ratio:,.0f}x (>= 50), max rel. diff {err:.1e} (<= 1e-9)")
    print(f"  fit scaling      slope {slope:.2f} (linear = 1)")
    print(f"  stream memory    peak {peak:.1f} MB vs {first:.1f} MB after the first chunk")


if __name__ == "__main__":
    main()

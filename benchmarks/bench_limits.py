"""Resource limits on huge inputs (issue 17 item 4).

Two shapes of input, each through the constructors, the Parquet round trip,
``PeriodFolder`` and ``DmDtNoveltyDetector``:

- ``long``: a single light curve of N points (two bands for the container
  cases, one band for the estimators);
- ``many``: N light curves of one point each.

Every case runs in a fresh process with a time limit; the report gives, for
each, the outcome (ok / clear error / timeout / crash), the wall time and the
peak resident memory of that process (``ru_maxrss`` of the child, from
``os.wait4``), and the peak per input observation above the baseline of a child that only
imports skastro. A case that passes its time limit is killed and reported as
``timeout``: it would have hung a pipeline.

Run:  python benchmarks/bench_limits.py [--n 1000000] [--timeout 120] [--cases a,b]
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

CASES = ("construct_long", "construct_many", "parquet_long", "parquet_many",
         "folder_long", "folder_many", "dmdt_long", "dmdt_many")


def _long(n, rng, bands=("g", "r")):
    t = np.sort(rng.uniform(0, 3000, n))
    v = 15 + 0.3 * np.sin(2 * np.pi * t / 0.61) + rng.normal(0, 0.05, n)
    e = np.full(n, 0.05)
    b = np.asarray(bands)[rng.integers(0, len(bands), n)]
    return t, v, e, b


def run_case(case, n):
    """Body of one case (in the child process); prints a one-line outcome."""
    import pandas as pd

    from skastro import LightCurves
    from skastro.novelty import DmDtNoveltyDetector
    from skastro.periodic import PeriodFolder

    if case == "baseline":
        return "imports only"

    rng = np.random.default_rng(0)
    shape = case.rsplit("_", 1)[1]
    bands = ("g", "r") if case.startswith(("construct", "parquet")) else ("g",)
    t, v, e, b = _long(n, rng, bands)
    if shape == "long":
        ids = np.zeros(n, dtype=np.int64)
    else:
        ids = np.arange(n)
    if case.startswith("construct"):
        table = pd.DataFrame({"object_id": ids, "time": t, "mag": v, "mag_err": e, "band": b})
        lcs = LightCurves.from_pandas(table, band="band")
        if shape == "long":
            again = LightCurves.from_arrays([t], [v], [e], bands=[b])
        else:
            again = LightCurves(np.arange(n + 1), {"time": t, "value": v, "error": e, "band": b})
        assert again.n_observations == lcs.n_observations == n
        return f"{len(lcs)} objects"
    if case.startswith("parquet"):
        import tempfile

        lcs = LightCurves(np.array([0, n]) if shape == "long" else np.arange(n + 1),
                          {"time": t, "value": v, "error": e, "band": b})
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "lcs.parquet")
            lcs.to_parquet(path)
            assert LightCurves.read_parquet(path).equals(lcs)
        return f"{len(lcs)} objects round trip"
    lcs = LightCurves(np.array([0, n]) if shape == "long" else np.arange(n + 1),
                      {"time": t, "value": v, "error": e})
    if case.startswith("folder"):
        out = PeriodFolder(period_range=(0.3, 2.0), n_peaks=1, random_state=0).fit_transform(lcs)
        status = pd.Series(out.meta["fold_status"]).value_counts().to_dict()
        return f"fold_status {status}, period[0] {out.meta['period'].iloc[0]:.4f}"
    det = DmDtNoveltyDetector().fit(lcs)
    scores = det.score_samples(lcs)
    return f"{det.counts_.sum()} pairs, scores finite {np.isfinite(scores).all()}"


def measure(case, n, timeout):
    """Run ``case`` in a child; (outcome, seconds, peak RSS in MiB, output line)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", case, "--n", str(n)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            return "timeout", time.perf_counter() - start, usage.ru_maxrss / 1024, ""
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    text = proc.stdout.read().strip().splitlines()
    line = text[-1] if text else ""
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        outcome = "ok"
    elif code < 0:
        outcome = f"crash (signal {-code})"
    elif line.startswith(("ValueError", "TypeError", "MemoryError")):
        outcome = "clear error" if not line.startswith("MemoryError") else "MemoryError"
    else:
        outcome = "obscure error"
    return outcome, seconds, usage.ru_maxrss / 1024, line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        try:
            print(run_case(args.child, args.n))
        except Exception as exc:  # reported by the parent
            print(f"{type(exc).__name__}: {str(exc)[:300]}")
            sys.exit(1)
        return
    _, _, baseline, _ = measure("baseline", 1, args.timeout)
    print(f"N = {args.n:,}; time limit {args.timeout:.0f} s per case; baseline peak RSS of a "
          f"child that only imports skastro: {baseline:.0f} MiB")
    print(f"{'case':16s} {'outcome':16s} {'seconds':>8s} {'peak MiB':>9s} {'B/obs':>7s}  output")
    for case in args.cases.split(","):
        outcome, seconds, peak, line = measure(case, args.n, args.timeout)
        per_obs = (peak - baseline) * 2**20 / args.n
        print(f"{case:16s} {outcome:16s} {seconds:8.1f} {peak:9.0f} {per_obs:7.0f}  {line[:110]}",
              flush=True)


if __name__ == "__main__":
    main()

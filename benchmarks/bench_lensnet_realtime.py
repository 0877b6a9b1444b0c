"""Real-time LensNet: latency of one streamed epoch against a full re-score.

An alert's history of ``H`` epochs (3 sites, interleaved in time) is loaded
into a :class:`~skastro.microlensing.LensNetStream`; then ``--updates``
further epochs arrive one at a time. Each is timed two ways:

- ``stream``: ``stream.update(...)`` (returns the new probabilities);
- ``full``: a full re-score of the whole history as a user holding the
  arrays would do it: build the alert's ``LightCurves`` and call
  ``predict_proba`` (construction included).

Wall-clock percentiles and the median CPU time of the process are printed
(on a shared machine the CPU time is the steadier figure; the speed-up is
the ratio of the CPU medians).

for two models of the default size (``hidden_size=32``, ``dense_size=64``):
the default §5.4 preprocessing (the stream recomputes the alert: the
preprocessing depends on the whole window) and a ``preprocessor="passthrough"``
model on per-epoch (causal) features (the stream feeds only the new epoch to
each LSTM branch). The largest difference between the two scores is printed
beside the latencies. The models are trained for one epoch: latency does not
depend on their quality.

Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_lensnet_realtime.py
    python benchmarks/bench_lensnet_realtime.py --histories 100 1000 --updates 50 --threads 1
"""

import argparse
import time

import numpy as np

from skastro.datasets import make_microlensing_alerts
from skastro.microlensing import BranchedRNNClassifier

CONTEXT = ("sky", "fwhm", "airmass", "psf_quality")


def causal(alerts):
    """Per-epoch features from fixed constants only (a model the stream updates incrementally)."""
    return alerts.with_columns(
        t_rel=(alerts.time - 9300.0) / 10.0, value=(alerts.value - 1000.0) / 500.0,
        error=alerts.error / 500.0, sky=alerts.column("sky") / 1000.0,
        fwhm=alerts.column("fwhm") / 4.0)


def run(clf, X, history, n_updates, label):
    stream = clf.stream()
    k = int(np.argmax(X.lengths))
    df = X[[k]].to_pandas()
    if len(df) < history + n_updates:
        raise SystemExit(f"the longest alert has {len(df)} epochs; need {history + n_updates}.")
    meta = {"t_break": float(X.meta["t_break"].iloc[k])}

    def feed(rows):
        return stream.update("alert", rows["site"].to_numpy(), rows["time"].to_numpy(),
                             rows["value"].to_numpy(), rows["error"].to_numpy(), meta=meta,
                             **{c: rows[c].to_numpy() for c in stream.columns if c != "error"})

    for site in ("CTIO", "SAAO", "SSO"):      # the history, one batch per site
        part = df.iloc[:history]
        feed(part[part["site"] == site])
    wall = {"stream": [], "full": []}
    cpu = {"stream": [], "full": []}
    diff = 0.0
    for j in range(history, history + n_updates):
        w0, c0 = time.perf_counter(), time.process_time()
        p = feed(df.iloc[j:j + 1])
        w1, c1 = time.perf_counter(), time.process_time()
        full = clf.predict_proba(stream.to_lightcurves(["alert"]))[0]
        w2, c2 = time.perf_counter(), time.process_time()
        wall["stream"].append(w1 - w0)
        wall["full"].append(w2 - w1)
        cpu["stream"].append(c1 - c0)
        cpu["full"].append(c2 - c1)
        diff = max(diff, float(np.abs(p - full).max()))
    cells = []
    for how in ("stream", "full"):
        cells += [1e3 * np.percentile(wall[how], 50), 1e3 * np.percentile(wall[how], 95),
                  1e3 * np.median(cpu[how])]
    speed = np.median(cpu["full"]) / np.median(cpu["stream"])
    print(f"{label:<12} {stream.mode:<12} {history:>7} " + " ".join(f"{c:>8.2f}" for c in cells)
          + f" {speed:>7.1f}x {diff:>9.1e}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--histories", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    need = max(args.histories) + args.updates
    train = make_microlensing_alerts(40, n_days=10, random_state=0)
    long = make_microlensing_alerts(3, n_days=max(10, need // 20), cadence_hours=0.5, random_state=1)
    y = train.meta["label_binary"].to_numpy()
    models = {
        "default": (BranchedRNNClassifier(max_epochs=1, n_jobs=args.threads, random_state=0)
                    .fit(train, y), long),
        "passthrough": (BranchedRNNClassifier(preprocessor="passthrough", max_epochs=1,
                                              n_jobs=args.threads, random_state=0)
                        .fit(causal(train), y), causal(long)),
    }
    print(f"longest alert: {int(long.lengths.max())} epochs; {args.updates} single-epoch updates "
          f"per history; torch threads {args.threads}")
    print("milliseconds per update: wall-clock p50 and p95, CPU time p50; speed-up of the CPU p50")
    print(f"{'model':<12} {'stream mode':<12} {'history':>7} {'stream':>8} {'p95':>8} {'cpu':>8}"
          f" {'full':>8} {'p95':>8} {'cpu':>8} {'speedup':>8} {'max |dp|':>9}")
    for label, (clf, X) in models.items():
        for history in args.histories:
            run(clf, X, history, args.updates, label)


if __name__ == "__main__":
    main()

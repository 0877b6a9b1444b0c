"""Real-time LensNet: latency of one streamed epoch against a full re-score.

An alert's history of ``H`` epochs (3 sites, interleaved in time) is loaded
into a :class:`~skastro.microlensing.LensNetStream`; then ``--updates``
further epochs arrive one at a time. Each is timed two ways:

- ``stream``: ``stream.update(...)`` (returns the new probabilities);
- ``full``: a full re-score of the whole history as a user holding the
  arrays would do it: build the alert's ``LightCurves`` and call
  ``predict_proba`` (construction included).

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
    t_stream, t_full, diff = [], [], 0.0
    for j in range(history, history + n_updates):
        t0 = time.perf_counter()
        p = feed(df.iloc[j:j + 1])
        t1 = time.perf_counter()
        full = clf.predict_proba(stream.to_lightcurves(["alert"]))[0]
        t2 = time.perf_counter()
        t_stream.append(t1 - t0)
        t_full.append(t2 - t1)
        diff = max(diff, float(np.abs(p - full).max()))
    ms = lambda v, q: 1e3 * np.percentile(v, q)   # noqa: E731
    print(f"{label:<13} {stream.mode:<12} {history:>7} {ms(t_stream, 50):>10.3f} {ms(t_stream, 95):>9.3f}"
          f" {ms(t_full, 50):>10.3f} {ms(t_full, 95):>9.3f} {np.median(t_full) / np.median(t_stream):>8.1f}x"
          f" {diff:>9.1e}")


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
    print(f"{'model':<13} {'stream mode':<12} {'history':>7} {'stream p50':>10} {'p95 (ms)':>9}"
          f" {'full p50':>10} {'p95 (ms)':>9} {'speed-up':>9} {'max |Δp|':>9}")
    for label, (clf, X) in models.items():
        for history in args.histories:
            run(clf, X, history, args.updates, label)


if __name__ == "__main__":
    main()

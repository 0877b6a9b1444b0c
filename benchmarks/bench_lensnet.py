"""LensNet benchmarks: accuracy against the feature baseline, and scoring speed.

Accuracy (issue 5 targets): on simulated alerts split by star, the binary
LensNet model at the balanced threshold (chosen on validation alerts) must
reach ≥ 0.875 mean per-class accuracy and beat the gradient-boosting
baseline on broken-line features trained on the same alerts; at the purity
threshold the "No" accuracy must be ≥ 0.99.

Speed: score a "KMTNet day" of 20,000 alerts (3 sites, up to 1,500 epochs
each), preprocessing included, in chunks (bounded memory), on the CPU threads
given. The alerts are streamed as ``--repeat`` passes over a pool of distinct
simulated alerts so that the pool, not the day, must fit in memory. The
baseline's scoring of the same alerts is timed beside it as the peer.

Run::

    python benchmarks/bench_lensnet.py            # both parts
    python benchmarks/bench_lensnet.py --quick    # smaller, for a smoke test
    python benchmarks/bench_lensnet.py --part speed --threads 2
    python benchmarks/bench_lensnet.py --part speed --quick --device cuda   # benchmarks/gpu_check.sh
    # the issue's figures
    python benchmarks/bench_lensnet.py --part accuracy --threads 1
    python benchmarks/bench_lensnet.py --part speed --days 100 --cadence 0.5 --pool 1000 \
        --repeat 20 --chunk 256 --threads 2
"""

import argparse
import resource
import time

import numpy as np


def _rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def accuracy_part(args):
    from skastro.experiments import run_lensnet_experiment

    res = run_lensnet_experiment(n_alerts=args.n_alerts, n_days=args.n_days, max_epochs=args.epochs,
                         n_crops=args.crops, max_length=args.max_length, multiclass=True,
                         visibility=False, random_state=args.seed, log=print,
                         n_jobs=args.threads)
    rows = [
        ("binary mean acc @ balanced thr (test)", res["lensnet_balanced"], "≥ 0.875"),
        ("balanced threshold (from validation)", res["thr_balanced"], "~0.45 (paper)"),
        ('"No" acc @ purity thr (test)', res["lensnet_purity_no"], "≥ 0.99"),
        ("Yes/Maybe acc @ purity thr (test)", res["lensnet_purity_pos"], "~0.30 (paper)"),
        ("purity threshold (from validation)", res["thr_purity"], "0.955 (paper)"),
        ('"No" acc @ 95%-confidence purity thr (test)', res["lensnet_purity_conf_no"], "≥ 0.99"),
        ("Yes/Maybe acc @ 95%-confidence purity thr", res["lensnet_purity_conf_pos"], ""),
        ("95%-confidence purity threshold (validation)", res["thr_purity_conf"], ""),
        ("GB baseline mean acc @ its balanced thr", res["baseline_balanced"], "~0.5 (paper)"),
        ("3-class mean acc (test)", res.get("lensnet_3class", np.nan), "0.78 (paper)"),
        ("GB baseline 3-class mean acc", res.get("baseline_3class", np.nan), ""),
    ]
    print(f"\nAccuracy: {res['n_train']} train / {res['n_valid']} valid / {res['n_test']} test "
          f"alerts (stars disjoint); binary fit {res['fit_seconds']:.0f} s, "
          f"{len(res['binary_model'].history_)} epochs (early stopping)")
    print(f"{'quantity':45s} {'ours':>8s}  target/paper")
    for name, value, target in rows:
        print(f"{name:45s} {value:8.4f}  {target}")
    print("beats baseline:", res["lensnet_balanced"] > res["baseline_balanced"])


def speed_part(args):
    import torch

    from skastro.datasets import make_microlensing_alerts
    from skastro.microlensing import BranchedRNNClassifier, LensNetPreprocessor, make_broken_line_baseline

    torch.set_num_threads(args.threads)
    rng = np.random.RandomState(args.seed)
    cadence = f"{args.cadence} h cadence" if args.cadence else "0.5-5 h cadences"
    print(f"simulating a pool of {args.pool} alerts ({args.days} days, {cadence}) ...",
          flush=True)
    pool = make_microlensing_alerts(args.pool, n_days=args.days, cadence_hours=args.cadence,
                                    trigger=False, random_state=rng)
    train = make_microlensing_alerts(200, n_days=15, random_state=rng)
    y = train.meta["label_binary"].to_numpy()
    clf = BranchedRNNClassifier(preprocessor=LensNetPreprocessor(max_length=1500),
                                hidden_size=32, dense_size=64, max_epochs=1,
                                chunk_size=args.chunk, n_jobs=args.threads, device=args.device,
                                random_state=0)
    t0 = time.perf_counter()
    clf.fit(train, y)
    t_epoch = time.perf_counter() - t0
    base = make_broken_line_baseline(0).fit(train, y)
    per_site = []
    for s in pool.sites:
        per_site.append(np.bincount(pool.object_index[pool.codes("site") == pool.sites.index(s)],
                                    minlength=len(pool)))
    per_site = np.minimum(np.column_stack(per_site), 1500)
    n_total = args.pool * args.repeat
    print(f"pool: {pool.n_observations} epochs; per site per alert: mean {per_site.mean():.0f}, "
          f"max {per_site.max()} (capped at 1500)")
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        p = clf.predict_proba(pool)[:, 1]
    t_net = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        base.predict_proba(pool)
    t_base = time.perf_counter() - t0
    print(f"\nSpeed (device {args.device}, {args.threads} torch threads, chunk_size={args.chunk}):")
    print(f"training: one epoch on {len(train)} alerts (preprocessing included) {t_epoch:.2f} s")
    print(f"{'':30s} {'alerts':>8s} {'seconds':>8s} {'alerts/s':>9s}")
    print(f"{'BranchedRNNClassifier':30s} {n_total:8d} {t_net:8.1f} {n_total / t_net:9.0f}")
    print(f"{'GB baseline (peer)':30s} {n_total:8d} {t_base:8.1f} {n_total / t_base:9.0f}")
    print(f"ratio LensNet / baseline time: {t_net / t_base:.1f}")
    print(f"extrapolated to 20,000 alerts: {t_net / n_total * 20000:.1f} s (target < 120 s)")
    print(f"peak RSS: {_rss_mb():.0f} MB (before scoring {rss0:.0f} MB)")
    print(f"finite scores: {bool(np.isfinite(p).all())}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=["accuracy", "speed", "all"], default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="torch device of LensNet in the speed part")
    # ~9,700 training alerts: more alerts were the lever that mattered. With 12,000
    # (~5,800 training alerts, the paper's 4,046 training stars) the binary accuracy
    # varied 0.873-0.893 over seeds and the purity threshold was unstable (issue 5 note).
    parser.add_argument("--n-alerts", type=int, default=20000)
    parser.add_argument("--n-days", type=float, default=15.0)
    parser.add_argument("--epochs", type=int, default=40, help="at most (early stopping)")
    parser.add_argument("--crops", type=int, default=1)
    parser.add_argument("--max-length", type=int, default=200)
    parser.add_argument("--pool", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--days", type=float, default=60.0)
    parser.add_argument("--chunk", type=int, default=512)
    parser.add_argument("--cadence", type=float, default=None,
                        help="force one cadence in hours (0.5 with --days 100: ~1,100-1,500 "
                             "epochs per site, the worst case)")
    args = parser.parse_args()
    if args.quick:
        args.n_alerts, args.epochs, args.pool, args.repeat = 800, 4, 300, 2
    if args.part in ("accuracy", "all"):
        accuracy_part(args)
    if args.part in ("speed", "all"):
        speed_part(args)


if __name__ == "__main__":
    main()

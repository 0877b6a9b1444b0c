"""Speed of BiLSTMClassifier against a plain torch loop over padded tensors.

Both sides run the same network (``skastro.nn._bilstm.BiLSTMModule`` with the
paper's sizes) in the same process, alternating repetitions so that load from
other users of the machine hits both alike. The plain loop is what one would
write by hand: the whole padded ``(n, T, 4)`` tensor, shuffled mini-batches of
256, Adam with the Keras-style decay, padding read as data. The estimator adds
input validation, skorch's training loop, the length mask (padding never enters
a state) and length bucketing.

Targets (issue 4): one training epoch within 1.25x of the plain loop;
inference >= 5,000 curves/s and within 1.25x of the plain loop.

Run::

    python benchmarks/bench_bilstm.py            # 16,000 sequences of 100 steps + variable lengths
    python benchmarks/bench_bilstm.py --quick    # 4,000 sequences, fewer repetitions
    python benchmarks/bench_bilstm.py --quick --device cuda   # both sides on the GPU
                                                             # (benchmarks/gpu_check.sh)
"""

import argparse
import time

import numpy as np
import torch
from skorch.helper import SliceDict

from skastro.nn._bilstm import BiLSTMModule
from skastro.periodic import BiLSTMClassifier


def make_data(n, lengths, T, seed=0):
    rng = np.random.default_rng(seed)
    seq = rng.normal(size=(n, T, 4)).astype(np.float32)
    seq[np.arange(T)[None, :] >= lengths[:, None]] = 0.0
    X = SliceDict(sequence=seq, length=lengths.astype(np.int64),
                  period=rng.uniform(0.3, 0.9, (n, 1)).astype(np.float32))
    y = rng.integers(2, size=n)
    return X, y


DEVICE = "cpu"


def _sync():
    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def plain_epoch(X, y, batch_size=256, seed=0):
    """One epoch of a hand-written loop over the padded tensors (no packing), data moved per batch."""
    torch.manual_seed(seed)
    module = BiLSTMModule().to(DEVICE)
    opt = torch.optim.Adam(module.parameters(), lr=0.0015)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1 / (1 + 8e-5 * it))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    seq = torch.from_numpy(X["sequence"])
    period = torch.from_numpy(np.log10(X["period"]))
    target = torch.from_numpy(y.astype(np.float32))
    _sync()
    t0 = time.perf_counter()
    module.train()
    for idx in torch.randperm(len(seq)).split(batch_size):
        opt.zero_grad()
        out = module(seq[idx].to(DEVICE), None, period[idx].to(DEVICE)).reshape(-1)
        loss = loss_fn(out, target[idx].to(DEVICE))
        loss.backward()
        opt.step()
        sched.step()
    _sync()
    return time.perf_counter() - t0, module


def plain_predict(module, X, batch_size=256):
    seq = torch.from_numpy(X["sequence"])
    period = torch.from_numpy(np.log10(X["period"]))
    module.eval()
    t0 = time.perf_counter()
    with torch.inference_mode():
        out = [torch.sigmoid(module(seq[i : i + batch_size].to(DEVICE), None,
                                    period[i : i + batch_size].to(DEVICE)))
               for i in range(0, len(seq), batch_size)]
    torch.cat(out).cpu()
    return time.perf_counter() - t0


def estimator_epoch(X, y, **kw):
    clf = BiLSTMClassifier(max_epochs=1, random_state=0, device=DEVICE, **kw)
    t0 = time.perf_counter()
    clf.fit(X, y)
    return time.perf_counter() - t0, clf


def estimator_predict(clf, X):
    t0 = time.perf_counter()
    clf.predict_proba(X)
    return time.perf_counter() - t0


def run_case(name, X, y, repeats, threads, bucket=True):
    torch.set_num_threads(threads)
    pt, et, pp, ep = [], [], [], []
    for r in range(repeats):
        t, module = plain_epoch(X, y, seed=r)
        pt.append(t)
        t, clf = estimator_epoch(X, y, bucket=bucket)
        et.append(t)
        pp.append(plain_predict(module, X))
        ep.append(estimator_predict(clf, X))
    n = len(X)
    row = {
        "case": name, "threads": threads, "n": n,
        "plain_epoch_s": min(pt), "est_epoch_s": min(et), "epoch_ratio": min(et) / min(pt),
        "plain_pred_per_s": n / min(pp), "est_pred_per_s": n / min(ep), "pred_ratio": min(ep) / min(pp),
    }
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4,000 sequences and 1 repetition")
    parser.add_argument("--n", type=int, default=None, help="sequences per case (default 16,000; quick 4,000)")
    parser.add_argument("--repeats", type=int, default=None, help="alternating repetitions (min is reported)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts to try")
    parser.add_argument("--device", default="cpu", help="torch device of both sides (cpu, cuda)")
    parser.add_argument("--no-unbucketed", action="store_true", help="skip the case without bucketing")
    args = parser.parse_args(argv)
    global DEVICE
    DEVICE = args.device
    n = args.n or (4000 if args.quick else 16000)
    repeats = args.repeats or (1 if args.quick else 2)
    rng = np.random.default_rng(1)
    cases = [
        ("fixed T=100", make_data(n, np.full(n, 100), 100)),
        ("variable 30-300", make_data(n, rng.integers(30, 301, n), 300)),
    ]
    # warm up: imports and first-call allocations stay out of the timings
    Xw, yw = make_data(300, np.full(300, 20), 20)
    estimator_predict(estimator_epoch(Xw, yw)[1], Xw)
    plain_predict(plain_epoch(Xw, yw)[1], Xw)
    rows = []
    for threads in args.threads:
        for name, (X, y) in cases:
            rows.append(run_case(name, X, y, repeats, threads))
            print(_format([rows[-1]], header=len(rows) == 1), flush=True)
        if args.no_unbucketed:
            continue
        # what bucketing buys on variable lengths (the length mask alone, random batches)
        X, y = cases[1][1]
        rows.append(run_case("variable, no bucketing", X, y, 1, threads, bucket=False))
        print(_format([rows[-1]], header=False), flush=True)
    print(f"\ndevice: {DEVICE}; ratios are estimator / plain loop (targets: epoch <= 1.25, inference <= 1.25 and >= 5,000/s)")
    return rows


def _format(rows, header=True):
    cols = ["case", "threads", "n", "plain_epoch_s", "est_epoch_s", "epoch_ratio",
            "plain_pred_per_s", "est_pred_per_s", "pred_ratio"]
    lines = []
    if header:
        lines.append(" | ".join(f"{c:>16}" for c in cols))
    for r in rows:
        lines.append(" | ".join(f"{r[c]:>16.3f}" if isinstance(r[c], float) else f"{r[c]!s:>16}" for c in cols))
    return "\n".join(lines)


if __name__ == "__main__":
    main()

"""LensNet on real OGLE-II photometry (issue 13, item 2c).

``BranchedRNNClassifier`` (LensNet) and the broken-line gradient-boosting
baseline are both trained on the same simulated alerts
(``make_microlensing_alerts``) made OGLE-like with the simulator's own options:
one site, one epoch a night (simulated at ``cadence_hours=6``, weather gaps
included, then thinned to the first epoch of each night: the simulator recurses
without end at cadences longer than a night),
``n_days=60``, and no diagnostics (the preprocessor reads no context column).
They then score the 100 OGLE-II microlensing events and 51 OGLE-II variable
stars, each seen as an alert would be: the last ``--window`` days up to and
including its brightest point, magnitudes turned into fluxes
(``10 ** (-0.4 (I - 25))``; the preprocessor's per-alert normalisation removes
the zero point). ROC AUC with the events positive; the simulated test split's
AUC is printed beside it as the in-domain reference.

Run::

    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data      # sized for ~10 min on 2 free cores (not timed on one)
    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data --n-alerts 3000 --epochs 15  # the guide's figures
    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data --quick
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from skastro import LightCurves
from skastro.datasets import load_ogle2, make_microlensing_alerts
from skastro.microlensing import BranchedRNNClassifier, LensNetPreprocessor, make_broken_line_baseline

SITE = "LCO"
ZERO_POINT = 25.0


def alert_view(lcs, window):
    """Each light curve cut to the ``window`` days up to its brightest point, in flux."""
    times, fluxes, errors = [], [], []
    for i, (a, b) in enumerate(zip(lcs.offsets[:-1], lcs.offsets[1:])):
        t, m, e = lcs.time[a:b], lcs.value[a:b], lcs.error[a:b]
        peak = t[np.argmin(m)]
        sel = (t > peak - window) & (t <= peak)
        flux = 10 ** (-0.4 * (m[sel] - ZERO_POINT))
        times.append(t[sel]), fluxes.append(flux)
        errors.append(flux * 0.4 * np.log(10) * e[sel])
    return LightCurves.from_arrays(times, fluxes, errors, ids=lcs.ids, meta=lcs.meta,
                                   sites=[np.full(t.size, SITE) for t in times],
                                   value_kind="flux")


def simulate(n_alerts, n_days, seed):
    alerts = make_microlensing_alerts(n_alerts, sites=(SITE,), n_days=n_days, cadence_hours=6.0,
                                      missing_site_fraction=0.0, random_state=seed)
    alerts = alerts[alerts.meta["triggered"].to_numpy()]
    # one epoch a night: the first of each (object, night)
    night = np.floor(alerts.time - 0.5).astype(np.int64)
    key = alerts.object_index.astype(np.int64) * 10**6 + night
    first = np.r_[True, key[1:] != key[:-1]]
    alerts = alerts.select_observations(first)
    # no diagnostics: drop the context columns (OGLE-II public photometry has none)
    return LightCurves(alerts.offsets, {"time": alerts.time, "value": alerts.value,
                                        "error": alerts.error,
                                        "site": np.asarray(alerts.column("site"))},
                       meta=alerts.meta, value_kind="flux")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-alerts", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=30, help="at most (early stopping)")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.quick:
        args.n_alerts, args.epochs = 1500, 8
    real = load_ogle2(args.data_dir)
    view = alert_view(real, args.window)
    y_real = real.meta["label"].to_numpy()
    print(f"OGLE-II alert view (last {args.window:g} d up to the brightest point): epochs per "
          f"alert median {np.median(view.lengths[y_real == 1]):.0f} (events), "
          f"{np.median(view.lengths[y_real == 0]):.0f} (variables)")

    t0 = time.perf_counter()
    sim = simulate(args.n_alerts, args.window, args.seed)
    y_sim = (sim.meta["label_binary"] == "Yes/Maybe").to_numpy().astype(int)
    stars = sim.meta["star_id"].to_numpy()
    test_star = np.isin(stars, np.unique(stars)[::5])
    train, test = sim[~test_star], sim[test_star]
    print(f"{len(sim)} triggered simulated alerts ({time.perf_counter() - t0:.0f} s): "
          f"{len(train)} train / {len(test)} test (stars disjoint); epochs median "
          f"{np.median(sim.lengths):.0f}")
    clf = BranchedRNNClassifier(
        preprocessor=LensNetPreprocessor(max_length=200, context=()),
        hidden_size=32, dense_size=32, lr=5e-3, batch_size=32, pooling="last+mean",
        early_stopping=True, validation_fraction=0.1, n_iter_no_change=5,
        max_epochs=args.epochs, n_jobs=args.threads, random_state=args.seed)
    t0 = time.perf_counter()
    clf.fit(train, y_sim[~test_star])
    fit_s = time.perf_counter() - t0
    base = make_broken_line_baseline(args.seed).fit(train, y_sim[~test_star])
    rows = []
    for name, model in (("BranchedRNNClassifier (LensNet)", clf),
                        ("broken-line gradient boosting", base)):
        p_sim = model.predict_proba(test)[:, 1]
        p_real = model.predict_proba(view)[:, 1]
        rows.append({"method": name, "AUC OGLE-II": roc_auc_score(y_real, p_real),
                     "AUC simulated test": roc_auc_score(y_sim[test_star], p_sim),
                     "median p events": np.median(p_real[y_real == 1]),
                     "median p variables": np.median(p_real[y_real == 0])})
    print(f"LensNet fit {fit_s:.0f} s, {len(clf.history_)} epochs\n")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()

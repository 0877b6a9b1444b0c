"""LensNet on real OGLE-II photometry (issue 13, item 2c).

``BranchedRNNClassifier`` (LensNet) and the broken-line gradient-boosting
baseline are both trained on the same simulated alerts of an OGLE-like
single-site survey, ``make_microlensing_alerts(survey="ogle")`` (one site,
at most a visit a night in the bulge season, weather gaps, OGLE's I-band
noise, no diagnostics), "Yes" events against "No" look-alikes (OGLE-II holds
no difference-image "Maybe" class). The simulated alerts are selected as
each real class was (``--selection trigger``, the default): events as an
event search finds them (those that trigger the AlertFinder at ``t_cut``),
variables as a variable-star catalogue holds them (all, triggered or not).
``catalogue`` keeps instead the events whose peak (before or after
``t_cut``) rises at least 10 median errors above the baseline, ``alerts``
only the triggered alerts of both classes (a survey's alert stream), ``all``
every alert. The classes are then balanced by dropping the surplus of the
larger one. As §5.2 of the paper does, only simulated alerts with at least
``--min-valid`` (10) epochs in their view are trained on (0 keeps all); every
real alert is scored: the 100 OGLE-II microlensing events and 51 OGLE-II
variable stars. The selections and ``--min-valid`` scored differently on
OGLE-II (see the real-data guide); the defaults were chosen after seeing
them.

Real and simulated light curves are seen the same way, as an alert would
see them: the last ``--window`` days up to and including the brightest point
(real magnitudes turned into fluxes, ``10 ** (-0.4 (I - 25))``; the
preprocessor's per-alert normalisation removes the zero point), with the
break time estimated by the AlertFinder on that view for both. ROC AUC with
the events positive; the simulated test split's AUC is printed beside it as
the in-domain reference. The real labels are used for scoring only.

Run::

    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data      # 3,000 simulated alerts, up to 30 epochs
    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data --n-alerts 3000 --epochs 15  # the guide's figures
    python benchmarks/bench_real_lensnet.py --data-dir ../shared/data --quick

``--figures DIR`` also saves, from the same run, the ROC curves of both models
on OGLE-II and on the simulated test split (``lensnet_roc.png``), their score
distributions on OGLE-II (``lensnet_scores.png``) and six real alert views
with both scores: per class, the lowest, median and highest LensNet score
(``lensnet_alerts.png``).
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


def to_flux(lcs):
    """Magnitudes to fluxes with their errors, one site."""
    flux = 10 ** (-0.4 * (lcs.value - ZERO_POINT))
    error = flux * 0.4 * np.log(10) * lcs.error
    return LightCurves(lcs.offsets, {"time": lcs.time, "value": flux, "error": error,
                                     "site": np.full(lcs.time.size, SITE)},
                       meta=lcs.meta, value_kind="flux")


def alert_view(lcs, window):
    """Each flux light curve cut to the ``window`` days up to its brightest point."""
    lcs = lcs.select_observations(np.isfinite(lcs.value) & np.isfinite(lcs.error))
    obj = lcs.object_index
    peak = np.empty(len(lcs))
    for i, (a, b) in enumerate(zip(lcs.offsets[:-1], lcs.offsets[1:])):
        peak[i] = lcs.time[a + np.nanargmax(lcs.value[a:b])]
    view = lcs.select_observations((lcs.time > peak[obj] - window) & (lcs.time <= peak[obj]))
    # the break time is estimated on the view, for real and simulated alerts alike
    return view.with_meta(view.meta.drop(columns=["t_break"], errors="ignore"))


def simulate(n_alerts, window, selection, seed):
    """Balanced "Yes"/"No" OGLE-like alerts, selected as ``selection`` says."""
    rng = np.random.default_rng(seed)
    # ~7 % of simulated events trigger at OGLE's noise: draw enough to keep n_alerts
    n_draw = {"all": n_alerts, "catalogue": 2 * n_alerts}.get(selection, 8 * n_alerts)
    alerts = make_microlensing_alerts(n_draw, survey="ogle", n_days=window + 30.0,
                                      class_fractions={"Yes": 0.5, "No": 0.5},
                                      repeat_fraction=0.0, random_state=seed)
    y = (alerts.meta["label"] == "Yes").to_numpy()
    meta = alerts.meta
    triggered = meta["triggered"].to_numpy()
    # the event's peak excess flux (difference flux is 10 ** (-0.4 (I - 28)))
    u0 = meta["u0"].to_numpy()
    a0 = (u0 ** 2 + 2) / (u0 * np.sqrt(u0 ** 2 + 4))
    excess = 10 ** (-0.4 * (meta["I_source"].to_numpy() - 28)) * (a0 - 1)
    error = np.array([np.nanmedian(alerts.error[a:b])
                      for a, b in zip(alerts.offsets[:-1], alerts.offsets[1:])])
    detected = np.nan_to_num(excess) >= 10 * error
    keep = {"all": np.ones_like(y), "alerts": triggered, "trigger": triggered | ~y,
            "catalogue": detected | ~y}[selection]
    alerts, y = alerts[keep], y[keep]
    n_each = min(y.sum(), (~y).sum(), n_alerts // 2)
    keep = np.sort(np.r_[rng.choice(np.flatnonzero(y), n_each, replace=False),
                         rng.choice(np.flatnonzero(~y), n_each, replace=False)])
    return alert_view(alerts[keep], window)


def save_figures(directory, view, y_real, p_real, y_test, p_test, window):
    """ROC curves (OGLE-II, simulated test), real score distributions and six real alert views."""
    import real_figures as rf

    fig, axes = rf.new_figure(2, width=3.9, height=3.6)
    rf.plot_roc(axes[0], y_real, p_real, title=f"OGLE-II: {int(y_real.sum())} events vs "
                                                f"{int((y_real == 0).sum())} variables")
    rf.plot_roc(axes[1], y_test, p_test, title=f"simulated test split ({len(y_test)} alerts)")
    rf.save(fig, directory, "lensnet_roc.png")
    fig, axes = rf.new_figure(len(p_real), width=3.9, height=3.2)
    for ax, (name, p) in zip(axes, p_real.items()):
        rf.plot_score_distributions(ax, y_real, p, ("OGLE-II variables", "OGLE-II events"),
                                    title=name, xlabel="P(event)", bins=np.linspace(0, 1, 21))
    rf.save(fig, directory, "lensnet_scores.png")

    lensnet, other = list(p_real)
    fig, axes = rf.new_figure(6, width=2.6, height=2.1, nrows=2)
    k = 0
    for label, kind in ((1, "event"), (0, "variable")):
        members = np.flatnonzero(y_real == label)
        ranked = members[np.argsort(p_real[lensnet][members], kind="stable")]
        for i in (ranked[0], ranked[len(ranked) // 2], ranked[-1]):
            s = slice(view.offsets[i], view.offsets[i + 1])
            t, flux = view.time[s], view.value[s]
            # back to I magnitudes for reading
            mag = ZERO_POINT - 2.5 * np.log10(flux)
            err = 2.5 / np.log(10) * view.error[s] / flux
            ax = axes[k]
            ax.errorbar(t - t.max(), mag, err, fmt="o", ms=2.5, lw=0.7, color="tab:red")
            ax.invert_yaxis()
            ax.set_xlim(-window, 2)
            ax.set_title(f"{kind} {view.ids[i]}\nLensNet {p_real[lensnet][i]:.2f}, GB "
                         f"{p_real[other][i]:.2f}", fontsize=7)
            ax.tick_params(labelsize=7)
            k += 1
    for ax in axes[3:]:
        ax.set_xlabel("days to the brightest point", fontsize=7)
    for ax in axes[::3]:
        ax.set_ylabel("I (mag)", fontsize=7)
    fig.suptitle(f"real alert views (last {window:g} d); per class the lowest, median and "
                 "highest LensNet score", fontsize=8)
    rf.save(fig, directory, "lensnet_alerts.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-alerts", type=int, default=3000, help="balanced simulated alerts")
    parser.add_argument("--selection", choices=("catalogue", "trigger", "alerts", "all"), default="trigger",
                        help="which simulated alerts to keep (see the module docstring)")
    parser.add_argument("--epochs", type=int, default=30, help="at most (early stopping)")
    parser.add_argument("--min-valid", type=int, default=10,
                        help="train only on simulated alerts with this many clean epochs (§5.2: 10)")
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help="also save PNG figures of this run into this existing folder")
    args = parser.parse_args()
    if args.figures:
        import real_figures

        real_figures.check_directory(args.figures)  # refuse a bad folder before the run
    if args.quick:
        args.n_alerts, args.epochs = 1000, 8
    real = load_ogle2(args.data_dir)
    view = alert_view(to_flux(real), args.window)
    y_real = real.meta["label"].to_numpy()
    print(f"OGLE-II alert view (last {args.window:g} d up to the brightest point): epochs per "
          f"alert median {np.median(view.lengths[y_real == 1]):.0f} (events), "
          f"{np.median(view.lengths[y_real == 0]):.0f} (variables)")

    t0 = time.perf_counter()
    sim = simulate(args.n_alerts, args.window, args.selection, args.seed)
    prep = LensNetPreprocessor(max_length=200, context=())
    if args.min_valid:          # §5.2: train on alerts with >= 10 clean epochs only
        sim = sim[LensNetPreprocessor(min_valid=args.min_valid).valid_mask(sim)]
    y_sim = (sim.meta["label"] == "Yes").to_numpy().astype(int)
    stars = sim.meta["star_id"].to_numpy()
    test_star = np.isin(stars, np.unique(stars)[::5])
    train, test = sim[~test_star], sim[test_star]
    print(f"{len(sim)} simulated alerts ({time.perf_counter() - t0:.0f} s): "
          f"{len(train)} train / {len(test)} test (stars disjoint); epochs median "
          f"{np.median(sim.lengths):.0f}")
    clf = BranchedRNNClassifier(
        preprocessor=prep,
        hidden_size=32, dense_size=32, lr=5e-3, batch_size=32, pooling="last+mean",
        early_stopping=True, validation_fraction=0.1, n_iter_no_change=5,
        max_epochs=args.epochs, n_jobs=args.threads, random_state=args.seed)
    t0 = time.perf_counter()
    clf.fit(train, y_sim[~test_star])
    fit_s = time.perf_counter() - t0
    base = make_broken_line_baseline(args.seed).fit(train, y_sim[~test_star])
    rows, scores_real, scores_test = [], {}, {}
    for name, model in (("BranchedRNNClassifier (LensNet)", clf),
                        ("broken-line gradient boosting", base)):
        p_sim = model.predict_proba(test)[:, 1]
        p_real = model.predict_proba(view)[:, 1]
        short = "LensNet" if model is clf else "GB baseline"
        scores_real[short], scores_test[short] = p_real, p_sim
        rows.append({"method": name, "AUC OGLE-II": roc_auc_score(y_real, p_real),
                     "AUC simulated test": roc_auc_score(y_sim[test_star], p_sim),
                     "median p events": np.median(p_real[y_real == 1]),
                     "median p variables": np.median(p_real[y_real == 0])})
    print(f"LensNet fit {fit_s:.0f} s, {len(clf.history_)} epochs\n")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.figures:
        save_figures(args.figures, view, y_real, scores_real, y_sim[test_star], scores_test,
                     args.window)


if __name__ == "__main__":
    main()

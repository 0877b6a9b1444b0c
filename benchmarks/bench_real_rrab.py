"""Transfer of the RRab classifier from our simulator to the real VVV RRab (issue 13, item 2d).

The pipeline ``PeriodFolder.from_preset("dekany2020") → DualFoldSequencer →
BiLSTMClassifier`` and the random forest on ``FoldFeatures`` are trained on
the same folded simulated set (``make_periodic_variables``; the models of
``skastro.experiments.make_rrab_models``). Both are then applied to the
2,262 real VVV Ks RRab of Dékány & Grebel (2020) (``load_vvv_rrab``: times
rebuilt from phase and catalogue period, so the period search there is
circular; it tests the classifiers on real shapes and noise). Reported:
recall on the real RRab at catalogue S/N > 60, for each model at 0.5 and at
the false-positive rate the network has at 0.5 on the simulated non-RRab of
a held-out 20 % (the forest's threshold set to give the same rate), and at
false-positive rates of 1-10 %; then the shape diagnostics of the real
RRab each model misses at the matched rate against those it finds.

Before training it prints the shape diagnostics that decide the transfer:
the folder's Fourier parameters (R21, R31, phi21, phi31; sine series in
magnitudes) and amplitudes of the real RRab, the simulated RRab and the
simulated non-RRab at S/N > 60 (quartiles). A simulated RRab shape that
differs from the real ones (e.g. phi21 = pi, a sawtooth) shows up here.

Run::

    python benchmarks/bench_real_rrab.py --data-dir ../shared/data           # 6,000 curves
    python benchmarks/bench_real_rrab.py --data-dir ../shared/data --n-objects 4000 --max-epochs 12  # user guide
    python benchmarks/bench_real_rrab.py --data-dir ../shared/data --quick   # 2,000, 6 epochs

``--figures DIR`` also saves, from the same run, each model's recall against
the false-positive rate, on the real RRab at S/N > 60 and on the simulated
test RRab (``rrab_recall_fpr.png``), and a grid of real RRab at S/N > 60
folded at their period, some found and some missed by the network at the
matched rate (``rrab_folded.png``).
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from skastro.datasets import load_vvv_rrab
from skastro.periodic import PeriodFolder
from skastro.experiments import fold_rrab_simulation, make_rrab_models


_FPRS = (0.01, 0.02, 0.04, 0.06, 0.10)  # false-positive rates of the recall curve
_SHAPE_COLUMNS = ("fourier_R21", "fourier_R31", "fourier_phi21", "fourier_phi31", "amplitude")


def shape_diagnostics(groups):
    """Quartiles (25/50/75 %) of the folder's shape parameters for each named meta table."""
    rows = []
    for name, meta in groups.items():
        row = {"set": name, "n": len(meta)}
        for col in _SHAPE_COLUMNS:
            q = np.nanpercentile(meta[col].to_numpy(float), [25, 50, 75]) if len(meta) else [np.nan] * 3
            row[col.replace("fourier_", "")] = f"{q[1]:.2f} ({q[0]:.2f}-{q[2]:.2f})"
        rows.append(row)
    return pd.DataFrame(rows)


def save_figures(directory, real, scores, p_real, high_ok, misses, fpr_net, n_each=4):
    """Recall vs false-positive rate of each model; real RRab the network found and missed.

    ``scores[name]``: the simulated non-RRab and RRab test scores and the real
    scores at S/N > 60; ``p_real[name]``: every real star's score; ``misses``:
    the stars each model misses at the matched rate (the first model: the network).
    """
    import real_figures as rf
    from skastro.periodic import plot_folded

    fprs = np.linspace(0.0, 0.2, 81)
    curves = {}
    for name, (p_neg, p_pos, p_real_high) in scores.items():
        curves[f"{name}, real VVV S/N > 60"] = rf.recall_at_fpr(p_neg, p_real_high, fprs)
        curves[f"{name}, simulated test"] = rf.recall_at_fpr(p_neg, p_pos, fprs)
    fig, (ax,) = rf.new_figure(1, width=5.6, height=3.8)
    rf.plot_recall_vs_fpr(ax, curves, fprs, marks=_FPRS,
                          title=f"dotted: the network's rate at 0.5 ({fpr_net:.1%})")
    ax.axvline(100 * fpr_net, color="k", lw=0.6, ls=":")
    rf.save(fig, directory, "rrab_recall_fpr.png")

    net = next(iter(misses))
    missed, found = np.flatnonzero(misses[net]), np.flatnonzero(high_ok & ~misses[net])
    # evenly spread over each list (catalogue order): a fixed choice, not a random one
    chosen = np.concatenate([a[np.linspace(0, a.size - 1, min(n_each, a.size)).astype(int)]
                             for a in (found, missed) if a.size])
    fig, axes = rf.new_figure(max(1, chosen.size), width=2.5, height=2.1, nrows=2)
    if chosen.size:
        plot_folded(real, list(real.ids[chosen]), phase="max_light", axes=np.array(axes))
    for ax, i in zip(axes, chosen):
        status = "missed" if misses[net][i] else "found"
        ax.set_title(f"{real.ids[i]}: {status}, P = {real.meta['period'].iloc[i]:.3f} d\n"
                     + ", ".join(f"{name.split()[0]} {p[i]:.2f}" for name, p in p_real.items()),
                     fontsize=7)
        ax.set_xlabel(ax.get_xlabel(), fontsize=7)
        ax.set_ylabel("Ks (mag)", fontsize=7)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"real VVV RRab at S/N > 60: {min(n_each, found.size)} found, then "
                 f"{min(n_each, missed.size)} missed by {net} at the matched rate", fontsize=8)
    rf.save(fig, directory, "rrab_folded.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--n-objects", type=int, default=6000)
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help="also save PNG figures of this run into this existing folder")
    args = parser.parse_args()
    if args.figures:
        import real_figures

        real_figures.check_directory(args.figures)  # refuse a bad folder before the long run
    if args.quick:
        args.n_objects, args.max_epochs = 2000, 6

    sim = fold_rrab_simulation(args.n_objects, random_state=args.seed, n_jobs=args.n_jobs)
    labels = sim.meta["label"].to_numpy().astype(str)
    y = (labels == "RRab").astype(int)
    tr, te = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y,
                              random_state=args.seed)
    t0 = time.perf_counter()
    real = PeriodFolder.from_preset("dekany2020", n_jobs=args.n_jobs,
                                    random_state=args.seed).fit_transform(load_vvv_rrab(args.data_dir))
    meta = real.meta
    ok = (meta["fold_status"] == "ok").to_numpy()
    good_p = np.abs(meta["period"] / meta["period_input"] - 1) < 1e-3
    high = (meta["snr_input"] > 60).to_numpy()
    print(f"VVV: {len(real)} RRab folded in {time.perf_counter() - t0:.0f} s; period found "
          f"within 0.1 % of the catalogue's for {good_p.mean():.3f} (circular: times rebuilt "
          f"from it); {high.sum()} at catalogue S/N > 60; folder S/N > 60 for "
          f"{(meta['snr'] > 60).mean():.3f}")

    sim_high = (sim.meta["snr_input"] > 60).to_numpy()
    print("\nshape diagnostics at S/N > 60 (median, quartiles; folder fits, sine series in mag):")
    print(shape_diagnostics({
        "real VVV RRab": meta[high & ok],
        "simulated RRab": sim.meta[sim_high & (y == 1)],
        "simulated non-RRab": sim.meta[sim_high & (y == 0)],
    }).to_string(index=False), flush=True)

    models = make_rrab_models(max_epochs=args.max_epochs, batch_size=64, lr=0.003, max_length=100,
                              n_threads=args.n_jobs, random_state=args.seed)
    rows, fpr_net, misses, curve, scores, p_reals = [], None, {}, {}, {}, {}
    sim_neg = te[y[te] == 0]
    for name in ("BiLSTM P+2P", "RF features"):
        t0 = time.perf_counter()
        model = models[name].fit(sim[tr], y[tr])
        p_neg = model.predict_proba(sim[sim_neg])[:, 1]
        p_pos = model.predict_proba(sim[te[y[te] == 1]])[:, 1]
        p_real = np.full(len(real), 0.0)  # no period: not recognised
        p_real[ok] = model.predict_proba(real[ok])[:, 1]
        if fpr_net is None:
            fpr_net = np.mean(p_neg >= 0.5)
        thr = np.quantile(p_neg, 1 - fpr_net) if fpr_net > 0 else np.nextafter(p_neg.max(), 1)
        thr = max(thr, np.nextafter(0.0, 1))
        curve[name] = {f"{f:.0%}": np.mean(p_real[high] >= np.quantile(p_neg, 1 - f)) for f in _FPRS}
        misses[name] = high & ok & (p_real < thr)
        scores[name], p_reals[name] = (p_neg, p_pos, p_real[high]), p_real
        rows.append({
            "model": name,
            "recall VVV S/N>60 @0.5": np.mean(p_real[high] >= 0.5),
            "recall VVV S/N>60 @matched FPR": np.mean(p_real[high] >= thr),
            "threshold": thr,
            "sim FPR @thr": np.mean(p_neg >= thr),
            "sim recall @thr": np.mean(p_pos >= thr),
            "recall VVV all @0.5": np.mean(p_real >= 0.5),
            "seconds": time.perf_counter() - t0,
        })
        print(f"{name} done in {rows[-1]['seconds']:.0f} s", flush=True)
    print(f"\nsimulated: {len(tr)} train / {len(te)} test ({y.sum()} RRab in all); matched "
          f"false-positive rate on simulated non-RRab: {fpr_net:.4f}")
    pd.set_option("display.width", 200)
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nrecall of the real RRab at S/N > 60, threshold set on the simulated non-RRab "
          "at each false-positive rate:")
    print(pd.DataFrame(curve).T.to_string(float_format=lambda v: f"{v:.3f}"))
    print("\nreal RRab at S/N > 60 missed at the matched rate vs found (median, quartiles):")
    groups = {}
    for name, missed in misses.items():
        groups[f"{name} missed"] = meta[missed]
        groups[f"{name} found"] = meta[high & ok & ~missed]
    table = shape_diagnostics(groups)
    table["period"] = [f"{np.median(g['period']):.3f}" if len(g) else "nan" for g in groups.values()]
    print(table.to_string(index=False))
    if args.figures:
        save_figures(args.figures, real, scores, p_reals, high & ok, misses, fpr_net)


if __name__ == "__main__":
    main()

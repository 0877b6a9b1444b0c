"""LensNet (Viaña et al. 2025): binary and 3-class alert vetting on simulated
KMTNet candidates, Figs. 7 and 9-13 analogues, against the §6 feature baseline."""

import numpy as np

from ..experiments import run_lensnet_experiment
from . import Row

TITLE = "LensNet: branched-RNN vetting of multi-site microlensing alerts (Viaña et al. 2025)"

# the paper figure each written figure reproduces (see skastro.reproduce.figure_index)
FIGURES = {
    "lensnet_fig7_crops.png": "Fig. 7: crops of one alert",
    "lensnet_fig9_learning_binary.png": "Fig. 9: per-class learning curves, binary",
    "lensnet_fig10_learning_3class.png": "Fig. 10: per-class learning curves, 3-class",
    "lensnet_fig11_visibility.png": "Fig. 11: accuracy against the visible part of the alert",
    "lensnet_fig12_threshold.png": "Fig. 12: accuracy against the threshold",
    "lensnet_fig13_confusion.png": "Fig. 13: confusion matrices",
}

# The side-by-side table of ``--paper`` (metric -> Viaña et al. 2025's value).
KEY_BALANCED = "binary mean accuracy @ balanced threshold (test alerts)"
KEY_PURITY = '"No" / "Yes/Maybe" accuracy @ purity threshold'
KEY_3CLASS = "3-class mean accuracy"
KEY_VISIBILITY = "binary mean accuracy at 0% / 100% of the alert visible"
KEY_BASELINE = "gradient-boosting baseline on broken-line features, binary mean accuracy"
KEY_FIGURES = {
    KEY_BALANCED: "0.875 at threshold ~0.45 (§8.3, Fig. 12)",
    KEY_PURITY: "~1.00 / ~0.30 at threshold 0.955 (§8.3)",
    KEY_3CLASS: "0.78 (§8.1)",
    KEY_VISIBILITY: "~0.55-0.60 / ~0.85 (§8.2, Fig. 11)",
    KEY_BASELINE: "n/a",  # the paper trains no feature-based baseline (§1 cites others' forests)
}


def _record_key_figures(ctx, res):
    """This run's values of :data:`KEY_FIGURES` (from a ``run_lensnet_experiment`` result)."""
    ctx.key(KEY_BALANCED, f"{res['lensnet_balanced']:.3f} at {res['thr_balanced']:.2f}")
    ctx.key(KEY_PURITY, f"{res['lensnet_purity_no']:.3f} / {res['lensnet_purity_pos']:.3f} "
                        f"at {res['thr_purity']:.3f}")
    if "lensnet_3class" in res:
        ctx.key(KEY_3CLASS, f"{res['lensnet_3class']:.3f}")
    if "visibility" in res:
        vis = res["visibility"][("binary", "test")]["mean"]
        ctx.key(KEY_VISIBILITY, f"{vis.iloc[0]:.2f} / {vis.iloc[-1]:.2f}")
    ctx.key(KEY_BASELINE, f"{res['baseline_balanced']:.3f}")


def _figures(res, out_dir):
    """Figs. 11-13 analogues."""
    from ..microlensing import plot_confusion_matrices

    plt = _plt()

    paths = []
    # Fig. 12 analogue
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    styles = {"train": ":", "valid": "--", "test": "-"}
    for name, curve in res["curves"].items():
        ls = styles[name]
        ax.plot(curve["threshold"], curve["negative"], ls, color="tab:green", label=f'"No" ({name})')
        ax.plot(curve["threshold"], curve["positive"], ls, color="tab:red",
                label=f'"Yes/Maybe" ({name})')
        ax.plot(curve["threshold"], curve["mean"], ls, color="saddlebrown", label=f"mean ({name})")
    ax.axvline(res["thr_balanced"], color="k", ls="--", lw=0.8,
               label=f"balanced threshold {res['thr_balanced']:.2f}")
    ax.axvline(res["thr_purity"], color="k", ls="-.", lw=0.8,
               label=f"purity threshold {res['thr_purity']:.3f}")
    ax.plot([0.45, 0.955], [0.875, 1.0], "k*", ms=9,
            label="paper: mean 0.875 @ 0.45, \"No\" ~1.00 @ 0.955")
    ax.set(xlabel="threshold on the output neuron", ylabel="accuracy", ylim=(0, 1.02),
           title="Accuracy vs threshold (binary; cf. Fig. 12)")
    ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    paths.append(out_dir / "lensnet_fig12_threshold.png")
    fig.savefig(paths[-1], dpi=120, bbox_inches="tight")
    plt.close(fig)
    # Fig. 11 analogue
    if "visibility" in res:
        tasks = sorted({task for task, _ in res["visibility"]})
        fig, axes = plt.subplots(len(tasks), 2, figsize=(9, 3.2 * len(tasks)), squeeze=False)
        for row, task in zip(axes, tasks):
            for (t, split), table in res["visibility"].items():
                if t != task:
                    continue
                ls = "-" if split == "test" else ":"
                for col in table.columns:
                    if col != "mean":
                        row[0].plot(100 * table.index, table[col], ls, marker="o", ms=3,
                                    label=f"{col} ({split})")
                row[1].plot(100 * table.index, table["mean"], ls, marker="o", ms=3, label=split)
            row[0].set(title=f"{task}: per-class accuracy", xlabel="% of alert visible",
                       ylabel="accuracy", ylim=(0, 1.02))
            row[1].set(title=f"{task}: mean accuracy", xlabel="% of alert visible",
                       ylabel="mean accuracy", ylim=(0, 1.02))
            if task == "binary":
                row[1].errorbar([0, 100], [0.575, 0.85], yerr=[0.025, 0], fmt="k*", ms=8,
                                label="paper (Fig. 11)")
            row[0].legend(fontsize=6)
            row[1].legend(fontsize=7)
        fig.suptitle("Accuracy vs fraction of the alert visible (cf. Fig. 11)")
        fig.tight_layout()
        paths.append(out_dir / "lensnet_fig11_visibility.png")
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    # Fig. 13 analogue
    alerts = res["alerts"]
    te = res["split"][2]
    results = {f"binary @ {res['thr_balanced']:.2f}\nmean accuracy "
               f"{res['lensnet_balanced']:.3f} (paper 0.875)":
               (alerts.meta["label_binary"].to_numpy()[te], res["pred_binary_test"])}
    if "pred_3class_test" in res:
        results[f"3-class\nmean accuracy {res['lensnet_3class']:.3f} (paper 0.78)"] = (
            alerts.meta["label"].to_numpy()[te], res["pred_3class_test"])
    fig = plot_confusion_matrices(results)
    paths.append(out_dir / "lensnet_fig13_confusion.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _fig7(alerts, real, path, random_state):
    """Fig. 7: cropped copies of one alert at one site, the percentages removed; the sites shown."""
    from ..microlensing import augment_crops

    plt = _plt()
    shown = [("simulated KMTNet event (\"Yes\")", alerts, "time (days)",
              "difference flux (1 = I of 28)")]
    if real is not None:
        shown.append(("OGLE-II event (real)", real, "HJD - 2450000 (days)",
                      "flux (1 = I of 25)"))
    n_crops, shown_sites = 5, []
    fig, axes = plt.subplots(n_crops + 1, len(shown), figsize=(5.2 * len(shown), 8.5),
                             sharex="col", squeeze=False)
    for i, (col, (title, alert, xlabel, ylabel)) in enumerate(zip(axes.T, shown)):
        # the trigger's best-sampled site ("all" combinations name sets: "CTIO+SSO")
        sites = np.asarray(alert.column("site"))
        site = max(str(alert.meta["trigger_site"].iloc[0]).split("+"),
                   key=lambda name: int((sites == name).sum()))
        shown_sites.append(site)
        aug, _ = augment_crops(alert, n_crops=n_crops, random_state=random_state + i)
        first, last = aug.time[aug.offsets[0]], aug.time[aug.offsets[1] - 1]
        tb = min(max(float(aug.meta["t_break"].iloc[0]), first), last)
        for k, ax in enumerate(col):
            one = aug[k]
            at = np.asarray(one.column("site")) == site if "site" in one.columns else slice(None)
            left, right = aug.meta["crop_left"].iloc[k], aug.meta["crop_right"].iloc[k]
            ax.axvspan(first, left, color="0.85", lw=0)
            ax.axvspan(right, last, color="0.85", lw=0)
            ax.errorbar(one.time[at], one.value[at], one.error[at], fmt=".", ms=2, lw=0.4,
                        color="tab:blue")
            ax.axvline(tb, color="k", ls="--", lw=0.7)
            ax.axvline(last, color="k", lw=0.7)
            lost_left = 100 * (left - first) / max(tb - first, 1e-9)
            lost_right = 100 * (last - right) / max(last - tb, 1e-9)
            label = ("original" if k == 0 else
                     f"left {lost_left:.0f} % of the history, right {lost_right:.0f} % of the rise cropped")
            ax.set_title(label, fontsize=7, loc="left", pad=2)
            ax.tick_params(labelsize=6)
        col[0].set_title(f"{title}, site {site}\noriginal", fontsize=8, loc="left")
        col[-1].set_xlabel(xlabel)
        col[len(col) // 2].set_ylabel(ylabel)
    fig.suptitle("Crop augmentation (cf. Fig. 7): grey = removed; dashed t_break, solid t_cut",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return shown_sites


def _learning_figure(clf, path, fig_no, paper_epochs, paper_band, paper_weighted=None):
    """Figs. 9-10: weighted and per-class accuracy per epoch, training and validation."""
    plt = _plt()
    hist = clf.history_
    epochs = np.asarray(hist[:, "epoch"])
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(9, 4.4), width_ratios=(3, 1.2))
    names = ["weighted"] + [f'"{c}"' for c in clf.classes_]
    palette = {'"No"': "tab:green", '"Yes/Maybe"': "tab:red", '"Yes"': "tab:red",
               '"Maybe"': "tab:orange", "weighted": "k"}
    # the paper's inset: the last sixth (Fig. 9) or fifth (Fig. 10) of the epochs
    tail = epochs >= epochs[-1] - max(len(epochs) // 6, 2)
    for split, ls, tag in (("train", "-", "Tr."), ("valid", "--", "Vl.")):
        if f"{split}_class_acc" not in hist[-1]:
            continue
        acc = np.array(hist[:, f"{split}_class_acc"], dtype=float)
        for name, curve in zip(names, [np.nanmean(acc, axis=1), *acc.T]):
            style = dict(color=palette.get(name, None), lw=1.8 if name == "weighted" else 1)
            ax.plot(epochs, curve, ls, label=f"{name} ({tag})", **style)
            zoom.plot(epochs[tail], curve[tail], ls, **style)
    for a in (ax, zoom):
        a.axhspan(*paper_band, color="gold", alpha=0.2)
        if paper_weighted is not None:
            a.axhline(paper_weighted, color="k", ls="-.", lw=0.8)
    ax.axhspan(0, 0, color="gold", alpha=0.2,
               label=f"paper: final epochs in {paper_band[0]:.0%}-{paper_band[1]:.0%} "
                     f"(its inset, of {paper_epochs:,} epochs)")
    if paper_weighted is not None:
        ax.plot([], [], "k-.", lw=0.8, label=f"paper: weighted plateau ~{paper_weighted:.0%}")
    stop = dict(clf.net_.callbacks_).get("early_stopping")
    if stop is not None:
        for a in (ax, zoom):
            a.axvline(stop.best_epoch_, color="0.4", ls=":", lw=1)
        ax.plot([], [], ":", color="0.4", label=f"epoch kept (early stopping): {stop.best_epoch_}")
    ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02),
           title=f"Learning curves, {len(clf.classes_)} classes (cf. Fig. {fig_no})")
    zoom.set(xlabel="epoch", title="last epochs (the paper's inset)")
    zoom.title.set_fontsize(8)
    zoom.set_xlim(epochs[tail][0] - 0.3, epochs[-1] + 0.3)
    ax.legend(fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.7, -0.13),
              title="per-class accuracy; weighted = their mean (the accuracy under balanced "
                    "class weights); Tr. over the cropped training instances", title_fontsize=6)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _real_event(data_dir, log, window=60.0):
    """The OGLE-II event with the most epochs in its 60 days up to the peak, as a flux alert."""
    from .. import LightCurves
    from ..datasets import load_ogle2
    from ..microlensing import AlertFinder

    try:
        real = load_ogle2(data_dir)
    except FileNotFoundError as exc:
        log(f"Fig. 7 without real data: {exc}")
        return None
    real = real[real.meta["label"].to_numpy() == 1]
    views = []
    for i in range(len(real)):
        t, mag, err = real[i].time, real[i].value, real[i].error
        ok = np.isfinite(mag) & np.isfinite(err)
        peak = t[ok][np.argmin(mag[ok])]
        views.append(ok & (t > peak - window) & (t <= peak))
    best = int(np.argmax([v.sum() for v in views]))
    one, keep = real[best], views[best]
    flux = 10 ** (-0.4 * (one.value[keep] - 25.0))   # zero point 25: a flux of ~1 at I = 25
    alert = LightCurves.from_arrays([one.time[keep]], [flux],
                                    [flux * 0.4 * np.log(10) * one.error[keep]],
                                    sites=[np.full(keep.sum(), "LCO")], meta=one.meta,
                                    value_kind="flux")
    return AlertFinder().fit_transform(alert)     # its t_break, as the survey would find it


def run(ctx):
    """Main-job section: train on simulated candidates, report Figs. 7 and 9-13 analogues."""
    # full: the benchmark's scale, ~9,700 training alerts; default:
    # ~2,900 to stay within the time budget (LensNet needs thousands; issue 5 note)
    kwargs = dict(n_alerts=20000, n_days=15.0, max_epochs=40, n_crops=1, max_length=200) \
        if ctx.full else dict(n_alerts=6000, n_days=15.0, max_epochs=25, n_crops=1,
                              max_length=200)
    res = run_lensnet_experiment(random_state=ctx.random_state, log=ctx.log, paper=ctx.paper,
                                 **kwargs)
    _record_key_figures(ctx, res)
    paths = _figures(res, ctx.out_dir)
    alerts, meta = res["alerts"], res["alerts"].meta
    # a clear single-lens event: the strongest trigger among the better-sampled quarter
    yes = np.flatnonzero((meta["kind"] == "pspl").to_numpy() & meta["triggered"].to_numpy())
    yes = yes[alerts.lengths[yes] >= np.quantile(alerts.lengths[yes], 0.75)]
    example = alerts[[int(yes[np.argmax(meta["delta_chi2"].to_numpy()[yes])])]]
    real = None if ctx.data_dir is None else _real_event(ctx.data_dir, ctx.log)
    paths.append(ctx.out_dir / "lensnet_fig7_crops.png")
    _fig7(example, real, paths[-1], ctx.random_state)
    paths.append(ctx.out_dir / "lensnet_fig9_learning_binary.png")
    _learning_figure(res["binary_model"], paths[-1], 9, 3000, (0.75, 0.90))
    if "multiclass_model" in res:
        paths.append(ctx.out_dir / "lensnet_fig10_learning_3class.png")
        _learning_figure(res["multiclass_model"], paths[-1], 10, 5000, (0.65, 0.85), 0.80)
    ctx.log("figures: " + ", ".join(p.name for p in paths))
    n = f"{res['n_test']} simulated test alerts, stars unseen in training"
    clf = res["binary_model"]
    if ctx.paper:
        config = ("viana2025: AlertFinder over every combination of sites, "
                  "global standardisation, 1,500 epochs per alert, Table 1 crops "
                  "(5.97/6.22/5.89 instances per Yes/Maybe/No), last-state pooling; CPU budget "
                  f"kept: lr {clf.lr:g}, batches {clf.batch_size}, <= {clf.max_epochs} epochs "
                  "with early stopping (paper: 1e-6, 2,048, 3,000)")
    else:
        config = ("AlertFinder per site, per-alert flux scale, 200 epochs "
                  f"per site, {clf.n_crops} crop per alert, last+mean pooling, lr {clf.lr:g}, "
                  f"batches {clf.batch_size}, <= {clf.max_epochs} epochs with early stopping")
    rows = [
        Row("configuration", "paper presets" if ctx.paper else "skastro defaults", "", config),
        Row("binary mean accuracy @ balanced threshold", f"{res['lensnet_balanced']:.3f}",
            "0.875", f"threshold {res['thr_balanced']:.2f} from validation (paper ~0.45); {n}"),
        Row('"No" accuracy @ purity threshold', f"{res['lensnet_purity_no']:.3f}", "~1.00",
            f"threshold {res['thr_purity']:.3f} from validation (paper 0.955)"),
        Row('"Yes/Maybe" accuracy @ purity threshold', f"{res['lensnet_purity_pos']:.3f}",
            "~0.30", ""),
        Row('"No" / "Yes/Maybe" accuracy @ 95 %-confidence purity threshold',
            f"{res['lensnet_purity_conf_no']:.3f} / {res['lensnet_purity_conf_pos']:.3f}",
            "~1.00 / ~0.30", f"threshold {res['thr_purity_conf']:.3f}: lower bound of the "
            "validation \"No\" accuracy ≥ 0.99"),
        Row("3-class mean accuracy", f"{res['lensnet_3class']:.3f}", "0.78",
            ", ".join(f"{k} {v:.2f}" for k, v in res["lensnet_3class_per_class"].items()
                      if k != "mean")),
        Row("GB baseline on broken-line features (binary)", f"{res['baseline_balanced']:.3f}",
            "", "same alerts and split; the paper trains no baseline"),
        Row("GB baseline (3-class)", f"{res['baseline_3class']:.3f}", "", ""),
    ]
    if "visibility" in res:
        vis = res["visibility"][("binary", "test")]["mean"]
        rows.append(Row("binary mean accuracy at 0% / 100% of the alert visible",
                        f"{vis.iloc[0]:.2f} / {vis.iloc[-1]:.2f}", "~0.55-0.60 / ~0.85",
                        "Fig. 11 analogue"))
    for name, model, paper in (("binary", clf, "0.75-0.90 (inset, epochs 2,500-3,000)"),
                               ("3-class", res.get("multiclass_model"),
                                "~0.80 (plateau from ~2,000 of 5,000 epochs)")):
        if model is not None and "valid_class_acc" in model.history_[-1]:
            kept = dict(model.net_.callbacks_)["early_stopping"].best_epoch_
            acc = np.nanmean(model.history_[kept - 1, "valid_class_acc"])
            rows.append(Row(f"{name} weighted validation accuracy at the kept epoch",
                            f"{acc:.3f} (epoch {kept} of {len(model.history_)})", paper,
                            f"Fig. {9 if name == 'binary' else 10} analogue; weighted = mean "
                            "per-class accuracy"))
    rows.append(Row("figures", ", ".join(p.name for p in paths), "Figs. 7, 9-13",
                    "Fig. 7 also shows a real OGLE-II event" if real is not None else
                    "Fig. 7 on a simulated alert (--data-dir adds a real OGLE-II event)"))
    return rows

"""Main-job section: Dékány & Grebel (2020) - period folding (and the RRab classifier).

``run(ctx)`` returns the rows of :func:`_folding` (period search, robust fit,
binning and the dual fold of §3.2 on a simulated VVV-like sample, plus the
PLAsTiCC RR Lyrae when real data is given) followed by those of
``_classifier(ctx)`` when that function exists (the BiLSTM study of §3.4-3.5).
With ``ctx.paper`` (``skastro reproduce --paper``) the components come from
their ``from_preset("dekany2020")`` and the study follows the paper's
protocol; each row names its configuration.
"""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import Row

TITLE = "Dékány & Grebel 2020: period folding and the RRab classifier"


# the folder configuration of the folding rows (see _folding)
PRESET = "PeriodFolder.from_preset('dekany2020')"


def _config(ctx):
    return "paper presets" if ctx.paper else "skastro defaults"


def recovered(found, true, labels, tol=1e-4):
    """Found period equals the true one, or half of it for binaries/ellipsoidals."""
    found, true = np.asarray(found, float), np.asarray(true, float)
    exact = np.abs(found - true) / true < tol
    alias = ~np.isin(np.asarray(labels), ["RRab", "RRc"]) & (np.abs(found - true / 2) / (true / 2) < tol)
    return exact | alias


def run(ctx):
    rows = list(_folding(ctx))
    classifier = globals().get("_classifier")
    if classifier is not None:
        rows += list(classifier(ctx))
    return rows


def _folding(ctx):
    from ..datasets import make_periodic_variables
    from ..periodic import DualFoldSequencer, PeriodFolder, quality_mask

    n = 3000 if ctx.full else 400
    lcs = make_periodic_variables(n, n_epochs=100, random_state=ctx.random_state)
    ctx.log(f"folding {lcs!r}")
    rows = []
    results = {}
    # the study folds with the paper's preset in both configurations (the defaults' alias
    # check would cost ~5x the time; the period-folding guide compares them)
    for name, kw in ((PRESET, {}), (f"{PRESET} with nterms=3", {"nterms": 3})):
        folder = PeriodFolder.from_preset("dekany2020", n_jobs=2, random_state=ctx.random_state, **kw)
        start = time.perf_counter()
        folded = folder.fit_transform(lcs)
        seconds = time.perf_counter() - start
        results[name] = folded
        meta = folded.meta
        ok = recovered(meta["period"], meta["period_input"], meta["label"])
        hi = meta["snr_input"].to_numpy() > 60
        per_class = pd.Series(ok[hi]).groupby(meta["label"].to_numpy()[hi]).mean()
        rows.append(Row(
            f"period recovered, S/N > 60 (|dP|/P < 1e-4; P/2 counts for binaries), {name}",
            f"{ok[hi].mean():.3f} of {hi.sum()}",
            "OGLE vs VVV |dP| ~ 1e-5-1e-6 d for all but a tiny fraction (§4, Fig. 9)",
            ", ".join(f"{k} {v:.2f}" for k, v in per_class.items()),
        ))
        rows.append(Row(f"PeriodFolder throughput, {name} (2 jobs, shared machine)",
                        f"{len(lcs) / seconds:.0f} curves/s",
                        "~10^5 VVV light curves processed", f"{lcs.lengths.mean():.0f} measurements each"))
    folded = results[PRESET]
    meta = folded.meta
    rrab = (meta["label"] == "RRab").to_numpy()
    dp = np.abs(meta["period"] - meta["period_input"]).to_numpy()[rrab & (meta["snr_input"] > 60).to_numpy()]
    rows.append(Row("RRab |dP| (days), median / 95th percentile, S/N > 60",
                    f"{np.median(dp):.1e} / {np.percentile(dp, 95):.1e}", "~1e-5-1e-6 (Fig. 9)"))
    rows.append(Row("binned epochs = simulated epochs (3-minute window)",
                    f"{np.mean(meta['n_epochs'] == meta['n_epochs_input']):.3f}",
                    "1-6 pawprints -> one point per epoch (§3.2)"))
    paper_counts = {"training": "15,964 RRab + 22,288 non-RRab (training)",
                    "test": "4,876 RRab + 7,853 non-RRab (test)", "target": "~10^5 target light curves"}
    for preset, eqs in (("training", "Eqs. 14-19"), ("test", "§3.5"), ("target", "Eqs. 24-30")):
        mask = quality_mask(folded, preset)
        rows.append(Row(f"pass the {preset} cuts ({eqs})", f"{mask.mean():.2f} of the sample",
                        paper_counts[preset]))
    sequencer = DualFoldSequencer.from_preset("dekany2020") if ctx.paper else DualFoldSequencer()
    seq = sequencer.fit_transform(folded[quality_mask(folded, "target")])
    rows.append(Row(f"DualFoldSequencer output (target cuts) [{_config(ctx)}]",
                    f"sequence {seq['sequence'].shape}, lengths {seq['length'].min()}-{seq['length'].max()}",
                    "{m, phi_P, m', phi_2P} + P (§3.2, Fig. 5)"))
    path = ctx.out_dir / "periodic_fig3_eclipsing_binary.png"
    _figure3(folded, path)
    rows.append(Row("figure like Fig. 3 (a binary folded at P and 2P)", path.name, "Fig. 3"))
    if ctx.data_dir is not None:
        rows += _plasticc(ctx)
    return rows


def _figure3(folded, path):
    """An eclipsing binary found at half its period, folded at P and at 2P."""
    meta = folded.meta
    cand = meta[(meta["label"].isin(["ESD", "EC"])) & (meta["fold_status"] == "ok")
                & (np.abs(meta["period"] - meta["period_input"] / 2) / meta["period"] < 1e-3)]
    if len(cand) == 0:
        cand = meta[meta["fold_status"] == "ok"]
    # the clearest one: high S/N and the most different minima in the two halves of the 2P fold
    cand = cand.sort_values("snr", ascending=False).iloc[:40]
    best, best_score = cand.index[0], -np.inf
    for obj in cand.index:
        lc = folded[folded.ids.get_loc(obj)]
        keep = ~lc.column("outlier")
        ph, m = lc.column("phase_2p")[keep], lc.column("value_centered")[keep]
        first, second = m[ph < 0.5], m[ph >= 0.5]
        if first.size < 10 or second.size < 10:
            continue
        depth = abs(np.percentile(first, 95) - np.percentile(second, 95))
        score = depth / max(float(meta.loc[obj, "amplitude"]), 1e-3)
        if score > best_score:
            best, best_score = obj, score
    pos = folded.ids.get_loc(best)
    lc = folded[pos]
    keep = ~lc.column("outlier")
    m = lc.column("value_centered")[keep]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, col, label in ((axes[0], "phase", "P"), (axes[1], "phase_2p", "2P")):
        ph = lc.column(col)[keep]
        ax.scatter(np.r_[ph, ph + 1], np.r_[m, m], s=6, color="k")
        ax.set_xlabel(rf"$\phi_{{{label}}}$")
        ax.set_title(f"folded at {label} = {lc.meta['period'].iloc[0] * (1 if label == 'P' else 2):.5f} d")
    axes[0].set_ylabel(r"$K_s - \langle K_s \rangle$ [mag]")
    axes[0].invert_yaxis()
    fig.suptitle(f"simulated {lc.meta['label'].iloc[0]} (true period "
                 f"{lc.meta['period_input'].iloc[0]:.5f} d), cf. Dékány & Grebel 2020 Fig. 3")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plasticc(ctx):
    from ..datasets import load_plasticc
    from ..periodic import PeriodFolder

    lcs = load_plasticc(ctx.data_dir, classes=[92])
    codes = lcs.codes("band")
    periods = {}
    for b in ("g", "r", "i"):
        has = np.bincount(lcs.object_index[codes == lcs.bands.index(b)], minlength=len(lcs)) > 0
        sub = lcs[has]
        out = PeriodFolder(period_range=(0.1, 10.0), oversampling=5, band=b, n_jobs=2,
                           random_state=ctx.random_state).fit_transform(sub)
        periods[b] = pd.Series(out.meta["period"].to_numpy(), index=sub.ids).reindex(lcs.ids)
    table = pd.DataFrame(periods)
    multi = PeriodFolder(period_range=(0.1, 10.0), oversampling=5, multiband=True, n_jobs=2,
                         random_state=ctx.random_state).fit_transform(lcs).meta["period"].to_numpy()
    both = table[["g", "r"]].dropna()
    agree = np.mean(np.abs(both["g"] - both["r"]) / both["r"] < 1e-2)
    in_rr = np.mean((multi >= 0.2) & (multi <= 1.0))
    return [
        Row("PLAsTiCC RR Lyrae (class 92): g and r periods agree within 1%", f"{agree:.2f}",
            "", f"{len(lcs)} objects, LSST cadence, {lcs.lengths.mean():.0f} obs over 6 bands"),
        Row("PLAsTiCC RR Lyrae: multi-band period in 0.2-1.0 d (search 0.1-10 d)", f"{in_rr:.2f}"),
    ]


# The paper's protocol (§3.4-3.5) under ``--paper``: a 25 % stratified held-out test set,
# label cleaning of the training part (3 rounds), a final refit; 0.5 % of the training RRab
# planted as non-RRab, about the paper's 79 wrong labels in ~16,000 RRab.
PAPER_PROTOCOL = dict(bilstm_preset="dekany2020", test_size=0.25, clean_labels=True, label_noise=0.005)


def _classifier(ctx, scale=None):
    """The BiLSTM RRab classifier (§3.4-3.5): CV against a random forest, and the 2P ablation.

    skastro's defaults: out-of-fold metrics over all the curves. ``ctx.paper``:
    the networks and sequencers from their ``"dekany2020"`` presets and the
    paper's protocol (:data:`PAPER_PROTOCOL`). ``scale`` overrides the sizes
    (tests).
    """
    from ..experiments import run_rrab_plasticc, run_rrab_study

    if scale is None and ctx.full:   # the study of the BiLSTM user guide (~50 min on 2 cores)
        scale = dict(n_objects=12000, max_epochs=60, batch_size=64, n_splits=5, n_jobs_cv=2)
    elif scale is None:
        scale = dict(n_objects=800, max_epochs=20, batch_size=32, n_splits=3, max_length=60,
                     n_jobs_cv=2)
    scale = {"lr": 0.003, "rf_trees": 200, **scale}
    protocol = PAPER_PROTOCOL if ctx.paper else {}
    config = _config(ctx)
    result = run_rrab_study(random_state=ctx.random_state, out_dir=ctx.out_dir, log=ctx.log,
                            **protocol, **scale)
    m = result["models"]
    net, ablation, rf = m["BiLSTM P+2P"], m["BiLSTM P only"], m["RF features"]
    s = result["scale"]
    cv = "CV on the training part" if ctx.paper else "CV"
    note = (f"{s['n_folded_ok']} simulated curves, {s['n_splits']}-fold {cv}, {s['max_epochs']} epochs, "
            f"lr {s['lr']}, batch {s['batch_size']} (paper: 38,252 curves, 300 epochs)")
    rows = [
        Row(f"BiLSTM RRab-vs-rest F1, S/N > 60 ({cv}) [{config}]", f"{net['snr>60']['f1']:.3f}", "0.988", note),
        Row(f"BiLSTM accuracy / precision / recall, S/N > 60 ({cv}) [{config}]",
            f"{net['snr>60']['accuracy']:.3f} / {net['snr>60']['precision']:.3f} / {net['snr>60']['recall']:.3f}",
            "0.990 / 0.985 / 0.992"),
        Row(f"random forest on PeriodFolder features F1, S/N > 60 (same folds) [{config}]",
            f"{rf['snr>60']['f1']:.3f}", "below the RNN", "baseline"),
        Row(f"BiLSTM ROC AUC / average precision, S/N > 60 ({cv}) [{config}]",
            f"{net['roc_auc_snr>60']:.3f} / {net['ap_snr>60']:.3f}", "0.996 / 0.999 (test set)"),
        Row(f"eclipsing binaries (EC+ESD) called RRab: with 2P fold / P only ({cv}) [{config}]",
            f"{net['eb_called_rrab']:.3f} / {ablation['eb_called_rrab']:.3f}", "2P fold removes the confusion",
            f"P-only F1 (S/N > 60) {ablation['snr>60']['f1']:.3f}"),
    ]
    if ctx.paper:
        t, c = result["test"], result["cleaning"]
        tn, trf = t["BiLSTM P+2P"], t["RF features"]
        rows += [
            Row(f"label cleaning of the training part (§3.4) [{config}]",
                f"{c['n_removed']} removed in {c['n_iter']} rounds {c['removed_per_iteration']}; "
                f"{c['planted_removed']} of {c['n_planted']} planted wrong labels",
                "79 removed in 3 rounds (by eye)",
                f"correct labels removed: {c['correct_labels_removed_by_class'] or 'none'}"),
            Row(f"final BiLSTM on the held-out test set, S/N > 60: accuracy / precision / recall / F1 "
                f"[{config}]",
                " / ".join(f"{tn['snr>60'][k]:.3f}" for k in ("accuracy", "precision", "recall", "f1")),
                "0.983 / 0.986 / 0.992 / 0.989 (Table 2, test)",
                f"{s['n_test']} test curves ({tn['snr>60']['n']} at S/N > 60), refit on "
                f"{s['n_train_kept']} cleaned training curves"),
            Row(f"final BiLSTM test ROC AUC / AP, S/N > 60 [{config}]",
                f"{tn['roc_auc_snr>60']:.3f} / {tn['ap_snr>60']:.3f}", "0.996 / 0.999 (§3.5)"),
            Row(f"final random forest on the test set, F1 at S/N > 60 [{config}]",
                f"{trf['snr>60']['f1']:.3f}", "", "baseline"),
        ]
    if ctx.data_dir is not None:
        pl = run_rrab_plasticc(ctx.data_dir, band="r", max_epochs=scale["max_epochs"],
                               batch_size=scale["batch_size"], lr=scale["lr"],
                               n_splits=scale["n_splits"], rf_trees=scale["rf_trees"],
                               random_state=ctx.random_state, log=ctx.log)
        rows.append(Row("PLAsTiCC RR Lyrae vs EB + Mira, r band, F1: BiLSTM / RF [skastro defaults]",
                        f"{pl['models']['BiLSTM P+2P']['f1']:.3f} / {pl['models']['RF features']['f1']:.3f}",
                        "", f"{pl['n_objects']} objects, {pl['n_rrl']} RR Lyrae, CV"))
    return rows

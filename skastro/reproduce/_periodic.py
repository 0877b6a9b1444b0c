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

# the paper figure each written figure reproduces (see skastro.reproduce.figure_index)
FIGURES = {
    "periodic_fig2_regression.png": "Fig. 2: rejected, kept and binned measurements with the fit",
    "periodic_fig3_eclipsing_binary.png": "Fig. 3: an eclipsing binary folded at P and 2P",
    "bilstm_fig6_learning_curves.png": "Fig. 6: learning curves",
    "bilstm_fig7_cumulative_snr.png": "Fig. 7: cumulative S/N distributions",
    "bilstm_fig8_roc_pr.png": "Fig. 8: ROC and precision-recall curves",
    "periodic_fig9_period_differences.png": "Fig. 9: period differences of the selected RRab",
    "periodic_fig10_binaries_called_rrab.png": "Fig. 10: binaries most often called RRab",
}


# the folder configuration of the folding rows (see _folding)
PRESET = "PeriodFolder.from_preset('dekany2020')"

# The side-by-side table of ``--paper`` (metric -> Dékány & Grebel 2020's value). Only the
# BiLSTM study depends on the configuration: the folding uses the paper's preset in both.
KEY_CV_F1 = "BiLSTM RRab-vs-rest F1 (cross-validation; ours at S/N > 60)"
KEY_CV_APR = "BiLSTM accuracy / precision / recall (cross-validation; ours at S/N > 60)"
KEY_AUC = "BiLSTM ROC AUC / average precision, S/N > 60 (ours out-of-fold)"
KEY_TEST = "final BiLSTM on a held-out test set, S/N > 60: accuracy / precision / recall / F1"
KEY_CLEANING = "label cleaning of the training set"
KEY_RF = "random forest on PeriodFolder features, F1 at S/N > 60 (same folds)"
KEY_EB = "eclipsing binaries (EC+ESD) called RRab: with 2P fold / P only"
KEY_FIGURES = {
    KEY_CV_F1: "0.988 (§3.5, Table 2, CV)",
    KEY_CV_APR: "0.990 / 0.985 / 0.992 (§3.5, Table 2, CV)",
    KEY_AUC: "0.996 / 0.999 (§3.5, Fig. 8; on the test set)",
    KEY_TEST: "0.983 / 0.986 / 0.992 / 0.989 (§3.5, Table 2, test)",
    KEY_CLEANING: "79 removed in 3 rounds (§3.4)",
    KEY_RF: "n/a",  # §3.5 says only that the RNN supersedes the Elorrieta et al. (2016) forest
    KEY_EB: "n/a",  # §3.2 argues the 2P fold qualitatively; §4's 173 binaries (~2 % FDR) are a census
}


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
            f"period recovered, S/N > 60 (abs(dP)/P < 1e-4; P/2 counts for binaries), {name}",
            f"{ok[hi].mean():.3f} of {hi.sum()}",
            "OGLE vs VVV abs(dP) ~ 1e-5-1e-6 d for all but a tiny fraction (§4, Fig. 9)",
            ", ".join(f"{k} {v:.2f}" for k, v in per_class.items()),
        ))
        rows.append(Row(f"PeriodFolder throughput, {name} (2 jobs, shared machine)",
                        f"{len(lcs) / seconds:.0f} curves/s",
                        "~10^5 VVV light curves processed", f"{lcs.lengths.mean():.0f} measurements each"))
    folded = results[PRESET]
    meta = folded.meta
    rrab = (meta["label"] == "RRab").to_numpy()
    dp = np.abs(meta["period"] - meta["period_input"]).to_numpy()[rrab & (meta["snr_input"] > 60).to_numpy()]
    rows.append(Row("RRab abs(dP) (days), median / 95th percentile, S/N > 60",
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
    path = ctx.out_dir / "periodic_fig2_regression.png"
    rows.append(Row("figure like Fig. 2 (the regression: rejected, kept and binned points, fit)",
                    path.name, "Fig. 2", _figure2(lcs, folded, path, ctx)))
    path = ctx.out_dir / "periodic_fig3_eclipsing_binary.png"
    _figure3(folded, path)
    rows.append(Row("figure like Fig. 3 (a binary folded at P and 2P)", path.name, "Fig. 3"))
    path = ctx.out_dir / "periodic_fig9_period_differences.png"
    rows.append(Row("figure like Fig. 9 (histogram of abs(P - P_true) of the RRab, target cuts without the period cut)",
                    path.name, "Fig. 9: ~1e-5-1e-6 d for all but a tiny fraction", _figure9(folded, path)))
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


def _measurement_verdicts(raw, period, random_state):
    """Which measurements of one light curve the robust fit rejects at ``period``: the
    preset's fit again, each measurement its own epoch (the folded output flags epochs,
    not measurements)."""
    from ..periodic import PeriodFolder

    one = raw.with_meta(period_found=[period])
    out = PeriodFolder.from_preset("dekany2020", bin_window=0.0, period_column="period_found",
                                   random_state=random_state).fit_transform(one)
    # the nearest output epoch of each measurement (a binned time is a weighted mean: it
    # may differ from the measurement's in the last bit)
    t = out.time
    pos = np.clip(np.searchsorted(t, raw.time), 1, len(t) - 1)
    pos -= (raw.time - t[pos - 1]) < (t[pos] - raw.time)
    return out.column("outlier")[pos]


def _regression_panel(ax, raw, rejected, lc, at_2p=False, binned=True):
    """One panel in the notation of Fig. 2: measurements the robust fit rejected (red),
    those it kept (black), the binned epochs (green) and the Fourier fit (red curve),
    folded at P (or 2P) with the output's phase alignment (Eq. 13), over two cycles."""
    meta = lc.meta.iloc[0]
    P, K, mean = float(meta["period"]), int(meta["fourier_order"]), float(meta["mean_mag"])
    col, scale = ("phase_2p", 2.0) if at_2p else ("phase", 1.0)
    # the output's phase is mod(T / (scale P) + c, 1) with one constant c per curve
    c = np.mod(lc.column(col)[0] - lc.time[0] / (scale * P), 1.0)
    ph = np.mod(raw.time / (scale * P) + c, 1.0)
    m = raw.value - mean
    # the order-K Fourier series of the kept measurements (weighted), drawn on a fine grid
    ph_p = np.mod(ph * scale, 1.0)
    k = np.arange(1, K + 1)

    def design(x):
        return np.column_stack([np.ones_like(x), np.sin(2 * np.pi * np.outer(x, k)),
                                np.cos(2 * np.pi * np.outer(x, k))])

    w = 1.0 / raw.error[~rejected]
    coef = np.linalg.lstsq(design(ph_p[~rejected]) * w[:, None], m[~rejected] * w, rcond=None)[0]
    # the axis spans the kept points (a 2 mag blend would flatten the light curve)
    lo, hi = np.percentile(m[~rejected], [0, 100]) if (~rejected).any() else (-1.0, 1.0)
    pad = max(0.4 * (hi - lo), 0.05)
    lo, hi = lo - pad, hi + pad
    off = rejected & ((m < lo) | (m > hi))
    m = np.clip(m, lo, hi)  # rejected points beyond the axis sit on its edge
    grid = np.linspace(0, 2, 400)
    ax.plot(grid, design(np.mod(grid * scale, 1.0)) @ coef, color="red", lw=1.2,
            label=f"Fourier fit, order {K}")
    for shift in (0, 1):
        ax.scatter(ph[rejected] + shift, m[rejected], s=10, color="red", marker="x",
                   label=(f"rejected ({off.sum()} beyond the axis, on its edge)" if off.any() else "rejected")
                   if shift == 0 else None)
        ax.scatter(ph[~rejected] + shift, m[~rejected], s=5, color="k",
                   label=("kept" if binned else "kept (published binned epochs)") if shift == 0 else None)
        if binned:
            keep = ~lc.column("outlier")
            ax.scatter(lc.column(col)[keep] + shift, lc.column("value_centered")[keep], s=14,
                       facecolor="none", edgecolor="tab:green", lw=0.9,
                       label="binned per epoch" if shift == 0 else None)
    ax.set_xlabel(r"$\phi_{2P}$" if at_2p else r"$\phi_P$")
    ax.set_xlim(0, 2)
    ax.set_ylim(lo, hi)


def _figure2(lcs, folded, path, ctx):
    """Fig. 2: an RRab star's regression - measurements rejected and kept, the binned
    epochs and the Fourier fit - on a simulated curve; with ``ctx.data_dir`` a real VVV
    star beside it (its files hold binned epochs only). Returns the note of its row."""
    meta = folded.meta
    rrab = meta[(meta["label"] == "RRab") & (meta["fold_status"] == "ok")]
    # a typical training-set star (S/N 60-200, Eq. 14), nearest S/N 100, with a few rejections
    rrab = rrab.loc[(rrab["snr"] - 100).abs().sort_values().index]
    best, best_rejected = rrab.index[0], None
    for obj in rrab.index[:30]:
        raw = lcs[lcs.ids.get_loc(obj)]
        rejected = _measurement_verdicts(raw, meta.loc[obj, "period"], ctx.random_state)
        if best_rejected is None or rejected.sum() > best_rejected.sum():
            best, best_rejected = obj, rejected
        if rejected.sum() >= 3:
            break
    real = _vvv_example(ctx) if ctx.data_dir is not None else None
    fig, axes = plt.subplots(1, 2 if real else 1, figsize=(10 if real else 5.5, 4), squeeze=False)
    lc, raw = folded[folded.ids.get_loc(best)], lcs[lcs.ids.get_loc(best)]
    ax = axes[0, 0]
    _regression_panel(ax, raw, best_rejected, lc)
    m = lc.meta.iloc[0]
    ax.set_title(f"simulated RRab {best}: P = {m['period']:.5f} d, S/N = {m['snr']:.0f}", fontsize=9)
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    note = (f"simulated: {int(best_rejected.sum())} of {best_rejected.size} measurements rejected, "
            f"{len(lc.time)} epochs")
    if real:
        vvv, vvv_lc, vvv_rejected = real
        ax = axes[0, 1]
        _regression_panel(ax, vvv, vvv_rejected, vvv_lc, binned=False)
        r = vvv_lc.meta.iloc[0]
        ax.set_title(f"VVV {r['Name']}: P = {r['period']:.5f} d, aperture {int(r['aper'])}, "
                     f"S/N = {r['snr_input']:.0f} (binned epochs only)", fontsize=9)
        ax.legend(fontsize=7, loc="best", framealpha=0.8)
        note += f"; real VVV {r['Name']} (epochs as published, {int(vvv_rejected.sum())} rejected)"
    for ax in axes[0]:
        ax.set_ylabel(r"$K_s - \langle K_s \rangle$ [mag]")
        ax.invert_yaxis()
    fig.suptitle("the regression of §3.2, cf. Dékány & Grebel 2020 Fig. 2", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return note


def _vvv_example(ctx):
    """A real VVV RRab of the paper's catalogue (median S/N) folded at its catalogue
    period: its epochs as published, the ones our robust fit rejects, the fit; None
    when the files are absent."""
    from ..datasets import load_vvv_rrab
    from ..periodic import PeriodFolder

    try:
        vvv = load_vvv_rrab(ctx.data_dir, random_state=ctx.random_state)
    except FileNotFoundError as err:
        ctx.log(f"Fig. 2 without a real VVV panel: {err}")
        return None
    snr = vvv.meta["snr"]
    obj = (snr - snr.median()).abs().idxmin()
    one = vvv[[vvv.ids.get_loc(obj)]]
    lc = PeriodFolder.from_preset("dekany2020", period_column="period",
                                  random_state=ctx.random_state).fit_transform(one)
    lc = lc.with_meta(period=lc.meta["period_input"].to_numpy())
    return one[0], lc, _measurement_verdicts(one[0], float(lc.meta["period"].iloc[0]), ctx.random_state)


def _figure9(folded, path):
    """Fig. 9: histogram of |P - P_true| of the RRab passing Eqs. 24-29 (no period cut:
    the paper cross-matched OGLE RRab "without any constraint on their periods"), both
    axes logarithmic; the paper's 1e-6-1e-5 d band marked. Returns the note of its row."""
    from ..periodic import quality_mask

    meta = folded.meta
    sel = (quality_mask(folded, "target", period_range=None) & (meta["label"] == "RRab").to_numpy())
    dp = np.abs(meta["period"] - meta["period_input"]).to_numpy()[sel]
    floor = 1e-9  # an exact match (none expected) would vanish from a log axis
    bins = np.logspace(-9, 0, 37)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.axvspan(1e-6, 1e-5, color="tab:orange", alpha=0.25, label="paper: $10^{-6}$-$10^{-5}$ d (Fig. 9)")
    ax.hist(np.maximum(dp, floor), bins=bins, color="k", histtype="step", lw=1.5,
            label=f"simulated RRab, target cuts ({sel.sum()})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$|P - P_\mathrm{true}|$ [d]")
    ax.set_ylabel("number of stars")
    ax.set_title(r"period accuracy, cf. Dékány & Grebel 2020 Fig. 9 ($P_\mathrm{OGLE}$ there)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    within = np.mean(dp < 1e-4) if dp.size else float("nan")
    return (f"{sel.sum()} RRab; median {np.median(dp):.1e} d; {within:.3f} below 1e-4 d; "
            f"{np.mean(dp > 1e-2):.3f} above 1e-2 d (aliases)")


def _figure10(folded, raw, oof, path, ctx):
    """Fig. 10: the two eclipsing binaries with the highest out-of-fold RRab probability
    of the BiLSTM, folded at P (left) and 2P (right), in the notation of Fig. 2. Returns
    the note of its row (how many binaries the network called RRab)."""
    ids = folded.ids.astype(str)
    proba = pd.Series(oof["BiLSTM P+2P"], index=oof["ids"])
    labels = pd.Series(folded.meta["label"].to_numpy(), index=ids).reindex(proba.index)
    eb = proba[labels.isin(["EC", "ESD"]).to_numpy()].sort_values(ascending=False)
    n_called = int((eb >= 0.5).sum())
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), squeeze=False)
    for row, obj in zip(axes, eb.index[:2]):
        lc = folded[ids.get_loc(obj)]
        one = raw[raw.ids.astype(str).get_loc(obj)]
        rejected = _measurement_verdicts(one, float(lc.meta["period"].iloc[0]), ctx.random_state)
        for ax, at_2p in zip(row, (False, True)):
            _regression_panel(ax, one, rejected, lc, at_2p=at_2p)
            ax.set_ylabel(r"$K_s - \langle K_s \rangle$ [mag]")
            ax.invert_yaxis()
        m = lc.meta.iloc[0]
        called = "called RRab" if eb[obj] >= 0.5 else "not called RRab"
        row[0].set_title(f"{obj} ({m['label']}, orbital period {m['period_input']:.5f} d): "
                         f"RRab probability {eb[obj]:.2f}, {called}", fontsize=8, loc="left")
        row[1].set_title(f"folded at 2P = {2 * m['period']:.5f} d", fontsize=8)
    axes[0, 0].legend(fontsize=7, loc="lower left")
    fig.suptitle("simulated eclipsing binaries most like RRab to the BiLSTM (out-of-fold), "
                 "cf. Dékány & Grebel 2020 Fig. 10", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return (f"{n_called} of {len(eb)} simulated binaries called RRab (out-of-fold); "
            f"the two most RRab-like drawn")


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
    from ..datasets import make_periodic_variables
    from ..experiments import fold_rrab_simulation, run_rrab_plasticc, run_rrab_study

    if scale is None and ctx.full:   # the study of the BiLSTM user guide (~50 min on 2 cores)
        scale = dict(n_objects=12000, max_epochs=60, batch_size=64, n_splits=5, n_jobs_cv=2)
    elif scale is None:
        scale = dict(n_objects=800, max_epochs=20, batch_size=32, n_splits=3, max_length=60,
                     n_jobs_cv=2)
    scale = {"lr": 0.003, "rf_trees": 200, **scale}
    if scale.get("folded") is None:  # folded here, to draw Fig. 10 from it
        scale["folded"] = fold_rrab_simulation(scale["n_objects"], random_state=ctx.random_state, log=ctx.log)
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
    # each figure formatted once, for its row and its key figure
    f1, rf_f1 = f"{net['snr>60']['f1']:.3f}", f"{rf['snr>60']['f1']:.3f}"
    apr = " / ".join(f"{net['snr>60'][k]:.3f}" for k in ("accuracy", "precision", "recall"))
    auc = f"{net['roc_auc_snr>60']:.3f} / {net['ap_snr>60']:.3f}"
    eb = f"{net['eb_called_rrab']:.3f} / {ablation['eb_called_rrab']:.3f}"
    for key, value in ((KEY_CV_F1, f1), (KEY_CV_APR, apr), (KEY_AUC, auc), (KEY_RF, rf_f1), (KEY_EB, eb),
                       (KEY_TEST, "no test set (defaults: CV over every curve)"),
                       (KEY_CLEANING, "not run (defaults)")):
        ctx.key(key, value)
    rows = [
        Row(f"BiLSTM RRab-vs-rest F1, S/N > 60 ({cv}) [{config}]", f1, "0.988", note),
        Row(f"BiLSTM accuracy / precision / recall, S/N > 60 ({cv}) [{config}]", apr, "0.990 / 0.985 / 0.992"),
        Row(f"random forest on PeriodFolder features F1, S/N > 60 (same folds) [{config}]",
            rf_f1, "below the RNN", "baseline"),
        Row(f"BiLSTM ROC AUC / average precision, S/N > 60 ({cv}) [{config}]", auc, "0.996 / 0.999 (test set)"),
        Row(f"eclipsing binaries (EC+ESD) called RRab: with 2P fold / P only ({cv}) [{config}]",
            eb, "2P fold removes the confusion", f"P-only F1 (S/N > 60) {ablation['snr>60']['f1']:.3f}"),
    ]
    if ctx.paper:
        t, c = result["test"], result["cleaning"]
        tn, trf = t["BiLSTM P+2P"], t["RF features"]
        test_scores = " / ".join(f"{tn['snr>60'][k]:.3f}" for k in ("accuracy", "precision", "recall", "f1"))
        ctx.key(KEY_TEST, test_scores)
        ctx.key(KEY_CLEANING, f"{c['n_removed']} removed in {c['n_iter']} rounds "
                              f"({c['planted_removed']} of {c['n_planted']} planted wrong labels)")
        rows += [
            Row(f"label cleaning of the training part (§3.4) [{config}]",
                f"{c['n_removed']} removed in {c['n_iter']} rounds {c['removed_per_iteration']}; "
                f"{c['planted_removed']} of {c['n_planted']} planted wrong labels",
                "79 removed in 3 rounds (by eye)",
                f"correct labels removed: {c['correct_labels_removed_by_class'] or 'none'}"),
            Row(f"final BiLSTM on the held-out test set, S/N > 60: accuracy / precision / recall / F1 "
                f"[{config}]",
                test_scores,
                "0.983 / 0.986 / 0.992 / 0.989 (§3.5, Table 2, test)",
                f"{s['n_test']} test curves ({tn['snr>60']['n']} at S/N > 60), refit on "
                f"{s['n_train_kept']} cleaned training curves"),
            Row(f"final BiLSTM test ROC AUC / AP, S/N > 60 [{config}]",
                f"{tn['roc_auc_snr>60']:.3f} / {tn['ap_snr>60']:.3f}", "0.996 / 0.999 (§3.5)"),
            Row(f"final random forest on the test set, F1 at S/N > 60 [{config}]",
                f"{trf['snr>60']['f1']:.3f}", "", "baseline"),
        ]
    path = ctx.out_dir / "periodic_fig10_binaries_called_rrab.png"
    raw = make_periodic_variables(scale["n_objects"], random_state=ctx.random_state)  # as folded
    rows.append(Row(f"figure like Fig. 10 (eclipsing binaries the BiLSTM calls RRab, at P and 2P) [{config}]",
                    path.name, "Fig. 10 (173 binaries, ~2 % false discovery rate)",
                    _figure10(scale["folded"], raw, result["oof"], path, ctx)))
    if ctx.data_dir is not None:
        pl = run_rrab_plasticc(ctx.data_dir, band="r", max_epochs=scale["max_epochs"],
                               batch_size=scale["batch_size"], lr=scale["lr"],
                               n_splits=scale["n_splits"], rf_trees=scale["rf_trees"],
                               random_state=ctx.random_state, log=ctx.log)
        rows.append(Row("PLAsTiCC RR Lyrae vs EB + Mira, r band, F1: BiLSTM / RF [skastro defaults]",
                        f"{pl['models']['BiLSTM P+2P']['f1']:.3f} / {pl['models']['RF features']['f1']:.3f}",
                        "", f"{pl['n_objects']} objects, {pl['n_rrl']} RR Lyrae, CV"))
    return rows

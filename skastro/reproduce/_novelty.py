"""Main-job section: dm-dt novelty detection (Soraisam et al. 2020, §3 and §5)."""

import time

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..datasets import load_plasticc, load_stripe82_rrlyrae, load_ztf_bts, make_transients
from ..experiments import (PAPER_AUC, run_novelty_benchmark, run_population_study,
                           select_plasticc)
from ..novelty import DmDtNoveltyDetector, repeated_split_flags
from . import Row

TITLE = "Novelty: dm-dt likelihood scores vs KDE and Isolation Forest (Soraisam et al. 2020)"

# the paper figure each written figure reproduces (see skastro.reproduce.figure_index)
FIGURES = {
    "population_fig1.png": "Fig. 1: points per source and magnitude range per band (simulated)",
    "real_fig1.png": "Fig. 1: points per source and magnitude range per band (Stripe 82, ZTF)",
    "dmdt_maps_*.png": "Fig. 4: p_f(dm|dt) per passband",
    "population_fig5.png": "Fig. 5: score distributions of the unlabelled sources, P-all and P-labelled",
    "population_fig6.png": "Fig. 6: scores of the labelled sources by label",
    "population_fig7.png": "Fig. 7: (g-i) against i, final sample marked",
    "roc_*.png": "Fig. 10: ROC curves of the injected transients",
}

_STYLE = {"iforest": "-", "ind": ":", "kde": "--"}
_LABEL_COLOURS = ["C0", "C2", "C3", "C4", "C5", "C6", "C8", "C9"]  # C1: the population
_COLOUR = {"IND": "C0", "IND-z": "C3", "KDE": "C1", "iForest": "C2", "iForest-summary": "C7"}
_BAND_COLOURS = {"u": "C4", "g": "C2", "r": "C3", "R": "C1", "i": "C5", "z": "k"}


def _by_wavelength(bands):
    return sorted(bands, key=lambda b: ("ugrRizy".find(b) % 8, b))  # unknown bands last
PRESET = "soraisam2020"

# The side-by-side table of ``--paper`` (metric -> Soraisam et al. 2020's value). The dm-dt
# detector of the configuration: the paper's S (preset) or skastro's z-score (defaults).
KEY_SIM_AUC = "dm-dt detector AUC %, iForest-selected transients, simulated field"
KEY_PLASTICC_AUC = "dm-dt detector AUC %, iForest-selected transients, PLAsTiCC (--data-dir)"
KEY_SPLITS = "repeated-split flags (10 splits, 2nd percentile), 4 planted transients in 404 sources"
KEY_FINAL = "§3.2 final sample (flagged > Med - MAD times in the P-all and P-labelled runs)"
KEY_FIG7 = "Fig. 7: final-sample sources at (g-i) < 0 or > 1"
KEY_FIGURES = {
    KEY_SIM_AUC: "98.5 on PLAsTiCC (§5.3)",
    KEY_PLASTICC_AUC: "98.5 (§5.3)",
    KEY_SPLITS: "n/a",  # the paper plants none
    KEY_FINAL: "18 of 1038 unlabelled sources (§3.2)",
    KEY_FIG7: "18 of 18 (§4, Fig. 7)",
}


def _dmdt_method(ctx):
    """The benchmark's method name of the configuration's dm-dt score."""
    return "IND" if ctx.paper else "IND-z"


def _record_auc(ctx, metric, result):
    auc = result.auc.set_index(["scheme", "method"]).loc[("iforest-selected", _dmdt_method(ctx))]
    ctx.key(metric, f"{auc['auc_mean']:.1f} ± {auc['auc_std']:.1f}")


def _detector(ctx, **params):
    """The section's detector: the paper preset with ``--paper``, else skastro's defaults."""
    if ctx.paper:
        return DmDtNoveltyDetector.from_preset(PRESET, **params)
    return DmDtNoveltyDetector(**params)


def _config(ctx):
    return (f'paper preset "{PRESET}" (score S)' if ctx.paper
            else 'skastro default (score="zscore")')


def _load(ctx, loader, what):
    """Real data set from ``ctx.data_dir``, or None (logged) when its files are absent."""
    try:
        return loader(ctx.data_dir)
    except FileNotFoundError as err:
        ctx.log(f"{what}: skipped ({err})")
        return None


def run(ctx):
    rows = []
    rng_seed = ctx.random_state
    # --- simulated field: persistent variables + SN-like transients -------------------
    n_var, n_tr = (6000, 3000) if ctx.full else (900, 600)
    start = time.perf_counter()
    variables = make_transients(n_variables=n_var, n_transients=0, n_epochs=(10, 40),
                                baseline=730.0, id_prefix="v", random_state=rng_seed)
    # transients are seen for weeks only: few points next to the variables' many (as in
    # PLAsTiCC after the error cut: median 16 points vs 125), which is where the paper's
    # S drifts (E[log p] < log E[p] per pair) and the z-score does not
    transients = make_transients(n_variables=0, n_transients=n_tr, n_epochs=(3, 10),
                                 baseline=730.0, id_prefix="t", random_state=rng_seed + 1)
    ctx.log(f"simulated {len(variables)} variables, {len(transients)} transients "
            f"({time.perf_counter() - start:.1f} s)")
    det = _detector(ctx, bands=list("ugriz")).fit(variables)
    fig = det.plot_distributions()
    fig.suptitle("p_f(dm|dt) of the simulated persistent variables (cf. Soraisam+20 Fig. 4)",
                 y=1.01)
    fig.savefig(ctx.out_dir / "dmdt_maps_simulated.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    start = time.perf_counter()
    det.score_samples(variables)
    rate = len(variables) / (time.perf_counter() - start)
    rows.append(Row("scoring speed, simulated 5-band curves", f"{rate:,.0f} curves/s",
                    "", f"{variables.lengths.mean():.0f} points per curve, all cross-band pairs; "
                    f"{_config(ctx)}"))

    n_splits, n_draws = (10, 20) if ctx.full else (3, 4)
    start = time.perf_counter()
    sim = run_novelty_benchmark(variables, transients, n_splits=n_splits, n_draws=n_draws,
                                n_pool=min(1000, n_tr), random_state=rng_seed)
    ctx.log(f"simulated Monte Carlo {n_splits}x{n_draws} in {time.perf_counter() - start:.0f} s")
    _plot_roc(sim, ctx.out_dir / "roc_simulated.png", "simulated field", with_paper=False)
    rows.append(Row("simulated sample", f"{n_var} variables ({variables.lengths.mean():.0f} "
                    f"points each), {n_tr} transients ({transients.lengths.mean():.0f} points)",
                    "", "make_transients; 5 bands"))
    rows += _auc_rows(sim, "sim", schemes=("iforest",), with_paper=False)
    _record_auc(ctx, KEY_SIM_AUC, sim)

    # §3.2 repeated-split flagging on a small field with 4 planted transients
    field = make_transients(n_variables=400, n_transients=4, n_epochs=(10, 30),
                            random_state=rng_seed + 2)
    is_tr = field.meta["is_transient"].to_numpy()
    # §3.2's strict ">" keeps none when MAD = 0: skastro's default keeps the ties
    flagged, counts, threshold = repeated_split_flags(
        _detector(ctx), field, n_splits=10, fit_on=np.flatnonzero(~is_tr)[:150],
        strict=ctx.paper, random_state=rng_seed)
    rule = ">" if ctx.paper else "≥"
    ctx.key(KEY_SPLITS, f"{flagged.sum()} flagged ({rule} Med-MAD), {flagged[is_tr].sum()}/4 planted")
    rows.append(Row(f"§3.2 repeated-split flags (10 splits, 2nd pct, {rule} Med-MAD)",
                    f"{flagged.sum()} flagged, {flagged[is_tr].sum()}/4 planted transients",
                    "18 of ~1000 DECam sources",
                    f"kept if flagged {rule} {threshold:.1f} times; fit on 2/3 of 150 variables, "
                    f"field of 404; {_config(ctx)}"))

    rows += population_study(ctx)

    if ctx.data_dir is not None:
        rows += real_survey_samples(ctx)
        rows += _plasticc(ctx)
    return rows


def _plasticc(ctx):
    """§5 on the PLAsTiCC training set (skipped when absent)."""
    lcs = _load(ctx, load_plasticc, "PLAsTiCC")
    if lcs is None:
        return []
    start = time.perf_counter()
    var, tr = select_plasticc(lcs)
    ctx.log(f"PLAsTiCC after §5.2 selection: {len(var)} variables, {len(tr)} transients "
            f"({time.perf_counter() - start:.0f} s)")
    det = DmDtNoveltyDetector(bands=list("ugriz"), score="paper").fit(var)
    fig = det.plot_distributions()
    fig.suptitle("p_f(dm|dt), PLAsTiCC persistent variables", y=1.01)
    fig.savefig(ctx.out_dir / "dmdt_maps_plasticc.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    n_splits, n_draws = (10, 100) if ctx.full else (10, 10)
    start = time.perf_counter()
    real = run_novelty_benchmark(var, tr, n_splits=n_splits, n_draws=n_draws,
                                 random_state=ctx.random_state, log=ctx.log)
    ctx.log(f"PLAsTiCC Monte Carlo {n_splits}x{n_draws} in {time.perf_counter() - start:.0f} s")
    _plot_roc(real, ctx.out_dir / "roc_plasticc.png", "PLAsTiCC training set")
    real.auc.to_csv(ctx.out_dir / "auc_plasticc.csv", index=False)
    _record_auc(ctx, KEY_PLASTICC_AUC, real)
    rows = [Row("PLAsTiCC sample (training set, all fields)",
                f"{len(var)} variables, {len(tr)} transients",
                ">1000 variables, >12000 transients (DDF test set)",
                "errors > 0.1 mag dropped, ≥ 2 bands, ≥ 3 points; ugriz")]
    rows += _auc_rows(real, "PLAsTiCC")
    return rows


def _auc_rows(result, tag, schemes=None, with_paper=True):
    rows = []
    n = result.info["n_splits"] * result.info["n_draws"]
    for rec in result.auc.itertuples():
        scheme = rec.scheme.split("-")[0]
        if schemes is not None and scheme not in schemes:
            continue
        paper = PAPER_AUC.get((scheme, rec.method)) if with_paper else None
        rows.append(Row(f"{tag} AUC %, {rec.scheme}, {rec.method}",
                        f"{rec.auc_mean:.1f} ± {rec.auc_std:.1f} (curve {rec.auc_curve:.1f})",
                        "" if paper is None else f"{paper:.1f}",
                        f"mean ± sd over {n} split×draws"))
    return rows


def _plot_roc(result, path, title, with_paper=True):
    """ROC curves; the legend gives each method's AUC (%) on the iForest-selected
    transients, and the paper's (§5.3, PLAsTiCC) beside it when ``with_paper``."""
    auc = result.auc.set_index(["scheme", "method"])
    fig, ax = plt.subplots(figsize=(6, 5))
    for (scheme, method), (fpr, tpr) in result.roc.items():
        label = None
        if scheme == "iforest":
            label = f"{method}: AUC {auc.loc[('iforest-selected', method), 'auc_mean']:.1f}"
            paper = PAPER_AUC.get((scheme, method))
            if with_paper and paper is not None:
                label += f" (paper {paper:.1f})"
        ax.plot(np.r_[0, fpr, 1], np.r_[0, tpr, 1], _STYLE[scheme], color=_COLOUR[method],
                label=label, lw=1.3)
    ax.plot([], [], "k-", label="iForest-selected (AUC % above)")
    ax.plot([], [], "k:", label="IND-selected")
    ax.plot([], [], "k--", label="KDE-selected")
    ax.set_xscale("log")
    ax.set_xlim(1e-3, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("1 - specificity (variables flagged)")
    ax.set_ylabel("sensitivity (injected transients flagged)")
    info = result.info
    ax.set_title(f"{title}: {info['n_splits']} splits × {info['n_draws']} draws (cf. Fig. 10)",
                 fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def population_study(ctx, n_variables=None, n_iter=10):
    """§2-§4 on a simulated field: Fig. 1 (the sample), §3.2's P-all vs P-labelled
    (Figs. 5 and 6) and the CMD of the final sample (Fig. 7)."""
    n_var = n_variables or (3000 if ctx.full else 600)
    # one dominant class and a tail, as the paper's OGLE labels; a third labelled
    # (the paper: 1228 of 2266 cross-matched), 1 % transients among the unlabelled
    lcs = make_transients(n_variables=n_var, n_transients=max(2, n_var // 100),
                          n_epochs=(5, 15), baseline=730.0, id_prefix="b1",
                          variable_mix={"eclipsing binary": 4, "RR Lyrae": 3, "AGN": 2,
                                        "M-dwarf flare": 1}, random_state=ctx.random_state + 3)
    rows = _fig1_rows(plot_fig1({"simulated field": lcs}, ctx.out_dir / "population_fig1.png",
                                "Simulated field of the §3.2 study"), "population_fig1.png")
    labels = [lab if i < n_var // 2 else None for i, lab in enumerate(lcs.meta["label"])]
    start = time.perf_counter()
    res = run_population_study(lcs, labels, n_iter=n_iter, random_state=ctx.random_state)
    ctx.log(f"P-all vs P-labelled, {n_iter} iterations, in {time.perf_counter() - start:.0f} s")
    plot_population_figures(res, ctx.out_dir)
    is_tr = lcs.meta["is_transient"].to_numpy()[res.unlabelled]
    unl = res.unlabelled
    ties = res.flag_counts >= res.threshold
    rows += [
        Row("§3.2 median S of unlabelled sources, P-all / P-labelled",
            f"{np.median(res.p_all[unl]):.1f} / {np.nanmedian(res.p_labelled[:, unl]):.1f}",
            "P-all higher (Fig. 5)", f"{len(unl)} unlabelled, {len(res.labelled)} labelled; "
            "figure population_fig5.png"),
        Row("§3.2 final sample (flagged > Med - MAD times in 1 + "
            f"{n_iter} experiments)",
            f"{res.flagged.sum()} sources, {(res.flagged & is_tr).sum()} of {is_tr.sum()} "
            "transients", "18 of 1038 unlabelled",
            f"Med - MAD = {res.threshold:.1f}; counts ≥ it (ties kept): {ties.sum()} sources, "
            f"{(ties & is_tr).sum()} transients; figure population_fig6.png"),
    ]
    # the same study with skastro's default score (no pair-count drift)
    z = run_population_study(lcs, labels, detector=DmDtNoveltyDetector(), n_iter=n_iter,
                             random_state=ctx.random_state)
    ties = z.flag_counts >= z.threshold
    rows.append(Row("§3.2 final sample, default score=\"zscore\"",
                    f"{z.flagged.sum()} sources, {(z.flagged & is_tr).sum()} of {is_tr.sum()} "
                    "transients", "",
                    f"Med - MAD = {z.threshold:.1f}; ties kept: {ties.sum()} sources, "
                    f"{(ties & is_tr).sum()} transients"))
    # Fig. 7 shows the final sample of the section's configuration
    study = res if ctx.paper else z
    ctx.key(KEY_FINAL, f"{study.flagged.sum()} of {len(unl)} unlabelled sources "
                       f"({(study.flagged & is_tr).sum()} of {is_tr.sum()} transients)")
    picked, edge = plot_fig7(lcs, study, ctx.out_dir / "population_fig7.png",
                             f"Simulated field, {_config(ctx)}",
                             truth=lcs.meta["is_transient"].to_numpy())
    # an empty final sample: plot_fig7 shows the ties instead, and the figures say so
    ties = "" if study.flagged.any() else " (of the ties: flagged ≥ Med - MAD; the strict > keeps none)"
    ctx.key(KEY_FIG7, f"{edge} of {picked}{ties}")
    rows.append(Row("Fig. 7: final-sample sources at the edges of the field's CMD",
                    f"{edge} of {picked} at (g-i) < 0 or > 1",
                    "18 of 18 at (g-i)0 < 0 or > 1 (§4)",
                    f"{_config(ctx)}{ties}; figure population_fig7.png"))
    return rows


def real_survey_samples(ctx):
    """Fig. 1 for the real light curves under ``ctx.data_dir`` (skipped when absent)."""
    samples = {}
    for name, loader in (("SDSS Stripe 82 RR Lyrae", load_stripe82_rrlyrae),
                         ("ZTF BTS SNe Ia", load_ztf_bts)):
        lcs = _load(ctx, loader, name)
        if lcs is not None:
            samples[name] = lcs
    if not samples:
        return []
    stats = plot_fig1(samples, ctx.out_dir / "real_fig1.png", "Real survey light curves")
    return _fig1_rows(stats, "real_fig1.png")


def per_band_stats(lcs):
    """Per source and band (§2, Fig. 1): points, mean magnitude and central 90 % range.

    Returns a frame indexed by source position with columns ``(stat, band)``,
    ``stat`` in ``n``, ``mean``, ``range`` (95th - 5th percentile of the
    magnitudes); NaN where a source has no point in the band.
    """
    frame = pd.DataFrame({"source": lcs.object_index, "band": lcs.column("band"),
                          "mag": lcs.value})
    by = frame.groupby(["source", "band"], observed=True)["mag"]
    stats = pd.DataFrame({"n": by.size(), "mean": by.mean(),
                          "range": by.quantile(0.95) - by.quantile(0.05)})
    return stats.unstack("band").reindex(range(len(lcs)))


def _cdf(ax, values, **kwargs):
    x = np.sort(values[np.isfinite(values)])
    ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", **kwargs)


def plot_fig1(samples, path, title):
    """Fig. 1 of Soraisam et al. (2020): per band, the cumulative distributions of the
    points per source (left) and of the central 90 % magnitude range (right); one row
    per sample (``{name: LightCurves}``). Returns ``{name: per_band_stats}``."""
    fig, axes = plt.subplots(len(samples), 2, figsize=(10, 3.6 * len(samples)), squeeze=False)
    out = {}
    for (name, lcs), (left, right) in zip(samples.items(), axes):
        stats = out[name] = per_band_stats(lcs)
        for band in _by_wavelength(lcs.bands):
            n = stats["n"][band].to_numpy(dtype=float)
            colour = _BAND_COLOURS.get(band)
            _cdf(left, n, color=colour, label=f"{band} ({np.isfinite(n).sum()} sources)")
            # a range needs two points; one point gives 0
            _cdf(right, stats["range"][band].to_numpy()[n >= 2], color=colour, label=band)
        left.set_xscale("log")
        left.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        left.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        left.set_xlabel("observations per source in the band (log scale)")
        left.set_ylabel("cumulative fraction of sources")
        left.set_title(f"{name}: {len(lcs):,} sources", fontsize=9)
        right.axvline(5.0, ls=":", color="0.4", label="paper: ranges reach > 5 mag")
        right.set_xlabel("central 90 % range of the magnitudes, m95 - m5  [mag]")
        right.set_title("sources with ≥ 2 points in the band", fontsize=9)
        left.legend(fontsize=7, loc="upper left")
        right.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"{title} (cf. Soraisam+20 Fig. 1: 2,266 DECam variables, typically tens "
                 "of epochs per band, fewest in u)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return out


def _fig1_rows(stats_by_sample, figure):
    rows = []
    for name, stats in stats_by_sample.items():
        bands = _by_wavelength(stats["n"].columns)
        rows.append(Row(f"Fig. 1: median observations per source and band, {name}",
                        ", ".join(f"{b} {np.nanmedian(stats['n'][b]):.0f}" for b in bands),
                        "typically tens; fewer in the blue", f"figure {figure}"))
        wide = [(b, np.nanmax(stats["range"][b].where(stats["n"][b] >= 2))) for b in bands]
        rows.append(Row(f"Fig. 1: largest central 90 % range, {name}",
                        ", ".join(f"{b} {r:.1f}" for b, r in wide) + " mag",
                        "> 5 mag (z > 3.5 mag for the Mira, source 3)", f"figure {figure}"))
    return rows


def plot_fig7(lcs, res, path, title, truth=None):
    """Fig. 7 of Soraisam et al. (2020): (g - i) vs i of the unlabelled sources with the
    final sample of a :func:`run_population_study` result (left) and of the labelled
    sources by label (right), from the mean magnitudes. ``truth``: bool per source,
    circled on the left (simulations). Returns (sources in the final sample, of them at
    the paper's colour edges: g - i < 0 or > 1)."""
    stats = per_band_stats(lcs)
    colour = (stats["mean"]["g"] - stats["mean"]["i"]).to_numpy()
    mag = stats["mean"]["i"].to_numpy()
    unl = res.unlabelled
    # §3.2's strict rule keeps none when the MAD is 0: then show the ties, and say so
    final, rule = res.flagged, "flagged > Med - MAD"
    if not final.any():
        final, rule = (res.flag_counts >= res.threshold) & (res.flag_counts > 0), \
            "flagged ≥ Med - MAD (strict > keeps none)"
    order = np.argsort(-res.flag_counts[final], kind="stable")
    picked = unl[final][order]
    placed = np.isfinite(colour[picked])  # a source needs points in g and in i
    unplaced = "" if placed.all() else f", {(~placed).sum()} without g or i not shown"
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 5.5), sharex=True, sharey=True)
    for ax in (left, right):
        ax.scatter(colour, mag, s=3, c="0.85", zorder=0, label=f"all {len(lcs)} sources")
    left.scatter(colour[unl], mag[unl], s=5, c="k", label=f"unlabelled ({len(unl)})")
    if truth is not None:
        tr = unl[np.asarray(truth, dtype=bool)[unl]]
        left.scatter(colour[tr], mag[tr], s=90, facecolors="none", edgecolors="C0", zorder=3,
                     label=f"transients (simulation truth, {np.isfinite(colour[tr]).sum()} "
                     f"of {len(tr)} have g and i)")
    left.scatter(colour[picked], mag[picked], marker="*", s=160, c="magenta", edgecolors="k",
                 lw=0.5, label=f"final sample ({len(picked)}; {rule}{unplaced})")
    for k, j in enumerate(picked, 1):
        left.annotate(str(k), (colour[j], mag[j]), xytext=(5, 3), textcoords="offset points",
                      fontsize=8, color="m")
    for k, name in enumerate(sorted(set(res.labels))):
        sel = res.labelled[res.labels == name]
        right.scatter(colour[sel], mag[sel], s=6, color=_LABEL_COLOURS[k % 8],
                      label=f"{name} ({len(sel)})")
    for ax, what in ((left, "without labels"), (right, "with labels")):
        for edge in (0.0, 1.0):
            ax.axvline(edge, ls=":", color="0.4", lw=0.8)
        ax.set_xlabel("(g - i), mean magnitudes  [mag]")
        ax.set_title(f"sources {what}", fontsize=9)
    left.plot([], [], ls=":", color="0.4", label="paper: its 18 outliers at (g-i)0 < 0 or > 1")
    for ax in (left, right):
        ax.legend(fontsize=7, loc="upper center", framealpha=0.9)
    left.set_ylabel("i, mean magnitude  [mag]")
    left.invert_yaxis()
    fig.suptitle(f"{title}: colour-magnitude diagram (cf. Soraisam+20 Fig. 7)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    at_edge = int(np.sum((colour[picked] < 0) | (colour[picked] > 1)))
    return len(picked), at_edge


def plot_population_figures(res, out_dir):
    """Figs. 5 and 6 of Soraisam et al. (2020) from a :func:`run_population_study` result."""
    unl = res.unlabelled
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    for scores, colour, name in ((res.p_all[unl], "C3", "P-all"),
                                 (res.p_labelled[:, unl].ravel(), "C0",
                                  f"P-labelled ({res.info['n_iter']} iterations pooled)")):
        x = np.sort(scores[np.isfinite(scores)])
        ax.step(x, np.arange(1, x.size + 1) / x.size, where="post", color=colour, label=name)
    ax.set_xlabel("S = log(L / <L>)  [nat]")
    ax.set_ylabel("cumulative fraction of unlabelled sources")
    ax.set_title(f"{len(unl)} unlabelled sources (cf. Soraisam+20 Fig. 5)", fontsize=9)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(out_dir / "population_fig5.png", dpi=110)
    plt.close(fig)

    lab = res.labelled
    held = res.p_labelled[:, lab]  # NaN where the iteration was built from the source
    panels = (("P-all: all labelled sources", res.p_all[lab][None, :]),
              (f"P-labelled: held-out third, {res.info['n_iter']} iterations pooled", held))
    finite = np.concatenate([v[np.isfinite(v)] for _, v in panels])
    bins = np.linspace(np.percentile(finite, 0.5), finite.max(), 40)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, (title, scores) in zip(axes, panels):
        flat = np.clip(scores, bins[0], None)
        ax.hist(flat[np.isfinite(flat)], bins=bins, color="orange", alpha=0.5,
                label="all labels")
        for k, name in enumerate(sorted(set(res.labels))):
            v = flat[:, res.labels == name]
            ax.hist(v[np.isfinite(v)], bins=bins, histtype="step", color=_LABEL_COLOURS[k % 8],
                    lw=1.3,
                    label=name)
        ax.set_yscale("log")
        ax.set_xlabel("S = log(L / <L>)  [nat]  (lowest 0.5 % at the left edge)")
        ax.set_title(title, fontsize=9)
    axes[0].set_ylabel("labelled sources per bin")
    axes[1].legend(fontsize=8)
    fig.suptitle("Scores of the labelled sources by label (cf. Soraisam+20 Fig. 6)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out_dir / "population_fig6.png", dpi=110)
    plt.close(fig)

"""Main-job section: dm-dt novelty detection (Soraisam et al. 2020, §3 and §5)."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..datasets import load_plasticc, make_transients
from ..experiments import (PAPER_AUC, run_novelty_benchmark, run_population_study,
                           select_plasticc)
from ..novelty import DmDtNoveltyDetector, repeated_split_flags
from . import Row

TITLE = "Novelty: dm-dt likelihood scores vs KDE and Isolation Forest (Soraisam et al. 2020)"

_STYLE = {"iforest": "-", "ind": ":", "kde": "--"}
_LABEL_COLOURS = ["C0", "C2", "C3", "C4", "C5", "C6", "C8", "C9"]  # C1: the population
_COLOUR = {"IND": "C0", "IND-z": "C3", "KDE": "C1", "iForest": "C2", "iForest-summary": "C7"}


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
    det = DmDtNoveltyDetector(bands=list("ugriz")).fit(variables)
    fig = det.plot_distributions()
    fig.suptitle("p_f(dm|dt) of the simulated persistent variables (cf. Soraisam+20 Fig. 4)",
                 y=1.01)
    fig.savefig(ctx.out_dir / "dmdt_maps_simulated.png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    start = time.perf_counter()
    det.score_samples(variables)
    rate = len(variables) / (time.perf_counter() - start)
    rows.append(Row("scoring speed, simulated 5-band curves", f"{rate:,.0f} curves/s",
                    "", f"{variables.lengths.mean():.0f} points per curve, all cross-band pairs"))

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

    # §3.2 repeated-split flagging on a small field with 4 planted transients
    field = make_transients(n_variables=400, n_transients=4, n_epochs=(10, 30),
                            random_state=rng_seed + 2)
    is_tr = field.meta["is_transient"].to_numpy()
    flagged, counts, threshold = repeated_split_flags(
        DmDtNoveltyDetector(), field, n_splits=10, fit_on=np.flatnonzero(~is_tr)[:150],
        strict=False, random_state=rng_seed)  # §3.2's strict ">" keeps none when MAD = 0
    rows.append(Row("§3.2 repeated-split flags (10 splits, 2nd pct, ≥ Med-MAD)",
                    f"{flagged.sum()} flagged, {flagged[is_tr].sum()}/4 planted transients",
                    "18 of ~1000 DECam sources",
                    f"kept if flagged ≥ {threshold:.1f} times; fit on 2/3 of 150 variables, "
                    "field of 404"))

    rows += population_study(ctx)

    # --- PLAsTiCC (real data) ----------------------------------------------------------
    if ctx.data_dir is not None:
        start = time.perf_counter()
        lcs = load_plasticc(ctx.data_dir)
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
                                     random_state=rng_seed, log=ctx.log)
        ctx.log(f"PLAsTiCC Monte Carlo {n_splits}x{n_draws} in "
                f"{time.perf_counter() - start:.0f} s")
        _plot_roc(real, ctx.out_dir / "roc_plasticc.png", "PLAsTiCC training set")
        real.auc.to_csv(ctx.out_dir / "auc_plasticc.csv", index=False)
        rows.append(Row("PLAsTiCC sample (training set, all fields)",
                        f"{len(var)} variables, {len(tr)} transients",
                        ">1000 variables, >12000 transients (DDF test set)",
                        "errors > 0.1 mag dropped, ≥ 2 bands, ≥ 3 points; ugriz"))
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
    """§3.2: P-all vs P-labelled on a simulated field; writes Figs. 5 and 6."""
    n_var = n_variables or (3000 if ctx.full else 600)
    # one dominant class and a tail, as the paper's OGLE labels; a third labelled
    # (the paper: 1228 of 2266 cross-matched), 1 % transients among the unlabelled
    lcs = make_transients(n_variables=n_var, n_transients=max(2, n_var // 100),
                          n_epochs=(5, 15), baseline=730.0, id_prefix="b1",
                          variable_mix={"eclipsing binary": 4, "RR Lyrae": 3, "AGN": 2,
                                        "M-dwarf flare": 1}, random_state=ctx.random_state + 3)
    labels = [lab if i < n_var // 2 else None for i, lab in enumerate(lcs.meta["label"])]
    start = time.perf_counter()
    res = run_population_study(lcs, labels, n_iter=n_iter, random_state=ctx.random_state)
    ctx.log(f"P-all vs P-labelled, {n_iter} iterations, in {time.perf_counter() - start:.0f} s")
    plot_population_figures(res, ctx.out_dir)
    is_tr = lcs.meta["is_transient"].to_numpy()[res.unlabelled]
    unl = res.unlabelled
    ties = res.flag_counts >= res.threshold
    rows = [
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
    return rows


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

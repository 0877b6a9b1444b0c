"""Main-job section: what the data model holds, on a simulated survey (and PLAsTiCC)."""

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..datasets import load_plasticc, make_periodic_variables
from . import Row

TITLE = "Data model: a simulated VVV-like survey sample in LightCurves"

# the paper figure each written figure reproduces (see skastro.reproduce.figure_index)
FIGURES = {"simulated_light_curves.png": "none: example simulated light curves"}


def run(ctx):
    n = 20000 if ctx.full else 2000
    start = time.perf_counter()
    lcs = make_periodic_variables(n, random_state=ctx.random_state)
    seconds = time.perf_counter() - start
    ctx.log(f"simulated {lcs!r} in {seconds:.1f} s")
    meta = lcs.meta
    counts = meta["label"].value_counts()
    rows = [
        Row("simulated objects / observations", f"{len(lcs)} / {lcs.n_observations}",
            "~10^5 VVV light curves", f"seed {ctx.random_state}, {seconds:.1f} s"),
        Row("class mix", ", ".join(f"{k} {v}" for k, v in counts.items())),
        Row("epochs per light curve (median, range)",
            f"{meta['n_epochs'].median():.0f} ({meta['n_epochs'].min()}-{meta['n_epochs'].max()})",
            "100 (≥ 30 kept)", "Dékány & Grebel 2020 §2"),
        Row("measurements per epoch (mean)", f"{(lcs.lengths / meta['n_epochs']).mean():.2f}",
            "1-6 pawprints"),
        Row("RRab Ks amplitude (median, range)",
            _summary(meta.loc[meta.label == "RRab", "amplitude"]), "~0.1-0.45 mag"),
        Row("fraction with S/N > 60", f"{(meta['snr'] > 60).mean():.2f}"),
    ]
    memory = sum(lcs.column(c).nbytes for c in ("time", "value", "error")) + lcs.offsets.nbytes
    rows.append(Row("container memory (numeric columns)", f"{memory / 1e6:.1f} MB"))
    _plot_examples(lcs, ctx.out_dir / "simulated_light_curves.png")
    if ctx.data_dir is not None:
        start = time.perf_counter()
        plasticc = load_plasticc(ctx.data_dir)
        rows.append(Row("PLAsTiCC training set loaded",
                        f"{len(plasticc)} objects, {plasticc.n_observations} obs, "
                        f"{time.perf_counter() - start:.1f} s", "7,848 objects",
                        f"{plasticc.meta.attrs['n_dropped_objects']} objects without a positive flux dropped"))
    return rows


def _summary(values):
    return f"{values.median():.2f} ({values.min():.2f}-{values.max():.2f})"


def _plot_examples(lcs, path):
    fig, axes = plt.subplots(2, 3, figsize=(12, 6), constrained_layout=True)
    for ax, label in zip(axes.flat, ["RRab", "RRc", "EC", "ESD", "other"]):
        i = int(np.flatnonzero(lcs.meta["label"].to_numpy() == label)[0])
        t, m = lcs.split("time")[i], lcs.split("value")[i]
        period = lcs.meta["period"].iloc[i]
        ax.plot((t / period) % 1, m, ".", ms=3)
        lo, hi = np.percentile(m, [2, 98])
        pad = 0.3 * (hi - lo)
        ax.set_ylim(hi + pad, lo - pad)  # magnitudes: bright at the top; outliers may fall outside
        ax.set(title=f"{label}, P = {period:.3f} d", xlabel="phase (true period)", ylabel="Ks [mag]")
    axes.flat[-1].hist(lcs.meta["n_epochs"], bins=40)
    axes.flat[-1].set(title="epochs per light curve", xlabel="epochs", ylabel="light curves")
    axes.flat[-1].axvline(100, color="k", ls="--", lw=0.8, label="paper: ~100 (VVV)")
    axes.flat[-1].axvline(30, color="k", ls=":", lw=0.8, label="paper: ≥ 30 kept")
    axes.flat[-1].legend(fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)

"""Figures of the real-data benchmarks (``bench_real_*.py --figures DIR``).

Small PNGs for docs/user_guide/real_data.rst, drawn from what a benchmark
run has just computed (no extra fitting): ROC curves, score distributions,
folded or windowed light curves and bar charts. matplotlib is imported here
only, with the Agg backend, so a benchmark run without ``--figures`` never
imports it.
"""

from pathlib import Path

import numpy as np

DPI = 100
#: colours of the photometric bands (SDSS ugriz, ZTF g/R, I and Ks)
BAND_COLOURS = {"u": "tab:purple", "g": "tab:green", "r": "tab:red", "R": "tab:red",
                "i": "tab:orange", "z": "tab:brown", "I": "tab:red", "Ks": "tab:gray"}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def check_directory(directory):
    """The figure folder as a ``Path``; a missing one is refused before any work is done.

    Parameters
    ----------
    directory : str or path-like
        An existing folder.

    Returns
    -------
    pathlib.Path
    """
    path = Path(directory)
    if not path.is_dir():
        raise FileNotFoundError(f"--figures: {str(path)!r} is not an existing directory; create it first")
    return path


def new_figure(n_panels=1, width=4.2, height=3.4, nrows=1):
    """A figure with ``n_panels`` axes on ``nrows`` rows (returned flat)."""
    plt = _pyplot()
    ncols = int(np.ceil(n_panels / nrows))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    for ax in axes.flat[n_panels:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n_panels])


def save(fig, directory, name):
    """Write ``fig`` as ``directory/name`` (PNG, 100 dpi), close it and return the path."""
    path = check_directory(directory) / name
    if path.suffix != ".png":
        raise ValueError(f"figure name must end in .png, got {name!r}")
    fig.tight_layout()
    # no software version in the file: the same run writes the same bytes
    fig.savefig(path, dpi=DPI, metadata={"Software": None})
    _pyplot().close(fig)
    print(f"figure: {path}")
    return path


def _binary_labels(y, n=None):
    y = np.asarray(y)
    if y.ndim != 1 or (n is not None and y.size != n):
        raise ValueError(f"y must be 1-D with one label per score ({n}), got shape {y.shape}")
    if not np.isin(y, (0, 1)).all() or np.unique(y).size != 2:
        raise ValueError("y must hold both classes, as 0 (negative) and 1 (positive)")
    return y.astype(int)


def _finite_scores(scores, y):
    out = {}
    for name, s in scores.items():
        s = np.asarray(s, dtype=float)
        if s.shape != y.shape:
            raise ValueError(f"scores {name!r}: one score per label expected ({y.size}), got shape {s.shape}")
        if not np.isfinite(s).all():
            raise ValueError(f"scores {name!r}: {int((~np.isfinite(s)).sum())} values are NaN or infinite")
        out[name] = s
    return out


def plot_roc(ax, y, scores, title=""):
    """ROC curves of several scores for the same labels (``y``: 1 positive), AUC in the legend.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    y : array-like of 0/1
    scores : dict of str to array-like
        Higher means more positive; one curve per entry.
    title : str
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    y = _binary_labels(y)
    for name, s in _finite_scores(scores, y).items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, drawstyle="steps-post", label=f"{name} (AUC {roc_auc_score(y, s):.3f})")
    ax.plot([0, 1], [0, 1], color="0.7", lw=0.8, ls=":")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false-positive rate", ylabel="true-positive rate")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="lower right", fontsize=7)


def plot_score_distributions(ax, y, score, class_names, title="", xlabel="score", bins=30):
    """Histograms of one score for the negative (0) and positive (1) class, each normalised."""
    y = _binary_labels(y)
    score = _finite_scores({xlabel: score}, y)[xlabel]
    edges = np.histogram_bin_edges(score, bins=bins)
    for label, colour in ((0, "tab:blue"), (1, "tab:orange")):
        ax.hist(score[y == label], bins=edges, density=True, histtype="stepfilled", alpha=0.45,
                color=colour, label=f"{class_names[label]}: {int((y == label).sum())}")
    ax.set(xlabel=xlabel, ylabel="density")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)


def plot_folded(ax, time, mag, period, bands=None, title=""):
    """A light curve folded at ``period`` over two cycles, magnitudes increasing down."""
    time, mag = np.asarray(time, float), np.asarray(mag, float)
    if not (np.isfinite(period) and period > 0):
        raise ValueError(f"period must be a positive number, got {period!r}")
    if time.shape != mag.shape:
        raise ValueError(f"time and mag differ in shape: {time.shape} and {mag.shape}")
    bands = np.full(time.shape, "", dtype=object) if bands is None else np.asarray(bands)
    phase = (time / period) % 1.0
    order = list(BAND_COLOURS)
    for band in sorted(set(bands), key=lambda b: (order.index(b) if b in order else len(order), str(b))):
        m = bands == band
        colour = BAND_COLOURS.get(band, "k")
        ax.scatter(np.r_[phase[m], phase[m] + 1], np.r_[mag[m], mag[m]], s=4, color=colour,
                   label=band or None, linewidths=0)
    ax.set_xlim(0, 2)
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)


def plot_fractions(ax, labels, values, groups, title="", ylabel="fraction"):
    """Grouped bars: ``values[g][k]`` for each group name ``groups[g]`` and label ``labels[k]``."""
    values = np.asarray(values, dtype=float)
    if values.shape != (len(groups), len(labels)):
        raise ValueError(f"values must have shape (groups, labels) = {(len(groups), len(labels))}, "
                         f"got {values.shape}")
    width = 0.8 / len(groups)
    x = np.arange(len(labels))
    for g, name in enumerate(groups):
        bars = ax.bar(x + (g - (len(groups) - 1) / 2) * width, values[g], width, label=name)
        ax.bar_label(bars, labels=[f"{v:.3f}" if np.isfinite(v) else "" for v in values[g]],
                     fontsize=6, padding=1)
    ax.set_xticks(x, labels)
    ax.set(ylabel=ylabel, ylim=(0, 1.22))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper center", ncol=len(groups))


def recall_at_fpr(negative_scores, positive_scores, fprs):
    """Recall of the positives at each false-positive rate of the negatives.

    The threshold for a rate ``f`` is the ``1 - f`` quantile of the negative
    scores, as ``bench_real_rrab.py`` sets it; a positive counts when its
    score reaches the threshold.
    """
    neg = np.asarray(negative_scores, dtype=float)
    pos = np.asarray(positive_scores, dtype=float)
    fprs = np.asarray(fprs, dtype=float)
    if neg.size == 0 or pos.size == 0:
        raise ValueError(f"need negative and positive scores, got {neg.size} and {pos.size}")
    if not (np.isfinite(neg).all() and np.isfinite(pos).all()):
        raise ValueError("scores must be finite")
    if not ((fprs >= 0) & (fprs <= 1)).all():
        raise ValueError(f"false-positive rates must lie in [0, 1], got {fprs.min()}-{fprs.max()}")
    thresholds = np.quantile(neg, 1 - fprs)
    return np.mean(pos[None, :] >= thresholds[:, None], axis=1)


def plot_recall_vs_fpr(ax, curves, fprs, marks=(), title=""):
    """Recall against false-positive rate (in %), one line per ``curves[name] = recalls``."""
    fprs = np.asarray(fprs, dtype=float)
    for k, (name, recall) in enumerate(curves.items()):
        recall = np.asarray(recall, dtype=float)
        if recall.shape != fprs.shape:
            raise ValueError(f"curve {name!r}: one recall per rate expected ({fprs.size}), got {recall.shape}")
        style = "--" if "simulated" in name else "-"
        ax.plot(100 * fprs, recall, style, color=f"C{k // 2 if len(curves) > 2 else k}", label=name)
    for f in marks:
        ax.axvline(100 * f, color="0.85", lw=0.6, zorder=0)
    ax.set(xlabel="false-positive rate on simulated non-RRab (%)", ylabel="recall",
           xlim=(0, 100 * fprs.max()))
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="lower right")

"""dm-dt novelty on real surveys: Stripe 82 RR Lyrae vs ZTF SNe Ia (issue 13, item 2b).

``DmDtNoveltyDetector`` is fitted on half of the Stripe 82 RR Lyrae (g, r) and
scores the ZTF BTS SNe Ia among the other half; ROC AUC with the SNe as the
positive (novel) class, mean ± sd over ``--splits`` random halvings. Peer in
the same run: ``IsolationForest`` on the five per-band summary features of
``skastro.experiments.summary_features`` (n, mean, sd, 5-95 % range, median
|consecutive dm|; NaN imputed with the training medians).

Two views of the held-out RR Lyrae:

- ``as they come``: SDSS light curves, ~10 years, ~55 epochs per band;
- ``cadence-matched``: each held-out RR Lyrae cut to a random window with the
  time span and number of points of a randomly drawn supernova (window start
  at one of its own epochs; points drawn at random when there are more).

ZTF's ``R`` band is mapped to SDSS ``r`` (``--no-map-r``: left as ``R``, so
the detector, fitted on g and r, ignores it). A diagnosis follows: pairs per
object, the dt bins the supernova pairs fall in, and the per-channel
contributions to the paper score; then, pooled over the splits, which objects the
default score misranks (``misranked``). ``--figures DIR`` also saves, for the
first split, the ROC curves of the three methods (``dmdt_roc.png``) and the
default score's distributions for both classes (``dmdt_scores.png``), in both
views.

Run::

    python benchmarks/bench_real_dmdt.py --data-dir ../shared/data
    python benchmarks/bench_real_dmdt.py --data-dir ../shared/data --splits 2   # quicker
    python benchmarks/bench_real_dmdt.py --data-dir ../shared/data --splits 3 --figures DIR  # + PNGs
"""

import argparse

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.impute import SimpleImputer
from sklearn.metrics import roc_auc_score

from skastro import LightCurves
from skastro.datasets import load_stripe82_rrlyrae, load_ztf_bts
from skastro.experiments import summary_features
from skastro.novelty import DmDtNoveltyDetector

BANDS = ("g", "r")


def keep_bands(lcs, bands):
    """Observations in ``bands`` only; objects left without any are dropped."""
    band = np.asarray(lcs.column("band"))
    kept = lcs.select_observations(np.isin(band, bands))
    return kept


def map_ztf_r(sne):
    """ZTF 'R' relabelled 'r' (the caller's assumption: no colour term)."""
    band = np.asarray(sne.column("band"))
    return sne.with_columns(band=np.where(band == "R", "r", band))


def cadence_matched(rr, sne, rng):
    """Each light curve of ``rr`` cut to the span and point count of a random supernova."""
    pick = rng.randint(len(sne), size=len(rr))
    sn_span = np.array([np.ptp(sne.time[a:b]) for a, b in zip(sne.offsets[:-1], sne.offsets[1:])])
    off = rr.offsets
    band = np.asarray(rr.column("band"))
    times, values, errors, bands = [], [], [], []
    for i in range(len(rr)):
        t = rr.time[off[i]:off[i + 1]]
        span, n = sn_span[pick[i]], sne.lengths[pick[i]]
        start = t[rng.randint(t.size)]
        idx = np.flatnonzero((t >= start) & (t <= start + span))
        if idx.size > n:
            idx = np.sort(rng.choice(idx, n, replace=False))
        s = off[i] + idx
        times.append(rr.time[s]), values.append(rr.value[s]), errors.append(rr.error[s])
        bands.append(band[s])
    return LightCurves.from_arrays(times, values, errors, bands=bands, ids=rr.ids,
                                   meta=rr.meta)


def pairs_per_object(lcs):
    """Consecutive same-band pairs plus cross-band pairs with t_a > t_b."""
    band = np.asarray(lcs.column("band"))
    out = np.zeros(len(lcs), dtype=np.int64)
    for i, (a, b) in enumerate(zip(lcs.offsets[:-1], lcs.offsets[1:])):
        counts = pd.Series(band[a:b]).value_counts()
        same = (counts - 1).clip(lower=0).sum()
        cross = counts.prod() if len(counts) == 2 else 0
        out[i] = same + cross
    return out


def evaluate(train, test_rr, sne, seed, scores=None):
    """ROC AUC per method; ``scores`` (a dict), when given, receives the labels
    (``"y"``) and each method's novelty score (higher = more novel)."""
    y = np.r_[np.zeros(len(test_rr)), np.ones(len(sne))]
    test = LightCurves.concat([test_rr, sne])
    out, novelty = {}, {}
    for name, det in (("DmDt zscore (default)", DmDtNoveltyDetector(bands=list(BANDS))),
                      ("DmDt paper score", DmDtNoveltyDetector(bands=list(BANDS), score="paper"))):
        det.fit(train)
        novelty[name] = -det.score_samples(test)
        out[name] = roc_auc_score(y, novelty[name])
    imp = SimpleImputer(strategy="median").fit(summary_features(train, BANDS))
    forest = IsolationForest(n_estimators=200, random_state=seed)
    forest.fit(imp.transform(summary_features(train, BANDS)))
    novelty["IsolationForest summary"] = -forest.score_samples(imp.transform(summary_features(test, BANDS)))
    out["IsolationForest summary"] = roc_auc_score(y, novelty["IsolationForest summary"])
    if scores is not None:
        scores.update(novelty, y=y)
    return out


def save_figures(directory, scores_by_view, n_splits):
    """ROC curves of the methods and the default score's distributions, per view, one split."""
    import real_figures as rf

    views = list(scores_by_view)
    fig, axes = rf.new_figure(len(views), width=3.9, height=3.6)
    for ax, view in zip(axes, views):
        scores = dict(scores_by_view[view])
        y = scores.pop("y")
        rf.plot_roc(ax, y, scores, title=f"RR Lyrae {view} vs SNe Ia")
    fig.suptitle(f"SNe Ia positive; split 1 of {n_splits}", fontsize=9)
    rf.save(fig, directory, "dmdt_roc.png")
    fig, axes = rf.new_figure(len(views), width=3.9, height=3.2)
    for ax, view in zip(axes, views):
        s = scores_by_view[view]
        rf.plot_score_distributions(ax, s["y"], s["DmDt zscore (default)"],
                                    ("RR Lyrae, held out", "SNe Ia"), title=f"RR Lyrae {view}",
                                    xlabel="-score_samples (default score)")
    rf.save(fig, directory, "dmdt_scores.png")


def diagnose(train, test_rr, matched, sne):
    det = DmDtNoveltyDetector(bands=list(BANDS), score="paper").fit(train)
    print("\nDiagnosis (one split)")
    for name, lcs in (("RR Lyrae as they come", test_rr), ("RR Lyrae cadence-matched", matched),
                      ("ZTF SNe Ia", sne)):
        n_pairs = pairs_per_object(lcs)
        spans = np.array([np.ptp(lcs.time[a:b]) for a, b in zip(lcs.offsets[:-1], lcs.offsets[1:])])
        print(f"  {name:26s} points median {np.median(lcs.lengths):5.0f}  pairs median "
              f"{np.median(n_pairs):6.0f}  no pair {np.mean(n_pairs == 0):.3f}  span median "
              f"{np.median(spans):7.1f} d")
    # where the pairs of each set fall in dt, against the training pairs
    edges = det.log_dt_edges_
    trained = det.counts_.sum(axis=2)  # (channels, dt bins)
    print("  training pairs per dt bin (g, r, g-r, r-g):")
    centres = 10 ** (0.5 * (edges[:-1] + edges[1:]))
    for k in range(len(centres)):
        print(f"    dt ~ {centres[k]:9.3f} d: " + " ".join(f"{int(c):7d}" for c in trained[:, k]))
    sn_pairs = _pairs_by_dt_bin(sne, edges)
    empty = trained < 10
    print(f"  SN pairs in dt bins with < 10 training pairs of their channel: "
          f"{sn_pairs[empty].sum() / sn_pairs.sum():.3f} (of {int(sn_pairs.sum())})")
    print("  mean per-channel paper score S_f (transform), channels", det.channels_)
    S_sn = det.transform(sne)
    for name, lcs in (("RR as they come", test_rr), ("RR cadence-matched", matched),
                      ("SNe Ia", sne)):
        S = det.transform(lcs)
        print(f"    {name:20s} " + " ".join(f"{v:8.2f}" for v in np.nanmean(S, axis=0))
              + f"   total {np.nanmean(S.sum(axis=1)):8.2f}")
        if lcs is sne:
            continue
        y = np.r_[np.zeros(len(lcs)), np.ones(len(sne))]
        both = np.nan_to_num(np.vstack([S, S_sn]))  # no pair in a channel: 0
        nb = len(det.bands_)
        aucs = [roc_auc_score(y, -both[:, k]) for k in range(both.shape[1])]
        print("      AUC per channel (paper S_f): " + " ".join(f"{a:.3f}" for a in aucs)
              + f"; single bands only {roc_auc_score(y, -both[:, :nb].sum(axis=1)):.3f}"
              + f"; cross-bands only {roc_auc_score(y, -both[:, nb:].sum(axis=1)):.3f}")
    # which supernovae the default score calls normal
    z = DmDtNoveltyDetector(bands=list(BANDS)).fit(train)
    y = np.r_[np.zeros(len(matched)), np.ones(len(sne))]
    scores = -z.score_samples(LightCurves.concat([matched, sne]))
    rr_scores, sn_scores = scores[: len(matched)], scores[len(matched):]
    n = sne.lengths
    print("  default score, cadence-matched RR Lyrae vs SNe by SN point count:")
    for lo, hi in ((1, 5), (5, 10), (10, 20), (20, 40), (40, 10**6)):
        m = (n >= lo) & (n < hi)
        if m.any():
            auc = roc_auc_score(np.r_[np.zeros(len(rr_scores)), np.ones(m.sum())],
                                np.r_[rr_scores, sn_scores[m]])
            print(f"    {lo:3d}-{min(hi, 999):3d} points: {m.sum():4d} SNe, AUC {auc:.3f}")
    k = pairs_per_object(matched) == 0
    print(f"  cadence-matched RR Lyrae with no pair (score 0): {k.sum()}; SNe with none: "
          f"{(pairs_per_object(sne) == 0).sum()}")


def _describe(lcs):
    """Per object: points per band, span, median error, g range (max - min)."""
    band = np.asarray(lcs.column("band"))
    rows = []
    for a, b in zip(lcs.offsets[:-1], lcs.offsets[1:]):
        g = band[a:b] == "g"
        rows.append({"points": b - a, "span": np.ptp(lcs.time[a:b]),
                     "err": np.median(lcs.error[a:b]),
                     "g_range": np.ptp(lcs.value[a:b][g]) if g.any() else np.nan})
    return pd.DataFrame(rows)


def misranking(det, test_rr, sne, view):
    """Each object's share of the ranking errors of the default score: for an RR Lyrae,
    the fraction of SNe scored more normal; for a SN, the fraction of RR Lyrae scored
    less normal (ties half). Their means are both 1 - AUC."""
    s_rr, s_sn = det.score_samples(test_rr), det.score_samples(sne)
    out = []
    for kind, lcs, s, other, sign in (("RR", test_rr, s_rr, s_sn, 1), ("SN", sne, s_sn, s_rr, -1)):
        d = _describe(lcs)
        diff = sign * (other[None, :] - s[:, None])
        d["loss"] = np.mean(diff > 0, axis=1) + 0.5 * np.mean(diff == 0, axis=1)
        z = det.transform(lcs)
        d["least normal channel"] = np.where(np.isfinite(z).any(axis=1), np.asarray(
            det.channels_)[np.argmin(np.where(np.isfinite(z), z, np.inf), axis=1)], "none")
        d["all channels z > 0"] = np.all(np.where(np.isfinite(z), z, 1.0) > 0, axis=1)
        d["rr_type"] = lcs.meta["rr_type"].to_numpy() if kind == "RR" else ""
        out.append(d.assign(kind=kind, view=view))
    return pd.concat(out, ignore_index=True)


def report_misranked(table):
    print("\nMisranked objects, default score, pooled over the splits "
          "(loss: share of the ranking errors)")
    for view, t in table.groupby("view", sort=False):
        rr, sn = t[t.kind == "RR"], t[t.kind == "SN"]
        bad = rr[rr.loss > 0.1]
        print(f"  {view}: 1 - AUC = {rr.loss.mean():.3f}")
        share = bad.loss.sum() / rr.loss.sum()
        print(f"    RR Lyrae with loss > 0.1: {len(bad)} of {len(rr)} ({share:.0%} of the RR "
              f"loss); types {bad.rr_type.value_counts().to_dict()} of "
              f"{rr.rr_type.value_counts().to_dict()}; least normal channel "
              f"{bad['least normal channel'].value_counts().to_dict()}")
        print(f"      median g range {bad.g_range.median():.2f} mag "
              f"(all {rr.g_range.median():.2f}), points {bad.points.median():.0f} "
              f"({rr.points.median():.0f}), error {bad.err.median():.3f} ({rr.err.median():.3f})")
        quart = rr.groupby(pd.qcut(rr.g_range, 4, duplicates="drop"), observed=True).loss.mean()
        print("      RR loss by g-range quartile: "
              + ", ".join(f"{iv.left:.2f}-{iv.right:.2f} mag {v:.3f}" for iv, v in quart.items()))
        for col, edges in (("span", [-1, 20, 40, 100, 1e4]), ("err", [0, 0.1, 0.15, 10])):
            by = sn.groupby(pd.cut(sn[col], edges), observed=True).loss.agg(["mean", "size"])
            print(f"    SN loss by {col}: " + ", ".join(
                f"{iv.left:g}-{iv.right:g}: {r['mean']:.3f} (n={int(r['size'])})"
                for iv, r in by.iterrows()))
        worst = sn[sn.loss > 0.5]
        print(f"    SNe with loss > 0.5: {len(worst)} of {len(sn)}, "
              f"{worst['all channels z > 0'].sum()} with every channel z > 0; median span "
              f"{worst.span.median():.0f} d (all {sn.span.median():.0f}), points "
              f"{worst.points.median():.0f} ({sn.points.median():.0f}), g range "
              f"{worst.g_range.median():.2f} ({sn.g_range.median():.2f}), error "
              f"{worst.err.median():.3f} ({sn.err.median():.3f})")


def _pairs_by_dt_bin(lcs, edges):
    """Pairs per (channel g, r, g-r, r-g; dt bin), counted as the detector pairs them."""
    n_bins = len(edges) - 1
    out = np.zeros((4, n_bins))
    band = np.asarray(lcs.column("band"))
    for a, b in zip(lcs.offsets[:-1], lcs.offsets[1:]):
        t, bd = lcs.time[a:b], band[a:b]
        tg, tr = t[bd == "g"], t[bd == "r"]
        dts = [np.diff(tg), np.diff(tr)]
        d = tg[:, None] - tr[None, :]
        dts += [d[d > 0], -d[d < 0]]
        for c, dt in enumerate(dts):
            k = np.clip(np.searchsorted(edges, np.log10(np.maximum(dt, 1e-9))) - 1, 0, n_bins - 1)
            out[c] += np.bincount(k, minlength=n_bins)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--no-map-r", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help="also save PNG figures of the first split into this existing folder")
    args = parser.parse_args()
    if args.figures:
        import real_figures

        real_figures.check_directory(args.figures)  # refuse a bad folder before the run
    rr = keep_bands(load_stripe82_rrlyrae(args.data_dir), BANDS)
    sne = load_ztf_bts(args.data_dir)
    if not args.no_map_r:
        sne = map_ztf_r(sne)
    print(f"{len(rr)} RR Lyrae (g, r), {len(sne)} SNe Ia (bands {sne.bands}); "
          f"{args.splits} random halvings of the RR Lyrae\n")
    rows, misranked, first_scores = [], [], {}
    for split in range(args.splits):
        rng = np.random.RandomState(args.seed + split)
        order = rng.permutation(len(rr))
        train, test_rr = rr[order[: len(rr) // 2]], rr[order[len(rr) // 2:]]
        matched = cadence_matched(test_rr, sne, rng)
        for view, test in (("as they come", test_rr), ("cadence-matched", matched)):
            kept = first_scores.setdefault(view, {}) if split == 0 else None
            for method, auc in evaluate(train, test, sne, split, kept).items():
                rows.append({"view": view, "method": method, "auc": auc})
            det = DmDtNoveltyDetector(bands=list(BANDS)).fit(train)
            misranked.append(misranking(det, test, sne, view))
        if split == 0:
            first = (train, test_rr, matched)
    table = pd.DataFrame(rows).groupby(["view", "method"], sort=False)["auc"].agg(["mean", "std"])
    print("ROC AUC (SNe Ia positive), mean and sd over splits:")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    diagnose(*first[:2], first[2], sne)
    report_misranked(pd.concat(misranked, ignore_index=True))
    if args.figures:
        save_figures(args.figures, first_scores, args.splits)


if __name__ == "__main__":
    main()

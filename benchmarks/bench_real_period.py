"""Period recovery on the SDSS Stripe 82 RR Lyrae (issue 13, item 2a).

Fraction of the stars whose period is found within 0.1 % of Sesar et al.'s,
single band (g, r, i) and all five bands together, for ``PeriodFolder`` (the
defaults; ``nterms=3``; ``multiband=True`` for all bands) and, in the same run
on the same frequency grid (0.1-10 d, 5 points per peak width
``1 / baseline``), astropy ``LombScargle`` (1 and 3 terms) and
``LombScargleMultiband``. Failures are sorted into P/2, 2P, daily aliases
(``|1/P_found - 1/P| ≈ k / 1 d`` or per sidereal day, ``k = 1, 2``) and
other, by RR Lyrae type.

Run::

    python benchmarks/bench_real_period.py --data-dir ../shared/data
    python benchmarks/bench_real_period.py --data-dir ../shared/data --stars 40 --bands r
    python benchmarks/bench_real_period.py --data-dir ../shared/data --half 0 --no-astropy
    python benchmarks/bench_real_period.py --data-dir ../shared/data --astropy-fast-only --figures DIR

``--half 0`` / ``--half 1`` keep one of two random halves of the stars (a fixed
seed), so that a change can be checked on both and a figure is not tuned to
one subset. ``--figures DIR`` also saves, from the same run, the fraction
recovered per method and band (``period_recovered.png``) and a grid of folded
light curves (g, r, i), a few stars found and a few missed, each folded at
Sesar's period and at the one found (``period_folded.png``).
"""

import argparse
import time

import numpy as np
import pandas as pd

from skastro.datasets import load_stripe82_rrlyrae
from skastro.periodic import PeriodFolder

TOL = 1e-3
PERIOD_RANGE = (0.1, 10.0)
OVERSAMPLING = 5.0
SIDEREAL_DAY = 0.99726957
HALF_SEED = 20261203  # fixed: the two halves must not change between runs


def half_indices(n_stars, half):
    """Sorted indices of one of two random halves (``half`` 0 or 1) of ``n_stars``."""
    perm = np.random.default_rng(HALF_SEED).permutation(n_stars)
    return np.sort(perm[: n_stars // 2] if half == 0 else perm[n_stars // 2:])


def failure_kind(found, true, tol=TOL):
    """'ok', 'P/2', '2P', 'alias' (daily/sidereal, k = 1, 2), 'none' (no period) or 'other'."""
    if not np.isfinite(found):
        return "none"
    if abs(found - true) / true < tol:
        return "ok"
    if abs(found - true / 2) / (true / 2) < tol:
        return "P/2"
    if abs(found - 2 * true) / (2 * true) < tol:
        return "2P"
    df = abs(1 / found - 1 / true)
    for day in (1.0, SIDEREAL_DAY):
        for k in (1, 2):
            if abs(df - k / day) < 2e-3 * k / day:
                return "alias"
    # aliases of the half period (harmonic and daily alias at once)
    df2 = abs(1 / found - 2 / true)
    if any(abs(df2 - k) < 2e-3 * k for k in (1, 2)):
        return "alias of P/2"
    return "other"


def _band_arrays(lcs, band):
    keep = np.asarray(lcs.column("band")) == band
    out = []
    idx = lcs.object_index
    for i in range(len(lcs)):
        m = keep & (idx == i)
        out.append((lcs.time[m], lcs.value[m], lcs.error[m]))
    return out


def _grid(t):
    """autopower's keywords for PeriodFolder's grid (its fast methods need a regular grid)."""
    return {"minimum_frequency": 1.0 / PERIOD_RANGE[1], "maximum_frequency": 1.0 / PERIOD_RANGE[0],
            "samples_per_peak": OVERSAMPLING}


def astropy_single(lcs, band, nterms):
    from astropy.timeseries import LombScargle

    out = np.full(len(lcs), np.nan)
    for i, (t, y, e) in enumerate(_band_arrays(lcs, band)):
        freq, power = LombScargle(t, y, e, nterms=nterms).autopower(**_grid(t))
        out[i] = 1.0 / freq[np.argmax(power)]
    return out


def astropy_multiband(lcs):
    from astropy.timeseries import LombScargleMultiband

    out = np.full(len(lcs), np.nan)
    off = lcs.offsets
    band = np.asarray(lcs.column("band"))
    for i in range(len(lcs)):
        s = slice(off[i], off[i + 1])
        t = lcs.time[s]
        model = LombScargleMultiband(t, lcs.value[s], band[s], lcs.error[s])
        freq, power = model.autopower(**_grid(t))
        out[i] = 1.0 / freq[np.argmax(power)]
    return out


def skastro_periods(lcs, **kwargs):
    folder = PeriodFolder(period_range=PERIOD_RANGE, oversampling=OVERSAMPLING,
                          random_state=0, **kwargs)
    return folder.fit_transform(lcs).meta["period"].to_numpy()


def _family(name):
    """The bar group of a method: the multi-band runs join their single-band kin."""
    if name.startswith("PeriodFolder"):
        return "PeriodFolder nterms=3" if "nterms=3" in name else "PeriodFolder (defaults)"
    return "astropy nterms=3" if "nterms=3" in name else "astropy 1 term"


def save_figures(directory, lcs, rows, found_per_star, reference, n_each=3):
    """The fraction recovered per method and band; folded curves of ``reference``'s hits and misses."""
    import real_figures as rf

    bands = list(dict.fromkeys(r["bands"] for r in rows))
    groups = list(dict.fromkeys(_family(r["method"]) for r in rows))
    values = np.full((len(groups), len(bands)), np.nan)
    for r in rows:
        values[groups.index(_family(r["method"])), bands.index(r["bands"])] = r["recovered"]
    fig, (ax,) = rf.new_figure(1, width=6.4, height=3.4)
    labels = [b if len(b) == 1 else f"{b} (multiband=True)" for b in bands]
    rf.plot_fractions(ax, labels, values, groups, ylabel=f"fraction within {TOL:.1%} of Sesar's P",
                      title=f"{len(lcs)} Stripe 82 RR Lyrae")
    rf.save(fig, directory, "period_recovered.png")

    true, found = found_per_star["period"], found_per_star[reference]
    kinds = np.array([failure_kind(f, p) for f, p in zip(found, true)])
    stars = np.r_[np.flatnonzero(kinds == "ok")[:n_each], np.flatnonzero(kinds != "ok")[:n_each]]
    # g, r and i only: u and z are noisier and would set the axes
    lcs = lcs.select_observations(np.isin(np.asarray(lcs.column("band")), list("gri")))
    band = np.asarray(lcs.column("band"))
    fig, axes = rf.new_figure(2 * len(stars), width=2.3, height=1.9, nrows=max(1, (len(stars) + 1) // 2))
    for k, i in enumerate(stars):
        s = slice(lcs.offsets[i], lcs.offsets[i + 1])
        # each band about its median, so that the three share one axis
        mag = lcs.value[s] - pd.Series(lcs.value[s]).groupby(band[s]).transform("median").to_numpy()
        name = f"{lcs.ids[i]} ({lcs.meta['rr_type'].iloc[i]})"
        rf.plot_folded(axes[2 * k], lcs.time[s], mag, true[i], band[s],
                       title=f"{name} at Sesar's {true[i]:.4f} d")
        rf.plot_folded(axes[2 * k + 1], lcs.time[s], mag, found[i], band[s],
                       title=f"found {found[i]:.4f} d: {'found' if kinds[i] == 'ok' else kinds[i]}")
    fig.legend(*axes[0].get_legend_handles_labels(), fontsize=7, markerscale=2, loc="upper right",
               ncol=5, handletextpad=0.1, columnspacing=0.5)
    for ax in axes[::4]:
        ax.set_ylabel("mag - band median", fontsize=7)
    fig.suptitle(f"{reference}: {n_each} found, {n_each} missed (phase over two cycles)",
                 fontsize=9, x=0.02, ha="left")
    rf.save(fig, directory, "period_folded.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--stars", type=int, default=None,
                        help="every k-th star so that about this many are used (astropy's "
                             "3-term and multi-band periodograms take ~10-30 s per star)")
    parser.add_argument("--bands", default="gri", help="single bands to run, e.g. 'r'")
    parser.add_argument("--half", type=int, choices=(0, 1), default=None,
                        help="keep one of two random halves of the stars (fixed seed), "
                             "applied before --stars")
    parser.add_argument("--save", default=None,
                        help="write the period each method found per star to this CSV")
    parser.add_argument("--skip-multiband", action="store_true")
    parser.add_argument("--no-astropy", action="store_true", help="skastro rows only")
    parser.add_argument("--astropy-fast-only", action="store_true",
                        help="of astropy, only the 1-term LombScargle (fast enough for all stars)")
    parser.add_argument("--figures", default=None, metavar="DIR",
                        help="also save PNG figures of this run into this existing folder")
    args = parser.parse_args()
    if args.figures:
        import real_figures

        real_figures.check_directory(args.figures)  # refuse a bad folder before the long run
    lcs = load_stripe82_rrlyrae(args.data_dir)
    if args.half is not None:
        lcs = lcs[half_indices(len(lcs), args.half)]
    if args.stars:
        lcs = lcs[:: max(1, len(lcs) // args.stars)]
    true = lcs.meta["period"].to_numpy()
    rr = lcs.meta["rr_type"].to_numpy()
    half = "" if args.half is None else f" (half {args.half})"
    print(f"{len(lcs)}{half} Stripe 82 RR Lyrae ({(rr == 'ab').sum()} ab, {(rr == 'c').sum()} c); "
          f"success: |P - P_Sesar| / P_Sesar < {TOL:g}\n")
    runs = []
    for band in args.bands:
        runs += [
            (band, "PeriodFolder (defaults)", lambda b=band: skastro_periods(lcs, band=b)),
            (band, "PeriodFolder nterms=3",
             lambda b=band: skastro_periods(lcs, band=b, nterms=3)),
            (band, "astropy LombScargle nterms=1", lambda b=band: astropy_single(lcs, b, 1)),
            (band, "astropy LombScargle nterms=3", lambda b=band: astropy_single(lcs, b, 3)),
        ]
    runs += [] if args.skip_multiband else [
        ("ugriz", "PeriodFolder multiband=True", lambda: skastro_periods(lcs, multiband=True)),
        ("ugriz", "PeriodFolder multiband=True nterms=3",
         lambda: skastro_periods(lcs, multiband=True, nterms=3)),
        ("ugriz", "astropy LombScargleMultiband", lambda: astropy_multiband(lcs)),
    ]
    rows = []
    found_per_star = {"period": true, "rr_type": rr}
    if args.no_astropy:
        runs = [r for r in runs if not r[1].startswith("astropy")]
    elif args.astropy_fast_only:
        runs = [r for r in runs if not r[1].startswith("astropy") or r[1].endswith("nterms=1")]
    for band, name, run in runs:
        t0 = time.perf_counter()
        found = run()
        seconds = time.perf_counter() - t0
        found_per_star[f"{band} {name}"] = found
        kinds = np.array([failure_kind(f, p) for f, p in zip(found, true)])
        row = {"bands": band, "method": name, "recovered": np.mean(kinds == "ok"),
               "ab": np.mean(kinds[rr == "ab"] == "ok"), "c": np.mean(kinds[rr == "c"] == "ok"),
               "seconds": seconds}
        for kind in ("P/2", "2P", "alias", "alias of P/2", "other", "none"):
            row[kind] = int(np.sum(kinds == kind))
        row["failed c: P/2"] = int(np.sum((kinds == "P/2") & (rr == "c")))
        rows.append(row)
        print(f"{band:6s} {name:38s} {row['recovered']:.3f}  ({seconds:.0f} s)", flush=True)
    if args.save:
        pd.DataFrame(found_per_star, index=lcs.meta.index).to_csv(args.save)
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("\nFraction within 0.1 % (all, RRab, RRc) and failures by kind (counts):")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    for band in args.bands:
        mask = np.asarray(lcs.column("band")) == band
        med_err = pd.Series(lcs.error[mask]).groupby(lcs.object_index[mask]).median()
        n = np.bincount(lcs.object_index[mask], minlength=len(lcs))
        print(f"band {band}: median epochs {np.median(n):.0f}, median of per-star median "
              f"error {med_err.median():.3f} mag")
    if args.figures:
        skastro_rows = [f"{r['bands']} {r['method']}" for r in rows if r["method"].startswith("PeriodFolder")]
        preferred = [k for k in skastro_rows if k.startswith("r ")] + skastro_rows
        save_figures(args.figures, lcs, rows, found_per_star, preferred[0])


if __name__ == "__main__":
    main()

"""Follow-up selection on the Catalina periodic variables (Astudillo et al. 2020, §8).

Two experiments, each comparing the six strategies of §5.4 with 10-fold
out-of-fold scoring and drawing the paper's Figs. 3, 4 and 6:

(a) a simulated survey whose expensive features are VAE encodings of
    simulated spectra (EW/RRc confusable in photometry, not in spectra);
(b) the real CSS FATS features (``--data-dir``), x_t = the paper's seven
    features and x_s = Skew + SmallKurtosis (the SDSS spectral features are not
    available; see docs/user_guide/followup.rst for the meaning of this choice).

    python examples/followup_css.py --data-dir ../shared/data --out /tmp/followup_css
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from skastro.experiments import CSS_EXPENSIVE, load_css_followup, simulated_followup_features
from skastro.followup import (InfoGainFollowupSelector, evaluate_strategies, plot_gtp_vs_uncertainty,
                              plot_strategies)


def study(X, y, expensive, name, out, n_draws, seed):
    sel = InfoGainFollowupSelector(expensive, n_draws=n_draws, n_jobs=-1, random_state=seed)
    n = len(y)
    sizes = np.unique(np.r_[np.arange(1, int(0.2 * n) + 1), np.linspace(1, n, 100).astype(int)])
    res, met = evaluate_strategies(sel, X, y, subset_sizes=sizes, cv=10, random_state=seed, return_metrics=True)
    res.to_csv(out / f"{name}_strategies.csv", index=False)
    for frac, tag in [(None, "all"), (0.2, "first20pct")]:
        fig = plot_strategies(res, max_fraction=frac, title=name)
        fig.savefig(out / f"{name}_{tag}.png", dpi=100)
        plt.close(fig)
    s5 = int(round(0.05 * n))
    table = res[res.s == s5].set_index("strategy")[["gtp_improvement", "accuracy_improvement", "correction_ratio"]]
    print(f"\n{name}: {n} objects, s = {s5} (5 %), {int(met['delta_y'].sum())} objects with delta_y = 1")
    print(table.round(3).to_string())
    # Fig. 5: GTP gain vs the entropy of the sampled x_s
    fig = plot_gtp_vs_uncertainty(met)
    fig.savefig(out / f"{name}_gtp_vs_uncertainty.png", dpi=100, bbox_inches="tight")
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="followup_css_out")
    parser.add_argument("--n-draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sim = simulated_followup_features(n_objects=2500, n_spectra=3000, n_wavelengths=400,
                                      dims=(2, 3, 4, 6, 8), vae_params=dict(max_epochs=40),
                                      random_state=args.seed)
    study(sim.X, sim.y, sim.expensive, "simulated", out, args.n_draws, args.seed)
    if args.data_dir:
        X, y = load_css_followup(args.data_dir)
        study(X, y, CSS_EXPENSIVE, "css", out, args.n_draws, args.seed)
    print(f"\nfigures and tables in {out}")


if __name__ == "__main__":
    main()

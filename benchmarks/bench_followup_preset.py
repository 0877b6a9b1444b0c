"""Paper preset vs skastro defaults for the follow-up components (Astudillo et al. 2020).

Two measurements, each small enough for a laptop:

(1) ``SpectrumVAE``: the preset differs from the defaults only in the KL
    annealing (over all 100 epochs instead of the first 50). Test R² of the
    reconstruction (the paper's selection criterion, §5.3) for both, several
    seeds, on simulated spectra.
(2) ``InfoGainFollowupSelector``: the preset equals the defaults (N = 200
    draws); ``skastro reproduce`` runs with N = 100 for speed. The effect of
    N on the 5 % subset figures of the strategy comparison, 5-fold out of
    fold, on the CSS FATS features when found (else skipped).

    python benchmarks/bench_followup_preset.py --data-dir ../shared/data
"""

import argparse
import time

import numpy as np


def vae_study(seeds, n_spectra, n_wavelengths):
    from skastro.datasets import make_spectra
    from skastro.followup import SpectrumVAE

    X, _, _ = make_spectra(n_spectra, n_wavelengths=n_wavelengths, random_state=1)
    cut = int(0.8 * n_spectra)
    print(f"(1) SpectrumVAE, {cut} training / {n_spectra - cut} test spectra x {n_wavelengths} bins, "
          "latent_dim=7, 100 epochs, test R2")
    for name, make in [("default (KL annealed over 50 epochs)", lambda s: SpectrumVAE(n_jobs=1, random_state=s)),
                       ("astudillo2020 (KL annealed over 100)",
                        lambda s: SpectrumVAE.from_preset("astudillo2020", n_jobs=1, random_state=s))]:
        start = time.perf_counter()
        r2 = [make(s).fit(X[:cut]).score(X[cut:]) for s in seeds]
        print(f"  {name:40s} R2 {np.mean(r2):.4f} +- {np.std(r2):.4f} (seeds {list(seeds)}: "
              f"{', '.join(f'{v:.4f}' for v in r2)}), {time.perf_counter() - start:.0f} s")


def draws_study(data_dir, seed):
    from skastro.experiments import CSS_EXPENSIVE, load_css_followup
    from skastro.followup import InfoGainFollowupSelector, evaluate_strategies

    X, y = load_css_followup(data_dir)
    s5 = int(round(0.05 * len(y)))
    print(f"(2) InfoGainFollowupSelector on CSS FATS ({len(y)} objects), 5-fold, s = {s5} (5 %)")
    for n_draws in (100, 200):
        start = time.perf_counter()
        sel = InfoGainFollowupSelector.from_preset("astudillo2020", expensive_features=CSS_EXPENSIVE,
                                                   n_draws=n_draws, n_jobs=-1, random_state=seed)
        res, met = evaluate_strategies(sel, X, y, subset_sizes=[s5], strategies=("ig+dy", "entropy+dy"),
                                       cv=5, random_state=seed, return_metrics=True)
        r = res.set_index("strategy")
        print(f"  n_draws={n_draws}: delta_y=1 for {int(met['delta_y'].sum())} objects; "
              f"GTP gain ig+dy {r.loc['ig+dy', 'gtp_improvement']:.3f}; corrected entropy+dy "
              f"{r.loc['entropy+dy', 'correction_ratio']:.3f}, ig+dy {r.loc['ig+dy', 'correction_ratio']:.3f}; "
              f"{time.perf_counter() - start:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-spectra", type=int, default=1500)
    parser.add_argument("--n-wavelengths", type=int, default=250)
    args = parser.parse_args()
    vae_study(range(args.seeds), args.n_spectra, args.n_wavelengths)
    if args.data_dir:
        draws_study(args.data_dir, 0)


if __name__ == "__main__":
    main()

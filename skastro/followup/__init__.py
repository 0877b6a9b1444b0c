"""Choosing spectroscopic follow-ups by expected information gain (Astudillo et al. 2020)."""

from ._evaluation import evaluate_strategies, plot_gtp_vs_uncertainty, plot_strategies
from ._feature_subset import select_feature_subset
from ._info_gain import PRESETS, STRATEGIES, InfoGainFollowupSelector, entropy, strategy_scores
from ._wavelength_grid import common_wavelength_grid, resample_spectra
from ._vae import VAE_PRESETS, SpectrumVAE, choose_latent_dim

__all__ = [
    "InfoGainFollowupSelector",
    "SpectrumVAE",
    "PRESETS",
    "STRATEGIES",
    "VAE_PRESETS",
    "choose_latent_dim",
    "common_wavelength_grid",
    "entropy",
    "evaluate_strategies",
    "plot_gtp_vs_uncertainty",
    "plot_strategies",
    "resample_spectra",
    "select_feature_subset",
    "strategy_scores",
]

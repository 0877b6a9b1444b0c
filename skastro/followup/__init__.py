"""Choosing spectroscopic follow-ups by expected information gain (Astudillo et al. 2020)."""

from ._evaluation import evaluate_strategies, plot_strategies
from ._feature_subset import select_feature_subset
from ._info_gain import STRATEGIES, InfoGainFollowupSelector, entropy, strategy_scores
from ._vae import SpectrumVAE, choose_latent_dim

__all__ = [
    "InfoGainFollowupSelector",
    "SpectrumVAE",
    "STRATEGIES",
    "choose_latent_dim",
    "entropy",
    "evaluate_strategies",
    "plot_strategies",
    "select_feature_subset",
    "strategy_scores",
]

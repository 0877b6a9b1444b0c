"""Paper experiments at any scale: the studies behind ``skastro reproduce``.

Each paper's headline experiment as a function that simulates or loads the
data, runs the method and its baselines on the same splits and returns the
numbers (and, where asked, writes the figures). ``skastro reproduce`` runs
them at small scale; ``examples/`` runs them at the paper's scale.

This package sits above :mod:`skastro.datasets` and the method packages
(it uses both) and below :mod:`skastro.reproduce`; see the layering rule in
``docs/contributing.rst``.
"""

from ._followup import (
    CSS_CHEAP,
    CSS_CLASSES,
    CSS_EXPENSIVE,
    load_css_followup,
    simulated_followup_features,
)
from ._lensnet import run_lensnet_experiment
from ._novelty import (
    PAPER_AUC,
    NoveltyBenchmarkResult,
    PopulationStudyResult,
    exact_gaussian_kde_logpdf,
    run_novelty_benchmark,
    run_population_study,
    select_plasticc,
    summary_features,
)
from ._rrab import (
    binary_metrics,
    fit_and_score,
    fold_rrab_simulation,
    format_rrab_table,
    make_rrab_models,
    run_rrab_plasticc,
    run_rrab_study,
)

__all__ = [
    # Dékány & Grebel (2020): RRab vs the rest
    "run_rrab_study",
    "run_rrab_plasticc",
    "format_rrab_table",
    "fold_rrab_simulation",
    "make_rrab_models",
    "fit_and_score",
    "binary_metrics",
    # Viaña et al. (2025): LensNet
    "run_lensnet_experiment",
    # Soraisam et al. (2020): novelty detection
    "run_novelty_benchmark",
    "NoveltyBenchmarkResult",
    "run_population_study",
    "PopulationStudyResult",
    "select_plasticc",
    "summary_features",
    "exact_gaussian_kde_logpdf",
    "PAPER_AUC",
    # Astudillo et al. (2020): follow-up selection
    "load_css_followup",
    "simulated_followup_features",
    "CSS_CHEAP",
    "CSS_EXPENSIVE",
    "CSS_CLASSES",
]

"""Novelty detection from population dm-dt distributions (Soraisam et al. 2020)."""

from ._dmdt import FILE_FORMAT, FILE_VERSION, PRESETS, DmDtNoveltyDetector
from ._benchmark import (
    PAPER_AUC,
    NoveltyBenchmarkResult,
    exact_gaussian_kde_logpdf,
    run_novelty_benchmark,
    select_plasticc,
    summary_features,
)
from ._flagging import percentile_outliers, repeated_split_flags

__all__ = [
    "DmDtNoveltyDetector",
    "repeated_split_flags",
    "percentile_outliers",
    "run_novelty_benchmark",
    "NoveltyBenchmarkResult",
    "select_plasticc",
    "summary_features",
    "exact_gaussian_kde_logpdf",
    "PAPER_AUC",
    "FILE_FORMAT",
    "FILE_VERSION",
    "PRESETS",
]

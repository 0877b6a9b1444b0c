"""Period search, robust folding and RNN sequences (Dékány & Grebel 2020)."""

from ._bilstm import BILSTM_PRESETS, BiLSTMClassifier
from ._label_cleaning import clean_labels, confident_mistakes
from ._dual_fold import DualFoldSequencer
from ._period_folder import FOLD_META_COLUMNS, PRESETS, PeriodFolder
from ._plotting import plot_folded
from ._selection import DEFAULT_FEATURES, FoldFeatures, QUALITY_PRESETS, quality_mask

__all__ = [
    "PeriodFolder",
    "DualFoldSequencer",
    "BiLSTMClassifier",
    "BILSTM_PRESETS",
    "clean_labels",
    "confident_mistakes",
    "FoldFeatures",
    "DEFAULT_FEATURES",
    "quality_mask",
    "QUALITY_PRESETS",
    "PRESETS",
    "FOLD_META_COLUMNS",
    "plot_folded",
]

"""Novelty detection from population dm-dt distributions (Soraisam et al. 2020).

The paper's §5 benchmark (IND vs KDE vs Isolation Forest) is
:func:`skastro.experiments.run_novelty_benchmark`.
"""

from ._dmdt import PRESETS, DmDtNoveltyDetector
from ._flagging import percentile_outliers, repeated_split_flags

__all__ = [
    "DmDtNoveltyDetector",
    "repeated_split_flags",
    "percentile_outliers",
    "PRESETS",
]

"""skastro: scikit-learn estimators for time-domain astronomy.

Public names are imported on first use, so ``import skastro`` stays fast and
does not load torch until a neural-network estimator is asked for.
"""

import importlib

from ._lightcurves import LightCurves
from ._version import __version__

# public name -> subpackage that defines it
_LAZY = {
    "PeriodFolder": "skastro.periodic",
    "DualFoldSequencer": "skastro.periodic",
    "BiLSTMClassifier": "skastro.periodic",
    "BranchedRNNClassifier": "skastro.microlensing",
    "DmDtNoveltyDetector": "skastro.novelty",
    "InfoGainFollowupSelector": "skastro.followup",
    "SpectrumVAE": "skastro.followup",
    # partitioned Parquet directories (skastro._partitioned)
    "write_partitions": "skastro._partitioned",
    "read_partitions": "skastro._partitioned",
    "iter_partitions": "skastro._partitioned",
    "partition_paths": "skastro._partitioned",
    # safe, versioned model files (skastro.utils._model_io)
    "save_model": "skastro.utils",
    "load_model": "skastro.utils",
}

__all__ = ["LightCurves", "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'skastro' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))

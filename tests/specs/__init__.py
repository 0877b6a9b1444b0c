"""Common-check specifications, one module per estimator family.

Every public estimator of skastro must have an :class:`EstimatorSpec` in the
``SPECS`` list of some module in this folder; ``tests/test_common.py`` collects
them all and fails for any public estimator that has none.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class EstimatorSpec:
    """How to exercise one estimator in the common checks.

    Attributes
    ----------
    make_estimator : callable() -> estimator
        A small, fast instance (few epochs, tiny nets) with ``random_state`` set
        when the estimator has one.
    make_data : callable(random_state) -> (X, y)
        A small dataset (``y`` may be None for unsupervised estimators).
    param_grid : dict
        A small grid for ``GridSearchCV`` over the estimator's own parameters
        (keys without a pipeline prefix).
    pipeline_tail : callable() -> list of estimators, default: none
        Steps to put after the estimator in a ``Pipeline`` (for a transformer,
        something that predicts or scores).
    scoring : str or callable, default=None
        Scoring for ``GridSearchCV``/``cross_val_score`` (None: the pipeline's
        ``score``).
    bad_inputs : list of (description, callable(X, y) -> X_bad, exception type[, stage])
        Extra bad inputs that must be rejected with a clear error; ``stage``
        is ``"fit"`` (default: ``fit`` rejects it) or ``"predict"`` (fit on
        good data, then the main output method rejects it, e.g. an unknown band).
    variant : str, default=""
        Empty for the estimator's spec; else the name of a further configuration
        of the same class (e.g. ``"passthrough"``), which only the fuzz suite runs
        (see :func:`collect_variants`).
    fuzz_params : dict, default: none
        Parameters set on ``make_estimator()`` for the fuzz suite (``tests/fuzz``),
        which runs tens of thousands of examples: fewer trees or smaller layers,
        sizes that do not change how the estimator handles its input.
    """

    make_estimator: Callable[[], Any]
    make_data: Callable[[int], tuple]
    param_grid: dict
    pipeline_tail: Callable[[], list] = list
    scoring: Any = None
    bad_inputs: list = field(default_factory=list)
    variant: str = ""
    fuzz_params: dict = field(default_factory=dict)


def _all_specs():
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for spec in getattr(module, "SPECS", []):
            yield type(spec.make_estimator()), spec


def collect_specs():
    """``{estimator class: spec}`` from every module in this package (variants left out)."""
    return {cls: spec for cls, spec in _all_specs() if not spec.variant}


def collect_variants():
    """``{"Class-variant": (estimator class, spec)}``: the further configurations."""
    return {f"{cls.__name__}-{spec.variant}": (cls, spec) for cls, spec in _all_specs()
            if spec.variant}

"""Every public estimator on hostile input (issue 17 item 1, issue 18).

Estimators are discovered as in ``tests/test_common.py`` (a public ``__all__``)
and built from their ``tests/specs`` entry (nets cut to one epoch). Each
example draws hostile data shaped like the spec's data: light curves for
estimators that take ``LightCurves`` (built by a random public constructor),
arrays or a ``SliceDict`` for the others. Two stages per example:

- ``predict``: the estimator fitted on the spec's good data scores/transforms
  the hostile data with each output method;
- ``fit``: a fresh estimator is fitted on the hostile data, then its output
  methods run on it.

Every call must give a well-formed result or a clear error, and leave the
input unchanged (``_checks.run``).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skastro import LightCurves

from ..specs import collect_specs
from ..test_common import public_estimators
from . import _checks
from .strategies import hostile_arrays, raw_curves

SPECS = collect_specs()
ESTIMATORS = sorted((cls for cls in public_estimators() if cls in SPECS), key=lambda c: c.__name__)
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "score_samples", "transform")
_FITTED = {}


def _small(spec):
    est = spec.make_estimator()
    if "max_epochs" in est.get_params():
        est.set_params(max_epochs=1)
    return est


def _template(cls):
    """The spec's data, and a fitted estimator on it (once per process)."""
    if cls not in _FITTED:
        X, y = SPECS[cls].make_data(0)
        est = _small(SPECS[cls])
        est.fit(X) if y is None else est.fit(X, y)
        _FITTED[cls] = X, y, est
    return _FITTED[cls]


def _labels_for(y, n):
    return None if y is None else np.resize(np.unique(y), n)


def _hostile(cls, draw):
    X_template, _, _ = _template(cls)
    if isinstance(X_template, LightCurves):
        raw = draw(raw_curves(X_template, min_objects=1, max_objects=5))
        how = draw(st.sampled_from(["from_arrays", "from_pandas"]))
        return _checks.run(how, lambda: raw.build(how), X=None,
                           names=(*raw.columns, *_checks.constructor_words(how)),
                           ids=raw.ids)
    return draw(hostile_arrays(X_template))


def _outputs(est, X, stage):
    name = type(est).__name__
    for method in OUTPUT_METHODS:
        if hasattr(est, method):
            _checks.run(f"{name} ({stage})", lambda: getattr(est, method)(X), X,
                        est=est, method=method, names=_param_names(est))


def _param_names(est):
    return tuple(est.get_params(deep=False))


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@given(data=st.data())
def test_hostile_input(cls, data):
    _checks.count_example(cls.__name__)
    X = _hostile(cls, data.draw)
    if X is None:  # the constructor refused the input clearly
        return
    _, y_template, fitted = _template(cls)
    _outputs(fitted, X, "predict")
    est = _small(SPECS[cls])
    y = _labels_for(y_template, len(X))
    fit = (lambda: est.fit(X)) if y is None else (lambda: est.fit(X, y))
    name = type(est).__name__
    if _checks.run(f"{name} (fit)", fit, X, est=est, method="fit",
                   names=_param_names(est)) is not None:
        _outputs(est, X, "fit")

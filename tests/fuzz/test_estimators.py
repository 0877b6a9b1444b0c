"""Every public estimator on hostile input (issue 17 item 1, issue 18).

Estimators are discovered as in ``tests/test_common.py`` (a public ``__all__``)
and built from their ``tests/specs`` entry (nets cut to one epoch, and the spec's
``fuzz_params``: fewer trees, smaller layers). Each
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

from ..specs import collect_specs, collect_variants
from ..test_common import public_estimators
from . import _checks
from .strategies import hostile_arrays, raw_curves

SPECS = collect_specs()
ESTIMATORS = sorted((cls for cls in public_estimators() if cls in SPECS), key=lambda c: c.__name__)
#: What is fuzzed: each estimator by its class name, and the spec variants (a further
#: configuration of one class, e.g. "BranchedRNNClassifier-passthrough") by theirs.
SUBJECTS = {cls.__name__: SPECS[cls] for cls in ESTIMATORS}
SUBJECTS.update((name, spec) for name, (cls, spec) in sorted(collect_variants().items())
                if cls in ESTIMATORS)
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "score_samples", "transform")
_FITTED = {}


def _small(spec):
    est = spec.make_estimator().set_params(**spec.fuzz_params)
    if "max_epochs" in est.get_params():
        est.set_params(max_epochs=1)
    return est


def _template(subject):
    """The spec's data, and a fitted estimator on it (once per process); ``subject`` is
    an estimator class or a name of ``SUBJECTS``."""
    name = subject if isinstance(subject, str) else subject.__name__
    if name not in _FITTED:
        X, y = SUBJECTS[name].make_data(0)
        est = _small(SUBJECTS[name])
        est.fit(X) if y is None else est.fit(X, y)
        _FITTED[name] = X, y, est
    return _FITTED[name]


def _labels_for(y, n):
    return None if y is None else np.resize(np.unique(y), n)


def _hostile(subject, draw):
    X_template, _, _ = _template(subject)
    if isinstance(X_template, LightCurves):
        raw = draw(raw_curves(X_template, min_objects=1, max_objects=5))
        how = draw(st.sampled_from(["from_arrays", "from_pandas"]))
        return _checks.run(how, lambda: raw.build(how), X=None,
                           names=(*raw.columns, *_checks.constructor_words(how)),
                           ids=raw.ids)
    return draw(hostile_arrays(X_template))


def _outputs(name, est, X, stage):
    for method in OUTPUT_METHODS:
        if hasattr(est, method):
            _checks.run(f"{name} ({stage})", lambda: getattr(est, method)(X), X,
                        est=est, method=method, names=_param_names(est))


def _param_names(est):
    """Words an error message may name: the class (a variant's subject name is not) and
    its parameters."""
    return (type(est).__name__, *est.get_params(deep=False))


@pytest.mark.parametrize("subject", list(SUBJECTS))
@given(data=st.data())
def test_hostile_input(subject, data):
    _checks.count_example(subject)
    X = _hostile(subject, data.draw)
    if X is None:  # the constructor refused the input clearly
        return
    _, y_template, fitted = _template(subject)
    _outputs(subject, fitted, X, "predict")
    est = _small(SUBJECTS[subject])
    y = _labels_for(y_template, len(X))
    fit = (lambda: est.fit(X)) if y is None else (lambda: est.fit(X, y))
    if _checks.run(f"{subject} (fit)", fit, X, est=est, method="fit",
                   names=_param_names(est)) is not None:
        _outputs(subject, est, X, "fit")

"""Checks every public skastro estimator must pass (DESIGN.md §4).

Estimators are found from ``skastro.__all__``; how to build a small instance
and its data comes from ``tests/specs``. A public estimator with no spec fails
``test_every_estimator_has_a_spec``.
"""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

import skastro
from skastro import LightCurves

from .specs import collect_specs

SPECS = collect_specs()


def public_estimators():
    out = []
    for name in skastro.__all__:
        obj = getattr(skastro, name)
        if isinstance(obj, type) and issubclass(obj, BaseEstimator):
            out.append(obj)
    return out


def test_every_estimator_has_a_spec():
    missing = [cls.__name__ for cls in public_estimators() if cls not in SPECS]
    assert not missing, f"public estimators without a common-check spec in tests/specs: {missing}"


@pytest.fixture(params=list(SPECS), ids=lambda cls: cls.__name__)
def spec(request):
    return SPECS[request.param]


def _output(est, X):
    """The estimator's main output on X, in a comparable form."""
    for method in ("predict_proba", "score_samples", "transform", "predict"):
        if hasattr(est, method):
            out = getattr(est, method)(X)
            break
    else:  # pragma: no cover - every estimator has one of these
        raise AssertionError(f"{type(est).__name__} has no output method")
    if isinstance(out, LightCurves):
        return out.to_pandas(with_meta=True)
    if isinstance(out, dict) or hasattr(out, "keys"):
        return {k: np.asarray(out[k]) for k in out.keys()}
    return np.asarray(out)


def _assert_same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    else:
        np.testing.assert_array_equal(a, b)


def _fit(est, X, y):
    return est.fit(X) if y is None else est.fit(X, y)


def _snapshot(X):
    if isinstance(X, LightCurves):
        return X.to_pandas(with_meta=True)
    return copy.deepcopy(X)


def test_clone_and_params_round_trip(spec):
    est = spec.make_estimator()
    params = est.get_params(deep=False)
    twin = clone(est)
    assert twin is not est
    assert twin.get_params(deep=False).keys() == params.keys()
    twin.set_params(**params)
    for key, value in twin.get_params(deep=False).items():
        assert value is params[key] or value == params[key] or isinstance(value, BaseEstimator)


def test_fit_returns_self_and_guards_unfitted_use(spec):
    X, y = spec.make_data(0)
    est = spec.make_estimator()
    for method in ("predict", "predict_proba", "transform", "score_samples", "decision_function"):
        if hasattr(est, method):
            with pytest.raises(NotFittedError):
                getattr(est, method)(X)
    assert _fit(est, X, y) is est
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert fitted, "fit created no fitted attribute ending in '_'"


def test_pickle_round_trip(spec):
    X, y = spec.make_data(0)
    est = _fit(spec.make_estimator(), X, y)
    again = pickle.loads(pickle.dumps(est))
    _assert_same(_output(est, X), _output(again, X))


def test_deterministic_under_random_state(spec):
    X, y = spec.make_data(0)
    a = _output(_fit(spec.make_estimator(), X, y), X)
    b = _output(_fit(spec.make_estimator(), X, y), X)
    _assert_same(a, b)


def test_input_not_mutated(spec):
    X, y = spec.make_data(0)
    before_X, before_y = _snapshot(X), copy.deepcopy(y)
    est = _fit(spec.make_estimator(), X, y)
    _output(est, X)
    _assert_same(_snapshot(X), before_X)
    if y is not None:
        np.testing.assert_array_equal(np.asarray(y), np.asarray(before_y))


def test_in_pipeline_grid_search_and_cross_val(spec):
    X, y = spec.make_data(0)
    pipe = make_pipeline(spec.make_estimator(), *spec.pipeline_tail())
    first = pipe.steps[0][0]
    grid = {f"{first}__{k}": v for k, v in spec.param_grid.items()}
    cv = KFold(2, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, grid, cv=cv, scoring=spec.scoring, error_score="raise")
    _fit(search, X, y)
    assert set(search.best_params_) == set(grid)
    scores = cross_val_score(pipe, X, y, cv=cv, scoring=spec.scoring, error_score="raise")
    assert np.all(np.isfinite(scores))


def test_rejects_wrong_input_type(spec):
    X, y = spec.make_data(0)
    if not isinstance(X, LightCurves):
        pytest.skip("takes feature matrices or sequence dicts, not LightCurves: its own tests cover wrong input types")
    est = spec.make_estimator()
    with pytest.raises(TypeError, match="LightCurves"):
        _fit(est, X.to_padded()[0], y)


def test_rejects_bad_input(spec):
    X, y = spec.make_data(0)
    if not spec.bad_inputs:
        pytest.skip("no estimator-specific bad inputs listed in its spec")
    for bad in spec.bad_inputs:
        description, make_bad, error, stage = (*bad, "fit")[:4]
        est = spec.make_estimator()
        if stage == "fit":
            with pytest.raises(error):
                _fit(est, make_bad(X, y), y)
        else:
            _fit(est, X, y)
            with pytest.raises(error):
                _output(est, make_bad(X, y))


def _transform_output(est, X, y):
    """``fit_transform`` when the estimator has it, else ``fit`` then ``transform``."""
    if hasattr(est, "fit_transform"):
        return est.fit_transform(X) if y is None else est.fit_transform(X, y)
    return _fit(est, X, y).transform(X)


def _as_comparable(out):
    if isinstance(out, LightCurves):
        return out.to_pandas(with_meta=True)
    if isinstance(out, pd.DataFrame):
        return out.to_numpy()
    if hasattr(out, "keys"):
        return {k: np.asarray(out[k]) for k in out.keys()}
    return np.asarray(out)


@pytest.mark.parametrize("how", ["set_output", "set_config"])
def test_pandas_output(spec, how):
    """``transform_output="pandas"`` gives a table for array outputs, the container otherwise.

    Transformers returning LightCurves or a SliceDict opt out of the wrapping
    (skastro.utils._set_output.ContainerTransformerMixin); the others return
    a DataFrame whose columns are ``get_feature_names_out()``.
    """
    X, y = spec.make_data(0)
    if not hasattr(spec.make_estimator(), "transform"):
        pytest.skip("not a transformer")
    default = _transform_output(spec.make_estimator(), X, y)
    est = spec.make_estimator()
    if how == "set_output":
        out = _transform_output(est.set_output(transform="pandas"), X, y)
    else:
        with config_context(transform_output="pandas"):
            out = _transform_output(est, X, y)
    if isinstance(default, np.ndarray):
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == list(est.get_feature_names_out())
    else:
        assert type(out) is type(default)
    _assert_same(_as_comparable(out), _as_comparable(default))


def test_pandas_output_in_pipeline(spec):
    """``Pipeline.set_output(transform="pandas")`` works on a pipeline holding the estimator."""
    X, y = spec.make_data(0)
    pipe = make_pipeline(spec.make_estimator(), *spec.pipeline_tail()).set_output(transform="pandas")
    _output(_fit(pipe, X, y), X)

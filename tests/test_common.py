"""Checks every public skastro estimator must pass (docs/contributing.rst).

Estimators are found in the ``__all__`` of ``skastro`` and of every public
subpackage; how to build a small instance and its data comes from
``tests/specs``. A public estimator with no spec fails
``test_every_estimator_has_a_spec``. Besides skastro's own contract, the
checks port the scikit-learn checks that do not depend on the input type
(``sklearn.utils.estimator_checks``: ``check_param_validation``,
``check_fit_idempotent``, ``check_no_attributes_set_in_init``,
``check_estimators_overwrite_params``, ``check_set_output_transform``) and
run them on each spec's data.
"""

import copy
import importlib
import inspect
import pickle
import pkgutil

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import get_tags
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)

import skastro
from skastro import LightCurves

from .specs import collect_specs

SPECS = collect_specs()
#: ``skastro`` and its public subpackages (every folder of skastro not starting with "_").
PUBLIC_MODULES = ["skastro"] + sorted(
    info.name for info in pkgutil.iter_modules(skastro.__path__, "skastro.")
    if info.ispkg and not info.name.rsplit(".", 1)[1].startswith("_")
)
FIT_METHODS = ("fit", "partial_fit", "fit_transform", "fit_predict")
OUTPUT_METHODS = ("predict", "predict_proba", "decision_function", "score_samples", "transform")


def public_estimators():
    """``{class: public dotted name}`` of every estimator in a public ``__all__``."""
    found = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            # base classes (skastro.nn's Base*) are not estimators on their own, as in
            # sklearn.utils.all_estimators
            if name.startswith("Base"):
                continue
            if isinstance(obj, type) and issubclass(obj, BaseEstimator):
                found.setdefault(obj, f"{module_name}.{name}")
    return found


def test_every_estimator_has_a_spec():
    missing = [name for cls, name in public_estimators().items() if cls not in SPECS]
    assert not missing, f"public estimators without a common-check spec in tests/specs: {missing}"


def test_discovery_reaches_subpackages():
    """Estimators exported only by a subpackage are found too (they once escaped the checks)."""
    from skastro.microlensing import AlertFinder, BrokenLineFeatures, LensNetPreprocessor
    from skastro.periodic import FoldFeatures

    found = public_estimators()
    for cls in (AlertFinder, BrokenLineFeatures, LensNetPreprocessor, FoldFeatures):
        assert cls in found


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


def _outputs(est, X):
    """Every output method's result on X, in a comparable form."""
    return {m: _as_comparable(getattr(est, m)(X)) for m in OUTPUT_METHODS if hasattr(est, m)}


def _assert_same_outputs(a, b):
    assert a.keys() == b.keys()
    for method in a:
        _assert_same(a[method], b[method])


def _call(est, method, X, y):
    return getattr(est, method)(X) if y is None else getattr(est, method)(X, y)


def test_init_only_stores_params(spec):
    """``__init__`` stores each parameter unchanged, under its own name, and nothing else."""
    est = spec.make_estimator()
    params = est.get_params(deep=False)
    extra = sorted(set(vars(est)) - set(params))
    assert not extra, f"{type(est).__name__}.__init__ sets attributes besides its parameters: {extra}"
    twin = type(est)(**params)
    changed = [k for k, v in params.items() if getattr(twin, k) is not v]
    assert not changed, f"{type(est).__name__}.__init__ changes parameter(s) {changed} on the way in"


def test_param_validation_from_constraints(spec):
    """Port of scikit-learn's ``check_param_validation``, driven by ``_parameter_constraints``.

    Every parameter has a constraint; a value of a wrong type and a value
    outside each constraint make every fit method raise an
    ``InvalidParameterError`` naming the parameter and the estimator.
    """
    X, y = spec.make_data(0)
    est = spec.make_estimator()
    name = type(est).__name__
    params = est.get_params(deep=False)
    constraints = getattr(type(est), "_parameter_constraints", {})
    assert set(constraints) == set(params), (
        f"{name}._parameter_constraints and the parameters differ: without a constraint "
        f"{sorted(set(params) - set(constraints))}, unknown {sorted(set(constraints) - set(params))}"
    )
    bad_type = type("BadType", (), {})()
    for param, allowed in constraints.items():
        if allowed == "no_validation":
            continue
        bad_values = [bad_type]
        for constraint in allowed:
            try:
                bad_values.append(generate_invalid_param_val(make_constraint(constraint)))
            except NotImplementedError:  # a type-only constraint: bad_type covers it
                pass
        for bad in bad_values:
            broken = clone(est).set_params(**{param: bad})
            for method in FIT_METHODS:
                if hasattr(broken, method):
                    with pytest.raises(InvalidParameterError,
                                       match=rf"The '{param}' parameter of {name} must be .* Got"):
                        _call(broken, method, X, y)


def test_refit_is_idempotent_and_forgets(spec):
    """Port of ``check_fit_idempotent``: fit, fit on other data, fit again = the first fit."""
    X, y = spec.make_data(0)
    X_other, y_other = spec.make_data(1)
    est = _fit(spec.make_estimator(), X, y)
    first = _outputs(est, X)
    _fit(est, X_other, y_other)
    _fit(est, X, y)
    _assert_same_outputs(_outputs(est, X), first)


def test_fit_does_not_change_params(spec):
    """Port of ``check_estimators_overwrite_params`` (nested estimators included)."""
    X, y = spec.make_data(0)
    est = spec.make_estimator()
    before = {k: joblib.hash(v) for k, v in est.get_params().items()}
    _fit(est, X, y)
    after = {k: joblib.hash(v) for k, v in est.get_params().items()}
    changed = sorted(k for k in before if before[k] != after[k])
    assert not changed, f"{type(est).__name__}.fit changed or mutated parameter(s) {changed}"


def test_clone_of_fitted_estimator(spec):
    """A clone of a fitted estimator is unfitted, refits to the same outputs, shares no state."""
    X, y = spec.make_data(0)
    est = _fit(spec.make_estimator(), X, y)
    before = _outputs(est, X)
    twin = clone(est)
    fitted = [k for k in vars(twin) if k.endswith("_") and not k.startswith("_")]
    assert not fitted, f"clone kept fitted attributes {fitted}"
    with pytest.raises(NotFittedError):
        _output(twin, X)
    _assert_same_outputs(_outputs(_fit(twin, X, y), X), before)
    _assert_same_outputs(_outputs(est, X), before)


# ------------------------------------------------------------------ conventions
# One test per rule of docs/contributing.rst ("Estimator conventions") that a
# machine can check.

ESTIMATORS = sorted(public_estimators(), key=lambda cls: cls.__name__)
#: Names that mean "how many workers"; skastro says n_jobs (mapped to torch/numba/BLAS threads inside).
PARALLELISM_SYNONYMS = {"n_threads", "num_threads", "nthreads", "threads", "n_workers",
                        "num_workers", "workers", "n_cores", "n_procs", "n_processes"}
#: Fitted names with a fixed spelling elsewhere: name -> what to use instead.
MISNAMED_FITTED = {
    "features_": "get_feature_names_out() (output names) or meta_columns_/columns_ (what was read)",
    "feature_names_": "get_feature_names_out()",
    "feature_names_out_": "get_feature_names_out()",
    "n_features_out_": "len(get_feature_names_out())",
}


def _own_public_methods(cls):
    return [getattr(cls, name) for name in dir(cls)
            if not name.startswith("_") and inspect.isfunction(getattr(cls, name, None))
            and getattr(cls, name).__module__.startswith("skastro")]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_keyword_only_after_the_first_parameter(cls):
    """Only the data-defining first parameter may be passed by position."""
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    positional = [p.name for p in params if p.kind is not p.KEYWORD_ONLY]
    assert len(positional) <= 1, (
        f"{cls.__name__}.__init__: make {positional[1:]} keyword-only (a '*' after {positional[0]!r})"
    )


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_parallelism_is_called_n_jobs(cls):
    """Parallelism is ``n_jobs`` everywhere, in ``__init__`` and in the public methods."""
    bad = {}
    for func in [cls.__init__, *_own_public_methods(cls)]:
        names = set(inspect.signature(func).parameters) & PARALLELISM_SYNONYMS
        if names:
            bad[func.__name__] = sorted(names)
    assert not bad, f"{cls.__name__}: call these n_jobs: {bad}"


def test_fitted_attribute_names(spec):
    """``fit`` creates public attributes with a trailing underscore, spelled as everywhere else.

    ``n_features_in_`` and ``feature_names_in_`` keep scikit-learn's meaning
    (the columns of a 2-D array input, set by ``validate_data``), so only
    estimators that take arrays have them, and then ``n_features_in_`` is
    the array's width.
    """
    X, y = spec.make_data(0)
    est = spec.make_estimator()
    before = set(vars(est))
    _fit(est, X, y)
    name = type(est).__name__
    new = sorted(k for k in set(vars(est)) - before if not k.startswith("_"))
    assert all(k.endswith("_") for k in new), f"{name}.fit sets public attributes without '_': {new}"
    misnamed = {k: MISNAMED_FITTED[k] for k in new if k in MISNAMED_FITTED}
    assert not misnamed, f"{name}: rename fitted attributes {misnamed}"
    if isinstance(X, np.ndarray):
        assert est.n_features_in_ == X.shape[1]
    else:
        faked = [k for k in ("n_features_in_", "feature_names_in_") if k in new]
        assert not faked, f"{name} takes {type(X).__name__}, not a 2-D array: drop {faked}"


def test_tags_say_what_the_estimator_takes(spec):
    """``input_tags.two_d_array`` is True exactly for estimators that take a 2-D array."""
    X, _ = spec.make_data(0)
    est = spec.make_estimator()
    assert get_tags(est).input_tags.two_d_array == isinstance(X, np.ndarray), (
        f"{type(est).__name__} takes {type(X).__name__}: set input_tags.two_d_array accordingly"
    )


def test_array_inputs_are_validated(spec):
    """Estimators taking arrays use ``validate_data``: a wrong width after ``fit`` is a ValueError."""
    X, y = spec.make_data(0)
    if not isinstance(X, np.ndarray):
        pytest.skip(f"takes {type(X).__name__}, checked by check_lightcurves or its own tests")
    est = _fit(spec.make_estimator(), X, y)
    with pytest.raises(ValueError, match="features"):
        _output(est, X[:, :-1])

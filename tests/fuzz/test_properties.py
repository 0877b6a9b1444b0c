"""Algebraic properties under random data, chunkings and orders (issue 17 item 1).

- ``DmDtNoveltyDetector``: ``partial_fit`` over random chunks equals ``fit``
  on their union; ``merge`` is commutative and associative; scores do not
  depend on the order of the objects.
- ``PeriodFolder``: an object's fold does not depend on the order of the
  other objects in the batch (issue 18 item 4).
- Every estimator taking light curves: ``predict``/``transform`` on a
  container whose columns differ from ``fit`` either fails clearly or gives
  what it gave with the fit columns (the column was not read).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone

from skastro import LightCurves
from skastro.novelty import DmDtNoveltyDetector

from . import _checks
from .test_estimators import ESTIMATORS, OUTPUT_METHODS, SPECS, _template

DMDT = SPECS[DmDtNoveltyDetector]


@st.composite
def chunkings(draw, n, max_chunks=4):
    """A permutation of ``range(n)`` cut into 1..max_chunks non-empty chunks."""
    order = draw(st.permutations(range(n)))
    k = draw(st.integers(1, max_chunks))
    cuts = sorted(draw(st.lists(st.integers(1, n - 1), min_size=k - 1, max_size=k - 1, unique=True)))
    return [np.array(order[a:b]) for a, b in zip([0, *cuts], [*cuts, n])]


def _population(seed):
    X, _ = DMDT.make_data(seed)
    return X


def _detector(score):
    return DMDT.make_estimator().set_params(score=score, bands=("g", "i", "r", "u", "z"))


@pytest.mark.parametrize("score", ["paper", "zscore"])
@given(seed=st.integers(0, 3), data=st.data())
def test_dmdt_partial_fit_chunks_equal_fit(score, seed, data):
    X = _population(seed)
    chunks = data.draw(chunkings(len(X)))
    whole = _detector(score).fit(X)
    parts = _detector(score)
    for chunk in chunks:
        parts.partial_fit(X[chunk])
    np.testing.assert_array_equal(parts.counts_, whole.counts_)
    assert parts.n_objects_seen_ == whole.n_objects_seen_
    np.testing.assert_allclose(parts.score_samples(X), whole.score_samples(X), rtol=1e-9, atol=1e-9,
                               err_msg=f"partial_fit over {len(chunks)} chunks != fit (score={score!r})")


@pytest.mark.parametrize("score", ["paper", "zscore"])
@given(seed=st.integers(0, 3), data=st.data())
def test_dmdt_merge_commutative_and_associative(score, seed, data):
    X = _population(seed)
    chunks = data.draw(chunkings(len(X), max_chunks=3).filter(lambda c: len(c) == 3))
    a, b, c = (_detector(score).fit(X[chunk]) for chunk in chunks)
    ab, ba = a.merge(b), b.merge(a)
    left, right = ab.merge(c), a.merge(b.merge(c))
    for one, other in ((ab, ba), (left, right)):
        np.testing.assert_array_equal(one.counts_, other.counts_)
        np.testing.assert_allclose(one.score_samples(X), other.score_samples(X), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(one.offset_, other.offset_, rtol=1e-12)
    whole = _detector(score).fit(X)
    np.testing.assert_array_equal(left.counts_, whole.counts_)
    np.testing.assert_allclose(left.score_samples(X), whole.score_samples(X), rtol=1e-9, atol=1e-9,
                               err_msg=f"merge of 3 chunk fits != fit on the union (score={score!r})")


@given(seed=st.integers(0, 3), order=st.permutations(range(42)))
def test_dmdt_scores_invariant_to_object_order(seed, order):
    X = _population(seed)
    order = np.array(order)
    det = _detector("zscore").fit(X)
    np.testing.assert_allclose(det.score_samples(X[order]), det.score_samples(X)[order],
                               rtol=1e-12, atol=1e-12)
    shuffled = _detector("zscore").fit(X[order])
    np.testing.assert_array_equal(shuffled.counts_, det.counts_)
    np.testing.assert_allclose(shuffled.score_samples(X), det.score_samples(X), rtol=1e-9, atol=1e-9)


def _folder():
    from skastro.periodic import PeriodFolder

    folder = SPECS[PeriodFolder].make_estimator()
    return PeriodFolder, folder.set_params(n_peaks=2)


@given(data=st.data())
def test_period_folder_per_object_whatever_the_batch(data):
    """An object's period and status do not depend on its batch neighbours or their order."""
    cls, folder = _folder()
    X, _ = SPECS[cls].make_data(0)
    X = X[:8]
    order = np.array(data.draw(st.permutations(range(len(X)))))
    size = data.draw(st.integers(1, len(X)))
    whole = clone(folder).fit_transform(X).meta
    part = clone(folder).fit_transform(X[order[:size]]).meta
    expected = whole.loc[part.index]
    np.testing.assert_array_equal(part["fold_status"], expected["fold_status"])
    np.testing.assert_allclose(part["period"], expected["period"], rtol=1e-9,
                               err_msg="PeriodFolder's period depends on the other objects in the batch")


LIGHTCURVE_ESTIMATORS = [cls for cls in ESTIMATORS
                         if isinstance(SPECS[cls].make_data(0)[0], LightCurves)]


def _column_changes(X):
    """(description, changed container) for each column dropped, and one added."""
    keep = ("time", "value")
    for name in X.columns:
        if name not in keep:
            columns = {c: X.column(c) if c not in X._categories else X.to_pandas()[c]
                       for c in X.columns if c != name}
            yield f"without column {name!r}", LightCurves(X.offsets, columns, meta=X.meta,
                                                         value_kind=X.value_kind)
    yield "with an extra column 'extra'", X.with_columns(extra=np.zeros(X.n_observations))


def _outputs(est, X):
    out = {}
    for method in OUTPUT_METHODS:
        if hasattr(est, method):
            result = getattr(est, method)(X)
            out[method] = result.to_pandas(with_meta=True) if isinstance(result, LightCurves) else result
    return out


@pytest.mark.parametrize("cls", LIGHTCURVE_ESTIMATORS, ids=lambda c: c.__name__)
def test_predict_with_columns_other_than_fit(cls):
    """Other columns at predict than at fit: a clear error, or the column was not read."""
    X, _, est = _template(cls)
    reference = _outputs(est, X)
    for description, changed in _column_changes(X):
        out = _checks.run(f"{cls.__name__} ({description})", lambda: _outputs(est, changed),
                          changed, names=tuple(est.get_params(deep=False)))
        if out is None:
            continue
        for method, value in out.items():
            _assert_same(value, reference[method], f"{cls.__name__}.{method} {description}: "
                         "silently different output")


def _assert_same(value, expected, message):
    if hasattr(value, "columns"):  # a container's long table: compare the columns it shares
        shared = [c for c in expected.columns if c in value.columns]
        for column in shared:  # column by column, so that NaN equals NaN in every dtype
            _assert_same(value[column].to_numpy(), expected[column].to_numpy(),
                         f"{message} (column {column!r})")
        return
    if hasattr(value, "keys"):  # a SliceDict
        assert value.keys() == expected.keys(), message
        for key in value.keys():
            _assert_same(value[key], expected[key], f"{message} (entry {key!r})")
        return
    value, expected = np.asarray(value), np.asarray(expected)
    assert value.shape == expected.shape, f"{message}: shape {value.shape} != {expected.shape}"
    np.testing.assert_array_equal(value, expected, err_msg=message)

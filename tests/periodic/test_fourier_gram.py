"""The normal equations of the Fourier fits from trig sums (issue 14).

``_fourier._gram`` never forms ``A' W A`` from the design matrix: every entry
is half a signed sum of two weighted trig sums ``sum w cos mx``,
``sum w sin mx``, ``m <= 2K``. These tests compare it with the explicit
products of :func:`design_matrix` for random orders and weights (zero-weight
padding, per-fold weights, several weightings at once, blocks of measurements).
"""

import numpy as np
import pytest

from skastro.periodic import _fourier
from skastro.periodic._fourier import (Design, _gram, _harmonics, _normal_matrix, _trig_sums,
                                       design_matrix)


def _fold_gram(D, y, w, fold, n_folds):
    trig, b = _trig_sums(D, y, w, fold, n_folds)
    return _normal_matrix(trig, D.order), b


def _problem(seed, G=4, L=60, n_pad=9):
    """MJD-like times (x = omega t ~ 1e6), weights with zero-weight padding at t = 0."""
    rng = np.random.default_rng(seed)
    t = 55000.0 + rng.uniform(0, 3000, (G, L))
    omega = 2 * np.pi / rng.uniform(0.25, 1.2, G)
    w = rng.uniform(0.1, 3.0, (G, L))
    y = 15.0 + rng.normal(0, 0.3, (G, L))
    t[:, L - n_pad:], w[:, L - n_pad:], y[:, L - n_pad:] = 0.0, 0.0, 0.0  # padding
    fold = np.where(w > 0, rng.integers(0, 5, (G, L)), -1)
    return rng, t, omega, w, y, fold


def _explicit(t, omega, order, w, y):
    A = design_matrix(t, omega, order)
    return np.einsum("glp,gl,glq->gpq", A, w, A), np.einsum("glp,gl,gl->gp", A, w, y)


def _assert_close(got, want, scale):
    # the entries are sums of |terms| <= sum(w) (times |y| for b): rounding, not more
    err = np.abs(got - want) / scale[(...,) + (None,) * (got.ndim - scale.ndim)]
    assert err.max() < 1e-13, err.max()


@pytest.mark.parametrize("seed", range(4))
def test_gram_from_trig_sums_equals_explicit_products(seed):
    rng, t, omega, w, y, _ = _problem(seed)
    for order in (0, 1, 2, int(rng.integers(3, 11)), 10):
        M, b = _gram(Design(t, omega, order), y, w)
        M0, b0 = _explicit(t, omega, order, w, y)
        _assert_close(M, M0, w.sum(axis=1))
        _assert_close(b, b0, np.sum(w * np.abs(y), axis=1))
        assert np.array_equal(M, np.swapaxes(M, -1, -2))


def test_gram_per_fold_and_per_weighting():
    rng, t, omega, w, y, fold = _problem(7)
    order = 6
    D = Design(t, omega, order)
    M, b = _fold_gram(D, y, w, fold, 5)
    assert M.shape == (4, 5, 13, 13) and b.shape == (4, 5, 13)
    for f in range(5):
        wf = np.where(fold == f, w, 0.0)
        M0, b0 = _explicit(t, omega, order, wf, y)
        _assert_close(M[:, f], M0, w.sum(axis=1))
        _assert_close(b[:, f], b0, np.sum(w * np.abs(y), axis=1))
    # R weightings, each with its own values
    W = rng.uniform(0, 2, (4, 3, t.shape[1])) * (w > 0)[:, None]
    Y = y[:, None] - rng.normal(0, 1, (4, 3, 1))
    M, b = _gram(D, Y, W)
    for r in range(3):
        M0, b0 = _explicit(t, omega, order, W[:, r], Y[:, r])
        _assert_close(M[:, r], M0, W[:, r].sum(axis=1))
        _assert_close(b[:, r], b0, np.sum(W[:, r] * np.abs(Y[:, r]), axis=1))


def test_blocked_harmonics_give_the_same_gram_and_model(monkeypatch):
    _, t, omega, w, y, fold = _problem(11)
    coef = np.random.default_rng(0).normal(size=(4, 21))
    whole = Design(t, omega, 10)
    assert whole.A is not None
    want = _fold_gram(whole, y, w, fold, 5), whole.predict(coef)
    monkeypatch.setattr(_fourier, "_DESIGN_CACHE", 0)
    monkeypatch.setattr(_fourier, "_GRAM_BLOCK", 4 * 21 * 7)  # 7 measurements a block
    blocked = Design(t, omega, 10)
    assert blocked.A is None and len(list(blocked.blocks())) == 9
    (M, b), model = _fold_gram(blocked, y, w, fold, 5), blocked.predict(coef)
    np.testing.assert_allclose(M, want[0][0], rtol=0, atol=1e-12 * w.sum())
    np.testing.assert_allclose(b, want[0][1], rtol=0, atol=1e-12 * np.abs(w * y).sum())
    np.testing.assert_allclose(model, want[1], rtol=0, atol=1e-13)
    np.testing.assert_allclose(model, np.einsum("glp,gp->gl", design_matrix(t, omega, 10), coef),
                               rtol=0, atol=1e-12)


def test_harmonics_recurrence_stays_accurate_to_twice_the_order():
    # cos(mx), sin(mx) up to m = 2K = 20 by angle addition, at x ~ 1e6 (MJD x omega):
    # against cos/sin of the same x in extended precision
    if np.finfo(np.longdouble).nmant < 60:
        pytest.skip("no extended precision long double on this platform")
    _, t, omega, _, _, _ = _problem(3, L=400, n_pad=0)
    H = _harmonics(t, omega, 20)
    x = (omega[:, None] * t).astype(np.longdouble)
    for m in range(21):
        mx = np.longdouble(m) * x  # exact: x has 53 bits, m <= 20 five more
        assert float(np.abs(H[:, 2 * m] - np.cos(mx)).max()) < 4e-15, m
        assert float(np.abs(H[:, 2 * m + 1] - np.sin(mx)).max()) < 4e-15, m
    # the same values as the design matrix (bit for bit: same recurrence)
    cols = np.r_[0, 2:42]
    np.testing.assert_array_equal(H[:, cols].transpose(0, 2, 1), design_matrix(t, omega, 20))


@pytest.mark.parametrize("blocked", [False, True])
def test_rows_of_different_lengths_skip_their_padding(monkeypatch, blocked):
    # rows in tiles of similar length, each worked through only up to its length
    rng = np.random.default_rng(5)
    G, L, order = 12, 80, 4
    lengths = np.array([0, 3, 80, 7, 40, 41, 10, 79, 1, 20, 60, 15])
    t = 55000.0 + rng.uniform(0, 3000, (G, L))
    omega = 2 * np.pi / rng.uniform(0.25, 1.2, G)
    w = np.where(np.arange(L) < lengths[:, None], rng.uniform(0.1, 3.0, (G, L)), 0.0)
    y = 15.0 + rng.normal(0, 0.3, (G, L))
    fold = rng.integers(0, 3, (G, L))
    coef = rng.normal(size=(G, 2 * order + 1))
    if blocked:
        monkeypatch.setattr(_fourier, "_DESIGN_CACHE", 0)
        monkeypatch.setattr(_fourier, "_GRAM_BLOCK", 9 * 5)  # a few measurements a block
    D = Design(t, omega, order, lengths)
    assert (D.A is None) == blocked
    tiles = _fourier._row_tiles(lengths)
    covered = np.concatenate([rows for rows, _ in tiles])
    assert np.array_equal(np.sort(covered), np.flatnonzero(lengths > 0))
    for rows, length in tiles:
        assert length == lengths[rows].max() <= 1.5 * lengths[rows].min()
    M, b = _gram(D, y, w)
    M0, b0 = _explicit(t, omega, order, w, y)
    _assert_close(M, M0, np.maximum(w.sum(axis=1), 1e-300))
    _assert_close(b, b0, np.maximum(np.sum(w * np.abs(y), axis=1), 1e-300))
    Mf, bf = _fold_gram(D, y, w, fold, 3)
    for f in range(3):
        M0, _ = _explicit(t, omega, order, np.where(fold == f, w, 0.0), y)
        _assert_close(Mf[:, f], M0, np.maximum(w.sum(axis=1), 1e-300))
    used = np.arange(L) < lengths[:, None]
    model = np.einsum("glp,gp->gl", design_matrix(t, omega, order), coef)
    np.testing.assert_allclose(D.predict(coef)[used], model[used], rtol=0, atol=1e-12)
    assert np.all(np.isfinite(D.predict(coef)))  # the padding: 0 or the model, of weight 0
    np.testing.assert_array_equal(_fourier._used_length(w), lengths)

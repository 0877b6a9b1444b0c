"""Per-group reductions shared by the period folder and LensNet."""

import warnings

import numpy as np

import skastro.utils._grouped as af
from skastro.utils._grouped import _group_median_reference, group_median, row_nanmedian


def test_group_median_matches_reference(monkeypatch):
    rng = np.random.default_rng(0)
    group = rng.integers(0, 30, 500)
    group[group == 7] = 8                      # an empty group gives NaN
    values = rng.normal(size=500)
    for g in (group, np.sort(group)):
        fast = group_median(values, g, 31)
        np.testing.assert_array_equal(fast, _group_median_reference(values, g, 31))
        assert np.isnan(fast[7]) and np.isnan(fast[30])
        assert fast[3] == np.median(values[g == 3])
    # in blocks of a few groups (bounded memory), the same answer
    # NaN and inf values sort as in the reference, whatever the padding
    odd = values.copy()
    odd[:40:4], odd[1:40:4] = np.nan, np.inf
    np.testing.assert_array_equal(group_median(odd, group, 31),
                                  _group_median_reference(odd, group, 31))
    mostly_nan = np.array([1.0, np.nan, np.nan, 5.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(group_median(mostly_nan, np.array([0, 0, 0, 1, 1, 1, 1]), 2),
                                  [np.nan, 6.5])
    monkeypatch.setattr(af, "_MEDIAN_BLOCK", 50)
    np.testing.assert_array_equal(group_median(values, group, 31),
                                  _group_median_reference(values, group, 31))


def test_row_nanmedian_equals_numpy_bit_for_bit():
    """Odd and even counts, all-NaN rows, ties, infinities and values whose sum overflows,
    in rows long enough for numpy's per-row loop (> 600 cells)."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 700)) * rng.choice([1e-300, 1.0, 1e300], size=(60, 1))
    x[rng.random(x.shape) < rng.random((60, 1))] = np.nan  # a different NaN share per row
    x[5] = np.nan
    x[6, :] = np.nan
    x[6, :3] = [np.inf, np.inf, 1.0]
    x[7, :] = np.nan
    x[7, :2] = [-np.inf, np.inf]
    x[8, :] = np.nan
    x[8, :2] = [1.7e308, 1.7e308]  # the mean of the middle pair overflows, as in numpy
    x[9] = np.round(x[9])  # ties
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(x, axis=1)
    assert np.array_equal(row_nanmedian(x), expected, equal_nan=True)
    assert np.array_equal(row_nanmedian(x[:, :9]), np.nanmedian(x[:, :9], axis=1),
                          equal_nan=True)

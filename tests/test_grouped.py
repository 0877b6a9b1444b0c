"""Per-group reductions shared by the period folder and LensNet."""

import numpy as np

import skastro.utils._grouped as af
from skastro.utils._grouped import _group_median_reference, group_median


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

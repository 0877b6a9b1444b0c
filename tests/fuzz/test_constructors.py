"""Every public constructor on hostile light curves, and the Parquet round trip (issue 17)."""

import os
import tempfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skastro import LightCurves

from . import _checks
from .strategies import CONSTRUCTORS, raw_curves


def _well_formed(lcs, raw):
    """A built container matches the raw input it came from (up to sorting and dropped-id merges)."""
    assert isinstance(lcs, LightCurves)
    assert np.all(np.isfinite(lcs.time)), "a container holds a non-finite time"
    assert lcs.n_observations == sum(a.size for a in raw.columns["time"])
    assert np.all(lcs.lengths > 0)
    assert lcs.ids.is_unique
    if "error" in lcs.columns:
        assert not np.any(lcs.error < 0), "a container holds a negative error"
    for k in range(len(lcs)):  # times sorted within each object
        t = lcs.time[lcs.offsets[k]:lcs.offsets[k + 1]]
        assert np.all(np.diff(t) >= 0)
    if "band" in lcs.columns:
        assert len(set(lcs.bands)) == len(lcs.bands), f"duplicate band labels {lcs.bands}"


@pytest.mark.parametrize("how", CONSTRUCTORS)
@given(raw=raw_curves(max_objects=5, max_points=200))
def test_constructor_on_hostile_input(how, raw):
    _checks.count_example(how)
    words = (*raw.columns, *_checks.constructor_words(how), "mag", "flux", "err", "object_id", "table")
    lcs = _checks.run(how, lambda: raw.build(how), None, names=words, ids=raw.ids)
    if lcs is not None:
        _well_formed(lcs, raw)


@given(raw=raw_curves(max_objects=5, max_points=200))
def test_parquet_round_trip(raw):
    """``read_parquet(to_parquet(lcs))`` equals ``lcs``, or writing fails clearly."""
    try:
        lcs = raw.from_arrays()
    except (ValueError, TypeError):
        return  # covered by test_constructor_on_hostile_input
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "lcs.parquet")
        written = _checks.run("to_parquet", lambda: lcs.to_parquet(path), lcs, names=("path",))
        if written is None and not os.path.exists(path):
            return
        again = LightCurves.read_parquet(path)
    assert again.equals(lcs)
    pd.testing.assert_frame_equal(again.meta, lcs.meta, check_index_type=False,
                                  check_column_type=len(lcs.meta.columns) > 0)


@given(raw=raw_curves(max_objects=4, max_points=60), data=st.data())
def test_damaged_parquet_fails_clearly(raw, data):
    """A truncated skastro Parquet file gives one clear ValueError naming the file."""
    try:
        lcs = raw.from_arrays()
    except (ValueError, TypeError):
        return
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "lcs.parquet")
        try:
            lcs.to_parquet(path)
        except TypeError:
            return
        blob = open(path, "rb").read()
        cut = data.draw(st.integers(0, len(blob) - 1))
        with open(path, "wb") as f:
            f.write(blob[:cut])
        _checks.run("read_parquet", lambda: LightCurves.read_parquet(path), None,
                    names=("path", path))

"""Cheap versions of the resource-limit cases (issue 17 item 4).

``benchmarks/bench_limits.py`` runs them at 10^6 with a time limit and peak
memory; here 10^5 (10^4 one-point curves and 2.5 x 10^4 points for PeriodFolder) checks that each case
gives a well-formed result in a few seconds.
"""

import numpy as np
import pandas as pd

from skastro import LightCurves
from skastro.novelty import DmDtNoveltyDetector
from skastro.periodic import PeriodFolder

N = 100_000


def _curves(n, one_point_each, rng):
    t = np.sort(rng.uniform(0, 3000, n))
    v = 15 + 0.3 * np.sin(2 * np.pi * t / 0.61) + rng.normal(0, 0.05, n)
    offsets = np.arange(n + 1) if one_point_each else np.array([0, n])
    return LightCurves(offsets, {"time": t, "value": v, "error": np.full(n, 0.05)})


def test_many_one_point_curves_through_constructors_parquet_and_dmdt(tmp_path):
    lcs = _curves(N, True, np.random.default_rng(0))
    table = lcs.to_pandas().rename(columns={"value": "mag", "error": "mag_err"})
    assert LightCurves.from_pandas(table).equals(lcs)
    lcs.to_parquet(tmp_path / "many.parquet")
    assert LightCurves.read_parquet(tmp_path / "many.parquet").equals(lcs)
    det = DmDtNoveltyDetector().fit(lcs)
    assert det.counts_.sum() == 0  # one point: no pair
    np.testing.assert_array_equal(det.score_samples(lcs), 0.0)  # no pair scores 0 (documented)


def test_many_one_point_curves_through_period_folder():
    lcs = _curves(N // 10, True, np.random.default_rng(0))
    out = PeriodFolder(period_range=(0.3, 2.0), n_peaks=1, random_state=0).fit_transform(lcs)
    assert len(out) == len(lcs)
    assert (pd.Series(out.meta["fold_status"]) == "too_few_epochs").all()


def test_one_long_curve_through_constructors_and_period_folder(tmp_path):
    lcs = _curves(N // 4, False, np.random.default_rng(0))
    lcs.to_parquet(tmp_path / "long.parquet")
    assert LightCurves.read_parquet(tmp_path / "long.parquet").equals(lcs)
    out = PeriodFolder(period_range=(0.3, 2.0), n_peaks=1, random_state=0).fit_transform(lcs)
    assert out.meta["fold_status"].iloc[0] == "ok"
    np.testing.assert_allclose(out.meta["period"].iloc[0], 0.61, rtol=1e-3)

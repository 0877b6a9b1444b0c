"""quality_mask presets (Dékány & Grebel 2020, §3.3, §3.5, §4)."""

import numpy as np
import pandas as pd
import pytest

from skastro.periodic import QUALITY_PRESETS, quality_mask


def _meta(**changes):
    """One object on every boundary of the §3.5 test-set cuts, then the given changes."""
    row = {"snr": 45.0, "n_epochs": 30, "phase_coverage_p": 0.5, "phase_coverage_2p": 0.5,
           "mean_mag": 12.0, "period": 0.28, "amplitude": 1.5}
    row.update(changes)
    return pd.DataFrame([row])


def test_test_preset_is_section_3_5():
    # S/N > 30 (strict), N_ep >= 30, <Ks> >= 12 mag, in the searched period range
    assert quality_mask(_meta(), "test").tolist() == [True]
    assert quality_mask(_meta(snr=30.0), "test").tolist() == [False]  # strict, unlike the target's S/N >= 30
    assert quality_mask(_meta(snr=30.0), "target").tolist() == [False]  # (coverage 0.5 fails there anyway)
    assert quality_mask(_meta(snr=30.0, phase_coverage_p=0.9, phase_coverage_2p=0.9, amplitude=0.5),
                        "target").tolist() == [True]
    assert quality_mask(_meta(snr=30.01), "test").tolist() == [True]
    assert quality_mask(_meta(n_epochs=29), "test").tolist() == [False]
    assert quality_mask(_meta(mean_mag=11.99), "test").tolist() == [False]
    assert quality_mask(_meta(mean_mag=16.5), "test").tolist() == [True]  # no faint limit, unlike training
    assert quality_mask(_meta(period=0.99), "test").tolist() == [False]
    assert quality_mask(_meta(snr=np.nan), "test").tolist() == [False]
    # no phase-coverage or amplitude cut in §3.5 (the object above has C_P = 0.5 and A = 1.5 mag)
    assert quality_mask(_meta(), "test", coverage_p_min=0.8).tolist() == [False]


def test_test_preset_on_a_sample_sits_between_training_and_target():
    rng = np.random.default_rng(0)
    n = 400
    meta = pd.DataFrame({"snr": rng.uniform(10, 200, n), "n_epochs": rng.integers(20, 120, n),
                         "phase_coverage_p": rng.uniform(0.6, 1, n), "phase_coverage_2p": rng.uniform(0.6, 1, n),
                         "mean_mag": rng.uniform(11, 17, n), "period": rng.uniform(0.2, 1.1, n),
                         "amplitude": rng.uniform(0.05, 1.2, n)})
    training, test, target = (quality_mask(meta, p) for p in ("training", "test", "target"))
    assert not (training & ~test).any()  # every training-grade curve would pass the test cuts
    assert not (target & ~test).any()  # the test cuts are looser than the target's (no S/N = 30 here)
    assert test.sum() > training.sum() and test.sum() > target.sum()


def test_every_preset_names_every_cut_and_snr_above_is_checked():
    assert [sorted(v) for v in QUALITY_PRESETS.values()] == [sorted(QUALITY_PRESETS["training"])] * 3
    with pytest.raises(ValueError, match="preset must be one of.*'test'"):
        quality_mask(_meta(), "testing")
    with pytest.raises(ValueError, match="needs meta column 'snr'"):
        quality_mask(_meta().drop(columns="snr"), snr_above=30)
    meta = _meta()
    before = meta.copy()
    quality_mask(meta, "test")
    pd.testing.assert_frame_equal(meta, before)

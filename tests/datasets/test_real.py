import numpy as np
import pandas as pd
import pytest

from skastro.datasets import load_ogle2, load_stripe82_rrlyrae, load_vvv_rrab, load_ztf_bts

LOADERS = {
    load_stripe82_rrlyrae: "Stripe 82 RR Lyrae light curves not found",
    load_ztf_bts: "ZTF BTS supernovae not found",
    load_ogle2: "OGLE-II light curves not found",
    load_vvv_rrab: "VVV RRab folded light curves not found",
}


@pytest.mark.parametrize("loader", list(LOADERS), ids=lambda f: f.__name__)
def test_missing_files_are_a_clear_error(loader, tmp_path):
    with pytest.raises(FileNotFoundError, match=LOADERS[loader]):
        loader(tmp_path)


@pytest.fixture(scope="module")
def real_dir(data_dir):
    if not (data_dir / "real").is_dir():
        pytest.skip(f"real survey data not found at {data_dir / 'real'}")
    return data_dir


@pytest.mark.data
def test_stripe82_counts_bands_and_periods(real_dir):
    lcs = load_stripe82_rrlyrae(real_dir)
    # README: 242 stars, ugriz, periods from Sesar et al. (ab/c).
    assert len(lcs) == 242 and lcs.bands == tuple("ugriz")
    assert lcs.meta["rr_type"].value_counts().to_dict() == {"ab": 198, "c": 44}
    assert set(lcs.meta["label"]) == {"RRab", "RRc"}
    assert lcs.meta["period"].between(0.2, 1.0).all()
    raw = pd.read_csv(real_dir / "real" / "stripe82_rrlyrae.csv.gz")
    flagged = raw["magerr"] >= 99
    assert lcs.n_observations == len(raw) - flagged.sum()
    assert (lcs.error < 99).all() and 51000 < lcs.time.min() < lcs.time.max() < 55000  # MJD
    # per-object periods follow the object, not the row order of the periods file
    periods = pd.read_csv(real_dir / "real" / "stripe82_rrlyrae_periods.csv").set_index("Num")
    np.testing.assert_array_equal(lcs.meta["period"], periods.loc[lcs.ids, "Per"])


@pytest.mark.data
def test_ztf_keeps_ztf_band_names(real_dir):
    lcs = load_ztf_bts(real_dir)
    assert len(lcs) == 1157 and lcs.bands == ("g", "R")
    assert set(lcs.meta["label"]) == {"SN Ia"}
    assert 58000 < lcs.time.min() and lcs.time.max() < 60500  # MJD


@pytest.mark.data
def test_ogle2_one_time_system(real_dir):
    lcs = load_ogle2(real_dir)
    y = lcs.meta["label"].to_numpy()
    assert len(lcs) == 151 and (y == 1).sum() == 100 and (y == 0).sum() == 51
    assert lcs.bands == ("I",) and lcs.sites == ("LCO",)
    # HJD - 2450000 for both classes (the variables come in full HJD)
    assert 0 < lcs.time.min() and lcs.time.max() < 3000
    start = lcs.time[lcs.offsets[:-1]]
    assert start[y == 0].min() > 1700 and start[y == 1].max() < 600  # different seasons


@pytest.mark.data
def test_vvv_times_rebuilt_from_phase_and_period(real_dir):
    lcs = load_vvv_rrab(real_dir, random_state=1)
    meta = lcs.meta
    assert len(lcs) == 2262 and lcs.bands == ("Ks",) and set(meta["label"]) == {"RRab"}
    # the repeated half cycle is dropped: one point per epoch
    raw = pd.read_csv(real_dir / "real" / "vvv_rrab_folded.csv.gz")
    assert lcs.n_observations == (raw["phase"] < 1).sum()
    np.testing.assert_array_equal(meta["n_epochs"], lcs.lengths)
    period = meta["period"].to_numpy()[lcs.object_index]
    # folding the rebuilt times at the catalogue period gives the catalogue phases back
    phase = np.mod(lcs.time / period, 1.0)
    ids = lcs.ids.to_numpy()[lcs.object_index]
    got = pd.DataFrame({"object_id": ids, "phase": phase, "mag": lcs.value})
    want = raw[raw["phase"] < 1]
    for key in ("phase", "mag"):
        a, b = (t.sort_values(["object_id", key])[key] for t in (got, want))
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert 0 <= lcs.time.min() and lcs.time.max() <= 1800
    # errors from the catalogue S/N (Eq. 14)
    sigma = meta["totamp_k"] * np.sqrt(meta["n_epochs"]) / meta["snr"]
    np.testing.assert_allclose(lcs.error[lcs.offsets[:-1]], sigma)
    # seeded: same seed same times, another seed other times
    assert lcs.equals(load_vvv_rrab(real_dir, random_state=1))
    assert not np.array_equal(lcs.time, load_vvv_rrab(real_dir, random_state=2).time)
    with pytest.raises(ValueError, match="baseline must exceed the longest period"):
        load_vvv_rrab(real_dir, baseline=0.5)

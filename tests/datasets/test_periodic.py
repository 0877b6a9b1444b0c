import numpy as np
import pytest

from skastro.datasets import PERIODIC_CLASSES, make_periodic_variables


def test_seeded_and_labelled():
    a = make_periodic_variables(200, random_state=1)
    b = make_periodic_variables(200, random_state=1)
    assert a.equals(b)
    assert not a.equals(make_periodic_variables(200, random_state=2))
    counts = a.meta["label"].value_counts()
    assert counts.to_dict() == {"RRab": 80, "EC": 40, "ESD": 30, "other": 30, "RRc": 20}
    assert set(a.meta.columns) >= {"label", "period", "amplitude", "mean_mag", "snr", "n_epochs"}


def test_vvv_like_sampling():
    lcs = make_periodic_variables(300, random_state=0)
    meta = lcs.meta
    assert meta["n_epochs"].between(30, 300).all()
    assert 80 <= meta["n_epochs"].median() <= 120  # VVV: ~100 epochs per field
    t = lcs.split("time")[0]
    assert 1500 < t[-1] - t[0] <= 1827  # ~5-year baseline
    gaps = np.diff(t)
    assert gaps.max() > 90  # seasonal gaps
    # Pawprints: 1-6 measurements within minutes of each other per epoch.
    within_minutes = gaps < 5 / 1440
    assert within_minutes.any() and (gaps[within_minutes] < 5 / 1440).all()
    n_meas = lcs.lengths / meta["n_epochs"].to_numpy()
    assert (n_meas >= 1).all() and (n_meas <= 6).all() and 2.5 < n_meas.mean() < 4.5


def test_class_properties_match_the_paper_regime():
    lcs = make_periodic_variables(1000, random_state=0)
    meta = lcs.meta
    rrab = meta[meta.label == "RRab"]
    assert rrab["period"].between(0.28, 0.98).all()
    assert rrab["amplitude"].between(0.15, 0.45).all()  # Ks amplitudes of bulge RRab
    eb = meta[meta.label.isin(["EC", "ESD"])]
    assert (eb["period"] / 2).between(0.28, 0.98).all()  # half period in the search range
    # Noise grows with magnitude.
    bright, faint = meta["mean_mag"] < 13, meta["mean_mag"] > 16
    assert meta.loc[bright, "noise"].median() < 0.02 < meta.loc[faint, "noise"].median()
    assert 0.3 < (meta["snr"] > 60).mean() < 0.95


def test_rrab_shape_is_skewed_and_binaries_have_two_minima():
    lcs = make_periodic_variables(60, classes={"RRab": 1, "EC": 1}, n_epochs=300,
                                  measurements_per_epoch=(1, 1), outlier_fraction=0,
                                  random_state=3)
    for i in range(len(lcs)):
        label, period = lcs.meta["label"].iloc[i], lcs.meta["period"].iloc[i]
        t, m = lcs.split("time")[i], lcs.split("value")[i]
        m = m - m.mean()
        # Power at the fundamental vs at twice the frequency.
        def power(f):
            return abs(np.sum(m * np.exp(-2j * np.pi * f * t)))
        p1, p2 = power(1 / period), power(2 / period)
        if lcs.meta["snr"].iloc[i] < 100:
            continue  # noise can swap the two at low S/N
        if label == "RRab":
            assert p1 > 1.5 * p2
        else:
            assert p2 > p1  # the GLS half-period alias of contact binaries


def _fourier_phi21_r21(t, m, period, order=4):
    """phi21 and R21 of a least-squares Fourier fit (sine series in magnitudes)."""
    x = 2 * np.pi * t / period
    design = np.column_stack([np.ones_like(t)] + [f(k * x) for k in range(1, order + 1)
                                                  for f in (np.cos, np.sin)])
    coef = np.linalg.lstsq(design, m, rcond=None)[0]
    alpha, beta = coef[1::2], coef[2::2]  # m = sum A_k sin(k x + Phi_k)
    amp, phase = np.hypot(alpha, beta), np.arctan2(alpha, beta)
    return np.mod(phase[1] - 2 * phase[0], 2 * np.pi), amp[1] / amp[0]


def test_rrab_shape_has_ks_band_fourier_parameters():
    # Ks RRab curves are radius-dominated (Madore et al. 2013; Braga et al. 2019):
    # phi21 ~ phi21(V) + pi/2 ~ 3.6-4.4 in the sine series of magnitudes, not the
    # pi of an optical-like sawtooth, and R21 below the optical ~0.45-0.55.
    lcs = make_periodic_variables(40, classes={"RRab": 1}, n_epochs=(300, 300),
                                  measurements_per_epoch=(1, 1), outlier_fraction=0,
                                  random_state=0)
    fits = np.array([_fourier_phi21_r21(t, m, p) for t, m, p in
                     zip(lcs.split("time"), lcs.split("value"), lcs.meta["period"])])
    phi21, r21 = fits[:, 0], fits[:, 1]
    assert 3.6 < np.median(phi21) < 4.4
    assert np.mean(np.abs(phi21 - np.pi) < 0.3) < 0.1
    assert 0.15 < np.median(r21) < 0.45
    assert lcs.meta["amplitude"].between(0.15, 0.45).all()


def test_low_amplitude_rrab_keep_an_rrab_like_r21():
    # Simon & Teays (1982): R21 tells RRab from RRc apart better than the amplitude
    # does, so the smallest-amplitude RRab are not RRc-like sinusoids. The weakly
    # nonlinear scaling R_k1 ~ A^(k-1) made them so (Ks R21 ~0.15, half that of the
    # largest-amplitude RRab, as low as the simulated RRc's largest, 0.15).
    from skastro.datasets._periodic import _rrab

    def r21(shape):
        spectrum = np.fft.rfft(shape, axis=1)
        return np.abs(spectrum[:, 2]) / np.abs(spectrum[:, 1])

    rng = np.random.RandomState(0)
    low = r21(_rrab(np.full(300, 0.15), rng)[1])  # smallest Ks amplitude of RRab here
    high = r21(_rrab(np.full(300, 0.45), rng)[1])  # largest
    assert np.median(low) > 0.6 * np.median(high)
    assert np.mean(low > 0.15) > 0.9  # above every simulated RRc (R21 <= 0.15)


def test_multiband_amplitudes_scale_with_wavelength():
    lcs = make_periodic_variables(100, classes={"RRab": 1}, bands=("g", "r", "Ks"),
                                  n_epochs=(60, 60), outlier_fraction=0, random_state=0)
    assert lcs.bands == ("Ks", "g", "r")
    band = lcs.column("band")
    obj = lcs.object_index
    spread = {b: np.median([np.ptp(lcs.value[(obj == i) & (band == b)]) for i in range(50)]) for b in ("g", "Ks")}
    assert spread["g"] > 2 * spread["Ks"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"classes": {"Cepheid": 1}}, "classes"),
        ({"n_epochs": (2, 5)}, "n_epochs"),
        ({"n_epochs": (50, 10)}, "low <= high"),
        ({"bands": ("Q",)}, "bands"),
        ({"outlier_fraction": 0.7}, "outlier_fraction"),
        ({"n_objects": 0}, "n_objects"),
    ],
)
def test_bad_parameters(kwargs, match):
    kwargs = {"n_objects": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_periodic_variables(random_state=0, **kwargs)


def test_all_classes_known():
    assert set(make_periodic_variables(100, random_state=0).meta.label) == set(PERIODIC_CLASSES)


def test_rrab_follow_the_bailey_diagram():
    # Real RRab: the period grows as the amplitude falls (Sarajedini et al. 2006), and
    # low-amplitude stars are more sinusoidal (smaller R21). An independent draw of
    # period, amplitude and shape gives rank correlations near 0.
    from scipy.stats import spearmanr

    lcs = make_periodic_variables(60, classes={"RRab": 1}, n_epochs=(300, 300),
                                  measurements_per_epoch=(1, 1), outlier_fraction=0,
                                  random_state=0)
    meta = lcs.meta
    assert spearmanr(meta["period"], meta["amplitude"])[0] < -0.3
    r21 = np.array([_fourier_phi21_r21(t, m, p)[1] for t, m, p in
                    zip(lcs.split("time"), lcs.split("value"), meta["period"])])
    assert spearmanr(meta["amplitude"], r21)[0] > 0.3
    assert 0.5 < meta["period"].median() < 0.62  # bulge RRab: ~0.56 d (OGLE)

"""Simulated periodic variables in the VVV near-IR regime (Dékány & Grebel 2020)."""

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves

__all__ = ["make_periodic_variables", "PERIODIC_CLASSES"]

PERIODIC_CLASSES = ("RRab", "RRc", "EC", "ESD", "other")
_DEFAULT_MIX = {"RRab": 0.4, "RRc": 0.1, "EC": 0.2, "ESD": 0.15, "other": 0.15}
_N_PHASE = 512
# Peak-to-valley amplitude relative to Ks, for pulsators (eclipses are nearly grey).
_PULSATOR_AMPLITUDE_RATIO = {
    "u": 4.0, "g": 3.6, "B": 4.0, "V": 3.2, "r": 2.8, "R": 2.6, "i": 2.2, "I": 1.9,
    "z": 1.9, "y": 1.7, "J": 1.4, "H": 1.1, "Ks": 1.0, "K": 1.0,
}
# Mean colour of an RR Lyrae-like star relative to Ks (rough, with extinction ignored).
_BAND_OFFSET = {
    "u": 2.6, "g": 1.6, "B": 1.9, "V": 1.4, "r": 1.2, "R": 1.1, "i": 1.0, "I": 0.9,
    "z": 0.8, "y": 0.7, "J": 0.35, "H": 0.05, "Ks": 0.0, "K": 0.0,
}


def make_periodic_variables(n_objects=1000, *, classes=None, n_epochs=(30, 300),
                            baseline=1826.0, bands=("Ks",), measurements_per_epoch=(1, 6),
                            outlier_fraction=0.02, random_state=None):
    """Simulate VVV-like near-IR light curves of RR Lyrae and their look-alikes.

    The classes are the ones an RRab search in the period range 0.28-0.98 d
    meets (Dékány & Grebel 2020, §2-3):

    - ``"RRab"``: fundamental-mode RR Lyrae, Ks peak-to-valley amplitudes
      0.15-0.45 mag, periods 0.28-0.98 d (median ~0.56 d) on the Bailey
      diagram: the period follows from the amplitude and [Fe/H] by the
      period-amplitude-metallicity relation of Sarajedini et al. (2006), so
      low-amplitude stars have long periods, and the harmonic content grows
      with the amplitude (low-amplitude RRab are nearly sinusoidal). The Ks
      shape is dominated by the radius variation, not the temperature
      (Madore et al. 2013; Braga et al. 2019): a temperature term with the
      optical Fourier parameters plus a radius term, the integral of the
      velocity curve that mirrors the optical light curve. So it is more
      sinusoidal than the optical sawtooth, rises over ~30-40 % of the
      cycle, and has Fourier phase difference phi21 ~ 3.5-4.0 (sine series
      in magnitudes; a sawtooth has pi) and R21 ~ 0.25-0.4.
    - ``"RRc"``: first-overtone RR Lyrae, nearly sinusoidal, 0.28-0.45 d,
      0.04-0.15 mag.
    - ``"EC"``: contact (W UMa) eclipsing binaries, continuous light variation
      with two minima of nearly equal depth, so the GLS period is usually
      *half* the orbital period; orbital periods are drawn so that the half
      period falls in 0.28-0.98 d.
    - ``"ESD"``: semi-detached eclipsing binaries, V-shaped eclipses of
      unequal depth on an ellipsoidal modulation; GLS again often returns
      half the orbital period.
    - ``"other"``: other periodic stars in the same range (anomalous-Cepheid-
      like sawtooths rising over 45-65 % of the cycle, slower than RRab stars;
      spotted rotators; ellipsoidal variables) with random harmonic content.

    Sampling follows the VVV bulge survey: ``n_epochs`` epochs over
    ``baseline`` days in observing seasons of ~8 months (the bulge is not
    observable around December), at night, with 1-6 pawprint measurements
    per epoch taken within ~3 minutes (each with its own noise; ``time``
    marks each measurement). The noise grows with magnitude (σ ≈ 0.01 mag at
    Ks = 13, ≈ 0.08 mag at 16.5), each epoch has a common zero-point jitter,
    reported errors misestimate the true scatter by up to ~30 %, and a
    fraction ``outlier_fraction`` of the measurements are outliers (mostly
    too faint, as blending and detector artefacts make them).

    Parameters
    ----------
    n_objects : int, default=1000
        Number of light curves.
    classes : dict of str to float, default=None
        Class mixture (weights are normalised); default
        ``{"RRab": 0.4, "RRc": 0.1, "EC": 0.2, "ESD": 0.15, "other": 0.15}``.
        Counts are exact (largest remainder rounding), order is shuffled.
    n_epochs : int or (int, int), default=(30, 300)
        Number of epochs, or the range it is drawn from (70 % of the light
        curves near 100 epochs, the VVV norm; the rest log-uniform in range).
    baseline : float, default=1826.0
        Time span of the survey in days (VVV 2010-2015).
    bands : sequence of str, default=("Ks",)
        Passbands. With several, each epoch is taken in one band drawn at
        random (a sparse multi-band survey); pulsation amplitudes scale with
        wavelength, eclipses are nearly grey.
    measurements_per_epoch : (int, int), default=(1, 6)
        Range of pawprint measurements per epoch; ``(1, 1)`` gives one.
    outlier_fraction : float, default=0.02
        Fraction of measurements replaced by outliers.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    LightCurves
        Magnitudes with a ``band`` column; ``meta`` holds ``label``,
        ``period`` (the true physical period, days), ``amplitude`` (true
        peak-to-valley in the first band), ``mean_mag``, ``noise`` (median
        per-measurement σ), ``snr`` (Eq. 14 of the paper with the true
        amplitude: amplitude·√n_epochs/noise) and ``n_epochs``.

    References
    ----------
    Dékány, I. & Grebel, E. K. 2020, "Near-infrared search for
    fundamental-mode RR Lyrae stars toward the inner bulge by deep learning",
    ApJ 898, 46, doi:10.3847/1538-4357/ab9d85.

    Braga, V. F. et al. 2019, "New near-infrared JHKs light-curve templates
    for RR Lyrae variables", A&A 625, A1, doi:10.1051/0004-6361/201834893.

    Madore, B. F. et al. 2013, "A preliminary calibration of the RR Lyrae
    period-luminosity relation at mid-infrared wavelengths", ApJ 776, 135.

    Jurcsik, J. & Kovács, G. 1996, "Determination of [Fe/H] from the light
    curves of RR Lyrae stars", A&A 312, 111.

    Simon, N. R. & Teays, T. J. 1982, ApJ 261, 586 (Fourier decomposition
    of field RR Lyrae light curves: R21 separates RRab from RRc).

    Das, S. et al. 2018, "On the variation of light-curve parameters of RR
    Lyrae variables at multiple wavelengths", MNRAS (volume not checked).

    Sarajedini, A. et al. 2006, "The metallicity distribution of RR Lyrae
    stars in the M31 halo" (period-amplitude-metallicity relation of field
    RRab), AJ 132, 1361.

    Braga, V. F. et al. 2018, "On the RR Lyrae stars in globulars. V. The
    complete near-infrared (JHKs) census of omega Centauri RR Lyrae
    variables", AJ 155, 137 (Ks/V amplitude ratios).

    Examples
    --------
    >>> from skastro.datasets import make_periodic_variables
    >>> lcs = make_periodic_variables(50, random_state=0)
    >>> len(lcs), lcs.bands
    (50, ('Ks',))
    >>> sorted(lcs.meta["label"].unique())
    ['EC', 'ESD', 'RRab', 'RRc', 'other']
    >>> bool((lcs.meta["n_epochs"] >= 30).all())
    True
    """
    rng = check_random_state(random_state)
    labels = _draw_labels(n_objects, classes, rng)
    bands = tuple(bands)
    if not bands or any(b not in _PULSATOR_AMPLITUDE_RATIO for b in bands):
        raise ValueError(f"bands must be a non-empty subset of {sorted(_PULSATOR_AMPLITUDE_RATIO)}; got {bands}.")
    lo_m, hi_m = _as_range(measurements_per_epoch, "measurements_per_epoch")
    if lo_m < 1:
        raise ValueError(f"measurements_per_epoch must be >= 1; got {measurements_per_epoch}.")
    if not 0 <= outlier_fraction < 0.5:
        raise ValueError(f"outlier_fraction must be in [0, 0.5); got {outlier_fraction}.")
    if baseline <= 0:
        raise ValueError(f"baseline must be positive; got {baseline}.")

    # Amplitudes first: an RRab's period and shape follow from its amplitude (Bailey diagram).
    amplitude = _amplitudes(labels, rng)
    templates = np.empty((n_objects, _N_PHASE))
    periods = np.empty(n_objects)
    for kind in PERIODIC_CLASSES:
        idx = np.flatnonzero(labels == kind)
        if idx.size:
            periods[idx], templates[idx] = _SHAPES[kind](amplitude[idx], rng)
    # Normalised shapes: 0 at maximum light, 1 at minimum (magnitudes grow downwards).
    templates -= templates.min(axis=1, keepdims=True)
    templates /= templates.max(axis=1, keepdims=True)
    mean_mag = rng.uniform(11.5, 16.5, n_objects)
    phase0 = rng.uniform(0, 1, n_objects)

    n_ep = _draw_n_epochs(n_epochs, n_objects, rng)
    times, epoch_of, n_meas = _sample_times(n_ep, baseline, lo_m, hi_m, rng)
    obj = np.repeat(np.arange(n_objects), n_meas)
    band_idx = rng.randint(len(bands), size=int(n_ep.sum()))[epoch_of]

    pulsator = np.isin(labels, ["RRab", "RRc", "other"])
    ratio = np.array([_PULSATOR_AMPLITUDE_RATIO[b] for b in bands])
    scale = np.where(pulsator[obj], ratio[band_idx], ratio[band_idx] ** 0.15)
    phase = ((times / periods[obj]) + phase0[obj]) % 1.0
    shape = _interp_template(templates, obj, phase)
    offset = np.array([_BAND_OFFSET[b] for b in bands])
    band_mag = mean_mag[obj] + offset[band_idx] - offset[0]
    # Mean over the cycle sits at mean_mag: subtract the template mean.
    true_mag = band_mag + amplitude[obj] * scale * (shape - templates.mean(axis=1)[obj])

    sigma = np.hypot(0.008, 0.08 * 10 ** (0.4 * (true_mag - 16.5)))
    jitter = rng.normal(0, 0.006, n_ep.sum())[epoch_of]
    mag = true_mag + rng.normal(0, 1, true_mag.size) * sigma + jitter
    bad = rng.uniform(size=mag.size) < outlier_fraction
    sign = np.where(rng.uniform(size=mag.size) < 0.8, 1.0, -1.0)
    mag[bad] += (sign * (0.15 + rng.exponential(0.4, mag.size)))[bad]
    error = sigma * rng.lognormal(0, 0.15, mag.size) * rng.uniform(0.75, 1.3, n_objects)[obj]

    noise = pd.Series(sigma).groupby(obj).median().to_numpy()
    meta = pd.DataFrame(
        {
            "label": labels,
            "period": periods,
            "amplitude": amplitude * ratio[0] ** np.where(pulsator, 1.0, 0.15),
            "mean_mag": mean_mag,
            "noise": noise,
            "snr": amplitude * np.sqrt(n_ep) / noise,
            "n_epochs": n_ep,
        },
        index=pd.RangeIndex(n_objects, name="object_id"),
    )
    offsets = np.concatenate([[0], np.cumsum(n_meas)])
    columns = {"time": times, "value": mag, "error": error, "band": np.asarray(bands)[band_idx]}
    return LightCurves(offsets, columns, meta=meta, value_kind="mag")


# --------------------------------------------------------------------- sampling
def _as_range(value, name):
    lo, hi = (value, value) if np.isscalar(value) else value
    if lo > hi:
        raise ValueError(f"{name} must be (low, high) with low <= high; got {value}.")
    return int(lo), int(hi)


def _draw_labels(n_objects, classes, rng):
    if n_objects < 1:
        raise ValueError(f"n_objects must be >= 1; got {n_objects}.")
    if classes is not None and not isinstance(classes, Mapping):
        raise TypeError(
            f"classes must be a dict mapping class names to weights, e.g. {{'RRab': 1.0}}; "
            f"got {type(classes).__name__} {classes!r}."
        )
    mix = dict(_DEFAULT_MIX if classes is None else classes)
    unknown = set(mix) - set(PERIODIC_CLASSES)
    weights = pd.to_numeric(pd.Series(list(mix.values()), dtype=object), errors="coerce")
    weights = weights.to_numpy(dtype=float)
    if unknown or not mix or not np.all(np.isfinite(weights) & (weights >= 0)) or weights.sum() <= 0:
        raise ValueError(
            f"classes must map some of {PERIODIC_CLASSES} to finite non-negative weights "
            f"(not all zero); got {classes}."
        )
    names = list(mix)
    weights = np.array([mix[k] for k in names], dtype=float) / sum(mix.values())
    counts = np.floor(weights * n_objects).astype(int)
    remainder = weights * n_objects - counts
    counts[np.argsort(-remainder, kind="stable")[: n_objects - counts.sum()]] += 1
    labels = np.repeat(np.array(names, dtype=object), counts)
    return labels[rng.permutation(n_objects)]


def _draw_n_epochs(n_epochs, n_objects, rng):
    lo, hi = _as_range(n_epochs, "n_epochs")
    if lo < 3:
        raise ValueError(f"n_epochs must be at least 3; got {n_epochs}.")
    if lo == hi:
        return np.full(n_objects, lo)
    typical = np.clip(np.round(rng.normal(100, 12, n_objects)), lo, hi)
    spread = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi), n_objects)))
    use_typical = (rng.uniform(size=n_objects) < 0.7) & (lo <= 100) & (100 <= hi)
    return np.where(use_typical, typical, spread).astype(np.int64)


def _sample_times(n_ep, baseline, lo_m, hi_m, rng):
    """Epoch times in observing seasons at night, then pawprints within minutes."""
    total = int(n_ep.sum())
    season = 240.0  # observable days per year
    n_years = max(baseline / 365.25, season / 365.25)
    # Draw "observable time" uniformly, then map it onto the seasons.
    u = rng.uniform(0, n_years * season, total)
    year, day = np.divmod(u, season)
    t = np.minimum(year * 365.25 + day, baseline)
    t = np.floor(t) + rng.uniform(0.0, 0.35, total)  # night-time fraction of the day
    obj = np.repeat(np.arange(n_ep.size), n_ep)
    t = t[np.lexsort((t, obj))]
    k = rng.randint(lo_m, hi_m + 1, total)
    epoch_of = np.repeat(np.arange(total), k)
    within = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    times = t[epoch_of] + within * (0.5 / 1440) + rng.uniform(0, 0.2 / 1440, k.sum())
    n_meas = np.bincount(obj, weights=k, minlength=n_ep.size).astype(np.int64)
    return times + 55200.0, epoch_of, n_meas


def _amplitudes(labels, rng):
    """Ks peak-to-valley amplitudes by class."""
    n = labels.size
    amp = np.empty(n)
    # RRab: the Ks total amplitudes of bulge RRab (Dékány & Grebel 2020, Fig. 15).
    ranges = {"RRab": (0.15, 0.45), "RRc": (0.04, 0.15), "EC": (0.08, 0.5),
              "ESD": (0.1, 0.7), "other": (0.05, 0.5)}
    for kind, (lo, hi) in ranges.items():
        idx = labels == kind
        amp[idx] = np.exp(rng.uniform(np.log(lo), np.log(hi), idx.sum()))
    return amp


def _interp_template(templates, obj, phase):
    x = phase * _N_PHASE
    i0 = np.floor(x).astype(np.int64) % _N_PHASE
    frac = x - np.floor(x)
    i1 = (i0 + 1) % _N_PHASE
    return templates[obj, i0] * (1 - frac) + templates[obj, i1] * frac


# ----------------------------------------------------------------------- shapes
_GRID = np.arange(_N_PHASE) / _N_PHASE


def _smooth(shape, order):
    """Keep the first ``order`` harmonics: physical light curves are smooth."""
    spec = np.fft.rfft(shape, axis=1)
    spec[:, order + 1:] = 0
    return np.fft.irfft(spec, n=_N_PHASE, axis=1)


# Ks/V amplitude ratio of RRab: ~0.3 (Braga et al. 2018, omega Cen); the band table's.
_RRAB_KS_OVER_V = _PULSATOR_AMPLITUDE_RATIO["Ks"] / _PULSATOR_AMPLITUDE_RATIO["V"]


def _rrab_periods(amplitude_v, feh_jk, rng):
    """Periods on the Bailey diagram: the period-amplitude-metallicity relation.

    Sarajedini et al. (2006), from Galactic field RRab (Zinn & West scale):
    [Fe/H] = -1.453 A_V - 7.990 log P - 2.145. Solved for log P: at fixed
    metallicity the period grows as the amplitude falls (the Bailey diagram,
    with OoII-like metal-poor stars on the long-period side), and metal-rich
    stars have shorter periods at a given amplitude (the Sandage period
    shift). Stars scatter about the relation by ~0.3 dex in [Fe/H] (Alcock et
    al. 2000 quote 0.31 dex for theirs; Bono et al. 2007 find +-0.5 dex at a
    fixed period-amplitude), i.e. ~0.04 dex in log P.
    """
    feh_zw = (feh_jk - 0.88) / 1.431  # Jurcsik (1995): [Fe/H]_JK = 1.431 [Fe/H]_ZW + 0.88
    feh_zw = feh_zw + rng.normal(0, 0.3, feh_jk.size)
    log_p = -(feh_zw + 1.453 * amplitude_v + 2.145) / 7.990
    return np.clip(10 ** log_p, 0.28, 0.98)


def _rrab_optical_ratios(amplitude_v, rng):
    """Optical (V) amplitude ratios R_k1, k = 1..6, of RRab with V amplitude ``amplitude_v``.

    Anchored at a typical RRab (A_V = 1 mag: R21 0.48, R31 0.32; Simon &
    Teays 1982) with the higher orders falling by ~0.65 per order. The
    harmonic content grows with the amplitude, but much more slowly than the
    weakly nonlinear R_k1 ~ A^(k-1) (Buchler & Goupil 1984): real RRab are
    strongly nonlinear, and Simon & Teays (1982) found R21 to separate RRab
    from RRc better than the amplitude does, i.e. low-amplitude RRab keep an
    RRab-like R21 instead of becoming RRc-like sinusoids. Here R_k1 ~
    A^((k-1)/2): R21 0.33 at the smallest RRab amplitude (A_V 0.48 mag),
    0.51 at the cap (A_V >= 1.15 mag), with a 10 % star-to-star spread. The
    exponent 1/2 is a choice between the two regimes, not a published value.
    """
    n = amplitude_v.size
    nonlinearity = np.minimum(amplitude_v / 1.0, 1.15)[:, None] * rng.uniform(0.9, 1.1, (n, 1))
    k = np.arange(1, 7)[None, :]
    typical = np.array([1.0, 0.48, 0.32, 0.32 * 0.65, 0.32 * 0.65 ** 2, 0.32 * 0.65 ** 3])[None, :]
    return typical * nonlinearity ** ((k - 1) / 2)


def _rrab(amplitude, rng):
    """Ks-band RRab shapes: a temperature term plus a dominant radius term.

    The optical (V) light curve of an RRab star is set by its temperature and
    has the familiar Fourier parameters (sine series in magnitudes, Simon &
    Teays 1982; Jurcsik & Kovács 1996): R21 ~ 0.33-0.55, R31 ~ 0.15-0.40,
    phi21 ~ 2.2-2.6, phi31 from [Fe/H] and P (their Eq. 3). In Ks the
    variation is dominated by the radius instead (Madore et al. 2013; Braga et
    al. 2019, §1): the expansion velocity mirrors the optical light curve, so
    the radius term is its integral over phase, each harmonic k divided by k
    and shifted by -pi/2. That is why Ks RRab curves are more sinusoidal
    (smaller R21, R31), rise more slowly (30-40 % of the cycle instead of
    ~15 %) and have phi21 ~ phi21(V) + pi/2 ~ 4 rather than the sawtooth's pi:
    amplitude ratios fall and phase differences grow with wavelength (Das et
    al. 2018, observed and in pulsation models). The temperature term keeps
    20-50 % of the Ks variation: the radius dominates at 2.2 micron, but the
    temperature still contributes.

    With a radius-to-temperature ratio r of the first harmonic (the radius
    term lagging by pi/2), the Ks parameters of this two-term model are
    phi21(Ks) = phi21(V) + 2 atan(r) - atan(r/2) and R21(Ks) = R21(V)
    sqrt(1 + r^2/4) / sqrt(1 + r^2): phi21 rises and R21 falls together,
    from phi21(V), R21(V) (temperature only) to phi21(V) + pi/2, R21(V)/2
    (radius only). A Ks RRab with both a large phi21 (>= 4.1) and a large
    R21 (>= 0.35) is out of reach of this model with the optical parameters
    above; it would need a velocity curve whose Fourier phases differ from
    the light curve's, which is not modelled.

    Sources and what was checked (2026-12-03): published Ks-band Fourier
    parameter distributions of RRab (Hajdu et al. 2018, who fit Ks curves by
    principal components rather than Fourier phases; Braga et al. 2019's
    JHKs templates; Angeloni et al. 2014; Jones et al. 1996; Das et al. 2018)
    could not be read in full here: only abstracts and introductions were
    reachable, so no Ks R21/R31/phi21/phi31 number in this model is taken
    from a Ks-band paper. Checked: the JK96 phi31 relation and its sine
    convention (VizieR J/A+A/312/111); the qualitative Ks statements above
    (Braga et al. 2019 §1, Das et al. 2018 abstract, Simon & Teays 1982
    abstract); one optical star close to the A_V = 1 mag anchor, the Fourier
    fit of the RRab M3 V006 in the VARTOOLS examples (peak-to-peak 1.1 mag,
    R21 0.47, R31 0.36; its band was not checked). Not verified (typed from
    memory before): the optical phi21 range 2.2-2.6, the A_V = 1 mag anchors
    R21 0.48 / R31 0.32, the 0.65 per-order decline, the 20-50 % temperature
    share, the Ks rise time of 30-40 % of the cycle and the Ks/V amplitude
    ratio 0.3 (Braga et al. 2018).

    Period, amplitude and shape are coupled as in real RRab (the Bailey
    diagram) rather than drawn independently:

    - the period follows from the amplitude (V amplitude = Ks amplitude / 0.3)
      and [Fe/H] by the period-amplitude-metallicity relation
      (:func:`_rrab_periods`). With the Ks amplitudes and bulge metallicities
      here it gives a median period of 0.56 d, close to the mean of the OGLE
      bulge RRab (Soszyński et al. 2011, 2014), which was imposed before;
    - the harmonic content grows with the amplitude (a low-amplitude RRab is
      more sinusoidal, a high-amplitude one closer to a sawtooth), but slowly:
      see :func:`_rrab_optical_ratios`.

    Measured with ``OMP_NUM_THREADS=1 python benchmarks/bench_real_rrab.py
    --data-dir ../shared/data --n-objects 4000 --max-epochs 12 --n-jobs 1
    --seed S``, S = 0-4, before (R_k1 ~ A^(k-1)) and after (A^((k-1)/2)):
    simulated RRab at S/N > 60 R21 0.25-0.26 -> 0.27, phi21 3.82-3.84 -> 3.83-3.85
    (real VVV RRab: 0.36, 4.12); recall of the real RRab at S/N > 60 at a
    2 % false-positive rate, mean of the five seeds, BiLSTM pipeline 0.891
    -> 0.916, random forest 0.939 -> 0.945 (docs/user_guide/real_data.rst,
    "Harmonic content at low amplitude").
    """
    n = amplitude.size
    amplitude_v = amplitude / _RRAB_KS_OVER_V
    feh = np.clip(rng.normal(-1.1, 0.4, n), -2.5, 0.0)  # bulge RRab metallicities (JK scale)
    period = _rrab_periods(amplitude_v, feh, rng)
    phi21 = rng.uniform(2.2, 2.6, n)
    phi31 = (feh + 5.038 + 5.394 * period) / 1.345  # Jurcsik & Kovács (1996), Eq. 3
    ratio = _rrab_optical_ratios(amplitude_v, rng)
    k = np.arange(1, 7)[None, :]
    # Higher harmonics continue the V-band progression: phase differences grow by
    # phi31 - phi21 per order.
    step = (phi31 - phi21)[:, None]
    phase = np.column_stack([np.zeros(n), phi21, phi31, phi31[:, None] + step * np.arange(1, 4)[None, :]])
    x = 2 * np.pi * k[:, :, None] * _GRID[None, None, :]
    temperature = np.einsum("nk,nkp->np", ratio, np.sin(x + phase[:, :, None]))
    radius = np.einsum("nk,nkp->np", ratio / k, np.sin(x + phase[:, :, None] - np.pi / 2))
    weight = rng.uniform(0.2, 0.5, n)[:, None]  # temperature share of the Ks variation
    shape = weight * _unit_range(temperature) + (1 - weight) * _unit_range(radius)
    return period, shape


def _unit_range(shape):
    """Mean zero, peak-to-valley one (per row)."""
    shape = shape - shape.mean(axis=1, keepdims=True)
    return shape / np.ptp(shape, axis=1, keepdims=True)


def _rrc(amplitude, rng):
    n = amplitude.size
    period = rng.uniform(0.28, 0.45, n)
    g = 2 * np.pi * _GRID[None, :]
    a2 = rng.uniform(0.0, 0.15, n)[:, None]
    shape = np.cos(g) + a2 * np.cos(2 * g + rng.uniform(0, 2 * np.pi, n)[:, None])
    return period, shape


def _binary_periods(n, rng):
    # Orbital periods whose half falls in the RRab search range.
    return np.exp(rng.uniform(np.log(0.56), np.log(1.96), n))


def _ec(amplitude, rng):
    n = amplitude.size
    period = _binary_periods(n, rng)
    g = 2 * np.pi * _GRID[None, :]
    depth_ratio = rng.uniform(0.8, 1.0, n)[:, None]  # secondary/primary depth
    # Two minima (phase 0 and 0.5) of depths 1 and depth_ratio, continuous variation.
    primary = (1 + np.cos(g)) / 2
    shape = np.cos(2 * g) * (primary + depth_ratio * (1 - primary))
    shape = _smooth(shape, 6)
    return period, shape


def _esd(amplitude, rng):
    n = amplitude.size
    period = _binary_periods(n, rng)
    g = _GRID[None, :]
    width = rng.uniform(0.06, 0.14, n)[:, None]
    secondary = rng.uniform(0.3, 0.9, n)[:, None]
    ellipsoidal = rng.uniform(0.05, 0.25, n)[:, None]

    def eclipse(centre):
        d = np.abs(((g - centre) + 0.5) % 1.0 - 0.5)
        return np.clip(1 - d / width, 0, None) ** 1.3

    shape = eclipse(0.0) + secondary * eclipse(0.5) + ellipsoidal * (1 - np.cos(4 * np.pi * g)) / 2
    return period, _smooth(shape, 24)


def _other(amplitude, rng):
    n = amplitude.size
    period = np.exp(rng.uniform(np.log(0.28), np.log(0.98), n))
    g = _GRID[None, :]
    kind = rng.randint(3, size=n)[:, None]
    # Sawtooth skew kept apart from the RRab range (rise 0.25-0.40): an overlap would
    # be label noise that no classifier can learn.
    rise = rng.uniform(0.45, 0.65, n)[:, None]
    saw = np.where(g < rise, 1 - g / rise, (g - rise) / (1 - rise))
    spots = np.cos(2 * np.pi * g) + rng.uniform(0.2, 0.6, n)[:, None] * np.cos(
        4 * np.pi * g + rng.uniform(0, 2 * np.pi, n)[:, None])
    ellipsoidal = np.cos(4 * np.pi * g) + rng.uniform(0.0, 0.15, n)[:, None] * np.cos(2 * np.pi * g)
    shape = np.where(kind == 0, saw, np.where(kind == 1, spots, ellipsoidal))
    # Ellipsoidal variables have orbital periods twice the photometric one.
    period = np.where(kind[:, 0] == 2, 2 * period, period)
    return period, _smooth(shape, 6)


_SHAPES = {"RRab": _rrab, "RRc": _rrc, "EC": _ec, "ESD": _esd, "other": _other}

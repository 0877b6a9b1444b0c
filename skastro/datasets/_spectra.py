"""Seeded simulators for the follow-up experiments: stellar spectra and a two-stage survey."""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

# Classes of the CSS x SDSS cross-match (Astudillo et al. 2020, §6.3) with their
# fractions there and rough atmospheric parameters of the stars.
#   name:   fraction, T_eff mean, T_eff sd, [Fe/H] mean, [Fe/H] sd, line width (Å), chromospheric emission
FOLLOWUP_CLASSES = {
    "EW": (0.293, 5900.0, 350.0, -0.1, 0.25, 7.0, 0.0),
    "EA": (0.058, 7000.0, 1100.0, -0.1, 0.3, 3.0, 0.0),
    "RRab": (0.134, 6400.0, 250.0, -1.5, 0.35, 3.0, 0.0),
    "RRc": (0.467, 7300.0, 250.0, -1.5, 0.35, 3.0, 0.0),
    "RRd": (0.031, 7300.0, 250.0, -1.5, 0.35, 3.0, 0.0),  # spectra like RRc
    "RS CVn": (0.017, 4800.0, 300.0, -0.2, 0.3, 4.0, 1.0),
}

_BALMER = (6563.0, 4861.0, 4340.0, 4102.0, 3970.0)
_METAL = (3934.0, 3968.5, 4227.0, 4383.0, 5175.0, 5270.0, 5893.0, 8498.0, 8542.0, 8662.0)
_METAL_STRENGTH = (1.0, 0.8, 0.35, 0.3, 0.5, 0.3, 0.45, 0.35, 0.45, 0.4)


def _planck(wavelength_aa, temperature):
    """Planck B_λ (arbitrary units) on a wavelength grid in Å for temperatures (n,)."""
    lam = wavelength_aa[None, :] * 1e-10
    x = 6.62607015e-34 * 2.99792458e8 / (lam * 1.380649e-23 * temperature[:, None])
    return 1.0 / (lam**5 * np.expm1(x))


def make_spectra(
    n_samples=1000,
    *,
    n_wavelengths=400,
    wavelength_range=(3830.0, 9174.0),
    classes=None,
    snr=(10.0, 40.0),
    normalize=True,
    random_state=None,
    temperature=None,
    metallicity=None,
):
    """Simulate optical spectra of periodic variables: continuum by temperature, lines by class.

    Each spectrum is a blackbody continuum at the star's effective
    temperature times Gaussian absorption lines: Balmer lines whose depth
    rises towards 9,000 K, metal lines (Ca II H&K and triplet, Ca I, Fe, Mg b,
    Na D) whose depth scales with 10^[Fe/H] and strengthens in cooler stars,
    a class-dependent line width (rotational broadening of contact binaries)
    and Ca II emission cores for chromospherically active RS CVn stars; plus
    Gaussian noise at a signal-to-noise drawn from ``snr``. The grid spans
    SDSS's 3,830–9,174 Å (Astudillo et al. 2020, §6.4).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of spectra.
    n_wavelengths : int, default=400
        Grid size (the paper's grid has 3,794 bins).
    wavelength_range : (float, float), default=(3830, 9174)
        First and last wavelength in Å.
    classes : sequence of str, default=None
        Class of every spectrum; None draws them with the cross-match
        fractions of ``FOLLOWUP_CLASSES``.
    snr : (float, float), default=(10, 40)
        Range of the per-spectrum signal-to-noise ratio.
    normalize : bool, default=True
        Min–max normalise each spectrum to [0, 1] as in the paper.
    random_state : int, RandomState instance or None, default=None
        Seed.
    temperature, metallicity : array-like of shape (n_samples,), default=None
        Override the class-drawn T_eff (K) and [Fe/H].

    Returns
    -------
    spectra : ndarray of shape (n_samples, n_wavelengths)
    y : ndarray of str of shape (n_samples,)
    params : DataFrame
        ``temperature``, ``metallicity``, ``snr`` and the grid in ``params.attrs["wavelength"]``.

    Examples
    --------
    >>> from skastro.datasets import make_spectra
    >>> X, y, params = make_spectra(5, n_wavelengths=100, random_state=0)
    >>> X.shape, float(X.min()), float(X.max())
    ((5, 100), 0.0, 1.0)
    """
    for name, value in (("n_samples", n_samples), ("n_wavelengths", n_wavelengths)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    rng = check_random_state(random_state)
    names = list(FOLLOWUP_CLASSES)
    table = np.array([FOLLOWUP_CLASSES[c] for c in names])
    if classes is None:
        frac = table[:, 0] / table[:, 0].sum()
        code = rng.choice(len(names), size=n_samples, p=frac)
    else:
        classes = np.asarray(classes)
        unknown = sorted(set(classes.tolist()) - set(names))
        if unknown or len(classes) != n_samples:
            raise ValueError(
                f"classes must hold {n_samples} labels among {names}; got {len(classes)} "
                f"labels, unknown: {unknown}."
            )
        code = np.array([names.index(c) for c in classes])
    y = np.array(names, dtype=object)[code]
    p = table[code]
    T = p[:, 1] + p[:, 2] * rng.standard_normal(n_samples) if temperature is None else np.asarray(temperature, float)
    T = np.clip(T, 3500.0, 12000.0)
    feh = p[:, 3] + p[:, 4] * rng.standard_normal(n_samples) if metallicity is None else np.asarray(metallicity, float)
    wl = np.linspace(*wavelength_range, n_wavelengths)
    cont = _planck(wl, T)
    cont /= cont.max(axis=1, keepdims=True)
    width = p[:, 5] * (1 + 0.1 * rng.standard_normal(n_samples))
    width = np.maximum(width, 1.0)[:, None]
    # Resolution of the grid: lines narrower than a bin would vanish.
    width = np.maximum(width, 1.2 * (wl[1] - wl[0]))
    tau = np.zeros((n_samples, n_wavelengths))
    balmer_depth = 0.6 * np.exp(-(((T - 9000.0) / 2500.0) ** 2))
    for i, centre in enumerate(_BALMER):
        tau += (balmer_depth * (0.8**i))[:, None] * np.exp(-0.5 * ((wl - centre) / (1.5 * width)) ** 2)
    metal_depth = 0.5 * 10 ** np.clip(feh, -3, 0.5) * np.clip((7500.0 - T) / 2500.0 + 0.6, 0.1, 2.0)
    for centre, strength in zip(_METAL, _METAL_STRENGTH):
        tau += (metal_depth * strength)[:, None] * np.exp(-0.5 * ((wl - centre) / width) ** 2)
    flux = cont * np.exp(-tau)
    emission = p[:, 6] * (0.3 + 0.1 * rng.standard_normal(n_samples))
    for centre in (3934.0, 3968.5, 6563.0):
        flux += (emission * cont.mean(axis=1))[:, None] * np.exp(-0.5 * ((wl - centre) / 2.0) ** 2 / 4.0)
    s2n = rng.uniform(*snr, size=n_samples)
    flux = flux + rng.standard_normal(flux.shape) * (np.median(flux, axis=1) / s2n)[:, None]
    if normalize:
        lo = flux.min(axis=1, keepdims=True)
        flux = (flux - lo) / (flux.max(axis=1, keepdims=True) - lo)
    params = pd.DataFrame({"temperature": T, "metallicity": feh, "snr": s2n})
    params.attrs["wavelength"] = wl
    return flux, y, params


def make_followup_survey(n_objects=2000, *, n_wavelengths=400, wavelength_range=(3830.0, 9174.0),
                         snr=(10.0, 40.0), random_state=None):
    """A simulated photometric + spectroscopic survey with a known information structure.

    Light-curve features (cheap, x_t; named like FATS) are drawn per class so
    that two confusions exist:

    - **EW vs RRc**: contact binaries' Lomb–Scargle period (half the orbit)
      and amplitude overlap those of first-overtone RR Lyrae. Their spectra
      differ strongly (EW: ~5,900 K, solar metallicity, broad lines; RRc:
      ~7,300 K, metal-poor), so a spectrum resolves this confusion.
    - **RRc vs RRd**: double-mode RR Lyrae look like RRc in the light-curve
      features, and their spectra are drawn from the same distribution, so a
      spectrum cannot separate these two (it still separates both from EW).

    RRab (long period, large asymmetric amplitude), EA (eclipses: large skew)
    and RS CVn (small amplitude, cool, emission cores) are mostly separable
    from photometry. A good follow-up ranking therefore puts EW/RRc-confused
    objects first and the photometrically clear ones last.

    Parameters
    ----------
    n_objects : int, default=2000
        Number of objects.
    n_wavelengths : int, default=400
        Spectral grid size.
    wavelength_range : (float, float), default=(3830, 9174)
        First and last wavelength of the spectra in Å (see :func:`make_spectra`).
    snr : (float, float), default=(10, 40)
        Range of the spectra's signal-to-noise ratio per pixel.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    Bunch
        ``features`` (DataFrame of x_t: ``PeriodLS``, ``Amplitude``, ``Skew``,
        ``Freq1_harmonics_amplitude_1`` (ratio to the first), ``MedianAbsDev``),
        ``spectra`` (normalised, ``(n_objects, n_wavelengths)``), ``y`` (str
        labels), ``params`` (T_eff, [Fe/H], S/N, true period) and
        ``wavelength``.

    Examples
    --------
    >>> from skastro.datasets import make_followup_survey
    >>> survey = make_followup_survey(100, n_wavelengths=80, random_state=0)
    >>> survey.features.shape, survey.spectra.shape
    ((100, 5), (100, 80))
    """
    rng = check_random_state(random_state)
    spectra, y, params = make_spectra(n_objects, n_wavelengths=n_wavelengths,
                                      wavelength_range=wavelength_range, snr=snr, random_state=rng)
    n = n_objects
    # class: (log10 PeriodLS mean, sd), (amplitude mean, sd), (skew mean, sd), (R21 mean, sd)
    lc = {
        "EW": ((-0.52, 0.07), (0.40, 0.12), (0.05, 0.25), (0.18, 0.08)),
        "EA": ((-0.10, 0.30), (0.70, 0.30), (1.40, 0.50), (0.45, 0.15)),
        "RRab": ((-0.25, 0.06), (0.85, 0.18), (-0.70, 0.20), (0.48, 0.06)),
        "RRc": ((-0.50, 0.05), (0.42, 0.08), (-0.15, 0.20), (0.15, 0.07)),
        "RRd": ((-0.45, 0.04), (0.45, 0.08), (-0.10, 0.20), (0.18, 0.07)),
        "RS CVn": ((0.30, 0.40), (0.15, 0.06), (0.00, 0.30), (0.10, 0.06)),
    }
    cols = np.zeros((n, 4))
    for name, specs in lc.items():
        m = y == name
        for j, (mu, sd) in enumerate(specs):
            cols[m, j] = mu + sd * rng.standard_normal(m.sum())
    period = 10 ** cols[:, 0]
    amp = np.clip(cols[:, 1], 0.03, None)
    features = pd.DataFrame(
        {
            "PeriodLS": period,
            "Amplitude": amp,
            "Skew": cols[:, 2],
            "Freq1_harmonics_amplitude_1": np.clip(cols[:, 3], 0.0, None),
            "MedianAbsDev": amp * np.clip(0.45 + 0.05 * rng.standard_normal(n), 0.2, 0.7),
        }
    )
    params["period"] = np.where(np.isin(y, ["EW", "EA"]), 2 * period, period)
    return Bunch(
        features=features, spectra=spectra, y=y, params=params, wavelength=params.attrs["wavelength"]
    )

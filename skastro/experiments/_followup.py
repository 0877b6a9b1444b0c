"""The follow-up problems of Astudillo et al. (2020): the CSS cross-match and a simulated survey.

Shared by ``examples/followup_css.py``, ``benchmarks/bench_info_gain.py`` and
the ``followup`` section of ``skastro reproduce``.
"""

import numpy as np
from sklearn.utils import Bunch

from ..followup import (
    SpectrumVAE,
    choose_latent_dim,
    common_wavelength_grid,
    resample_spectra,
    select_feature_subset,
)
from ..utils._formatting import plain

__all__ = ["CSS_CHEAP", "CSS_EXPENSIVE", "CSS_CLASSES", "load_css_followup",
           "simulated_followup_features"]

#: x_t of Astudillo et al. (2020), §8.1.
CSS_CHEAP = [
    "PeriodLS",
    "Freq1_harmonics_amplitude_0",
    "MedianAbsDev",
    "Q31",
    "FluxPercentileRatioMid35",
    "FluxPercentileRatioMid50",
    "Freq1_harmonics_amplitude_1",
]
#: Our stand-in for the unavailable SDSS spectral features μ(z): the light-curve
#: shape moments, reliable only with a dense, well-sampled light curve (i.e.
#: from follow-up photometry). They separate eclipsing binaries (long flat
#: maxima, narrow eclipses: skewed, peaked magnitude distributions) from
#: pulsators, and were the best pair to add to x_t among the remaining FATS
#: features in cross-validated random-forest accuracy.
CSS_EXPENSIVE = ["Skew", "SmallKurtosis"]
#: The six classes kept in §6.3 (the rest are < 1 % of the cross-match).
CSS_CLASSES = ["EW", "EA", "RRab", "RRc", "RRd", "RS CVn"]


def load_css_followup(data_dir):
    """The CSS cross-match as the follow-up problem: X (x_t + x_s) and labels.

    ``PeriodLS`` is replaced by its log10 (the mixture models log-period far
    better; random forests do not care).

    Parameters
    ----------
    data_dir : path
        Folder holding the CSS FATS table (see :func:`~skastro.datasets.load_css_fats`).

    Returns
    -------
    X : DataFrame
        Columns ``CSS_CHEAP`` (x_t) then ``CSS_EXPENSIVE`` (x_s),
        rows with finite values of the ``CSS_CLASSES`` classes.
    y : ndarray of object
        Class labels.

    Examples
    --------
    Needs the CSS FATS table (real data, not shipped; see the README):

    >>> from skastro.experiments import load_css_followup
    >>> load_css_followup("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: CSS FATS features not found at /nonexistent/css_fats/fats.csv. ...
    """
    from ..datasets import load_css_fats

    df = load_css_fats(data_dir)
    df = df[df["label"].isin(CSS_CLASSES)]
    X = df[CSS_CHEAP + CSS_EXPENSIVE].astype(float).copy()
    X["PeriodLS"] = np.log10(X["PeriodLS"])
    keep = np.isfinite(X.to_numpy()).all(axis=1)
    return X[keep], df.loc[keep, "label"].to_numpy(dtype=object)


# SDSS-like coverage of the simulated spectra in paper mode: each starts and ends at its own
# wavelength (Å) on a shared pixel lattice (§6.2); the grid rule of §6.4 then trims them.
_START, _END = (3650.0, 3850.0), (9150.0, 9350.0)


def _own_coverage(spectra, wavelength, rng):
    """Crop each spectrum to a random start and end: (wavelengths, fluxes) lists."""
    starts = np.searchsorted(wavelength, rng.uniform(*_START, len(spectra)))
    ends = np.searchsorted(wavelength, rng.uniform(*_END, len(spectra)))
    return ([wavelength[a:b] for a, b in zip(starts, ends)],
            [row[a:b] for row, a, b in zip(spectra, starts, ends)])


_PIXEL = 1.4  # Å, the size of SDSS's 10^-4 dex pixels at 6,000 Å


def _raw_spectra_settings(n_wavelengths):
    """SDSS-like pixels over the wide range; S/N per pixel such that a grid bin has the default's."""
    per_bin = (9174.0 - 3830.0) / (n_wavelengths - 1) / _PIXEL
    return dict(n_wavelengths=int(round((_END[1] - _START[0]) / _PIXEL)) + 1,
                wavelength_range=(_START[0], _END[1]), snr=(10.0 / per_bin**0.5, 40.0 / per_bin**0.5))


def simulated_followup_features(
    n_objects=2000,
    n_spectra=2000,
    n_wavelengths=300,
    dims=(2, 4, 6),
    vae_params=None,
    subset_estimator=None,
    random_state=0,
    log=print,
    paper=False,
):
    """Experiment (a): a simulated survey whose x_s are VAE features of its spectra.

    A VAE is trained on a separate spectra-only sample (as the paper's 20,602
    SDSS spectra), its latent size chosen by test R² (§5.3); the survey's
    spectra are encoded to μ(z), and x_s is the part of μ(z) chosen with the
    light-curve features by :func:`~skastro.followup.select_feature_subset`
    (at least one μ).

    With ``paper=True`` the VAE is ``SpectrumVAE.from_preset("astudillo2020")``
    and the spectra are prepared as in §6.4: every spectrum is simulated on
    SDSS-like 1.4 Å pixels with its own start (3,650–3,850 Å) and end
    (9,150–9,350 Å); the common grid is
    :func:`~skastro.followup.common_wavelength_grid` (99 % of the spectra
    reach each end) with bins as wide as the default run's (``n_wavelengths``
    over 3,830–9,174 Å; the S/N per pixel is lowered so that a bin's S/N is
    the default's); spectra are put on it by
    :func:`~skastro.followup.resample_spectra` (flux-conserving), and those
    that do not cover it are dismissed, in the VAE sample and in the survey
    alike (the paper's cross-match lost its objects without μ(z) this way).

    Parameters
    ----------
    n_objects : int, default=2000
        Survey objects (:func:`~skastro.datasets.make_followup_survey`).
    n_spectra : int, default=2000
        Spectra of the separate VAE training sample (80 % train, 20 % test).
    n_wavelengths : int, default=300
        Bins over 3,830–9,174 Å (with ``paper=True``: the common grid's bin
        width).
    dims : tuple of int, default=(2, 4, 6)
        Latent sizes tried.
    vae_params : dict, default=None
        :class:`~skastro.followup.SpectrumVAE` settings overriding the defaults
        (or the preset's, with ``paper=True``).
    subset_estimator : estimator, default=None
        Classifier of the feature-subset search (None: its default).
    random_state : int, default=0
        Seeds the simulations, the VAE and the feature-subset search.
    log : callable, default=print
        Receives the progress lines.
    paper : bool, default=False
        Use the paper's preprocessing and VAE preset (see above).

    Returns
    -------
    Bunch
        ``X`` (x_t columns then x_s), ``y``, ``expensive`` and ``cheap``
        column names, ``latent`` (the latent-size choice), ``subset`` (the
        feature-subset search), ``survey`` (the simulated survey),
        ``wavelength`` (the VAE's grid, Å), ``test_spectra`` (the held-out
        VAE spectra on it) and ``n_dismissed`` (a pair: VAE spectra and
        survey objects dropped for short coverage; (0, 0) without ``paper``).

    Examples
    --------
    A small run; skipped by the doctest run (about half a minute: VAE training
    and a feature-subset search):

    >>> from skastro.experiments import simulated_followup_features
    >>> res = simulated_followup_features(n_objects=150, n_spectra=60, n_wavelengths=30,
    ...                                   dims=(2,), vae_params={"max_epochs": 2},
    ...                                   log=lambda m: None)  # doctest: +SKIP
    >>> res.X.shape[0], res.expensive[0].startswith("mu")  # doctest: +SKIP
    (150, True)
    """
    from ..datasets import make_followup_survey, make_spectra

    rng = np.random.default_rng(random_state)
    if paper:
        vae = SpectrumVAE.from_preset("astudillo2020", n_jobs=1, random_state=random_state)
        wide = _raw_spectra_settings(n_wavelengths)
    else:
        vae = SpectrumVAE(max_epochs=30, lr=3e-3, batch_size=64, n_jobs=1, random_state=random_state)
        wide = dict(n_wavelengths=n_wavelengths)
    vae.set_params(**(vae_params or {}))
    spectra, _, sp = make_spectra(n_spectra, random_state=random_state + 1, **wide)
    wavelength = sp.attrs["wavelength"]
    survey = make_followup_survey(n_objects, random_state=random_state, **wide)
    keep = np.ones(n_objects, dtype=bool)
    n_dismissed = (0, 0)
    if paper:
        wl, fl = _own_coverage(spectra, wavelength, rng)
        # bins of the default run's size, built from the 1.4 Å pixels flux-conservingly
        wavelength = common_wavelength_grid(wl, spacing="linear", step=(9174.0 - 3830.0) / (n_wavelengths - 1))
        vae_set = resample_spectra(wl, fl, wavelength)
        spectra = vae_set.flux[vae_set.complete]
        on_grid = resample_spectra(*_own_coverage(survey.spectra, survey.wavelength, rng), wavelength)
        keep = on_grid.complete
        survey_spectra = on_grid.flux[keep]
        n_dismissed = (int((~vae_set.complete).sum()), int((~keep).sum()))
        log(f"common grid {wavelength[0]:.0f}-{wavelength[-1]:.0f} A ({wavelength.size} bins): "
            f"dismissed {int((~vae_set.complete).sum())} of {n_spectra} VAE spectra and "
            f"{int((~keep).sum())} of {n_objects} survey objects")
    else:
        survey_spectra = survey.spectra
    cut = int(0.8 * len(spectra))
    choice = choose_latent_dim(spectra[:cut], spectra[cut:], dims=dims, vae=vae, tol=0.01)
    log(f"VAE latent size by test R2: {plain(choice.r2.round(3))} -> d={choice.latent_dim}")
    mu = choice.estimator.transform(survey_spectra)
    X = survey.features[keep].reset_index(drop=True)
    X["PeriodLS"] = np.log10(X["PeriodLS"])
    mu_names = [f"mu{i}" for i in range(mu.shape[1])]
    for i, name in enumerate(mu_names):
        X[name] = mu[:, i]
    y = survey.y[keep]
    subset = select_feature_subset(X, y, estimator=subset_estimator, cv=5, random_state=random_state)
    expensive = [f for f in subset.features if f in mu_names]
    if not expensive:
        expensive = [f for f in subset.order if f in mu_names][:1]
    cheap = list(survey.features.columns)
    log(f"feature subset: {subset.features} (x_s = {expensive})")
    return Bunch(
        X=X[cheap + expensive], y=y, expensive=expensive, cheap=cheap,
        latent=choice, subset=subset, survey=survey, wavelength=wavelength,
        test_spectra=spectra[cut:], n_dismissed=n_dismissed,
    )

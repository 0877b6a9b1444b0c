"""Data preparation shared by the follow-up example, benchmark and main-job section."""

import numpy as np
from sklearn.utils import Bunch

from ..reproduce import plain
from ._feature_subset import select_feature_subset
from ._vae import SpectrumVAE, choose_latent_dim

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
    """
    from ..datasets import load_css_fats

    df = load_css_fats(data_dir)
    df = df[df["label"].isin(CSS_CLASSES)]
    X = df[CSS_CHEAP + CSS_EXPENSIVE].astype(float).copy()
    X["PeriodLS"] = np.log10(X["PeriodLS"])
    keep = np.isfinite(X.to_numpy()).all(axis=1)
    return X[keep], df.loc[keep, "label"].to_numpy(dtype=object)


def simulated_followup_features(
    n_objects=2000,
    n_spectra=2000,
    n_wavelengths=300,
    dims=(2, 4, 6),
    vae_params=None,
    subset_estimator=None,
    random_state=0,
    log=print,
):
    """Experiment (a): a simulated survey whose x_s are VAE features of its spectra.

    A VAE is trained on a separate spectra-only sample (as the paper's 20,602
    SDSS spectra), its latent size chosen by test R² (§5.3); the survey's
    spectra are encoded to μ(z), and x_s is the part of μ(z) chosen with the
    light-curve features by :func:`select_feature_subset` (at least one μ).
    """
    from ..datasets import make_followup_survey, make_spectra

    params = dict(max_epochs=30, lr=3e-3, batch_size=64, n_threads=1, random_state=random_state)
    params.update(vae_params or {})
    spectra, _, _ = make_spectra(n_spectra, n_wavelengths=n_wavelengths, random_state=random_state + 1)
    cut = int(0.8 * n_spectra)
    choice = choose_latent_dim(spectra[:cut], spectra[cut:], dims=dims, vae=SpectrumVAE(**params), tol=0.01)
    log(f"VAE latent size by test R2: {plain(choice.r2.round(3))} -> d={choice.latent_dim}")
    survey = make_followup_survey(n_objects, n_wavelengths=n_wavelengths, random_state=random_state)
    mu = choice.estimator.transform(survey.spectra)
    X = survey.features.copy()
    X["PeriodLS"] = np.log10(X["PeriodLS"])
    mu_names = [f"mu{i}" for i in range(mu.shape[1])]
    for i, name in enumerate(mu_names):
        X[name] = mu[:, i]
    subset = select_feature_subset(X, survey.y, estimator=subset_estimator, cv=5, random_state=random_state)
    expensive = [f for f in subset.features if f in mu_names]
    if not expensive:
        expensive = [f for f in subset.order if f in mu_names][:1]
    cheap = list(survey.features.columns)
    log(f"feature subset: {subset.features} (x_s = {expensive})")
    return Bunch(
        X=X[cheap + expensive], y=survey.y, expensive=expensive, cheap=cheap,
        latent=choice, subset=subset, survey=survey,
    )

"""Common-check specs of the follow-up estimators (X is a feature matrix / spectra here)."""

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from skastro.followup import InfoGainFollowupSelector, SpectrumVAE

from . import EstimatorSpec


def make_selector():
    return InfoGainFollowupSelector(
        expensive_features=[3],
        classifier_t=RandomForestClassifier(10, min_samples_leaf=3, random_state=0),
        n_draws=10,
        random_state=0,
    )


def make_feature_data(random_state):
    rng = np.random.default_rng(random_state)
    y = rng.integers(0, 3, 150)
    X = np.hstack([rng.normal(size=(150, 3)) + 0.7 * y[:, None], rng.normal(size=(150, 1)) + 2.0 * y[:, None]])
    X[rng.random(150) < 0.2, 3] = np.nan  # objects without a spectrum yet
    return X, y


def _nan_in_cheap(X, y):
    X = X.copy()
    X[0, 0] = np.nan
    return X


def _wrong_width(X, y):
    return X[:, :3]


def make_vae():
    return SpectrumVAE(latent_dim=2, max_epochs=3, batch_size=32, n_jobs=1, random_state=0)


def make_spectra_data(random_state):
    from skastro.datasets import make_spectra

    X, _, _ = make_spectra(64, n_wavelengths=40, random_state=random_state)
    return X, None


def _nan_spectrum(X, y):
    X = X.copy()
    X[1, 5] = np.nan
    return X


SPECS = [
    EstimatorSpec(
        make_estimator=make_selector,
        make_data=make_feature_data,
        param_grid={"n_draws": [5, 10]},
        bad_inputs=[
            ("NaN in a cheap feature x_t", _nan_in_cheap, ValueError),
            ("wrong number of columns at predict", _wrong_width, ValueError, "predict"),
        ],
        # its two forests with 3 trees, not 10; the mixture stops after 20 EM iterations (hostile
        # rows rarely converge: the default 500 took most of each example)
        fuzz_params={"classifier_t__n_estimators": 3, "max_iter": 20},
    ),
    EstimatorSpec(
        make_estimator=make_vae,
        make_data=make_spectra_data,
        param_grid={"latent_dim": [1, 2]},
        bad_inputs=[
            ("NaN flux", _nan_spectrum, ValueError),
            ("wrong number of wavelengths at transform", lambda X, y: X[:, :30], ValueError, "predict"),
        ],
    ),
]

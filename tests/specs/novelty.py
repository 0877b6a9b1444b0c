"""Common-check spec of the dm-dt novelty detector."""

import numpy as np

from skastro import LightCurves
from skastro.datasets import make_transients
from skastro.novelty import DmDtNoveltyDetector

from . import EstimatorSpec


def _make_data(random_state):
    lcs = make_transients(n_variables=40, n_transients=2, n_epochs=(5, 8),
                          random_state=random_state)
    return lcs, None


def _mean_score(estimator, X, y=None):
    return float(np.mean(estimator.score_samples(X)))


def _as_flux(X, y):
    return LightCurves(X.offsets, {"time": X.time, "value": 10 ** (-0.4 * (X.value - 27.5)),
                                   "error": X.error, "band": X.column("band")},
                       meta=X.meta, value_kind="flux")


def _nan_magnitude(X, y):
    value = np.array(X.value)
    value[X.offsets[0]:X.offsets[1]] = np.nan  # single NaNs are dropped; a whole object is an error
    return X.with_columns(value=value)


def _unknown_band(X, y):
    band = np.array(X.column("band"), dtype=object)
    band[band == "u"] = "w"
    return X.with_columns(band=band)



SPECS = [
    EstimatorSpec(
        make_estimator=lambda: DmDtNoveltyDetector(n_dt_bins=8, n_dm_bins=16),
        make_data=_make_data,
        param_grid={"alpha": [0.5, 1.0], "score": ["paper", "zscore"]},
        scoring=_mean_score,
        bad_inputs=[
            ("flux instead of magnitudes", _as_flux, ValueError),
            ("no finite magnitude in an object", _nan_magnitude, ValueError),
            ("band unseen in fit", _unknown_band, ValueError, "predict"),
        ],
    )
]

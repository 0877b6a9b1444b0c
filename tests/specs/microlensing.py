"""Common-check specs for LensNet (BranchedRNNClassifier, its preprocessing, AlertFinder and
the broken-line baseline)."""

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from skastro import LightCurves
from skastro.datasets import make_microlensing_alerts
from skastro.microlensing import (
    AlertFinder,
    BranchedRNNClassifier,
    BrokenLineFeatures,
    LensNetPreprocessor,
)

from . import EstimatorSpec

_CACHE = {}


def make_data(random_state):
    """24 short three-site alerts (binary labels)."""
    if random_state not in _CACHE:
        alerts = make_microlensing_alerts(24, n_days=8, cadence_hours=2.5,
                                          random_state=random_state)
        _CACHE[random_state] = alerts
    alerts = _CACHE[random_state]
    return alerts, alerts.meta["label_binary"].to_numpy()


def make_classifier():
    return BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=2, batch_size=16,
                                 n_jobs=1, random_state=0)


def _with(X, **columns):
    return X.with_columns(**columns)


def _mag(X, y):
    return LightCurves(X.offsets, {c: X.column(c) for c in X.columns}, meta=X.meta,
                       value_kind="mag")


def _unknown_site(X, y):
    sites = np.asarray(X.column("site"), dtype=object).copy()
    sites[sites == "SSO"] = "MOA"
    return X.with_columns(site=sites)


def _no_context(X, y):
    cols = {c: X.column(c) for c in ("time", "value", "error", "site")}
    return LightCurves(X.offsets, cols, meta=X.meta, value_kind="flux")


def make_passthrough_classifier():
    return BranchedRNNClassifier(preprocessor="passthrough", hidden_size=4, dense_size=4,
                                 max_epochs=2, batch_size=16, n_jobs=1, random_state=0)


def make_feature_data(random_state):
    """The alerts of make_data with features scaled by fixed constants (what a passthrough
    classifier reads, e.g. in a stream). Not LensNetPreprocessor's output: its standardised
    'error' column is negative half the time, which every constructor refuses, so hostile
    curves resampled from it would hardly ever reach the classifier."""
    alerts, y = make_data(random_state)
    return alerts.with_columns(
        t_rel=(alerts.time - 9300.0) / 10.0, value=(alerts.value - 1000.0) / 500.0,
        error=alerts.error / 500.0, sky=alerts.column("sky") / 1000.0,
        fwhm=alerts.column("fwhm") / 4.0), y


def _small_boosting():
    return HistGradientBoostingClassifier(max_iter=10, random_state=0)


SPECS = [
    EstimatorSpec(
        make_estimator=make_classifier,
        make_data=make_data,
        param_grid={"hidden_size": [3, 4]},
        scoring="accuracy",
        bad_inputs=[
            ("magnitudes instead of flux", _mag, ValueError),
            ("y of the wrong length", lambda X, y: X[:-2], ValueError),
            ("an unknown site at predict", _unknown_site, ValueError, "predict"),
            ("context columns missing at predict", _no_context, ValueError, "predict"),
        ],
    ),
    EstimatorSpec(
        # the classifier without its own preprocessing: every numeric column is a
        # feature, NaN/inf epochs are dropped (check_finite), for the fuzz suite
        variant="passthrough",
        make_estimator=make_passthrough_classifier,
        make_data=make_feature_data,
        param_grid={"hidden_size": [3, 4]},
        scoring="accuracy",
    ),
    EstimatorSpec(
        make_estimator=LensNetPreprocessor,
        make_data=make_data,
        param_grid={"outlier_sigma": [4.0, 6.0]},
        pipeline_tail=lambda: [BranchedRNNClassifier(preprocessor="passthrough", hidden_size=3,
                                                     dense_size=3, max_epochs=1, n_jobs=1,
                                                     random_state=0)],
        scoring="accuracy",
        bad_inputs=[
            ("magnitudes instead of flux", _mag, ValueError),
            ("context columns missing at transform", _no_context, ValueError, "predict"),
        ],
    ),
    EstimatorSpec(
        make_estimator=lambda: AlertFinder(overwrite=True),
        make_data=make_data,
        param_grid={"n_sigma": [2.0, 3.0]},
        pipeline_tail=lambda: [BrokenLineFeatures(), _small_boosting()],
        scoring="accuracy",
        bad_inputs=[("magnitudes instead of flux", _mag, ValueError)],
    ),
    EstimatorSpec(
        make_estimator=BrokenLineFeatures,
        make_data=make_data,
        param_grid={"t_break": ["t_break", "absent"]},  # absent: AlertFinder estimates it
        pipeline_tail=lambda: [_small_boosting()],
        scoring="accuracy",
        bad_inputs=[
            ("magnitudes instead of flux", _mag, ValueError),
            ("an unknown site at transform", _unknown_site, ValueError, "predict"),
        ],
    ),
]

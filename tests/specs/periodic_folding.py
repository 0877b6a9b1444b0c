"""Common-check specs for PeriodFolder, DualFoldSequencer and FoldFeatures."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from skastro.datasets import make_periodic_variables
from skastro.periodic import DualFoldSequencer, FoldFeatures, PeriodFolder

from . import EstimatorSpec


def _raw(random_state):
    lcs = make_periodic_variables(24, n_epochs=40, classes={"RRab": 0.5, "EC": 0.5},
                                  measurements_per_epoch=(1, 2), random_state=random_state)
    return lcs, (lcs.meta["label"] == "RRab").to_numpy().astype(int)


def _small_folder():
    return PeriodFolder(period_range=(0.28, 0.98), oversampling=2.0, max_order=4, n_folds=4,
                        n_peaks=1, random_state=0)


def _folded(random_state):
    lcs, y = _raw(random_state)
    return _small_folder().fit_transform(lcs), y


class _SequenceSummaryClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression on simple summaries of the dual-fold SliceDict (test tail)."""

    def _features(self, X):
        seq, length = X["sequence"], X["length"]
        mask = np.arange(seq.shape[1])[None, :] < length[:, None]
        m = np.where(mask, seq[:, :, 0], 0.0)
        n = np.maximum(length, 1)
        mean = m.sum(1) / n
        std = np.sqrt(np.maximum((m**2).sum(1) / n - mean**2, 0))
        return np.column_stack([np.log10(np.maximum(X["period"][:, 0], 1e-3)), std])

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(self._features(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(self._features(X))


def _nan_value(X, y):
    v = X.value.copy()
    v[X.offsets[0]:X.offsets[1]] = np.nan  # single NaNs are dropped; a whole object is an error
    return X.with_columns(value=v)


def _zero_error(X, y):
    return X.with_columns(error=np.zeros(X.n_observations))


def _two_bands(X, y):
    return X.with_columns(band=np.where(np.arange(X.n_observations) % 2, "J", "Ks"))


SPECS = [
    EstimatorSpec(
        make_estimator=_small_folder,
        make_data=_raw,
        param_grid={"n_peaks": [1, 2]},
        pipeline_tail=lambda: [FoldFeatures(),
                               RandomForestClassifier(n_estimators=10, random_state=0)],
        scoring="accuracy",
        bad_inputs=[
            ("no finite magnitude in an object", _nan_value, ValueError, "predict"),
            ("non-positive errors", _zero_error, ValueError, "predict"),
            ("two bands without band= or multiband=True", _two_bands, ValueError, "predict"),
        ],
    ),
    EstimatorSpec(
        make_estimator=DualFoldSequencer,
        make_data=_folded,
        param_grid={"max_length": [None, 20]},
        pipeline_tail=lambda: [_SequenceSummaryClassifier()],
        scoring="accuracy",
        bad_inputs=[
            ("unfolded light curves (no phase column)", lambda X, y: _raw(0)[0], ValueError),
        ],
    ),
    EstimatorSpec(
        make_estimator=FoldFeatures,
        make_data=_folded,
        param_grid={"log_period": [True, False]},
        pipeline_tail=lambda: [RandomForestClassifier(n_estimators=10, random_state=0)],
        scoring="accuracy",
        bad_inputs=[
            ("unfolded light curves (no period metadata)", lambda X, y: _raw(0)[0], ValueError),
        ],
    ),
]

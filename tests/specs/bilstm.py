"""Common-check spec for BiLSTMClassifier (input: DualFoldSequencer's SliceDict)."""

import numpy as np
from skorch.helper import SliceDict

from skastro.periodic import BiLSTMClassifier

from . import EstimatorSpec


def make_estimator():
    return BiLSTMClassifier(hidden_sizes=(4,), dense_size=4, max_epochs=2, batch_size=16,
                            n_jobs=1, random_state=0)


def make_data(random_state):
    """40 dual-folded-like sequences of 4-12 steps; the class sets the shape of m_P."""
    rng = np.random.default_rng(random_state)
    n, T = 40, 12
    y = np.repeat(["RRab", "other"], n // 2)
    length = rng.integers(4, T + 1, size=n)
    phase = np.sort(rng.random((n, T)), axis=1)
    m = np.where(y[:, None] == "RRab", np.sin(2 * np.pi * phase), np.sin(4 * np.pi * phase))
    seq = np.stack([m, phase, m, phase / 2], axis=-1).astype(np.float32)
    seq[np.arange(T)[None, :] >= length[:, None]] = 0.0
    X = SliceDict(sequence=seq, length=length.astype(np.int64),
                  period=rng.uniform(0.3, 0.9, size=(n, 1)).astype(np.float32))
    return X, y


def _replace(X, **changes):
    out = SliceDict(**{k: np.array(X[k]) for k in X})
    for k, v in changes.items():
        out[k] = v
    return out


SPECS = [
    EstimatorSpec(
        make_estimator=make_estimator,
        make_data=make_data,
        param_grid={"hidden_sizes": [(3,), (4,)]},
        scoring="accuracy",
        bad_inputs=[
            ("a padded array instead of the SliceDict", lambda X, y: X["sequence"], TypeError),
            ("NaN in the sequence", lambda X, y: _replace(X, sequence=np.full_like(X["sequence"], np.nan)), ValueError),
            ("an empty light curve (length 0)", lambda X, y: _replace(X, length=np.zeros(len(X), np.int64)), ValueError),
            ("lengths beyond the padded axis", lambda X, y: _replace(X, length=X["length"] + 50), ValueError),
            ("non-positive periods", lambda X, y: _replace(X, period=np.zeros((len(X), 1), np.float32)), ValueError),
            ("fewer channels at predict than at fit",
             lambda X, y: _replace(X, sequence=np.ascontiguousarray(X["sequence"][:, :, :2])), ValueError, "predict"),
        ],
    )
]

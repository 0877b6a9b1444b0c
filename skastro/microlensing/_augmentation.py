"""Crop augmentation of LensNet alerts (Viaña et al. 2025, §5.3, Fig. 7)."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves
from ..utils import check_lightcurves
from ..utils._validation import meta_as_float
from ._alertfinder import t_break_of

__all__ = ["augment_crops", "crop_to_visibility"]

# §5.3, Table 1: augmented / non-augmented instances per class. "Maybe" gets
# more copies on purpose ("as it is more difficult to classify"); the crops
# per alert are these ratios less the original.
_PAPER_COPIES = {"Yes": 10902 / 1825, "Maybe": 7404 / 1190, "No": 12008 / 2038}


def augment_crops(X, y=None, *, n_crops=3, max_left_crop=0.8, max_right_crop=0.6,
                  keep_original=True, t_break="t_break", label="label", random_state=None):
    """Left/right-cropped copies of alerts, the same interval at every site.

    Each copy keeps the epochs in ``[t_left, t_right]`` with
    ``t_left = t_first + u (t_break - t_first)``, ``u ~ U(0, max_left_crop)``
    (less history), and ``t_right = t_last - v (t_last - t_break)``,
    ``v ~ U(0, max_right_crop)`` (less of the rise). ``1 - max_*_crop`` is the
    minimum fraction retained on each side. Apply it to a training fold
    *after* the split: :class:`BranchedRNNClassifier` does so inside
    ``fit`` when ``n_crops > 0``, so crops never reach validation or test
    alerts; split by star (``meta["star_id"]``, e.g. with
    :class:`~sklearn.model_selection.GroupKFold`) so that no star sits on
    both sides.

    Parameters
    ----------
    X : LightCurves
    y : array-like of shape (n_alerts,), default=None
        Labels, repeated for the copies.
    n_crops : int, dict or "paper", default=3
        Cropped copies per alert. A dict maps each class (a value of the meta
        column ``label``) to its mean number of copies, so that a class can be
        oversampled; a fractional mean ``m`` gives each alert ``floor(m)`` or
        ``floor(m) + 1`` copies at random. ``"paper"``: §5.3's Table 1, 4.97
        copies per "Yes", 5.22 per "Maybe" and 4.89 per "No" alert (with the
        original, 5.97, 6.22 and 5.89 instances: "Maybe" is oversampled by
        ~4 % "as it is more difficult to classify").
    max_left_crop, max_right_crop : float in [0, 1), default=0.8, 0.6
    keep_original : bool, default=True
        Put the uncropped alerts first in the output.
    t_break : str, default="t_break"
        Meta column of the break time (estimated when absent).
    label : str, default="label"
        Meta column of the classes a dict or ``"paper"`` ``n_crops`` refers
        to (the simulator's "Yes"/"Maybe"/"No"; ``y`` may be the binary label).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_aug : LightCurves
        Ids ``"<id>~crop<k>"`` for the copies; ``meta["crop_of"]`` holds the
        original id.
    y_aug : ndarray or None

    References
    ----------
    .. [1] Viaña, J. et al. 2025, "LensNet", §5.3, 2025 preprint (identifier not in our copy of the paper).

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import augment_crops
    >>> alerts = make_microlensing_alerts(4, n_days=15, random_state=0)
    >>> aug, y = augment_crops(alerts, alerts.meta["label"], n_crops=2, random_state=0)
    >>> import numpy as np
    >>> len(aug), bool((aug.lengths[4:] <= np.tile(alerts.lengths, 2)).all())
    (12, True)

    The paper's oversampling of "Maybe" (§5.3, Table 1):

    >>> alerts = make_microlensing_alerts(200, n_days=10, random_state=0)
    >>> aug, _ = augment_crops(alerts, n_crops="paper", random_state=0)
    >>> per_alert = aug.meta.groupby("label").size() / alerts.meta.groupby("label").size()
    >>> per_alert.round(1).to_dict()
    {'Maybe': 6.2, 'No': 5.9, 'Yes': 6.0}
    """
    X = check_lightcurves(X, "augment_crops", measurements=())
    counts = _crop_counts(X, n_crops, label)
    for name, v in (("max_left_crop", max_left_crop), ("max_right_crop", max_right_crop)):
        if not isinstance(v, Real) or not 0 <= v < 1:
            raise ValueError(f"{name} must be in [0, 1); got {v!r}.")
    if y is not None:
        y = np.asarray(y)
        if y.shape[0] != len(X):
            raise ValueError(f"y has {y.shape[0]} labels for {len(X)} alerts.")
    rng = check_random_state(random_state)
    tb = t_break_of(X, t_break, "augment_crops")
    first = X.time[X.offsets[:-1]]
    last = X.time[X.offsets[1:] - 1]
    tb = np.clip(np.where(np.isfinite(tb), tb, last), first, last)
    obj = X.object_index
    parts, labels = ([X.with_meta(crop_of=X.ids.to_numpy(), crop_left=first, crop_right=last)]
                     if keep_original else []), []
    if keep_original and y is not None:
        labels.append(y)
    if isinstance(counts, Integral):
        counts = np.full(len(X), counts)
    else:                                    # a mean per class: round at random
        counts = np.floor(counts + rng.uniform(size=len(X))).astype(np.int64)
    for k in range(int(np.max(counts, initial=0))):
        u = rng.uniform(0, max_left_crop, len(X))
        v = rng.uniform(0, max_right_crop, len(X))
        left = first + u * (tb - first)
        right = last - v * (last - tb)
        mask = (X.time >= left[obj]) & (X.time <= right[obj])
        kept = np.bincount(obj[mask], minlength=len(X))
        mask |= (kept == 0)[obj]                 # never leave an alert empty
        part = X.select_observations(mask)
        meta = part.meta.copy()
        meta["crop_of"] = X.ids.to_numpy()
        meta["crop_left"], meta["crop_right"] = left, right
        meta.index = pd.Index([f"{i}~crop{k}" for i in X.ids], name=X.ids.name)
        part = part._derive(part.offsets, part._columns, meta)
        chosen = counts > k
        if not chosen.all():
            part = part[chosen]
        parts.append(part)
        if y is not None:
            labels.append(y[chosen])
    if not parts:
        raise ValueError("augment_crops with n_crops=0 and keep_original=False returns nothing.")
    columns = set(parts[0].meta.columns)
    for p in parts:
        columns &= set(p.meta.columns)
    ordered = [c for c in parts[-1].meta.columns if c in columns]
    parts = [p._derive(p.offsets, p._columns, p.meta[ordered]) for p in parts]
    out = LightCurves.concat(parts)
    return out, (np.concatenate(labels) if y is not None else None)


def _crop_counts(X, n_crops, label):
    """An int, or the mean number of crops of each alert from its class."""
    if isinstance(n_crops, str) and n_crops == "paper":
        n_crops = {k: v - 1 for k, v in _PAPER_COPIES.items()}
    if isinstance(n_crops, Integral) and not isinstance(n_crops, bool):
        if n_crops < 0:
            raise ValueError(f"augment_crops: n_crops must be >= 0; got {n_crops!r}.")
        return int(n_crops)
    if not isinstance(n_crops, dict) or not all(
            isinstance(v, Real) and not isinstance(v, bool) and v >= 0 for v in n_crops.values()):
        raise ValueError("augment_crops: n_crops must be a non-negative integer, 'paper' or a "
                         f"dict of class -> non-negative mean number of crops; got {n_crops!r}.")
    if label not in X.meta.columns:
        raise ValueError(f"augment_crops: n_crops={n_crops!r} needs the class of each alert "
                         f"in meta[{label!r}], which the alerts lack.")
    classes = X.meta[label].to_numpy()
    missing = sorted(map(str, set(classes) - set(n_crops)))
    if missing:
        raise ValueError(f"augment_crops: n_crops gives no number of crops for the "
                         f"meta[{label!r}] classes {missing}.")
    return np.array([float(n_crops[c]) for c in classes])


def crop_to_visibility(X, fraction, *, t_break="t_break", t_cut="t_cut"):
    """Keep the epochs up to ``t_break + fraction (t_cut - t_break)`` (Fig. 11).

    ``fraction=0`` shows none of the alerted rise, ``1`` all of it. Alerts
    that would be left empty keep their first epoch.

    Parameters
    ----------
    X : LightCurves
    fraction : float in [0, 1]
    t_break, t_cut : str
        Meta columns (``t_cut`` defaults to the last epoch when absent).

    Returns
    -------
    LightCurves

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import crop_to_visibility
    >>> alerts = make_microlensing_alerts(4, n_days=15, random_state=0)
    >>> half = crop_to_visibility(alerts, 0.5)
    >>> bool((half.lengths <= alerts.lengths).all())
    True
    """
    X = check_lightcurves(X, "crop_to_visibility", measurements=())
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be in [0, 1]; got {fraction!r}.")
    last = X.time[X.offsets[1:] - 1]
    name = "crop_to_visibility"
    cut = meta_as_float(X, t_cut, name) if t_cut in X.meta.columns else last
    tb = np.minimum(t_break_of(X, t_break, name), cut)
    limit = tb + fraction * (cut - tb)
    obj = X.object_index
    mask = X.time <= limit[obj] + 1e-9
    kept = np.bincount(obj[mask], minlength=len(X))
    mask[X.offsets[:-1][kept == 0]] = True
    return X.select_observations(mask)

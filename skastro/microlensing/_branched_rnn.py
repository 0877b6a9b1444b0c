"""LensNet's branched RNN classifier (Viaña et al. 2025, §6-8)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..nn._base import BaseTorchClassifier
from ..utils._validation import preset_params
from ..utils import check_finite, check_lightcurves
from ._augmentation import _PAPER_COPIES, augment_crops
from ._preprocessing import LensNetPreprocessor, pad_branches
from ._realtime import LensNetStream

__all__ = ["BranchedRNNClassifier"]

#: Published settings: ``BranchedRNNClassifier.from_preset(name)`` (the
#: preprocessing is the preprocessor's preset of the same name).
PRESETS = {
    # Viaña et al. 2025 §5.3 (Table 1: 30,314 augmented from 5,053 alerts,
    # "Maybe" oversampled) and §7 (Adam at 1e-6, batches of 2,048, class
    # weights, ~3,000 epochs, Fig. 9).
    "viana2025": {"n_crops": "paper", "lr": 1e-6, "batch_size": 2048, "max_epochs": 3000,
                  "class_weight": "balanced", "pooling": "last"},
}


# ---------------------------------------------------------------------- estimator
class BranchedRNNClassifier(BaseTorchClassifier):
    """LensNet: vet multi-site microlensing alerts with one LSTM per site.

    Each site's sequence of per-epoch vectors (relative time, flux, flux
    error, sky, FWHM, airmass, PSF quality and the fitted broken line) is
    read by its own LSTM branch; the branch encodings are concatenated and
    passed through dense layers to one sigmoid output (binary: "No" against
    "Maybe" + "Yes") or a softmax (three classes). Sites are taken from the
    training data (any number); an alert with no data at a site gets an empty
    branch (zero encoding and a "site missing" flag).

    ``fit`` (1) optionally adds ``n_crops`` cropped copies of each *training*
    alert (§5.3; inside ``fit``, so under cross-validation crops never leak
    into validation or test folds), (2) fits the preprocessing (§5.2, §5.4)
    on them, (3) pads left with zeros and trains with class weights.
    ``predict_proba`` preprocesses and scores alerts in chunks of
    ``chunk_size`` (bounded memory). The training plumbing (labels, loss,
    validation split, early stopping, device, threads, pickling) is
    :class:`skastro.nn.BaseTorchClassifier`'s.

    Parameters
    ----------
    preprocessor : estimator, "passthrough" or None, default=None
        The preprocessing fitted inside ``fit`` (None: a default
        :class:`LensNetPreprocessor`). ``"passthrough"``: ``X`` is already
        preprocessed, e.g. ``make_pipeline(LensNetPreprocessor(),
        BranchedRNNClassifier(preprocessor="passthrough"))``; its numeric
        per-epoch columns (all but the absolute ``time`` when ``t_rel`` is
        present) are the features, and cropping must then be off. Epochs
        with a NaN or infinite feature are dropped (``fit`` and predictions;
        their number per alert is added to ``meta["n_dropped"]``, as
        :func:`skastro.utils.check_finite` does).
    n_crops : int, dict or "paper", default=0
        Cropped copies of each training alert (§5.3), as in
        :func:`augment_crops`: an int for every alert; a dict mapping each
        class to a mean number of copies (a fractional mean ``m`` gives an
        alert ``floor(m)`` or ``floor(m) + 1`` at random); ``"paper"`` for
        Table 1's 4.97 per "Yes", 5.22 per "Maybe" and 4.89 per "No" alert.
        The classes of a dict or ``"paper"`` are the alerts'
        ``meta["label"]`` when present (the simulator's Yes/Maybe/No, so the
        binary task still oversamples "Maybe"), else those of ``y``.
    max_left_crop, max_right_crop : float, default=0.8, 0.6
        Largest fraction of the history (left) and of the rise (right) that
        a crop removes.
    hidden_size : int, default=32
        LSTM encoding size of each branch.
    num_layers : int, default=1
        LSTM layers per branch.
    dense_size : int, default=64
        Width of the dense layers.
    n_dense : int, default=1
        Number of hidden dense layers.
    dropout : float, default=0.1
    pooling : {"last", "last+mean"}, default="last"
        Branch encoding: the LSTM output at the last real epoch (the paper),
        or that and the mean output over the real epochs.
    lr : float, default=3e-3
        Adam learning rate (the paper's 1e-6 needs thousands of GPU epochs).
    max_epochs : int, default=20
        Training epochs (an upper bound when ``early_stopping=True``).
    batch_size : int, default=64
    early_stopping : bool, default=False
        Stop when the validation loss (class-weighted) has not improved for
        ``n_iter_no_change`` epochs and restore the best epoch's weights.
    validation_fraction : float in (0, 1) or None, default=None
        Fraction of the training alerts held out before any crop, grouped by
        ``meta["star_id"]`` when present (else stratified by class), to
        monitor ``valid_loss`` and ``valid_acc`` in ``history_``. None: 0.1
        when ``early_stopping=True``, else no split.
    n_iter_no_change : int, default=10
        Patience of the early stopping, in epochs.
    class_weight : "balanced" or None, default="balanced"
        Weight the loss by inverse class frequency in the training part
        (after the split and the crops), as the paper does (§7).
    threshold : float in (0, 1), default=0.5
        Binary task: predict the positive class (``classes_[1]``) when its
        probability reaches ``threshold`` (LensNet uses ~0.45 for balance,
        0.955 for purity, §8.3). ``TunedThresholdClassifierCV`` can tune it
        from ``predict_proba`` instead.
    bucket : bool, default=True
        Group training batches by alert length (speed only).
    chunk_size : int, default=2048
        Alerts preprocessed and scored at a time in ``predict_proba``.
    n_jobs : int or None, default=None
        torch CPU threads while training/scoring (restored afterwards); None
        leaves torch's setting, -1 uses all cores.
    device : str, default="cpu"
        torch device: ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or
        ``"auto"`` (CUDA when available); checked at ``fit``.
    verbose : int, default=0
        > 0: a progress bar of the epochs on stderr (tqdm) and the per-epoch
        table (losses, accuracies, duration) on stdout; 0 prints nothing.
    random_state : int, RandomState instance or None, default=None
        Seeds, in this order, the batch order, the validation split, the
        crops and torch (weights, dropout).

    Attributes
    ----------
    classes_ : ndarray
        Class labels (``classes_[1]`` is the positive class of the binary task).
    preprocessor_ : LensNetPreprocessor or None
        The fitted preprocessing (None with ``"passthrough"``).
    columns_ : list of str
        Per-epoch features read by each branch, in order.
    sites_ : tuple of str
        Branch order.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is a
        :class:`~skastro.nn._branched.BranchedRNN`.
    history_ : skorch.History
        Per-epoch ``train_loss``, ``train_acc``, ``train_class_acc`` (one
        accuracy per class, in ``classes_`` order; over the cropped training
        instances, as the batches were seen) and, with a validation split
        (``validation_fraction`` or ``early_stopping=True``), ``valid_loss``,
        ``valid_acc``, ``valid_class_acc`` (the curves of Figs. 9-10).
    n_iter_ : int
        Epochs run.
    n_dropped_ : int
        Epochs that ``fit`` left out for a NaN or infinite feature
        (``preprocessor="passthrough"``; 0 otherwise, as the preprocessor
        cleans the epochs itself).

    See Also
    --------
    LensNetPreprocessor : the preprocessing.
    LensNetStream : real-time scoring (:meth:`stream`).
    augment_crops : the crop augmentation.
    accuracy_vs_threshold : the Fig. 12 analysis.

    Notes
    -----
    Encodings are read at each branch's last real epoch, so an alert's score
    does not depend on how much it was padded (nor on its batch).

    The paper (§7) states Adam, a learning rate of 1e-6, batches of 2,048,
    class weights and thousands of GPU epochs, but no layer sizes, dropout
    or number of dense layers; the sizes here are small CPU-friendly
    defaults, and ``lr``/``batch_size`` are set for tens of CPU epochs.

    References
    ----------
    .. [1] Viaña, J. et al. 2025, "LensNet: Enhancing Real-time Microlensing
       Event Discovery with Recurrent Neural Networks in the Korea
       Microlensing Telescope Network", 2025 preprint (identifier not in our copy of the paper).

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> from skastro.microlensing import BranchedRNNClassifier
    >>> alerts = make_microlensing_alerts(40, n_days=10, random_state=0)
    >>> y = alerts.meta["label_binary"].to_numpy()
    >>> clf = BranchedRNNClassifier(hidden_size=8, dense_size=8, max_epochs=2,
    ...                             random_state=0).fit(alerts, y)
    >>> clf.sites_, list(clf.classes_)
    (('CTIO', 'SAAO', 'SSO'), ['No', 'Yes/Maybe'])
    >>> clf.predict_proba(alerts[:3]).shape
    (3, 2)
    """

    _sample_name = "alert"
    _parameter_constraints = {
        **BaseTorchClassifier._parameter_constraints,
        "preprocessor": [HasMethods(["fit", "transform"]), StrOptions({"passthrough"}), None],
        "n_crops": [Interval(Integral, 0, None, closed="left"), StrOptions({"paper"}), dict],
        "max_left_crop": [Interval(Real, 0, 1, closed="left")],
        "max_right_crop": [Interval(Real, 0, 1, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dense_size": [Interval(Integral, 1, None, closed="left")],
        "n_dense": [Interval(Integral, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"last", "last+mean"})],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, preprocessor=None, n_crops=0, max_left_crop=0.8, max_right_crop=0.6,
                 hidden_size=32, num_layers=1, dense_size=64, n_dense=1, dropout=0.1,
                 pooling="last", lr=3e-3, max_epochs=20, batch_size=64, early_stopping=False,
                 validation_fraction=None, n_iter_no_change=10, class_weight="balanced",
                 threshold=0.5, bucket=True, chunk_size=2048, n_jobs=None, device="cpu", verbose=0,
                 random_state=None):
        self.preprocessor = preprocessor
        self.n_crops = n_crops
        self.max_left_crop = max_left_crop
        self.max_right_crop = max_right_crop
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.dense_size = dense_size
        self.n_dense = n_dense
        self.dropout = dropout
        self.pooling = pooling
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.threshold = threshold
        self.bucket = bucket
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    @classmethod
    def from_preset(cls, name, **params):
        """A classifier with the training settings of a published study.

        Parameters
        ----------
        name : {"viana2025"}
            ``"viana2025"`` (Viaña et al. 2025): the preprocessing
            ``LensNetPreprocessor.from_preset("viana2025")`` (global
            standardisation, 1,500 observations per alert),
            ``n_crops="paper"`` (§5.3, Table 1: 30,314 augmented alerts from
            5,053, "Maybe" oversampled), ``lr=1e-6``,
            ``batch_size=2048``, ``max_epochs=3000`` (Fig. 9; the 3-class
            model ran 5,000), ``class_weight="balanced"`` and
            ``pooling="last"`` (§6-7). The paper gives no layer sizes or
            dropout: they keep skastro's defaults. Meant for GPUs: at
            ``lr=1e-6`` a CPU run of tens of epochs learns next to nothing.
        **params
            Any other parameter, or one of the preset's to override.

        Returns
        -------
        BranchedRNNClassifier
            Unfitted; ``get_params()`` shows every setting.

        Examples
        --------
        >>> from skastro.microlensing import BranchedRNNClassifier
        >>> clf = BranchedRNNClassifier.from_preset("viana2025", device="auto")
        >>> clf.lr, clf.batch_size, clf.preprocessor.flux_normalization
        (1e-06, 2048, 'none')
        """
        preset = preset_params(PRESETS, name, params)
        return cls(**{"preprocessor": LensNetPreprocessor.from_preset(name), **preset})

    # -------------------------------------------------------------- helpers
    def _passthrough_features(self, X):
        skip = {"time", "site", "band"} if "t_rel" in X.columns else {"site", "band"}
        return [c for c in X.columns if c not in skip]

    def _arrays(self, X):
        """Preprocess (fitted) and pad one chunk of alerts."""
        if self.preprocessor_ is not None:
            X = self.preprocessor_.transform(X)
        else:
            missing = [c for c in self.columns_ if c not in X.columns]
            if missing:
                raise ValueError(
                    f"{type(self).__name__} (preprocessor='passthrough') was fitted on features "
                    f"{self.columns_}; X lacks {missing}.")
        return pad_branches(X, self.columns_, self.sites_)

    def _check_X(self, X):
        X = check_lightcurves(X, self, value_kind=None, measurements=())
        name = type(self).__name__
        if isinstance(self.n_crops, dict) and not all(
                isinstance(v, Real) and not isinstance(v, bool) and v >= 0
                for v in self.n_crops.values()):
            raise ValueError(f"{name}: n_crops must map each class to a non-negative mean "
                             f"number of crops; got {self.n_crops!r}.")
        if self.preprocessor == "passthrough" and self.n_crops:
            raise ValueError(
                f"{name}: cropping (n_crops={self.n_crops!r}) needs the preprocessing inside the "
                "classifier (crops come before time relativisation and the line fit, §5.4); got "
                "preprocessor='passthrough'.")
        if self.preprocessor != "passthrough" and X.value_kind != "flux":
            raise ValueError(f"{type(self).__name__} expects value_kind='flux' alerts; got "
                             f"{X.value_kind!r}.")
        if self.preprocessor == "passthrough":
            # every numeric column is a feature: one NaN epoch (the simulator flags bad
            # epochs so) would make every weight NaN; drop such epochs, counted in meta
            n_before = X.n_observations
            X = check_finite(X, self, self._passthrough_features(X))
            self.n_dropped_ = n_before - X.n_observations
        else:
            self.n_dropped_ = 0
        return X, len(X)

    def _split_groups(self, X):
        # held out before cropping, by star: no crop or star on both sides
        return X.meta["star_id"].to_numpy() if "star_id" in X.meta.columns else None

    def _make_datasets(self, X, y_enc, split, rs):
        from ..nn._branched import AlertDataset

        X_val = None
        if split is not None:
            X, X_val, y_enc, y_val = X[split[0]], X[split[1]], y_enc[split[0]], y_enc[split[1]]
        if self.n_crops:
            X, y_enc = self._crop(X, y_enc, rs)
        if self.preprocessor == "passthrough":
            self.preprocessor_ = None
            self.columns_ = self._passthrough_features(X)
        else:
            prep = LensNetPreprocessor() if self.preprocessor is None else clone(self.preprocessor)
            self.preprocessor_ = prep.fit(X)
            X = self.preprocessor_.transform(X)
            if X_val is not None:
                X_val = self.preprocessor_.transform(X_val)
            self.columns_ = list(self.preprocessor_.get_feature_names_out())
        self.sites_ = tuple(X.sites) if "site" in X.columns else ("",)
        train = AlertDataset(*pad_branches(X, self.columns_, self.sites_), self._targets(y_enc))
        if X_val is None:
            return train, None
        return train, AlertDataset(*pad_branches(X_val, self.columns_, self.sites_), self._targets(y_val))

    def _crop(self, X, y_enc, rs):
        """Training alerts and their cropped copies (§5.3)."""
        label = "label"
        if isinstance(self.n_crops, (str, dict)):
            if label not in X.meta.columns:   # per class of y instead of meta["label"]
                label = "_crop_class"
                X = X.with_meta(**{label: self.classes_[y_enc]})
            where = "meta['label']" if label == "label" else "y"
            crops = set(_PAPER_COPIES if self.n_crops == "paper" else self.n_crops)
            missing = sorted(map(str, set(X.meta[label]) - crops))
            if missing:
                raise ValueError(
                    f"{type(self).__name__}: n_crops={self.n_crops!r} gives no number of crops "
                    f"for the classes {missing} of {where}.")
        return augment_crops(X, y_enc, n_crops=self.n_crops, max_left_crop=self.max_left_crop,
                             max_right_crop=self.max_right_crop, label=label,
                             random_state=rs.randint(np.iinfo(np.int32).max))

    def _module(self, n_outputs):
        from ..nn._branched import BranchedRNN

        return BranchedRNN, dict(
            n_sites=len(self.sites_), n_features=len(self.columns_), hidden_size=self.hidden_size,
            num_layers=self.num_layers, dense_size=self.dense_size, n_dense=self.n_dense,
            dropout=self.dropout, pooling=self.pooling, n_outputs=n_outputs,
        )

    def stream(self):
        """A :class:`LensNetStream` that re-scores alerts as their epochs arrive.

        Returns
        -------
        LensNetStream
            Its :meth:`~LensNetStream.update` adds epochs of one alert and
            returns the alert's :meth:`predict_proba` row: incrementally
            (only the new epochs run through the LSTM branches) with
            ``preprocessor="passthrough"``, else by re-running this alert
            alone (the §5.4 preprocessing depends on the whole window).

        Examples
        --------
        >>> from skastro.datasets import make_microlensing_alerts
        >>> from skastro.microlensing import BranchedRNNClassifier
        >>> alerts = make_microlensing_alerts(20, n_days=8, random_state=0)
        >>> clf = BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=1, random_state=0)
        >>> stream = clf.fit(alerts, alerts.meta["label_binary"].to_numpy()).stream()
        >>> stream.mode
        'recompute'
        """
        check_is_fitted(self, "net_")
        return LensNetStream(self)

    def _forward_logits(self, X):
        from ..nn._branched import AlertDataset

        X = check_lightcurves(X, self, measurements=())
        if self.preprocessor_ is None:  # passthrough: drop non-finite features as in fit
            X = check_finite(X, self, [c for c in self.columns_ if c in X.columns])
        logits = np.empty((len(X), 1 if len(self.classes_) == 2 else len(self.classes_)))
        order = np.argsort(X.lengths, kind="stable")  # similar lengths share a chunk
        for start in range(0, len(X), self.chunk_size):
            idx = order[start:start + self.chunk_size]
            logits[idx] = self._net_logits(AlertDataset(*self._arrays(X[idx])))
        return logits

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags

"""LensNet's branched RNN classifier (Viaña et al. 2025, §6-8)."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..utils import check_lightcurves
from ._augmentation import augment_crops
from ._preprocessing import LensNetPreprocessor, pad_branches
from ..nn._utils import _silent, torch_threads

__all__ = ["BranchedRNNClassifier"]


# ----------------------------------------------------------------- data plumbing
class _AlertDataset:
    """Left-padded alerts; a batch is trimmed to its own longest branch."""

    def __init__(self, x, lengths, y=None):
        self.x, self.lengths, self.y = x, lengths, y
        self.max_len = lengths.max(axis=1) if len(lengths) else np.zeros(0, int)

    def __len__(self):
        return len(self.x)

    def batch(self, idx):
        import torch

        idx = np.sort(idx)
        steps = max(int(self.max_len[idx].max()), 1)
        xb = torch.from_numpy(np.ascontiguousarray(self.x[idx][:, :, -steps:]))
        lb = torch.from_numpy(self.lengths[idx].astype(np.int64))
        yb = None if self.y is None else torch.from_numpy(self.y[idx])
        return {"x": xb, "lengths": lb}, yb

    def __getitem__(self, i):
        return self.batch(np.array([i]))


class _BucketIterator:
    """Batches of alerts of similar length (in a shuffled order when training)."""

    def __init__(self, dataset, batch_size=64, shuffle=False, rng=None, **kwargs):
        self.dataset, self.batch_size, self.shuffle = dataset, int(batch_size), shuffle
        self.rng = rng if rng is not None else np.random.RandomState(0)

    def __len__(self):
        return int(np.ceil(len(self.dataset) / self.batch_size))

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            noise = self.rng.uniform(0, 0.3, n) * max(self.dataset.max_len.max(), 1)
            order = np.argsort(self.dataset.max_len + noise, kind="stable")
            batches = [order[i:i + self.batch_size] for i in range(0, n, self.batch_size)]
            for j in self.rng.permutation(len(batches)):
                yield self.dataset.batch(batches[j])
        else:
            for i in range(0, n, self.batch_size):
                yield self.dataset.batch(np.arange(i, min(i + self.batch_size, n)))


def _make_net_class():
    """skorch subclass built on first use (keeps ``import skastro`` torch-free)."""
    if "_BranchedNet" in globals():
        return globals()["_BranchedNet"]
    from skorch import NeuralNet

    class _BranchedNet(NeuralNet):
        """One sigmoid logit (binary) or softmax logits, through skorch's hooks."""

        def get_dataset(self, X, y=None):
            if isinstance(X, _AlertDataset):
                return X
            return super().get_dataset(X, y)

        def get_loss(self, y_pred, y_true, X=None, training=False):
            if y_pred.ndim == 1:
                return self.criterion_(y_pred, y_true.to(y_pred.dtype))
            return self.criterion_(y_pred, y_true.long())

    _BranchedNet.__qualname__ = "_BranchedNet"
    globals()["_BranchedNet"] = _BranchedNet
    return _BranchedNet


def __getattr__(name):  # unpickling looks the skorch subclass up by name
    if name == "_BranchedNet":
        return _make_net_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------- estimator
class BranchedRNNClassifier(ClassifierMixin, BaseEstimator):
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
    ``chunk_size`` (bounded memory).

    Parameters
    ----------
    preprocessor : estimator, "passthrough" or None, default=None
        The preprocessing fitted inside ``fit`` (None: a default
        :class:`LensNetPreprocessor`). ``"passthrough"``: ``X`` is already
        preprocessed, e.g. ``make_pipeline(LensNetPreprocessor(),
        BranchedRNNClassifier(preprocessor="passthrough"))``; its numeric
        per-epoch columns (all but the absolute ``time`` when ``t_rel`` is
        present) are the features, and cropping must then be off.
    n_crops : int, default=0
        Cropped copies of each training alert (§5.3).
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
        Fraction of the training alerts held out, grouped by
        ``meta["star_id"]`` when present and before any crop, to monitor
        ``valid_loss`` in ``history_``. None: 0.1 when
        ``early_stopping=True``, else no split (as in
        :class:`~skastro.periodic.BiLSTMClassifier`).
    n_iter_no_change : int, default=5
        Patience of the early stopping, in epochs.
    class_weight : "balanced" or None, default="balanced"
        Weight the loss by inverse class frequency (§7).
    threshold : float in (0, 1), default=0.5
        Binary task: predict the positive class (``classes_[1]``) when its
        probability reaches ``threshold`` (LensNet uses ~0.45 for balance,
        0.955 for purity, §8.3). ``TunedThresholdClassifierCV`` can tune it
        from ``predict_proba`` instead.
    chunk_size : int, default=2048
        Alerts preprocessed and scored at a time in ``predict_proba``.
    n_threads : int or None, default=None
        torch CPU threads while training/scoring (None: torch's setting).
    device : str, default="cpu"
        torch device (``"auto"``: CUDA when available).
    verbose : int, default=0
        >0 prints skorch's epoch log.
    random_state : int, RandomState instance or None, default=None
        Seeds crops, batch order and torch.

    Attributes
    ----------
    classes_ : ndarray
        Class labels (``classes_[1]`` is the positive class of the binary task).
    preprocessor_ : LensNetPreprocessor or None
        The fitted preprocessing (None with ``"passthrough"``).
    features_ : list of str
        Per-epoch features read by each branch, in order.
    sites_ : tuple of str
        Branch order.
    net_ : skorch.NeuralNet
        The trained net; ``net_.module_`` is a
        :class:`~skastro.nn._branched.BranchedRNN`.
    history_ : skorch.History
        Per-epoch ``train_loss`` (and ``valid_loss`` with a validation
        split: ``validation_fraction`` or ``early_stopping=True``).
    n_features_in_ : int
        Number of per-epoch features.

    See Also
    --------
    LensNetPreprocessor : the preprocessing.
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

    _parameter_constraints = {
        "preprocessor": [HasMethods(["fit", "transform"]), StrOptions({"passthrough"}), None],
        "n_crops": [Interval(Integral, 0, None, closed="left")],
        "max_left_crop": [Interval(Real, 0, 1, closed="left")],
        "max_right_crop": [Interval(Real, 0, 1, closed="left")],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "dense_size": [Interval(Integral, 1, None, closed="left")],
        "n_dense": [Interval(Integral, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"last", "last+mean"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), None],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, preprocessor=None, n_crops=0, max_left_crop=0.8, max_right_crop=0.6,
                 hidden_size=32, num_layers=1, dense_size=64, n_dense=1, dropout=0.1,
                 pooling="last", lr=3e-3,
                 max_epochs=20, batch_size=64, early_stopping=False, validation_fraction=None,
                 n_iter_no_change=5,
                 class_weight="balanced", threshold=0.5,
                 chunk_size=2048, n_threads=None, device="cpu", verbose=0, random_state=None):
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
        self.chunk_size = chunk_size
        self.n_threads = n_threads
        self.device = device
        self.verbose = verbose
        self.random_state = random_state

    # -------------------------------------------------------------- helpers
    def _passthrough_features(self, X):
        skip = {"time", "site", "band"} if "t_rel" in X.columns else {"site", "band"}
        return [c for c in X.columns if c not in skip]

    def _arrays(self, X):
        """Preprocess (fitted) and pad one chunk of alerts."""
        if self.preprocessor_ is not None:
            X = self.preprocessor_.transform(X)
        else:
            missing = [c for c in self.features_ if c not in X.columns]
            if missing:
                raise ValueError(
                    f"{type(self).__name__} (preprocessor='passthrough') was fitted on features "
                    f"{self.features_}; X lacks {missing}.")
        return pad_branches(X, self.features_, self.sites_)

    # ---------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Train on alerts ``X`` with labels ``y``.

        Parameters
        ----------
        X : LightCurves
            Multi-site flux light curves (a ``site`` column, context columns,
            ``meta["t_break"]``); or preprocessed alerts with
            ``preprocessor="passthrough"``.
        y : array-like of shape (n_alerts,)
            Two classes (binary task) or more (e.g. Yes/Maybe/No).

        Returns
        -------
        self
        """
        import torch

        from ..nn._branched import BranchedRNN
        from ..nn._utils import resolve_device, seed_torch

        X = check_lightcurves(X, self, value_kind=None, measurements=())
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"{type(self).__name__}: y must be 1-D with one label per alert ({len(X)}); "
                f"got shape {y.shape}.")
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y; got {n_classes}.")
        binary = n_classes == 2
        rs = check_random_state(self.random_state)
        passthrough = self.preprocessor == "passthrough"
        if passthrough and self.n_crops:
            raise ValueError(
                "n_crops > 0 needs the preprocessing inside the classifier (crops come before "
                "time relativisation and the line fit, §5.4); got preprocessor='passthrough'.")
        if not passthrough and X.value_kind != "flux":
            raise ValueError(f"{type(self).__name__} expects value_kind='flux' alerts; got "
                             f"{X.value_kind!r}.")
        X_val = y_val = None
        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.1
        if fraction is not None:
            # held out before cropping, by star: no crop or star on both sides
            from sklearn.model_selection import GroupShuffleSplit

            groups = (X.meta["star_id"].to_numpy() if "star_id" in X.meta.columns
                      else np.arange(len(X)))
            split = GroupShuffleSplit(1, test_size=fraction,
                                      random_state=rs.randint(np.iinfo(np.int32).max))
            tr, va = next(split.split(np.zeros(len(X)), y_enc, groups))
            X, X_val, y_enc, y_val = X[tr], X[va], y_enc[tr], y_enc[va]
        if self.n_crops:
            X, y_enc = augment_crops(X, y_enc, n_crops=self.n_crops,
                                     max_left_crop=self.max_left_crop,
                                     max_right_crop=self.max_right_crop,
                                     random_state=rs.randint(np.iinfo(np.int32).max))
        if passthrough:
            self.preprocessor_ = None
            self.features_ = self._passthrough_features(X)
        else:
            prep = LensNetPreprocessor() if self.preprocessor is None else clone(self.preprocessor)
            self.preprocessor_ = prep.fit(X)
            X = self.preprocessor_.transform(X)
            if X_val is not None:
                X_val = self.preprocessor_.transform(X_val)
            self.features_ = list(self.preprocessor_.feature_names_)
        self.sites_ = tuple(X.sites) if "site" in X.columns else ("",)
        x, lengths = pad_branches(X, self.features_, self.sites_)
        y_t = y_enc.astype(np.float32 if binary else np.int64)
        counts = np.bincount(y_enc, minlength=n_classes)
        criterion_kwargs = {}
        if binary:
            criterion = torch.nn.BCEWithLogitsLoss
            if self.class_weight == "balanced":
                criterion_kwargs["criterion__pos_weight"] = torch.tensor(
                    [counts[0] / max(counts[1], 1)], dtype=torch.float32)
        else:
            criterion = torch.nn.CrossEntropyLoss
            if self.class_weight == "balanced":
                w = len(y_enc) / (n_classes * np.maximum(counts, 1))
                criterion_kwargs["criterion__weight"] = torch.tensor(w, dtype=torch.float32)
        train_split, callbacks = None, None
        if X_val is not None:
            from skorch.helper import predefined_split

            xv, lv = pad_branches(X_val, self.features_, self.sites_)
            yv = y_val.astype(np.float32 if binary else np.int64)
            train_split = predefined_split(_AlertDataset(xv, lv, yv))
        if self.early_stopping:
            from skorch.callbacks import EarlyStopping

            callbacks = [("early_stopping", EarlyStopping(
                patience=self.n_iter_no_change, load_best=True,
                sink=print if self.verbose else _silent))]
        seed_torch(rs)
        loader_rng = np.random.RandomState(rs.randint(np.iinfo(np.int32).max))
        net = _make_net_class()(
            module=BranchedRNN,
            module__n_sites=len(self.sites_),
            module__n_features=len(self.features_),
            module__hidden_size=self.hidden_size,
            module__num_layers=self.num_layers,
            module__dense_size=self.dense_size,
            module__n_dense=self.n_dense,
            module__dropout=self.dropout,
            module__pooling=self.pooling,
            module__n_outputs=1 if binary else n_classes,
            criterion=criterion,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=_BucketIterator,
            iterator_train__shuffle=True,
            iterator_train__rng=loader_rng,
            iterator_valid=_BucketIterator,
            train_split=train_split,
            callbacks=callbacks,
            device=resolve_device(self.device),
            verbose=int(self.verbose),
            **criterion_kwargs,
        )
        with torch_threads(self.n_threads):
            net.fit(_AlertDataset(x, lengths, y_t), None)
        self.net_ = net
        self.history_ = net.history
        self.n_features_in_ = len(self.features_)
        return self

    # ------------------------------------------------------------- predict
    def _logits(self, X):
        import torch

        check_is_fitted(self, "net_")
        X = check_lightcurves(X, self, measurements=())
        n_out = 1 if len(self.classes_) == 2 else len(self.classes_)
        logits = np.empty((len(X), n_out))
        order = np.argsort(X.lengths, kind="stable")       # similar lengths share a chunk
        with torch.inference_mode(), torch_threads(self.n_threads):
            for start in range(0, len(X), self.chunk_size):
                idx = order[start:start + self.chunk_size]
                x, lengths = self._arrays(X[idx])
                ds = _AlertDataset(x, lengths)
                out = self.net_.forward(ds, training=False).cpu().numpy()
                logits[idx] = out.reshape(len(idx), n_out)
        return logits

    def decision_function(self, X):
        """Logit of ``classes_[1]`` (binary) or the per-class logits.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        ndarray of shape (n_alerts,) or (n_alerts, n_classes)
        """
        logits = self._logits(X)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        ndarray of shape (n_alerts, n_classes)
        """
        logits = self._logits(X)
        if logits.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        logits = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class labels; the binary task uses ``threshold``.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        ndarray of shape (n_alerts,)
        """
        proba = self.predict_proba(X)
        if proba.shape[1] == 2:
            return self.classes_[(proba[:, 1] >= self.threshold).astype(int)]
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags

"""BiLSTMClassifier: the RRab light-curve classifier of Dékány & Grebel (2020, §3.4)."""

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..nn._utils import _silent, torch_threads

__all__ = ["BiLSTMClassifier"]

_KEYS = ("sequence", "length", "period")


# --------------------------------------------------------------------------- input
def _check_sequences(X, name="BiLSTMClassifier"):
    """Validate the DualFoldSequencer output; return ``(sequence, length, period)`` numpy arrays."""
    if not isinstance(X, Mapping):
        raise TypeError(
            f"{name} expects the output of DualFoldSequencer.transform: a skorch.helper.SliceDict "
            f"(or a dict) with keys {list(_KEYS)}; got {type(X).__name__}."
        )
    missing = [k for k in _KEYS if k not in X]
    if missing:
        raise ValueError(f"{name}: X lacks the key(s) {missing}; expected keys {list(_KEYS)}, got {list(X)}.")
    seq = np.asarray(X["sequence"])
    length = np.asarray(X["length"])
    period = np.asarray(X["period"])
    if seq.ndim != 3 or seq.shape[1] < 1 or seq.shape[2] < 1:
        raise ValueError(f"{name}: X['sequence'] must be a 3-D (n, T, channels) array; got shape {seq.shape}.")
    n, T = seq.shape[:2]
    if n == 0:
        raise ValueError(f"{name}: X holds no sequences (n=0).")
    if not np.issubdtype(seq.dtype, np.number):
        raise ValueError(f"{name}: X['sequence'] must be numeric; got dtype {seq.dtype}.")
    seq = seq.astype(np.float32, copy=False)
    if not np.isfinite(seq).all():
        raise ValueError(f"{name}: X['sequence'] contains NaN or infinite values (pad with zeros instead).")
    length = length.reshape(-1) if length.ndim == 2 and length.shape[1] == 1 else length
    if length.shape != (n,) or not (np.issubdtype(length.dtype, np.integer) or length.dtype == bool):
        if length.shape == (n,) and np.issubdtype(length.dtype, np.floating) and np.all(length == np.round(length)):
            length = length.astype(np.int64)
        else:
            raise ValueError(
                f"{name}: X['length'] must be {n} integers (one per sequence); got shape {length.shape}, "
                f"dtype {length.dtype}."
            )
    length = length.astype(np.int64, copy=False)
    if length.min() < 1 or length.max() > T:
        raise ValueError(
            f"{name}: X['length'] must lie in [1, {T}] (the padded time axis); got values in "
            f"[{length.min()}, {length.max()}]. Empty light curves cannot be classified."
        )
    period = period.reshape(n, -1) if period.size == n else period
    if period.shape != (n, 1):
        raise ValueError(f"{name}: X['period'] must have shape ({n}, 1); got {period.shape}.")
    period = period.astype(np.float32, copy=False)
    if not np.isfinite(period).all() or (period <= 0).any():
        raise ValueError(f"{name}: X['period'] must be finite and positive (days); got invalid values.")
    return seq, length, period


# --------------------------------------------------------------------- data feeding
class _SequenceDataset:
    """Whole-array dataset; batches are cut by :class:`_BucketIterator`, not item by item."""

    def __init__(self, sequence, length, period, y=None):
        import torch

        self.sequence = torch.from_numpy(np.ascontiguousarray(sequence))
        self.length = torch.from_numpy(np.ascontiguousarray(length))
        self.period = torch.from_numpy(np.ascontiguousarray(period))
        self.y = None if y is None else torch.from_numpy(np.ascontiguousarray(y))

    def __len__(self):
        return len(self.length)

    def batch(self, idx):
        import torch

        idx = np.asarray(idx)
        if len(idx) and idx[-1] - idx[0] == len(idx) - 1 and np.all(np.diff(idx) == 1):
            idx = slice(int(idx[0]), int(idx[-1]) + 1)  # inference batches: a view, no copy
        else:
            idx = torch.as_tensor(idx)
        length = self.length[idx]
        T = int(length.max())  # trim the padding beyond the longest sequence of the batch
        X = {"sequence": self.sequence[idx, :T], "length": length, "period": self.period[idx]}
        return X, (None if self.y is None else self.y[idx])

    def __getitem__(self, i):  # for tools that index a dataset item by item
        X, y = self.batch([i])
        return {k: v[0] for k, v in X.items()}, (None if y is None else y[0])


class _BucketIterator:
    """Mini-batches of similar length (bucketing), each trimmed to its longest sequence.

    Training: shuffle, sort within chunks of ``bucket_chunks`` batches by length,
    cut batches, shuffle the batch order. Inference: consecutive batches in
    the dataset's order (the caller sorts by length and restores the order).
    """

    def __init__(self, dataset, batch_size=256, shuffle=False, bucket=True, rng=None, bucket_chunks=50):
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.bucket = bucket
        self.rng = rng if rng is not None else np.random.RandomState()
        self.bucket_chunks = bucket_chunks

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def _batches(self):
        n, bs = len(self.dataset), self.batch_size
        if not self.shuffle:
            return [np.arange(i, min(i + bs, n)) for i in range(0, n, bs)]
        order = self.rng.permutation(n)
        if self.bucket:
            lengths = self.dataset.length.numpy()
            chunk = bs * self.bucket_chunks
            order = np.concatenate(
                [c[np.argsort(lengths[c], kind="stable")] for c in np.array_split(order, -(-n // chunk))]
            )
        batches = [order[i : i + bs] for i in range(0, n, bs)]
        return [batches[j] for j in self.rng.permutation(len(batches))]

    def __iter__(self):
        for idx in self._batches():
            yield self.dataset.batch(idx)


class _KerasDecay:
    """Keras' time-based decay: ``lr_t = lr_0 / (1 + decay * iterations)`` (picklable)."""

    def __init__(self, decay):
        self.decay = decay

    def __call__(self, iteration):
        return 1.0 / (1.0 + self.decay * iteration)


def _make_net_class():
    """Build the skorch classes on first use, so importing skastro.periodic does not import torch.

    They are stored as module globals (and found by the module ``__getattr__``),
    so fitted nets pickle by reference like any module-level class.
    """
    if "_BiLSTMNet" in globals():
        return globals()["_BiLSTMNet"]
    import torch
    from skorch import NeuralNet
    from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog

    class _EpochAccuracy(Callback):
        """Accuracy of each epoch from the batch predictions already made (no extra pass)."""

        def on_epoch_begin(self, net, **kwargs):
            self.counts_ = {True: [0, 0], False: [0, 0]}

        def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
            y = batch[1]
            if y is None or y_pred is None:
                return
            with torch.no_grad():
                pred = (y_pred.reshape(-1) > 0).long() if y_pred.shape[-1] == 1 else y_pred.argmax(-1)
                self.counts_[training][0] += int((pred.cpu() == y.long().reshape(-1)).sum())
            self.counts_[training][1] += len(y)

        def on_epoch_end(self, net, **kwargs):
            for training, name in ((True, "train_acc"), (False, "valid_acc")):
                good, total = self.counts_[training]
                if total:
                    net.history.record(name, good / total)

    class _BiLSTMNet(NeuralNet):
        """skorch net with the binary (one sigmoid logit) or multi-class (softmax) loss."""

        def get_default_callbacks(self):
            return [
                ("epoch_timer", EpochTimer()),
                ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
                ("valid_loss", PassthroughScoring(name="valid_loss")),
                ("accuracy", _EpochAccuracy()),
                ("print_log", PrintLog()),
            ]

        def get_dataset(self, X, y=None):
            if isinstance(X, _SequenceDataset):
                return X
            return super().get_dataset(X, y)

        def get_loss(self, y_pred, y_true, X=None, training=False):
            if y_pred.shape[-1] == 1:
                return self.criterion_(y_pred.reshape(-1), y_true.to(y_pred.dtype).reshape(-1))
            return self.criterion_(y_pred, y_true.long())

    for cls in (_EpochAccuracy, _BiLSTMNet):
        cls.__qualname__ = cls.__name__
        globals()[cls.__name__] = cls
    return _BiLSTMNet


def __getattr__(name):  # unpickling a fitted net looks these classes up by name
    if name in ("_BiLSTMNet", "_EpochAccuracy"):
        _make_net_class()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------------ estimator
class BiLSTMClassifier(ClassifierMixin, BaseEstimator):
    """Two-layer bidirectional LSTM light-curve classifier (Dékány & Grebel 2020).

    Classifies the dual-folded sequences made by
    :class:`~skastro.periodic.DualFoldSequencer`: each light curve is a
    sequence of ``(m_P, phi_P, m_2P, phi_2P)`` (magnitudes and phases folded
    at the period P and at 2P) plus the period itself. The default network and
    training are the paper's (Fig. 5, Table 1, §3.4)::

        input dropout 0.05 -> biLSTM(48) -> dropout 0.15 -> biLSTM(32) -> dropout 0.15
        -> [final forward state, final backward state] -> concat(period)
        -> dense(64, ReLU) -> dropout 0.5 -> sigmoid (binary) / softmax (multi-class)

    trained with Adam (learning rate 0.0015, Keras-style decay 8e-5 per
    iteration), mini-batches of 256, 300 epochs. Each direction of each
    biLSTM starts or stops at a sequence's own length (the backward direction
    reads each sequence reversed within its length), so padding never changes
    a prediction; batches are bucketed by length and trimmed to their longest
    sequence for speed.

    Parameters
    ----------
    hidden_sizes : tuple of int, default=(48, 32)
        Units per direction of each biLSTM layer; the length sets the depth.
    dense_size : int, default=64
        Units of the ReLU layer after the recurrent block (0: none).
    input_dropout : float, default=0.05
        Dropout rate on the input sequence.
    recurrent_dropout : float, default=0.15
        Dropout rate after each biLSTM layer.
    dense_dropout : float, default=0.5
        Dropout rate after the dense layer.
    init : {"keras", "torch"}, default="keras"
        Initial weights: the Keras defaults the paper trained with
        (Glorot-uniform kernels, orthogonal recurrent kernels, forget-gate
        bias 1) or PyTorch's defaults.
    channels : tuple of int or None, default=None
        Input channels to use (None: all). ``(0, 1)`` keeps only the P fold
        (the paper's ablation without the 2P channels).
    scale_inputs : bool, default=True
        Standardise each channel with the mean and standard deviation of the
        training sequences (over valid steps only; padding stays zero). The
        paper fed the raw values; scaling the ~0.1-0.5 mag magnitudes to
        unit variance speeds up training considerably.
    use_period : bool, default=True
        Concatenate the period to the recurrent features.
    period_scaling : {"log", "none"}, default="log"
        ``"log"`` feeds ``log10(P)`` standardised with the training mean and
        standard deviation; ``"none"`` feeds P in days as the paper does.
    lr : float, default=0.0015
        Initial Adam learning rate.
    lr_decay : float, default=8e-5
        Keras-style decay per iteration: ``lr_t = lr / (1 + lr_decay * t)``.
    batch_size : int, default=256
        Mini-batch size for training and inference.
    max_epochs : int, default=300
        Training epochs (an upper bound when ``early_stopping=True``).
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``n_iter_no_change``
        epochs and restore the best weights.
    validation_fraction : float or None, default=None
        Stratified fraction of the training data held out to monitor the
        validation loss and accuracy in ``history_``. None: 0.15 (the paper's
        split) when ``early_stopping=True``, else no split.
    n_iter_no_change : int, default=10
        Patience of the early stopping, in epochs.
    class_weight : {"balanced"} or None, default=None
        Weight the loss by inverse class frequency.
    bucket : bool, default=True
        Group training batches by sequence length (speed only; no effect on
        the model's definition).
    n_threads : int or None, default=None
        torch CPU threads while fitting and predicting (restored afterwards);
        None leaves torch's setting. On a small or busy CPU, 1 is often the
        fastest for these small recurrent layers.
    device : str, default="cpu"
        torch device; ``"auto"`` picks CUDA when available.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, dropout, shuffling and the validation split.
    verbose : int, default=0
        Print a per-epoch table (losses, accuracies, duration) when > 0.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the
        :class:`~skastro.nn._bilstm.BiLSTMModule`.
    history_ : skorch.History
        Per-epoch ``train_loss``, ``train_acc`` and, with a validation split,
        ``valid_loss``, ``valid_acc``.
    n_iter_ : int
        Epochs run.
    n_channels_in_ : int
        Channels of the training sequences (before ``channels`` selection).
    period_mean_, period_scale_ : float
        Standardisation of the period feature.
    channel_mean_, channel_scale_ : ndarray of shape (n_channels_used,)
        Standardisation of the sequence channels (0 and 1 when
        ``scale_inputs=False``).

    See Also
    --------
    skastro.periodic.DualFoldSequencer : makes the input of this classifier.
    skastro.periodic.PeriodFolder : period search and Fourier features.

    Notes
    -----
    torch's ``nn.LSTM`` keeps two bias vectors per gate (``b_ih`` and
    ``b_hh``) where Keras keeps one, so the biLSTM layers have 384 and 256
    parameters more than Table 1 (20,736 vs 20,352 and 33,280 vs 33,024); the
    two parametrisations represent the same functions. Dropout on the input
    and between layers is element-wise.

    References
    ----------
    .. [1] Dékány, I. & Grebel, E. K. (2020), "Near-infrared Search for
       Fundamental-mode RR Lyrae Stars toward the Inner Bulge by Deep
       Learning", ApJ 898, 46. doi:10.3847/1538-4357/ab9d85

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.helper import SliceDict
    >>> from skastro.periodic import BiLSTMClassifier
    >>> rng = np.random.default_rng(0)
    >>> n, T = 64, 20
    >>> y = np.repeat([0, 1], n // 2)
    >>> phase = np.sort(rng.random((n, T)), axis=1)
    >>> mag = np.where(y[:, None] == 1, np.sin(2 * np.pi * phase), np.sin(4 * np.pi * phase))
    >>> X = SliceDict(sequence=np.stack([mag, phase, mag, phase / 2], -1).astype("float32"),
    ...               length=np.full(n, T), period=np.full((n, 1), 0.5, dtype="float32"))
    >>> clf = BiLSTMClassifier(hidden_sizes=(8,), dense_size=8, max_epochs=30, lr=0.01,
    ...                        n_threads=1, random_state=0).fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> clf.predict_proba(X).shape
    (64, 2)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints = {
        "hidden_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "dense_size": [Interval(Integral, 0, None, closed="left"), None],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "dense_dropout": [Interval(Real, 0, 1, closed="left")],
        "init": [StrOptions({"keras", "torch"})],
        "channels": ["array-like", None],
        "scale_inputs": ["boolean"],
        "use_period": ["boolean"],
        "period_scaling": [StrOptions({"log", "none"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), None],
        "bucket": ["boolean"],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_sizes=(48, 32),
        dense_size=64,
        input_dropout=0.05,
        recurrent_dropout=0.15,
        dense_dropout=0.5,
        init="keras",
        channels=None,
        scale_inputs=True,
        use_period=True,
        period_scaling="log",
        lr=0.0015,
        lr_decay=8e-5,
        batch_size=256,
        max_epochs=300,
        early_stopping=False,
        validation_fraction=None,
        n_iter_no_change=10,
        class_weight=None,
        bucket=True,
        n_threads=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_sizes = hidden_sizes
        self.dense_size = dense_size
        self.input_dropout = input_dropout
        self.recurrent_dropout = recurrent_dropout
        self.dense_dropout = dense_dropout
        self.init = init
        self.channels = channels
        self.scale_inputs = scale_inputs
        self.use_period = use_period
        self.period_scaling = period_scaling
        self.lr = lr
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.bucket = bucket
        self.n_threads = n_threads
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ----------------------------------------------------------------- helpers
    def _hidden_sizes(self):
        sizes = (self.hidden_sizes,) if isinstance(self.hidden_sizes, Integral) else tuple(self.hidden_sizes)
        if not sizes or any(not isinstance(h, Integral) or h < 1 for h in sizes):
            raise ValueError(
                f"hidden_sizes must be positive integers (one per biLSTM layer); got {self.hidden_sizes!r}."
            )
        return sizes

    def _channels(self, n_channels):
        if self.channels is None:
            return None
        ch = np.asarray(self.channels)
        if ch.ndim != 1 or ch.size == 0 or not np.issubdtype(ch.dtype, np.integer) or ch.min() < 0 or ch.max() >= n_channels or len(np.unique(ch)) != ch.size:
            raise ValueError(
                f"channels must be distinct indices in [0, {n_channels}) of the sequence channels; "
                f"got {self.channels!r}."
            )
        return ch

    def _prepare(self, X, fitting=False):
        seq, length, period = _check_sequences(X, type(self).__name__)
        if fitting:
            self.n_channels_in_ = seq.shape[2]
        elif seq.shape[2] != self.n_channels_in_:
            raise ValueError(
                f"{type(self).__name__} was fitted on sequences with {self.n_channels_in_} channels; "
                f"X['sequence'] has {seq.shape[2]}."
            )
        ch = self._channels(seq.shape[2])
        if ch is not None:
            seq = np.ascontiguousarray(seq[:, :, ch])
        valid = np.arange(seq.shape[1])[None, :] < length[:, None]
        if fitting:
            if self.scale_inputs:
                steps = seq[valid]
                self.channel_mean_ = steps.mean(axis=0).astype(np.float32)
                std = steps.std(axis=0)
                self.channel_scale_ = np.where(std > 0, std, 1.0).astype(np.float32)
            else:
                self.channel_mean_ = np.zeros(seq.shape[2], np.float32)
                self.channel_scale_ = np.ones(seq.shape[2], np.float32)
        if self.scale_inputs:
            seq = np.where(valid[:, :, None], (seq - self.channel_mean_) / self.channel_scale_, 0.0).astype(np.float32)
        p = np.log10(period) if self.period_scaling == "log" else period
        if fitting:
            self.period_mean_ = float(p.mean()) if self.period_scaling == "log" else 0.0
            scale = float(p.std()) if self.period_scaling == "log" else 1.0
            self.period_scale_ = scale if scale > 0 else 1.0
        p = ((p - self.period_mean_) / self.period_scale_).astype(np.float32)
        return seq, length, p

    # --------------------------------------------------------------------- fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : skorch.helper.SliceDict or dict
            ``"sequence"`` (n, T, C) float, zero-padded after ``"length"`` (n,)
            steps, and ``"period"`` (n, 1) in days: the output of
            :class:`~skastro.periodic.DualFoldSequencer`.
        y : array-like of shape (n,)
            Class labels (two or more classes).

        Returns
        -------
        self : BiLSTMClassifier
        """
        import torch
        from skorch.callbacks import EarlyStopping, LRScheduler
        from skorch.helper import predefined_split
        from sklearn.model_selection import train_test_split

        from ..nn._bilstm import BiLSTMModule
        from ..nn._utils import resolve_device, seed_torch

        sizes = self._hidden_sizes()
        seq, length, period = self._prepare(X, fitting=True)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(seq):
            raise ValueError(
                f"{type(self).__name__}: y must be 1-D with one label per sequence ({len(seq)}); got shape {y.shape}."
            )
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes in y; got {n_classes}.")
        binary = n_classes == 2
        y_enc = y_enc.astype(np.float32 if binary else np.int64)

        rs = check_random_state(self.random_state)
        device = resolve_device(self.device)
        loader_rng = np.random.RandomState(rs.randint(np.iinfo(np.int32).max))

        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.15
        train_split = None
        if fraction is not None:
            idx_tr, idx_va = train_test_split(
                np.arange(len(seq)), test_size=fraction, stratify=y_enc,
                random_state=rs.randint(np.iinfo(np.int32).max),
            )
            valid = _SequenceDataset(seq[idx_va], length[idx_va], period[idx_va], y_enc[idx_va])
            train = _SequenceDataset(seq[idx_tr], length[idx_tr], period[idx_tr], y_enc[idx_tr])
            train_split = predefined_split(valid)
        else:
            train = _SequenceDataset(seq, length, period, y_enc)

        counts = np.bincount(y_enc.astype(np.int64), minlength=n_classes)
        criterion_kwargs = {}
        if binary:
            criterion = torch.nn.BCEWithLogitsLoss
            if self.class_weight == "balanced":
                criterion_kwargs["criterion__pos_weight"] = torch.tensor([counts[0] / counts[1]], dtype=torch.float32)
        else:
            criterion = torch.nn.CrossEntropyLoss
            if self.class_weight == "balanced":
                w = len(y_enc) / (n_classes * counts)
                criterion_kwargs["criterion__weight"] = torch.tensor(w, dtype=torch.float32)

        callbacks = [
            ("lr_decay", LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR,
                                     lr_lambda=_KerasDecay(self.lr_decay), step_every="batch")),
        ]
        if self.early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change, load_best=True, sink=print if self.verbose else _silent,
            )))

        seed_torch(rs)
        net = _make_net_class()(
            module=BiLSTMModule,
            module__input_size=seq.shape[2],
            module__hidden_sizes=sizes,
            module__dense_size=self.dense_size or 0,
            module__n_outputs=1 if binary else n_classes,
            module__input_dropout=self.input_dropout,
            module__recurrent_dropout=self.recurrent_dropout,
            module__dense_dropout=self.dense_dropout,
            module__n_side=1 if self.use_period else 0,
            module__init=self.init,
            criterion=criterion,
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=_BucketIterator,
            iterator_train__shuffle=True,
            iterator_train__bucket=self.bucket,
            iterator_train__rng=loader_rng,
            iterator_valid=_BucketIterator,
            train_split=train_split,
            callbacks=callbacks,
            device=device,
            verbose=int(self.verbose),
            **criterion_kwargs,
        )
        with torch_threads(self.n_threads):
            net.fit(train, None)
        net.train_split = None  # do not keep (and pickle) the validation data
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        return self

    # ----------------------------------------------------------------- predict
    def _logits(self, X):
        import torch

        check_is_fitted(self, "net_")
        seq, length, period = self._prepare(X)
        order = np.argsort(-length, kind="stable")  # similar lengths share a batch
        ds = _SequenceDataset(seq[order], length[order], period[order])
        with torch.inference_mode(), torch_threads(self.n_threads):
            out = self.net_.forward(ds, training=False).numpy()
        logits = np.empty_like(out)
        logits[order] = out
        return logits

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : skorch.helper.SliceDict or dict
            As in :meth:`fit`.

        Returns
        -------
        proba : ndarray of shape (n, n_classes)
        """
        logits = self._logits(X).astype(np.float64)
        if logits.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def decision_function(self, X):
        """Logit of the positive class (binary) or per-class logits (multi-class)."""
        logits = self._logits(X).astype(np.float64)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : skorch.helper.SliceDict or dict
            As in :meth:`fit`.

        Returns
        -------
        y : ndarray of shape (n,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.dict = True
        tags.non_deterministic = self.random_state is None
        return tags

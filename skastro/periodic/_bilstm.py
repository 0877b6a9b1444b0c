"""BiLSTMClassifier: the RRab light-curve classifier of Dékány & Grebel (2020, §3.4)."""

from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ..nn._base import BaseTorchClassifier
from ..utils._validation import preset_params

__all__ = ["BiLSTMClassifier", "BILSTM_PRESETS"]

_KEYS = ("sequence", "length", "period")

#: Settings of published classifiers: ``BiLSTMClassifier.from_preset(name)``.
BILSTM_PRESETS = {
    # Dékány & Grebel (2020) §3.2, §3.4, Table 1: raw inputs (mean-subtracted
    # magnitudes, phases in [0, 1], the period in days), dropout of time steps
    # on the sequence, the Table 1 network and the Keras training recipe; the
    # final model is refitted on the whole (cleaned) training set, no hold-out.
    "dekany2020": {
        "hidden_sizes": (48, 32), "dense_size": 64, "input_dropout": 0.05, "recurrent_dropout": 0.15,
        "dense_dropout": 0.5, "dropout_mode": "timestep", "init": "keras", "channels": None,
        "scale_inputs": False, "use_period": True, "period_scaling": "none", "lr": 0.0015,
        "lr_decay": 8e-5, "batch_size": 256, "max_epochs": 300, "early_stopping": False,
        "validation_fraction": None, "class_weight": None, "threshold": 0.5,
    },
}


# --------------------------------------------------------------------------- input
def _integer_lengths(length, n, name):
    """``length`` as int64 if it holds ``n`` integer-valued numbers of any dtype (float,
    object from a pandas column, ...); else a ValueError naming ``X['length']``."""
    if length.shape == (n,) and length.dtype == object:
        # e.g. a pandas object or nullable Int64 column: numbers only (no text, no NA)
        numbers = all(isinstance(v, (Integral, Real)) and not isinstance(v, bool) for v in length)
        length = length.astype(np.float64) if numbers else length
    if length.shape == (n,) and (np.issubdtype(length.dtype, np.integer) or length.dtype == bool):
        return length.astype(np.int64, copy=False)
    if (length.shape == (n,) and np.issubdtype(length.dtype, np.floating)
            and np.all(np.abs(length) < 2**62) and np.all(length == np.round(length))):
        return length.astype(np.int64)
    raise ValueError(
        f"{name}: X['length'] must be {n} integers (one per sequence); got shape {length.shape}, "
        f"dtype {length.dtype}"
        + (f", values {length[:5].tolist()}" if length.dtype.kind in "fO" else "") + "."
    )


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
    length = _integer_lengths(length, n, name)
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


# ------------------------------------------------------------------------ estimator
class BiLSTMClassifier(BaseTorchClassifier):
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

    ``X`` (for ``fit`` and the predictions) is the output of
    :class:`~skastro.periodic.DualFoldSequencer`: a ``SliceDict`` (or dict)
    with ``"sequence"`` (n, T, C) float, zero-padded after ``"length"`` (n,)
    steps, and ``"period"`` (n, 1) in days. The training plumbing (labels,
    loss, validation split, early stopping, device, threads, pickling) is
    :class:`skastro.nn.BaseTorchClassifier`'s.

    The defaults differ from the paper in three switchable ways: the channels
    are standardised (``scale_inputs``), the period enters as a standardised
    ``log10 P`` (``period_scaling``) and dropout is element-wise
    (``dropout_mode``). ``BiLSTMClassifier.from_preset("dekany2020")`` gives
    the paper's configuration; the user guide compares the two.

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
    dropout_mode : {"element", "timestep"}, default="element"
        What the input dropout and the dropout between biLSTM layers drop:
        single elements, or whole time steps (every channel of a step at
        once, Keras' ``noise_shape=(None, None, 1)``), as the paper describes
        ("randomly dropping network units (in this case, time steps)",
        §3.4). The dropout on the final states and after the dense layer is
        element-wise in both modes, as in the paper.
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
        Fraction of the training data held out (stratified by class) to
        monitor the validation loss and accuracy in ``history_``. None: 0.1
        when ``early_stopping=True``, else no split. The paper held out 0.15.
    n_iter_no_change : int, default=10
        Patience of the early stopping, in epochs.
    class_weight : {"balanced"} or None, default=None
        Weight the loss by inverse class frequency in the training part.
    threshold : float in (0, 1), default=0.5
        Two classes: ``predict`` returns ``classes_[1]`` when its probability
        reaches ``threshold``.
    bucket : bool, default=True
        Group training batches by sequence length (speed only; no effect on
        the model's definition).
    n_jobs : int or None, default=None
        torch CPU threads while fitting and predicting (restored afterwards);
        None leaves torch's setting, -1 uses all cores. On a small or busy
        CPU, 1 is often the fastest for these small recurrent layers.
    device : str, default="cpu"
        torch device: ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or
        ``"auto"`` (CUDA when available); checked at ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds, in this order, the batch order, the validation split and torch
        (weights, dropout).
    verbose : int, default=0
        > 0: a progress bar of the epochs on stderr (tqdm) and the per-epoch
        table (losses, accuracies, duration) on stdout; 0 prints nothing.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the
        :class:`~skastro.nn._bilstm.BiLSTMModule`.
    history_ : skorch.History
        Per-epoch ``train_loss``, ``train_acc``, ``train_class_acc`` (one
        accuracy per class, in ``classes_`` order) and, with a validation
        split, ``valid_loss``, ``valid_acc``, ``valid_class_acc``.
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
    two parametrisations represent the same functions.

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
    ...                        n_jobs=1, random_state=0).fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> clf.predict_proba(X).shape
    (64, 2)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _sample_name = "sequence"
    _parameter_constraints = {
        **BaseTorchClassifier._parameter_constraints,
        "hidden_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "dense_size": [Interval(Integral, 0, None, closed="left"), None],
        "input_dropout": [Interval(Real, 0, 1, closed="left")],
        "recurrent_dropout": [Interval(Real, 0, 1, closed="left")],
        "dense_dropout": [Interval(Real, 0, 1, closed="left")],
        "dropout_mode": [StrOptions({"element", "timestep"})],
        "init": [StrOptions({"keras", "torch"})],
        "channels": ["array-like", None],
        "scale_inputs": ["boolean"],
        "use_period": ["boolean"],
        "period_scaling": [StrOptions({"log", "none"})],
        "lr_decay": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        hidden_sizes=(48, 32),
        dense_size=64,
        input_dropout=0.05,
        recurrent_dropout=0.15,
        dense_dropout=0.5,
        dropout_mode="element",
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
        threshold=0.5,
        bucket=True,
        n_jobs=None,
        device="cpu",
        random_state=None,
        verbose=0,
    ):
        self.hidden_sizes = hidden_sizes
        self.dense_size = dense_size
        self.input_dropout = input_dropout
        self.recurrent_dropout = recurrent_dropout
        self.dense_dropout = dense_dropout
        self.dropout_mode = dropout_mode
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
        self.threshold = threshold
        self.bucket = bucket
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def from_preset(cls, name, **params):
        """A classifier with the configuration of a published study.

        Parameters
        ----------
        name : {"dekany2020"}
            ``"dekany2020"`` (Dékány & Grebel 2020, §3.2, §3.4, Table 1): raw
            inputs (``scale_inputs=False``, ``period_scaling="none"``: the
            mean-subtracted magnitudes, the phases and the period in days),
            ``dropout_mode="timestep"``, the Table 1 network
            (``hidden_sizes=(48, 32)``, ``dense_size=64``, dropout 0.05,
            0.15, 0.15 and 0.5), Keras initialisation, Adam with
            ``lr=0.0015`` and ``lr_decay=8e-5``, ``batch_size=256``,
            ``max_epochs=300``, no early stopping and no validation hold-out
            (the final model was refitted on the whole cleaned training set).
            ``skastro.periodic.BILSTM_PRESETS`` lists every value.
        **params
            Any other parameter (``random_state``, ``n_jobs``, ``device``...),
            or one of the preset's to override.

        Returns
        -------
        BiLSTMClassifier
            Unfitted; ``get_params()`` shows every setting.

        Examples
        --------
        >>> from skastro.periodic import BiLSTMClassifier
        >>> clf = BiLSTMClassifier.from_preset("dekany2020", random_state=0)
        >>> clf.scale_inputs, clf.period_scaling, clf.dropout_mode, clf.max_epochs
        (False, 'none', 'timestep', 300)
        >>> BiLSTMClassifier.from_preset("dekany2020", max_epochs=30).max_epochs
        30
        """
        return cls(**preset_params(BILSTM_PRESETS, name, params))

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

    # ------------------------------------------------------------------- hooks
    def _check_X(self, X):
        seq, length, period = self._prepare(X, fitting=True)
        return (seq, length, period), len(seq)

    def _make_datasets(self, X, y_enc, split, rs):
        from ..nn._bilstm import SequenceDataset

        y = self._targets(y_enc)
        if split is None:
            return SequenceDataset(*X, y), None
        return tuple(SequenceDataset(*(a[idx] for a in X), y[idx]) for idx in split)

    def _module(self, n_outputs):
        from ..nn._bilstm import BiLSTMModule

        return BiLSTMModule, dict(
            input_size=len(self.channel_mean_), hidden_sizes=self._hidden_sizes(),
            dense_size=self.dense_size or 0, n_outputs=n_outputs, input_dropout=self.input_dropout,
            recurrent_dropout=self.recurrent_dropout, dense_dropout=self.dense_dropout,
            dropout_mode=self.dropout_mode, n_side=1 if self.use_period else 0, init=self.init,
        )

    def _callbacks(self):
        import torch
        from skorch.callbacks import LRScheduler

        from ..nn._training import KerasDecay

        return [("lr_decay", LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR,
                                         lr_lambda=KerasDecay(self.lr_decay), step_every="batch"))]

    def _inference_dataset(self, X):
        from ..nn._bilstm import SequenceDataset

        return SequenceDataset(*self._prepare(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.dict = True
        return tags

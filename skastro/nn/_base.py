"""Base classes of skastro's torch estimators: the training plumbing, written once.

A torch estimator subclasses :class:`BaseTorchEstimator` (or
:class:`BaseTorchClassifier`) and provides only its network, its dataset and
its defaults, in the spirit of aeon's ``BaseDeepClassifier``; skorch is
customised only through its hooks (:mod:`skastro.nn._training`). torch is
imported inside the methods, so importing an estimator does not import it.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ..utils._model_io import model_state
from ._utils import _print_above_bars, _silent, resolve_device, torch_threads

__all__ = ["BaseTorchClassifier", "BaseTorchEstimator"]

_MAX_SEED = np.iinfo(np.int32).max


class BaseTorchEstimator(BaseEstimator):
    """Training loop, seeding, device, threads and pickling shared by skastro's torch estimators.

    Subclasses declare the parameters below in their own ``__init__`` (with
    their own defaults), describe their skorch net in ``_net_spec()`` (from
    the parameters and fitted attributes only, so that
    :func:`skastro.load_model` can rebuild it around saved weights) and call
    ``_train_net`` from ``fit``.

    Common parameters (one meaning in every torch estimator):

    - ``lr``, ``max_epochs``, ``batch_size``: Adam's learning rate, the
      number of epochs (an upper bound with early stopping) and the
      mini-batch size, for training and inference.
    - ``n_jobs``: torch CPU threads while fitting and predicting, restored
      afterwards; None keeps torch's setting, -1 uses all cores (joblib's
      convention).
    - ``device``: ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or
      ``"auto"`` (CUDA when available); checked at ``fit`` with a clear
      error. Batches, masks and states live on that device; predictions come
      back as NumPy arrays; a model saved on a GPU (:func:`skastro.save_model`,
      which stores the network, loss and optimizer state dicts) or pickled
      loads on a CPU-only machine (on the CPU, with a warning).
    - ``random_state``: one ``RandomState`` drawn in a fixed order: the batch
      order, the validation split, any data augmentation, then the torch seed
      (weights, dropout).
    - ``verbose``: > 0 shows a progress bar of the epochs on stderr (tqdm,
      the last losses beside it) and prints skorch's per-epoch table on
      stdout above it; 0 (the default) prints nothing.

    Fitted nets keep no training or validation data: ``net_.train_split``
    is cleared after ``fit``, so a pickle holds the weights, the settings
    and the history only.

    The ``non_deterministic`` tag is set unless ``device`` names the CPU:
    seeded CPU fits are reproducible bit for bit, CUDA's recurrent kernels
    are not.

    Examples
    --------
    >>> from skastro.followup import SpectrumVAE
    >>> from skastro.nn import BaseTorchEstimator
    >>> issubclass(SpectrumVAE, BaseTorchEstimator)
    True
    >>> sorted(BaseTorchEstimator._parameter_constraints)
    ['batch_size', 'device', 'lr', 'max_epochs', 'n_jobs', 'random_state', 'verbose']
    """

    _parameter_constraints: dict = {
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Interval(Integral, None, -1, closed="right"), Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def _device(self):
        return resolve_device(self.device, type(self).__name__)

    @staticmethod
    def _seed_torch(rs):
        import torch

        torch.manual_seed(int(rs.randint(_MAX_SEED)))

    def _net_spec(self):
        """The skorch net class and its arguments, from the parameters and fitted attributes.

        A hook for subclasses: ``(net_class, kwargs)`` with ``module``,
        ``module_params``, ``callbacks`` and any further skorch arguments
        (``criterion``, iterators) that do not depend on the training data.
        ``fit`` trains such a net; :func:`skastro.load_model` rebuilds it
        around the saved weights.
        """
        raise NotImplementedError  # pragma: no cover - every torch estimator defines it

    def _make_net(self, net_class, *, module, module_params, callbacks=(), valid=None,
                  device=None, **net_params):
        import torch
        from skorch.helper import predefined_split

        from ._training import EpochProgress

        callbacks = list(callbacks)
        if self.verbose:  # first: the bar counts the epoch that early stopping ends on
            callbacks.insert(0, ("progress", EpochProgress(desc=type(self).__name__)))
            net_params["callbacks__print_log__sink"] = _print_above_bars
        return net_class(
            module=module,
            **{f"module__{k}": v for k, v in module_params.items()},
            optimizer=torch.optim.Adam,
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=callbacks,
            device=self._device() if device is None else device,
            verbose=int(self.verbose),
            **net_params,
        )

    def _train_net(self, data, *, valid=None, **train_params):
        """Build the net of :meth:`_net_spec`, fit it on ``data``; store ``net_``, ``history_``, ``n_iter_``."""
        net_class, spec = self._net_spec()
        net = self._make_net(net_class, valid=valid, **spec, **train_params)
        with torch_threads(self.n_jobs):
            net.fit(data, None)
        net.train_split = None  # never keep (nor pickle) the validation data
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        return net

    # ---------------------------------------------- model files (skastro.utils._model_io)
    def _get_model_state(self):
        """Fitted state for :func:`skastro.save_model`: the net as torch state dicts."""
        state = {k: v for k, v in model_state(self).items() if k not in ("net_", "history_")}
        net = getattr(self, "net_", None)
        if net is not None:
            state["history_"] = [dict(epoch) for epoch in self.history_]
            state["net_"] = {"module": net.module_.state_dict(),
                             "criterion": net.criterion_.state_dict(),
                             "optimizer": net.optimizer_.state_dict()}
        return state

    def _set_model_state(self, state):
        """Restore :meth:`_get_model_state`: rebuild the net on the CPU, load its weights."""
        import warnings

        import torch
        from skorch.history import History

        state = dict(state)
        weights, history = state.pop("net_", None), state.pop("history_", None)
        vars(self).update(state)
        if weights is None and history is None:
            return
        if not (isinstance(weights, dict) and set(weights) == {"module", "criterion", "optimizer"}
                and all(isinstance(w, dict) for w in weights.values())
                and isinstance(history, list) and all(isinstance(e, dict) for e in history)):
            raise ValueError("'net_' must hold the module, criterion and optimizer state dicts "
                             "and 'history_' a list of epochs")
        try:
            device = self._device()
        except ValueError:  # saved on a GPU this machine lacks: run on the CPU, as skorch does
            warnings.warn(f"{type(self).__name__} was saved with device={self.device!r}, which "
                          "is not available here; it runs on the CPU.", stacklevel=4)
            device = "cpu"
        net_class, spec = self._net_spec()
        criterion_args = {f"criterion__{k}": v for k, v in weights["criterion"].items()}
        net = self._make_net(net_class, **spec, **criterion_args, device=device)
        try:
            with torch.random.fork_rng(devices=[]):  # initialising must not move the global seed
                net.initialize()
            net.module_.load_state_dict(weights["module"])
            net.criterion_.load_state_dict(weights["criterion"])
            net.optimizer_.load_state_dict(weights["optimizer"])
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
            raise ValueError(f"the saved weights do not fit the network "
                             f"({str(exc).splitlines()[0][:160]})") from None
        net.history = History(history)
        self.net_ = net
        self.history_ = net.history

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # seeded CPU training is reproducible; CUDA's recurrent kernels are not bit for bit
        tags.non_deterministic = not str(self.device).startswith("cpu")
        return tags


class BaseTorchClassifier(ClassifierMixin, BaseTorchEstimator):
    """A torch classifier: labels, loss and class weights, validation split, early stopping, predictions.

    Subclasses provide the hooks ``_check_X(X) -> (X, n)``,
    ``_make_datasets(X, y_enc, split, rs) -> (train, valid)`` (two
    :class:`~skastro.nn._training.BatchDataset`, ``valid`` None without a
    split; ``split`` is ``(train_idx, valid_idx)`` or None),
    ``_module(n_outputs) -> (module_class, params)`` (from parameters and
    fitted attributes only: loading a model file calls it too) and
    ``_inference_dataset(X)``, and optionally ``_split_groups(X)``,
    ``_callbacks()`` and ``_forward_logits(X)``.

    Common behaviour, besides :class:`BaseTorchEstimator`'s:

    - Labels: any two or more classes; ``classes_`` sorted. Two classes: one
      logit and a sigmoid (``BCEWithLogitsLoss``), ``classes_[1]`` positive;
      more: one logit per class and a softmax (``CrossEntropyLoss``).
    - ``class_weight="balanced"``: the loss weights classes by inverse
      frequency in the training part (after the validation split and any
      augmentation); binary: ``pos_weight = n_negative / n_positive``.
    - ``validation_fraction``: a fraction held out (stratified by class, or
      grouped when the subclass names groups, e.g. LensNet's ``star_id``) to
      record ``valid_loss``/``valid_acc`` in ``history_``; None: 0.1 when
      ``early_stopping=True``, else no split.
    - ``early_stopping``: stop once ``valid_loss`` has not improved for
      ``n_iter_no_change`` epochs and restore the best epoch's weights.
    - ``bucket``: training batches group sequences of similar length.
    - ``decision_function``: the positive logit (binary) or the logits;
      ``predict_proba``: their sigmoid/softmax; ``predict``: binary,
      ``classes_[1]`` when its probability reaches ``threshold``, else the
      most probable class.

    Examples
    --------
    >>> from skastro.microlensing import BranchedRNNClassifier
    >>> from skastro.nn import BaseTorchClassifier
    >>> from skastro.periodic import BiLSTMClassifier
    >>> issubclass(BiLSTMClassifier, BaseTorchClassifier), issubclass(BranchedRNNClassifier, BaseTorchClassifier)
    (True, True)
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), None],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "bucket": ["boolean"],
    }

    _sample_name = "sample"  # what one sample is, for error messages

    # ------------------------------------------------------------ hooks
    def _split_groups(self, X):
        """Groups kept on one side of the validation split (None: none)."""
        return None

    def _callbacks(self):
        """Extra skorch callbacks, as ``(name, callback)`` pairs."""
        return []

    def _forward_logits(self, X):
        return self._net_logits(self._inference_dataset(X))

    # -------------------------------------------------------------- fit
    def _encode_labels(self, y, n):
        name = type(self).__name__
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"{name}: y must be 1-D with one label per {self._sample_name} ({n}); got shape {y.shape}.")
        check_classification_targets(y)
        self.classes_, y_enc = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"{name} needs at least 2 classes in y; got {len(self.classes_)}.")
        return y_enc

    def _validation_split(self, X, y_enc, rs):
        fraction = self.validation_fraction
        if fraction is None and self.early_stopping:
            fraction = 0.1
        if fraction is None:
            return None
        from sklearn.model_selection import GroupShuffleSplit, train_test_split

        seed = rs.randint(_MAX_SEED)
        idx = np.arange(len(y_enc))
        groups = self._split_groups(X)
        if groups is None:
            return tuple(train_test_split(idx, test_size=fraction, stratify=y_enc, random_state=seed))
        return next(GroupShuffleSplit(1, test_size=fraction, random_state=seed).split(idx, y_enc, groups))

    def _criterion_weights(self, y_train):
        """The loss's class weights (``class_weight="balanced"``) as skorch ``criterion__`` arguments."""
        import torch

        if self.class_weight is None:
            return {}
        n_classes = len(self.classes_)
        counts = np.bincount(np.asarray(y_train).astype(np.int64), minlength=n_classes)
        if n_classes == 2:
            return {"criterion__pos_weight": torch.tensor([counts[0] / max(counts[1], 1)], dtype=torch.float32)}
        return {"criterion__weight": torch.tensor(len(y_train) / (n_classes * np.maximum(counts, 1)),
                                                  dtype=torch.float32)}

    def _targets(self, y_enc):
        """Encoded labels as the loss wants them: float 0/1 (binary) or int64 class indices."""
        return y_enc.astype(np.float32 if len(self.classes_) == 2 else np.int64)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Train the network.

        Parameters
        ----------
        X : object
            The samples, in the form the class documents.
        y : array-like of shape (n_samples,)
            Class labels (two or more classes).

        Returns
        -------
        self : object
            The fitted classifier.
        """
        self._device()  # a bad device fails now, not after the data preparation
        X, n = self._check_X(X)
        y_enc = self._encode_labels(y, n)
        rs = check_random_state(self.random_state)
        loader_rng = np.random.RandomState(rs.randint(_MAX_SEED))
        split = self._validation_split(X, y_enc, rs)
        train, valid = self._make_datasets(X, y_enc, split, rs)
        self._seed_torch(rs)
        self._train_net(train, valid=valid, iterator_train__rng=loader_rng,
                        **self._criterion_weights(train.y))
        return self

    def _net_spec(self):
        import torch
        from skorch.callbacks import EarlyStopping

        from ._training import BucketIterator, ClassifierNet

        binary = len(self.classes_) == 2
        module, module_params = self._module(1 if binary else len(self.classes_))
        callbacks = self._callbacks()
        if self.early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change, load_best=True,
                sink=_print_above_bars if self.verbose else _silent)))
        return ClassifierNet, dict(
            module=module, module_params=module_params, callbacks=callbacks,
            criterion=torch.nn.BCEWithLogitsLoss if binary else torch.nn.CrossEntropyLoss,
            iterator_train=BucketIterator, iterator_train__shuffle=True,
            iterator_train__bucket=self.bucket, iterator_valid=BucketIterator)

    # ---------------------------------------------------------- predict
    def _net_logits(self, dataset):
        """Logits ``(n, n_outputs)`` of a dataset, in its order, as float64 on the CPU."""
        import torch

        from ._training import inference_order

        order = inference_order(dataset.sort_key)
        with torch.inference_mode(), torch_threads(self.n_jobs):
            out = self.net_.forward(dataset, training=False, device="cpu").numpy()
        logits = np.empty((len(order), out.size // max(len(order), 1)))
        logits[order] = out.reshape(len(order), -1)
        return logits

    def decision_function(self, X):
        """Logit of ``classes_[1]`` (binary) or the per-class logits.

        Parameters
        ----------
        X : object
            Samples, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self, "net_")
        logits = self._forward_logits(X)
        return logits[:, 0] if logits.shape[1] == 1 else logits

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : object
            Samples, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        logits = self.decision_function(X)
        if logits.ndim == 1:
            p1 = 1.0 / (1.0 + np.exp(-logits))
            return np.column_stack([1.0 - p1, p1])
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Class labels; with two classes, ``classes_[1]`` when its probability reaches ``threshold``.

        Parameters
        ----------
        X : object
            Samples, as in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        if proba.shape[1] == 2:
            return self.classes_[(proba[:, 1] >= self.threshold).astype(int)]
        return self.classes_[proba.argmax(axis=1)]

"""skorch plumbing shared by the torch classifiers: batching, loss, learning-rate decay, accuracy.

Everything here is a module-level class, so fitted nets pickle by reference.
This module imports torch; :mod:`skastro.nn._base` imports it only inside
``fit``, so ``import skastro`` stays torch-free.
"""

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EpochTimer, PassthroughScoring, PrintLog
from skorch.utils import to_tensor

from ..utils._progress import progress

__all__ = ["BatchDataset", "BucketIterator", "ClassifierNet", "EpochAccuracy", "EpochProgress",
           "KerasDecay", "inference_order"]


class BatchDataset:
    """Whole-array dataset that cuts its own batches (the protocol :class:`BucketIterator` reads).

    Subclasses set ``sort_key`` (one integer per item, its length: batches
    of similar keys waste less padding) and implement ``batch(idx)``, which
    returns ``(X, y)`` for the items ``idx`` *in that order* (``y`` None
    without targets), ``X`` being what the module's ``forward`` takes as
    keyword arguments.
    """

    sort_key = None

    def __len__(self):
        return len(self.sort_key)

    def batch(self, idx):  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, i):  # for tools that index a dataset item by item
        X, y = self.batch(np.array([i]))
        return {k: v[0] for k, v in X.items()}, (None if y is None else y[0])


def inference_order(sort_key):
    """Order in which inference visits the items: longest first, ties in dataset order."""
    return np.argsort(-np.asarray(sort_key), kind="stable")


class BucketIterator:
    """Mini-batches of similar length (bucketing), the only batching of skastro's torch classifiers.

    Training (``shuffle=True``): shuffle, sort each chunk of ``bucket_chunks``
    batches by ``dataset.sort_key``, cut batches, shuffle the batch order
    (``bucket=False``: plain shuffled batches). Inference: batches of
    :func:`inference_order`, which the caller undoes.

    Parameters
    ----------
    dataset : BatchDataset
    batch_size : int, default=256
    shuffle : bool, default=False
    bucket : bool, default=True
    rng : numpy.random.RandomState or None
        Source of the training order (None: a fresh unseeded one).
    bucket_chunks : int, default=50
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
            order = inference_order(self.dataset.sort_key)
            return [order[i : i + bs] for i in range(0, n, bs)]
        order = self.rng.permutation(n)
        if self.bucket:
            key = np.asarray(self.dataset.sort_key)
            chunk = bs * self.bucket_chunks
            order = np.concatenate(
                [c[np.argsort(key[c], kind="stable")] for c in np.array_split(order, -(-n // chunk))]
            )
        batches = [order[i : i + bs] for i in range(0, n, bs)]
        return [batches[j] for j in self.rng.permutation(len(batches))]

    def __iter__(self):
        for idx in self._batches():
            yield self.dataset.batch(idx)


class KerasDecay:
    """Keras' time-based decay: ``lr_t = lr_0 / (1 + decay * iterations)`` (picklable)."""

    def __init__(self, decay):
        self.decay = decay

    def __call__(self, iteration):
        return 1.0 / (1.0 + self.decay * iteration)


def _is_binary(y_pred):
    return y_pred.ndim == 1 or y_pred.shape[-1] == 1


class EpochAccuracy(Callback):
    """Accuracy of each epoch from the batch predictions already made (no extra pass).

    Records ``train_acc`` and ``valid_acc``, and per class (in ``classes_``
    order; NaN for a class absent from the epoch's data) ``train_class_acc``
    and ``valid_class_acc``: their mean is the accuracy weighted by
    balanced class weights (Keras' weighted accuracy, LensNet Figs. 9-10).
    """

    def on_epoch_begin(self, net, **kwargs):
        self.counts_ = {True: [0, 0], False: [0, 0]}
        self.per_class_ = {True: None, False: None}   # (right, total) per class

    def on_batch_end(self, net, batch, training, y_pred=None, **kwargs):
        y = batch[1]
        if y is None or y_pred is None:
            return
        with torch.no_grad():
            binary = _is_binary(y_pred)
            pred = (y_pred.reshape(-1) > 0).long() if binary else y_pred.argmax(-1)
            y = y.cpu().long().reshape(-1)
            right = (pred.cpu() == y)
            n_classes = 2 if binary else y_pred.shape[-1]
            counts = torch.stack([torch.bincount(y[right], minlength=n_classes),
                                  torch.bincount(y, minlength=n_classes)]).numpy()
        self.counts_[training][0] += int(right.sum())
        self.counts_[training][1] += len(y)
        seen = self.per_class_[training]
        self.per_class_[training] = counts if seen is None else seen + counts

    def on_epoch_end(self, net, **kwargs):
        for training, name in ((True, "train"), (False, "valid")):
            good, total = self.counts_[training]
            if total:
                net.history.record(f"{name}_acc", good / total)
                right, seen = self.per_class_[training]
                net.history.record(f"{name}_class_acc",
                                   [float(r / n) if n else float("nan") for r, n in zip(right, seen)])


class EpochProgress(Callback):
    """A progress bar of the training epochs (stderr), the last losses as its postfix.

    The per-epoch table (skorch's ``PrintLog``) is written above it; a bar
    stopped early by ``EarlyStopping`` stays at the epoch it reached.
    """

    def __init__(self, desc=None):
        self.desc = desc

    def on_train_begin(self, net, **kwargs):
        self.bar_ = progress(total=net.max_epochs, verbose=1, desc=self.desc, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        self.bar_.set_postfix({k: f"{row[k]:.4g}" for k in ("train_loss", "valid_loss") if k in row},
                              refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
        del self.bar_  # a fitted net pickles without it


class ClassifierNet(NeuralNet):
    """skorch net of skastro's torch classifiers, customised only through skorch's hooks.

    One logit (binary, ``BCEWithLogitsLoss``) or one per class
    (``CrossEntropyLoss``); targets are moved to the net's device; datasets
    that cut their own batches (:class:`BatchDataset`) pass through; the
    history also records ``train_acc`` and ``valid_acc`` and the per-class
    ``train_class_acc`` and ``valid_class_acc`` (:class:`EpochAccuracy`).
    """

    def get_default_callbacks(self):
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("accuracy", EpochAccuracy()),
            ("print_log", PrintLog(keys_ignored=("train_class_acc", "valid_class_acc"))),
        ]

    def get_dataset(self, X, y=None):
        if isinstance(X, BatchDataset):
            return X
        return super().get_dataset(X, y)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = to_tensor(y_true, device=y_pred.device)
        if _is_binary(y_pred):
            return self.criterion_(y_pred.reshape(-1), y_true.to(y_pred.dtype).reshape(-1))
        return self.criterion_(y_pred, y_true.long())

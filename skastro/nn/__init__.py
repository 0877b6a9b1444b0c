"""Torch plumbing of skastro's neural-network estimators.

:class:`BaseTorchEstimator` and :class:`BaseTorchClassifier` hold the
training loop written once (labels, loss and class weights, validation split
and early stopping, seeding, device and threads, length bucketing, logits to
probabilities, pickling without the training data); the estimators
(:class:`~skastro.periodic.BiLSTMClassifier`,
:class:`~skastro.microlensing.BranchedRNNClassifier`,
:class:`~skastro.followup.SpectrumVAE`) subclass them and provide their
network, dataset and defaults. The pure ``torch.nn.Module`` networks and the
skorch nets live in the private modules ``_bilstm``, ``_branched``, ``_vae``
and ``_training``, which import torch; this package itself does not.
"""

from ._base import BaseTorchClassifier, BaseTorchEstimator

__all__ = ["BaseTorchClassifier", "BaseTorchEstimator"]

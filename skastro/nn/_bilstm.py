"""The two-layer bidirectional LSTM of Dékány & Grebel (2020, Fig. 5, Table 1).

A pure :class:`torch.nn.Module`: every size and rate is a constructor argument,
so :class:`skastro.periodic.BiLSTMClassifier` can tune them.
"""

import numpy as np
import torch
from torch import nn

from ._training import BatchDataset

__all__ = ["BiLSTMModule", "SequenceDataset", "TimestepDropout", "keras_parameter_counts"]


class SequenceDataset(BatchDataset):
    """Dual-folded sequences for :class:`BiLSTMModule`; a batch is trimmed to its longest sequence.

    Parameters
    ----------
    sequence : ndarray of shape (n, T, C), float32
    length : ndarray of shape (n,), int64
    period : ndarray of shape (n, 1), float32
    y : ndarray of shape (n,) or None
    """

    def __init__(self, sequence, length, period, y=None):
        self.sequence = torch.from_numpy(np.ascontiguousarray(sequence))
        self.length = torch.from_numpy(np.ascontiguousarray(length))
        self.period = torch.from_numpy(np.ascontiguousarray(period))
        self.y = None if y is None else torch.from_numpy(np.ascontiguousarray(y))
        self.sort_key = np.asarray(length)

    def batch(self, idx):
        idx = torch.as_tensor(np.asarray(idx))
        length = self.length[idx]
        T = int(length.max())  # trim the padding beyond the longest sequence of the batch
        X = {"sequence": self.sequence[idx, :T], "length": length, "period": self.period[idx]}
        return X, (None if self.y is None else self.y[idx])


class TimestepDropout(nn.Module):
    """Dropout of whole time steps of a ``(B, T, C)`` sequence (every channel of a step at once).

    Keras' ``Dropout(rate, noise_shape=(None, None, 1))``: at training, each
    step of each sequence is zeroed with probability ``p`` and the kept steps
    are scaled by ``1 / (1 - p)``; at evaluation it is the identity.

    Parameters
    ----------
    p : float, default=0.5
        Probability of dropping a time step.
    """

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"TimestepDropout: p must lie in [0, 1); got {p!r}.")
        self.p = float(p)

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.empty(x.shape[0], x.shape[1], 1, device=x.device, dtype=x.dtype).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)


class BiLSTMModule(nn.Module):
    """Stacked bidirectional LSTMs over a sequence, plus a scalar side input.

    ``input dropout -> [biLSTM(h_k) -> dropout]_k -> concat(final forward state,
    final backward state) -> concat(period) -> dense(ReLU) -> dropout -> output``.

    Variable lengths are exact: the forward direction runs causally over the
    padded batch and its state is read at each sequence's last valid step; the
    backward direction runs over each sequence reversed *within its length*
    (a gather), so it starts at the last valid step, as a packed sequence
    would. Zero (or any) padding after ``length`` therefore cannot change the
    output, while the recurrences run on dense tensors, which on CPU is much
    faster than ``PackedSequence`` (see the user guide).

    Each biLSTM layer is a pair of unidirectional ``nn.LSTM`` (``fwd[k]``,
    ``bwd[k]``), with the same parameters as one ``bidirectional=True`` layer.

    Parameters
    ----------
    input_size : int, default=4
        Channels per time step (the paper's ``m_P, phi_P, m_2P, phi_2P``).
    hidden_sizes : sequence of int, default=(48, 32)
        Units per direction of each biLSTM layer (Table 1: 48 and 32).
    dense_size : int, default=64
        Units of the fully connected ReLU layer (0 or None: no dense layer).
    n_outputs : int, default=1
        Output logits: 1 for a binary problem (sigmoid), else one per class.
    input_dropout : float, default=0.05
        Dropout on the input sequence elements.
    recurrent_dropout : float, default=0.15
        Dropout after each biLSTM layer (on the sequence between layers and on
        the concatenated final states after the last one).
    dense_dropout : float, default=0.5
        Dropout after the dense layer.
    n_side : int, default=1
        Scalar side inputs concatenated after the recurrent block (the period).
    dropout_mode : {"element", "timestep"}, default="element"
        What the input dropout and the dropout between biLSTM layers drop:
        single elements (``nn.Dropout``) or whole time steps
        (:class:`TimestepDropout`, the paper's "dropping network units (in
        this case, time steps)", §3.4). The dropout on the final states and
        after the dense layer is element-wise either way (the paper's too).
    init : {"keras", "torch"}, default="keras"
        Initial weights. ``"keras"``: the Keras defaults the paper trained
        with (Glorot-uniform input and dense kernels, orthogonal recurrent
        kernels, zero biases except a forget-gate bias of 1). ``"torch"``:
        PyTorch's uniform(±1/√h) defaults.

    Examples
    --------
    >>> import torch
    >>> from skastro.nn._bilstm import BiLSTMModule
    >>> _ = torch.manual_seed(0)
    >>> net = BiLSTMModule().eval()
    >>> seq, length, period = torch.randn(3, 10, 4), torch.tensor([10, 7, 3]), torch.rand(3, 1)
    >>> net(seq, length, period).shape
    torch.Size([3, 1])
    >>> padded = torch.cat([seq, torch.zeros(3, 5, 4)], dim=1)
    >>> bool(torch.allclose(net(seq, length, period), net(padded, length, period)))
    True
    """

    def __init__(
        self,
        input_size=4,
        hidden_sizes=(48, 32),
        dense_size=64,
        n_outputs=1,
        input_dropout=0.05,
        recurrent_dropout=0.15,
        dense_dropout=0.5,
        n_side=1,
        dropout_mode="element",
        init="keras",
    ):
        super().__init__()
        if init not in ("keras", "torch"):
            raise ValueError(f"init must be 'keras' or 'torch'; got {init!r}.")
        if dropout_mode not in ("element", "timestep"):
            raise ValueError(f"dropout_mode must be 'element' or 'timestep'; got {dropout_mode!r}.")
        seq_dropout = TimestepDropout if dropout_mode == "timestep" else nn.Dropout
        hidden_sizes = tuple(int(h) for h in hidden_sizes)
        if not hidden_sizes:
            raise ValueError("hidden_sizes must list at least one biLSTM layer; got ().")
        self.input_size = int(input_size)
        self.hidden_sizes = hidden_sizes
        self.n_side = int(n_side)
        self.input_dropout = seq_dropout(input_dropout)
        self.fwd = nn.ModuleList()
        self.bwd = nn.ModuleList()
        size = self.input_size
        for h in hidden_sizes:
            self.fwd.append(nn.LSTM(size, h, batch_first=True))
            self.bwd.append(nn.LSTM(size, h, batch_first=True))
            size = 2 * h
        self.sequence_dropout = seq_dropout(recurrent_dropout)  # between biLSTM layers
        self.recurrent_dropout = nn.Dropout(recurrent_dropout)  # on the final states
        size += self.n_side
        if dense_size:
            self.dense = nn.Sequential(nn.Linear(size, int(dense_size)), nn.ReLU())
            size = int(dense_size)
        else:
            self.dense = nn.Identity()
        self.dense_dropout = nn.Dropout(dense_dropout)
        self.output = nn.Linear(size, int(n_outputs))
        if init == "keras":
            self._keras_init()

    @torch.no_grad()
    def _keras_init(self):
        for lstm in (*self.fwd, *self.bwd):
            h = lstm.hidden_size
            nn.init.xavier_uniform_(lstm.weight_ih_l0)
            nn.init.orthogonal_(lstm.weight_hh_l0)
            nn.init.zeros_(lstm.bias_ih_l0)
            nn.init.zeros_(lstm.bias_hh_l0)
            lstm.bias_ih_l0[h : 2 * h] = 1.0  # gate order i, f, g, o: Keras' unit_forget_bias
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    @staticmethod
    def _reverse_index(length, T, device):
        """``(B, T)`` time index reversing each sequence within its length (padding stays put)."""
        t = torch.arange(T, device=device).unsqueeze(0)
        L = length.unsqueeze(1)
        return torch.where(t < L, L - 1 - t, t)

    def encode(self, sequence, length=None):
        """Final forward and backward states of the last biLSTM layer, ``(B, 2 h_last)``.

        With ``length=None`` every sequence fills the whole time axis: the
        plain padded computation, where padding *does* enter the states.
        """
        B, T, _ = sequence.shape
        x = self.input_dropout(sequence)
        if length is None:
            length = torch.full((B,), T, dtype=torch.int64, device=x.device)
        else:
            length = length.reshape(-1).to(x.device, torch.int64)
        # all sequences fill the axis: a plain flip reverses them (cheaper than a gather)
        rev = None if bool((length == T).all()) else self._reverse_index(length, T, x.device)
        rows = torch.arange(B, device=x.device)
        last = length - 1

        def flip(z):  # reverse within length; an involution
            if rev is None:
                return torch.flip(z, dims=[1])
            return torch.gather(z, 1, rev.unsqueeze(-1).expand(-1, -1, z.shape[-1]))

        for k, (fwd, bwd) in enumerate(zip(self.fwd, self.bwd)):
            f, _ = fwd(x)
            b_rev, _ = bwd(flip(x))
            if k == len(self.fwd) - 1:
                # forward state at the last valid step; backward state after reading back to t=0
                return torch.cat([f[rows, last], b_rev[rows, last]], dim=1)
            x = self.sequence_dropout(torch.cat([f, flip(b_rev)], dim=-1))

    def forward(self, sequence, length=None, period=None):
        """Logits ``(B, n_outputs)`` for ``sequence`` ``(B, T, C)``, ``length`` ``(B,)``, ``period`` ``(B, n_side)``."""
        z = self.recurrent_dropout(self.encode(sequence, length))
        if self.n_side:
            if period is None:
                raise ValueError(f"this network was built with n_side={self.n_side}: pass `period`.")
            z = torch.cat([z, period.reshape(len(z), -1).to(z.dtype)], dim=1)
        return self.output(self.dense_dropout(self.dense(z)))


def keras_parameter_counts(module):
    """Parameters per layer, as torch counts them and as Keras would (one LSTM bias, not two)."""
    rows = []
    for i, pair in enumerate(zip(module.fwd, module.bwd)):
        n_torch = sum(p.numel() for lstm in pair for p in lstm.parameters())
        n_keras = n_torch - sum(p.numel() for lstm in pair for n, p in lstm.named_parameters() if n.startswith("bias_hh"))
        rows.append((f"biLSTM{i + 1}", n_torch, n_keras))
    if isinstance(module.dense, nn.Sequential):
        n = sum(p.numel() for p in module.dense.parameters())
        rows.append(("dense", n, n))
    n = sum(p.numel() for p in module.output.parameters())
    rows.append(("output", n, n))
    return rows


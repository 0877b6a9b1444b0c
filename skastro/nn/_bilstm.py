"""The two-layer bidirectional LSTM of Dékány & Grebel (2020, Fig. 5, Table 1).

A pure :class:`torch.nn.Module`: every size and rate is a constructor argument,
so :class:`skastro.periodic.BiLSTMClassifier` can tune them.
"""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = ["BiLSTMModule", "keras_parameter_counts"]


def _packed_dropout(dropout, packed):
    """Apply ``dropout`` to the data of a :class:`PackedSequence` (padding never exists)."""
    return packed._replace(data=dropout(packed.data))


class BiLSTMModule(nn.Module):
    """Stacked bidirectional LSTMs over a sequence, plus a scalar side input.

    ``input dropout -> [biLSTM(h_k) -> dropout]_k -> concat(final forward state,
    final backward state) -> concat(period) -> dense(ReLU) -> dropout -> output``.

    Variable lengths are handled with packed sequences: the forward direction
    stops at each sequence's last valid step and the backward direction starts
    there, so zero padding after ``length`` cannot change the output.

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
    ):
        super().__init__()
        hidden_sizes = tuple(int(h) for h in hidden_sizes)
        if not hidden_sizes:
            raise ValueError("hidden_sizes must list at least one biLSTM layer; got ().")
        self.input_size = int(input_size)
        self.hidden_sizes = hidden_sizes
        self.n_side = int(n_side)
        self.input_dropout = nn.Dropout(input_dropout)
        self.lstms = nn.ModuleList()
        size = self.input_size
        for h in hidden_sizes:
            self.lstms.append(nn.LSTM(size, h, batch_first=True, bidirectional=True))
            size = 2 * h
        self.recurrent_dropout = nn.Dropout(recurrent_dropout)
        size += self.n_side
        if dense_size:
            self.dense = nn.Sequential(nn.Linear(size, int(dense_size)), nn.ReLU())
            size = int(dense_size)
        else:
            self.dense = nn.Identity()
        self.dense_dropout = nn.Dropout(dense_dropout)
        self.output = nn.Linear(size, int(n_outputs))

    def encode(self, sequence, length=None):
        """Final forward and backward states of the last biLSTM layer, ``(B, 2 h_last)``.

        With ``length=None`` every sequence is taken to fill the whole time axis
        (no packing: the plain padded computation).
        """
        if length is None:
            x = self.input_dropout(sequence)
            for i, lstm in enumerate(self.lstms):
                x, (h_n, _) = lstm(x)
                x = self.recurrent_dropout(x) if i < len(self.lstms) - 1 else x
        else:
            lengths = length.reshape(-1).to("cpu", torch.int64)
            x = pack_padded_sequence(sequence, lengths, batch_first=True, enforce_sorted=False)
            x = _packed_dropout(self.input_dropout, x)
            for i, lstm in enumerate(self.lstms):
                x, (h_n, _) = lstm(x)
                if i < len(self.lstms) - 1:
                    x = _packed_dropout(self.recurrent_dropout, x)
        # h_n: (2, B, h) = final forward state, final backward state (batch order restored)
        return torch.cat([h_n[0], h_n[1]], dim=1)

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
    for i, lstm in enumerate(module.lstms):
        n_torch = sum(p.numel() for p in lstm.parameters())
        n_keras = n_torch - sum(p.numel() for n, p in lstm.named_parameters() if n.startswith("bias_hh"))
        rows.append((f"biLSTM{i + 1}", n_torch, n_keras))
    if isinstance(module.dense, nn.Sequential):
        n = sum(p.numel() for p in module.dense.parameters())
        rows.append(("dense", n, n))
    n = sum(p.numel() for p in module.output.parameters())
    rows.append(("output", n, n))
    return rows


"""LensNet's branched recurrent network (Viaña et al. 2025, §6, Fig. 8)."""

import numpy as np
import torch
from torch import nn

from ._training import BatchDataset

__all__ = ["AlertDataset", "BranchedRNN"]


class AlertDataset(BatchDataset):
    """Left-padded alerts for :class:`BranchedRNN`; a batch is trimmed to its own longest branch.

    Parameters
    ----------
    x : ndarray of shape (n, n_sites, L, n_features), float32
        Real epochs at the end of each branch (``pad_branches``).
    lengths : ndarray of shape (n, n_sites)
        Real epochs per branch.
    y : ndarray of shape (n,) or None
    """

    def __init__(self, x, lengths, y=None):
        self.x, self.lengths, self.y = x, lengths, y
        self.sort_key = lengths.max(axis=1) if len(lengths) else np.zeros(0, int)

    def batch(self, idx):
        idx = np.asarray(idx)
        steps = max(int(self.sort_key[idx].max()), 1)
        xb = torch.from_numpy(np.ascontiguousarray(self.x[idx][:, :, -steps:]))
        lb = torch.from_numpy(self.lengths[idx].astype(np.int64))
        yb = None if self.y is None else torch.from_numpy(self.y[idx])
        return {"x": xb, "lengths": lb}, yb


class BranchedRNN(nn.Module):
    """One LSTM branch per site, encodings concatenated, then dense layers.

    Parameters
    ----------
    n_sites : int
        Number of branches (sites / telescopes).
    n_features : int
        Features per epoch (time, flux, flux error, context, fitted line...).
    hidden_size : int, default=32
        Size of each branch's encoding (the LSTM hidden state).
    num_layers : int, default=1
        Stacked LSTM layers per branch.
    dense_size : int, default=64
        Width of the dense layers after the merge.
    n_dense : int, default=1
        Number of hidden dense layers.
    dropout : float, default=0.1
        Dropout before each dense layer.
    n_outputs : int, default=1
        1 for a binary task (one logit, sigmoid), else one logit per class
        (softmax).
    pooling : {"last", "last+mean"}, default="last"
        Branch encoding: the LSTM output at the last real epoch (the paper's
        final encoded state) or that concatenated with the mean output over
        the real epochs (still padding-invariant).

    Notes
    -----
    ``forward(x, lengths)`` takes ``x`` of shape ``(batch, n_sites, L,
    n_features)`` *left* zero-padded (real epochs at the end, as the paper
    pads) and ``lengths`` ``(batch, n_sites)``, the number of real epochs of
    each branch. Each branch's encoding is its LSTM output at the last real
    epoch, with the epochs moved ahead of the padding, so an alert's output
    does not depend on how much it was padded; a branch with no epoch
    (a site that did not observe the star) gets a zero encoding, and one
    extra input per site says whether it had data.

    Examples
    --------
    >>> import torch
    >>> from skastro.nn._branched import BranchedRNN
    >>> net = BranchedRNN(n_sites=3, n_features=8, hidden_size=4, dense_size=8)
    >>> x = torch.zeros(2, 3, 5, 8)
    >>> lengths = torch.tensor([[5, 2, 0], [1, 0, 3]])
    >>> net(x, lengths).shape
    torch.Size([2])
    """

    def __init__(self, n_sites, n_features, hidden_size=32, num_layers=1, dense_size=64,
                 n_dense=1, dropout=0.1, n_outputs=1, pooling="last"):
        super().__init__()
        if pooling not in ("last", "last+mean"):
            raise ValueError(f"pooling must be 'last' or 'last+mean'; got {pooling!r}.")
        self.pooling = pooling
        self.n_sites = int(n_sites)
        self.n_outputs = int(n_outputs)
        self.branches = nn.ModuleList(
            nn.LSTM(n_features, hidden_size, num_layers=num_layers, batch_first=True,
                    dropout=dropout if num_layers > 1 else 0.0)
            for _ in range(self.n_sites)
        )
        per_site = hidden_size * (2 if pooling == "last+mean" else 1) + 1
        layers, width = [], self.n_sites * per_site
        for _ in range(n_dense):
            layers += [nn.Dropout(dropout), nn.Linear(width, dense_size), nn.ReLU()]
            width = dense_size
        layers += [nn.Dropout(dropout), nn.Linear(width, n_outputs)]
        self.head = nn.Sequential(*layers)

    def encode(self, x, lengths):
        """Concatenated branch encodings, shape ``(batch, n_sites * (hidden + 1))``."""
        batch, n_sites, length, _ = x.shape
        if n_sites != self.n_sites:
            raise ValueError(f"x has {n_sites} sites; the network was built for {self.n_sites}.")
        lengths = lengths.to(torch.int64)
        lasts, sums, counts = [], [], []
        steps = torch.arange(length, device=x.device)
        rows = torch.arange(batch, device=x.device)
        for s, lstm in enumerate(self.branches):
            n = lengths[:, s].clamp(min=0, max=length)
            # Move the left-padded epochs to the front and read the output at the
            # last real epoch: the padding after it cannot change it, so the
            # result does not depend on the padded length. (Packed sequences
            # would do the same but are ~20x slower to train on CPU.)
            idx = (steps.unsqueeze(0) + (length - n).unsqueeze(1)) % length
            xs = torch.gather(x[:, s], 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
            out, _ = lstm(xs)
            lasts.append(out[rows, (n - 1).clamp(min=0)])
            if self.pooling == "last+mean":
                real = (steps.unsqueeze(0) < n.unsqueeze(1)).to(out.dtype).unsqueeze(-1)
                sums.append((out * real).sum(1))
            else:
                sums.append(None)
            counts.append(n)
        return self.merge(lasts, sums, counts)

    def merge(self, lasts, sums, counts):
        """Branch encodings from each branch's last output, output sum and epoch count.

        ``lasts[s]`` and ``sums[s]`` have shape ``(batch, hidden)``,
        ``counts[s]`` ``(batch,)`` (``sums`` is read only with
        ``pooling="last+mean"``); a branch with no epoch is encoded as
        zeros and a "site missing" flag. Shared by :meth:`encode` and the
        incremental scoring, which keeps these three per branch.
        """
        codes = []
        for last, total, n in zip(lasts, sums, counts):
            present = (n > 0).to(last.dtype).unsqueeze(1)
            codes.append(last * present)
            if self.pooling == "last+mean":
                codes.append(total / n.clamp(min=1).unsqueeze(1).to(last.dtype))
            codes.append(present)
        return torch.cat(codes, dim=1)

    def step(self, site, x, state=None):
        """Feed new epochs to one branch, carrying its LSTM state.

        Parameters
        ----------
        site : int
            Branch index.
        x : torch.Tensor of shape (steps, n_features)
            The new epochs, in time order.
        state : tuple of torch.Tensor or None
            ``(h, c)`` returned by the previous call (None: a fresh branch).

        Returns
        -------
        out : torch.Tensor of shape (steps, hidden)
            The branch outputs at the new epochs (the last one is the branch's
            encoding for ``pooling="last"``).
        state : tuple of torch.Tensor
            ``(h, c)`` after the last new epoch.
        """
        out, state = self.branches[site](x.unsqueeze(0), state)
        return out[0], state

    def forward(self, x, lengths):
        out = self.head(self.encode(x, lengths))
        return out.squeeze(-1) if self.n_outputs == 1 else out

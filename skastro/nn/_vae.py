"""Fully-connected variational autoencoder for spectra (Astudillo et al. 2020, Appendix A)."""

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import Callback
from torch import nn


def vae_layer_sizes(input_dim, latent_dim, n_hidden=3):
    """Encoder widths from ``input_dim`` down to ``latent_dim`` in equal steps.

    The paper's 3,794 → 2,847 → 1,900 → 953 → 7 is ``vae_layer_sizes(3794, 7)``.

    Examples
    --------
    >>> vae_layer_sizes(3794, 7)
    [3794, 2847, 1900, 953, 7]
    """
    step = int(round((input_dim - latent_dim) / (n_hidden + 1)))
    return [input_dim, *[input_dim - k * step for k in range(1, n_hidden + 1)], latent_dim]


class SpectrumVAEModule(nn.Module):
    """Encoder (ReLU layers → μ, log σ²) and mirrored decoder with a sigmoid output.

    Parameters
    ----------
    input_dim : int
        Number of wavelength bins.
    latent_dim : int, default=7
        Size d of the latent space z.
    n_hidden : int, default=3
        Hidden layers on each side (the paper: 3).

    ``forward`` returns ``(reconstruction, mu, logvar)``; in training mode the
    reconstruction decodes a reparameterised sample of z, in eval mode μ.
    """

    def __init__(self, input_dim, latent_dim=7, n_hidden=3):
        super().__init__()
        sizes = vae_layer_sizes(input_dim, latent_dim, n_hidden)
        enc = []
        for a, b in zip(sizes[:-2], sizes[1:-1]):
            enc += [nn.Linear(a, b), nn.ReLU()]
        self.encoder = nn.Sequential(*enc)
        self.mu = nn.Linear(sizes[-2], latent_dim)
        self.logvar = nn.Linear(sizes[-2], latent_dim)
        rev = sizes[::-1]
        dec = []
        for i, (a, b) in enumerate(zip(rev[:-1], rev[1:])):
            dec.append(nn.Linear(a, b))
            dec.append(nn.ReLU() if i < len(rev) - 2 else nn.Sigmoid())
        self.decoder = nn.Sequential(*dec)

    def encode(self, x):
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        if self.training:
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        else:
            z = mu
        return self.decode(z), mu, logvar


class KLAnnealing(Callback):
    """Raise the KL weight linearly from 0 (first epoch) to 1 over ``n_epochs`` epochs."""

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs

    def on_epoch_begin(self, net, **kwargs):
        epoch = len(net.history) - 1  # 0-based; skorch has added this epoch's row
        net.kl_weight_ = min(1.0, epoch / max(1, self.n_epochs))


class VAENet(NeuralNet):
    """skorch net whose loss is the annealed ELBO: binary cross-entropy + β·KL (via ``get_loss``)."""

    kl_weight_ = 1.0

    def get_loss(self, y_pred, y_true, X=None, training=False):
        recon, mu, logvar = y_pred
        x = torch.as_tensor(X, device=recon.device, dtype=recon.dtype)
        n = x.shape[0]
        rec = F.binary_cross_entropy(recon, x, reduction="sum") / n
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / n
        beta = self.kl_weight_ if training else 1.0
        return rec + beta * kl

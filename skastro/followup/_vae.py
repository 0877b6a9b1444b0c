"""Spectral features by a fully-connected VAE (Astudillo et al. 2020, §5.3 and Appendix A)."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import TransformerMixin, _fit_context, clone
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ..nn._base import BaseTorchEstimator
from ..nn._utils import torch_threads
from ..utils._validation import preset_params

#: Settings of published VAEs: ``SpectrumVAE.from_preset(name)``.
VAE_PRESETS = {
    # Astudillo et al. (2020) §8.1 and Appendix A: z in R^7 (chosen among d = 1..15
    # by test R^2), four encoding layers (three hidden: 3,794 -> 2,847 -> 1,900 ->
    # 953 -> 7 on their 3,794-bin grid), a sigmoid output for fluxes min-max
    # normalised to [0, 1], 100 epochs with the KL weight rising from 0 to 1
    # "through training epochs" (read as over all 100). Optimiser, learning rate
    # and batch size are not stated (TensorFlow): skastro's stay.
    "astudillo2020": {"latent_dim": 7, "n_hidden": 3, "max_epochs": 100, "kl_anneal_epochs": 100,
                      "normalize": True},
}


def normalize_spectra(X):
    """Min–max normalise each spectrum (row) to [0, 1] (Appendix A preprocessing)."""
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(over="ignore"):
        span = X.max(axis=1, keepdims=True) - X.min(axis=1, keepdims=True)
    over = ~np.isfinite(span[:, 0])
    if over.any():
        # max - min beyond float64 (fluxes near 1e308 of both signs): the same min-max
        # scaling of the row divided first by its largest |flux| (was NaN, then a torch
        # error deep in the loss)
        X = X.copy()
        X[over] /= np.abs(X[over]).max(axis=1, keepdims=True)
        span = X.max(axis=1, keepdims=True) - X.min(axis=1, keepdims=True)
    lo = X.min(axis=1, keepdims=True)
    return (X - lo) / np.where(span > 0, span, 1.0)


def reconstruction_r2(X, X_hat):
    """Coefficient of determination between spectra and reconstructions (all bins pooled)."""
    X, X_hat = np.asarray(X, float), np.asarray(X_hat, float)
    ss_res = np.sum((X - X_hat) ** 2)
    ss_tot = np.sum((X - X.mean(axis=0)) ** 2)
    return 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0


class SpectrumVAE(TransformerMixin, BaseTorchEstimator):
    """Variational autoencoder that turns spectra into a few features μ(z).

    The fully-connected VAE of Astudillo et al. (2020), Appendix A: three
    ReLU hidden layers whose widths step evenly from the input length down to
    the latent size d (the paper's 3,794 → 2,847 → 1,900 → 953 → 7), a
    mirrored decoder with a sigmoid output, a binary cross-entropy
    reconstruction loss and a KL term whose weight is annealed from 0 to 1.
    ``transform`` returns the latent means μ(z), the spectral features x_s.
    Trained with skorch.

    Parameters
    ----------
    latent_dim : int, default=7
        Size d of z. :func:`choose_latent_dim` picks it by test R².
    n_hidden : int, default=3
        Hidden layers on each side.
    max_epochs : int, default=100
        Training epochs (the paper: 100).
    kl_anneal_epochs : int, default=None
        Epochs over which the KL weight rises from 0 to 1; None: half of
        ``max_epochs``.
    lr : float, default=1e-3
        Adam learning rate.
    batch_size : int, default=128
        Mini-batch size.
    normalize : bool, default=True
        Min–max normalise each spectrum to [0, 1] first (the paper's
        preprocessing). With False, inputs must already lie in [0, 1].
    device : str, default="cpu"
        torch device: ``"cpu"``, ``"cuda"``, ``"cuda:<index>"``, ``"mps"`` or
        ``"auto"`` (CUDA when available); checked at ``fit``.
    n_jobs : int, default=None
        torch CPU threads while fitting and transforming (restored afterwards);
        None keeps torch's setting, -1 uses all cores. Small nets on a busy
        machine run far faster with 1.
    random_state : int, RandomState instance or None, default=None
        Seeds torch (weights, batches, reparameterisation noise).
    verbose : int, default=0
        > 0: a progress bar of the epochs on stderr (tqdm) and the per-epoch
        table (losses, duration) on stdout; 0 prints nothing.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained network (``net_.module_`` is a
        :class:`skastro.nn._vae.SpectrumVAEModule`).
    history_ : skorch.History
        Per-epoch ``train_loss`` (the annealed ELBO).
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of wavelength bins.
    layer_sizes_ : list of int
        Encoder widths, input to latent.

    See Also
    --------
    choose_latent_dim : choose d by reconstruction R² on held-out spectra.
    InfoGainFollowupSelector : uses μ(z) as the expensive features.

    References
    ----------
    .. [1] Astudillo et al. (2020), "An Information Theory Approach on Deciding
       Spectroscopic Follow Ups", AJ 159, 16, Appendix A. doi:10.3847/1538-3881/ab557d
    .. [2] Kingma, D. P. & Welling, M. (2013), arXiv:1312.6114.

    Examples
    --------
    >>> from skastro.datasets import make_spectra
    >>> from skastro.followup import SpectrumVAE
    >>> spectra, y, _ = make_spectra(200, n_wavelengths=120, random_state=0)
    >>> vae = SpectrumVAE(latent_dim=3, max_epochs=5, n_jobs=1, random_state=0).fit(spectra)
    >>> vae.layer_sizes_
    [120, 91, 62, 33, 3]
    >>> vae.transform(spectra).shape
    (200, 3)
    """

    _parameter_constraints: dict = {
        **BaseTorchEstimator._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_hidden": [Interval(Integral, 0, None, closed="left")],
        "kl_anneal_epochs": [Interval(Integral, 0, None, closed="left"), None],
        "normalize": ["boolean"],
    }

    def __init__(
        self,
        latent_dim=7,
        *,
        n_hidden=3,
        max_epochs=100,
        kl_anneal_epochs=None,
        lr=1e-3,
        batch_size=128,
        normalize=True,
        device="cpu",
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.latent_dim = latent_dim
        self.n_hidden = n_hidden
        self.max_epochs = max_epochs
        self.kl_anneal_epochs = kl_anneal_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @classmethod
    def from_preset(cls, name, **params):
        """A VAE with the configuration of a published study.

        Parameters
        ----------
        name : {"astudillo2020"}
            ``"astudillo2020"`` (Astudillo et al. 2020, §8.1 and Appendix A):
            ``latent_dim=7``, ``n_hidden=3`` (3,794 → 2,847 → 1,900 → 953 → 7
            on the paper's 3,794-bin grid; the widths follow the input
            length), ``normalize=True`` (each spectrum to [0, 1], sigmoid
            output), ``max_epochs=100`` and the KL weight annealed from 0 to 1
            over all of them (``kl_anneal_epochs=100``; the default anneals
            over the first half). When overriding ``max_epochs``, override
            ``kl_anneal_epochs`` too. ``skastro.followup.VAE_PRESETS`` lists
            every value.
        **params
            Any other parameter (``random_state``, ``n_jobs``, ``device``...),
            or one of the preset's to override.

        Returns
        -------
        SpectrumVAE
            Unfitted; ``get_params()`` shows every setting.

        Examples
        --------
        >>> from skastro.followup import SpectrumVAE
        >>> vae = SpectrumVAE.from_preset("astudillo2020", random_state=0)
        >>> vae.latent_dim, vae.n_hidden, vae.max_epochs, vae.kl_anneal_epochs
        (7, 3, 100, 100)
        >>> SpectrumVAE.from_preset("astudillo2020", max_epochs=20, kl_anneal_epochs=20).max_epochs
        20
        """
        return cls(**preset_params(VAE_PRESETS, name, params))

    def _prepare(self, X, reset):
        X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_min_features=2 if reset else 1)
        if self.normalize:
            X = normalize_spectra(X)
        elif X.min() < 0 or X.max() > 1:
            raise ValueError(
                "SpectrumVAE with normalize=False expects fluxes in [0, 1]; got values in "
                f"[{X.min():.3g}, {X.max():.3g}]. Set normalize=True or rescale the spectra."
            )
        return X.astype(np.float32)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the VAE on spectra.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_wavelengths)
            Fluxes on a common wavelength grid.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        from ..nn._vae import vae_layer_sizes

        self._device()  # a bad device fails now
        X = self._prepare(X, reset=True)
        if self.latent_dim >= X.shape[1]:
            raise ValueError(
                f"latent_dim must be smaller than the number of wavelengths ({X.shape[1]}); "
                f"got latent_dim={self.latent_dim}."
            )
        self._seed_torch(check_random_state(self.random_state))
        self.layer_sizes_ = vae_layer_sizes(X.shape[1], self.latent_dim, self.n_hidden)
        self._train_net(X)
        return self

    def _net_spec(self):
        import torch

        from ..nn._vae import KLAnnealing, SpectrumVAEModule, VAENet

        anneal = self.kl_anneal_epochs if self.kl_anneal_epochs is not None else self.max_epochs // 2
        return VAENet, dict(
            module=SpectrumVAEModule,
            module_params=dict(input_dim=self.n_features_in_, latent_dim=self.latent_dim,
                               n_hidden=self.n_hidden),
            callbacks=[("kl_annealing", KLAnnealing(anneal))],
            criterion=torch.nn.BCELoss,  # unused: get_loss computes the ELBO
            iterator_train__shuffle=True,
        )

    def _forward(self, X):
        check_is_fitted(self)
        X = self._prepare(X, reset=False)
        with torch_threads(self.n_jobs):
            recon, mu, _ = self.net_.forward(X, training=False, device="cpu")
        return X, recon.numpy().astype(np.float64), mu.numpy().astype(np.float64)

    def transform(self, X):
        """Latent means μ(z) of the spectra: the spectral features x_s.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_wavelengths)

        Returns
        -------
        ndarray of shape (n_spectra, latent_dim)
        """
        return self._forward(X)[2]

    def reconstruct(self, X):
        """Decoded μ(z): the (normalised) spectra as the VAE reproduces them.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_wavelengths)
            Fluxes on the wavelength grid of :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_spectra, n_wavelengths)
            The reconstructions, normalised as the VAE sees its input.
        """
        return self._forward(X)[1]

    def inverse_transform(self, Z):
        """Decode latent vectors into normalised spectra.

        Parameters
        ----------
        Z : array-like of shape (n, latent_dim)

        Returns
        -------
        ndarray of shape (n, n_wavelengths)
        """
        import torch

        check_is_fitted(self)
        Z = np.asarray(Z, dtype=np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim:
            raise ValueError(f"Z must have shape (n, {self.latent_dim}); got {Z.shape}.")
        module = self.net_.module_
        module.eval()
        with torch.no_grad():
            out = module.decode(torch.as_tensor(Z, device=self.net_.device))
        return out.cpu().numpy().astype(np.float64)

    def score(self, X, y=None):
        """Reconstruction R² of the (normalised) spectra: higher is better (§5.3).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_wavelengths)
            Fluxes on the wavelength grid of :meth:`fit`.
        y : None
            Ignored.

        Returns
        -------
        float
        """
        Xn, recon, _ = self._forward(X)
        return reconstruction_r2(Xn, recon)

    def get_feature_names_out(self, input_features=None):
        """``mu0``, ``mu1``, ... (the paper's μ_i).

        Parameters
        ----------
        input_features : None
            Ignored: the output columns are latent coordinates, not
            functions of named inputs.

        Returns
        -------
        ndarray of str, shape (latent_dim,)
        """
        check_is_fitted(self)
        return np.array([f"mu{i}" for i in range(self.latent_dim)], dtype=object)


def choose_latent_dim(X_train, X_test, dims=range(1, 16), vae=None, tol=0.0):
    """Train one VAE per latent size d and pick d by reconstruction R² on test spectra (§5.3).

    Parameters
    ----------
    X_train, X_test : array-like of shape (n, n_wavelengths)
        Training and held-out spectra.
    dims : iterable of int, default=range(1, 16)
        Latent sizes to try (the paper: 1 to 15).
    vae : SpectrumVAE, default=None
        Template (cloned, ``latent_dim`` set per trial).
    tol : float, default=0.0
        Take the smallest d whose test R² is within ``tol`` of the best.

    Returns
    -------
    Bunch
        ``latent_dim`` (the choice), ``r2`` (Series of test R² by d) and
        ``estimator`` (the fitted VAE with the chosen d).

    Examples
    --------
    >>> from skastro.datasets import make_spectra
    >>> from skastro.followup import SpectrumVAE, choose_latent_dim
    >>> X, _, _ = make_spectra(160, n_wavelengths=80, random_state=0)
    >>> res = choose_latent_dim(X[:120], X[120:], dims=[1, 4],
    ...                         vae=SpectrumVAE(max_epochs=20, n_jobs=1, random_state=0))
    >>> res.latent_dim in (1, 4), list(res.r2.index)
    (True, [1, 4])
    """
    template = vae if vae is not None else SpectrumVAE()
    fitted, r2 = {}, {}
    for d in dims:
        est = clone(template).set_params(latent_dim=int(d)).fit(X_train)
        fitted[int(d)] = est
        r2[int(d)] = est.score(X_test)
    r2 = pd.Series(r2, name="test_r2")
    ok = r2.index[r2.to_numpy() >= r2.max() - tol]
    best = int(min(ok))
    return Bunch(latent_dim=best, r2=r2, estimator=fitted[best])

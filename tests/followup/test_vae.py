import numpy as np
import pytest
import torch
from sklearn.utils.estimator_checks import parametrize_with_checks

from skastro.datasets import make_followup_survey, make_spectra
from skastro.followup import SpectrumVAE, choose_latent_dim
from skastro.nn._vae import vae_layer_sizes


@parametrize_with_checks([SpectrumVAE(latent_dim=1, max_epochs=1, n_jobs=1, random_state=0)])
def test_sklearn_checks(estimator, check):
    check(estimator)


def test_layer_sizes_scale_with_input():
    assert vae_layer_sizes(3794, 7) == [3794, 2847, 1900, 953, 7]
    assert vae_layer_sizes(400, 4) == [400, 301, 202, 103, 4]


@pytest.fixture(scope="module")
def spectra():
    X, y, params = make_spectra(400, n_wavelengths=100, random_state=0)
    return X, y, params


def test_vae_learns_temperature_and_anneals(spectra):
    X, y, params = spectra
    threads_before = torch.get_num_threads()
    vae = SpectrumVAE(latent_dim=2, max_epochs=25, kl_anneal_epochs=10, lr=3e-3, batch_size=32, n_jobs=1, random_state=0).fit(X[:300])
    assert vae.score(X[300:]) > 0.5
    Z = vae.transform(X)
    assert Z.shape == (400, 2)
    assert torch.get_num_threads() == threads_before  # restored
    # the latent means carry the temperature (the continuum slope)
    r = max(abs(np.corrcoef(Z[:, j], params["temperature"])[0, 1]) for j in range(2))
    assert r > 0.7
    # KL weight rose from 0 to 1
    assert vae.net_.kl_weight_ == 1.0
    losses = vae.net_.history[:, "train_loss"]
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(vae.transform(X[:5]), SpectrumVAE(latent_dim=2, max_epochs=25, kl_anneal_epochs=10, lr=3e-3, batch_size=32, n_jobs=1, random_state=0).fit(X[:300]).transform(X[:5]), atol=1e-5)
    assert vae.inverse_transform(Z[:3]).shape == (3, 100)
    assert list(vae.get_feature_names_out()) == ["mu0", "mu1"]


def test_choose_latent_dim_prefers_the_better_reconstruction(spectra):
    X, _, _ = spectra
    res = choose_latent_dim(X[:300], X[300:], dims=[1, 4], vae=SpectrumVAE(max_epochs=20, lr=3e-3, batch_size=32, n_jobs=1, random_state=0))
    best = int(res.r2.idxmax())
    assert res.latent_dim == best and res.estimator.latent_dim == best
    assert res.estimator.score(X[300:]) == pytest.approx(res.r2[best])
    lazy = choose_latent_dim(X[:300], X[300:], dims=[1, 4], vae=SpectrumVAE(max_epochs=20, lr=3e-3, batch_size=32, n_jobs=1, random_state=0), tol=1.0)
    assert lazy.latent_dim == 1


def test_vae_bad_input(spectra):
    X, _, _ = spectra
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        SpectrumVAE(normalize=False, max_epochs=1, n_jobs=1).fit(X * 3)
    with pytest.raises(ValueError, match="latent_dim"):
        SpectrumVAE(latent_dim=200, max_epochs=1, n_jobs=1).fit(X)
    vae = SpectrumVAE(latent_dim=2, max_epochs=1, n_jobs=1).fit(X)
    with pytest.raises(ValueError, match="Z must have shape"):
        vae.inverse_transform(np.zeros((2, 3)))


def test_spectra_simulator():
    X, y, params = make_spectra(300, n_wavelengths=200, normalize=False, random_state=1)
    assert X.shape == (300, 200) and set(y) <= {"EW", "EA", "RRab", "RRc", "RRd", "RS CVn"}
    wl = params.attrs["wavelength"]
    blue = X[:, wl < 4500].mean(1) / X[:, wl > 8000].mean(1)
    assert np.corrcoef(blue, params["temperature"])[0, 1] > 0.8  # hotter is bluer
    # metal-poor RR Lyrae have weaker Ca II K than solar-metallicity contact binaries at equal T
    T = np.full(2, 6500.0)
    Xm, _, _ = make_spectra(2, n_wavelengths=2000, classes=["RRc", "EW"], temperature=T,
                            metallicity=[-1.5, 0.0], snr=(1e6, 1e6 + 1), normalize=False, random_state=0)
    wl = np.linspace(3830, 9174, 2000)
    k_line = np.argmin(abs(wl - 3934))
    cont = np.argmin(abs(wl - 4050))
    depth = 1 - Xm[:, k_line] / Xm[:, cont]
    assert depth[1] > depth[0] + 0.1
    same1 = make_spectra(5, n_wavelengths=50, random_state=3)[0]
    same2 = make_spectra(5, n_wavelengths=50, random_state=3)[0]
    np.testing.assert_array_equal(same1, same2)
    with pytest.raises(ValueError, match="classes"):
        make_spectra(2, classes=["EW", "Mira"])


def test_followup_survey_structure():
    s = make_followup_survey(3000, n_wavelengths=50, random_state=0)
    p = s.features["PeriodLS"]
    ew, rrc, rrab = (p[s.y == c] for c in ("EW", "RRc", "RRab"))
    # EW and RRc overlap in period; RRab does not
    assert abs(np.log10(ew).median() - np.log10(rrc).median()) < 0.1
    assert np.log10(rrab).median() - np.log10(rrc).median() > 0.2
    assert s.spectra.shape == (3000, 50)
    t = s.params.groupby(np.asarray(s.y))["temperature"].median()
    assert t["RRc"] - t["EW"] > 1000


# ------------------------------------------------------------- paper preset (issue 16)
def test_astudillo2020_preset_sets_the_appendix_network():
    vae = SpectrumVAE.from_preset("astudillo2020", random_state=0)
    assert (vae.latent_dim, vae.n_hidden, vae.max_epochs, vae.kl_anneal_epochs, vae.normalize) == (7, 3, 100, 100, True)
    assert vae.random_state == 0
    # the widths of the paper's network on its 3,794-bin grid
    assert vae_layer_sizes(3794, vae.latent_dim, vae.n_hidden) == [3794, 2847, 1900, 953, 7]
    fast = SpectrumVAE.from_preset("astudillo2020", max_epochs=2, kl_anneal_epochs=2, n_jobs=1, random_state=0)
    assert fast.max_epochs == 2
    X, _, _ = make_spectra(40, n_wavelengths=30, random_state=0)
    assert fast.fit(X).layer_sizes_ == [30, 24, 18, 12, 7]
    with pytest.raises(ValueError, match="Unknown preset 'paper'.*astudillo2020"):
        SpectrumVAE.from_preset("paper")


def test_fluxes_whose_range_overflows_float64_are_normalised():
    # issue 17 long fuzz run: max - min of a row near +-1e308 was inf, the normalised row
    # NaN, and fit died in torch ("all elements of input should be between 0 and 1")
    from skastro.followup._vae import normalize_spectra

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (33, 40)) * 1.5e308
    with np.errstate(over="ignore"):
        assert np.isinf(X.max(1) - X.min(1)).all()
    Z = normalize_spectra(X)
    assert np.isfinite(Z).all() and Z.min() == 0.0 and Z.max() == 1.0
    np.testing.assert_allclose(Z, normalize_spectra(X / 1.5e308), rtol=1e-12, atol=1e-12)
    ordinary = rng.uniform(0, 5, (4, 40))  # rows that fit are scaled exactly as before
    np.testing.assert_array_equal(
        normalize_spectra(ordinary),
        (ordinary - ordinary.min(1, keepdims=True)) / np.ptp(ordinary, 1, keepdims=True))
    vae = SpectrumVAE(latent_dim=2, max_epochs=1, n_jobs=1, random_state=0).fit(X)
    assert np.isfinite(vae.transform(X)).all()

"""The shared torch plumbing of skastro.nn (issue 15 item 1, issue 14 item 7, issue 18)."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from skastro.datasets import make_microlensing_alerts, make_spectra
from skastro.followup import SpectrumVAE
from skastro.microlensing import BranchedRNNClassifier
from skastro.nn import BaseTorchClassifier, BaseTorchEstimator
from skastro.nn._utils import resolve_device, torch_thread_count
from skastro.periodic import BiLSTMClassifier

from .test_golden import sequences as golden_sequences

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def sequences(n=48, T=10, seed=0):
    """Binary version of the golden tests' sequences (class 2 against the rest)."""
    X, y = golden_sequences(n=n, T=T, seed=seed)
    return X, (y == 2).astype(int)


@pytest.fixture(scope="module")
def alerts():
    return make_microlensing_alerts(40, n_days=10, random_state=0)


def bilstm(**kw):
    return BiLSTMClassifier(**{**dict(hidden_sizes=(4,), dense_size=4, max_epochs=2, batch_size=16,
                                      n_jobs=1, random_state=0), **kw})


def lensnet(**kw):
    return BranchedRNNClassifier(**{**dict(hidden_size=4, dense_size=4, max_epochs=2, batch_size=16,
                                           n_jobs=1, random_state=0), **kw})


def vae(**kw):
    return SpectrumVAE(**{**dict(latent_dim=2, max_epochs=2, batch_size=32, n_jobs=1, random_state=0), **kw})


def test_import_skastro_does_not_import_torch():
    code = ("import sys, skastro, skastro.periodic, skastro.microlensing, skastro.followup, skastro.nn; "
            "print(sorted(m for m in ('torch', 'skorch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_three_estimators_share_the_base():
    assert issubclass(BiLSTMClassifier, BaseTorchClassifier)
    assert issubclass(BranchedRNNClassifier, BaseTorchClassifier)
    assert issubclass(SpectrumVAE, BaseTorchEstimator)
    common = {"lr", "max_epochs", "batch_size", "n_jobs", "device", "random_state", "verbose"}
    classifier = common | {"early_stopping", "validation_fraction", "n_iter_no_change", "class_weight",
                           "threshold", "bucket"}
    assert classifier <= set(BiLSTMClassifier().get_params())
    assert classifier <= set(BranchedRNNClassifier().get_params())
    assert common <= set(SpectrumVAE().get_params())
    # one documented behaviour: same defaults for the shared training settings
    for name in ("early_stopping", "validation_fraction", "n_iter_no_change", "threshold", "bucket", "n_jobs",
                 "device"):
        assert BiLSTMClassifier().get_params()[name] == BranchedRNNClassifier().get_params()[name], name


@pytest.mark.parametrize("cls", [BiLSTMClassifier, BranchedRNNClassifier])
def test_parameters_are_keyword_only(cls):
    with pytest.raises(TypeError):
        cls(None)


def test_pickle_keeps_no_validation_data(alerts):
    y = alerts.meta["label_binary"].to_numpy()
    plain = lensnet().fit(alerts, y)
    monitored = lensnet(validation_fraction=0.3).fit(alerts, y)
    assert monitored.net_.train_split is None
    blob, reference = pickle.dumps(monitored), pickle.dumps(plain)
    assert b"AlertDataset" not in blob
    assert len(blob) < 1.1 * len(reference)  # the held-out alerts used to triple the size
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again.predict_proba(alerts), monitored.predict_proba(alerts))

    X, yb = sequences()
    seq = bilstm(early_stopping=True, max_epochs=3).fit(X, yb)
    assert b"SequenceDataset" not in pickle.dumps(seq)


def test_nets_are_module_level_classes():
    from skastro.nn import _training, _vae

    X, y = sequences()
    net = bilstm().fit(X, y).net_
    assert type(net) is _training.ClassifierNet
    S, _, _ = make_spectra(60, n_wavelengths=20, random_state=0)
    assert type(vae().fit(S).net_) is _vae.VAENet
    import skastro.microlensing._branched_rnn as branched
    import skastro.periodic._bilstm as periodic_bilstm

    assert not hasattr(periodic_bilstm, "__getattr__") and not hasattr(branched, "__getattr__")


@pytest.mark.parametrize("make, data", [(bilstm, "seq"), (lensnet, "alerts"), (vae, "spectra")])
@pytest.mark.parametrize("device", ["nonsense", "cuda:99", "gpu", ""])
def test_bad_device_fails_clearly_at_fit(make, data, device, alerts):
    if data == "seq":
        X, y = sequences()
    elif data == "alerts":
        X, y = alerts, alerts.meta["label_binary"].to_numpy()
    else:
        X, y = make_spectra(40, n_wavelengths=20, random_state=0)[0], None
    est = make(device=device)
    with pytest.raises(ValueError, match="device") as info:
        est.fit(X, y)
    assert type(est).__name__ in str(info.value) and repr(device) in str(info.value)


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda", "X")


def test_n_jobs_maps_to_torch_threads():
    assert torch_thread_count(None) is None
    assert torch_thread_count(3) == 3
    import joblib

    assert torch_thread_count(-1) == joblib.cpu_count()
    seen = []
    X, y = sequences(n=16)

    from skorch.callbacks import Callback

    class Record(Callback):
        def on_epoch_begin(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    class Spy(BiLSTMClassifier):
        def _callbacks(self):
            return [*super()._callbacks(), ("record", Record())]

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        Spy(hidden_sizes=(3,), dense_size=3, max_epochs=1, n_jobs=-1, random_state=0).fit(X, y)
        assert seen == [joblib.cpu_count()] and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_threshold_is_common_to_both_classifiers(alerts):
    X, y = sequences()
    clf = bilstm().fit(X, y)
    p = clf.predict_proba(X)[:, 1]
    cut = float(np.median(p))
    np.testing.assert_array_equal(clf.set_params(threshold=cut).predict(X), (p >= cut).astype(int))
    ya = alerts.meta["label_binary"].to_numpy()
    net = lensnet().fit(alerts, ya)
    pa = net.predict_proba(alerts)[:, 1]
    cut = float(np.median(pa))
    np.testing.assert_array_equal(net.set_params(threshold=cut).predict(alerts), net.classes_[(pa >= cut).astype(int)])


def test_class_weights_are_computed_alike(alerts):
    X, y = sequences()
    y = np.where(np.arange(len(y)) < 12, 1, 0)  # 12 positives, 36 negatives
    clf = bilstm(class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(clf.net_.criterion_.pos_weight.numpy(), [3.0])
    y3 = np.arange(len(y)) % 3
    y3[:6] = 0
    clf3 = bilstm(class_weight="balanced").fit(X, y3)
    counts = np.bincount(y3)
    np.testing.assert_allclose(clf3.net_.criterion_.weight.numpy(), len(y3) / (3 * counts), rtol=1e-6)
    assert bilstm().fit(X, y).net_.criterion_.pos_weight is None


def test_validation_split_is_stratified_without_groups_and_grouped_with_them(alerts):
    ya = alerts.meta["label_binary"].to_numpy()
    clf = lensnet(validation_fraction=0.25)
    rs = np.random.RandomState(0)
    tr, va = clf._validation_split(alerts, np.unique(ya, return_inverse=True)[1], rs)
    stars = alerts.meta["star_id"].to_numpy()
    assert not set(stars[tr]) & set(stars[va])
    X, y = sequences()
    tr, va = bilstm(validation_fraction=0.25)._validation_split(X, y, np.random.RandomState(0))
    assert len(va) == 12 and abs(y[va].mean() - y.mean()) < 0.1


def test_early_stopping_default_validation_fraction_is_one_tenth():
    X, y = sequences(n=60)
    clf = bilstm(early_stopping=True, max_epochs=2).fit(X, y)
    assert sum(clf.history_[-1, "batches", :, "valid_batch_size"]) == 6


def test_model_pickled_for_cuda_loads_on_a_cpu_only_machine(monkeypatch):
    """skorch maps CUDA tensors to the CPU on load; the estimator then predicts on the CPU."""
    X, y = sequences()
    clf = bilstm().fit(X, y)
    expected = clf.predict_proba(X)
    clf.net_.device = "cuda"  # as a net fitted on a GPU records it
    blob = pickle.dumps(clf)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        again = pickle.loads(blob)
    assert str(again.net_.device) == "cpu"
    np.testing.assert_allclose(again.predict_proba(X), expected, rtol=1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_loss_moves_the_targets_to_the_device_of_the_logits(n_classes):
    """Batches come from the CPU; the loss must meet the logits on their device (CUDA on a GPU).

    torch's "meta" device stands in for CUDA here: mixing it with CPU tensors fails as CUDA would.
    """
    X, y = sequences()
    net = bilstm().fit(X, y if n_classes == 2 else np.arange(len(y)) % 3).net_
    net.criterion_ = net.criterion_.to("meta")
    logits = torch.zeros((4, 1 if n_classes == 2 else 3), device="meta")
    loss = net.get_loss(logits, torch.zeros(4, dtype=torch.float32 if n_classes == 2 else torch.int64))
    assert loss.device.type == "meta"


# ----------------------------------------------------------------- CUDA only
@needs_cuda
def test_bilstm_on_cuda_end_to_end():
    X, y = sequences()
    gpu = bilstm(device="cuda", max_epochs=3, validation_fraction=0.25).fit(X, y)
    assert next(gpu.net_.module_.parameters()).is_cuda
    proba = gpu.predict_proba(X)
    assert isinstance(proba, np.ndarray) and proba.shape == (len(y), 2)
    cpu = bilstm(max_epochs=3, validation_fraction=0.25).fit(X, y)
    # same seed, same data: CUDA kernels differ in rounding only
    np.testing.assert_allclose(proba, cpu.predict_proba(X), atol=5e-3)
    loaded = pickle.loads(pickle.dumps(gpu))
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-6)


@needs_cuda
def test_lensnet_on_cuda_end_to_end(alerts):
    y = alerts.meta["label_binary"].to_numpy()
    gpu = lensnet(device="cuda", early_stopping=True, max_epochs=3, n_crops=1).fit(alerts, y)
    assert next(gpu.net_.module_.parameters()).is_cuda
    proba = gpu.predict_proba(alerts)
    cpu = lensnet(early_stopping=True, max_epochs=3, n_crops=1).fit(alerts, y)
    np.testing.assert_allclose(proba, cpu.predict_proba(alerts), atol=5e-3)
    assert gpu.predict(alerts).shape == y.shape


@needs_cuda
def test_vae_on_cuda_end_to_end():
    S, _, _ = make_spectra(80, n_wavelengths=30, random_state=0)
    gpu = vae(device="cuda").fit(S)
    Z = gpu.transform(S)
    assert isinstance(Z, np.ndarray) and Z.shape == (80, 2)
    assert gpu.inverse_transform(Z[:3]).shape == (3, 30)
    np.testing.assert_allclose(Z, vae().fit(S).transform(S), atol=5e-3)


@needs_cuda
def test_cuda_model_loads_on_cpu_for_real(monkeypatch):
    X, y = sequences()
    gpu = bilstm(device="cuda").fit(X, y)
    expected = gpu.predict_proba(X)
    blob = pickle.dumps(gpu)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        again = pickle.loads(blob)
    assert not next(again.net_.module_.parameters()).is_cuda
    np.testing.assert_allclose(again.predict_proba(X), expected, atol=1e-5)


@pytest.mark.parametrize("make, data", [(bilstm, "seq"), (lensnet, "alerts"), (vae, "spectra")])
def test_verbose_shows_an_epoch_bar_on_stderr_and_default_is_silent(make, data, alerts, capsys):
    if data == "seq":
        X, y = sequences()
    elif data == "alerts":
        X, y = alerts, alerts.meta["label_binary"].to_numpy()
    else:
        X, y = make_spectra(40, n_wavelengths=20, random_state=0)[0], None
    make().fit(X, y)
    assert capsys.readouterr() == ("", "")  # verbose=0, the default: nothing at all
    est = make(verbose=1, max_epochs=3).fit(X, y)
    out, err = capsys.readouterr()
    name = type(est).__name__
    assert f"{name}: 100%" in err and "3/3" in err and "epoch" in err and "train_loss=" in err
    assert "train_loss" in out and "3/3" not in out  # the table on stdout, the bar not
    again = pickle.loads(pickle.dumps(est))  # the bar is not kept in the fitted net
    np.testing.assert_array_equal(again.predict(X) if y is not None else again.transform(X),
                                  est.predict(X) if y is not None else est.transform(X))


def test_early_stopping_leaves_the_bar_where_training_stopped(capsys):
    X, y = sequences(n=96)
    clf = bilstm(early_stopping=True, n_iter_no_change=2, max_epochs=40, lr=1e-7, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert clf.n_iter_ < 40 and f"{clf.n_iter_}/40" in err
    assert "Stopping since valid_loss has not improved" in out

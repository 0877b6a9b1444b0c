"""BiLSTMClassifier and its torch module (Dékány & Grebel 2020, §3.4)."""

import copy
import re
import pickle

import numpy as np
import pytest
import torch
from skorch.helper import SliceDict
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import TunedThresholdClassifierCV

from skastro.nn._bilstm import BiLSTMModule, keras_parameter_counts
from skastro.periodic._bilstm import BiLSTMClassifier


def last_step_data(n=160, T=16, n_classes=2, seed=0, labels=None):
    """Variable-length sequences whose class is written only in the LAST valid step.

    A network that reads the zero padding instead of stopping at ``length``
    cannot learn this.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(n_classes, size=n)
    length = rng.integers(3, T + 1, size=n)
    seq = 0.1 * rng.normal(size=(n, T, 4)).astype(np.float32)
    seq[np.arange(T)[None, :] >= length[:, None]] = 0.0  # zero padding
    levels = np.linspace(-1, 1, n_classes)
    seq[np.arange(n), length - 1, 0] = levels[y]
    period = rng.uniform(0.3, 0.9, size=(n, 1)).astype(np.float32)
    X = SliceDict(sequence=seq, length=length.astype(np.int64), period=period)
    if labels is not None:
        y = np.asarray(labels)[y]
    return X, y


def small(**kw):
    params = dict(hidden_sizes=(8,), dense_size=8, max_epochs=12, batch_size=16, lr=0.02,
                  input_dropout=0.0, recurrent_dropout=0.0, dense_dropout=0.0, n_jobs=1, random_state=0)
    params.update(kw)
    return BiLSTMClassifier(**params)


@pytest.fixture(scope="module")
def fitted():
    X, y = last_step_data()
    return small().fit(X, y), X, y


def test_module_parameter_counts_match_table_1():
    rows = {name: (torch_n, keras_n) for name, torch_n, keras_n in keras_parameter_counts(BiLSTMModule())}
    # Table 1 of the paper (Keras counts); torch's LSTM has one more bias vector per gate
    assert rows["biLSTM1"] == (20352 + 2 * 4 * 48, 20352)
    assert rows["biLSTM2"] == (33024 + 2 * 4 * 32, 33024)
    assert rows["dense"] == (4224, 4224)
    assert rows["output"] == (65, 65)


def test_keras_initialisation():
    keras = BiLSTMModule(hidden_sizes=(6,), dense_size=5)
    lstm = keras.fwd[0]
    h = lstm.hidden_size
    forget = torch.zeros(4 * h)
    forget[h:2 * h] = 1.0            # gate order i, f, g, o
    torch.testing.assert_close(lstm.bias_ih_l0.detach(), forget)
    torch.testing.assert_close(lstm.bias_hh_l0.detach(), torch.zeros(4 * h))
    w = lstm.weight_hh_l0.detach()   # (4h, h), orthonormal columns
    torch.testing.assert_close(w.T @ w, torch.eye(h), atol=1e-5, rtol=0)
    assert torch.all(keras.output.bias == 0)
    torch_init = BiLSTMModule(hidden_sizes=(6,), dense_size=5, init="torch")
    assert torch.any(torch_init.fwd[0].bias_ih_l0 != 0)
    with pytest.raises(ValueError, match="init"):
        BiLSTMModule(init="glorot")


def test_module_ignores_padding_whatever_its_content():
    torch.manual_seed(0)
    net = BiLSTMModule(hidden_sizes=(6, 5), dense_size=7).eval()
    seq, length, period = torch.randn(5, 9, 4), torch.tensor([9, 1, 4, 7, 2]), torch.rand(5, 1)
    ref = net(seq, length, period)
    garbage = seq.clone()
    for i, L in enumerate(length):
        garbage[i, L:] = 100 * torch.randn(9 - L, 4)
    longer = torch.cat([seq, torch.randn(5, 6, 4)], dim=1)
    torch.testing.assert_close(net(garbage, length, period), ref)
    torch.testing.assert_close(net(longer, length, period), ref)
    # each sequence alone (no padding at all) gives the same output as in the batch
    for i, L in enumerate(length):
        torch.testing.assert_close(net(seq[i : i + 1, :L], length[i : i + 1], period[i : i + 1]), ref[i : i + 1])


def test_module_matches_packed_sequence_reference():
    """The fast masked computation equals torch's PackedSequence biLSTM stack (the slow reference)."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

    torch.manual_seed(1)
    net = BiLSTMModule(hidden_sizes=(6, 5), dense_size=0, n_side=0).eval()
    seq, length = torch.randn(6, 11, 4), torch.tensor([11, 1, 5, 8, 2, 11])
    x = seq
    for k, (fwd, bwd) in enumerate(zip(net.fwd, net.bwd)):
        ref = torch.nn.LSTM(fwd.input_size, fwd.hidden_size, batch_first=True, bidirectional=True)
        with torch.no_grad():
            for name, p in fwd.named_parameters():
                getattr(ref, name).copy_(p)
                getattr(ref, name + "_reverse").copy_(getattr(bwd, name))
        out, (h_n, _) = ref(pack_padded_sequence(x, length, batch_first=True, enforce_sorted=False))
        x, _ = pad_packed_sequence(out, batch_first=True, total_length=11)
    torch.testing.assert_close(net.encode(seq, length), torch.cat([h_n[0], h_n[1]], dim=1))


def test_learns_label_in_last_valid_step(fitted):
    clf, _, _ = fitted
    X_test, y_test = last_step_data(seed=1)
    assert clf.score(X_test, y_test) > 0.9


def test_estimator_padding_invariance(fitted):
    clf, X, _ = fitted
    extra = np.zeros((len(X), 11, 4), dtype=np.float32)
    padded = SliceDict(sequence=np.concatenate([X["sequence"], extra], axis=1), length=X["length"], period=X["period"])
    np.testing.assert_allclose(clf.predict_proba(padded), clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    # order of the objects in a batch does not matter either (inference sorts by length)
    perm = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(clf.predict_proba(X[perm]), clf.predict_proba(X)[perm], rtol=1e-5, atol=1e-6)


def test_multiclass_string_labels_and_proba():
    X, y = last_step_data(n=240, n_classes=3, labels=["EC", "RRab", "RRc"])
    clf = small(max_epochs=15).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, ["EC", "RRab", "RRc"])
    proba = clf.predict_proba(X)
    assert proba.shape == (240, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.net_.module_.output.out_features == 3
    assert clf.score(*last_step_data(n=240, n_classes=3, seed=1, labels=["EC", "RRab", "RRc"])) > 0.8


def test_keras_style_learning_rate_decay():
    X, y = last_step_data(n=64)
    clf = small(max_epochs=3, batch_size=16, lr=0.01, lr_decay=0.05).fit(X, y)
    iterations = 3 * 4
    lr = clf.net_.optimizer_.param_groups[0]["lr"]
    assert lr == pytest.approx(0.01 / (1 + 0.05 * iterations))
    assert clf.n_iter_ == 3 and len(clf.history_) == 3


def test_sizes_and_channels_are_parameters():
    X, y = last_step_data(n=48)
    clf = small(hidden_sizes=(5, 4, 3), dense_size=0, channels=(0, 1), use_period=False, max_epochs=1).fit(X, y)
    module = clf.net_.module_
    assert [lstm.hidden_size for lstm in module.fwd] == [5, 4, 3]
    assert module.fwd[0].input_size == 2 and module.n_side == 0
    assert module.output.in_features == 2 * 3
    assert clf.predict(X).shape == (48,)


def test_validation_split_and_early_stopping():
    X, y = last_step_data(n=96)
    clf = small(early_stopping=True, n_iter_no_change=2, max_epochs=40, lr=1e-7).fit(X, y)
    assert clf.n_iter_ < 40  # a learning rate of 1e-7 cannot keep improving the validation loss
    assert {"valid_loss", "valid_acc", "train_acc"} <= set(clf.history_[-1])
    monitored = small(validation_fraction=0.25, max_epochs=2).fit(X, y)
    assert monitored.n_iter_ == 2 and "valid_loss" in monitored.history_[-1]
    assert sum(monitored.history_[-1, "batches", :, "valid_batch_size"]) == 24


def test_verbose_prints_progress(capsys):
    X, y = last_step_data(n=32)
    small(max_epochs=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "train_acc" in out


def test_n_jobs_threads_are_restored():
    X, y = last_step_data(n=32)
    before = torch.get_num_threads()
    small(max_epochs=1, n_jobs=1).fit(X, y).predict(X)
    assert torch.get_num_threads() == before


def test_deterministic_pickle_and_plain_dict(fitted):
    clf, X, y = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    as_dict = {k: X[k] for k in X}
    np.testing.assert_array_equal(clf.predict_proba(as_dict), clf.predict_proba(X))
    twin = small().fit({k: X[k] for k in X}, y)
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))


def test_input_not_mutated():
    X, y = last_step_data(n=32)
    before = copy.deepcopy(X)
    clf = small(max_epochs=1, channels=(0, 2)).fit(X, y)
    clf.predict_proba(X)
    for k in before:
        np.testing.assert_array_equal(X[k], before[k])


def test_in_calibrated_and_tuned_threshold_classifiers():
    X, y = last_step_data(n=96, labels=["other", "RRab"])
    base = small(max_epochs=6)
    cal = CalibratedClassifierCV(base, cv=2).fit(X, y)
    assert cal.predict_proba(X).shape == (96, 2)
    tuned = TunedThresholdClassifierCV(base, cv=2, scoring="balanced_accuracy").fit(X, y)
    assert 0 < tuned.best_threshold_ < 1
    assert set(tuned.predict(X)) <= {"other", "RRab"}


def test_decision_function_is_the_positive_logit(fitted):
    clf, X, _ = fitted
    d = clf.decision_function(X)
    np.testing.assert_allclose(1 / (1 + np.exp(-d)), clf.predict_proba(X)[:, 1], rtol=1e-6)


def bad(X, **changes):
    out = {k: np.array(X[k]) for k in X}
    out.update(changes)
    return out


@pytest.mark.parametrize(
    "make_bad, error, match",
    [
        (lambda X: X["sequence"], TypeError, "SliceDict"),
        (lambda X: {"sequence": X["sequence"], "length": X["length"]}, ValueError, "period"),
        (lambda X: bad(X, sequence=np.where(np.arange(16)[None, :, None] == 0, np.nan, X["sequence"])),
         ValueError, "NaN"),
        (lambda X: bad(X, length=np.where(np.arange(len(X)) == 0, 0, X["length"])), ValueError, "length"),
        (lambda X: bad(X, length=X["length"] + 100), ValueError, "length"),
        (lambda X: bad(X, period=-X["period"]), ValueError, "period"),
        (lambda X: bad(X, sequence=X["sequence"][:, :, 0]), ValueError, "3-D"),
    ],
)
def test_bad_input_is_rejected_with_clear_errors(make_bad, error, match):
    X, y = last_step_data(n=20)
    with pytest.raises(error, match=match):
        small(max_epochs=1).fit(make_bad(X), y)


def test_bad_targets_parameters_and_unfitted_use():
    X, y = last_step_data(n=20)
    with pytest.raises(ValueError, match="2 classes"):
        small().fit(X, np.zeros(20))
    with pytest.raises(ValueError, match="one label per sequence"):
        small().fit(X, y[:-1])
    with pytest.raises(ValueError, match="channels"):
        small(channels=(0, 7)).fit(X, y)
    with pytest.raises(ValueError, match="hidden_sizes"):
        small(hidden_sizes=(8, 0)).fit(X, y)
    with pytest.raises(ValueError, match="CUDA"):
        small(device="cuda").fit(X, y) if not torch.cuda.is_available() else (_ for _ in ()).throw(ValueError("CUDA"))
    with pytest.raises(NotFittedError):
        small().predict(X)
    clf = small(max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="channels"):
        clf.predict(bad(X, sequence=X["sequence"][:, :, :3]))


def test_full_pipeline_on_simulated_light_curves_pickles_to_identical_predictions():
    from sklearn.pipeline import make_pipeline

    from skastro.datasets import make_periodic_variables
    from skastro.periodic import DualFoldSequencer, PeriodFolder

    lcs = make_periodic_variables(40, n_epochs=40, classes={"RRab": 0.5, "EC": 0.5}, random_state=0)
    y = lcs.meta["label"].to_numpy()
    pipe = make_pipeline(PeriodFolder.from_preset("dekany2020", random_state=0), DualFoldSequencer(max_length=30),
                         small(max_epochs=2))
    pipe.fit(lcs, y)
    proba = pipe.predict_proba(lcs)
    assert proba.shape == (40, 2) and list(pipe.classes_) == ["EC", "RRab"]
    again = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(again.predict_proba(lcs), proba)
    np.testing.assert_array_equal(again.predict(lcs), pipe.predict(lcs))


# ------------------------------------------------------------ the paper's preset (§3.2, §3.4)
def test_timestep_dropout_drops_whole_steps_and_is_identity_in_eval():
    from skastro.nn._bilstm import TimestepDropout

    torch.manual_seed(0)
    drop = TimestepDropout(0.3).train()
    x = torch.ones(64, 50, 6)
    out = drop(x)
    step_zero = (out == 0).all(dim=-1)
    step_kept = torch.isclose(out, torch.full_like(out, 1 / 0.7)).all(dim=-1)
    assert bool((step_zero | step_kept).all())  # every step is dropped or kept whole
    assert 0.25 < step_zero.float().mean().item() < 0.35
    assert torch.equal(drop.eval()(x), x)
    with pytest.raises(ValueError, match="p must lie in"):
        TimestepDropout(1.0)


def test_module_dropout_mode_chooses_the_sequence_dropouts():
    from skastro.nn._bilstm import TimestepDropout

    net = BiLSTMModule(dropout_mode="timestep", input_dropout=0.05, recurrent_dropout=0.15)
    assert isinstance(net.input_dropout, TimestepDropout) and net.input_dropout.p == 0.05
    assert isinstance(net.sequence_dropout, TimestepDropout) and net.sequence_dropout.p == 0.15
    assert isinstance(net.recurrent_dropout, torch.nn.Dropout)  # the final-state vector: element-wise
    assert isinstance(BiLSTMModule().input_dropout, torch.nn.Dropout)
    with pytest.raises(ValueError, match="dropout_mode"):
        BiLSTMModule(dropout_mode="spatial")
    # in training, a dropped input step is as if the step were zero for every channel
    torch.manual_seed(1)
    net = BiLSTMModule(input_size=4, hidden_sizes=(3,), dense_size=0, n_side=0, dropout_mode="timestep",
                       input_dropout=0.5, recurrent_dropout=0.0, dense_dropout=0.0).train()
    seq = torch.randn(2, 9, 4)
    seen = {}
    net.fwd[0].register_forward_hook(lambda mod, inp, out: seen.update(x=inp[0].detach()))
    net(seq, torch.tensor([9, 9]))
    x = seen["x"]
    zero = (x == 0).all(dim=-1)
    assert bool(zero.any()) and bool(((x == 0).any(dim=-1) == zero).all())


def test_from_preset_dekany2020_is_the_papers_configuration():
    clf = BiLSTMClassifier.from_preset("dekany2020", random_state=3)
    p = clf.get_params()
    assert (p["scale_inputs"], p["period_scaling"], p["dropout_mode"]) == (False, "none", "timestep")
    assert tuple(p["hidden_sizes"]) == (48, 32) and p["dense_size"] == 64
    assert (p["input_dropout"], p["recurrent_dropout"], p["dense_dropout"]) == (0.05, 0.15, 0.5)
    assert (p["lr"], p["lr_decay"], p["batch_size"], p["max_epochs"]) == (0.0015, 8e-5, 256, 300)
    assert p["validation_fraction"] is None and not p["early_stopping"] and p["random_state"] == 3
    assert BiLSTMClassifier.from_preset("dekany2020", max_epochs=5).max_epochs == 5
    with pytest.raises(ValueError, match="Unknown preset 'paper'.*dekany2020"):
        BiLSTMClassifier.from_preset("paper")


def test_preset_feeds_raw_values_and_learns():
    X, y = last_step_data(n=160)
    clf = BiLSTMClassifier.from_preset("dekany2020", hidden_sizes=(8,), dense_size=8, max_epochs=12,
                                       batch_size=16, lr=0.02, n_jobs=1, random_state=0).fit(X, y)
    assert np.array_equal(clf.channel_mean_, np.zeros(4)) and np.array_equal(clf.channel_scale_, np.ones(4))
    assert (clf.period_mean_, clf.period_scale_) == (0.0, 1.0)
    seq, length, period = clf._prepare(X)
    np.testing.assert_array_equal(seq, X["sequence"])  # the raw sequence, padding included
    np.testing.assert_array_equal(period, X["period"])  # the period in days
    assert clf.score(X, y) > 0.9


def test_lengths_of_object_dtype_are_read_when_integer_valued(fitted):
    # issue 17 fuzzing: lengths from a pandas object column were refused
    import pandas as pd

    clf, X, _ = fitted
    expected = clf.predict_proba(X)
    for length in (pd.Series(X["length"].tolist(), dtype=object).to_numpy(),
                   pd.array(X["length"], dtype="Int64").to_numpy(dtype=object),
                   X["length"].astype(np.float32)):
        assert length.dtype != np.int64
        other = SliceDict(sequence=X["sequence"], length=length, period=X["period"])
        np.testing.assert_array_equal(clf.predict_proba(other), expected)
    n = len(X["length"])
    for bad, shown in ((["3"] * n, "'3'"), ([2.5] * n, "2.5"), ([pd.NA] * n, "<NA>"),
                       ([True] * n, "True"), ([1e300] * n, "1e+300")):
        other = SliceDict(sequence=X["sequence"], length=np.array(bad, dtype=object),
                          period=X["period"])
        with pytest.raises(ValueError, match=rf"BiLSTMClassifier: X\['length'\] must be {n} "
                                             rf"integers .* values \[{re.escape(shown)}"):
            clf.predict_proba(other)

"""The RRab study (Dékány & Grebel 2020, §3.4-3.5): the held-out protocol with label cleaning."""

import json
from pathlib import Path

import numpy as np
import pytest

from skastro.experiments import fold_rrab_simulation, format_rrab_table, make_rrab_models, run_rrab_study
from skastro.experiments._rrab import _plant_label_noise
from skastro.periodic import quality_mask

TINY = dict(max_epochs=1, n_splits=2, batch_size=16, hidden_sizes=(4,), dense_size=4, max_length=30,
            log=lambda m: None)


@pytest.fixture(scope="module")
def folded():
    return fold_rrab_simulation(60, log=lambda m: None)


@pytest.fixture(scope="module")
def paper_protocol(folded, tmp_path_factory):
    out = tmp_path_factory.mktemp("rrab")
    res = run_rrab_study(n_objects=60, folded=folded, rf_trees=20, test_size=0.3, label_noise=0.25,
                         clean_labels=True, clean_with="RF features", clean_threshold=0.7, clean_max_iter=2,
                         bilstm_preset="dekany2020", out_dir=out, **TINY)
    return res, out


def test_held_out_test_set_is_stratified_and_scored_by_the_final_refits(folded, paper_protocol):
    res, out = paper_protocol
    y = (folded.meta["label"] == "RRab").to_numpy()
    s = res["scale"]
    assert s["n_train"] + s["n_test"] == len(y) == 60 and s["n_test"] == 18
    test = np.isin(folded.ids.astype(str), res["test_ids"])
    assert test.sum() == 18 and abs(y[test].mean() - y.mean()) < 0.05  # stratified
    for name, r in res["test"].items():  # the final refits, scored once on the test curves only
        assert r["all"]["n"] == 18, name
    for name, r in res["models"].items():  # cross-validation on the training part only
        assert r["all"]["n"] == s["n_train"], name
    assert "test" in format_rrab_table(res) and "test>60" in format_rrab_table(res)
    saved = json.loads((out / "bilstm_study.json").read_text())
    assert saved["test_ids"] == res["test_ids"] and len(res["figures"]) == 3


def test_label_cleaning_runs_on_the_training_part_and_finds_planted_labels(folded, paper_protocol):
    res, _ = paper_protocol
    c = res["cleaning"]
    n_train_rrab = round(0.7 * 24)  # 24 RRab among the 60 curves, stratified
    assert c["n_planted"] == round(0.25 * n_train_rrab)
    assert c["n_removed"] == len(c["removed_ids"]) == sum(c["removed_per_iteration"])
    assert not set(c["removed_ids"]) & set(res["test_ids"])  # the test set is never cleaned
    assert c["planted_removed"] >= 1  # the forest's out-of-fold predictions catch planted wrong labels
    assert res["scale"]["n_train_kept"] == res["scale"]["n_train"] - c["n_removed"]


def test_plant_label_noise_takes_rrab_from_the_given_rows_only():
    y = np.array([1, 1, 0, 1, 1, 0, 1, 1, 1, 1])
    rows = np.array([0, 1, 2, 3, 4, 5])
    planted = _plant_label_noise(y, rows, 0.5, 0)
    assert len(planted) == 2 and set(planted) <= {0, 1, 3, 4}
    np.testing.assert_array_equal(planted, _plant_label_noise(y, rows, 0.5, 0))
    assert len(_plant_label_noise(y, rows, 0.0, 0)) == 0


def test_preset_networks_and_bad_protocol_settings():
    nets = make_rrab_models(bilstm_preset="dekany2020", max_epochs=7)
    clf = nets["BiLSTM P+2P"].steps[-1][1]
    assert (clf.scale_inputs, clf.period_scaling, clf.dropout_mode, clf.max_epochs) == (False, "none", "timestep", 7)
    assert nets["BiLSTM P only"].steps[-1][1].channels == (0, 1)
    assert make_rrab_models()["BiLSTM P+2P"].steps[-1][1].scale_inputs  # defaults unchanged
    with pytest.raises(ValueError, match="need a held-out test set"):
        run_rrab_study(clean_labels=True)
    with pytest.raises(ValueError, match="need a held-out test set"):
        run_rrab_study(label_noise=0.1)
    with pytest.raises(ValueError, match="test_size must lie in"):
        run_rrab_study(test_size=1.5)
    with pytest.raises(ValueError, match="clean_with must name"):
        run_rrab_study(test_size=0.2, clean_labels=True, clean_with="SVM")


@pytest.mark.parametrize("paper", [False, True])
def test_reproduce_rows_name_their_configuration(folded, tmp_path, paper):
    from skastro.reproduce import Context
    from skastro.reproduce._periodic import _classifier

    ctx = Context(out_dir=tmp_path, data_dir=None, full=False, random_state=0, verbose=False, paper=paper)
    tiny = {k: v for k, v in TINY.items() if k != "log"}  # ctx.log (verbose=False) logs
    rows = _classifier(ctx, scale=dict(folded=folded, n_objects=60, rf_trees=5, **tiny))
    config = "[paper presets]" if paper else "[skastro defaults]"
    assert all(config in r.quantity for r in rows)
    # every key figure of the side-by-side table of --paper, in either configuration
    from skastro.reproduce._periodic import KEY_CLEANING, KEY_CV_F1, KEY_FIGURES, KEY_TEST

    assert set(ctx.keys) == set(KEY_FIGURES)
    f1 = next(r for r in rows if r.quantity.startswith("BiLSTM RRab-vs-rest F1"))
    assert ctx.keys[KEY_CV_F1] == f1.ours
    assert ("no test set" in ctx.keys[KEY_TEST]) == ("not run" in ctx.keys[KEY_CLEANING]) == (not paper)
    saved = json.loads((tmp_path / "bilstm_study.json").read_text())
    assert saved["scale"]["bilstm_preset"] == ("dekany2020" if paper else None)
    quantities = " ".join(r.quantity for r in rows)
    # the paper's protocol: a held-out test set, cleaning of the training part, a final refit
    assert ("held-out test set" in quantities) == ("label cleaning" in quantities) == paper
    if paper:
        assert saved["scale"]["test_size"] == 0.25 and saved["scale"]["clean_labels"]
        assert saved["cleaning"]["n_iter"] >= 1
    # Fig. 10: the binaries the network finds most RRab-like, out-of-fold
    fig10 = next(r for r in rows if "Fig. 10" in r.quantity)
    assert (tmp_path / fig10.ours).stat().st_size > 10_000
    n_eb = int(folded.meta["label"].isin(["EC", "ESD"]).sum()) if not paper else None
    assert "simulated binaries called RRab" in fig10.note
    if n_eb is not None:
        assert f"of {n_eb} simulated binaries" in fig10.note


DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.mark.parametrize("real", [False, True])
def test_reproduce_figures_2_and_9(folded, tmp_path, real):
    from skastro.datasets import make_periodic_variables
    from skastro.reproduce import Context
    from skastro.reproduce._periodic import _figure2, _figure9

    if real and not (DATA / "real" / "vvv_rrab_folded.csv.gz").exists():
        pytest.skip(f"real VVV data absent at {DATA}")
    lcs = make_periodic_variables(60, random_state=0)  # what fold_rrab_simulation folded
    data_dir = DATA if real else tmp_path  # a folder without the VVV files: no real panel
    ctx = Context(out_dir=tmp_path, data_dir=data_dir, full=False, random_state=0, verbose=False)
    note = _figure2(lcs, folded, tmp_path / "f2.png", ctx)
    assert (tmp_path / "f2.png").stat().st_size > 10_000
    assert note.startswith("simulated: ") and " measurements rejected" in note
    assert ("real VVV" in note) == real
    note = _figure9(folded, tmp_path / "f9.png")
    assert (tmp_path / "f9.png").stat().st_size > 10_000
    # the RRab that pass Eqs. 24-29 (no period cut), as the paper's OGLE cross-match
    sel = quality_mask(folded, "target", period_range=None) & (folded.meta["label"] == "RRab").to_numpy()
    dp = (folded.meta["period"] - folded.meta["period_input"]).abs().to_numpy()[sel]
    assert 0 < sel.sum() < (folded.meta["label"] == "RRab").sum()
    assert note.startswith(f"{sel.sum()} RRab; median {np.median(dp):.1e} d;")


def test_cumulative_metrics_equal_binary_metrics_per_threshold():
    from skastro.experiments._rrab import _cumulative_metrics, binary_metrics

    rng = np.random.default_rng(0)
    y, pred, snr = rng.integers(0, 2, 200), rng.integers(0, 2, 200), rng.uniform(10, 300, 200)
    pred[snr > 250] = 0  # precision undefined above 250 for part of the grid
    grid = [0.0, 60.0, 250.0, 299.0, 400.0]
    got = _cumulative_metrics(y, pred, snr, grid)
    for row, s in zip(got, grid):
        m = snr > s
        want = binary_metrics(y[m], pred[m]) if m.any() else dict(accuracy=0, precision=0, recall=0, f1=0)
        np.testing.assert_allclose(row, [want[k] for k in ("accuracy", "precision", "recall", "f1")])

"""The LensNet experiment's paper configuration and the reproduce figures 7, 9 and 10."""

import matplotlib.image as mpimg
import numpy as np
import pytest

from skastro.datasets import make_microlensing_alerts
from skastro.experiments import run_lensnet_experiment
from skastro.microlensing import AlertFinder
from skastro.reproduce import _lensnet

SMALL = dict(n_alerts=60, n_days=6, max_epochs=1, max_length=60, multiclass=False,
             visibility=False, random_state=0, log=lambda m: None)


@pytest.fixture(scope="module")
def paper_run():
    return run_lensnet_experiment(paper=True, **SMALL)


@pytest.fixture(scope="module")
def default_run():
    return run_lensnet_experiment(**SMALL)


def test_paper_builds_every_component_from_its_preset(paper_run, default_run):
    clf = paper_run["binary_model"]
    assert clf.n_crops == "paper" and clf.pooling == "last"
    assert clf.preprocessor_.flux_normalization == "none" and clf.preprocessor_.max_length == 1500
    # the CPU budget stays the default run's
    assert (clf.lr, clf.batch_size, clf.max_epochs) == (5e-3, 32, 1)
    # the alerts kept are those the paper's AlertFinder (every site combination) triggers on
    raw = make_microlensing_alerts(60, n_days=6, trigger=False, random_state=0)
    found = AlertFinder.from_preset("viana2025", overwrite=True).fit_transform(raw)
    assert len(paper_run["alerts"]) == int(found.meta["triggered"].sum())
    default = default_run["binary_model"]
    assert default.n_crops == 1 and default.preprocessor_.flux_normalization == "alert"


def test_learning_and_crop_figures(paper_run, tmp_path):
    clf = paper_run["binary_model"]
    # Figs. 9-10 read the per-class accuracies the training recorded
    assert len(clf.history_[-1, "valid_class_acc"]) == 2
    _lensnet._learning_figure(clf, tmp_path / "fig9.png", 9, 3000, (0.75, 0.90))
    alerts = paper_run["alerts"]
    # the paper's AlertFinder names site sets ("CTIO+SSO"): the figure shows one of them
    combined = np.flatnonzero(alerts.meta["trigger_site"].str.contains("+", regex=False).to_numpy())
    alert = alerts[[int(combined[0])]]
    site, = _lensnet._fig7(alert, None, tmp_path / "fig7.png", 0)
    assert site in alert.meta["trigger_site"].iloc[0].split("+")
    assert (np.asarray(alert.column("site")) == site).sum() > 0
    for name in ("fig9.png", "fig7.png"):
        assert mpimg.imread(tmp_path / name).shape[0] > 300
    assert _lensnet._real_event(tmp_path, lambda m: None) is None   # no real data: no panel


def test_fig7_crops_a_real_ogle_event(data_dir, tmp_path):
    event = _lensnet._real_event(data_dir, print)
    assert event.sites == ("LCO",) and event.meta["kind"].iloc[0] == "microlensing"
    assert event.lengths[0] >= 20 and np.isfinite(event.meta["t_break"].iloc[0])
    alerts = make_microlensing_alerts(30, n_days=8, random_state=0)
    _lensnet._fig7(alerts[[0]], event, tmp_path / "fig7.png", 0)
    assert mpimg.imread(tmp_path / "fig7.png").shape[1] > 900    # two columns


def test_key_figures_of_both_configurations(paper_run, default_run, tmp_path):
    from skastro.reproduce import NOT_RUN, Context, compare_key_figures

    ctxs = [Context(out_dir=tmp_path, data_dir=None, full=False, random_state=0, verbose=False, paper=paper)
            for paper in (True, False)]
    for ctx, res in zip(ctxs, (paper_run, default_run)):
        _lensnet._record_key_figures(ctx, res)
    table = {row[0]: row[1:] for row in compare_key_figures(_lensnet.KEY_FIGURES, ctxs[0].keys, ctxs[1].keys)}
    paper, preset, default = table[_lensnet.KEY_BALANCED]
    assert paper.startswith("0.875")
    assert preset.startswith(f"{paper_run['lensnet_balanced']:.3f}")
    assert default.startswith(f"{default_run['lensnet_balanced']:.3f}")
    # SMALL trains neither the 3-class model nor the visibility curves
    assert table[_lensnet.KEY_3CLASS][1:] == table[_lensnet.KEY_VISIBILITY][1:] == (NOT_RUN, NOT_RUN)
    assert all(NOT_RUN not in row for key, row in table.items()
               if key not in (_lensnet.KEY_3CLASS, _lensnet.KEY_VISIBILITY))

"""The plotting helper of the real-data benchmarks (benchmarks/real_figures.py).

The benchmarks need real data and minutes; their ``--figures`` option rests on
this helper, checked here on small synthetic inputs.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

HELPER = Path(__file__).resolve().parents[1] / "benchmarks" / "real_figures.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rf():
    spec = importlib.util.spec_from_file_location("real_figures", HELPER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_roc_and_score_figure_is_a_small_png(rf, tmp_path):
    import matplotlib.image

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(40), np.ones(30)]
    scores = {"good": y + rng.normal(0, 0.5, y.size), "random": rng.normal(size=y.size)}
    fig, axes = rf.new_figure(2)
    rf.plot_roc(axes[0], y, scores, title="synthetic")
    rf.plot_score_distributions(axes[1], y, scores["good"], ("negative", "positive"))
    path = rf.save(fig, tmp_path, "roc.png")
    assert path == tmp_path / "roc.png"
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) < 150_000
    height, width, _ = matplotlib.image.imread(path).shape
    assert (width, height) == (840, 340)  # 2 x 4.2 in by 3.4 in at 100 dpi
    from sklearn.metrics import roc_auc_score

    legend = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert legend == [f"{name} (AUC {roc_auc_score(y, s):.3f})" for name, s in scores.items()]


def test_folded_panel_puts_one_period_per_unit_phase(rf, tmp_path):
    t = np.linspace(0, 10, 200)
    period = 0.7
    fig, (ax,) = rf.new_figure(1)
    rf.plot_folded(ax, t, np.sin(2 * np.pi * t / period), period, np.where(t < 5, "g", "r"))
    phases = np.concatenate([c.get_offsets()[:, 0] for c in ax.collections])
    assert phases.min() >= 0 and phases.max() < 2 and ax.yaxis_inverted()
    rf.save(fig, tmp_path, "folded.png")
    with pytest.raises(ValueError, match="period must be a positive number"):
        rf.plot_folded(ax, t, t, 0.0)


def test_recall_at_fpr_uses_the_negative_quantile(rf):
    negative = np.arange(100) / 100.0          # 0.00 ... 0.99
    positive = np.array([0.5, 0.95, 0.985, 1.0])
    recall = rf.recall_at_fpr(negative, positive, [0.0, 0.02, 0.5])
    # thresholds 0.99, 0.9702, 0.495: 1, 2 and 4 of the 4 positives reach them
    np.testing.assert_allclose(recall, [0.25, 0.5, 1.0])


def test_refuses_a_missing_directory_and_bad_input(rf, tmp_path):
    missing = tmp_path / "no_such_folder"
    with pytest.raises(FileNotFoundError, match="no_such_folder.*not an existing directory"):
        rf.check_directory(missing)
    fig, (ax,) = rf.new_figure(1)
    with pytest.raises(FileNotFoundError, match="not an existing directory"):
        rf.save(fig, missing, "x.png")
    with pytest.raises(ValueError, match="must end in .png"):
        rf.save(fig, tmp_path, "x.svg")
    assert not missing.exists() and not (tmp_path / "x.svg").exists()
    with pytest.raises(ValueError, match="both classes"):
        rf.plot_roc(ax, np.zeros(5), {"s": np.arange(5.0)})
    with pytest.raises(ValueError, match="'s'.*1 values are NaN"):
        rf.plot_roc(ax, [0, 1, 0, 1], {"s": [0.1, np.nan, 0.2, 0.3]})
    with pytest.raises(ValueError, match="one score per label"):
        rf.plot_score_distributions(ax, [0, 1, 0, 1], [0.1, 0.2], ("a", "b"))
    with pytest.raises(ValueError, match=r"shape \(groups, labels\)"):
        rf.plot_fractions(ax, ["g", "r"], [[0.5, 0.6, 0.7]], ["method"])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rf.recall_at_fpr([0.1, 0.2], [0.3], [1.5])

"""plot_folded: panels, phase conventions and errors."""

import matplotlib
import numpy as np
import pytest

from skastro import LightCurves
from skastro.periodic import PeriodFolder, plot_folded

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def folded():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 300, 80))
    curves = [14 + 0.2 * np.sin(2 * np.pi * t / p) + rng.normal(0, 0.01, 80) for p in (0.61, 0.43, 0.77)]
    curves[0][5] += 2.0  # an outlier, drawn as a cross
    lcs = LightCurves.from_arrays([t] * 3, curves, [np.full(80, 0.01)] * 3, ids=["a", "b", "c"])
    return PeriodFolder(random_state=0).fit_transform(lcs)


def test_one_panel_per_object_with_both_cycles(folded):
    import matplotlib.pyplot as plt

    fig = plot_folded(folded, ncols=2)
    assert len(fig.axes) == 3
    ax = fig.axes[0]
    assert ax.get_xlim() == (0, 2) and ax.yaxis_inverted()
    assert ax.get_title().startswith("a  P = 0.6") and ax.get_title().endswith("ok")
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert sum(line.get_xdata().size for line in crosses) == 2  # one outlier, two cycles
    plt.close(fig)


def test_max_light_phase_and_given_axes(folded):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert plot_folded(folded, ["b"], phase="max_light", cycles=1, axes=ax) is fig
    x = np.concatenate([line.get_xdata() for line in ax.lines if line.get_marker() == "o"])
    lc = folded[1]
    expected = np.mod((lc.time - lc.meta["t0"].iloc[0]) / lc.meta["period"].iloc[0], 1)
    np.testing.assert_allclose(np.sort(x), np.sort(expected[~lc.column("outlier")]))
    plt.close(fig)


def test_errors_name_what_is_wrong(folded):
    with pytest.raises(ValueError, match="phase"):
        plot_folded(LightCurves.from_arrays([np.arange(5.0)], [np.ones(5)], [np.ones(5)]))
    with pytest.raises(ValueError, match="'z'"):
        plot_folded(folded, ["z"])
    with pytest.raises(ValueError, match="phase must be"):
        plot_folded(folded, phase="peak")
    with pytest.raises(TypeError, match="LightCurves"):
        plot_folded(np.zeros(3))

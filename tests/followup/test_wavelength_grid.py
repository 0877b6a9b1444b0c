import numpy as np
import pytest

from skastro.followup import common_wavelength_grid, resample_spectra


def test_flux_conserving_averages_whole_pixels():
    """Output bins of 4 input pixels: the mean of those 4 fluxes, and the integral is kept."""
    rng = np.random.default_rng(0)
    wl = np.arange(100) + 0.5  # pixel edges 0, 1, ..., 100
    flux = rng.uniform(1, 2, 100)
    out = resample_spectra([wl], [flux], grid=np.arange(25) * 4 + 2.0)  # edges 0, 4, ..., 100
    np.testing.assert_allclose(out.flux[0], flux.reshape(25, 4).mean(axis=1), rtol=1e-12)
    assert out.flux[0].sum() * 4 == pytest.approx(flux.sum())
    assert out.complete.tolist() == [True]


def test_linear_is_exact_for_a_linear_spectrum_and_both_keep_the_own_grid():
    wl = np.sort(np.random.default_rng(1).uniform(4000, 5000, 300))
    flux = 3.0 + 0.002 * wl
    grid = np.linspace(4100, 4900, 57)
    out = resample_spectra([wl], [flux], grid, method="linear")
    np.testing.assert_allclose(out.flux[0], 3.0 + 0.002 * grid, rtol=1e-12)
    for method in ("linear", "flux_conserving"):
        same = resample_spectra([wl], [flux], wl, method=method)
        np.testing.assert_allclose(same.flux[0], flux, rtol=1e-12)


def test_uncovered_and_bad_pixels_are_masked():
    wl = [np.arange(4000.0, 4010.0), np.arange(4004.0, 4020.0)]
    fl = [np.ones(10), 2 * np.ones(16)]
    fl[1][8] = np.nan  # a bad pixel at 4012 Å
    before = [f.copy() for f in fl]
    grid = np.arange(4001.0, 4016.0, 2.0)  # bin edges 4000, 4002, ..., 4016
    for method, n_covered in (("flux_conserving", 4), ("linear", 5)):
        out = resample_spectra(wl, fl, grid, method=method)
        # whole bins inside the pixels' edges (3999.5-4009.5 Å), or centres inside 4000-4009 Å
        assert out.mask[0].tolist() == [True] * n_covered + [False] * (8 - n_covered)
        assert np.isnan(out.flux[~out.mask]).all() and np.isfinite(out.flux[out.mask]).all()
        assert not out.complete.any()
        # only the bins that draw on 4012 Å lose their value
        # 4013 Å interpolates between 4012 and 4013; 4011 Å falls on a good pixel (linear) but its
        # bin 4010-4012 Å reaches into the bad one (flux-conserving)
        lost = [4011.0, 4013.0] if method == "flux_conserving" else [4013.0]
        assert out.mask[1].tolist() == [g > 4003.0 and g not in lost for g in grid]
    for f, g in zip(fl, before):  # input never mutated
        np.testing.assert_array_equal(f, g)


def test_common_grid_follows_the_papers_percentile_rule():
    rng = np.random.default_rng(0)
    loglam = np.log10(3500.0) + 1e-4 * np.arange(9000)  # SDSS pixels: 1e-4 dex
    starts = rng.integers(0, 500, 200)
    ends = rng.integers(8000, 9000, 200)
    wl = [10 ** loglam[s:e] for s, e in zip(starts, ends)]
    grid = common_wavelength_grid(wl)
    first = np.sort([w[0] for w in wl])
    assert grid[0] == first[int(0.99 * 199)]  # an actual first pixel: 198 of 200 start there or before
    last = np.sort([w[-1] for w in wl])
    assert grid[-1] == pytest.approx(last[2], rel=1e-9)  # 198 of 200 end there or later
    np.testing.assert_allclose(np.diff(np.log10(grid)), 1e-4, rtol=1e-6)
    # the grid lies on the pixel lattice: every spectrum that reaches both ends covers it
    for method in ("flux_conserving", "linear"):
        out = resample_spectra(wl, [np.ones(w.size) for w in wl], grid, method=method)
        reach = np.array([w[0] <= grid[0] * (1 + 1e-12) and w[-1] >= grid[-1] * (1 - 1e-12) for w in wl])
        np.testing.assert_array_equal(out.complete, reach)
        assert out.complete.mean() >= 0.98  # 99 % reach each end
        np.testing.assert_allclose(out.flux[out.complete], 1.0)
    # bins of 10 pixels: the spectra that reach both ends still cover every bin, flux is kept
    coarse = common_wavelength_grid(wl, step=1e-3)
    np.testing.assert_allclose(np.diff(np.log10(coarse)), 1e-3, rtol=1e-6)
    assert grid[0] < coarse[0] < grid[10] and coarse[-1] < grid[-1]
    out = resample_spectra(wl, [np.ones(w.size) for w in wl], coarse)
    assert out.complete[reach].all() and out.complete.mean() < 1
    np.testing.assert_allclose(out.flux[out.complete], 1.0)
    # the paper's SDSS grid: 3,830-9,174 Å at 1e-4 dex is 3,794 bins
    sdss = 3830.0 * 10 ** (1e-4 * np.arange(4000))
    paper = common_wavelength_grid([sdss[sdss <= 9174.0]])
    assert paper.size == 3794 and paper[0] == pytest.approx(3830.0) and 9172 < paper[-1] <= 9174
    lin = common_wavelength_grid([np.arange(10.0, 20.0), np.arange(12.0, 25.0)], coverage=1.0, spacing="linear")
    np.testing.assert_allclose(lin, np.arange(12.0, 20.0))


def test_bad_input():
    wl, fl = [np.arange(5.0), np.arange(5.0)], [np.ones(5), np.ones(5)]
    with pytest.raises(ValueError, match="spectrum 1 must increase strictly; pixel 3"):
        resample_spectra([wl[0], np.array([0.0, 1.0, 2.0, 2.0, 3.0])], fl, [1.0, 2.0])
    with pytest.raises(ValueError, match="spectrum 0 has 5 wavelengths but flux of shape \\(4,\\)"):
        resample_spectra(wl, [np.ones(4), np.ones(5)], [1.0, 2.0])
    with pytest.raises(ValueError, match="2 wavelength arrays but 1 flux arrays"):
        resample_spectra(wl, fl[:1], [1.0, 2.0])
    with pytest.raises(ValueError, match="overlaps none of the 2 spectra"):
        resample_spectra(wl, fl, [100.0, 101.0])
    with pytest.raises(ValueError, match="grid must be"):
        resample_spectra(wl, fl, [2.0, 1.0])
    with pytest.raises(ValueError, match="method"):
        resample_spectra(wl, fl, [1.0, 2.0], method="cubic")
    with pytest.raises(ValueError, match="NaN or infinity"):
        resample_spectra([np.array([0.0, np.nan])], [np.ones(2)], [1.0, 2.0])
    with pytest.raises(ValueError, match="share no wavelength range"):
        common_wavelength_grid([np.arange(0.0, 5.0), np.arange(10.0, 15.0)], coverage=1.0, spacing="linear")
    with pytest.raises(ValueError, match="coverage"):
        common_wavelength_grid(wl, coverage=0.2)
    with pytest.raises(ValueError, match="positive wavelengths"):
        common_wavelength_grid(wl)  # starts at 0 Å
    with pytest.raises(ValueError, match="increase strictly"):
        common_wavelength_grid([np.array([3.0, 2.0, 1.0])], spacing="linear")

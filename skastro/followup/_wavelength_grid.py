"""Real spectra onto one wavelength grid (Astudillo et al. 2020, §6.4 and Appendix A).

SDSS spectra share a pixel spacing but start and end at different wavelengths;
a fully-connected VAE needs one input grid. :func:`common_wavelength_grid`
chooses the grid as the paper does, :func:`resample_spectra` puts every
spectrum on it and says which bins it covers.
"""

from numbers import Real

import numpy as np
from sklearn.utils import Bunch

_METHODS = ("flux_conserving", "linear")


def _as_spectra(wavelengths, fluxes=None, name="resample_spectra"):
    """Lists of float 1-D arrays, checked: equal counts and lengths, >= 2 finite increasing wavelengths."""
    def split(a, what):
        if isinstance(a, np.ndarray) and a.dtype != object:
            if a.ndim == 1:
                a = a[None, :]
            if a.ndim != 2:
                raise ValueError(f"{name}: {what} must be a sequence of 1-D arrays or a 2-D array; "
                                 f"got an array of shape {a.shape}.")
            return [np.asarray(r, dtype=float) for r in a]
        try:
            return [np.asarray(r, dtype=float) for r in a]
        except (TypeError, ValueError):
            raise ValueError(f"{name}: {what} must hold numbers, one array per spectrum.") from None

    wl = split(wavelengths, "wavelengths")
    if not wl:
        raise ValueError(f"{name}: no spectra given.")
    for i, w in enumerate(wl):
        if w.ndim != 1 or w.size < 2:
            raise ValueError(f"{name}: the wavelengths of spectrum {i} must be a 1-D array of at least 2 "
                             f"values; got shape {w.shape}.")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}: the wavelengths of spectrum {i} contain NaN or infinity.")
        if not np.all(np.diff(w) > 0):
            j = int(np.flatnonzero(np.diff(w) <= 0)[0])
            raise ValueError(f"{name}: the wavelengths of spectrum {i} must increase strictly; "
                             f"pixel {j + 1} ({w[j + 1]:g}) follows {w[j]:g}.")
    if fluxes is None:
        return wl
    fl = split(fluxes, "fluxes")
    if len(fl) != len(wl):
        raise ValueError(f"{name}: {len(wl)} wavelength arrays but {len(fl)} flux arrays.")
    for i, (w, f) in enumerate(zip(wl, fl)):
        if f.shape != w.shape:
            raise ValueError(f"{name}: spectrum {i} has {w.size} wavelengths but flux of shape {f.shape}.")
    return wl, fl


def _edges(centres):
    """Pixel edges: midpoints between centres, the outer ones half a pixel out."""
    mid = 0.5 * (centres[1:] + centres[:-1])
    return np.r_[2 * centres[0] - mid[0], mid, 2 * centres[-1] - mid[-1]]


def common_wavelength_grid(wavelengths, *, coverage=0.99, spacing="log", step=None):
    """The wavelength grid that most spectra cover, chosen as in Astudillo et al. (2020, §6.4).

    The grid starts at the ``coverage`` quantile of the spectra's first
    wavelengths and ends at the ``1 - coverage`` quantile of their last ones
    (both actual pixels: the nearest on the safe side), so that at least a
    fraction ``coverage`` of the spectra reaches each end (the
    paper: the 99th percentile, 3,830–9,174 Å for SDSS DR14, 3,794 bins).
    The spacing is the spectra's own: the median pixel step, in log10 λ for
    ``spacing="log"`` (SDSS pixels are 10⁻⁴ dex wide) or in λ for
    ``spacing="linear"``.

    Parameters
    ----------
    wavelengths : sequence of 1-D arrays, or 2-D array
        Each spectrum's wavelengths (strictly increasing, any unit).
    coverage : float, default=0.99
        Fraction of the spectra that must reach each end of the grid.
    spacing : {"log", "linear"}, default="log"
        Whether the grid is uniform in log10 λ or in λ.
    step : float, default=None
        Grid step (dex for ``"log"``, wavelength units for ``"linear"``);
        None: the median pixel step of the spectra. A coarser step gives
        wider bins for :func:`resample_spectra` to average pixels into; the
        outer bins then end where the end pixels end.

    Returns
    -------
    ndarray of shape (n_bins,)
        Increasing wavelengths.

    Raises
    ------
    ValueError
        When the chosen start is not below the chosen end (the spectra share
        no common range at this ``coverage``), or on malformed wavelengths.

    See Also
    --------
    resample_spectra : put spectra on the grid.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.followup import common_wavelength_grid
    >>> loglam = 3.5 + 1e-4 * np.arange(6000)          # an SDSS-like pixel lattice
    >>> wl = [10 ** loglam[s:s + 5000] for s in (0, 300, 600)]
    >>> grid = common_wavelength_grid(wl, coverage=1.0)
    >>> round(float(grid[0])), round(float(grid[-1])), grid.size
    (3631, 9998, 4400)
    """
    if not isinstance(coverage, Real) or not 0.5 <= coverage <= 1:
        raise ValueError(f"common_wavelength_grid: coverage must be in [0.5, 1]; got {coverage!r}.")
    if spacing not in ("log", "linear"):
        raise ValueError(f"common_wavelength_grid: spacing must be 'log' or 'linear'; got {spacing!r}.")
    wl = _as_spectra(wavelengths, name="common_wavelength_grid")
    if spacing == "log" and min(w[0] for w in wl) <= 0:
        raise ValueError("common_wavelength_grid: spacing='log' needs positive wavelengths.")
    # actual first and last pixels, so that the grid lies on the spectra's pixel lattice
    start = float(np.quantile([w[0] for w in wl], coverage, method="lower"))
    end = float(np.quantile([w[-1] for w in wl], 1 - coverage, method="higher"))
    if not start < end:
        raise ValueError(
            f"common_wavelength_grid: the spectra share no wavelength range at coverage={coverage}: "
            f"{coverage:.0%} of them start at or before {start:g} but only reach {end:g}."
        )
    axis = (lambda w: np.log10(w)) if spacing == "log" else (lambda w: w)
    pixel = float(np.median(np.concatenate([np.diff(axis(w)) for w in wl])))
    if step is None:
        step = pixel
    elif not isinstance(step, Real) or not step > 0:
        raise ValueError(f"common_wavelength_grid: step must be a positive number; got {step!r}.")
    # coarser bins than the pixels: the outer bins' edges, not centres, meet the end pixels' edges
    lo, hi = axis(start) + (step - pixel) / 2, axis(end) - (step - pixel) / 2
    n = int(np.floor((hi - lo) / step + 1e-6)) + 1  # + 1e-6: rounding of log10
    grid = lo + step * np.arange(n)
    return 10**grid if spacing == "log" else grid


def resample_spectra(wavelengths, fluxes, grid, *, method="flux_conserving"):
    """Resample spectra, each with its own wavelengths, onto one grid, with a coverage mask.

    ``"flux_conserving"`` treats every pixel as a bin of constant flux
    density between the midpoints to its neighbours and averages it over each
    output bin, so the integrated flux over any range of whole output bins is
    kept (as SpectRes does; right for rebinning to coarser pixels).
    ``"linear"`` interpolates the flux at the grid wavelengths (right for
    grids as fine as the data). NaN fluxes mark bad pixels: an output bin
    that draws on one is masked. Bins outside a spectrum's range (by more than
    1 % of a pixel) are masked too; Astudillo et al. (2020, §6.4) dismiss every
    spectrum that does not cover the whole grid (``complete``).

    Parameters
    ----------
    wavelengths : sequence of 1-D arrays, or 2-D array
        Each spectrum's wavelengths, strictly increasing, in the grid's unit.
    fluxes : sequence of 1-D arrays, or 2-D array
        Each spectrum's flux densities, one per wavelength (NaN: bad pixel).
    grid : array-like of shape (n_bins,)
        Output wavelengths (bin centres), strictly increasing, e.g. from
        :func:`common_wavelength_grid`.
    method : {"flux_conserving", "linear"}, default="flux_conserving"
        Resampling rule.

    Returns
    -------
    Bunch
        ``flux`` (ndarray of shape (n_spectra, n_bins), NaN where masked),
        ``mask`` (bool, same shape, True where the bin is covered by good
        pixels), ``complete`` (bool of shape (n_spectra,), every bin covered)
        and ``grid``.

    Raises
    ------
    ValueError
        On wavelengths that do not increase strictly, a flux array whose
        length differs from its wavelengths', a grid that is not strictly
        increasing, or a grid that overlaps none of the spectra.

    See Also
    --------
    common_wavelength_grid : the paper's choice of the grid.
    SpectrumVAE : takes ``flux[complete]`` as its input.

    Examples
    --------
    >>> import numpy as np
    >>> from skastro.followup import resample_spectra
    >>> wl = [np.arange(4000.0, 4010.0), np.arange(4004.0, 4020.0)]
    >>> fl = [np.ones(10), 2 * np.ones(16)]
    >>> out = resample_spectra(wl, fl, grid=[4005.0, 4006.0, 4007.0])
    >>> out.flux.tolist(), out.complete.tolist()
    ([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]], [True, True])
    >>> part = resample_spectra(wl, fl, grid=np.arange(4001.0, 4016.0, 2.0))
    >>> part.mask.sum(axis=1).tolist(), part.complete.tolist()   # bins covered of 8
    ([4, 6], [False, False])
    """
    if method not in _METHODS:
        raise ValueError(f"resample_spectra: method must be one of {_METHODS}; got {method!r}.")
    wl, fl = _as_spectra(wavelengths, fluxes)
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.isfinite(grid)) or not np.all(np.diff(grid) > 0):
        raise ValueError("resample_spectra: grid must be a 1-D array of at least 2 finite, strictly "
                         f"increasing wavelengths; got {grid.size} value(s).")
    out = np.full((len(wl), grid.size), np.nan)
    g_edges = _edges(grid)
    for i, (w, f) in enumerate(zip(wl, fl)):
        bad = ~np.isfinite(f)
        # a bin overhanging the end by < 1 % of a pixel is covered (rounding, and log-uniform
        # grids whose edges are arithmetic midpoints)
        tol = 0.01 * np.diff(w).min()
        if method == "linear":
            inside = (grid >= w[0] - tol) & (grid <= w[-1] + tol)
            # a bin is bad when either neighbouring pixel is
            right = np.clip(np.searchsorted(w, grid, side="left"), 1, w.size - 1)
            ok = inside & ~bad[right - 1] & ~bad[right]
            out[i, ok] = np.interp(grid[ok], w, np.where(bad, 0.0, f))
        else:
            e = _edges(w)
            e[0], e[-1] = e[0] - tol, e[-1] + tol  # the end pixels reach over the tolerance
            width = np.diff(e)
            cum = np.r_[0.0, np.cumsum(np.where(bad, 0.0, f) * width)]
            cum_bad = np.r_[0.0, np.cumsum(bad * width)]
            inside = (g_edges[:-1] >= e[0]) & (g_edges[1:] <= e[-1])
            lo, hi = np.interp(g_edges[:-1], e, cum), np.interp(g_edges[1:], e, cum)
            bad_out = np.interp(g_edges[1:], e, cum_bad) - np.interp(g_edges[:-1], e, cum_bad)
            ok = inside & (bad_out <= 0)
            out[i, ok] = ((hi - lo) / np.diff(g_edges))[ok]
    mask = np.isfinite(out)
    if not mask.any():
        raise ValueError(
            f"resample_spectra: the grid ({grid[0]:g}–{grid[-1]:g}) overlaps none of the {len(wl)} "
            f"spectra (they span {min(w[0] for w in wl):g}–{max(w[-1] for w in wl):g})."
        )
    return Bunch(flux=out, mask=mask, complete=mask.all(axis=1), grid=grid)

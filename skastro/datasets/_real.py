"""Loaders for the real survey light curves of ``real/`` (issue 13; read from a path).

Each loader takes the folder that holds ``real/`` (the data root, e.g.
``../shared/data``, as :func:`load_plasticc` does) and returns a
:class:`~skastro.LightCurves` in magnitudes with the labels and periods in
``meta``. The files are the development halves described in ``real/README.md``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves
from ._loaders import _require

__all__ = ["load_stripe82_rrlyrae", "load_ztf_bts", "load_ogle2", "load_vvv_rrab"]

# SDSS marks a missing measurement with magerr = 99.999 (and a meaningless mag).
_SDSS_NO_MEASUREMENT = 99.0
# OGLE-II times are HJD - 2450000; some source files give the full HJD.
_HJD_OFFSET = 2450000.0
# VVV Ks observations of the inner bulge: 2010-2015 (Dékány & Grebel 2020, §2).
_VVV_BASELINE_DAYS = 1800.0


def _read(data_dir, name, what):
    return pd.read_csv(_require(Path(data_dir) / "real" / name, what))


def load_stripe82_rrlyrae(data_dir):
    """Load the SDSS Stripe 82 RR Lyrae of Sesar et al. (2010), ugriz.

    Reads ``real/stripe82_rrlyrae.csv.gz`` and
    ``real/stripe82_rrlyrae_periods.csv`` under ``data_dir``. Times are MJD,
    values SDSS (asinh) magnitudes in the bands ``u g r i z`` (SDSS filters:
    lower-case ``r`` here is not ZTF's ``R``). Measurements SDSS marks as
    missing (``magerr = 99.999``; three u-band points in the development
    half) are dropped.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``real/``.

    Returns
    -------
    LightCurves
        ``meta``: ``period`` (days, Sesar et al.), ``rr_type`` (``"ab"`` or
        ``"c"``) and ``label`` (``"RRab"`` or ``"RRc"``).

    Examples
    --------
    >>> from skastro.datasets import load_stripe82_rrlyrae
    >>> load_stripe82_rrlyrae("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Stripe 82 RR Lyrae light curves not found at /nonexistent/real/stripe82_rrlyrae.csv.gz. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    table = _read(data_dir, "stripe82_rrlyrae.csv.gz", "Stripe 82 RR Lyrae light curves")
    periods = _read(data_dir, "stripe82_rrlyrae_periods.csv", "Stripe 82 RR Lyrae periods")
    meta = pd.DataFrame(
        {"period": periods["Per"].to_numpy(dtype=np.float64),
         "rr_type": periods["Type"].to_numpy(dtype=str)},
        index=pd.Index(periods["Num"].to_numpy(), name="object_id"),
    )
    meta["label"] = "RR" + meta["rr_type"]
    table = table[table["magerr"] < _SDSS_NO_MEASUREMENT]
    table = table.assign(band=pd.Categorical(table["band"], categories=list("ugriz")))
    return LightCurves.from_pandas(table, time="time", value="mag", error="magerr",
                                   band="band", meta=meta)


def load_ztf_bts(data_dir):
    """Load the ZTF Bright Transient Survey Type Ia supernovae, g and R.

    Reads ``real/ztf_bts_snia.csv.gz`` under ``data_dir``. Times are MJD,
    values ZTF PSF magnitudes. The bands keep ZTF's names, ``"g"`` and
    ``"R"``: ZTF's r filter (``"R"``) is neither SDSS ``r`` nor Johnson R,
    so a model fitted on SDSS bands sees ``"R"`` as an unknown band until
    the caller maps it explicitly (and the mapping is then the caller's
    assumption: colour terms of a few hundredths of a magnitude).

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``real/``.

    Returns
    -------
    LightCurves
        ``meta``: ``label`` (``"SN Ia"`` for all). Some objects have a single
        observation.

    Examples
    --------
    >>> from skastro.datasets import load_ztf_bts
    >>> load_ztf_bts("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: ZTF BTS supernovae not found at /nonexistent/real/ztf_bts_snia.csv.gz. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    table = _read(data_dir, "ztf_bts_snia.csv.gz", "ZTF BTS supernovae")
    table = table.assign(band=pd.Categorical(table["band"], categories=["g", "R"]))
    lcs = LightCurves.from_pandas(table, time="time", value="mag", error="magerr", band="band")
    return lcs.with_meta(label=np.full(len(lcs), "SN Ia"))


def load_ogle2(data_dir):
    """Load the OGLE-II bulge microlensing events and variable stars, I band.

    Reads ``real/ogle2_events_and_variables.csv.gz`` under ``data_dir``.
    Times are HJD - 2450000 for every object: the source gives the variable
    stars in full HJD, which is converted here (without it the two classes
    would be told apart by their time stamps alone). All observations come
    from one site (the Warsaw telescope at Las Campanas): band ``"I"``,
    site ``"LCO"``.

    Note the two classes were observed differently: the events span about
    950 days (three bulge seasons, 116-280 epochs), the variables about 90
    days of one season (11-44 epochs). A classifier must not be judged on the
    full light curves, which such survey differences separate; see
    ``benchmarks/bench_real_lensnet.py`` for an alert-like view.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``real/``.

    Returns
    -------
    LightCurves
        ``meta``: ``label`` (1 = microlensing event, 0 = variable star) and
        ``kind`` (``"microlensing"`` or ``"variable"``).

    Examples
    --------
    >>> from skastro.datasets import load_ogle2
    >>> load_ogle2("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: OGLE-II light curves not found at /nonexistent/real/ogle2_events_and_variables.csv.gz. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    table = _read(data_dir, "ogle2_events_and_variables.csv.gz", "OGLE-II light curves")
    time = table["time"].to_numpy(dtype=np.float64)
    time = np.where(time > _HJD_OFFSET, time - _HJD_OFFSET, time)
    table = table.assign(time=time, band="I", site="LCO")
    labels = table.groupby("object_id", sort=False)["label"].first()
    meta = pd.DataFrame({"label": labels.to_numpy(dtype=np.int64)},
                        index=pd.Index(labels.index, name="object_id"))
    meta["kind"] = np.where(meta["label"] == 1, "microlensing", "variable")
    return LightCurves.from_pandas(table, time="time", value="mag", error="magerr",
                                   band="band", site="site", meta=meta)


def load_vvv_rrab(data_dir, *, baseline=_VVV_BASELINE_DAYS, random_state=0):
    """Load the VVV Ks RRab stars of Dékány & Grebel (2020), times rebuilt.

    Reads ``real/vvv_rrab_folded.csv.gz`` (phase-folded light curves binned
    to one point per epoch, phase aligned so the first Fourier term has zero
    phase, shown over phases 0-1.5) and ``real/vvv_rrab_catalogue.csv``
    under ``data_dir``. The repeated half cycle (phase ≥ 1) is dropped.

    The files hold no times, so times are rebuilt: the epoch at phase
    ``phi`` gets ``t = (k + phi) * P`` with ``P`` the catalogue period and
    ``k`` a cycle number drawn uniformly (seeded) from
    ``0 .. floor(baseline / P) - 1``, i.e. the epochs are spread over a
    ``baseline``-day survey like VVV's 2010-2015. The light-curve shape,
    phase coverage, number of epochs and noise are real; the sampling in
    time is not. So the set tests how a classifier responds to real RRab
    shapes at the catalogue period and S/N; it does not test period
    search, which on these times is circular (the data are exactly
    periodic at ``P`` by construction, without VVV's cadence aliases, and
    ``P`` comes from the authors' own search).

    Errors are not in the files; each epoch gets the object's residual
    scatter implied by the catalogue S/N (Eq. 14 of the paper,
    ``S/N = A sqrt(N_ep) / sigma``): ``sigma = totamp_k sqrt(N_ep) / snr``.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``real/``.
    baseline : float, default=1800.0
        Days over which the epochs are spread (must exceed the longest
        period).
    random_state : int, RandomState instance or None, default=0
        Seeds the cycle numbers.

    Returns
    -------
    LightCurves
        Band ``"Ks"``. ``meta``: ``period`` (days), ``label`` (``"RRab"``),
        the catalogue columns ``Name``, ``RA``, ``DEC``, ``meanmag_k``,
        ``totamp_k``, ``aper``, ``snr``, ``prob``, ``remark`` and
        ``n_epochs``.

    Examples
    --------
    >>> from skastro.datasets import load_vvv_rrab
    >>> load_vvv_rrab("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: VVV RRab folded light curves not found at /nonexistent/real/vvv_rrab_folded.csv.gz. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    folded = _read(data_dir, "vvv_rrab_folded.csv.gz", "VVV RRab folded light curves")
    catalogue = _read(data_dir, "vvv_rrab_catalogue.csv", "VVV RRab catalogue")
    folded = folded[folded["phase"] < 1.0]
    meta = catalogue.drop(columns=["crossid_gaia", "crossid_ogle"]).set_index("id")
    meta.index.name = "object_id"
    meta["label"] = "RRab"
    n_epochs = folded.groupby("object_id").size()
    meta["n_epochs"] = n_epochs.reindex(meta.index).to_numpy()
    if not baseline > meta["period"].max():
        raise ValueError(
            f"baseline must exceed the longest period ({meta['period'].max():.3f} d); "
            f"got {baseline!r}."
        )
    period = meta["period"].reindex(folded["object_id"].to_numpy()).to_numpy()
    n_cycles = np.floor(baseline / period)
    rng = check_random_state(random_state)
    cycle = np.floor(rng.uniform(size=len(folded)) * n_cycles)
    sigma = (meta["totamp_k"] * np.sqrt(meta["n_epochs"]) / meta["snr"])
    table = folded.assign(
        time=(cycle + folded["phase"].to_numpy()) * period,
        error=sigma.reindex(folded["object_id"].to_numpy()).to_numpy(),
        band="Ks",
    )
    return LightCurves.from_pandas(table, time="time", value="mag", error="error",
                                   band="band", meta=meta)

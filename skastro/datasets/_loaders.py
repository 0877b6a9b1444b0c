"""Loaders for the real data sets used by the benchmarks (read from a path, no network)."""

from pathlib import Path

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves

__all__ = ["load_plasticc", "load_css_fats", "PLASTICC_BANDS", "PLASTICC_CLASSES"]

PLASTICC_BANDS = ("u", "g", "r", "i", "z", "y")
PLASTICC_CLASSES = {
    92: "RR Lyrae", 16: "eclipsing binary", 53: "Mira", 88: "AGN", 65: "M-dwarf flare",
    6: "microlensing", 90: "SN Ia", 67: "SN Ia-91bg", 52: "SN Iax", 42: "SN II",
    62: "SN Ibc", 95: "SLSN-I", 15: "TDE", 64: "kilonova",
}
# Classes whose difference flux sits on a constant template flux (Soraisam et al. §5.2).
PERSISTENT_CLASSES = (92, 16, 53, 88, 65)
ZERO_POINT = 27.5


def _require(path, what):
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"{what} not found at {path}. Pass the folder that holds the real data "
            "(e.g. ../shared/data; see README, 'Real data')."
        )
    return path


def load_plasticc(data_dir, *, magnitudes=True, classes=None):
    """Load the PLAsTiCC training set (Kessler et al. 2019) as ``LightCurves``.

    Reads ``plasticc/plasticc_train_lightcurves.csv.gz`` and
    ``plasticc/plasticc_train_metadata.csv`` under ``data_dir``.

    With ``magnitudes=True`` (default), fluxes become AB magnitudes with
    zero-point 27.5 as Soraisam et al. (2020, §5.2) do: for persistent
    variables (RR Lyrae, eclipsing binaries, Miras, AGN, M-dwarf flares) the
    template flux ``tflux_<band>`` is added to the difference flux first.
    Observations whose (total) flux is not positive have no magnitude and are
    dropped; objects left with no observation are dropped too (their count is
    in ``lcs.meta.attrs["n_dropped_objects"]``). Errors propagate as
    ``1.0857 · flux_err / flux``.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``plasticc/``.
    magnitudes : bool, default=True
        Convert to magnitudes; else keep the difference fluxes
        (``value_kind="flux"``).
    classes : sequence of int, default=None
        Keep only these ``target`` codes (see ``PLASTICC_CLASSES``).

    Returns
    -------
    LightCurves
        Bands ``u g r i z y``; context column ``detected``; ``meta`` holds the
        metadata table (``target``, ``ddf_bool``, ``tflux_*`` ...) plus
        ``class_name``.

    Examples
    --------
    >>> from skastro.datasets import load_plasticc
    >>> load_plasticc("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: PLAsTiCC light curves not found at /nonexistent/plasticc/plasticc_train_lightcurves.csv.gz. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    root = Path(data_dir) / "plasticc"
    lc_path = _require(root / "plasticc_train_lightcurves.csv.gz", "PLAsTiCC light curves")
    meta_path = _require(root / "plasticc_train_metadata.csv", "PLAsTiCC metadata")
    meta = pd.read_csv(meta_path).set_index("object_id")
    meta["class_name"] = meta["target"].map(PLASTICC_CLASSES)
    table = pd.read_csv(lc_path)
    if classes is not None:
        meta = meta[meta["target"].isin(classes)]
        table = table[table["object_id"].isin(meta.index)]
    table = table.assign(passband=pd.Categorical.from_codes(table["passband"], PLASTICC_BANDS))
    table = table.rename(columns={"detected_bool": "detected"})
    if not magnitudes:
        return LightCurves.from_pandas(table, id="object_id", time="mjd", value="flux",
                                       error="flux_err", band="passband",
                                       context=["detected"], meta=meta)
    flux = table["flux"].to_numpy(dtype=np.float64)
    obj_meta = meta.reindex(table["object_id"].to_numpy())
    persistent = obj_meta["target"].isin(PERSISTENT_CLASSES).to_numpy()
    band_pos = table["passband"].cat.codes.to_numpy()
    tflux = obj_meta[[f"tflux_{b}" for b in PLASTICC_BANDS]].to_numpy()[np.arange(len(table)), band_pos]
    total = np.where(persistent, flux + tflux, flux)
    keep = total > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = ZERO_POINT - 2.5 * np.log10(total)
        mag_err = 2.5 / np.log(10) * table["flux_err"].to_numpy() / total
    table = table.assign(mag=mag, mag_err=mag_err)[keep]
    kept_ids = pd.unique(table["object_id"])
    n_dropped = len(meta) - len(kept_ids)
    lcs = LightCurves.from_pandas(table, id="object_id", time="mjd", value="mag", error="mag_err",
                                  band="passband", context=["detected"], meta=meta)
    lcs.meta.attrs["n_dropped_objects"] = n_dropped
    return lcs


def load_css_fats(data_dir):
    """Load the Catalina Sky Survey FATS features with their class labels.

    Reads ``css_fats/fats.csv`` (55 FATS features per object, ``ID`` = CSS
    numeric id) and ``css_fats/keys.csv`` (the CSS×SDSS cross-match with the
    labels of Drake et al. 2014), as used by Astudillo et al. (2020). Objects
    without a label are dropped; an id listed with several labels keeps the
    first.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``css_fats/``.

    Returns
    -------
    pandas.DataFrame
        Index ``css_id``; the feature columns, then ``label`` (str) and
        ``sloan_file``.

    Examples
    --------
    >>> from skastro.datasets import load_css_fats
    >>> load_css_fats("/nonexistent")
    Traceback (most recent call last):
    ...
    FileNotFoundError: CSS FATS features not found at /nonexistent/css_fats/fats.csv. Pass the folder that holds the real data (e.g. ../shared/data; see README, 'Real data').
    """
    root = Path(data_dir) / "css_fats"
    fats = pd.read_csv(_require(root / "fats.csv", "CSS FATS features"))
    keys = pd.read_csv(_require(root / "keys.csv", "CSS labels"))
    keys = keys.drop_duplicates("css_num_ID").set_index("css_num_ID")
    fats = fats.set_index("ID")
    fats.index.name = "css_id"
    joined = fats.join(keys[["label", "sloan_file"]], how="inner")
    return joined

"""Simulated multi-band persistent variables and transients (for the novelty detector)."""

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves

__all__ = ["make_transients", "VARIABLE_CLASSES", "TRANSIENT_CLASSES"]

VARIABLE_CLASSES = ("RR Lyrae", "eclipsing binary", "AGN", "M-dwarf flare")
TRANSIENT_CLASSES = ("SN-like",)
_BANDS = ("u", "g", "r", "i", "z", "y")
# Mean colour relative to r (rough, per class) and amplitude ratio relative to g.
_COLOUR = {
    "RR Lyrae": dict(u=1.2, g=0.25, r=0.0, i=-0.1, z=-0.15, y=-0.2),
    "eclipsing binary": dict(u=1.4, g=0.5, r=0.0, i=-0.2, z=-0.3, y=-0.35),
    "AGN": dict(u=0.3, g=0.2, r=0.0, i=-0.1, z=-0.2, y=-0.25),
    "M-dwarf flare": dict(u=3.5, g=1.5, r=0.0, i=-1.2, z=-1.8, y=-2.1),
}
_PULSE_RATIO = dict(u=1.3, g=1.0, r=0.8, i=0.65, z=0.6, y=0.55)
_AGN_RATIO = dict(u=1.4, g=1.2, r=1.0, i=0.85, z=0.75, y=0.7)
_FLARE_RATIO = dict(u=1.0, g=0.45, r=0.15, i=0.06, z=0.04, y=0.03)
_LIMIT = 24.5  # faint limit: fainter points have errors > 0.1 mag and are dropped


def _per_object_range(value, n, rng, name):
    if isinstance(value, Integral):
        lo = hi = int(value)
    else:
        lo, hi = (int(v) for v in value)
    if lo < 1 or hi < lo:
        raise ValueError(f"{name} must be a positive int or a (low, high) pair; got {value!r}.")
    return rng.randint(lo, hi + 1, size=n)


def make_transients(n_variables=500, n_transients=20, *, bands=("u", "g", "r", "i", "z"),
                    n_epochs=(15, 40), baseline=365.0, variable_mix=None,
                    id_prefix="obj", random_state=None):
    """Simulate a survey field of persistent variables with a few transients.

    A seeded, vectorised stand-in for the PLAsTiCC population of Soraisam et
    al. (2020, §5): the "common" sources are persistent variables of four
    kinds, and the rare ones are supernova-like transients.

    - ``"RR Lyrae"``: periods 0.3-0.9 d, skewed (fast-rise) pulses of
      0.4-1.0 mag in g, larger in the blue;
    - ``"eclipsing binary"``: periods 0.5-5 d, grey eclipses 0.2-0.8 mag deep
      lasting 5-15 % of the orbit;
    - ``"AGN"``: red-noise (damped-random-walk-like) variability, a sum of
      sinusoids with a DRW power spectrum (timescale 50-500 d, structure
      function 0.1-0.3 mag), bluer is more variable;
    - ``"M-dwarf flare"``: quiescent red stars with rare, short flares
      (decay 0.05-0.5 d) of 1-4 mag in u and much less in the red;
    - transients (``"SN-like"``): a Bazin rise-and-decline in flux (rise
      2-10 d, fall 15-80 d, faster in the blue so colours redden), peak
      19-22.5 mag, exploding at a random time inside the baseline.

    Each band is observed ``n_epochs`` times at random times over
    ``baseline`` days. Noise grows towards the faint limit (24.5 mag);
    points fainter than it are dropped, as the §5 selection drops points with
    errors above 0.1 mag (a transient keeps at least its 3 brightest points).

    Parameters
    ----------
    n_variables : int, default=500
        Number of persistent variables (the common population).
    n_transients : int, default=20
        Number of transients (the novelties).
    bands : sequence of str, default=("u", "g", "r", "i", "z")
        Subset of ``ugrizy``.
    n_epochs : int or (int, int), default=(15, 40)
        Observations per band and object (drawn per object when a range).
    baseline : float, default=365.0
        Days.
    variable_mix : dict of str to float, default=None
        Class proportions of the variables; default equal.
    id_prefix : str, default="obj"
        Object ids are ``f"{id_prefix}{i}"``.
    random_state : int, RandomState or None, default=None
        Seed.

    Returns
    -------
    LightCurves
        Magnitudes with a ``band`` column; ``meta`` holds ``label`` and
        ``is_transient``. Variables come first, then transients.

    Examples
    --------
    >>> from skastro.datasets import make_transients
    >>> lcs = make_transients(n_variables=20, n_transients=2, random_state=0)
    >>> len(lcs), lcs.bands
    (22, ('g', 'i', 'r', 'u', 'z'))
    >>> int(lcs.meta["is_transient"].sum())
    2
    """
    rng = check_random_state(random_state)
    bands = tuple(bands)
    if not bands or any(b not in _BANDS for b in bands):
        raise ValueError(f"bands must be a non-empty subset of {_BANDS}; got {bands!r}.")
    if n_variables < 0 or n_transients < 0 or n_variables + n_transients < 1:
        raise ValueError(
            f"need n_variables, n_transients >= 0 and at least one object; got "
            f"{n_variables}, {n_transients}."
        )
    mix = dict.fromkeys(VARIABLE_CLASSES, 1.0) if variable_mix is None else dict(variable_mix)
    unknown = set(mix) - set(VARIABLE_CLASSES)
    if unknown:
        raise ValueError(f"variable_mix keys must be in {VARIABLE_CLASSES}; got {sorted(unknown)}.")
    names = list(mix)
    p = np.array([mix[k] for k in names], dtype=float)
    labels = list(np.asarray(names)[rng.choice(len(names), size=n_variables, p=p / p.sum())])
    labels += ["SN-like"] * n_transients
    n = len(labels)
    labels = np.array(labels, dtype=object)
    nb = len(bands)
    n_ep = _per_object_range(n_epochs, n, rng, "n_epochs")
    per_obj = n_ep * nb
    obj = np.repeat(np.arange(n), per_obj)
    band_idx = np.concatenate([np.repeat(np.arange(nb), k) for k in n_ep])
    t = rng.uniform(0.0, baseline, size=obj.size)
    bname = np.asarray(bands)[band_idx]

    base = rng.uniform(16.0, 21.5, size=n)  # r-band mean magnitude
    colour = np.zeros(obj.size)
    for cls, table in _COLOUR.items():
        sel = labels[obj] == cls
        colour[sel] = np.array([table[b] for b in bands])[band_idx[sel]]
    mag = base[obj] + colour
    lab = labels[obj]

    sel = lab == "RR Lyrae"
    if sel.any():
        period = rng.uniform(0.3, 0.9, n)
        amp = rng.uniform(0.4, 1.0, n)
        ph0 = rng.uniform(0, 1, n)
        phase = (t / period[obj] + ph0[obj]) % 1.0
        shape = np.where(phase < 0.15, phase / 0.15, 1.0 - (phase - 0.15) / 0.85)  # 0..1
        ratio = np.array([_PULSE_RATIO[b] for b in bands])[band_idx]
        mag[sel] -= (amp[obj] * ratio * (shape - 0.4))[sel]

    sel = lab == "eclipsing binary"
    if sel.any():
        period = 10 ** rng.uniform(np.log10(0.5), np.log10(5.0), n)
        depth = rng.uniform(0.2, 0.8, n)
        width = rng.uniform(0.05, 0.15, n)
        ph0 = rng.uniform(0, 1, n)
        phase = (t / period[obj] + ph0[obj]) % 1.0
        d1 = np.minimum(phase, 1 - phase)
        d2 = np.abs(phase - 0.5)
        ecl = depth[obj] * (np.clip(1 - d1 / (width[obj] / 2), 0, None)
                            + 0.5 * np.clip(1 - d2 / (width[obj] / 2), 0, None))
        mag[sel] += ecl[sel]

    sel = lab == "AGN"
    if sel.any():
        n_freq = 12
        tau = 10 ** rng.uniform(np.log10(50), np.log10(500), n)
        sf = rng.uniform(0.1, 0.3, n)
        freqs = 10 ** rng.uniform(np.log10(1 / 3000.0), np.log10(1 / 3.0), (n, n_freq))
        psd = 1.0 / (1.0 + (2 * np.pi * freqs * tau[:, None]) ** 2)
        weights = np.sqrt(psd / psd.sum(axis=1, keepdims=True)) * rng.rayleigh(1.0, (n, n_freq))
        phases = rng.uniform(0, 2 * np.pi, (n, n_freq))
        ratio = np.array([_AGN_RATIO[b] for b in bands])[band_idx]
        idx = np.flatnonzero(sel)
        o = obj[idx]
        signal = np.sum(weights[o] * np.sin(2 * np.pi * freqs[o] * t[idx, None] + phases[o]),
                        axis=1)
        mag[idx] += sf[o] * ratio[idx] * signal

    sel = lab == "M-dwarf flare"
    if sel.any():
        n_flares = 8
        start = rng.uniform(-1.0, baseline, (n, n_flares))
        decay = 10 ** rng.uniform(np.log10(0.05), np.log10(0.5), (n, n_flares))
        peak = rng.uniform(1.0, 4.0, (n, n_flares))  # u-band magnitudes
        ratio = np.array([_FLARE_RATIO[b] for b in bands])[band_idx]
        idx = np.flatnonzero(sel)
        o = obj[idx]
        dt = t[idx, None] - start[o]
        boost = np.where(dt >= 0, (10 ** (0.4 * peak[o]) - 1) * np.exp(-np.clip(dt, 0, None)
                                                                       / decay[o]), 0.0)
        mag[idx] -= 2.5 * np.log10(1.0 + ratio[idx] * boost.sum(axis=1))

    sel = lab == "SN-like"
    if sel.any():
        t0 = rng.uniform(0.1 * baseline, 0.7 * baseline, n)
        rise = rng.uniform(2.0, 10.0, n)
        fall = rng.uniform(15.0, 80.0, n)
        peak_mag = rng.uniform(19.0, 22.5, n)
        blue = np.array([{"u": 0.45, "g": 0.65, "r": 1.0, "i": 1.2, "z": 1.3, "y": 1.35}[b]
                         for b in bands])[band_idx]
        col = np.array([{"u": 0.2, "g": 0.0, "r": 0.05, "i": 0.2, "z": 0.3, "y": 0.35}[b]
                        for b in bands])[band_idx]
        x = (t - t0[obj])
        flux = np.exp(-x / (fall[obj] * blue)) / (1 + np.exp(-x / rise[obj]))
        grid = np.linspace(-60.0, 300.0, 721)
        shape = np.exp(-grid / fall[:, None]) / (1 + np.exp(-grid / rise[:, None]))
        flux = flux / shape.max(axis=1)[obj]
        with np.errstate(divide="ignore"):
            sn_mag = peak_mag[obj] + col - 2.5 * np.log10(np.maximum(flux, 1e-30) * 4.0)
        mag[sel] = sn_mag[sel]

    noise = 0.005 + 0.1 * 10 ** (0.4 * (mag - _LIMIT))
    value = mag + rng.normal(0.0, 1.0, mag.size) * noise
    keep = mag < _LIMIT
    # every object keeps at least its 3 brightest points
    order = np.lexsort((mag, obj))
    starts = np.r_[0, np.cumsum(per_obj)][:-1]
    rank = np.empty(obj.size, dtype=np.int64)
    rank[order] = np.arange(obj.size) - np.repeat(starts, per_obj)
    keep |= rank < 3
    meta = pd.DataFrame(
        {"label": labels.astype(str), "is_transient": labels == "SN-like"},
        index=pd.Index([f"{id_prefix}{i}" for i in range(n)], name="object_id"),
    )
    table = pd.DataFrame({
        "object_id": meta.index.to_numpy()[obj[keep]], "time": t[keep], "mag": value[keep],
        "mag_err": np.minimum(noise[keep], 0.1), "band": bname[keep],
    })
    return LightCurves.from_pandas(table, id="object_id", time="time", value="mag",
                                   error="mag_err", band="band", meta=meta)

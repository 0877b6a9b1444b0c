"""Simulated KMTNet AlertFinder candidates for LensNet (Viaña et al. 2025)."""

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._lightcurves import LightCurves

__all__ = ["make_microlensing_alerts", "MICROLENSING_KINDS", "KMTNET_SITES"]

KMTNET_SITES = ("CTIO", "SAAO", "SSO")
_SURVEY_SITES = {"kmtnet": KMTNET_SITES, "ogle": ("LCO",)}
# What each simulated candidate is, and the label a human reviewer gives it (§4).
MICROLENSING_KINDS = {
    "pspl": "Yes",          # single-lens Paczyński event, cut during the rise
    "planet": "Yes",        # ... with a planetary anomaly on the rise
    "bleed": "Maybe",       # bleed trail of a brightening saturated neighbour
    "spike": "Maybe",       # diffraction spike of a brightening bright neighbour
    "variable": "No",       # contamination by a nearby periodic variable
    "irregular": "No",      # red-noise (irregular) variability that happens to rise
    "systematics": "No",    # a bad-weather / high-airmass stretch at one site
    "outburst": "No",       # a fast outburst (dwarf-nova-like), much too fast for lensing
}
_DEFAULT_MIX = {"Yes": 0.38, "Maybe": 0.24, "No": 0.38}
_KIND_MIX = {
    "Yes": {"pspl": 0.85, "planet": 0.15},
    # §4.2: ghosts (echoes of a real event within 20") and events that were
    # not yet clear were removed from "Maybe"; only image-level false positives remain
    "Maybe": {"bleed": 0.55, "spike": 0.45},
    "No": {"variable": 0.35, "irregular": 0.3, "systematics": 0.2, "outburst": 0.15},
}
# night centre (fraction of a UT day), clear-night probability, median seeing ("),
# sky level, relative flux scale of the site's reference image
_SITE_PROPS = {
    "CTIO": (0.22, 0.80, 1.05, 900.0),
    "SAAO": (0.92, 0.62, 1.55, 1100.0),
    "SSO": (0.58, 0.55, 1.75, 1000.0),
    "LCO": (0.22, 0.75, 1.30, 900.0),   # OGLE's Warsaw telescope, Las Campanas
}
_CADENCE_TIERS_H = (0.5, 1.0, 2.5, 5.0)        # field cadences of Fig. 3 (hours)
_CADENCE_PROBS = (0.15, 0.35, 0.30, 0.20)
_MAX_ATTEMPTS = 50   # draws of a star that saw no clear night before giving up
_PIXEL = 0.4                                   # arcsec per pixel
# OGLE-like single-site survey (survey="ogle"): the bulge season in days of the
# year (mid-February to late October), weather as clear and cloudy spells
# (clear fraction, mean clear spell in nights), epochs on an observed night (1,
# 2 or 3), and the range of per-field probabilities of a visit on a clear night:
# 0.2-0.6 gives ~0.3 epochs a night on average, OGLE-II's ~250 bulge epochs
# over three seasons (Udalski et al. 2000).
_OGLE_SEASON = (40.0, 300.0)
_OGLE_WEATHER = (0.75, 6.0)
_OGLE_REPEATS = (0.93, 0.05, 0.02)
_OGLE_VISIT = (0.2, 0.6)
_DOY_OFFSET = 116.0 - 9340.0                   # simulated t = 9340 on day 116 (2021 Apr 26)
# OGLE I-band DIA noise, flux variance = floor^2 F^2 + F / gain + background:
# ~0.01 mag at I = 15, 0.05 at I = 18, 0.15 at I = 20 (Udalski et al. 1997;
# Wozniak 2000), the background scaled by the epoch's sky and seeing
_OGLE_NOISE = (0.005, 19.0, 1.7e4)
_ZP = 28.0                                     # flux = 10**(-0.4 (I - ZP))


def _magnification(t, t0, tE, u0):
    u2 = u0 ** 2 + ((t - t0) / tE) ** 2
    return (u2 + 2) / np.sqrt(u2 * (u2 + 4))


def _u_of_a(a):
    return np.sqrt(2 * a / np.sqrt(a * a - 1) - 2)


def _site_epochs(rng, site, t_start, t_end, cadence_h, index):
    centre, p_clear, seeing_med, sky0 = _SITE_PROPS.get(
        site, (rng.uniform(), 0.65, 1.4, 1000.0))
    night_len = rng.uniform(6.5, 9.0) / 24.0
    days = np.arange(np.floor(t_start) - 1, np.ceil(t_end) + 1)
    step = cadence_h / 24.0
    times, seeing, skies = [], [], []
    for day in days:
        if rng.uniform() > p_clear:
            continue
        start = day + centre - night_len / 2
        t = start + rng.uniform(0, step) + np.arange(0.0, night_len, step)
        t = t + rng.normal(0, 0.08 * step, t.size)
        if rng.uniform() < 0.3:                       # clouds for part of the night
            a, b = np.sort(rng.uniform(start, start + night_len, 2))
            t = t[(t < a) | (t > b)]
        t = t[np.arange(t.size) % 10 != index % 10]   # every 10th slot is a V image
        if t.size:
            times.append(t)
            seeing.append(np.full(t.size, seeing_med * rng.lognormal(0, 0.25)))
            skies.append(np.full(t.size, sky0 * rng.lognormal(0, 0.2)))
    return _conditions(rng, times, seeing, skies, t_start, t_end, centre, night_len)


def _ogle_epochs(rng, site, t_start, t_end, p_visit):
    """One epoch (sometimes 2-3) on the clear nights a field is visited, in season."""
    centre, _, seeing_med, sky0 = _SITE_PROPS.get(site, (rng.uniform(), 0.75, 1.3, 900.0))
    night_len = rng.uniform(7.0, 10.0) / 24.0
    days = np.arange(np.floor(t_start) - 1, np.ceil(t_end) + 1)
    clear_frac, clear_spell = _OGLE_WEATHER
    p_end_clear = 1.0 / clear_spell
    p_end_cloudy = p_end_clear * clear_frac / (1 - clear_frac)
    clear = rng.uniform() < clear_frac
    doy = (days + _DOY_OFFSET) % 365.25
    in_season = (doy >= _OGLE_SEASON[0]) & (doy <= _OGLE_SEASON[1])
    times, seeing, skies = [], [], []
    for day, season in zip(days, in_season):
        clear = rng.uniform() >= (p_end_clear if clear else 1 - p_end_cloudy)
        if not (season and clear and rng.uniform() < p_visit):
            continue
        n = 1 + rng.choice(3, p=_OGLE_REPEATS)
        slots = np.sort(rng.choice(np.arange(-3, 4), n, replace=False))   # 1 h apart at least
        t = day + centre + slots * night_len / 8 + rng.uniform(-0.02, 0.02, n)
        times.append(t)
        seeing.append(np.full(n, seeing_med * rng.lognormal(0, 0.25)))
        skies.append(np.full(n, sky0 * rng.lognormal(0, 0.2)))
    return _conditions(rng, times, seeing, skies, t_start, t_end, centre, night_len)


def _conditions(rng, times, seeing, skies, t_start, t_end, centre, night_len):
    """Airmass, FWHM (pixels) and sky of each epoch from its night's seeing and sky."""
    if not times:
        return None
    t = np.concatenate(times)
    keep = (t >= t_start) & (t <= t_end)
    if not keep.any():
        return None
    t, seeing, sky = t[keep], np.concatenate(seeing)[keep], np.concatenate(skies)[keep]
    hour = (t - np.floor(t) - centre + 0.5) % 1.0 - 0.5      # days from the night centre
    airmass = 1.0 + 1.3 * (hour / (night_len / 2)) ** 2 + rng.normal(0, 0.02, t.size)
    airmass = np.clip(airmass, 1.0, 3.0)
    fwhm = seeing * airmass ** 0.6 * rng.lognormal(0, 0.08, t.size) / _PIXEL
    moon = 1 + 0.6 * np.cos(2 * np.pi * (t - 9340.0) / 29.53) ** 2
    # brighter within ~30 min of the night's edge, at most 3x (unclipped, epochs
    # just past the edge got skies of 10^4-10^7 x the median)
    twilight = 1 + 2.0 * np.exp(-np.maximum(night_len / 2 - np.abs(hour), 0.0) / 0.02)
    sky = sky * moon * twilight * airmass ** 0.5 * rng.lognormal(0, 0.05, t.size)
    return t, fwhm, sky, airmass


def _rise_shape(rng, t, t_break, t_cut):
    """A smooth rise starting near t_break (used by the look-alikes)."""
    x = np.clip((t - t_break) / max(t_cut - t_break, 0.2), 0, None)
    power = rng.uniform(1.0, 2.5)
    return x ** power


def make_microlensing_alerts(n_alerts=600, *, class_fractions=None, survey="kmtnet",
                             sites=None, n_days=40.0, cadence_hours=None, repeat_fraction=0.25,
                             missing_site_fraction=0.03, bad_value_fraction=0.003,
                             trigger=True, random_state=None):
    """Simulate KMTNet AlertFinder candidates with LensNet's Yes/Maybe/No labels.

    Each alert is the difference-imaging photometry of one catalogue star at
    every site, up to the review time ``t_cut`` (Viaña et al. 2025, §3-5):

    - **Sampling**: each site observes during its own night (CTIO, SAAO and
      SSO are ~8 h apart in longitude), at the star's field cadence drawn
      from KMTNet's tiers (0.5, 1, 2.5 or 5 h, Fig. 3), loses whole nights
      to weather (clear fractions 0.80, 0.62, 0.55) and parts of nights to
      clouds, and loses every tenth slot to a V-band image.
    - **Context**: per-epoch ``sky`` (moon, twilight, airmass), ``fwhm``
      (pixels; per-night seeing × airmass^0.6), ``airmass`` and
      ``psf_quality`` (0-100, lower with bad seeing and bright sky); a
      fraction ``bad_value_fraction`` of epochs carry the pipeline's bad
      flags (missing flux error, negative FWHM, PSF quality outside 0-100, NaN
      flux) that the §5.2 cleaning removes.
    - **Flux**: difference flux in units of ``10**(-0.4 (I - 28))`` with a
      site-dependent reference offset and scale; errors grow with sky, seeing
      and source flux, and are under-estimated by up to 30 %.
    - **"Yes"** (``kind`` ``"pspl"``, ``"planet"``): Paczyński events
      (``t_E`` log-normal around 20 d, ``u_0`` up to 1) cut during the rise
      when the magnification reaches 1.15-4; 15 % carry a short planetary
      anomaly (bump or dip) on the rise. The rise is simultaneous and
      achromatic at all sites.
    - **"Maybe"** (§4.2, look-alikes that only difference images unmask):
      ``"bleed"`` and ``"spike"``, a brightening saturated/bright neighbour
      leaking into the aperture, with flux scaled by a steep power of the
      FWHM (and the sky for spikes) and a site-dependent strength, since
      detector orientation and pixel scale differ between telescopes. As
      in the paper's curated sample, "Maybe" holds no ghost (the echo of a
      real event on a star within 20") and no real event that was not yet
      clear: §4.2 removed both, because their light curves *are* lensing
      light curves. No "Maybe" alert carries lensing parameters.
    - **"No"**: ``"variable"`` (a nearby periodic variable, 0.3-30 d, caught
      on a rising branch), ``"irregular"`` (red noise that drifts upwards),
      ``"systematics"`` (a stretch of high airmass / bright sky at one site
      that lifts the flux), ``"outburst"`` (a rise over hours, too fast for
      lensing).

    Every star, whatever the candidate, may also carry intrinsic red noise
    and a seeing-dependent difference-imaging residual, so that scatter and
    FWHM correlation alone do not give the class away. As in the paper's
    "Yes" sample (§4.1: only "clear" or "probable" events), a "Yes" star's
    red noise is at most a quarter of the lensed flux at ``t_cut``.

    A fraction ``repeat_fraction`` of the stars are candidates on two review
    dates (the same star, a later ``t_cut``): group splits by ``star_id``.

    ``survey="ogle"`` simulates instead a single-site survey like OGLE-II
    (I band, one telescope at Las Campanas, public photometry without
    diagnostics), for training a model to score such data:

    - **Sampling**: at most one visit a night (2 or 3 on 5 % and 2 % of
      visited nights), only during the bulge season (days 40-300 of the
      year), on clear nights (weather as clear and cloudy spells, 75 % clear,
      clear spells of 6 nights on average), each field visited on a clear
      night with a probability drawn per star from 0.2-0.6 (~0.3 epochs a
      night on average, OGLE-II's ~250 bulge epochs over three seasons).
      ``t_cut`` falls anywhere in the season, so that an alert near the
      season's start has a short history.
    - **Noise**: OGLE's I-band DIA error model, flux variance
      ``(0.005 F)^2 + 19 F + 1.7e4 s``, with ``F`` the star's total flux and
      ``s`` the epoch's sky × seeing² relative to the star's median (~0.01
      mag at I = 15, 0.05 at I = 18, 0.15 at I = 20); errors under-estimated
      by up to 30 % as for KMTNet.
    - **Events** are seen at any time while magnified (``A > 1.15``, before
      or after the peak, ``t_cut - t_0`` uniform), not only early in the rise
      as KMTNet's review does: a survey's light curve of an event, e.g. one
      that peaked during the seasonal gap. Sources are brighter,
      ``I = 15.5-20.5`` (OGLE-II's events, Woźniak et al. 2001), against
      ``18-21.5`` for KMTNet.
    - **No context columns**, and bad values only as NaN fluxes or errors.
      The look-alikes still draw their seeing and sky internally.

    Parameters
    ----------
    n_alerts : int, default=600
        Number of alerts (light curves).
    class_fractions : dict, default=None
        Fractions of ``"Yes"``, ``"Maybe"`` and ``"No"`` (default 0.38, 0.24,
        0.38, near the paper's curated sample, §5.2).
    survey : {"kmtnet", "ogle"}, default="kmtnet"
        ``"kmtnet"``: KMTNet's three sites and cadence tiers (the paper's
        data). ``"ogle"``: an OGLE-II-like single-site nightly survey (see
        above).
    sites : sequence of str, default=None
        Site names; None: ``("CTIO", "SAAO", "SSO")`` for KMTNet, ``("LCO",)``
        for OGLE. Unknown names get random night centres and weather.
    n_days : float, default=40.0
        Length of each light curve before ``t_cut`` (days); with the 0.5 h
        cadence 60 days give ~1,500 points per site, with ``survey="ogle"``
        ~20.
    cadence_hours : float, default=None
        Force one cadence for every star instead of drawing a tier
        (``survey="kmtnet"`` only).
    repeat_fraction : float, default=0.25
        Fraction of stars that appear twice (two review dates).
    missing_site_fraction : float, default=0.03
        Fraction of alerts with no data at all at one site.
    bad_value_fraction : float, default=0.003
        Fraction of epochs carrying a bad-data flag.
    trigger : bool, default=True
        Run :func:`skastro.microlensing.alertfinder_trigger` on every alert
        and store ``t_break``, ``triggered``, ``delta_chi2`` and
        ``trigger_site`` in ``meta``, as the survey would. Without it,
        ``t_break`` is the simulated onset of the rise.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    LightCurves
        ``value_kind="flux"``, a ``site`` column and (KMTNet) context columns
        ``sky``, ``fwhm``, ``airmass``, ``psf_quality``. ``meta`` holds ``label``
        (Yes/Maybe/No), ``label_binary`` (``"Yes/Maybe"`` or ``"No"``),
        ``kind``, ``star_id``, ``t_cut``, ``t_break``, ``t_onset`` (the true
        start of the rise), ``red_noise_amp`` (r.m.s. of the star's intrinsic
        red noise, flux units) and, for events, ``t0``, ``tE``, ``u0``;
        with ``survey="ogle"``, ``visit_probability`` (the field's chance of
        a visit on a clear night).

    References
    ----------
    .. [1] Viaña, J. et al. 2025, "LensNet: Enhancing Real-time Microlensing
       Event Discovery with Recurrent Neural Networks in the Korea
       Microlensing Telescope Network", §3-5, 2025 preprint (identifier not in our copy of the paper).

    Examples
    --------
    >>> from skastro.datasets import make_microlensing_alerts
    >>> alerts = make_microlensing_alerts(10, n_days=15, random_state=1)
    >>> len(alerts), alerts.sites, alerts.value_kind
    (10, ('CTIO', 'SAAO', 'SSO'), 'flux')
    >>> sorted(alerts.context_columns)
    ['airmass', 'fwhm', 'psf_quality', 'sky']
    >>> sorted(set(alerts.meta["label"]))
    ['Maybe', 'No', 'Yes']
    >>> ogle = make_microlensing_alerts(10, survey="ogle", n_days=60, random_state=1)
    >>> ogle.sites, ogle.context_columns
    (('LCO',), ())
    """
    rng = check_random_state(random_state)
    if not isinstance(n_alerts, (int, np.integer)) or n_alerts < 1:
        raise ValueError(f"n_alerts must be a positive integer; got {n_alerts!r}.")
    if not n_days > 1:
        raise ValueError(f"n_days must be > 1 day; got {n_days!r}.")
    if survey not in _SURVEY_SITES:
        raise ValueError(f"make_microlensing_alerts: survey must be one of "
                         f"{sorted(_SURVEY_SITES)}; got {survey!r}.")
    if survey == "ogle" and cadence_hours is not None:
        raise ValueError("make_microlensing_alerts: cadence_hours applies to survey='kmtnet'; "
                         "survey='ogle' observes once a night (sometimes 2-3 times).")
    sites = tuple(_SURVEY_SITES[survey] if sites is None else sites)
    if not sites or len(set(sites)) != len(sites):
        raise ValueError(f"sites must be distinct names; got {sites!r}.")
    mix = dict(_DEFAULT_MIX if class_fractions is None else class_fractions)
    unknown = set(mix) - set(_DEFAULT_MIX)
    if unknown or any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
        raise ValueError(
            f"class_fractions must map 'Yes'/'Maybe'/'No' to non-negative fractions; got {mix!r}.")
    labels = np.array(list(mix))
    probs = np.array([mix[k] for k in labels], dtype=float)
    probs /= probs.sum()

    # draw stars; some are reviewed twice
    n_star = int(np.ceil(n_alerts / (1 + repeat_fraction)))
    star_labels = labels[rng.choice(len(labels), n_star, p=probs)]
    repeats = rng.uniform(size=n_star) < repeat_fraction
    plan = []
    for s in range(n_star):
        plan.append((s, 0))
        if repeats[s]:
            plan.append((s, 1))
    plan = plan[:n_alerts]
    while len(plan) < n_alerts:        # tiny n: fill with new single stars
        star_labels = np.append(star_labels, labels[rng.choice(len(labels), p=probs)])
        plan.append((len(star_labels) - 1, 0))

    columns = {k: [] for k in ("time", "value", "error", "site", "sky", "fwhm", "airmass",
                               "psf_quality")}
    rows = []
    star_cache = {}
    for alert_index, (star, visit) in enumerate(plan):
        if star not in star_cache:
            star_cache[star] = _simulate_star(rng, star, star_labels[star], sites, n_days,
                                              cadence_hours, missing_site_fraction,
                                              bad_value_fraction, survey)
        star_data, star_meta = star_cache[star]
        t_cut = star_meta["t_cut"] + (0.0 if visit == 0 else star_meta["second_visit"])
        before = star_data["time"] <= t_cut
        keep = before & (star_data["time"] >= t_cut - n_days)
        good = before & np.isfinite(star_data["value"]) & np.isfinite(star_data["error"])
        if (keep & good).sum() < 3:     # a short window (e.g. at the season's start)
            keep |= good & (np.cumsum(good[::-1])[::-1] <= 3)   # the last 3 valid epochs
        for name in columns:
            columns[name].append(star_data[name][keep])
        meta = {k: v for k, v in star_meta.items() if k != "second_visit"}
        meta["t_cut"] = t_cut
        meta["alert_id"] = f"KMT-{star:05d}-{visit}"
        rows.append(meta)
    meta = pd.DataFrame(rows).set_index("alert_id")
    meta["label_binary"] = np.where(meta["label"] == "No", "No", "Yes/Maybe")
    # public OGLE photometry carries no per-epoch diagnostics
    context = ({} if survey == "ogle" else
               {k: columns[k] for k in ("sky", "fwhm", "airmass", "psf_quality")})
    alerts = LightCurves.from_arrays(columns["time"], columns["value"], columns["error"],
                                     sites=columns["site"], meta=meta, context=context,
                                     value_kind="flux")
    if trigger:
        from ..microlensing import alertfinder_trigger

        found = alertfinder_trigger(alerts)
        alerts = alerts.with_meta(found[["t_break", "triggered", "delta_chi2", "trigger_site"]])
    else:
        alerts = alerts.with_meta(t_break=alerts.meta["t_onset"].to_numpy())
    return alerts


def _simulate_star(rng, star, label, sites, n_days, cadence_hours, missing_site_fraction,
                   bad_value_fraction, survey, attempt=0):
    kinds = _KIND_MIX[label]
    kind = rng.choice(list(kinds), p=np.array(list(kinds.values())) / sum(kinds.values()))
    ogle = survey == "ogle"
    if ogle:
        cadence = np.nan
        p_visit = rng.uniform(*_OGLE_VISIT)
        t_cut = rng.uniform(*_OGLE_SEASON) - _DOY_OFFSET
    else:
        cadence = cadence_hours or rng.choice(_CADENCE_TIERS_H, p=_CADENCE_PROBS)
        t_cut = 9340.0 + rng.uniform(0, 120) + rng.uniform(-0.1, 0.1)
    second = rng.uniform(1.0, 4.0)
    t_start, t_end = t_cut - n_days, t_cut + second
    # OGLE-II's difference-imaging events have baselines of I ~ 15-20 (Wozniak et al. 2001)
    i_source = rng.uniform(15.5, 20.5) if ogle else rng.uniform(18.0, 21.5)
    f_source = 10 ** (-0.4 * (i_source - _ZP))
    f_blend = f_source * rng.lognormal(0.0, 1.0)
    present = np.ones(len(sites), bool)
    if len(sites) > 1 and rng.uniform() < missing_site_fraction:
        present[rng.randint(len(sites))] = False

    meta = {"label": label, "kind": kind, "star_id": star, "t_cut": t_cut,
            "second_visit": second, "t0": np.nan, "tE": np.nan, "u0": np.nan,
            "I_source": i_source, "cadence_h": cadence}
    if ogle:
        meta["visit_probability"] = p_visit
    # the signal's time scale, so that the rise starts some days before t_cut
    rise_days = float(np.clip(rng.lognormal(np.log(6.0), 0.6), 1.0, 0.7 * n_days))
    t_onset = t_cut - rise_days
    if kind in ("pspl", "planet"):
        tE = float(np.clip(rng.lognormal(np.log(20.0), 0.6), 3.0, 120.0))
        u0 = rng.uniform(0.01, 1.0)
        a_cut = rng.uniform(1.15, 4.0)
        u_cut = max(_u_of_a(a_cut), u0 * 1.05)
        t0 = t_cut + tE * np.sqrt(u_cut ** 2 - u0 ** 2)
        if ogle:      # a survey sees the event at any time while it is magnified (A > 1.15)
            half = tE * np.sqrt(max(_u_of_a(1.15) ** 2 - u0 ** 2, 0.0))
            t0 = t_cut - rng.uniform(-half, half)
        meta.update(t0=t0, tE=tE, u0=u0)
        # onset: when the magnification first exceeds 1.02
        u_on = _u_of_a(1.02)
        t_onset = t0 - tE * np.sqrt(max(u_on ** 2 - u0 ** 2, 0.0))
    meta["t_onset"] = t_onset

    # nuisance behaviour shared by the look-alikes
    leak_power = rng.uniform(2.0, 4.0)
    period = np.exp(rng.uniform(np.log(0.3), np.log(30.0)))
    phase0 = rng.uniform(0, 2 * np.pi)
    amp_var = f_source * rng.uniform(0.15, 1.5)
    planet_t = t_onset + rng.uniform(0.4, 0.95) * (t_cut - t_onset)
    planet_w = rng.uniform(0.08, 0.6)
    planet_a = rng.choice([-1, 1]) * rng.uniform(0.1, 0.5)
    outburst_t = t_cut - rng.uniform(0.05, 1.5)
    outburst_a = f_source * rng.uniform(1.0, 4.0)
    sys_site = rng.randint(len(sites))
    sys_amp = rng.uniform(0.5, 2.0)
    # irregular variability: a random walk on a coarse grid, last part forced up
    grid = np.arange(t_start - 1, t_end + 2, 0.25)
    walk = np.cumsum(rng.normal(0, 1, grid.size))
    walk -= np.linspace(walk[0], walk[-1], grid.size) * rng.uniform(0, 1)
    walk = (walk - walk.mean()) / (walk.std() + 1e-9) * f_source * rng.uniform(0.2, 0.8)
    walk += np.clip((grid - t_onset) / rise_days, 0, None) * f_source * rng.uniform(0.5, 1.5)

    # nuisances of every bulge star, whatever the candidate is: intrinsic red
    # noise and a seeing-dependent DIA residual (imperfect kernel / blending)
    red_amp = f_source * rng.uniform(0.0, 0.4) * (rng.uniform() < 0.5)
    if label == "Yes":
        # §4.1 keeps only "clear"/"probable" events as "Yes": the rise at t_cut
        # stands out above the star's own variability (uncapped, weak events
        # on strongly varying stars were "Yes" labels their light curves denied)
        lensed = f_source * (_magnification(t_cut, meta["t0"], meta["tE"], meta["u0"]) - 1)
        red_amp = min(red_amp, 0.25 * lensed)
    red = np.cumsum(rng.normal(0, 1, grid.size))
    red = (red - np.linspace(red[0], red[-1], grid.size))
    red = red / (red.std() + 1e-9) * red_amp
    meta["red_noise_amp"] = red_amp
    seeing_amp = f_source * rng.normal(0.0, 0.15)

    out = {k: [] for k in ("time", "value", "error", "site", "sky", "fwhm", "airmass",
                           "psf_quality")}
    for k, site in enumerate(sites):
        if not present[k]:
            continue
        epochs = (_ogle_epochs(rng, site, t_start, t_end, p_visit) if ogle else
                  _site_epochs(rng, site, t_start, t_end, cadence, star + k))
        if epochs is None:
            continue
        t, fwhm, sky, airmass = epochs
        scale = rng.uniform(0.75, 1.3)          # the site's reference-image flux scale
        offset = rng.normal(0, 0.05 * f_source)
        fwhm_ref = np.median(fwhm)
        signal = np.zeros(t.size)
        if kind in ("pspl", "planet"):
            signal = f_source * (_magnification(t, meta["t0"], meta["tE"], meta["u0"]) - 1)
            if kind == "planet":
                signal *= 1 + planet_a * np.exp(-0.5 * ((t - planet_t) / planet_w) ** 2)
        elif kind in ("bleed", "spike"):
            strength = rng.uniform(0.0, 1.5) if rng.uniform() < 0.7 else rng.uniform(1.5, 3.0)
            bright = f_source * rng.uniform(0.8, 2.5) * _rise_shape(rng, t, t_onset, t_cut)
            mod = (fwhm / fwhm_ref) ** leak_power
            if kind == "spike":
                mod = mod * (sky / np.median(sky)) ** rng.uniform(0.5, 1.5)
            signal = strength * bright * mod
            signal += 0.3 * f_source * strength * (mod - 1)       # leaks before the rise too
        elif kind == "variable":
            ph = 2 * np.pi * (t - t_cut) / period + phase0
            rise_phase = -np.pi / 2 - 0.3          # catch the curve on its rising branch at t_cut
            ph = ph - (2 * np.pi * 0 / period + phase0) + rise_phase + rng.uniform(0, 1.2)
            signal = amp_var * (np.sin(ph) + 0.3 * np.sin(2 * ph + 0.5))
        elif kind == "irregular":
            signal = np.interp(t, grid, walk)
        elif kind == "systematics":
            if k == sys_site:
                bad = (airmass - 1.0) * (sky / np.median(sky))
                late = t > t_cut - rng.uniform(0.5, 3.0)
                signal = sys_amp * f_source * bad * np.where(late, 1.0, 0.15)
        elif kind == "outburst":
            dt = t - outburst_t
            signal = outburst_a * np.where(dt > 0, 1 - np.exp(-dt / 0.15), 0.0)
            signal += 0.2 * amp_var * np.sin(2 * np.pi * t / period + phase0)
        signal = signal + np.interp(t, grid, red) + seeing_amp * (fwhm / fwhm_ref - 1)
        total = f_blend + f_source + signal
        if ogle:
            floor, inv_gain, background = _OGLE_NOISE
            total = np.clip(total, 0, None)
            noise_var = ((floor * total) ** 2 + inv_gain * total
                         + background * sky / np.median(sky) * (fwhm / fwhm_ref) ** 2)
        else:
            noise_var = 0.9 * sky * (fwhm / 4.0) ** 2 + np.clip(total, 0, None) * 0.8 + 20.0 ** 2
        sigma_true = np.sqrt(noise_var)
        reported = sigma_true * rng.uniform(0.7, 1.0)
        flux = scale * (signal + rng.normal(0, 1, t.size) * sigma_true) + offset
        error = scale * reported
        psf_q = np.clip(100 - 12 * (fwhm - 3.0) - 8 * (sky / np.median(sky) - 1)
                        + rng.normal(0, 5, t.size), 0.5, 100.0)
        n_bad = rng.binomial(t.size, bad_value_fraction)
        if n_bad:
            idx = rng.choice(t.size, n_bad, replace=False)
            what = rng.choice([0, 3], n_bad) if ogle else rng.randint(0, 4, n_bad)
            error[idx[what == 0]] = np.nan  # a flagged error (LightCurves refuses negative ones)
            fwhm = fwhm.copy()
            fwhm[idx[what == 1]] = -1.0
            psf_q[idx[what == 2]] = 999.0
            flux[idx[what == 3]] = np.nan
        out["time"].append(t)
        out["value"].append(flux)
        out["error"].append(error)
        out["site"].append(np.full(t.size, site, dtype=object))
        out["sky"].append(sky)
        out["fwhm"].append(fwhm)
        out["airmass"].append(airmass)
        out["psf_quality"].append(psf_q)
    n_valid = sum(int((np.isfinite(v) & np.isfinite(e) & (t <= t_cut)).sum())
                  for t, v, e in zip(out["time"], out["value"], out["error"]))
    if n_valid < 3:       # no site had a clear night before t_cut: draw the star again
        if attempt >= _MAX_ATTEMPTS:  # e.g. a forced cadence with one slot a night
            raise ValueError(
                f"make_microlensing_alerts: star {star} has fewer than 3 valid epochs before t_cut after "
                f"{_MAX_ATTEMPTS} draws with cadence_hours={cadence_hours!r}, n_days={n_days!r} "
                f"and sites {list(sites)}; use a cadence of a few hours or more days.")
        return _simulate_star(rng, star, label, sites, n_days, cadence_hours, 0.0,
                              bad_value_fraction, survey, attempt + 1)
    data = {k: np.concatenate(v) for k, v in out.items()}
    order = np.argsort(data["time"], kind="stable")
    return {k: v[order] for k, v in data.items()}, meta

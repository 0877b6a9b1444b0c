"""Seeded simulators and loaders for real survey data."""

from ._loaders import PLASTICC_BANDS, PLASTICC_CLASSES, load_css_fats, load_plasticc
from ._microlensing import KMTNET_SITES, MICROLENSING_KINDS, make_microlensing_alerts
from ._real import load_ogle2, load_stripe82_rrlyrae, load_vvv_rrab, load_ztf_bts
from ._periodic import PERIODIC_CLASSES, make_periodic_variables
from ._transients import TRANSIENT_CLASSES, VARIABLE_CLASSES, make_transients
from ._spectra import FOLLOWUP_CLASSES, make_followup_survey, make_spectra

__all__ = [
    "make_periodic_variables",
    "make_transients",
    "VARIABLE_CLASSES",
    "TRANSIENT_CLASSES",
    "load_plasticc",
    "load_css_fats",
    "load_stripe82_rrlyrae",
    "load_ztf_bts",
    "load_ogle2",
    "load_vvv_rrab",
    "make_microlensing_alerts",
    "MICROLENSING_KINDS",
    "KMTNET_SITES",
    "PERIODIC_CLASSES",
    "PLASTICC_BANDS",
    "PLASTICC_CLASSES",
    "make_spectra",
    "make_followup_survey",
    "FOLLOWUP_CLASSES",
]

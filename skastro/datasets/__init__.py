"""Seeded simulators and loaders for real survey data."""

from ._loaders import PLASTICC_BANDS, PLASTICC_CLASSES, load_css_fats, load_plasticc
from ._periodic import PERIODIC_CLASSES, make_periodic_variables

__all__ = [
    "make_periodic_variables",
    "load_plasticc",
    "load_css_fats",
    "PERIODIC_CLASSES",
    "PLASTICC_BANDS",
    "PLASTICC_CLASSES",
]

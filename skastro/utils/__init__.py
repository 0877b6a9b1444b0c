"""Shared helpers for skastro estimators."""

from ._validation import check_lightcurves

__all__ = ["check_lightcurves"]

"""Shared helpers for skastro estimators: input checks and safe model files."""

from ._model_io import ALLOWED_CLASSES, load_model, save_model
from ._validation import check_finite, check_lightcurves

__all__ = ["ALLOWED_CLASSES", "check_finite", "check_lightcurves", "load_model", "save_model"]

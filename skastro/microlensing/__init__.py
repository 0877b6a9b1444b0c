"""LensNet: multi-site microlensing alert vetting (Viaña et al. 2025)."""

from ._alertfinder import AlertFinder, alertfinder_trigger, clean_mask
from ._augmentation import augment_crops, crop_to_visibility
from ._branched_rnn import BranchedRNNClassifier
from ._evaluation import (
    BrokenLineFeatures,
    accuracy_vs_threshold,
    accuracy_vs_visibility,
    balanced_threshold,
    make_broken_line_baseline,
    per_class_accuracy,
    plot_confusion_matrices,
    purity_threshold,
)
from ._preprocessing import LensNetPreprocessor, pad_branches
from ._realtime import LensNetStream

__all__ = [
    "BranchedRNNClassifier",
    "LensNetPreprocessor",
    "LensNetStream",
    "AlertFinder",
    "alertfinder_trigger",
    "augment_crops",
    "crop_to_visibility",
    "clean_mask",
    "pad_branches",
    "BrokenLineFeatures",
    "make_broken_line_baseline",
    "accuracy_vs_threshold",
    "accuracy_vs_visibility",
    "balanced_threshold",
    "purity_threshold",
    "per_class_accuracy",
    "plot_confusion_matrices",
]

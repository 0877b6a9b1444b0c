"""Bad arguments to the simulators get errors that name the parameter (issue 18)."""

import numpy as np
import pytest

from skastro.datasets import make_followup_survey, make_periodic_variables


@pytest.mark.parametrize(
    "classes, error, match",
    [
        (["RRab", "RRc"], TypeError, r"classes must be a dict .* got list"),
        ({"RRab": np.nan}, ValueError, "finite non-negative weights"),
        ({"RRab": "many"}, ValueError, "finite non-negative weights"),
        ({"RRab": -1.0, "RRc": 2.0}, ValueError, "finite non-negative weights"),
        ({"Cepheid": 1.0}, ValueError, r"classes must map some of \('RRab'"),
    ],
)
def test_make_periodic_variables_rejects_bad_classes(classes, error, match):
    with pytest.raises(error, match=match):
        make_periodic_variables(5, classes=classes, random_state=0)


def test_make_periodic_variables_accepts_a_class_subset():
    lcs = make_periodic_variables(6, classes={"RRab": 1.0, "EC": 0.0}, random_state=0)
    assert set(lcs.meta["label"]) == {"RRab"}


@pytest.mark.parametrize("n_wavelengths", [0, -3, 2.5])
def test_make_followup_survey_rejects_bad_grid_size(n_wavelengths):
    with pytest.raises(ValueError, match=f"n_wavelengths must be a positive integer; got {n_wavelengths}"):
        make_followup_survey(10, n_wavelengths=n_wavelengths, random_state=0)

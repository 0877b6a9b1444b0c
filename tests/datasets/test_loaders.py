import numpy as np
import pytest

from skastro.datasets import PLASTICC_BANDS, load_css_fats, load_plasticc


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="PLAsTiCC light curves not found"):
        load_plasticc(tmp_path)
    with pytest.raises(FileNotFoundError, match="CSS FATS features not found"):
        load_css_fats(tmp_path)


@pytest.mark.data
def test_plasticc_magnitudes(data_dir):
    lcs = load_plasticc(data_dir, classes=[92, 90])
    assert lcs.bands == PLASTICC_BANDS and lcs.value_kind == "mag"
    assert set(lcs.meta["target"]) == {92, 90}
    rr = lcs[np.flatnonzero(lcs.meta["target"].to_numpy() == 92)]
    # Template flux added: RR Lyrae have sensible apparent magnitudes in every band.
    assert 14 < np.median(rr.value) < 24
    assert np.isfinite(lcs.value).all() and (lcs.error > 0).all()
    flux = load_plasticc(data_dir, magnitudes=False, classes=[92])
    assert flux.value_kind == "flux" and (flux.value < 0).any()  # difference fluxes


@pytest.mark.data
def test_css_fats_joined_to_labels(data_dir):
    table = load_css_fats(data_dir)
    assert len(table) > 2500 and table.index.is_unique
    assert {"PeriodLS", "Q31", "label"} <= set(table.columns)
    assert {"RRab", "RRc", "EW", "EA"} <= set(table["label"])

"""Reading and writing light curves: Parquet (skastro and long tables), FITS, tampered files."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from skastro import LightCurves


@pytest.fixture
def lcs():
    rng = np.random.default_rng(1)
    lengths = [5, 3, 4]
    return LightCurves.from_arrays(
        [np.sort(rng.uniform(0, 10, k)) for k in lengths],
        [rng.normal(15, 0.1, k) for k in lengths],
        [np.full(k, 0.05) for k in lengths],
        bands=[rng.choice(["g", "r"], k) for k in lengths],
        ids=["a", "b", "c"],
        meta=pd.DataFrame({"label": ["RRab", "EW", "RRc"]}, index=["a", "b", "c"]),
    )


def _rewrite(path, table, info=None, raw=None):
    """Write ``table`` again with its skastro metadata replaced."""
    if raw is None:
        raw = json.dumps(info).encode()
    pq.write_table(table.replace_schema_metadata({b"skastro": raw}), path)


# ------------------------------------------------------------------ writing
def test_to_parquet_refuses_a_meta_column_named_like_the_ids(lcs, tmp_path):
    bad = lcs.with_meta(object_id=np.array(["x", "y", "z"]))
    with pytest.raises(ValueError, match=r"\['object_id'\] are used twice"):
        bad.to_parquet(tmp_path / "x.parquet")


def test_to_parquet_refuses_mixed_type_ids(tmp_path):
    t = [np.arange(2.0)] * 2
    mixed = LightCurves.from_arrays(t, t, t, ids=[1, "a"])
    with pytest.raises(TypeError, match=r"Object ids must share one type .* \['int', 'str'\]"):
        mixed.to_parquet(tmp_path / "x.parquet")


# ------------------------------------------------------------------ reading
def test_read_parquet_refuses_list_columns_of_different_lengths(lcs, tmp_path):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[b"skastro"])
    # Move one observation of 'value' from object 'a' to object 'b': same total, wrong owners.
    values = table["value"].combine_chunks()
    shifted = pa.ListArray.from_arrays(pa.array([0, 4, 8, 12], pa.int32()), values.flatten())
    table = table.set_column(table.column_names.index("value"), "value", shifted)
    _rewrite(path, table, info)
    with pytest.raises(ValueError, match="list lengths of column 'value' disagree with those of 'time' "
                                         r"\(first at object 'a'\)"):
        LightCurves.read_parquet(path)


@pytest.mark.parametrize(
    "tamper, match",
    [
        (lambda info: {**info, "version": 99}, "skastro Parquet version 99; this skastro reads version 1"),
        (lambda info: {**info, "epoch_columns": "time"}, "'epoch_columns' must be a list"),
        (lambda info: {**info, "epoch_columns": ["time", "flux"]}, r"\['flux'\] named in its metadata"),
        (lambda info: {**info, "id": "oid"}, r"\['oid'\] named in its metadata"),
        (lambda info: {**info, "meta_columns": ["label", "time"]}, r"names column\(s\) \['time'\] twice"),
        (lambda info: {**info, "value_kind": "counts"}, "value_kind must be one of"),
        (lambda info: {**info, "categories": {"band": ["g"]}}, r"label column 'band' holds \['r'\], which its categories \['g'\] lack"),
        (lambda info: {**info, "categories": {}}, "damaged skastro data: 'band'"),
        (lambda info: [1, 2], "not a JSON object"),
    ],
)
def test_read_parquet_tampered_metadata_gives_one_clear_error(lcs, tmp_path, tamper, match):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    table = pq.read_table(path)
    _rewrite(path, table, tamper(json.loads(table.schema.metadata[b"skastro"])))
    with pytest.raises(ValueError, match=match) as info:
        LightCurves.read_parquet(path)
    assert str(path) in str(info.value)


def test_read_parquet_metadata_that_is_not_json(lcs, tmp_path):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    _rewrite(path, pq.read_table(path), raw=b"{not json")
    with pytest.raises(ValueError, match="holds damaged skastro data"):
        LightCurves.read_parquet(path)


def test_read_parquet_wrong_type_column(lcs, tmp_path):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    table = pq.read_table(path)
    info = json.loads(table.schema.metadata[b"skastro"])
    table = table.set_column(table.column_names.index("value"), "value", pa.array([1.0, 2.0, 3.0]))
    _rewrite(path, table, info)
    with pytest.raises(ValueError, match="per-epoch column 'value' is not a list column"):
        LightCurves.read_parquet(path)


def test_label_columns_are_written_dictionary_encoded_and_plain_strings_still_read(lcs, tmp_path):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    table = pq.read_table(path)
    assert pa.types.is_dictionary(table.schema.field("band").type.value_type)
    # a file whose labels are plain strings (as skastro wrote them before) reads the same
    offsets = np.asarray(table["band"].combine_chunks().offsets)
    plain = pa.ListArray.from_arrays(pa.array(offsets), pa.array(lcs.column("band").tolist()))
    _rewrite(path, table.set_column(table.column_names.index("band"), "band", plain),
             raw=table.schema.metadata[b"skastro"])
    assert pa.types.is_string(pq.read_table(path).schema.field("band").type.value_type)
    assert LightCurves.read_parquet(path).equals(lcs)


@pytest.mark.parametrize("cut", ["truncated", "corrupted", "not parquet", "empty"])
def test_read_parquet_broken_files_give_one_clear_error(lcs, tmp_path, cut):
    path = tmp_path / "lcs.parquet"
    lcs.to_parquet(path)
    data = path.read_bytes()
    broken = {
        "truncated": data[: len(data) // 2],
        "corrupted": data[:4] + bytes(len(data) - 8) + data[-4:],
        "not parquet": b"object_id,time,mag\n1,2,3\n",
        "empty": b"",
    }[cut]
    path.write_bytes(broken)
    with pytest.raises(ValueError, match="is not a readable Parquet file|holds damaged skastro data"):
        LightCurves.read_parquet(path)


def test_read_parquet_missing_file_stays_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        LightCurves.read_parquet(tmp_path / "nowhere.parquet")


def test_read_parquet_long_table_takes_from_pandas_keywords(lcs, tmp_path):
    path = tmp_path / "long.parquet"
    table = lcs.to_pandas().rename(columns={"value": "mag", "error": "mag_err", "band": "filter"})
    table["filter"] = table["filter"].astype(str)
    table.to_parquet(path)  # as users and other tools write it: one row per observation
    back = LightCurves.read_parquet(path, band="filter")
    assert back.with_meta(lcs.meta).equals(lcs)
    with pytest.raises(ValueError, match=r"read as a long table.*\['flux'\] not in the table"):
        LightCurves.read_parquet(path, value="flux")
    lcs.to_parquet(tmp_path / "skastro.parquet")
    with pytest.raises(TypeError, match="apply to long tables only"):
        LightCurves.read_parquet(tmp_path / "skastro.parquet", band="filter")


def test_parquet_round_trip_without_errors_and_with_units(tmp_path):
    import astropy.units as u

    t = [np.arange(3.0), np.arange(2.0)]
    flux = [np.ones(3) * u.mJy, np.ones(2) * 1000 * u.uJy]
    lcs = LightCurves.from_arrays(t, flux, value_kind="flux")
    assert lcs.columns == ("time", "value") and lcs.units == {"value": "mJy"}
    np.testing.assert_allclose(lcs.value, 1.0)  # the second object converted to mJy
    lcs.to_parquet(tmp_path / "x.parquet")
    back = LightCurves.read_parquet(tmp_path / "x.parquet")
    assert back.equals(lcs) and back.units == {"value": "mJy"}


# ---------------------------------------------------------------- astropy, FITS
def test_fits_round_trip_big_endian_and_byte_string_labels(lcs, tmp_path):
    from astropy.table import Table

    path = tmp_path / "lcs.fits"
    table = lcs.to_table()
    table.meta.clear()  # its per-object DataFrame does not fit a FITS header; meta= brings it back
    table.write(path)
    table = Table.read(path)
    assert not table["time"].dtype.isnative and table["band"].dtype.kind == "S"  # as FITS gives them
    back = LightCurves.from_table(table, value="value", error="error", band="band", meta=lcs.meta)
    assert back.equals(lcs) and back.bands == ("g", "r") and back.ids.tolist() == ["a", "b", "c"]


def test_fits_survey_table_with_flux_units(tmp_path):
    import astropy.units as u
    from astropy.table import Table

    Table({"oid": np.array([b"RR1", b"RR1", b"RR2", b"RR2", b"RR2"]),
           "mjd": [59000.0, 59001.0, 59000.5, 59002.0, 59003.0],
           "flux": [1.0, 1.1, 2.0, 2.1, 2.2] * u.mJy, "flux_err": [0.1] * 5 * u.mJy,
           "filter": np.array([b"g", b"r", b"g", b"g", b"r"])}).write(tmp_path / "survey.fits")
    lcs = LightCurves.from_table(Table.read(tmp_path / "survey.fits"), id="oid", time="mjd",
                                 value="flux", error="flux_err", band="filter")
    assert lcs.ids.tolist() == ["RR1", "RR2"] and lcs.bands == ("g", "r")
    assert lcs.value_kind == "flux" and lcs.units == {"value": "mJy", "error": "mJy"}
    out = lcs.to_table()
    assert out["value"].unit == u.mJy and out["error"].unit == u.mJy and out["time"].unit == u.day


def test_single_object_timeseries_loads():
    import astropy.units as u
    from astropy.time import Time
    from astropy.timeseries import TimeSeries

    ts = TimeSeries(time=Time([59000.0, 59001.5, 59003.0], format="mjd"),
                    data={"flux": [1.0, 1.2, 0.9] * u.mJy, "flux_err": [0.1] * 3 * u.mJy})
    lcs = LightCurves.from_table(ts, value="flux", error="flux_err")
    assert len(lcs) == 1 and lcs.value_kind == "flux" and lcs.units["value"] == "mJy"
    np.testing.assert_allclose(lcs.time, [59000.0, 59001.5, 59003.0])
    no_errors = LightCurves.from_table(ts, value="flux", error=None)
    assert no_errors.columns == ("time", "value")
    table = pd.DataFrame({"time": [1.0, 2.0], "mag": [1.0, 2.0], "mag_err": [0.1, 0.1]})
    with pytest.raises(KeyError, match="pass id=None"):
        LightCurves.from_pandas(table)
    assert len(LightCurves.from_pandas(table, id=None)) == 1


def test_astropy_times_in_from_arrays():
    import astropy.units as u
    from astropy.time import Time

    mjd = LightCurves.from_arrays([Time([59000.0, 59001.0], format="mjd")], [np.ones(2)])
    np.testing.assert_allclose(mjd.time, [59000.0, 59001.0])
    jd = LightCurves.from_arrays([Time([2459000.5, 2459001.5], format="jd")], [np.ones(2)])
    np.testing.assert_allclose(jd.time, [59000.0, 59001.0])  # Time objects become MJD
    hours = LightCurves.from_arrays([np.array([12.0, 36.0]) * u.hour], [np.ones(2)])
    np.testing.assert_allclose(hours.time, [0.5, 1.5])
    with pytest.raises(ValueError, match="expected a unit of time"):
        LightCurves.from_arrays([np.array([1.0, 2.0]) * u.m], [np.ones(2)])


def test_masked_table_entries_become_nan_or_a_clear_error():
    from astropy.table import MaskedColumn, Table

    table = Table({"object_id": [1, 1, 1], "time": [1.0, 2.0, 3.0],
                   "mag": MaskedColumn([15.0, 15.2, 99.0], mask=[False, False, True]),
                   "mag_err": [0.1, 0.1, 0.1]})
    lcs = LightCurves.from_table(table)
    assert np.isnan(lcs.value[2]) and lcs.value[1] == 15.2  # not the 99.0 under the mask
    table["object_id"] = MaskedColumn([1, 1, 2], mask=[False, False, True])
    with pytest.raises(ValueError, match="Column 'object_id' has 1 masked"):
        LightCurves.from_table(table)

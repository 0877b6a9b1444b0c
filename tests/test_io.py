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

import numpy as np
import pytest

from skastro import LightCurves, iter_partitions, partition_paths, read_partitions, write_partitions
from skastro.datasets import make_periodic_variables, make_transients


@pytest.fixture(scope="module")
def lcs():
    return make_transients(n_variables=23, n_transients=2, n_epochs=12, random_state=1)


def test_round_trip_keeps_everything(tmp_path, lcs):
    files = write_partitions(lcs, tmp_path / "parts", partition_size=7)
    assert [f.name for f in files] == [f"part-{i:05d}.parquet" for i in range(4)]
    back = read_partitions(tmp_path / "parts")
    assert back.equals(lcs)
    assert back.bands == lcs.bands and back.value_kind == lcs.value_kind


def test_objects_are_never_split(tmp_path, lcs):
    write_partitions(lcs, tmp_path, partition_size=6)
    parts = list(iter_partitions(tmp_path))
    assert [len(p) for p in parts] == [6, 6, 6, 6, 1]
    ids = np.concatenate([p.ids.to_numpy() for p in parts])
    np.testing.assert_array_equal(ids, lcs.ids.to_numpy())
    # every object's observations are complete in its one partition
    for part in parts:
        np.testing.assert_array_equal(part.lengths, lcs.lengths[lcs.ids.get_indexer(part.ids)])


def test_iter_partitions_is_lazy(tmp_path, lcs):
    write_partitions(lcs, tmp_path, partition_size=10)
    it = iter_partitions(tmp_path)
    first = next(it)
    assert isinstance(first, LightCurves) and len(first) == 10
    # a partition removed after the first was read is only missed when reached:
    # nothing beyond the first partition was loaded
    partition_paths(tmp_path)[-1].unlink()
    assert len(next(it)) == 10
    with pytest.raises(FileNotFoundError):
        next(it)


def test_iterable_of_parts_one_partition_each(tmp_path):
    whole = make_periodic_variables(15, random_state=0)
    parts = [whole[lo:lo + 5] for lo in range(0, 15, 5)]
    write_partitions(iter(parts), tmp_path)  # a generator works too
    assert [len(p) for p in iter_partitions(tmp_path)] == [5, 5, 5]
    assert read_partitions(tmp_path).equals(LightCurves.concat(parts))


def test_refuses_to_mix_with_existing_partitions(tmp_path, lcs):
    write_partitions(lcs, tmp_path, partition_size=10)
    with pytest.raises(ValueError, match="already holds 3 partition"):
        write_partitions(lcs, tmp_path, partition_size=20)
    write_partitions(lcs, tmp_path, partition_size=20, overwrite=True)
    assert len(partition_paths(tmp_path)) == 2  # the old third file is gone


@pytest.mark.parametrize("size", [0, -3, 2.5, True, "10"])
def test_bad_partition_size(tmp_path, lcs, size):
    with pytest.raises(ValueError, match="partition_size must be a positive int"):
        write_partitions(lcs, tmp_path, partition_size=size)


def test_bad_paths_and_items(tmp_path, lcs):
    with pytest.raises(ValueError, match="not a directory.*not found"):
        read_partitions(tmp_path / "absent")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ValueError, match="is not a directory"):
        list(iter_partitions(tmp_path / "file.txt"))
    with pytest.raises(ValueError, match="exists and is not a directory"):
        write_partitions(lcs, tmp_path / "file.txt")
    with pytest.raises(ValueError, match="holds no partition files"):
        partition_paths(tmp_path)
    with pytest.raises(TypeError, match="partition 1 is a DataFrame"):
        write_partitions([lcs, lcs.to_pandas()], tmp_path / "out")
    with pytest.raises(ValueError, match="got no light curves"):
        write_partitions([], tmp_path / "empty")

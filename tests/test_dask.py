"""skastro.dask on a real dask.distributed LocalCluster (2 worker processes)."""

import pickle
import re
import sys

import cloudpickle
import dask
import dask.bag as db
import dask.order
import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skastro.dask as sd
from skastro import LightCurves, read_partitions, write_partitions
from skastro.datasets import make_microlensing_alerts, make_periodic_variables, make_transients
from skastro.novelty import DmDtNoveltyDetector
from skastro.periodic import PeriodFolder


@pytest.fixture(scope="module")
def client():
    with dask.config.set(sd.WORKER_CONFIG), \
            LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                         dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def _numba_threads_after_a_kernel():
    import numba

    from skastro.novelty import DmDtNoveltyDetector

    DmDtNoveltyDetector().fit(make_transients(n_variables=3, n_transients=0, random_state=0))
    return numba.config.NUMBA_NUM_THREADS


def _malloc_trim_threshold():
    import os

    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_worker_config_reaches_the_worker_processes(client):
    assert list(client.run(_numba_threads_after_a_kernel).values()) == [1, 1]
    # Dask's default trim threshold (65536) made every large temporary a fresh mmap:
    # PeriodFolder ran 2.2 times slower in the workers
    assert list(client.run(_malloc_trim_threshold).values()) == [None, None]


def test_worker_config_leaves_this_process_alone():
    # Dask's nanny copies its pre-spawn environment into the process that starts the
    # cluster: a NUMBA_NUM_THREADS there, different from the thread count numba had
    # launched with, made the next kernel compiled in this process raise RuntimeError;
    # Dask's MALLOC_TRIM_THRESHOLD_ there slowed any process pool started afterwards
    import os
    import subprocess

    code = (
        "import os, dask, numba, skastro.dask as sd\n"
        "from distributed import LocalCluster\n"
        "before = os.environ.get('NUMBA_NUM_THREADS')\n"
        "with dask.config.set(sd.WORKER_CONFIG), LocalCluster(n_workers=1, processes=True,"
        " threads_per_worker=1, dashboard_address=None):\n"
        "    pass\n"
        "assert os.environ.get('NUMBA_NUM_THREADS') == before, os.environ.get('NUMBA_NUM_THREADS')\n"
        "assert 'MALLOC_TRIM_THRESHOLD_' not in os.environ\n"  # nor a process pool started later
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


@pytest.fixture(scope="module")
def transients():
    return make_transients(n_variables=70, n_transients=3, n_epochs=15, random_state=0)


@pytest.fixture(scope="module")
def parts_dir(tmp_path_factory, transients):
    path = tmp_path_factory.mktemp("transients")
    write_partitions(transients, path, partition_size=20)
    return path


@pytest.fixture(scope="module")
def detector(transients):
    return DmDtNoveltyDetector().fit(transients)


def test_read_partitions_is_a_bag_of_lightcurves(parts_dir, transients):
    bag = sd.read_partitions(parts_dir)
    assert bag.npartitions == 4
    with dask.config.set(scheduler="synchronous"):
        parts = bag.compute()
    assert all(isinstance(p, LightCurves) for p in parts)
    assert LightCurves.concat(parts).equals(transients)


@pytest.mark.parametrize("method", ["score_samples", "decision_function", "predict", "transform"])
def test_map_estimator_on_cluster_equals_in_memory(client, parts_dir, transients, detector,
                                                   method):
    out = sd.map_estimator(detector, parts_dir, method)
    np.testing.assert_array_equal(out, getattr(detector, method)(transients))


def test_map_estimator_writes_parquet(client, parts_dir, transients, detector, tmp_path):
    files = sd.map_estimator(detector, parts_dir, "transform", output=tmp_path / "out")
    assert [f.name for f in files] == [f"part-{i:05d}.parquet" for i in range(4)]
    table = pd.read_parquet(tmp_path / "out")
    assert list(table.columns) == list(detector.get_feature_names_out())
    np.testing.assert_array_equal(table.index.to_numpy(), transients.ids.to_numpy())
    np.testing.assert_array_equal(table.to_numpy(), detector.transform(transients))
    with pytest.raises(ValueError, match="already holds 4 partition"):
        sd.map_estimator(detector, parts_dir, "transform", output=tmp_path / "out")
    sd.map_estimator(detector, parts_dir, "predict", output=tmp_path / "out", overwrite=True)
    predicted = pd.read_parquet(tmp_path / "out")
    np.testing.assert_array_equal(predicted["predict"], detector.predict(transients))


def test_period_folder_transform_writes_lightcurve_partitions(client, tmp_path):
    lcs = make_periodic_variables(30, n_epochs=(30, 60), random_state=0)
    bag = sd.from_lightcurves(lcs, partition_size=12)
    folder = PeriodFolder(random_state=0).fit(lcs)
    sd.map_estimator(folder, bag, output=tmp_path / "folded")
    folded = read_partitions(tmp_path / "folded")
    # PeriodFolder draws its cross-validation folds per call: the reference is
    # the in-process transform of the same partitions.
    expected = LightCurves.concat([folder.transform(lcs[lo:lo + 12]) for lo in (0, 12, 24)])
    assert folded.equals(expected)
    assert sd.map_estimator(folder, bag).equals(expected)


def test_predict_proba_of_lensnet(client):
    from skastro.microlensing import BranchedRNNClassifier

    alerts = make_microlensing_alerts(30, n_days=8, random_state=0)
    clf = BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=1, random_state=0)
    clf.fit(alerts, alerts.meta["label_binary"].to_numpy())
    bag = sd.from_lightcurves(alerts, partition_size=10)
    np.testing.assert_allclose(sd.map_estimator(clf, bag, "predict_proba"),
                               clf.predict_proba(alerts), rtol=0, atol=1e-6)
    frame = sd._as_frame(clf.predict_proba(alerts), alerts, clf, "predict_proba")
    assert list(frame.columns) == [f"proba_{c}" for c in clf.classes_]


def _graph_of(lazy, estimator):
    """Map tasks, tasks holding a copy of the estimator, estimator keys each map task uses."""
    graph = dict(lazy.__dask_graph__())
    size = len(pickle.dumps(estimator))
    map_tasks = [k for k in graph if isinstance(k, tuple) and k[0].startswith("_apply")]
    # pickle framing differs a little between tasks and the bare estimator
    heavy = [k for k, task in graph.items() if len(cloudpickle.dumps(task)) >= size // 2]
    pattern = type(estimator).__name__ + r"-[0-9a-f]{32}"
    used = [set(re.findall(pattern, repr(graph[k]))) for k in map_tasks]
    return map_tasks, heavy, used


def test_estimator_is_scattered_once_not_embedded_per_task(client, transients, detector):
    bag = sd.from_lightcurves(transients, partition_size=10)  # 8 partitions
    lazy = sd.map_estimator(detector, bag, "score_samples", compute=False)
    map_tasks, heavy, used = _graph_of(lazy, detector)
    assert len(map_tasks) == 8
    assert heavy == []  # no task carries the estimator
    (key,) = used[0]
    assert all(u == {key} for u in used)  # every task refers to the one scattered key
    assert len(client.who_has()[key]) == 2  # broadcast to both workers
    np.testing.assert_array_equal(np.concatenate(lazy.compute()),
                                  detector.score_samples(transients))


def test_estimator_is_one_delayed_node_without_client(transients, detector):
    bag = sd.from_lightcurves(transients, partition_size=10)
    with dask.config.set(scheduler="synchronous"):  # not the distributed client, if any
        lazy = sd.map_estimator(detector, bag, "score_samples", compute=False)
    map_tasks, heavy, used = _graph_of(lazy, detector)
    assert len(map_tasks) == 8
    (key,) = used[0]
    assert heavy == [key] and all(u == {key} for u in used)
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(np.concatenate(lazy.compute()),
                                      detector.score_samples(transients))


def test_map_estimator_errors(transients, detector):
    bag = sd.from_lightcurves(transients, partition_size=30)
    with pytest.raises(ValueError, match="method must be one of"):
        sd.map_estimator(detector, bag, "fit")
    with pytest.raises(ValueError, match="PeriodFolder has no method 'predict'"):
        sd.map_estimator(PeriodFolder(), bag, "predict")
    with pytest.raises(NotFittedError):
        sd.map_estimator(DmDtNoveltyDetector(), bag, "predict")
    with pytest.raises(TypeError, match="collection must be a dask.bag.Bag"):
        sd.map_estimator(detector, transients, "predict")
    with pytest.raises(ValueError, match="not a directory"):
        sd.map_estimator(detector, "/nonexistent/parts", "predict")
    with pytest.raises(TypeError, match="lcs must be a LightCurves"):
        sd.from_lightcurves(transients.to_pandas())


def _assert_same_fit(merged, full):
    for attr in ("bands_", "channels_", "n_objects_seen_"):
        assert getattr(merged, attr) == getattr(full, attr)
    for attr in ("counts_", "prob_", "log_dt_edges_", "dm_edges_"):
        np.testing.assert_array_equal(getattr(merged, attr), getattr(full, attr))


@pytest.mark.parametrize("n_chains", [1, 3, None])  # None: one per worker thread, here 2
def test_partial_fit_merge_paper_equals_fit_on_union(client, parts_dir, transients, n_chains):
    full = DmDtNoveltyDetector(score="paper").fit(transients)
    merged = sd.partial_fit_merge(DmDtNoveltyDetector(score="paper"), parts_dir,
                                  n_chains=n_chains)
    _assert_same_fit(merged, full)
    np.testing.assert_array_equal(merged.score_samples(transients), full.score_samples(transients))
    assert merged.offset_ == full.offset_


def test_partial_fit_merge_zscore_equals_fit_on_union(client, parts_dir, transients):
    full = DmDtNoveltyDetector().fit(transients)
    merged = sd.partial_fit_merge(DmDtNoveltyDetector(), parts_dir, n_chains=3)
    _assert_same_fit(merged, full)
    np.testing.assert_allclose(merged.zscore_calibration_, full.zscore_calibration_,
                               rtol=1e-12)
    np.testing.assert_allclose(merged.score_samples(transients), full.score_samples(transients),
                               rtol=1e-12)
    assert merged.offset_ == full.offset_


def test_partial_fit_merge_offset_comes_from_the_calibration_sample(client, parts_dir, transients):
    # with fewer calibration curves than curves, fit's offset_ is a sample percentile; a
    # second pass over all scores (as this function once made) gave another threshold
    full = DmDtNoveltyDetector(calibration_size=10).fit(transients)
    merged = sd.partial_fit_merge(DmDtNoveltyDetector(calibration_size=10), parts_dir)
    assert merged.offset_ == full.offset_
    np.testing.assert_array_equal(merged.predict(transients), full.predict(transients))


def test_partial_fit_merge_errors(parts_dir):
    with pytest.raises(TypeError, match="PeriodFolder has no 'partial_fit'"):
        sd.partial_fit_merge(PeriodFolder(), parts_dir)
    with pytest.raises(ValueError, match="n_chains must be a positive int or None"):
        sd.partial_fit_merge(DmDtNoveltyDetector(), parts_dir, n_chains=0)
    with dask.config.set(scheduler="synchronous"), \
            pytest.raises(ValueError, match="the collection holds no light curves"):
        sd.partial_fit_merge(DmDtNoveltyDetector(), db.from_sequence([[], []], npartitions=2)
                             .flatten())


def _most_results_held(lazy):
    """The most task results held at once when Dask runs ``lazy``'s graph in its own order."""
    _, held = dask.order.diagnostics(dict(lazy.__dask_graph__()))
    return max(held)


def test_partial_fit_merge_holds_as_many_states_whatever_the_partitions(transients):
    # A worker's memory must not grow with the number of curves: the old merge tree
    # (8 states a node) held 8 results at 10 partitions, 15 at 100 and 22 at 1000, so
    # more fitted states (45 MB each at 10^4 curves a partition) the larger the set.
    held = []
    for partition_size in (20, 5, 1):  # 4, 15 and 73 partitions
        bag = sd.from_lightcurves(transients, partition_size=partition_size)
        lazy = sd.partial_fit_merge(DmDtNoveltyDetector(), bag, n_chains=2, compute=False)
        held.append(_most_results_held(lazy))
        fit_tasks = [k for k in lazy.__dask_graph__() if "_fit_step" in str(k)]
        assert len(fit_tasks) == bag.npartitions  # one task a partition
    assert held == [held[0]] * 3 and held[0] <= 2 + 1  # two chains' states and a partition
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(lazy.compute().counts_,
                                      DmDtNoveltyDetector().fit(transients).counts_)


def test_partial_fit_merge_reads_each_partition_inside_its_fit_task(transients, tmp_path):
    # separate read tasks, having no dependencies, would run ahead of the chains and wait
    # in the workers' memory (3.2 GB on a worker at 10^6 curves in 100 partitions)
    for partition_size in (20, 5):
        path = tmp_path / str(partition_size)
        write_partitions(transients, path, partition_size=partition_size)
        for collection in (path, sd.read_partitions(path)):
            lazy = sd.partial_fit_merge(DmDtNoveltyDetector(), collection, n_chains=2,
                                        compute=False)
            graph = dict(lazy.__dask_graph__())
            assert len(graph) == len(list(path.iterdir())) + 1  # the fit tasks and the merge
            assert _most_results_held(lazy) == 2
    with dask.config.set(scheduler="synchronous"):
        np.testing.assert_array_equal(lazy.compute().counts_,
                                      DmDtNoveltyDetector().fit(transients).counts_)


def test_map_estimator_reads_each_partition_inside_its_task(client, transients, detector,
                                                            tmp_path):
    write_partitions(transients, tmp_path / "in", partition_size=20)
    for output in (None, tmp_path / "out"):
        lazy = sd.map_estimator(detector, tmp_path / "in", "score_samples", output=output,
                                compute=False)
        names = [str(k) for k in dict(lazy.__dask_graph__())]
        assert sum("_read_apply" in k for k in names) == 4
        assert not any("read_parquet" in k for k in names)  # no read task of its own
    np.testing.assert_array_equal(np.concatenate(
        sd.map_estimator(detector, tmp_path / "in", "score_samples", compute=False).compute()),
        detector.score_samples(transients))


def test_scaling_guide_example_runs():
    import doctest
    from pathlib import Path

    guide = Path(__file__).resolve().parents[1] / "docs" / "user_guide" / "scaling.rst"
    result = doctest.testfile(str(guide), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 10 and result.failed == 0


def test_period_folder_spreads_its_chunks_over_the_cluster_through_joblib(client, capsys):
    import joblib
    from distributed import get_task_stream

    lcs = make_periodic_variables(20, n_epochs=(30, 50), random_state=0)
    folder = PeriodFolder(chunk_size=5, n_jobs=2, random_state=0, verbose=1)
    # in process, the same chunks (fit_loss moves in the last bits with the chunking)
    expected = clone(folder).set_params(n_jobs=None, verbose=0).fit_transform(lcs)
    with joblib.parallel_config(backend="dask"), get_task_stream(client) as stream:
        folded = folder.fit_transform(lcs)
    assert folded.equals(expected)
    workers = {task["worker"] for task in stream.data if "fold_chunk" in str(task["key"])}
    assert workers and workers <= set(client.scheduler_info()["workers"])
    out, err = capsys.readouterr()
    assert out == "" and "20/20" in err  # the bar moves with the results coming back


def test_verbose_draws_dasks_progress_bar_on_stderr_only(client, parts_dir, transients, detector,
                                                         capsys):
    quiet = sd.map_estimator(detector, parts_dir, "score_samples")
    assert capsys.readouterr() == ("", "")  # verbose=0, the default
    loud = sd.map_estimator(detector, parts_dir, "score_samples", verbose=1)
    out, err = capsys.readouterr()  # distributed.progress draws on stdout unless redirected
    assert out == "" and "100% Completed" in err
    np.testing.assert_array_equal(loud, quiet)
    with dask.config.set(scheduler="synchronous"):
        merged = sd.partial_fit_merge(DmDtNoveltyDetector(), parts_dir, verbose=1)
    out, err = capsys.readouterr()  # dask.diagnostics.ProgressBar in this process
    assert out == "" and "100% Completed" in err
    np.testing.assert_array_equal(merged.counts_, DmDtNoveltyDetector().fit(transients).counts_)

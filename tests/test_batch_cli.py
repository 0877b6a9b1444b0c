"""The batch subcommands: skastro fold, novelty fit|score, vet."""

import numpy as np
import pandas as pd
import pytest

from skastro import LightCurves, read_partitions, save_model, write_partitions
from skastro._cli import main
from skastro.datasets import make_microlensing_alerts, make_periodic_variables, make_transients
from skastro.novelty import DmDtNoveltyDetector
from skastro.periodic import PeriodFolder


@pytest.fixture(scope="module")
def transients():
    return make_transients(n_variables=40, n_transients=2, n_epochs=12, random_state=3)


def _long_table(lcs, **rename):
    return lcs.to_pandas().rename(columns={"value": "mag", "error": "mag_err", **rename})


def test_novelty_fit_then_score_from_csv(tmp_path, transients, capsys):
    csv = tmp_path / "obs.csv"
    _long_table(transients).to_csv(csv, index=False)
    model = tmp_path / "det.skm"
    argv = ["--band-column", "band", "--partition-size", "15"]
    assert main(["novelty", "fit", str(csv), "--model", str(model), "--score", "paper", *argv]) == 0
    out, err = capsys.readouterr()  # progress (dask.diagnostics, in process) on stderr only
    assert out == "" and "100% Completed" in err and "model written" in err
    expected = DmDtNoveltyDetector(score="paper").fit(LightCurves.from_pandas(
        pd.read_csv(csv), band="band"))
    det = DmDtNoveltyDetector.load(model)
    np.testing.assert_array_equal(det.counts_, expected.counts_)
    assert det.offset_ == expected.offset_
    assert main(["novelty", "score", str(model), str(csv), "--out", str(tmp_path / "s"),
                 *argv, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "Completed" not in err and "wrote 3 partition(s)" in err
    scores = pd.read_parquet(tmp_path / "s")
    assert len(list((tmp_path / "s").glob("part-*.parquet"))) == 3
    np.testing.assert_array_equal(scores.index.to_numpy(), transients.ids.to_numpy())
    np.testing.assert_array_equal(scores["score_samples"],
                                  expected.score_samples(transients))


def test_fold_partitioned_directory_on_local_cluster(tmp_path, capsys):
    lcs = make_periodic_variables(16, n_epochs=(30, 50), random_state=0)
    write_partitions(lcs, tmp_path / "in", partition_size=8)
    assert main(["fold", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                 "--n-workers", "1", "--random-state", "0"]) == 0
    out, err = capsys.readouterr()  # distributed.progress, redirected to stderr
    assert out == "" and "100% Completed" in err and "wrote 2 partition(s)" in err
    folder = PeriodFolder(random_state=0).fit(lcs)
    expected = LightCurves.concat([folder.transform(lcs[:8]), folder.transform(lcs[8:])])
    assert read_partitions(tmp_path / "out").equals(expected)


def test_vet_writes_class_probabilities(tmp_path):
    from skastro.microlensing import BranchedRNNClassifier

    alerts = make_microlensing_alerts(20, n_days=6, random_state=1)
    clf = BranchedRNNClassifier(hidden_size=4, dense_size=4, max_epochs=1, random_state=0)
    clf.fit(alerts, alerts.meta["label_binary"].to_numpy())
    save_model(clf, tmp_path / "m.skm")
    alerts.to_parquet(tmp_path / "alerts.parquet")
    assert main(["vet", str(tmp_path / "m.skm"), str(tmp_path / "alerts.parquet"),
                 "--out", str(tmp_path / "v")]) == 0
    proba = pd.read_parquet(tmp_path / "v")
    assert list(proba.columns) == [f"proba_{c}" for c in clf.classes_]
    np.testing.assert_array_equal(proba.to_numpy(), clf.predict_proba(alerts))


def test_clear_errors(tmp_path, transients):
    _long_table(transients).to_parquet(tmp_path / "obs.parquet")
    model = tmp_path / "det.skm"
    with pytest.raises(SystemExit, match="does not exist"):
        main(["novelty", "fit", str(tmp_path / "nope.csv"), "--model", str(model)])
    with pytest.raises(SystemExit, match=r"\['flux'\] not in the table.*--value"):
        main(["novelty", "fit", str(tmp_path / "obs.parquet"), "--model", str(model),
              "--value", "flux"])
    (tmp_path / "obs.xyz").write_text("1 2 3")
    with pytest.raises(SystemExit, match="obs.xyz.*astropy cannot read it"):
        main(["novelty", "fit", str(tmp_path / "obs.xyz"), "--model", str(model)])
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="holds no partition files"):
        main(["fold", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit, match="model .* does not exist"):
        main(["novelty", "score", str(model), str(tmp_path / "obs.parquet"), "--out",
              str(tmp_path / "o")])
    (tmp_path / "junk.skm").write_bytes(b"not a model")
    with pytest.raises(SystemExit, match="junk.skm: not a skastro model file: not a zip"):
        main(["vet", str(tmp_path / "junk.skm"), str(tmp_path / "obs.parquet"), "--out",
              str(tmp_path / "o")])
    save_model(PeriodFolder(), tmp_path / "other.skm")
    for command in (["vet"], ["novelty", "score"]):
        with pytest.raises(SystemExit, match="holds a PeriodFolder; expected a fitted "
                                             "(BranchedRNNClassifier|DmDtNoveltyDetector)"):
            main([*command, str(tmp_path / "other.skm"), str(tmp_path / "obs.parquet"),
                  "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit, match="--n-workers must be >= 0"):
        main(["fold", str(tmp_path / "obs.parquet"), "--out", str(tmp_path / "o"),
              "--n-workers", "-1"])
    # an estimator's own error names the command
    with pytest.raises(SystemExit, match="skastro fold: band='K' is not among"):
        main(["fold", str(tmp_path / "obs.parquet"), "--out", str(tmp_path / "o"),
              "--band-column", "band", "--band", "K"])
    main(["novelty", "fit", str(tmp_path / "obs.parquet"), "--model", str(model),
          "--band-column", "band"])
    main(["novelty", "score", str(model), str(tmp_path / "obs.parquet"), "--out",
          str(tmp_path / "o"), "--band-column", "band"])
    with pytest.raises(SystemExit, match="already holds 1 partition"):
        main(["novelty", "score", str(model), str(tmp_path / "obs.parquet"), "--out",
              str(tmp_path / "o"), "--band-column", "band"])


def test_scheduler_address(tmp_path, transients):
    from distributed import LocalCluster

    transients.to_parquet(tmp_path / "lcs.parquet")
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        assert main(["novelty", "fit", str(tmp_path / "lcs.parquet"), "--model",
                     str(tmp_path / "m.skm"), "--partition-size", "20",
                     "--scheduler", cluster.scheduler_address]) == 0
    np.testing.assert_array_equal(DmDtNoveltyDetector.load(tmp_path / "m.skm").counts_,
                                  DmDtNoveltyDetector().fit(transients).counts_)


def test_astropy_readable_table(tmp_path, transients):
    table = transients.to_table()
    del table.meta["objects"]  # a DataFrame, which ECSV cannot store
    table.write(tmp_path / "obs.ecsv")
    assert main(["novelty", "fit", str(tmp_path / "obs.ecsv"), "--model", str(tmp_path / "m.skm"),
                 "--value", "value", "--error", "error", "--band-column", "band"]) == 0
    np.testing.assert_array_equal(DmDtNoveltyDetector.load(tmp_path / "m.skm").counts_,
                                  DmDtNoveltyDetector().fit(transients).counts_)

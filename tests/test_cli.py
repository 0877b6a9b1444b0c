import pytest
from sklearn.base import BaseEstimator

from skastro._cli import main
from skastro.reproduce import SECTIONS


def test_reproduce_data_model_writes_summary_and_figure(tmp_path, capsys):
    assert main(["reproduce", "--sections", "data_model", "--out", str(tmp_path), "--quiet"]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "built-in simulations only" in summary
    assert "| epochs per light curve (median, range) |" in summary
    assert (tmp_path / "data_model" / "simulated_light_curves.png").stat().st_size > 10_000
    out, err = capsys.readouterr()
    assert "Summary written" in out and "| quantity |" in out and err == ""  # --quiet: no bar


def test_reproduce_shows_a_bar_of_the_sections_on_stderr(tmp_path, capsys):
    assert main(["reproduce", "--sections", "data_model", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "skastro reproduce: 100%" in err and "1/1" in err and "section" in err
    assert "| quantity |" not in err and "1/1" not in out
    assert "== " in out and "  simulated" in out  # the title and the progress lines stay on stdout


def test_reproduce_rejects_unknown_section_and_missing_data_dir(tmp_path):
    with pytest.raises(SystemExit, match="Unknown section"):
        main(["reproduce", "--sections", "nope", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="is not a folder"):
        main(["reproduce", "--data-dir", str(tmp_path / "absent"), "--out", str(tmp_path)])


def test_every_section_module_exists():
    import importlib

    for name in SECTIONS:
        module = importlib.import_module(f"skastro.reproduce._{name}")
        assert callable(module.run) and module.TITLE


@pytest.mark.parametrize("argv", [["--help"], ["reproduce", "--help"]])
def test_help_is_plain_text(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "usage: skastro" in text
    assert "`" not in text and ":meth:" not in text and ":class:" not in text, text
    assert "[" + repr(SECTIONS[0]) not in text     # the section names, not a Python list


def test_plain_formats_numpy_scalars_and_sequences():
    import numpy as np
    import pandas as pd

    from skastro.utils._formatting import plain

    assert plain(np.int64(3)) == "3"
    assert plain(np.float64(0.25)) == "0.25"
    assert plain([np.int64(1), np.int64(12)]) == "[1, 12]"
    assert plain(pd.Index([2, 4, 6])) == "[2, 4, 6]"
    assert plain(np.array([0.5, 1.5])) == "[0.5, 1.5]"
    assert plain(pd.Series([0.9125], index=[2]).round(3)) == "{2: 0.912}"
    assert plain({"a": np.float64(1.5)}) == "{a: 1.5}"
    assert plain("RRab") == "RRab"


# A survey this small has rare classes with fewer members than the 5 folds.
@pytest.mark.filterwarnings("ignore:The least populated class:UserWarning")
def test_followup_progress_lines_print_plain_numbers():
    from skastro.experiments._followup import simulated_followup_features

    lines = []
    simulated_followup_features(n_objects=300, n_spectra=100, n_wavelengths=40, dims=(2, 3),
                                vae_params=dict(max_epochs=1), random_state=0, log=lines.append)
    r2_line = next(line for line in lines if line.startswith("VAE latent size"))
    assert "{2: " in r2_line and "np." not in r2_line, r2_line


class TorchProbe(BaseEstimator):
    """A classifier whose probabilities say whether torch was loaded when it was fitted."""

    def fit(self, X, y):
        import sys

        self.torch_loaded_ = "torch" in sys.modules
        return self

    def predict_proba(self, X):
        import numpy as np

        return np.column_stack([np.zeros(len(X)), np.full(len(X), float(self.torch_loaded_))])


def test_cross_validation_workers_load_torch_before_their_first_job():
    # loky replaces a worker whose memory grows 300 MB past its size after its
    # first job ("A worker stopped while some jobs were given to the
    # executor"); importing torch in a later job did that, also in the pool
    # that an earlier joblib call (PeriodFolder's) left behind.
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.pipeline import Pipeline

    from skastro.experiments._rrab import cross_validate_models

    Parallel(n_jobs=2)(delayed(abs)(i) for i in range(4))     # a pool without torch
    X, y = np.zeros((8, 1)), np.array([0, 1] * 4)
    proba, _, _ = cross_validate_models(X, y, {"probe": Pipeline([("probe", TorchProbe())])},
                                        n_splits=2, n_jobs=2, log=lambda message: None)
    assert proba["probe"].tolist() == [1.0] * 8

import pytest

from skastro._cli import main
from skastro.reproduce import SECTIONS


def test_reproduce_data_model_writes_summary_and_figure(tmp_path, capsys):
    assert main(["reproduce", "--sections", "data_model", "--out", str(tmp_path), "--quiet"]) == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "built-in simulations only" in summary
    assert "| epochs per light curve (median, range) |" in summary
    assert (tmp_path / "data_model" / "simulated_light_curves.png").stat().st_size > 10_000
    assert "Summary written" in capsys.readouterr().out


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

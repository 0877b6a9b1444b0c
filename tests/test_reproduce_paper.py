"""``skastro reproduce --paper``: each section with presets runs in both configurations and
gets a side-by-side table of its key figures (the paper's, the paper preset's, the defaults')."""

import importlib
import sys
import types

import pytest

import skastro._cli
from skastro._cli import main
from skastro.reproduce import NOT_RUN, SECTIONS, Row, compare_key_figures, side_by_side

WITH_PRESETS = ["periodic", "lensnet", "novelty", "followup"]


def _stub_section():
    """A section that records its configuration in its key figures and counts its runs."""
    module = types.ModuleType("skastro.reproduce._stub")
    module.TITLE = "Stub paper: two key figures"
    module.KEY_FIGURES = {"accuracy": "0.875 (§8.3)", "speed": "n/a", "real-data only": "0.78 (§8.1)"}
    module.runs = []

    def run(ctx):
        module.runs.append((ctx.paper, ctx.out_dir))
        (ctx.out_dir / "figure.png").write_bytes(b"png")
        ctx.key("accuracy", "0.900" if ctx.paper else "0.950")
        ctx.key("speed", f"{'12' if ctx.paper else '34'} curves/s")
        return [Row("accuracy", "0.900" if ctx.paper else "0.950", "0.875")]

    module.run = run
    return module


@pytest.fixture
def stub(monkeypatch):
    module = _stub_section()
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr(skastro._cli, "SECTIONS", [*SECTIONS, "stub"])
    return module


def _table(summary):
    """The side-by-side rows of a summary: {metric: (paper, preset, default)}."""
    head = "| metric | paper's reported value | paper preset (this run) | skastro defaults (this run) |"
    lines = summary.splitlines()
    start = lines.index(head) + 2
    rows = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        metric, paper, preset, default = (cell.strip() for cell in line.strip("|").split("|"))
        rows[metric] = (paper, preset, default)
    return rows


def test_paper_runs_both_configurations_and_writes_the_side_by_side_table(stub, tmp_path, capsys):
    assert main(["reproduce", "--sections", "stub", "--paper", "--out", str(tmp_path), "--quiet"]) == 0
    # the paper presets first (figures in the section's folder), then the defaults (in defaults/)
    assert stub.runs == [(True, tmp_path / "stub"), (False, tmp_path / "stub" / "defaults")]
    assert (tmp_path / "stub" / "figure.png").exists() and (tmp_path / "stub" / "defaults" / "figure.png").exists()
    summary = (tmp_path / "summary.md").read_text()
    assert _table(summary) == {"accuracy": ("0.875 (§8.3)", "0.900", "0.950"),
                               "speed": ("n/a", "12 curves/s", "34 curves/s"),
                               "real-data only": ("0.78 (§8.1)", NOT_RUN, NOT_RUN)}
    assert "### Every row, paper presets" in summary and "### Every row, skastro defaults" in summary
    assert "skastro defaults beside them" in summary.splitlines()[2]
    assert _table(capsys.readouterr().out) == _table(summary)  # printed as written


def test_without_paper_a_section_runs_once_with_the_defaults(stub, tmp_path):
    assert main(["reproduce", "--sections", "stub", "--out", str(tmp_path), "--quiet"]) == 0
    assert stub.runs == [(False, tmp_path / "stub")]
    summary = (tmp_path / "summary.md").read_text()
    assert "paper preset (this run)" not in summary and "| accuracy | 0.950 | 0.875 |  |" in summary


def test_a_section_without_key_figures_runs_once_under_paper(tmp_path):
    assert main(["reproduce", "--sections", "data_model", "--paper", "--out", str(tmp_path), "--quiet"]) == 0
    assert not (tmp_path / "data_model" / "defaults").exists()
    assert "paper preset (this run)" not in (tmp_path / "summary.md").read_text()


def test_compare_key_figures_rejects_a_metric_missing_from_key_figures():
    with pytest.raises(ValueError, match="'acuracy'"):
        compare_key_figures({"accuracy": "0.875"}, {"acuracy": "0.9"}, {"accuracy": "0.95"})
    assert side_by_side([("a", "1", "2", "3")])[-1] == "| a | 1 | 2 | 3 |"


@pytest.mark.parametrize("name", WITH_PRESETS)
def test_every_section_with_presets_has_cited_key_figures(name):
    key_figures = importlib.import_module(f"skastro.reproduce._{name}").KEY_FIGURES
    assert len(key_figures) >= 3
    for metric, paper in key_figures.items():
        # the paper's value with the section, table or figure it comes from; "n/a" where none
        assert paper == "n/a" or ("§" in paper and any(c.isdigit() for c in paper)), (metric, paper)
    assert any(paper != "n/a" for paper in key_figures.values())


def test_summary_ends_with_a_figure_index_of_every_figure_written(stub, tmp_path):
    stub.FIGURES = {"fig*.png": "Fig. 1: the stub's figure"}
    assert main(["reproduce", "--sections", "stub", "data_model", "--paper", "--out", str(tmp_path),
                 "--quiet"]) == 0
    index = (tmp_path / "summary.md").read_text().split("## Figure index", 1)[1]
    assert "| stub | stub/figure.png | Fig. 1: the stub's figure |" in index
    assert "| stub | stub/defaults/figure.png | Fig. 1: the stub's figure |" in index
    assert "| data_model | data_model/simulated_light_curves.png | none:" in index
    (tmp_path / "stub" / "extra.png").write_bytes(b"png")  # a figure no pattern names is still listed
    from skastro.reproduce import figure_index

    assert "| stub | stub/extra.png | none: skastro's own figure |" in figure_index(tmp_path, {"stub": stub})


@pytest.mark.parametrize("name", SECTIONS)
def test_every_section_names_the_paper_figure_of_each_file_it_writes(name):
    """The file names a section saves (read from its source) each match one of its FIGURES."""
    import fnmatch
    import inspect
    import re

    module = importlib.import_module(f"skastro.reproduce._{name}")
    sources = inspect.getsource(module)
    if name == "periodic":  # the BiLSTM study's figures are saved by the experiment it runs
        sources += inspect.getsource(importlib.import_module("skastro.experiments._rrab"))
    saved = set(re.findall(r'"([\w{}]+\.png)"', sources))
    assert saved

    def named(file, pattern):  # f-string fields ({tag}) stand for any text, as "*" does
        as_regex = re.escape(re.sub(r"\{[^}]*\}", "@", file)).replace("@", ".+")
        return (fnmatch.fnmatch(re.sub(r"\{[^}]*\}", "a", file), pattern)
                or re.fullmatch(as_regex, pattern.replace("*", "a")) is not None)

    unnamed = [f for f in saved if not any(named(f, p) for p in module.FIGURES)]
    assert unnamed == []

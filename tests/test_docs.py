"""Every public name has a place in the API reference (docs/api.rst)."""

import importlib
import io
import inspect
import re
from pathlib import Path

import pytest

import skastro

API = (Path(__file__).resolve().parents[1] / "docs" / "api.rst").read_text()
SUBPACKAGES = ["skastro.datasets", "skastro.periodic", "skastro.microlensing",
               "skastro.novelty", "skastro.followup", "skastro.experiments", "skastro.utils"]


def documented():
    """Fully qualified names listed in api.rst autosummary blocks."""
    names, module = set(), "skastro"
    for line in API.splitlines():
        if m := re.match(r"\.\. (?:current)?module:: (\S+)", line.strip()):
            module = m.group(1)
        elif re.match(r"^   [A-Za-z_]\w*$", line):
            names.add(f"{module}.{line.strip()}")
    return names


def public_callables():
    out = []
    for name in skastro.__all__:
        if not name.startswith("_"):
            out.append(("skastro", name))
    for sub in SUBPACKAGES:
        module = importlib.import_module(sub)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                # Re-exports of a top-level name are documented once, at the top.
                if name not in skastro.__all__:
                    out.append((sub, name))
    return out


@pytest.mark.parametrize("module, name", public_callables())
def test_public_name_is_in_api_reference(module, name):
    assert f"{module}.{name}" in documented(), f"{module}.{name} is missing from docs/api.rst"


@pytest.mark.parametrize("module, name", public_callables())
def test_public_name_has_numpydoc_docstring_with_example(module, name):
    obj = getattr(importlib.import_module(module), name)
    doc = inspect.getdoc(obj) or ""
    assert "Examples\n--------" in doc and ">>>" in doc, f"{module}.{name} needs an Examples section"


def _documented_parameters(doc):
    """Names in a numpydoc docstring's Parameters section (None when it has none)."""
    m = re.search(r"^Parameters\n-+\n(.*?)(?=\n\n\S[^\n]*\n-{3,}\n|\Z)", doc, re.S | re.M)
    if m is None:
        return None
    return {name.strip().lstrip("*")
            for line in m.group(1).splitlines() if line and not line[0].isspace()
            for name in line.split(" : ")[0].split(",")}


def _public_routines():
    """(qualified name, routine, its parameters to document) for each public
    function and method defined in skastro."""
    seen = set()
    for module in ["skastro", *SUBPACKAGES, "skastro.nn", "skastro.dask"]:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj in seen \
                    or not obj.__module__.startswith("skastro"):
                continue
            seen.add(obj)
            if inspect.isfunction(obj):
                yield f"{module}.{name}", obj, list(inspect.signature(obj).parameters)
            elif inspect.isclass(obj):
                for attr in filter(lambda a: not a.startswith("_"), dir(obj)):
                    raw = inspect.getattr_static(obj, attr)
                    func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
                    if inspect.isfunction(func) and func.__module__.startswith("skastro"):
                        params = list(inspect.signature(func).parameters)
                        bound = not isinstance(raw, staticmethod)
                        yield f"{module}.{name}.{attr}", getattr(obj, attr), params[bound:]


def test_every_public_routine_documents_each_parameter():
    """The API pages render each method's parameters from its docstring (issue 19)."""
    missing = []
    for name, routine, params in _public_routines():
        documented = _documented_parameters(inspect.getdoc(routine) or "")
        undocumented = [p for p in params if documented is None or p not in documented]
        if undocumented:
            missing.append(f"{name}: {undocumented}")
    assert not missing, "Parameters section lacks: " + "; ".join(missing)


DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def mini_docs(tmp_path_factory):
    """Build the API reference, a guide paragraph and a one-example gallery with the project's conf.py.

    The full build (``bash run.sh docs``) runs every example and takes a
    minute or more; this one takes seconds and checks what the full build relies on.
    """
    pytest.importorskip("sphinx", reason="the docs extra (sphinx) is not installed")
    from sphinx.application import Sphinx

    src = tmp_path_factory.mktemp("src")
    examples = tmp_path_factory.mktemp("examples")
    (examples / "README.rst").write_text("Examples\n========\n")
    (examples / "plot_tiny.py").write_text(
        '"""\nTiny\n====\n\nA figure.\n"""\nimport matplotlib.pyplot as plt\n\nplt.plot([0, 1])\n')
    (examples / "study.py").write_text('"""A study without a title: not part of the gallery."""\n')
    (src / "api.rst").write_text(API)
    conf = (DOCS / "conf.py").read_text()
    (src / "conf.py").write_text(
        conf + f"\nsphinx_gallery_conf['examples_dirs'] = {str(examples)!r}\n"
        f"templates_path = [{str(DOCS / '_templates')!r}]\n")
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. toctree::\n\n   api\n   auto_examples/index\n\n"
        ".. currentmodule:: skastro.novelty\n\n"
        "A guide names :meth:`DmDtNoveltyDetector.save` and :meth:`skastro.LightCurves.from_table`; "
        ":math:`\\Delta m / \\Delta t`.\n")
    out = tmp_path_factory.mktemp("html")
    warnings = io.StringIO()
    app = Sphinx(src, src, out, out / ".doctrees", "html", warningiserror=True,
                 status=None, warning=warnings, keep_going=True)
    app.build()
    assert app.statuscode == 0, warnings.getvalue()   # every reference resolves, no warning
    return out


def test_class_pages_document_every_method_with_its_parameters(mini_docs):
    page = (mini_docs / "generated" / "skastro.LightCurves.html").read_text()
    for method in ["from_pandas", "from_table", "to_parquet", "with_meta"]:
        assert f'id="skastro.LightCurves.{method}"' in page, method
    detector = (mini_docs / "generated" / "skastro.DmDtNoveltyDetector.html").read_text()
    start = detector.index('id="skastro.DmDtNoveltyDetector.score_samples"')
    assert "Parameters" in detector[start:start + 3000]
    for method in ["fit", "merge", "save", "load", "partial_fit"]:
        assert f'id="skastro.DmDtNoveltyDetector.{method}"' in detector, method
    assert "set_fit_request" not in detector     # scikit-learn's metadata routing is left out


def test_guide_method_references_link_to_the_method(mini_docs):
    index = (mini_docs / "index.html").read_text()
    assert 'href="generated/skastro.DmDtNoveltyDetector.html#skastro.DmDtNoveltyDetector.save"' in index
    assert 'href="generated/skastro.LightCurves.html#skastro.LightCurves.from_table"' in index


def test_math_is_rendered_from_a_local_copy(mini_docs):
    index = (mini_docs / "index.html").read_text()
    assert 'src="_static/mathjax/tex-chtml.js"' in index
    assert (mini_docs / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert (mini_docs / "auto_examples" / "plot_tiny.html").exists()    # the gallery is in the check
    assert not (mini_docs / "auto_examples" / "study.html").exists()    # only plot_* scripts are built
    for page in mini_docs.rglob("*.html"):
        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page.read_text()), page


def test_getting_started_goes_from_csv_to_fitted_pipeline_in_ten_lines(tmp_path, monkeypatch):
    import doctest

    page = DOCS / "getting_started.rst"
    ten = page.read_text().split("Ten lines\n---------")[1].split("\n\n``lcs``")[0]
    assert ten.count(">>> ") <= 10
    monkeypatch.chdir(tmp_path)       # the page writes observations.csv and labels.csv
    result = doctest.testfile(str(page), module_relative=False, report=True,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 15, result


def test_guide_figures_come_from_gallery_examples():
    """The guides show figures the gallery draws (generated, not committed): each
    must name a ``plot_*`` example, which ``bash run.sh docs`` runs first."""
    examples = DOCS.parent / "examples"
    shown = [m for page in (DOCS / "user_guide").glob("*.rst")
             for m in re.findall(r"/auto_examples/images/sphx_glr_(\w+)_\d{3}\.png", page.read_text())]
    assert len(shown) >= 4
    for name in shown:
        assert name.startswith("plot_") and (examples / f"{name}.py").exists(), name

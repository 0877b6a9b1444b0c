"""Sphinx configuration. Build: `bash run.sh docs` (HTML in docs/_build/html).

The build works offline: math is rendered by a MathJax copy shipped in the
``sphinx-mathjax-offline`` package (no CDN), there is no intersphinx, and the
gallery runs the examples on built-in simulated data.
"""

import importlib
import re

import skastro

project = "skastro"
author = "The skastro developers"
copyright = "2026, The skastro developers"
version = release = skastro.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # serves MathJax from _static/mathjax, not from a CDN
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
# Class pages come from _templates/autosummary/class.rst: a table of the
# methods, then every method with its parameters (autodoc :members:).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
html_theme = "alabaster"

# Every cross-reference must resolve (-W turns a dangling one into an error),
# except those into other projects' documentation: the build is offline, so
# there is no intersphinx inventory to link them to.
nitpicky = True
EXTERNAL = ("numpy", "scipy", "pandas", "sklearn", "skorch", "torch", "astropy", "matplotlib", "dask")
nitpick_ignore_regex = [
    ("py:.*", rf"({'|'.join(EXTERNAL)})(\..*)?"),
    # Torch modules that the estimators build internally (their ``module_``).
    ("py:class", r"skastro\.nn\._\w+\.\w+"),
]
# Methods inherited from scikit-learn (e.g. ClassifierMixin.score) carry
# :ref: links to labels that exist only in scikit-learn's own documentation.
suppress_warnings = ["ref.ref"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # The gallery is the ``plot_*.py`` scripts, each run during the build (a
    # few seconds to half a minute on built-in data). The longer studies
    # beside them (minutes to hours, some need real data or MulensModel) are
    # command-line scripts, described in examples/README.rst, not built.
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_).*\.py$",  # matched against the file name
    "download_all_examples": False,
    "min_reported_time": 1,
    # The timings page loads jQuery and DataTables from CDNs: the docs must read offline.
    "write_computation_times": False,
}


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's metadata-routing methods (set_fit_request, ...)."""
    if re.fullmatch(r"set_\w+_request|get_metadata_routing", name):
        return True
    return None


def _canonical(name):
    """``skastro.periodic.PeriodFolder.fit`` -> ``skastro.PeriodFolder.fit``.

    The estimators are documented once, under their top-level name; their
    subpackages re-export them, so the guides and docstrings may name either.
    """
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for j, attr in enumerate(parts[i:], start=i):
            obj = getattr(obj, attr, None)
            if getattr(skastro, attr, None) is obj and obj is not None:
                return ".".join(["skastro", *parts[j:]])
        return None
    return None


def _home(module, cls):
    """The public subpackage that defines the documented class, e.g. ``skastro.microlensing``."""
    obj = getattr(importlib.import_module(module), cls.split(".")[0], None) if module and cls else None
    parts = getattr(obj, "__module__", "").split(".")
    return ".".join(p for p in parts if not p.startswith("_")) or None


def _resolve_reexport(app, env, node, contnode):
    """Resolve a reference that names a documented object by another public path."""
    if node.get("refdomain") != "py":
        return None
    target, module = node["reftarget"], node.get("py:module")
    home = _home(module, node.get("py:class"))
    for candidate in (f"{module}.{target}" if module else None, f"{home}.{target}" if home else None, target):
        if candidate is None:
            continue
        for name in (candidate, _canonical(candidate)):
            found = name and env.domains["py"].resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], name, node, contnode)
            if found is not None:
                return found
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("missing-reference", _resolve_reexport)

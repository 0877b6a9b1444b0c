"""Sphinx configuration. Build: `bash run.sh docs` (HTML in docs/_build/html)."""

import skastro

project = "skastro"
author = "The skastro developers"
copyright = "2026, The skastro developers"
version = release = skastro.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = []
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Methods inherited from scikit-learn (e.g. ClassifierMixin.score) carry
# :ref: links to labels that exist only in scikit-learn's own documentation.
suppress_warnings = ["ref.ref"]

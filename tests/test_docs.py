"""Every public name has a place in the API reference (docs/api.rst)."""

import importlib
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
        if m := re.match(r"\.\. currentmodule:: (\S+)", line.strip()):
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

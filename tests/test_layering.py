"""The import layering of skastro (docs/contributing.rst, "Layers").

From the bottom: the core (``skastro._lightcurves``, ``skastro._version``,
``skastro.utils``) < ``skastro.nn`` < the method packages (``periodic``,
``microlensing``, ``novelty``, ``followup``; independent of each other) <
``skastro.datasets`` < ``skastro.experiments`` < ``skastro.reproduce`` and the
command line (``skastro._cli``). A module may import its own layer's package
and the layers below, never above. Imports inside functions count too: they
are dependencies all the same. The ``skastro`` package itself is the public
facade (its names load lazily) and only the top layer may import it.

Examples use public names only; benchmarks too, except a benchmark that times
a private kernel against its reference (listed in ``KERNEL_BENCHMARKS``).
"""

import ast
import pkgutil
from pathlib import Path

import pytest

import skastro

ROOT = Path(skastro.__file__).resolve().parent
PROJECT = ROOT.parent

LAYERS = {
    "skastro._lightcurves": 0,
    "skastro._version": 0,
    "skastro.utils": 0,
    "skastro._partitioned": 0,
    "skastro.nn": 1,
    "skastro.dask": 1,  # applies any fitted estimator; imports only the core
    "skastro.periodic": 2,
    "skastro.microlensing": 2,
    "skastro.novelty": 2,
    "skastro.followup": 2,
    "skastro.datasets": 3,
    "skastro.experiments": 4,
    "skastro.reproduce": 5,
    "skastro._cli": 5,
    "skastro._batch_cli": 5,
    "skastro": 5,  # the facade
}
METHOD_LAYER = 2

#: benchmark file -> private modules it may import (the kernel it times against a reference)
KERNEL_BENCHMARKS = {
    "bench_bilstm.py": {"skastro.nn._bilstm"},          # the same module in raw torch
    "bench_dmdt.py": {"skastro.novelty._kernels"},      # numba kernels vs the Python reference
    "bench_period_folder.py": {"skastro.periodic._periodogram"},  # GLS kernel vs astropy
}


def _module_name(path):
    parts = path.relative_to(PROJECT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path, source=None):
    """Absolute dotted names imported by ``path`` (``from x import y`` gives ``x.y``), with line."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    source = path.read_text() if source is None else source
    out = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            out += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module
            out += [(f"{origin}.{alias.name}", node.lineno) for alias in node.names]
    return [(name, line) for name, line in out if name == "skastro" or name.startswith("skastro.")]


def _layer_key(name):
    """The entry of LAYERS that ``name`` belongs to (the longest matching prefix)."""
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return key
    raise KeyError(name)


SOURCES = sorted(ROOT.rglob("*.py"))


def test_every_subpackage_has_a_layer():
    found = {f"skastro.{m.name}" for m in pkgutil.iter_modules([str(ROOT)])}
    missing = sorted(found - set(LAYERS))
    assert not missing, f"place these in LAYERS (tests/test_layering.py) and docs/contributing.rst: {missing}"


def violations(path, source=None):
    """Imports of ``path`` (or of ``source`` placed at ``path``) against the layering."""
    own = _layer_key(_module_name(path))
    out = []
    for name, line in _imports(path, source):
        target = _layer_key(name)
        if target == own:
            continue
        if target == "skastro" and LAYERS[own] < LAYERS["skastro"]:
            # `from skastro import LightCurves` style imports of the facade (lazy names)
            out.append(f"{path.relative_to(PROJECT)}:{line} imports the facade `skastro` ({name})")
        elif LAYERS[target] > LAYERS[own] or LAYERS[target] == LAYERS[own] == METHOD_LAYER:
            out.append(f"{path.relative_to(PROJECT)}:{line} ({own}, layer {LAYERS[own]}) imports "
                       f"{name} ({target}, layer {LAYERS[target]})")
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_imports_follow_the_layers(path):
    bad = violations(path)
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


def test_the_layer_check_catches_an_upward_import():
    """The checker itself: a method module importing datasets, or another method, is flagged."""
    source = ("from ..datasets import make_transients\n"
              "def f():\n    from skastro.novelty import DmDtNoveltyDetector\n"
              "from ..utils import check_lightcurves\nfrom ..nn import _utils\n")
    bad = violations(ROOT / "periodic" / "_any.py", source)
    assert len(bad) == 2 and "skastro.datasets" in bad[0] and "skastro.novelty" in bad[1]


def _private(name):
    return any(part.startswith("_") for part in name.split(".")[1:])


SCRIPTS = sorted((PROJECT / "examples").glob("*.py")) + sorted((PROJECT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(PROJECT)))
def test_examples_and_benchmarks_use_public_names(path):
    allowed = KERNEL_BENCHMARKS.get(path.name, set()) if path.parent.name == "benchmarks" else set()
    bad = [f"line {line}: {name}" for name, line in _imports(path)
           if _private(name) and not any(name == a or name.startswith(a + ".") for a in allowed)]
    assert not bad, f"{path.name} imports private skastro names (make them public or use public ones): {bad}"

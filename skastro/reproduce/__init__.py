"""The main job: small-scale versions of each paper's headline experiment.

Each section is a module ``skastro.reproduce._<name>`` with a ``TITLE`` and a
``run(ctx)`` function. ``run`` writes its figures under ``ctx.out_dir`` and
returns a list of :class:`Row` (our figure beside the paper's) for the summary.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Run order of the sections (module names under skastro.reproduce).
SECTIONS = ["data_model", "periodic", "lensnet", "novelty", "followup"]


def plain(value):
    """Text of a figure or id as a reader expects it: ``3``, not ``np.int64(3)``.

    NumPy scalars become Python numbers; lists, tuples, arrays and pandas
    indexes are written ``[a, b, ...]`` and dicts and Series ``{key: value, ...}``,
    their items formatted the same way. Sections use it wherever a value goes
    into printed text without a format spec.
    """
    if isinstance(value, np.generic):
        return str(value.item())
    if isinstance(value, dict) or hasattr(value, "items"):  # dict, pandas Series
        return "{" + ", ".join(f"{plain(k)}: {plain(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) or hasattr(value, "tolist"):  # arrays, pandas Index
        return "[" + ", ".join(plain(v) for v in value) + "]"
    return str(value)


@dataclass
class Row:
    """One line of the summary: what was measured, our value, the paper's."""

    quantity: str
    ours: str
    paper: str = ""
    note: str = ""


@dataclass
class Context:
    """What a section gets from the command line."""

    out_dir: Path
    data_dir: Path | None
    full: bool
    random_state: int
    verbose: bool = True

    def log(self, message):
        if self.verbose:
            print(f"  {message}", flush=True)

    def rng(self):
        return np.random.default_rng(self.random_state)

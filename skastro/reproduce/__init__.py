"""The main job: small-scale versions of each paper's headline experiment.

Each section is a module ``skastro.reproduce._<name>`` with a ``TITLE`` and a
``run(ctx)`` function. ``run`` writes its figures under ``ctx.out_dir`` and
returns a list of :class:`Row` (our figure beside the paper's) for the summary.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..utils._progress import write

# Run order of the sections (module names under skastro.reproduce).
SECTIONS = ["data_model", "periodic", "lensnet", "novelty", "followup"]


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
    paper: bool = False  # each component as its ``from_preset`` paper preset, not our defaults

    def log(self, message):
        if self.verbose:
            write(f"  {message}")

    def rng(self):
        return np.random.default_rng(self.random_state)

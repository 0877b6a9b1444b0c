"""The main job: small-scale versions of each paper's headline experiment.

Each section is a module ``skastro.reproduce._<name>`` with a ``TITLE`` and a
``run(ctx)`` function. ``run`` writes its figures under ``ctx.out_dir`` and
returns a list of :class:`Row` (our figure beside the paper's) for the summary.

A section whose configuration depends on the paper presets also defines
``KEY_FIGURES`` (metric -> the paper's reported value, "n/a" where it reports
none) and records each one's value of the run with :meth:`Context.key`.
``skastro reproduce --paper`` runs such a section twice, with the paper presets
and with skastro's defaults, and prints :func:`side_by_side` of the two.
"""

import fnmatch
from dataclasses import dataclass, field
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
    keys: dict = field(default_factory=dict)  # KEY_FIGURES metric -> value in this run

    def key(self, metric, value):
        """Record this run's value of one of the section's ``KEY_FIGURES``."""
        self.keys[metric] = value

    def log(self, message):
        if self.verbose:
            write(f"  {message}")

    def rng(self):
        return np.random.default_rng(self.random_state)


# the cell of a key figure a run did not measure (e.g. a real-data one without --data-dir)
NOT_RUN = "not run"


def compare_key_figures(key_figures, preset_keys, default_keys):
    """Rows (metric, paper, paper preset, skastro defaults) for :func:`side_by_side`.

    Parameters
    ----------
    key_figures : dict
        A section's ``KEY_FIGURES``: metric -> the paper's reported value, in order.
    preset_keys, default_keys : dict
        :attr:`Context.keys` of the run with the paper presets and of the one with
        skastro's defaults.

    Returns
    -------
    list of tuple of str
        One row per metric of ``key_figures``; :data:`NOT_RUN` where a run did not
        record the metric.
    """
    unknown = sorted((set(preset_keys) | set(default_keys)) - set(key_figures))
    if unknown:  # a misspelt metric would otherwise vanish from the table
        raise ValueError(f"key figures {unknown} recorded but not in KEY_FIGURES {list(key_figures)}")
    return [(metric, paper, str(preset_keys.get(metric, NOT_RUN)), str(default_keys.get(metric, NOT_RUN)))
            for metric, paper in key_figures.items()]


def figure_index(out_root, sections):
    """Markdown lines: every figure under ``out_root``, by section, with its paper figure.

    Parameters
    ----------
    out_root : Path
        The output folder of ``skastro reproduce`` (one subfolder per section).
    sections : dict
        Section name -> its module, for the sections that ran; a module may map
        file-name patterns (``fnmatch``) to the paper figure they reproduce in ``FIGURES``.

    Returns
    -------
    list of str
        A table: section | file (relative to ``out_root``) | paper figure. A figure that
        no pattern names is listed as skastro's own, so none goes unindexed.
    """
    rows = []
    for name, module in sections.items():
        patterns = getattr(module, "FIGURES", {})
        for path in sorted((out_root / name).rglob("*.png")):
            figure = next((label for pattern, label in patterns.items()
                           if fnmatch.fnmatch(path.name, pattern)), "none: skastro's own figure")
            rows.append((name, path.relative_to(out_root).as_posix(), figure))
    return markdown_table(("section", "file", "paper figure"), rows)


def side_by_side(rows):
    """Markdown lines of a table: metric | the paper's value | paper preset | skastro defaults.

    ``rows``: tuples (metric, paper, preset, default), e.g. from :func:`compare_key_figures`.
    """
    return markdown_table(("metric", "paper's reported value", "paper preset (this run)",
                           "skastro defaults (this run)"), rows)


def markdown_table(header, rows):
    """Markdown lines of a table with ``header`` (cell texts) and ``rows`` (tuples of cells)."""
    return [f"| {' | '.join(header)} |", "|" + "---|" * len(header),
            *(f"| {' | '.join(map(str, row))} |" for row in rows)]

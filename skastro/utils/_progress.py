"""Progress bars of skastro's long loops: one tqdm helper, on stderr, off unless asked.

Every long loop (PeriodFolder's chunks, training epochs, the batch commands,
``skastro reproduce``) uses :func:`progress`, so all bars behave alike. They
follow scikit-learn's ``verbose`` convention: 0, every estimator's default,
shows nothing, so a ``GridSearchCV`` stays quiet. They write to stderr,
never to stdout, where commands write their data.
"""

import sys

from tqdm import tqdm

__all__ = ["progress", "write"]


def progress(iterable=None, *, verbose=0, total=None, desc=None, unit="it"):
    """A tqdm bar on stderr when ``verbose > 0``, else a silent pass-through.

    Either way it iterates ``iterable`` (when given) and has ``update``,
    ``set_postfix`` and ``close``; as a context manager it closes itself.

    Examples
    --------
    >>> sum(progress(range(4), verbose=0))
    6
    >>> with progress(total=10, verbose=0, unit="curve") as bar:
    ...     bar.update(10)
    """
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not verbose,
                file=sys.stderr, dynamic_ncols=True)


def write(text):
    """Print a line on stdout without breaking the bars drawn on stderr.

    Examples
    --------
    >>> write("period 0.61 d")
    period 0.61 d
    """
    tqdm.write(text, file=sys.stdout)
    sys.stdout.flush()

"""Small torch helpers shared by the torch estimators (torch is imported lazily)."""

from contextlib import contextmanager


def _silent(*args, **kwargs):
    """A skorch sink that prints nothing (picklable, unlike a lambda)."""


def _print_above_bars(text):
    """A skorch sink printing on stdout above the progress bars on stderr (picklable)."""
    from ..utils._progress import write

    write(text)


def resolve_device(device, owner="estimator"):
    """Check a ``device`` parameter and return the torch device string to use.

    ``"auto"`` becomes ``"cuda"`` when CUDA is available, else ``"cpu"``.
    ``"cpu"``, ``"cuda"``, ``"cuda:<index>"`` and ``"mps"`` are accepted when
    that device exists; anything else raises a ``ValueError`` that names the
    parameter, what is accepted and what was received.

    Examples
    --------
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("nonsense", "BiLSTMClassifier")
    Traceback (most recent call last):
    ...
    ValueError: BiLSTMClassifier: device must be 'cpu', 'cuda', 'cuda:<index>', 'mps' or 'auto'; got 'nonsense'.
    """
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    expected = "'cpu', 'cuda', 'cuda:<index>', 'mps' or 'auto'"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{owner}: device must be {expected}; got {device!r}.") from None
    if dev.type == "cpu":
        return str(dev)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"{owner}: device={device!r} was requested but CUDA is not available "
                             "(use device='cpu' or 'auto').")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{owner}: device={device!r} but only {torch.cuda.device_count()} CUDA "
                             "device(s) are visible.")
        return str(dev)
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(f"{owner}: device={device!r} was requested but MPS is not available.")
        return str(dev)
    raise ValueError(f"{owner}: device must be {expected}; got {device!r}.")


def torch_thread_count(n_jobs):
    """torch CPU threads for ``n_jobs`` (None: leave torch's setting; -1: all cores; -2: all but one).

    Examples
    --------
    >>> torch_thread_count(None) is None, torch_thread_count(2)
    (True, 2)
    """
    if n_jobs is None:
        return None
    from joblib import effective_n_jobs

    return max(1, int(effective_n_jobs(n_jobs)))


@contextmanager
def torch_threads(n_jobs):
    """Run the block with the torch CPU threads ``n_jobs`` asks for, then restore torch's setting.

    Small recurrent nets are much faster with one thread on a busy 2-core CPU.
    """
    n = torch_thread_count(n_jobs)
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)

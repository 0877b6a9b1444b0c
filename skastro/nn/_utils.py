"""Small torch helpers shared by the skorch estimators."""

from contextlib import contextmanager

import numpy as np


def _silent(*args, **kwargs):
    """A skorch sink that prints nothing (picklable, unlike a lambda)."""


def resolve_device(device):
    """Map ``"auto"`` to ``"cuda"`` when available, else ``"cpu"``; check the rest."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return device


def seed_torch(random_state):
    """Seed torch from ``random_state`` (int, None or RandomState); returns the int seed."""
    import torch
    from sklearn.utils import check_random_state

    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    torch.manual_seed(seed)
    return seed


@contextmanager
def torch_threads(n):
    """Run the block with ``n`` torch CPU threads (None: unchanged), then restore.

    Small recurrent nets are much faster with one thread on a busy 2-core CPU.
    """
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(before)

import os
from pathlib import Path

if "PYTEST_XDIST_WORKER" in os.environ:
    # One BLAS/torch thread per worker: `run.sh test` runs one worker per core.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import matplotlib
import pytest

matplotlib.use("Agg")

# The real data lives beside the project (never inside it); SKASTRO_DATA overrides.
DATA_DIR = Path(os.environ.get("SKASTRO_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir():
    """Path of the real data, or skip the test with the reason."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"real data not found at {DATA_DIR} (set SKASTRO_DATA to its folder)")
    return DATA_DIR

"""Hypothesis profiles of the fuzz suite (issue 17).

- ``fuzz-ci`` (default): a bounded number of examples per test (the same ones
  on every run), so the whole folder runs in under 3 minutes on 2 cores
  (``-n 2``); failing examples are reported unshrunk.
- ``long``: at least 20,000 examples per estimator. Select it with the
  environment variable ``SKASTRO_FUZZ=long`` (works for any pytest command) or,
  when running this folder directly, ``--hypothesis-profile=long``;
  ``SKASTRO_FUZZ_EXAMPLES`` changes its number of examples per test, and
  ``SKASTRO_FUZZ_SHRINK=0`` turns its shrinking off (faster long runs).

Every example is also stopped after ``SKASTRO_FUZZ_TIMEOUT`` seconds (default
120): a hang is a failure, not a stuck CI job.
"""

import os

import pytest
from hypothesis import HealthCheck, Phase, settings

_SLOW_DATA = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
              HealthCheck.filter_too_much]

# No shrinking in CI: a failure is reported as found (shrinking one can take minutes);
# the long profile shrinks to a minimal example (unless SKASTRO_FUZZ_SHRINK=0).
settings.register_profile("fuzz-ci", max_examples=12, deadline=None, derandomize=True,
                          suppress_health_check=_SLOW_DATA, print_blob=True,
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
# SKASTRO_FUZZ_SHRINK=0: no shrinking in the long profile either (a long run spends its
# time on new examples; a failure is reported as found, with its reproducing blob)
_SHRINK = os.environ.get("SKASTRO_FUZZ_SHRINK", "1") != "0"
_LONG_PHASES = [p for p in Phase if _SHRINK or p not in (Phase.shrink, Phase.explain)]
settings.register_profile("long", max_examples=int(os.environ.get("SKASTRO_FUZZ_EXAMPLES", 20_000)), deadline=None,
                          suppress_health_check=_SLOW_DATA, print_blob=True, phases=_LONG_PHASES)

_profile = os.environ.get("SKASTRO_FUZZ", "fuzz-ci")
if settings.get_current_profile_name() not in ("fuzz-ci", "long"):
    settings.load_profile(_profile)


def pytest_runtest_teardown(item):
    """With SKASTRO_FUZZ_REPORT=<folder>: write the tally of outcomes per subject there
    after each test (``_checks`` also writes it every SKASTRO_FUZZ_TALLY_EVERY seconds
    during one, so a crashed or stopped long run keeps what it counted). Print the
    table with ``python -m tests.fuzz._checks <folder>``."""
    folder = os.environ.get("SKASTRO_FUZZ_REPORT")
    if folder:
        from ._checks import write_tally

        write_tally(folder)


@pytest.fixture(autouse=True)
def _one_numba_thread():
    """One numba thread during each fuzz test: an example holds at most a few objects, so
    the parallel dm-dt kernels only add thread start-up and spinning (with numba's default
    of one thread per core, DmDtNoveltyDetector took 42-82 ms of CPU per example instead
    of 9). The former count is restored afterwards."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)

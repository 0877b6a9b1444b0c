"""CPU time per generated example of the fuzz suite (issue 17), per subject.

Calls the body of ``tests/fuzz/test_estimators.py::test_hostile_input`` (the
long profile, no shrinking, no example database) with a fixed seed, so two
checkouts run the same examples as long as the strategies are the same. CPU
time of the process, not wall time: the machine is shared. The first subject
of a process also pays one-time imports (torch's optimiser machinery); give a
cheap one first when comparing.

Run from a checkout's root::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_fuzz.py 150 AlertFinder PeriodFolder
    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_fuzz.py 150     # every subject
"""

import os
import sys
import time
import warnings


def main(n, names):
    os.environ.setdefault("SKASTRO_FUZZ_SHRINK", "0")
    warnings.simplefilter("ignore")
    from hypothesis import settings

    from tests.fuzz import conftest

    settings.register_profile("bench", parent=settings.get_profile("long"), max_examples=n,
                              database=None)
    settings.load_profile("bench")
    from tests.fuzz import _checks
    from tests.fuzz import test_estimators as T

    if hasattr(conftest, "_one_numba_thread"):  # what the fixture does under pytest
        import numba

        numba.set_num_threads(1)
    T.test_hostile_input._hypothesis_internal_use_seed = 1
    subjects = getattr(T, "SUBJECTS", None)
    for name in names or list(subjects):
        if subjects is None:  # a checkout before fuzz subjects: the test takes cls=
            subject = next(c for c in T.ESTIMATORS if c.__name__ == name)
            kwargs = {"cls": subject}
        else:
            subject = name
            kwargs = {"subject": subject}
        T._template(subject)  # the template fit is once per process: not timed
        _checks.TALLY.clear()
        cpu = time.process_time()
        status = "ok"
        try:
            T.test_hostile_input(**kwargs)
        except BaseException as exc:  # report and go on with the next subject
            status = f"FAILED {type(exc).__name__}: {str(exc)[:300]}"
        cpu = time.process_time() - cpu
        examples = _checks.TALLY[name, "examples"]
        print(f"{name:34s} {examples:5d} examples  {1000 * cpu / max(examples, 1):6.1f} ms CPU "
              f"each  {status}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2:])

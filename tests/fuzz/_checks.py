"""What counts as an acceptable outcome of a fuzzed call (issue 17).

An outcome is acceptable when it is either

- a well-formed result: one row per object, finite where the method promises
  it, the input unchanged; or
- a clear error: a ``ValueError`` or ``TypeError`` raised deliberately by
  skastro (or by scikit-learn's own input validation), whose message names
  the estimator, a column or parameter, or, when it speaks of an object, the
  object's id.

Anything else (an exception from deep inside NumPy, pandas, torch, ...; a
KeyError/IndexError/ZeroDivisionError; a malformed result; a changed input;
an example that runs past the time limit) fails the test.
"""

import collections
import contextlib
import copy
import json
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
from skorch.helper import SliceDict

import skastro
from skastro import LightCurves

SKASTRO_DIR = str(Path(skastro.__file__).parent)
#: scikit-learn's deliberate input and parameter validation, clear by design.
SKLEARN_VALIDATION = ("sklearn/utils/validation.py", "sklearn/utils/_param_validation.py")
TIMEOUT = float(os.environ.get("SKASTRO_FUZZ_TIMEOUT", 120))

#: Tally of outcomes per (subject, outcome) for the table of issue 17 (and of
#: examples per estimator, outcome "examples"). With SKASTRO_FUZZ_REPORT naming a
#: folder it is written there after each test and, during a test, every
#: SKASTRO_FUZZ_TALLY_EVERY seconds (default 60), with a one-line summary on
#: stderr: a long run stopped or killed keeps what it counted.
TALLY = collections.Counter()
REPORT = os.environ.get("SKASTRO_FUZZ_REPORT")
TALLY_EVERY = float(os.environ.get("SKASTRO_FUZZ_TALLY_EVERY", 60))
_last_written = [time.monotonic()]


class Hang(Exception):
    """An example ran past ``SKASTRO_FUZZ_TIMEOUT`` seconds."""


@contextlib.contextmanager
def time_limit(seconds=TIMEOUT):
    """Raise :class:`Hang` after ``seconds`` (main thread, Unix; else no limit)."""
    try:
        previous = signal.signal(signal.SIGALRM, _raise_hang)
    except ValueError:  # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _raise_hang(signum, frame):
    raise Hang(f"no result after {TIMEOUT:.0f} s")


def snapshot(X):
    """A deep, comparable copy of an input.

    A ``LightCurves`` is copied column by column (label columns as codes and labels)
    rather than through ``to_pandas``: the same content, at a fraction of the cost of
    building and comparing a long DataFrame before and after every call.
    """
    if isinstance(X, LightCurves):
        columns = {}
        for name in X.columns:
            if name in ("band", "site"):
                columns[name] = (np.array(X.codes(name)), tuple(getattr(X, f"{name}s")))
            else:
                columns[name] = np.array(X.column(name))
        return {"offsets": np.array(X.offsets), "columns": columns, "meta": X.meta.copy(deep=True),
                "value_kind": X.value_kind, "units": X.units}
    if isinstance(X, SliceDict):
        return {k: np.array(X[k], copy=True) for k in X}
    return copy.deepcopy(X)


#: The snapshot that the last call's ``assert_unchanged`` found ``X`` equal to: the next
#: call on the same ``X`` (the output methods, one after another) starts from it.
_LAST = [None, None]


def _snapshot_before(X):
    if X is not None and _LAST[0] is X:
        return _LAST[1]
    return snapshot(X)


def assert_unchanged(X, before):
    after = snapshot(X)
    _LAST[:] = None, None
    if isinstance(X, LightCurves):
        _assert_same_array(after["offsets"], before["offsets"], "offsets")
        assert list(after["columns"]) == list(before["columns"]), "input changed (columns)"
        for name, old in before["columns"].items():
            new = after["columns"][name]
            if isinstance(old, tuple):  # a label column: codes and labels
                _assert_same_array(new[0], old[0], name)
                assert new[1] == old[1], f"input changed (labels of {name!r})"
            else:
                _assert_same_array(new, old, name)
        _assert_same_frame(after["meta"], before["meta"])
        assert (after["value_kind"], after["units"]) == (before["value_kind"], before["units"]), (
            "input changed (value_kind or units)")
    elif isinstance(before, dict):
        for k in before:
            _assert_same_array(after[k], before[k], k)
    elif isinstance(before, pd.DataFrame):
        _assert_same_frame(after, before)
    else:
        _assert_same_array(np.asarray(after), np.asarray(before))
    _LAST[:] = X, after


def _assert_same_frame(after, before):
    """Same index, columns, dtypes and values (NaN equal to NaN); exact, unlike
    ``assert_frame_equal``'s default relative tolerance on floats."""
    same = (after.equals(before) and after.index.equals(before.index)
            and after.index.dtype == before.index.dtype and after.index.names == before.index.names
            and after.columns.equals(before.columns)
            and all(a == b for a, b in zip(after.dtypes.array, before.dtypes.array)))
    if not same:
        pd.testing.assert_frame_equal(after, before, check_exact=True)  # says what differs
        raise AssertionError("input changed (a DataFrame)")


def _assert_same_array(after, before, key=None):
    """Same dtype, shape and bytes (NaN equal to NaN of the same bits); object arrays by
    the repr of their values (assert_array_equal calls their NaNs different, a false
    "input changed")."""
    where = "input changed" if key is None else f"input changed (key {key!r})"
    assert after.dtype == before.dtype and after.shape == before.shape, where
    if before.dtype.hasobject:
        assert repr(after.tolist()) == repr(before.tolist()), where
    else:
        assert after.tobytes() == before.tobytes(), where


def _origin(exc):
    """File of the innermost frame that raised ``exc``."""
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


def _ids_named(message, ids):
    return any(repr(_plain(i)) in message or f"'{i}'" in message for i in list(ids)[:200])


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def check_error(exc, subject, X=None, names=(), ids=()):
    """Fail unless ``exc`` is a clear error (see the module docstring).

    ``subject`` is the estimator or constructor name; ``names`` further words
    any of which a message may name (columns, parameters).
    """
    where = _origin(exc)
    deliberate = where.startswith(SKASTRO_DIR) or where.endswith(SKLEARN_VALIDATION)
    detail = f"{type(exc).__name__} from {where}: {exc}"
    assert isinstance(exc, (ValueError, TypeError)), f"{subject}: obscure exception {detail}"
    assert deliberate, f"{subject}: error raised outside skastro's checks, {detail}"
    message = str(exc)
    words = {subject.split()[0], *names, "X", "y"}
    if isinstance(X, LightCurves):
        words |= set(X.columns) | set(map(str, X.meta.columns))
    named = any(re.search(rf"(?<!\w){re.escape(str(w))}(?!\w)", message) for w in words if str(w))
    if isinstance(X, LightCurves):
        ids = X.ids
    ids_named = _ids_named(message, ids)
    assert named or ids_named, f"{subject}: message names no estimator, column or object: {detail}"
    if re.search(r"\bobject\b(?! ids?\b)", message) and len(ids) > 1:
        assert ids_named or "object(s)" in message or "objects" in message, (
            f"{subject}: message speaks of an object without naming its id: {detail}"
        )


def check_result(method, out, X, est=None):
    """Fail unless ``out`` of ``est.method(X)`` is well formed."""
    n = len(X) if not isinstance(X, SliceDict) else len(X)
    name = f"{type(est).__name__}.{method}" if est is not None else method
    if method in ("fit", "partial_fit"):
        assert out is est, f"{name} did not return self"
        return
    if isinstance(out, LightCurves):
        assert len(out) == n, f"{name}: {len(out)} objects out for {n} in"
        if isinstance(X, LightCurves):
            assert out.ids.equals(X.ids), f"{name} changed the object ids or their order"
        meta = out.meta
        if {"fold_status", "period"} <= set(meta.columns):
            ok = (meta["fold_status"] == "ok").to_numpy()
            period = meta["period"].to_numpy(dtype=float)
            assert np.all(np.isfinite(period[ok]) & (period[ok] > 0)), (
                f"{name}: fold_status 'ok' with a non-finite or non-positive period")
            lo, hi = getattr(est, "period_range", None) or (0, np.inf)
            outside = ok & ((period < lo * (1 - 1e-9)) | (period > hi * (1 + 1e-9)))
            assert not outside.any(), (
                f"{name}: fold_status 'ok' with period {period[outside][:3]} outside "
                f"period_range {est.period_range}")
        return
    if isinstance(out, SliceDict):
        assert len(out) == n, f"{name}: {len(out)} rows out for {n} in"
        for key in out:
            values = np.asarray(out[key], dtype=float)
            assert np.all(np.isfinite(values)), f"{name}: non-finite entries in output {key!r}"
        return
    values = out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)
    assert values.shape[:1] == (n,), f"{name}: output of shape {values.shape} for {n} rows"
    if method == "predict":
        allowed = getattr(est, "classes_", np.array([-1, 1]))
        assert np.isin(values, allowed).all(), f"{name}: predictions outside {allowed}"
        return
    values = values.astype(float)
    if method in ("predict_proba", "score_samples", "decision_function"):
        assert np.all(np.isfinite(values)), f"{name}: non-finite output"
    if method == "predict_proba":
        np.testing.assert_allclose(values.sum(axis=1), 1.0, rtol=1e-5,
                                   err_msg=f"{name}: probabilities do not sum to 1")
    assert not np.isinf(values).any(), f"{name}: infinite output"


def constructor_words(how):
    """Parameter names of constructor ``how``: the words its messages may name."""
    import inspect

    method = getattr(LightCurves, how)
    return (*inspect.signature(method).parameters, *inspect.signature(LightCurves).parameters)


def run(subject, call, X, *, est=None, method=None, names=(), ids=()):
    """Run ``call()``; check its result (or its error) and that ``X`` is unchanged.

    Returns the result, or None when a clear error was raised.
    """
    before = _snapshot_before(X)
    try:
        with time_limit():
            out = call()
    except (ValueError, TypeError, Exception) as exc:  # noqa: B014 - checked below
        if isinstance(exc, Hang):
            TALLY[subject, "hang"] += 1
            raise AssertionError(f"{subject}: {exc}") from exc
        try:
            check_error(exc, subject, X, names, ids)
        except AssertionError:
            TALLY[subject, "defect"] += 1
            raise
        TALLY[subject, "clear error"] += 1
        _maybe_write()
        assert_unchanged(X, before)
        return None
    try:
        if method is not None:
            check_result(method, out, X, est)
        assert_unchanged(X, before)
    except AssertionError:
        TALLY[subject, "defect"] += 1
        raise
    TALLY[subject, "result"] += 1
    _maybe_write()
    return out


def count_example(subject):
    """Count one generated example of ``subject`` (an estimator or constructor)."""
    TALLY[subject, "examples"] += 1
    _maybe_write()


def _worker():
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{os.getpid()}"


def _maybe_write():
    if REPORT and time.monotonic() - _last_written[0] >= TALLY_EVERY:
        write_tally(REPORT)
        examples = {s: c for (s, o), c in TALLY.items() if o == "examples"}
        print(f"[fuzz tally {time.strftime('%H:%M:%S')}] examples {examples}", file=sys.stderr,
              flush=True)


def write_tally(folder, worker=None):
    """Write this process's whole tally to ``folder/tally-<worker>.json`` (replacing the
    last one written: the counts only grow)."""
    os.makedirs(folder, exist_ok=True)
    path = Path(folder) / f"tally-{worker or _worker()}.json"
    rows = [{"subject": s, "outcome": o, "count": c} for (s, o), c in sorted(TALLY.items())]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows))
    tmp.replace(path)  # never a half-written file, even when killed mid-write
    _last_written[0] = time.monotonic()


def tally_table(folder):
    """Markdown table of the tallies in ``folder``: per estimator or constructor, examples
    tried and, over all its calls (fit and the output methods), results, clear errors,
    defects and hangs. ``python -m tests.fuzz._checks FOLDER`` prints it."""
    total = collections.Counter()
    for path in sorted(Path(folder).glob("tally-*.json")):
        for row in json.loads(path.read_text()):
            subject = row["subject"].split(" (")[0]  # "X (fit)", "X (predict)" -> "X"
            total[subject, row["outcome"]] += row["count"]
    subjects = sorted({s for s, _ in total})
    lines = ["| subject | examples | results | clear errors | defects | hangs |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in subjects:
        lines.append(f"| {s} | " + " | ".join(str(total[s, o]) for o in (
            "examples", "result", "clear error", "defect", "hang")) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(tally_table(sys.argv[1]))

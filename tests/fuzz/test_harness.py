"""The fuzz harness itself: the long profile's shrink switch and the periodic tally."""

import collections
import importlib
import json

from hypothesis import Phase, settings

from . import _checks


def test_shrink_switch_of_the_long_profile(monkeypatch):
    from . import conftest

    try:
        monkeypatch.setenv("SKASTRO_FUZZ_SHRINK", "0")
        importlib.reload(conftest)
        assert Phase.shrink not in settings.get_profile("long").phases
        assert Phase.generate in settings.get_profile("long").phases
        monkeypatch.delenv("SKASTRO_FUZZ_SHRINK")
        importlib.reload(conftest)
        assert Phase.shrink in settings.get_profile("long").phases
    finally:
        monkeypatch.undo()
        importlib.reload(conftest)


def test_tally_is_written_during_a_test_and_tabulated(tmp_path, monkeypatch):
    monkeypatch.setattr(_checks, "TALLY", collections.Counter())
    monkeypatch.setattr(_checks, "REPORT", str(tmp_path))
    monkeypatch.setattr(_checks, "TALLY_EVERY", 0.0)
    for _ in range(3):
        _checks.count_example("Est")
    _checks.run("Est (fit)", lambda: 1, None)
    from skastro.utils import check_lightcurves

    _checks.run("Est (predict)", lambda: check_lightcurves([1.0], "Est"), None)  # a clear error
    files = list(tmp_path.glob("tally-*.json"))
    assert len(files) == 1  # written while the "test" ran, not only at teardown
    rows = {(r["subject"], r["outcome"]): r["count"] for r in json.loads(files[0].read_text())}
    assert rows == {("Est", "examples"): 3, ("Est (fit)", "result"): 1,
                    ("Est (predict)", "clear error"): 1}
    assert "| Est | 3 | 1 | 1 | 0 | 0 |" in _checks.tally_table(tmp_path)


def test_unchanged_object_arrays_with_nan_are_unchanged():
    # long run false positive: an object-dtype 'sequence' holding NaN "changed" (NaN != NaN)
    import numpy as np
    from skorch.helper import SliceDict

    X = SliceDict(sequence=np.array([[np.nan, 1.0]], dtype=object), length=np.array([1.0]))
    before = _checks.snapshot(X)
    _checks.assert_unchanged(X, before)
    X["sequence"][0, 1] = 2.0
    try:
        _checks.assert_unchanged(X, before)
    except AssertionError as exc:
        assert "key 'sequence'" in str(exc)
    else:
        raise AssertionError("a changed input passed")


def _changed(X, mutate):
    before = _checks.snapshot(X)
    _checks.assert_unchanged(X, before)  # unchanged so far
    mutate(X)
    try:
        _checks.assert_unchanged(X, before)
    except AssertionError as exc:
        return str(exc)
    raise AssertionError("a changed input passed")


def test_changes_to_light_curves_are_caught_exactly():
    # the snapshot copies columns, codes and meta (not a to_pandas frame): every kind of
    # in-place change must still show, a change of 1 part in 1e12 included
    import numpy as np

    from skastro import LightCurves

    def make():
        t = [np.arange(5.0), np.arange(3.0)]
        return LightCurves.from_arrays(t, [np.ones(5), np.full(3, np.nan)], [np.ones(5), np.ones(3)],
                                       bands=[np.array(list("gggrr")), np.array(list("rrr"))],
                                       ids=["a", "b"]).with_meta(z=[0.1, np.nan])

    def writable(array):
        array.flags.writeable = True
        return array

    assert "key 'value'" in _changed(make(), lambda X: writable(X.value).__setitem__(0, 1 + 1e-12))
    assert "key 'value'" in _changed(make(), lambda X: writable(X.value).__setitem__(5, 0.0))
    assert "key 'band'" in _changed(make(), lambda X: writable(X.codes("band")).__setitem__(0, 1))
    _changed(make(), lambda X: X.meta.__setitem__("z", [0.1, 0.2]))  # NaN -> 0.2
    _changed(make(), lambda X: X.meta.__setitem__("z", [0.1 + 1e-12, np.nan]))
    _changed(make(), lambda X: X.meta.__setitem__("extra", 1))


def test_a_change_by_a_later_call_on_the_same_input_is_caught(monkeypatch):
    # run() starts each call on X from the snapshot the previous call was checked against
    import numpy as np

    monkeypatch.setattr(_checks, "TALLY", collections.Counter())

    X = np.arange(4.0)
    _checks.run("Est (predict)", lambda: X.sum(), X)
    _checks.run("Est (predict)", lambda: X.mean(), X)

    def mutate():
        X[0] = -1.0

    try:
        _checks.run("Est (predict)", mutate, X)
    except AssertionError as exc:
        assert "input changed" in str(exc)
    else:
        raise AssertionError("a change by the third call passed")
    try:  # and the next call compares with X as it is now, not with the stale snapshot
        _checks.run("Est (predict)", lambda: X.sum(), X)
    except AssertionError:
        raise AssertionError("an unchanging call blamed for an earlier change") from None

"""The shift record: typed fields, and one typed result per phase (record.detect, .triage, .mitigate, .learn, .ship,
.gate), each field also read and written under its old name on the record."""
import dataclasses
import typing

from oncall import record as rec
from oncall.record import PHASE_RESULTS, ShiftRecord


def _hints(cls):
    return typing.get_type_hints(cls, vars(rec) | {"BudgetStanding": object})


def test_no_field_is_typed_object():
    for cls in (ShiftRecord, *PHASE_RESULTS.values()):
        for name, hint in _hints(cls).items():
            if cls is not ShiftRecord or name != "budget":
                assert hint is not object, f"{cls.__name__}.{name}"
    assert "BudgetStanding" in str(rec.ShipResult.__annotations__["budget"])


def test_each_phase_result_is_a_field_of_the_record_of_its_type():
    hints = _hints(ShiftRecord)
    for phase, cls in PHASE_RESULTS.items():
        assert hints[phase] is cls


def test_old_names_read_and_write_through_the_phase_result(shift):
    for phase, cls in PHASE_RESULTS.items():
        result = getattr(shift, phase)
        assert isinstance(result, cls)
        for f in dataclasses.fields(cls):
            assert getattr(shift, f.name) is getattr(result, f.name), f"record.{f.name} vs record.{phase}.{f.name}"
    assert shift.page is not None and shift.checks and shift.regression_name


def test_a_write_under_the_old_name_lands_in_the_phase_result(scenario):
    from oncall.shift import serve

    record = serve(scenario, seed=7, break_mode="none")
    record.paged_incident = "INC-X"
    record.regression_want = {"bad": True}
    assert record.detect.paged_incident == "INC-X" and record.learn.regression_want == {"bad": True}
    fresh = serve(scenario, seed=7, break_mode="none")
    assert fresh.paged_incident is None and fresh.learn.regression_want["bad"] is False


def test_a_copy_is_the_record_and_changes_apart_from_it(shift):
    import pickle

    import pandas as pd

    copy = rec.copy_of(shift)
    assert pickle.dumps(shift.metrics) == pickle.dumps(copy.metrics)
    assert [e.to_dict() for e in copy.trace.events] == [e.to_dict() for e in shift.trace.events]
    assert copy.service.equals(shift.service) and copy.alerts.equals(shift.alerts)
    assert copy.history.equals(shift.history) and copy.minutes.equals(shift.minutes)
    assert copy.alerts is not shift.alerts and copy.trace is not shift.trace and copy.plan is not shift.plan
    # a frame referred to twice is one frame in the copy, as in a deep copy
    twice = rec.copy_of({"a": shift.service, "b": shift.service})
    assert twice["a"] is twice["b"]
    # what a copy changes in place, the original never sees
    service, alerts = shift.service.copy(), shift.alerts.copy()
    copy.service.loc[copy.service.index[0], "requests"] = -1
    copy.service["new"] = 1
    copy.alerts.iloc[0, copy.alerts.columns.get_loc("alertname")] = "changed"
    copy.trace.emit(shift.trace.events[-1].t, "M27", "gate", "test.event", "A test event.")
    pd.testing.assert_frame_equal(shift.service, service)
    pd.testing.assert_frame_equal(shift.alerts, alerts)
    assert all(e.kind != "test.event" for e in shift.trace.events)

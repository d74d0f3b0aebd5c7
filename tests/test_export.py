"""oncall.export: the Chrome trace event JSON that Perfetto and chrome://tracing open."""
import copy
import json
from datetime import timedelta

import pytest

from oncall import export
from oncall.trace import MODULES

# What Perfetto's JSON importer and chrome://tracing need of each event type (the Trace Event Format).
REQUIRED = {"i": {"name", "ph", "ts", "pid", "tid", "s"}, "X": {"name", "ph", "ts", "dur", "pid", "tid"},
            "C": {"name", "ph", "ts", "pid", "args"}, "M": {"name", "ph", "pid", "tid", "args"}}


@pytest.fixture(scope="module")
def text(shift):
    return export.chrome_trace(shift)


@pytest.fixture(scope="module")
def chrome(text):
    return json.loads(text)


def _by_ph(chrome, ph):
    return [e for e in chrome["traceEvents"] if e["ph"] == ph]


def test_top_level_is_a_trace_object(chrome):
    assert isinstance(chrome["traceEvents"], list) and chrome["traceEvents"]
    assert chrome["displayTimeUnit"] in ("ms", "ns")
    assert chrome["otherData"]["origin_utc"].endswith("Z")


def test_every_event_has_the_keys_its_type_needs(chrome):
    for ev in chrome["traceEvents"]:
        assert ev["ph"] in REQUIRED, ev
        missing = REQUIRED[ev["ph"]] - set(ev)
        assert not missing, (missing, ev)
        assert isinstance(ev["pid"], int)
        if ev["ph"] != "M":
            assert isinstance(ev["ts"], int) and ev["ts"] >= 0, ev
        if ev["ph"] == "X":
            assert isinstance(ev["dur"], int) and ev["dur"] >= 0
        if ev["ph"] == "C":
            assert ev["args"] and all(isinstance(v, (int, float)) for v in ev["args"].values()), ev
        if ev["ph"] == "i":
            assert ev["s"] in ("t", "p", "g")


def test_timed_events_are_in_time_order(chrome):
    ts = [e["ts"] for e in chrome["traceEvents"] if e["ph"] != "M"]
    assert ts == sorted(ts)


def test_one_named_track_per_course_module(chrome):
    names = {e["tid"]: e["args"]["name"] for e in _by_ph(chrome, "M") if e["name"] == "thread_name"}
    for module, tid in export.MODULE_TIDS.items():
        assert names[tid] == f"{module} {MODULES[module]}"
    assert set(export.MODULE_TIDS) == set(MODULES)


def test_an_instant_per_trace_event_on_its_modules_track(shift, chrome):
    instants = _by_ph(chrome, "i")
    events = shift.trace.events
    assert len(instants) == len(events)
    by_seq = {i["args"]["seq"]: i for i in instants}
    for e in events:
        got = by_seq[e.seq]
        assert got["name"] == e.kind and got["tid"] == export.MODULE_TIDS[e.module]
        assert got["args"]["message"] == e.message and got["args"]["refs"] == e.refs


def test_the_worked_incident_has_its_lifecycle_as_nested_slices(shift, chrome):
    paged = shift.paged_incident
    slices = [s for s in _by_ph(chrome, "X") if s["args"].get("incident") == paged]
    whole, *steps = slices
    assert [s["name"] for s in steps] == ["opened", "acknowledged", "mitigated"]
    assert whole["name"].startswith(paged) and "SEV-1" in whole["name"]
    # Children tile the parent exactly: Perfetto nests slices on one track only when they do not overlap.
    assert steps[0]["ts"] == whole["ts"]
    for a, b in zip(steps, steps[1:]):
        assert a["ts"] + a["dur"] == b["ts"]
    assert steps[-1]["ts"] + steps[-1]["dur"] == whole["ts"] + whole["dur"]
    incident = shift.incidents[paged]
    assert whole["dur"] == int((incident.time_of("resolved") - incident.time_of("opened")).total_seconds() * 1e6)


def test_error_ratio_counter_per_minute(shift, chrome):
    ratio = [c for c in _by_ph(chrome, "C") if c["name"] == "error ratio (%)"]
    assert len(ratio) == len(shift.service)
    worst = max(ratio, key=lambda c: c["args"]["errors_pct"])
    row = shift.service.loc[shift.service["errors"].div(shift.service["requests"]).idxmax()]
    assert worst["args"]["errors_pct"] == pytest.approx(100 * row["errors"] / row["requests"], abs=1e-4)


def test_deterministic_byte_for_byte(shift, text):
    from oncall.shift import run_shift

    again = run_shift(shift.scenario, shift.seed)
    assert export.chrome_trace(again) == text
    assert text.endswith("}\n")


def test_canary_intervals_become_slices_and_counters(shift):
    """The shift may not run a canary yet: add one to a copy of the trace and check its track."""
    record = copy.copy(shift)
    record.trace = copy.deepcopy(shift.trace)
    start = shift.scenario.shift.start + timedelta(hours=5)
    record.trace.emit(start, "M33", "ship", "canary.started", "Canary of fix starts.", release="fix",
                      baseline="good")
    for i, (weight, verdict) in enumerate(((5, "pass"), (25, "pass"), (50, "fail")), start=1):
        record.trace.emit(start + timedelta(minutes=10 * i), "M33", "ship", "canary.interval", "interval",
                          release="fix", weight=weight, score=99.0 if verdict == "pass" else 40.0, verdict=verdict)
    record.trace.emit(start + timedelta(minutes=30), "M33", "ship", "canary.verdict", "aborted", release="fix",
                      weight=50, verdict="aborted", reason="errors high")
    chrome = json.loads(export.chrome_trace(record))
    track = [s for s in _by_ph(chrome, "X") if s["tid"] == export.CANARY_TID0]
    assert [s["name"] for s in track] == ["canary fix: aborted", "5 %: pass", "25 %: pass", "50 %: fail"]
    assert all(s["dur"] == 600_000_000 for s in track[1:])
    weights = [c["args"]["weight_pct"] for c in _by_ph(chrome, "C") if c["name"] == "canary fix"]
    assert weights == [5, 25, 50]

"""The shift as a whole: trace order, honest reporting of phases not built, the check registry."""
import copy
import json

import pytest

from oncall.checks import CHECK_PHASE, CheckResult, run_checks
from oncall.shift import UNTIL, run_shift, scorecard


def test_trace_is_numbered_and_time_ordered(shift):
    events = shift.trace.events
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(a.t <= b.t for a, b in zip(events, events[1:]))
    for e in events:
        d = e.to_dict()
        assert set(d) == {"seq", "t", "module", "phase", "kind", "message", "refs"}
        assert d["module"] in {"M26", "M27", "M31", "M32", "M33"}


def test_bad_deploy_and_degradation_are_in_the_story(shift, scenario):
    kinds = [e.kind for e in shift.trace.events]
    deployed = [e for e in shift.trace.of_kind("release.deployed") if e.phase == "detect"]
    assert [e.refs["release"] for e in deployed] == [scenario.releases.last_good.version, scenario.releases.bad.version]
    degraded = [e for e in shift.trace.of_kind("sli.degraded") if e.refs["slo"] == "availability"]
    assert degraded and 0 <= (degraded[0].t - scenario.releases.bad.deployed_at).total_seconds() <= 5 * 60
    # Every phase is built: each ran, in the order of the run of show, and each told its part of the story.
    assert shift.phases_run == list(UNTIL) and "phase.skipped" not in kinds
    assert {e.phase for e in shift.trace.events} == set(UNTIL)


def test_unbuilt_phases_fail_their_checks_never_pass(scenario):
    """A shift stopped after triage: the checks of the phases that ran answer (green on this seed); every other
    check fails as "not run", with the reason the record gives for a skipped phase; the scorecard is not green."""
    record = run_shift(scenario, until="triage")
    record.phases_skipped["mitigate"] = "the on-call went home"
    results = run_checks(record, scenario.checks)
    assert [c.name for c in results] == scenario.checks
    ran = [c for c in results if CHECK_PHASE[c.name] in record.phases_run]
    not_run = [c for c in results if CHECK_PHASE[c.name] not in record.phases_run]
    assert {CHECK_PHASE[c.name] for c in ran} == {"detect", "triage"} and not_run
    assert all(c.passed for c in ran), [(c.name, c.detail) for c in ran if not c.passed]
    for c in not_run:
        assert c.passed is False and c.value is None and c.detail.startswith("not run: "), c
        if CHECK_PHASE[c.name] == "mitigate":
            assert c.detail == "not run: the on-call went home"
        else:
            assert c.detail == f"not run: the {CHECK_PHASE[c.name]} phase did not run"
    assert scorecard(record)["passed"] is False


def test_a_registered_check_runs_only_when_its_phase_ran(shift):
    from oncall import checks

    calls = []

    def fake(record):
        calls.append(1)
        return CheckResult("ticket_linked", True, 1, 1, "linked")

    # The same night as if triage had not run (a shallow copy: the shared record keeps its phases).
    untriaged = copy.copy(shift)
    untriaged.phases_run = [p for p in shift.phases_run if p != "triage"]
    saved = checks._REGISTRY.get("ticket_linked")
    checks._REGISTRY["ticket_linked"] = fake
    try:
        assert "triage" in shift.phases_run
        result = run_checks(shift, ["ticket_linked"])[0]
        assert result.passed is True and calls == [1]
        result = run_checks(untriaged, ["ticket_linked"])[0]
        assert result.passed is False and result.detail.startswith("not run") and calls == [1]
    finally:
        if saved is None:
            checks._REGISTRY.pop("ticket_linked")
        else:
            checks._REGISTRY["ticket_linked"] = saved


def test_same_seed_same_trace_bytes(scenario):
    a = run_shift(scenario, seed=11).trace.to_jsonl()
    b = run_shift(scenario, seed=11).trace.to_jsonl()
    assert a == b
    json.loads(a.splitlines()[0])


def _drill_files(record) -> dict:
    """What ``oncall drill --out`` writes for a record (but the report), and its per-minute counts."""
    from oncall.export import chrome_trace
    from oncall.incident_response.promrules import artifacts as prom_artifacts

    files = {"trace.jsonl": record.trace.to_jsonl(), "scorecard.json": json.dumps(scorecard(record), indent=2),
             "trace.perfetto.json": chrome_trace(record), **record.artifacts, **prom_artifacts(record)}
    return {**files, "service": record.service.to_csv(), "metrics": repr(sorted(record.metrics.items()))}


@pytest.mark.slow   # two whole shifts per scenario and break mode
def test_every_break_mode_resumes_from_the_shared_night():
    """Serve, detect and triage read neither the break mode nor the choices: every break mode's whole shift (and a
    widget's choice) equals the one resumed from a single night run until triage (what the widgets reuse)."""
    from oncall.scenario import OnCallChoices, list_scenarios, load_scenario
    from oncall.shift import resume_from

    for name, _ in list_scenarios():
        sc = load_scenario(name)
        night = run_shift(sc, 3, until="triage")
        kept = _drill_files(night)
        for mode in ["none", *sc.break_modes]:
            assert _drill_files(resume_from(night, mode)) == _drill_files(run_shift(sc, 3, mode)), (name, mode)
        late = OnCallChoices(action="wait", delay_min=40)
        assert _drill_files(resume_from(night, choices=late)) == _drill_files(run_shift(sc, 3, choices=late)), name
        assert _drill_files(night) == kept   # the night itself is left as it was
    with pytest.raises(ValueError, match="until triage"):
        resume_from(run_shift(sc, 3, until="mitigate"), "none")

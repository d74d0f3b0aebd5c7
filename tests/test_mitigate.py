"""Mitigate: the runbook is followed in order, the rollback works (or is retried and escalated), the SLI recovers."""
import pytest

from oncall.scenario import OnCallChoices
from oncall.shift import run_shift


def _first(record, kind):
    """The first event of ``kind`` about the paged incident (background incidents resolve on their own too)."""
    return next(e for e in record.trace.events if e.kind == kind
                and e.refs.get("incident", record.paged_incident) == record.paged_incident)


def test_the_story_happens_in_order(shift):
    t = {k: _first(shift, k).t for k in ("release.deployed", "page.sent", "runbook.step", "release.rolled_back",
                                          "sli.recovered", "incident.mitigated", "incident.resolved")}
    bad_deploy = [e for e in shift.trace.of_kind("release.deployed")][1].t
    first_alert = min(e.t for e in shift.trace.events if e.kind == "alert.fired" and e.t >= bad_deploy)
    assert bad_deploy <= first_alert
    assert t["page.sent"] <= t["runbook.step"] <= t["release.rolled_back"] < t["sli.recovered"]
    assert t["incident.mitigated"] <= t["incident.resolved"]


@pytest.mark.parametrize("seed", range(1, 21))
def test_mitigated_within_30_minutes(shift_by_seed, seed):
    record = shift_by_seed[seed]
    assert record.metrics["time_to_mitigate_min"] <= 30
    checks = {c.name: c for c in record.checks}
    for name in ("runbook_followed", "sli_recovered", "budget_within_limit"):
        assert checks[name].passed, checks[name].detail


def test_a_failing_rollback_is_retried(scenario):
    once = scenario.with_faults(rollback_failures=1)
    record = run_shift(once, 7)
    steps = [e.message for e in record.trace.of_kind("runbook.step") if e.refs["step"] == "roll-back"]
    assert len(steps) == 2 and "failed" in steps[0] and "rolled back" in steps[1]
    assert not record.trace.of_kind("page.escalated")


def test_a_rollback_that_keeps_failing_escalates(scenario):
    twice = scenario.with_faults(rollback_failures=2)
    record = run_shift(twice, 7)
    escalated = record.trace.of_kind("page.escalated")
    assert len(escalated) == 1 and "failed after its retries" in escalated[0].message
    assert "redeployed" in record.trace.of_kind("release.rolled_back")[0].message
    assert record.incidents[record.paged_incident].time_of("mitigated") is not None


def test_waiting_does_not_mitigate_until_escalation(scenario, shift):
    waited = run_shift(scenario, 7, choices=OnCallChoices(action="wait"))
    assert waited.trace.of_kind("page.escalated")
    rolled = shift
    assert waited.metrics["budget_consumed_pct"] > 2 * rolled.metrics["budget_consumed_pct"]
    assert not {c.name: c for c in waited.checks}["runbook_followed"].passed


def test_the_kill_switch_stops_the_errors_too(scenario):
    flagged = run_shift(scenario, 7, choices=OnCallChoices(action="flag_off"))
    assert flagged.trace.of_kind("flag.changed") and not flagged.trace.of_kind("page.escalated")
    checks = {c.name: c for c in flagged.checks}
    assert checks["sli_recovered"].passed and not checks["runbook_followed"].passed


def test_no_mitigation_turns_the_named_checks_red(scenario):
    record = run_shift(scenario, 7, break_mode="no-mitigation")
    checks = {c.name: c for c in record.checks}
    for name in scenario.break_modes["no-mitigation"].must_fail:
        assert not checks[name].passed, name
    assert not record.trace.of_kind("release.rolled_back")

"""Severity from impact (PagerDuty's levels, metric-driven) and the acknowledgement / escalation path."""
from datetime import datetime, timezone

from oncall.incident_response.paging import load_policy, respond


def test_severity_from_impact():
    policy = load_policy()
    assert policy.severity_for("page", 14.3)[0] == "SEV-1"
    assert policy.severity_for("page", 3.0)[0] == "SEV-2"
    assert policy.severity_for("page", 0.8)[0] == "SEV-3"
    assert policy.severity_for("ticket", 50)[0] == "SEV-4"
    assert policy.severity_for("none", 0)[0] == "SEV-5"


def test_acknowledge_or_escalate():
    policy = load_policy()
    at = datetime(2026, 11, 27, 1, 37, tzinfo=timezone.utc)
    ok = respond(policy, "SEV-1", at)
    assert ok.acknowledged_by == policy.schedule.primary.name and ok.escalated_at is None
    assert ok.commander == policy.schedule.incident_commander.name
    silent = respond(policy, "SEV-3", at, primary_answers=False)
    assert silent.acknowledged_by == policy.schedule.secondary.name
    assert silent.escalated_at < silent.acknowledged_at and silent.commander is None

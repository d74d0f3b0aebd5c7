"""The gate's sli_recovered says what it tests: the runbook's verify step confirming the SLI back inside its
objective after the on-call's mitigation. Under no-mitigation the check fails (as before), and its detail says that
no mitigation happened and, where the SLI recovered later by another change, when and by what; it never claims the
SLI did not recover when the trace records it recovering."""
from __future__ import annotations

import pytest

from oncall.scenario import load_scenario
from oncall.shift import run_shift, scorecard


def _check(record) -> dict:
    return next(c for c in scorecard(record)["checks"] if c["name"] == "sli_recovered")


def test_no_mitigation_names_the_missing_mitigation_and_the_later_recovery():
    scenario = load_scenario("bad-deploy")
    record = run_shift(scenario, None, "no-mitigation")
    check = _check(record)
    assert check["passed"] is False
    recovered = [e for e in record.trace.events if e.kind == "sli.recovered"]
    assert recovered, "the trace records the SLI recovering after the fix"
    detail = check["detail"]
    assert "did not recover" not in detail
    # The fix rolled forward hours later mitigated the incident's state, not the runbook: the detail says both.
    assert "never carried out the runbook's rollback" in detail and "roll-forward mitigated it" in detail, detail
    assert "verify step" in detail, detail
    assert f"recovered later, at {recovered[0].t:%H:%M}" in detail, detail
    assert f"{scenario.releases.fix.version} (the fix) was promoted" in detail, detail


def test_no_recovery_at_all_says_so():
    record = run_shift(load_scenario("stale-index"), None, "no-mitigation")
    check = _check(record)
    assert check["passed"] is False
    if any(e.kind == "sli.recovered" for e in record.trace.events):
        pytest.skip("the SLI recovered in this run")
    assert "never mitigated" in check["detail"] and "had not recovered by the end of the shift" in check["detail"]


def test_a_mitigated_run_keeps_its_detail():
    check = _check(run_shift(load_scenario("bad-deploy"), None, "none"))
    assert check["passed"] is True
    assert "verified back inside its objective" in check["detail"]


def test_a_recovery_without_a_change_of_ours_names_no_release():
    """provider-outage: the provider came back by itself; no release deployed before the incident is blamed."""
    record = run_shift(load_scenario("provider-outage"), None, "no-mitigation")
    check = _check(record)
    assert check["passed"] is False
    if not any(e.kind == "sli.recovered" for e in record.trace.events):
        pytest.skip("the SLI did not recover in this run")
    assert "no release change of ours since the incident opened" in check["detail"], check["detail"]

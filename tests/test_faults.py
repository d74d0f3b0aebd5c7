"""Faults in the operating tools themselves: each traced, each answered by the runbook, and the gate still telling
the truth (the time to mitigate grows; the checks that should stay green stay green; a broken release is still
caught).

Scenario options: ``faults.rollback_failures`` (the rollback fails once: retried; twice: escalated, the fallback
redeploys) and ``faults.pager_unacknowledged`` (the primary never answers: the page escalates to the secondary).
Trace wording for the rollback faults at seed 7 is in tests/test_mitigate.py; not repeated here.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from oncall.incident_response import paging
from oncall.scenario import load_scenario
from oncall.shift import run_shift, scorecard

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (3, 7, 11)
FAULTS = ("none", "rollback-fails-once", "rollback-fails-twice", "pager-unacknowledged", "pager-and-rollback-twice")
ROLLBACK_FAILURES = {"rollback-fails-once": 1, "rollback-fails-twice": 2, "pager-and-rollback-twice": 2}
PAGER = {"pager-unacknowledged", "pager-and-rollback-twice"}


def with_faults(scenario, rollback_failures: int = 0, pager_unacknowledged: bool = False):
    return scenario.with_faults(rollback_failures=rollback_failures, pager_unacknowledged=pager_unacknowledged)


_RUNS: dict = {}


def shift_under(scenario, fault: str, seed: int, mode: str = "none"):
    key = (fault, seed, mode)
    if key not in _RUNS:
        _RUNS[key] = run_shift(with_faults(scenario, ROLLBACK_FAILURES.get(fault, 0), fault in PAGER), seed, mode)
    return _RUNS[key]


def _checks(record) -> dict:
    return {c.name: c for c in record.checks}


# --- each fault is traced and answered --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", FAULTS[1:])
def test_each_fault_is_traced_and_answered_by_the_runbook(scenario, fault, seed):
    record = shift_under(scenario, fault, seed)
    incident = record.incidents[record.paged_incident]
    events = record.trace.events
    attempts = [e for e in events if e.kind == "runbook.step" and e.refs.get("step") == "roll-back"]
    escalations = [e for e in events if e.kind == "page.escalated"]
    failures = ROLLBACK_FAILURES.get(fault, 0)
    assert len(attempts) == min(failures + 1, 2)
    assert all("failed" in e.message for e in attempts[:failures])
    assert [e.phase for e in escalations] == (["detect"] if fault in PAGER else []) + (["mitigate"] if failures >= 2 else [])
    assert all(e.refs["incident"] == incident.id for e in escalations)
    rolled = record.trace.of_kind("release.rolled_back")
    assert len(rolled) == 1 and rolled[0].refs["incident"] == incident.id
    assert ("redeployed" in rolled[0].message) is (failures >= 2)
    if fault in PAGER:
        schedule = paging.load_policy().schedule
        ack = record.trace.of_kind("incident.acknowledged")[0]
        assert schedule.secondary.name in ack.message and escalations[0].t < ack.t
    for state in ("acknowledged", "mitigated", "resolved"):
        assert incident.time_of(state) is not None, state


# --- the gate still tells the truth --------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_time_to_mitigate_grows_with_each_fault_and_detection_does_not_move(scenario, seed):
    m = {fault: shift_under(scenario, fault, seed).metrics for fault in FAULTS}
    ttm = {fault: m[fault]["time_to_mitigate_min"] for fault in FAULTS}
    assert ttm["none"] < ttm["rollback-fails-once"] < ttm["rollback-fails-twice"]
    assert ttm["none"] < ttm["pager-unacknowledged"] < ttm["pager-and-rollback-twice"]
    schedule = paging.load_policy().schedule
    # the secondary acknowledges escalate_after_min later than the primary would have: the rest shifts with it
    assert m["pager-unacknowledged"]["time_to_acknowledge_min"] == schedule.escalate_after_min + schedule.ack_delay_min
    assert ttm["pager-unacknowledged"] - ttm["none"] == pytest.approx(
        schedule.escalate_after_min + schedule.ack_delay_min - m["none"]["time_to_acknowledge_min"], abs=1)
    assert len({m[fault]["time_to_detect_min"] for fault in FAULTS}) == 1      # a tool fault does not move the page
    spent = [m[fault]["budget_consumed_pct"] for fault in ("none", "rollback-fails-once", "rollback-fails-twice")]
    assert spent == sorted(spent)                                               # a slower mitigation costs budget


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fault", FAULTS[1:])
def test_the_checks_that_should_stay_green_stay_green(scenario, fault, seed):
    record = shift_under(scenario, fault, seed)
    baseline = _checks(shift_under(scenario, "none", seed))
    checks = _checks(record)
    card = scorecard(record)
    assert card["passed"] == all(c.passed for c in record.checks)
    for name, check in checks.items():
        assert check.passed == baseline[name].passed, (name, check.detail)
    assert checks["sli_recovered"].passed and checks["budget_within_limit"].passed
    assert checks["budget_within_limit"].value > baseline["budget_within_limit"].value


def test_an_escalated_rollback_still_follows_the_runbook(scenario):
    record = shift_under(scenario, "rollback-fails-twice", 7)
    check = _checks(record)["runbook_followed"]
    assert check.passed, check.detail


@pytest.mark.parametrize("mode", ["errors", "latency", "quality", "skip-canary", "no-mitigation"])
@pytest.mark.parametrize("fault", ["rollback-fails-once", "pager-unacknowledged"])
def test_a_broken_release_is_still_caught_under_a_fault(scenario, fault, mode):
    """The fault does not hide a bad fix, nor invent a failure: exactly the mode's named checks turn red."""
    record = shift_under(scenario, fault, 7, mode)
    red = record.red_checks
    spec = scenario.break_modes[mode]
    assert spec.explains(red), (sorted(red), spec.must_fail, spec.may_fail)


def test_faults_are_deterministic(scenario):
    faulty = with_faults(scenario, 2, pager_unacknowledged=True)
    assert run_shift(faulty, 5).trace.to_jsonl() == run_shift(faulty, 5).trace.to_jsonl()


# --- through the command line ------------------------------------------------------------------------------------

@pytest.mark.parametrize("failures", [1, 2])
def test_the_gate_command_under_a_rollback_fault(scenario, tmp_path, failures, oncall_cli):
    doc = yaml.safe_load((ROOT / "data" / "scenarios" / "bad-deploy.yaml").read_text(encoding="utf-8"))
    doc["faults"] = {"rollback_failures": failures}
    path = tmp_path / "faulty.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = oncall_cli(["gate", "--json", "--scenario", path, "--seed", "7"])
    card = json.loads(result.stdout)
    assert result.returncode == (0 if card["passed"] else 1), result.stderr
    fault = "rollback-fails-twice" if failures == 2 else "rollback-fails-once"
    assert card["passed"], [c for c in card["checks"] if not c["passed"]]
    in_process = shift_under(scenario, fault, 7).metrics["time_to_mitigate_min"]
    assert card["metrics"]["time_to_mitigate_min"] == in_process
    assert in_process > shift_under(scenario, "none", 7).metrics["time_to_mitigate_min"]


def test_a_reindex_build_that_fails_validation_is_never_swapped_in_and_is_retried():
    """Fault bad_index_builds (stale-index): a broken build fails its eval validation, the alias stays on the old
    index, the runbook retries; with two broken builds it escalates to its fallback reindex. Never a rollback."""
    scenario = load_scenario("stale-index")
    runs = {n: run_shift(scenario.with_faults(bad_index_builds=n), 4) for n in (0, 1, 2)}
    mitigate = {n: r.metrics["time_to_mitigate_min"] for n, r in runs.items()}
    assert mitigate[0] < mitigate[1] < mitigate[2], mitigate
    for n, record in runs.items():
        steps = [e.message for e in record.trace.events if e.kind == "runbook.step"]
        assert sum("validation failed" in m for m in steps) == n, steps
        swaps = [e for e in record.trace.events if e.kind == "index.rebuilt"]
        assert len(swaps) == 1 and not any(e.kind == "release.rolled_back" for e in record.trace.events)
        checks = {c.name: c.passed for c in record.checks}
        assert checks["index_fresh"] and checks["no_rollback"] and checks["runbook_followed"], (n, checks)
    assert any(e.kind == "page.escalated" for e in runs[2].trace.events)
    assert not any(e.kind == "page.escalated" and "failed after its retries" in e.message
                   for e in runs[1].trace.events)


def test_canary_metrics_going_missing_hold_the_rollout_and_never_promote_blind():
    """Fault canary_metrics_missing_min: the canary's samples never reach the judge for a while. No data is no
    verdict: the rollout holds its weight (traced), promotes once data come back, and pauses for a human when they
    never do; the gate then says the fix did not ship."""
    scenario = load_scenario("bad-deploy")
    runs = {n: run_shift(scenario.with_faults(canary_metrics_missing_min=n), 7)
            for n in (0, 25, 600)}
    assert len(runs[25].canary.intervals) > len(runs[0].canary.intervals)
    assert runs[25].canary.verdict == "promoted" and scorecard(runs[25])["passed"]
    assert runs[600].canary.verdict == "paused"
    assert [c.name for c in runs[600].checks if not c.passed] == ["canary_promoted_on_pass"]
    for n in (25, 600):
        assert any(e.kind == "canary.metrics_missing" for e in runs[n].trace.events)
        first = runs[n].canary.intervals[0].judgment
        assert first.verdict == "inconclusive" and all(m.classification == "nodata" for m in first.metrics)


ALL_FAULTS = {  # every fault a scenario's tools can have, all at once (a rollback fault only where one is used)
    "bad-deploy": {"rollback_failures": 1, "pager_unacknowledged": True, "canary_metrics_missing_min": 20},
    "latency-regression": {"rollback_failures": 1, "pager_unacknowledged": True, "canary_metrics_missing_min": 20},
    "quality-regression": {"rollback_failures": 1, "pager_unacknowledged": True, "canary_metrics_missing_min": 20},
    "provider-outage": {"pager_unacknowledged": True, "canary_metrics_missing_min": 20},
    "stale-index": {"bad_index_builds": 1, "pager_unacknowledged": True, "canary_metrics_missing_min": 20},
}


@pytest.mark.parametrize("name", sorted(ALL_FAULTS))
def test_all_faults_together_in_every_scenario_and_the_gate_still_tells_the_truth(name):
    """Each fault is answered (retry, escalation, hold) and traced; the incident is still mitigated the runbook's
    way; and the gate's one verdict that may change, canary_promoted_on_pass, is red exactly when the fix did not
    ship (the canary paused for lack of data), never green on a fix that did not go out."""
    scenario = load_scenario(name)
    faulty = scenario.with_faults(**ALL_FAULTS[name])
    for seed in (1, 2):
        record = run_shift(faulty, seed)
        kinds = [e.kind for e in record.trace.events]
        steps = " ".join(e.message for e in record.trace.events if e.kind == "runbook.step")
        assert "page.escalated" in kinds and "canary.metrics_missing" in kinds
        if ALL_FAULTS[name].get("rollback_failures"):
            assert "failed" in steps and "release.rolled_back" in kinds
        if ALL_FAULTS[name].get("bad_index_builds"):
            assert "validation failed" in steps and "index.rebuilt" in kinds
        red = record.red_checks
        shipped = record.canary.verdict == "promoted"
        assert red == (set() if shipped else {"canary_promoted_on_pass"}), (seed, red, record.canary.verdict)
        assert record.incidents[record.paged_incident].time_of("mitigated") is not None

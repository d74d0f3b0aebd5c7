"""The gate over the whole shift: green on seeds 1..20, the same incident across modules, the handoff."""
import pytest

from oncall.gate import check_same_incident, handoff_note
from oncall.shift import run_shift, scorecard


def test_every_module_acted_on_the_paged_incident(shift):
    result = check_same_incident(shift)
    assert result.passed, result.detail
    assert result.value == shift.paged_incident


def test_same_incident_fails_when_the_rollback_lands_elsewhere(scenario):
    record = run_shift(scenario, 7)
    wrong = next(i for i in record.incidents if i != record.paged_incident)
    for e in record.trace._emitted:
        if e.kind == "release.rolled_back":
            e.refs["incident"] = wrong
    assert not check_same_incident(record).passed


def test_the_handoff_comes_from_the_record(shift):
    note = shift.artifacts["handoff.md"]
    assert note == handoff_note(shift)
    for heading in ("## What happened", "## Still open", "## What to watch", "## Error budget"):
        assert heading in note
    assert shift.paged_incident in note and f"{shift.metrics['budget_consumed_pct']:.2f} %" in note


def test_scorecard_shape(shift):
    card = scorecard(shift)
    assert card["passed"] == all(c["passed"] for c in card["checks"])
    names = [c["name"] for c in card["checks"]]
    assert names == shift.scenario.checks
    for key in ("time_to_detect_min", "time_to_mitigate_min", "budget_consumed_pct", "alerts_total",
                "notifications_sent", "incidents_opened", "noise_reduction_pct", "ticket_link_f1"):
        assert card["metrics"][key] is not None, key


@pytest.mark.parametrize("seed", range(1, 21))
def test_every_check_green(shift_by_seed, seed):
    """Every phase is built, so every check the scenario names is answered and green: a check that lost its
    registration fails here as "not run", never passes by being skipped."""
    record = shift_by_seed[seed]
    assert [c.name for c in record.checks] == record.scenario.checks
    red = [c for c in record.checks if not c.passed]
    assert not red, [(c.name, c.detail) for c in red]


@pytest.mark.parametrize("mode", ["errors", "latency", "quality", "skip-canary", "no-mitigation"])
def test_each_break_mode_turns_exactly_its_named_checks_red(scenario, mode):
    record = run_shift(scenario, 7, break_mode=mode)
    red = record.red_checks
    spec = scenario.break_modes[mode]
    assert spec.explains(red), (sorted(red), spec.must_fail, spec.may_fail)

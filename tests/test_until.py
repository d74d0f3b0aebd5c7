"""run_shift(until=...) stops after a phase; everything before it is exactly what a whole shift does."""
import pytest

from oncall.scenario import load_scenario
from oncall.shift import UNTIL, run_shift
from oncall.sweeps import shift_before_ship


# The storm's figures: detect counts them over the night as the page found it; a whole shift's observe counts them
# again over the final counts (after the rollback and the canary changed the rest of the night).
RECOUNTED = {"alerts_total", "notifications_sent", "group_notifications", "incidents_opened", "noise_reduction_pct",
             "grouping_precision", "grouping_recall", "baseline_incidents_opened", "baseline_grouping_precision",
             "baseline_grouping_recall", "distinct_alerts", "noise_reduction_distinct_pct"}
# The desk triages again once the incidents' real resolution times are known (oncall/respond.py): a whole shift's
# ticket events and link figures are those of that second pass, emitted after the phases.
RETRIAGED = {"tickets_total", "tickets_linked", "tickets_linked_to_paged_incident", "ticket_link_f1",
             "ticket_link_precision", "ticket_link_recall", "baseline_ticket_link_f1", "ticket_duplicate_f1"}


def emitted(record) -> list[dict]:
    """The trace's events in the order the phases emitted them (``events`` sorts them by time)."""
    return [{k: v for k, v in e.to_dict().items() if k != "seq"} for e in record.trace._emitted
            if e.phase != "triage"]


@pytest.fixture(scope="module")
def whole():
    return {name: run_shift(load_scenario(name), seed=3) for name in ("bad-deploy", "stale-index")}


@pytest.mark.parametrize("name", ["bad-deploy", "stale-index"])
@pytest.mark.parametrize("until", UNTIL[:-1])
def test_a_partial_shift_is_a_prefix_of_the_whole_one(whole, name, until):
    full = whole[name]
    part = run_shift(load_scenario(name), seed=3, until=until)
    events = emitted(part)
    assert events and events == emitted(full)[: len(events)]
    assert len(events) < len(emitted(full))
    for key, value in part.metrics.items():
        if key not in RECOUNTED | RETRIAGED:
            assert full.metrics[key] == value, key
    assert not part.checks and full.checks


def test_the_phases_after_until_did_not_run(whole):
    part = run_shift(load_scenario("bad-deploy"), seed=3, until="mitigate")
    assert "time_to_mitigate_min" in part.metrics and part.canary is None
    assert part.metrics["time_to_mitigate_min"] == whole["bad-deploy"].metrics["time_to_mitigate_min"]


def test_shift_before_ship_is_the_shift_until_learn(whole):
    before = shift_before_ship(load_scenario("bad-deploy"), 3)
    assert emitted(before) == emitted(run_shift(load_scenario("bad-deploy"), seed=3, until="learn"))
    assert emitted(before) == emitted(whole["bad-deploy"])[: len(emitted(before))]


def test_an_unknown_phase_is_refused():
    with pytest.raises(ValueError, match="until: expected one of detect, triage"):
        run_shift(load_scenario("bad-deploy"), seed=3, until="observe")

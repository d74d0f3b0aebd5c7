"""The linker measured on queues it was not written against (data/tickets/heldout/, heldout2/ and heldout3/: other
nights' storms, their incidents as oncall correlate --json writes them, tickets in other customers' voices, truth
written apart by different hands), beside the naive baselines and beside the course's own queues, whose F1 must not
drop."""
import pytest

from oncall.detect import detect
from oncall.paths import DATA_DIR
from oncall.scenario import load_scenario
from oncall.shift import serve
from oncall.support_desk import evaluation as ev
from oncall.support_desk import triage as desk
from oncall.triage import triage

HELDOUT = DATA_DIR / "tickets" / "heldout"
HELDOUT2 = DATA_DIR / "tickets" / "heldout2"
HELDOUT3 = DATA_DIR / "tickets" / "heldout3"


@pytest.mark.parametrize("folder, tickets, outage", [(HELDOUT, 70, 21), (HELDOUT2, 82, 25),
                                                         (HELDOUT3, 80, 25)])
def test_heldout_link_f1_and_outage_priority_meet_the_targets(folder, tickets, outage):
    triaged, truth, incidents = ev.heldout(folder)
    fig = ev.figures(triaged, truth, incidents)
    assert fig["tickets"] == tickets and fig["outage_tickets"] == outage
    assert fig["linker"]["link_f1"] >= 0.9, fig
    assert fig["linker"]["outage_p1_p2_share"] >= 0.9, fig
    assert fig["linker"]["link_f1"] > fig["baseline_everything"]["link_f1"] > fig["baseline_nothing"]["link_f1"]
    table = ev.confusion(triaged, truth)
    assert int(table.to_numpy().sum()) == tickets
    right = table.loc["about an outage", "linked, right incident"] + table.loc["not about an outage", "not linked"]
    assert len(ev.errors(triaged, truth)) == int(table.to_numpy().sum() - right)


def test_an_incident_reads_as_its_alerts_from_the_storm():
    """oncall correlate --json names an incident's alerts by fingerprint; the storm beside it gives their names, the
    SLO an error-budget alert burns and their summaries: a quality burn with no component is one on the answers."""
    plain = desk.load_incidents(HELDOUT3 / "incidents.json")
    read = desk.load_incidents(HELDOUT3 / "incidents.json", HELDOUT3 / "storm.jsonl")
    assert [i.id for i in plain] == [i.id for i in read] and not any(i.summary for i in plain)
    quality = next(i for i in read if i.id == "INC-0007")
    assert quality.summary.startswith("ErrorBudgetBurn (quality SLO)")
    from oncall.support_desk import link
    assert link.incident_kinds(quality) == {"quality"}


@pytest.mark.parametrize("scenario, floor", [("bad-deploy", 0.9), ("stale-index", 0.9)])
def test_course_queue_f1_does_not_drop(scenario, floor):
    """bad-deploy and stale-index are the course's queues (target 0.9)."""
    sc = load_scenario(scenario)
    record = serve(sc, 1, "none")
    record.choices = sc.on_call("none")
    detect(record)
    triaged = triage(record)
    incidents = desk.incidents_from_record(record)
    paged = next(i for i in incidents if i.id == record.paged_incident)
    fig = ev.figures(triaged, desk.load_truth(DATA_DIR / "tickets" / f"{scenario}.truth.jsonl"), incidents, paged)
    assert fig["linker"]["link_f1"] >= floor, fig
    assert fig["linker"]["link_f1"] == record.metrics["ticket_link_f1"]
    assert fig["linker"]["link_f1"] > fig["baseline_everything"]["link_f1"]

"""The linker measured on queues it was not written against (data/tickets/heldout/ to heldout4/: other
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
HELDOUT4 = DATA_DIR / "tickets" / "heldout4"


@pytest.mark.parametrize("folder, tickets, outage", [(HELDOUT, 70, 21), (HELDOUT2, 82, 25),
                                                         (HELDOUT3, 80, 25), (HELDOUT4, 86, 40)])
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


@pytest.mark.slow   # every night triaged three times (about 6 s)
def test_the_benchmark_keeps_each_nights_untouched_figure_and_waits_for_the_next(monkeypatch, tmp_path, capsys):
    """held-out 4-66 are tuned nights now, each figure from before any rule saw it kept; held-out 67 is the untouched
    entry, skipped with a message while its folder does not exist."""
    import importlib.util
    import shutil
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "triage_quality.py"
    spec = importlib.util.spec_from_file_location("triage_quality", path)
    tq = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tq)
    first = dict((n, b) for n, _, b in tq.NIGHTS)
    kept = {"held-out 4": "F1 0.76, P1/P2 78 %", "held-out 7": "F1 0.55, P1/P2 56 %",
            "held-out 8": "F1 0.28, P1/P2 37 %", "held-out 9": "F1 0.59, P1/P2 52 %",
            "held-out 10": "F1 0.48, P1/P2 42 %", "held-out 11": "F1 0.49, P1/P2 42 %",
            "held-out 12": "F1 0.57, P1/P2 44 %", "held-out 13": "F1 0.62, P1/P2 62 %",
            "held-out 14": "F1 0.60, P1/P2 57 %", "held-out 15": "F1 0.54, P1/P2 52 %",
            "held-out 16": "F1 0.44, P1/P2 50 %", "held-out 17": "F1 0.58, P1/P2 54 %",
            "held-out 18": "F1 0.58, P1/P2 49 %", "held-out 19": "F1 0.52, P1/P2 56 %",
            "held-out 20": "F1 0.54, P1/P2 49 %", "held-out 21": "F1 0.70, P1/P2 70 %",
            "held-out 22": "F1 0.49, P1/P2 45 %", "held-out 23": "F1 0.49, P1/P2 40 %",
            "held-out 24": "F1 0.52, P1/P2 48 %", "held-out 25": "F1 0.57, P1/P2 52 %",
            "held-out 26": "F1 0.61, P1/P2 55 %", "held-out 27": "F1 0.61, P1/P2 58 %",
            "held-out 28": "F1 0.44, P1/P2 38 %", "held-out 29": "F1 0.52, P1/P2 46 %",
            "held-out 30": "F1 0.69, P1/P2 60 %", "held-out 31": "F1 0.36, P1/P2 24 %",
            "held-out 32": "F1 0.49, P1/P2 38 %", "held-out 33": "F1 0.63, P1/P2 54 %",
            "held-out 34": "F1 0.63, P1/P2 55 %", "held-out 35": "F1 0.53, P1/P2 38 %",
            "held-out 36": "F1 0.49, P1/P2 41 %", "held-out 37": "F1 0.78, P1/P2 74 %",
            "held-out 38": "F1 0.61, P1/P2 57 %", "held-out 39": "F1 0.59, P1/P2 50 %",
            "held-out 40": "F1 0.64, P1/P2 53 %", "held-out 41": "F1 0.77, P1/P2 67 %",
            "held-out 42": "F1 0.70, P1/P2 64 %", "held-out 43": "F1 0.67, P1/P2 52 %",
            "held-out 44": "F1 0.67, P1/P2 63 %", "held-out 45": "F1 0.68, P1/P2 54 %",
            "held-out 46": "F1 0.76, P1/P2 65 %", "held-out 47": "F1 0.64, P1/P2 57 %",
            "held-out 48": "F1 0.60, P1/P2 46 %", "held-out 49": "F1 0.68, P1/P2 58 %",
            "held-out 50": "F1 0.73, P1/P2 68 %",
            "held-out 51": "F1 0.63, P1/P2 51 %",
            "held-out 52": "F1 0.68, P1/P2 63 %",
            "held-out 53": "F1 0.46, P1/P2 49 %",
            "held-out 54": "F1 0.62, P1/P2 59 %", "held-out 55": "F1 0.44, P1/P2 48 %",
            "held-out 56": "F1 0.69, P1/P2 73 %",
            "held-out 57": "F1 0.70, P1/P2 78 %",
            "held-out 58": "F1 0.64, P1/P2 55 %", "held-out 59": "F1 0.58, P1/P2 58 %",
            "held-out 60": "F1 0.62, P1/P2 53 %", "held-out 61": "F1 0.72, P1/P2 78 %",
            "held-out 62": "F1 0.62, P1/P2 64 %", "held-out 63": "F1 0.62, P1/P2 56 %",
            "held-out 64": "F1 0.67, P1/P2 59 %",
            "held-out 65": "F1 0.60, P1/P2 51 %", "held-out 66": "F1 0.76, P1/P2 66 %"}
    for night, figures in kept.items():
        assert first[night].endswith(figures), night
    assert [n for n, _, _ in tq.UNTOUCHED] == ["held-out 67"]
    tickets = tmp_path / "tickets"
    for folder in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6"):
        shutil.copytree(DATA_DIR / "tickets" / folder, tickets / folder)
    monkeypatch.setattr(tq, "DATA_DIR", tmp_path)
    monkeypatch.setattr(tq, "course", lambda scenario, seed=1: ev.figures([], {}, []) | {
        "linker": {"link_precision": 1.0, "link_recall": 1.0, "link_f1": 1.0, "outage_p1_p2_share": 1.0}})
    assert tq.main() == 0
    out = capsys.readouterr().out
    assert "held-out 7: data/tickets/heldout7/ does not exist yet, skipped" in out
    assert "held-out 67: data/tickets/heldout67/ does not exist yet, skipped" in out
    assert "held-out 6   F1 0.99 -> 0.99" in out and "held-out 8   F1" not in out    # the second look, per night
    assert "held-out 4 was measured once, untouched, before the rules were fixed against it" in out
    for k in range(7, 67):                  # the tuned nights after the sixth
        shutil.copytree(DATA_DIR / "tickets" / f"heldout{k}", tickets / f"heldout{k}")
    shutil.copytree(DATA_DIR / "tickets" / "heldout4", tickets / "heldout67")      # once it exists, it is measured
    tq.main()
    out = capsys.readouterr().out
    assert "skipped" not in out and "held-out 67, measured once after the linker was frozen, untouched: F1" in out
    assert "held-out 67, the learned linker (weights frozen before it was measured" in out

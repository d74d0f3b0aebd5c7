"""How well the desk links and prioritises a queue against its truth (course module M32): figures and a
confusion matrix, beside the naive baselines (link every ticket created while an incident that pages is open;
link nothing).

A queue's truth (``*.truth.jsonl``) has per ticket ``id``, ``category``, ``about_outage`` and ``duplicate_of``,
and optionally ``incident`` (the incident it belongs to; without it, the one incident measured). Links are scored
as (ticket, incident) pairs, so a ticket linked to the wrong incident counts against precision and recall.
"""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from . import learned
from .link import is_major
from .tickets import IncidentInfo, Ticket, Triage, load_incidents, load_tickets, load_truth, prf

_SAID: set[str] = set()


def _once(line: str) -> None:
    """A warning about a night's file (a tier it does not know), said once however often the night is scored, in
    lines a notebook's output shows whole (100 characters)."""
    if line not in _SAID:
        _SAID.add(line)
        print(textwrap.fill(line, 100, subsequent_indent="    "), file=sys.stderr)

HIGH = ("P1", "P2")


def night_number(name: str) -> int:
    """A held-out night's number from its name: "held-out" is the first, "held-out 12" the twelfth."""
    return 1 if name == "held-out" else int(name.split()[-1])

# The held-out nights (data/tickets/<folder>/), each written apart from the rules: (name, folder, the figures it
# was measured at once, untouched, before any rule saw it).
NIGHTS = (("held-out", "heldout", None), ("held-out 2", "heldout2", None),
          ("held-out 3", "heldout3", "F1 0.76, P1/P2 68 %"),
          ("held-out 4", "heldout4", "precision 0.87, recall 0.68, F1 0.76, P1/P2 78 %"),
          ("held-out 5", "heldout5", "precision 0.87, recall 0.61, F1 0.72, P1/P2 66 %"),
          ("held-out 6", "heldout6", "precision 0.89, recall 0.57, F1 0.70, P1/P2 64 %"),
          ("held-out 7", "heldout7", "precision 0.90, recall 0.40, F1 0.55, P1/P2 56 %"),
          ("held-out 8", "heldout8", "precision 0.73, recall 0.17, F1 0.28, P1/P2 37 %"),
          ("held-out 9", "heldout9", "precision 0.77, recall 0.48, F1 0.59, P1/P2 52 %"),
          ("held-out 10", "heldout10", "precision 0.83, recall 0.33, F1 0.48, P1/P2 42 %"),
          ("held-out 11", "heldout11", "precision 0.94, recall 0.33, F1 0.49, P1/P2 42 %"),
          ("held-out 12", "heldout12", "precision 0.86, recall 0.42, F1 0.57, P1/P2 44 %"),
          ("held-out 13", "heldout13", "precision 0.69, recall 0.56, F1 0.62, P1/P2 62 %"),
          ("held-out 14", "heldout14", "precision 0.70, recall 0.52, F1 0.60, P1/P2 57 %"),
          ("held-out 15", "heldout15", "precision 0.66, recall 0.45, F1 0.54, P1/P2 52 %"),
          ("held-out 16", "heldout16", "precision 0.62, recall 0.34, F1 0.44, P1/P2 50 %"),
          ("held-out 17", "heldout17", "precision 0.78, recall 0.46, F1 0.58, P1/P2 54 %"),
          ("held-out 18", "heldout18", "precision 0.77, recall 0.46, F1 0.58, P1/P2 49 %"),
          ("held-out 19", "heldout19", "precision 0.60, recall 0.46, F1 0.52, P1/P2 56 %"),
          ("held-out 20", "heldout20", "precision 0.71, recall 0.44, F1 0.54, P1/P2 49 %"),
          ("held-out 21", "heldout21", "precision 0.76, recall 0.65, F1 0.70, P1/P2 70 %"),
          ("held-out 22", "heldout22", "precision 0.64, recall 0.40, F1 0.49, P1/P2 45 %"),
          ("held-out 23", "heldout23", "precision 0.82, recall 0.35, F1 0.49, P1/P2 40 %"),
          ("held-out 24", "heldout24", "precision 0.68, recall 0.42, F1 0.52, P1/P2 48 %"),
          ("held-out 25", "heldout25", "precision 0.78, recall 0.45, F1 0.57, P1/P2 52 %"),
          ("held-out 26", "heldout26", "precision 0.72, recall 0.53, F1 0.61, P1/P2 55 %"),
          ("held-out 27", "heldout27", "precision 0.71, recall 0.53, F1 0.61, P1/P2 58 %"),
          ("held-out 28", "heldout28", "precision 0.58, recall 0.36, F1 0.44, P1/P2 38 %"),
          ("held-out 29", "heldout29", "precision 0.63, recall 0.44, F1 0.52, P1/P2 46 %"),
          ("held-out 30", "heldout30", "precision 0.80, recall 0.60, F1 0.69, P1/P2 60 %"),
          ("held-out 31", "heldout31", "precision 0.71, recall 0.24, F1 0.36, P1/P2 24 %"),
          ("held-out 32", "heldout32", "precision 0.82, recall 0.35, F1 0.49, P1/P2 38 %"),
          ("held-out 33", "heldout33", "precision 0.81, recall 0.52, F1 0.63, P1/P2 54 %"),
          ("held-out 34", "heldout34", "precision 0.83, recall 0.51, F1 0.63, P1/P2 55 %"),
          ("held-out 35", "heldout35", "precision 0.90, recall 0.38, F1 0.53, P1/P2 38 %"),
          ("held-out 36", "heldout36", "precision 0.84, recall 0.35, F1 0.49, P1/P2 41 %"),
          ("held-out 37", "heldout37", "precision 0.91, recall 0.68, F1 0.78, P1/P2 74 %"),
          ("held-out 38", "heldout38", "precision 0.76, recall 0.51, F1 0.61, P1/P2 57 %"),
          ("held-out 39", "heldout39", "precision 0.83, recall 0.46, F1 0.59, P1/P2 50 %"),
          ("held-out 40", "heldout40", "precision 0.90, recall 0.49, F1 0.64, P1/P2 53 %"),
          ("held-out 41", "heldout41", "precision 0.92, recall 0.66, F1 0.77, P1/P2 67 %"),
          ("held-out 42", "heldout42", "precision 0.92, recall 0.56, F1 0.70, P1/P2 64 %"),
          ("held-out 43", "heldout43", "precision 0.94, recall 0.52, F1 0.67, P1/P2 52 %"),
          ("held-out 44", "heldout44", "precision 0.82, recall 0.57, F1 0.67, P1/P2 63 %"),
          ("held-out 45", "heldout45", "precision 0.90, recall 0.54, F1 0.68, P1/P2 54 %"),
          ("held-out 46", "heldout46", "precision 0.90, recall 0.65, F1 0.76, P1/P2 65 %"),
          ("held-out 47", "heldout47", "precision 0.84, recall 0.51, F1 0.64, P1/P2 57 %"),
          ("held-out 48", "heldout48", "precision 0.86, recall 0.46, F1 0.60, P1/P2 46 %"),
          ("held-out 49", "heldout49", "precision 0.85, recall 0.57, F1 0.68, P1/P2 58 %"),
          ("held-out 50", "heldout50", "precision 0.80, recall 0.67, F1 0.73, P1/P2 68 %"),
          ("held-out 51", "heldout51", "precision 0.82, recall 0.51, F1 0.63, P1/P2 51 %"),
          ("held-out 52", "heldout52", "precision 0.74, recall 0.63, F1 0.68, P1/P2 63 %"),
          ("held-out 53", "heldout53", "precision 0.53, recall 0.41, F1 0.46, P1/P2 49 %"),
          ("held-out 54", "heldout54", "precision 0.69, recall 0.56, F1 0.62, P1/P2 59 %"),
          ("held-out 55", "heldout55", "precision 0.53, recall 0.38, F1 0.44, P1/P2 48 %"),
          ("held-out 56", "heldout56", "precision 0.65, recall 0.73, F1 0.69, P1/P2 73 %"),
          ("held-out 57", "heldout57", "precision 0.69, recall 0.70, F1 0.70, P1/P2 78 %"),
          ("held-out 58", "heldout58", "precision 0.81, recall 0.53, F1 0.64, P1/P2 55 %"),
          ("held-out 59", "heldout59", "precision 0.77, recall 0.46, F1 0.58, P1/P2 58 %"),
          ("held-out 60", "heldout60", "precision 0.79, recall 0.51, F1 0.62, P1/P2 53 %"),
          ("held-out 61", "heldout61", "precision 0.77, recall 0.68, F1 0.72, P1/P2 78 %"),
          ("held-out 62", "heldout62", "precision 0.74, recall 0.53, F1 0.62, P1/P2 64 %"),
          ("held-out 63", "heldout63", "precision 0.77, recall 0.52, F1 0.62, P1/P2 56 %"),
          ("held-out 64", "heldout64", "precision 0.90, recall 0.53, F1 0.67, P1/P2 59 %"),
          ("held-out 65", "heldout65", "precision 0.81, recall 0.47, F1 0.60, P1/P2 51 %"),
          ("held-out 66", "heldout66", "precision 0.89, recall 0.66, F1 0.76, P1/P2 66 %"))
# The learned linker's first figure on a night, measured once with its weights frozen before the night was written
# into them (support_desk/learned.py); the weights learn from each night after that.
LEARNED_FIRST = {"held-out 11": "precision 0.84, recall 0.58, F1 0.68, P1/P2 69 %",
                 "held-out 12": "precision 0.77, recall 0.53, F1 0.63, P1/P2 58 %",
                 "held-out 13": "precision 0.78, recall 0.78, F1 0.78, P1/P2 80 %",
                 "held-out 14": "precision 0.75, recall 0.82, F1 0.78, P1/P2 86 %",
                 "held-out 15": "precision 0.83, recall 0.69, F1 0.75, P1/P2 74 %",
                 "held-out 16": "precision 0.73, recall 0.55, F1 0.62, P1/P2 68 %",
                 "held-out 17": "precision 0.84, recall 0.79, F1 0.82, P1/P2 90 %",
                 "held-out 18": "precision 0.85, recall 0.89, F1 0.87, P1/P2 89 %",
                 "held-out 19": "precision 0.67, recall 0.72, F1 0.69, P1/P2 79 %",
                 "held-out 20": "precision 0.69, recall 0.79, F1 0.74, P1/P2 85 %",
                 "held-out 21": "precision 0.80, recall 0.88, F1 0.83, P1/P2 92 %",
                 "held-out 22": "precision 0.69, recall 0.72, F1 0.71, P1/P2 75 %",
                 "held-out 23": "precision 0.79, recall 0.78, F1 0.78, P1/P2 80 %",
                 "held-out 24": "precision 0.80, recall 0.82, F1 0.81, P1/P2 85 %",
                 "held-out 25": "precision 0.83, recall 0.72, F1 0.77, P1/P2 78 %",
                 "held-out 26": "precision 0.80, recall 0.88, F1 0.83, P1/P2 90 %",
                 "held-out 27": "precision 0.72, recall 0.89, F1 0.80, P1/P2 89 %",
                 "held-out 28": "precision 0.72, recall 0.74, F1 0.73, P1/P2 77 %",
                 "held-out 29": "precision 0.82, recall 0.72, F1 0.77, P1/P2 72 %",
                 "held-out 30": "precision 0.84, recall 0.80, F1 0.82, P1/P2 80 %",
                 "held-out 31": "precision 0.78, recall 0.60, F1 0.68, P1/P2 60 %",
                 "held-out 32": "precision 0.93, recall 0.54, F1 0.68, P1/P2 58 %",
                 "held-out 33": "precision 0.88, recall 0.60, F1 0.72, P1/P2 60 %",
                 "held-out 34": "precision 0.92, recall 0.69, F1 0.79, P1/P2 71 %",
                 "held-out 35": "precision 0.88, recall 0.62, F1 0.73, P1/P2 62 %",
                 "held-out 36": "precision 0.91, recall 0.63, F1 0.74, P1/P2 65 %",
                 "held-out 37": "precision 0.90, recall 0.74, F1 0.81, P1/P2 79 %",
                 "held-out 38": "precision 0.91, recall 0.65, F1 0.76, P1/P2 69 %",
                 "held-out 39": "precision 0.94, recall 0.63, F1 0.76, P1/P2 67 %",
                 "held-out 40": "precision 0.89, recall 0.68, F1 0.77, P1/P2 74 %",
                 "held-out 41": "precision 0.90, recall 0.84, F1 0.87, P1/P2 85 %",
                 "held-out 42": "precision 0.94, recall 0.77, F1 0.84, P1/P2 78 %",
                 "held-out 43": "precision 1.00, recall 0.72, F1 0.84, P1/P2 72 %",
                 "held-out 44": "precision 0.85, recall 0.77, F1 0.81, P1/P2 80 %",
                 "held-out 45": "precision 0.88, recall 0.82, F1 0.85, P1/P2 84 %",
                 "held-out 46": "precision 0.87, recall 0.94, F1 0.90, P1/P2 96 %",
                 "held-out 47": "precision 0.87, recall 0.86, F1 0.86, P1/P2 86 %",
                 "held-out 48": "precision 0.78, recall 0.79, F1 0.79, P1/P2 81 %",
                 "held-out 49": "precision 0.86, recall 0.94, F1 0.90, P1/P2 94 %",
                 "held-out 50": "precision 0.82, recall 0.94, F1 0.87, P1/P2 94 %",
                 "held-out 51": "precision 0.81, recall 0.91, F1 0.86, P1/P2 92 %",
                 "held-out 52": "precision 0.76, recall 0.93, F1 0.84, P1/P2 93 %",
                 "held-out 53": "precision 0.69, recall 0.95, F1 0.80, P1/P2 97 %",
                 "held-out 54": "precision 0.71, recall 0.92, F1 0.80, P1/P2 95 %",
                 "held-out 55": "precision 0.81, recall 0.83, F1 0.82, P1/P2 86 %",
                 "held-out 56": "precision 0.85, recall 0.83, F1 0.84, P1/P2 83 %",
                 "held-out 57": "precision 0.86, recall 0.93, F1 0.89, P1/P2 93 %",
                 "held-out 58": "precision 0.90, recall 0.88, F1 0.89, P1/P2 90 %",
                 "held-out 59": "precision 0.96, recall 0.88, F1 0.92, P1/P2 94 %",
                 "held-out 60": "precision 0.90, recall 0.72, F1 0.80, P1/P2 74 %",
                 "held-out 61": "precision 0.91, recall 0.84, F1 0.88, P1/P2 88 %",
                 "held-out 62": "precision 0.88, recall 0.83, F1 0.85, P1/P2 85 %",
                 "held-out 63": "precision 0.91, recall 0.94, F1 0.92, P1/P2 98 %",
                 "held-out 64": "precision 0.94, recall 0.86, F1 0.90, P1/P2 86 %",
                 "held-out 65": "precision 0.89, recall 0.91, F1 0.90, P1/P2 92 %",
                 "held-out 66": "precision 0.92, recall 0.96, F1 0.94, P1/P2 96 %"}
# The learned linker's F1 on each night measured once since the pairs of signals came in (``learned.PAIRED``), without
# the pairs and with them, both fitted on the queues before the night with the signals of then (the 32nd was measured
# without them; its second figure is what they would have scored): the record the pairs are judged by. A refit with
# today's signals gives other figures (``benchmarks/fit_linker.py --pairs`` prints both).
PAIRS_FIRST = {"held-out 27": (0.7816, 0.8000), "held-out 28": (0.7436, 0.7342), "held-out 29": (0.7750, 0.7671),
               "held-out 30": (0.7952, 0.8205), "held-out 31": (0.6944, 0.6757), "held-out 32": (0.6829, 0.7586),
               "held-out 33": (0.7160, 0.7160), "held-out 34": (0.7619, 0.7907), "held-out 35": (0.7586, 0.7317),
               "held-out 36": (0.6480, 0.7436), "held-out 37": (0.8352, 0.8140),
               "held-out 38": (0.7294, 0.7619), "held-out 39": (0.7586, 0.7586),
               "held-out 40": (0.7879, 0.7723), "held-out 41": (0.8819, 0.8682),
               "held-out 42": (0.8376, 0.8448), "held-out 43": (0.8142, 0.8364),
               "held-out 44": (0.7969, 0.8065), "held-out 45": (0.8271, 0.8485),
               "held-out 46": (0.9103, 0.9028), "held-out 47": (0.8276, 0.8633),
               "held-out 48": (0.8060, 0.7883), "held-out 49": (0.8767, 0.8966),
               "held-out 50": (0.8571, 0.8732), "held-out 51": (0.8406, 0.8551),
               "held-out 52": (0.7957, 0.8352), "held-out 53": (0.7447, 0.7957),
               "held-out 54": (0.7816, 0.8000), "held-out 55": (0.7826, 0.8235),
               "held-out 56": (0.9048, 0.8395), "held-out 57": (0.8547, 0.8929),
               "held-out 58": (0.9000, 0.8866), "held-out 59": (0.8454, 0.9200),
               "held-out 60": (0.8600, 0.8000), "held-out 61": (0.8687, 0.8750),
               "held-out 62": (0.8627, 0.8544), "held-out 63": (0.9273, 0.9245),
               "held-out 64": (0.8421, 0.8980), "held-out 65": (0.8687, 0.8972),
               "held-out 66": (0.9515, 0.9412), "held-out 67": (0.7579, 0.8039)}
# Measured once after the linker was frozen (its rules, the second look, the learned weights): the honest figure.
UNTOUCHED = (("held-out 67", "heldout67", None),)


def truth_pairs(truth: dict[str, dict], incident: IncidentInfo | None = None) -> set[tuple[str, str]]:
    """(ticket, incident) for every ticket the truth says is about an outage."""
    return {(tid, row.get("incident") or (incident.id if incident else "?")) for tid, row in truth.items()
            if row["about_outage"]}


def baseline_everything(tickets: list[Ticket], incidents: list[IncidentInfo]) -> set[tuple[str, str]]:
    """The naive baseline: every ticket created while an incident that pages is open is linked to it (the most
    recently opened one when several are)."""
    major = [i for i in incidents if is_major(i.severity)] or incidents
    out = set()
    for t in tickets:
        open_now = [i for i in major if i.open_at(t.created_at, lead_min=0, grace_min=0)]
        if open_now:
            out.add((t.id, max(open_now, key=lambda i: i.opened_at).id))
    return out


def figures(triaged: list[Triage], truth: dict[str, dict], incidents: list[IncidentInfo],
            incident: IncidentInfo | None = None) -> dict:
    """Link precision, recall and F1 over (ticket, incident) pairs and the share of outage tickets at P1/P2, for
    the linker and the two baselines, rounded to 4 places. ``incident``: the one incident a truth without
    ``incident`` fields is about (the course's queues: links to other incidents are not scored there).

    Baselines: *everything* links every ticket created while an incident that pages is open and gives it P2 (an
    outage's priority); *nothing* links no ticket, so its priorities are the desk's with no incident known."""
    from .rules import triage_tickets

    actual = truth_pairs(truth, incident)
    predicted = {(t.id, t.linked_incident) for t in triaged if t.linked_incident}
    if incident is not None and not any(row.get("incident") for row in truth.values()):
        predicted = {p for p in predicted if p[1] == incident.id}
    tickets = [t.ticket for t in triaged]
    everything = baseline_everything(tickets, [incident] if incident else incidents)
    alone = {t.id: t.priority for t in triage_tickets(tickets, [])}
    outage = [t.id for t in triaged if truth.get(t.id, {}).get("about_outage")]
    mine = {t.id: t.priority for t in triaged}
    linked_by_everything = {tid for tid, _ in everything}
    share = {"linker": [mine[i] in HIGH for i in outage],
             "baseline_everything": [i in linked_by_everything or alone[i] in HIGH for i in outage],
             "baseline_nothing": [alone[i] in HIGH for i in outage]}
    out = {}
    for name, pairs in (("linker", predicted), ("baseline_everything", everything), ("baseline_nothing", set())):
        p, r, f1 = prf(pairs, actual)
        # six places: rounded to four, 50/101 (0.49505) became 0.495 and then 0.49 at two places, where it is 0.50
        out[name] = {"link_precision": round(p, 6), "link_recall": round(r, 6), "link_f1": round(f1, 6),
                     "outage_p1_p2_share": round(sum(share[name]) / len(outage), 6) if outage else 1.0}
    expected = [(mine[t], row["priority_expected"]) for t, row in truth.items() if row.get("priority_expected")]
    if expected:
        out["linker"]["priority_agreement"] = round(sum(a == b for a, b in expected) / len(expected), 4)
    out["tickets"], out["outage_tickets"] = len(triaged), len(outage)
    return out


def _want_got(t: Triage, row: dict, truth: dict, incident: IncidentInfo | None):
    """The incident the truth wants and the one the linker chose; a truth about one incident scores only that
    incident's links (a ticket linked to another incident counts as not linked to it)."""
    want = (row.get("incident") or (incident.id if incident else None)) if row["about_outage"] else None
    got = t.linked_incident
    if incident is not None and got != incident.id and not any(r.get("incident") for r in truth.values()):
        got = None
    return want, got


def confusion(triaged: list[Triage], truth: dict[str, dict], incident: IncidentInfo | None = None) -> pd.DataFrame:
    """Truth (rows: about the outage or not) against the decision (columns: linked to the right incident, to
    another, not linked): the counts of tickets."""
    rows = []
    for t in triaged:
        row = truth.get(t.id)
        if row is None:
            continue
        want, got = _want_got(t, row, truth, incident)
        decision = ("not linked" if got is None else "linked, right incident" if got == want
                    else "linked, wrong incident" if want else "linked")
        rows.append({"truth": "about an outage" if want else "not about an outage", "decision": decision})
    table = pd.crosstab(pd.DataFrame(rows)["truth"], pd.DataFrame(rows)["decision"]) if rows else pd.DataFrame()
    cols = [c for c in ("linked, right incident", "linked, wrong incident", "linked", "not linked") if c in table]
    return table[cols]


def errors(triaged: list[Triage], truth: dict[str, dict], incident: IncidentInfo | None = None) -> pd.DataFrame:
    """The tickets the linker got wrong, each with its text, what the truth says and the linker's reason."""
    rows = []
    for t in triaged:
        row = truth.get(t.id)
        if row is None:
            continue
        want, got = _want_got(t, row, truth, incident)
        if got != want:
            rows.append({"id": t.id, "created": f"{t.ticket.created_at:%H:%M}", "text": t.ticket.text,
                         "truth": want, "linked": t.linked_incident,
                         "reason": t.reasons.get("link", t.reasons["category"])})
    return pd.DataFrame(rows, columns=["id", "created", "text", "truth", "linked", "reason"])


def heldout(folder: str | Path, second_look: bool = True, linker: str = "rules", weights=None):
    """(triaged, truth, incidents) of a held-out queue folder (``tickets.jsonl``, ``truth.jsonl``,
    ``incidents.json``, and ``storm.jsonl``, the alerts they were correlated from: their text); ``second_look``
    False: the rules alone; ``linker`` "learned": the learned weights choose (``weights``, or the shipped ones)."""
    from .rules import triage_tickets

    folder = Path(folder)
    storm = folder / "storm.jsonl"
    incidents = load_incidents(folder / "incidents.json", storm if storm.exists() else None)
    triaged = triage_tickets(load_tickets(folder / "tickets.jsonl", warn=_once), incidents, second_look=second_look,
                             linker=linker, weights=weights)
    return triaged, load_truth(folder / "truth.jsonl"), incidents


# ---- The learned linker's data (support_desk/learned.py): each labelled night's signals and labels ----------

def night(folder) -> tuple[np.ndarray, np.ndarray, object, list, dict, list]:
    """(signals, labels, first pass, keys, truth, incidents) of a labelled night's folder."""
    from .rules import first_pass

    folder = Path(folder)
    storm = folder / "storm.jsonl"
    incidents = load_incidents(folder / "incidents.json", storm if storm.exists() else None)
    first = first_pass(load_tickets(folder / "tickets.jsonl", warn=_once), incidents)
    truth = load_truth(folder / "truth.jsonl")
    X, keys = learned.pairs(first, incidents)
    return X, learned.labels(first, incidents, truth, keys), first, keys, truth, incidents


def leave_one_out(data: dict[str, tuple], folders: dict[str, Path], paired: bool = learned.PAIRED) -> dict[str, dict]:
    """Each night of ``folders`` triaged with weights fitted on every other queue of ``data`` (``night`` of each;
    ``paired``: with a weight for each pair of signals), scored as ``figures`` scores it: the learned linker on a
    night its weights never saw."""
    out = {}
    for name, folder in folders.items():
        weights = learned.fit(data, [n for n in data if n != name], paired)
        out[name] = figures(*heldout(folder, linker="learned", weights=weights))
    return out


def tuned_folders() -> dict[str, Path]:
    """Every labelled night the weights may learn from (``NIGHTS``): name -> folder."""
    from ..paths import DATA_DIR

    return {name: DATA_DIR / "tickets" / folder for name, folder, _ in NIGHTS}


def tuned_nights() -> dict[str, tuple]:
    """``night`` of every folder of ``tuned_folders``, by name."""
    return {name: night(folder) for name, folder in tuned_folders().items()}

"""The triage phase: the support desk triages the night's tickets and links the outage's to the incident (M32).

    1. the queue of the scenario (``data/tickets/<scenario>.jsonl``) is read and validated
    2. each ticket is triaged: category, priority, team, each with its reason   (support_desk/triage.py)
    3. a ticket about an open incident is linked to it; duplicates aggregate under its first ticket
    4. the desk answers: a linked ticket hears it is a known incident being worked on; a status page is drafted
    5. links are measured against the ground truth (``<scenario>.truth.jsonl``), beside a naive baseline

Triage runs after detect and before mitigate, so no incident has resolved yet: an incident without a
``resolved`` state change counts as still open. Once the shift knows when each incident really resolved (after
mitigate and ship), ``retriage`` decides again at each ticket's own time: a ticket that comes in after the
resolution is linked against it and told the incident is resolved, and every ticket told "we are working on it"
gets the resolution reply when the incident resolves (``ticket.replied`` with ``resolution: true``).
"""
from __future__ import annotations

from .checks import CheckResult, register
from .paths import DATA_DIR
from .record import ShiftRecord
from .support_desk import triage as desk

MODULE, PHASE = "M32", "triage"
LINK_F1_THRESHOLD = 0.9   # issue 4: F1 at least 0.9 on the worst of 20 seeds


def queue_path(record: ShiftRecord):
    return DATA_DIR / "tickets" / f"{record.scenario.name}.jsonl"


def truth_path(record: ShiftRecord):
    return DATA_DIR / "tickets" / f"{record.scenario.name}.truth.jsonl"


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    if not text:
        return "(empty)"
    return '"' + (text if len(text) <= limit else text[: limit - 3] + "...") + '"'


def triage(record: ShiftRecord) -> list[desk.Triage]:
    """Triage the scenario's ticket queue against the shift's incidents; emit the ticket.* events.

    Returns the triage decisions (shift.py ignores them; the notebook shows them)."""
    record.phases_run.append("triage")
    if truth_path(record).is_file():   # the ground truth, for the measures and the gate (never for the triage)
        record.ticket_truth = desk.load_truth(truth_path(record))
    return _triage(record)


def retriage(record: ShiftRecord) -> list[desk.Triage]:
    """Triage the queue again once the incidents' real resolution times are known (after mitigate and ship):
    the desk works at each ticket's own time, so a ticket that comes in after its incident resolved is linked
    (or not) against the resolution, and hears that it is resolved; every ticket linked before the resolution
    gets the resolution reply when it comes. The first pass's ticket events are taken back and emitted again."""
    if "triage" not in record.phases_run:
        return []
    record.trace.discard(record.triage.ticket_events)
    return _triage(record)


def _triage(record: ShiftRecord) -> list[desk.Triage]:
    record.triage.ticket_events = emitted = []
    for incident in record.incidents.values():
        incident.tickets = []
    path = queue_path(record)
    if not path.is_file():
        record.metrics.update({"tickets_total": 0, "tickets_linked": 0})
        return []
    tickets = desk.load_tickets(path)
    incidents = desk.incidents_from_record(record)
    by_id = {i.id: i for i in incidents}
    triaged = desk.triage_tickets(tickets, incidents)

    def emit(at, kind, message, **refs):
        emitted.append(record.trace.emit(at, MODULE, PHASE, kind, message, **refs))

    drafted = set()
    waiting: dict[str, list[str]] = {}   # incident id -> tickets told "working on it", owed the resolution
    for t in triaged:
        ticket, at = t.ticket, t.ticket.created_at
        tier = f" ({ticket.customer_tier} customer)" if ticket.customer_tier else ""
        emit(at, "ticket.received", f"Ticket {t.id} received{tier}: {_quote(ticket.text)}.", ticket=t.id)
        emit(at, "ticket.triaged", f"Ticket {t.id} triaged as {t.category}, {t.priority}, routed to {t.team}: "
                                   f"{t.reasons['category']}.", ticket=t.id)
        inc_id = t.linked_incident
        if inc_id:
            incident = record.incidents[inc_id]
            incident.tickets.append(t.id)
            # Users can be faster than the correlator: the link is made once the incident exists.
            linked_at = max(at, incident.opened_at)
            resolved_at = incident.time_of("resolved")
            over = resolved_at is not None and linked_at >= resolved_at
            dup = f" (duplicate of {t.duplicate_of})" if t.duplicate_of else ""
            emit(linked_at, "ticket.linked",
                 f"Ticket {t.id} linked to {inc_id}{dup}: {t.reasons['link'].split(': ', 1)[1]}; "
                 f"{len(incident.tickets)} ticket(s) on it now.", ticket=t.id, incident=inc_id)
            if over:
                emit(linked_at, "ticket.replied", f"Replied to {t.id}: {desk.resolution_reply(inc_id)}",
                     ticket=t.id, incident=inc_id, resolution=True)
                continue
            emit(linked_at, "ticket.replied", f"Replied to {t.id}: {desk.reply(t)}", ticket=t.id, incident=inc_id)
            waiting.setdefault(inc_id, []).append(t.id)
            if inc_id not in drafted:
                drafted.add(inc_id)
                emit(linked_at, "status_page.drafted", f"Status page drafted for {inc_id}: "
                     + desk.status_page_draft(by_id[inc_id], [x for x in triaged if x.ticket.created_at <= at]),
                     incident=inc_id)
        else:
            emit(at, "ticket.replied", f"Replied to {t.id}: {desk.reply(t)}", ticket=t.id)
    # The promise kept: once the incident resolves, every ticket told it was being worked on hears it is over.
    for inc_id, ids in waiting.items():
        resolved_at = record.incidents[inc_id].time_of("resolved")
        if resolved_at is None:
            continue
        for tid in ids:
            emit(resolved_at, "ticket.replied", f"Replied to {tid}: {desk.resolution_reply(inc_id)}",
                 ticket=tid, incident=inc_id, resolution=True)
    record.metrics.update({"tickets_total": len(triaged),
                           "tickets_linked": sum(t.linked_incident is not None for t in triaged)})
    paged = by_id.get(record.paged_incident) if record.paged_incident else None
    if paged is not None:
        record.metrics["tickets_linked_to_paged_incident"] = len(record.incidents[paged.id].tickets)
        if record.ticket_truth is not None:
            figures = desk.measure(triaged, record.ticket_truth, paged)
            record.metrics.update({k: figures[k] for k in (
                "ticket_link_f1", "ticket_link_precision", "ticket_link_recall", "baseline_ticket_link_f1",
                "ticket_duplicate_f1")})
    return triaged


# --- the gate's check for this phase (M26) ---------------------------------------------------------------

@register("ticket_linked")
def check_ticket_linked(record: ShiftRecord) -> CheckResult:
    f1 = record.metrics.get("ticket_link_f1")
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if inc is None or f1 is None:
        return CheckResult("ticket_linked", False, f1, LINK_F1_THRESHOLD,
                           "no paged incident or no ground truth to link tickets against")
    truth = record.ticket_truth or {}
    true_linked = [t for t in inc.tickets if truth.get(t, {}).get("about_outage")]
    passed = bool(true_linked) and f1 >= LINK_F1_THRESHOLD
    detail = (f"{len(inc.tickets)} ticket(s) linked to {inc.id}, {len(true_linked)} truly about the outage; "
              f"link F1 {f1:.2f} (precision {record.metrics.get('ticket_link_precision', 0):.2f}, recall "
              f"{record.metrics.get('ticket_link_recall', 0):.2f}; naive baseline F1 "
              f"{record.metrics.get('baseline_ticket_link_f1', 0):.2f})")
    return CheckResult("ticket_linked", passed, f1, LINK_F1_THRESHOLD, detail)

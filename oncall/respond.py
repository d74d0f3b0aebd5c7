"""The incident, end to end (M31, M32): what follows once the shift knows when each incident really ended.

Run by shift.observe over the final counts, after mitigate and ship:

    1. a roll-forward that ended the impact mitigates the paged incident          (M31, mitigate.roll_forward)
    2. background incidents resolve when their alerts have; the others are handed over (M31; gate's handoff.md)
    3. the desk triages again at each ticket's own time; linked tickets hear the resolution  (M32, triage.retriage)
    4. the status page goes Investigating -> Identified -> Monitoring -> Resolved   (M32, ``status.updated``)
    5. the incident commander assigns roles and posts updates on the cadence of data/paging.yaml; a stalled
       major incident is re-paged and escalated                                  (M31, ``incident.updated``,
                                                                                  ``page.escalated``)

Every state a step reports is one the incident really reached: an incident never mitigated stays where it is.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from . import mitigate as mitigation
from . import triage as ticket_triage
from .incident_response import paging
from .incident_response.runbooks import load_runbook
from .record import Incident, ShiftRecord

STATES = ("Investigating", "Identified", "Monitoring", "Resolved")


def follow_through(record: ShiftRecord) -> None:
    """Steps 1-5 above, in place; nothing when detect did not run."""
    if "detect" not in record.phases_run:
        return
    mitigation.roll_forward(record)
    resolve_background(record)
    ticket_triage.retriage(record)
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is None or incident.time_of("acknowledged") is None \
            or record.trace.of_kind("status.updated"):   # already followed through
        return
    update_status_page(record, incident)
    command(record, incident)


# --- 2. background incidents -----------------------------------------------------------------------------

def resolve_background(record: ShiftRecord) -> None:
    """Every incident but the paged one resolves when the last of its alerts has resolved (nobody was paged for
    it; nothing to mitigate). One still firing at the end of the shift is handed over (handoff.md)."""
    if record.correlation is None:
        return
    end = record.scenario.shift.end
    for row in record.correlation.incidents.itertuples(index=False):
        inc = record.incidents.get(row.id)
        if inc is None or inc.id == record.paged_incident or inc.time_of("resolved") is not None:
            continue
        if row.status != "resolved":
            continue
        at = max(row.last_at.to_pydatetime(), inc.state_changes[-1][0])
        if at > end:
            continue
        inc.transition(at, "resolved")
        record.trace.emit(at, "M31", "mitigate", "incident.resolved",
                          f"{inc.id} resolved: every alert in it ({len(inc.alerts)}) has resolved; no page, no action "
                          f"taken.", incident=inc.id)


# --- 4. the status page (M32) ----------------------------------------------------------------------------

def status_moments(record: ShiftRecord, incident: Incident) -> list[tuple[datetime, str]]:
    """(when, state) for each status-page state the incident reached: Investigating when the page was
    acknowledged, Identified when the runbook's diagnosis was done, Monitoring when mitigated, Resolved when
    resolved."""
    moments = [(incident.time_of("acknowledged"), "Investigating")]
    runbook = load_runbook(record.scenario.runbook)
    diagnose = {s.id for s in runbook.steps if s.kind == "diagnose"}
    done = [a["t"] for a in incident.actions if a.get("step") in diagnose and a.get("ok")]
    if done:
        moments.append((max(done), "Identified"))
    for state, label in (("mitigated", "Monitoring"), ("resolved", "Resolved")):
        at = incident.time_of(state)
        if at is not None:
            moments.append((max(at, moments[-1][0]), label))
    return moments


def status_text(record: ShiftRecord, incident: Incident, state: str, at: datetime) -> str:
    service = incident.service or "one of our services"
    every = paging.load_policy().incident_roles.update_every_min
    return {
        "Investigating": f"Investigating: some requests to {service} are failing or degraded. Our engineers are "
                         f"looking into it. Next update within {every:g} minutes.",
        "Identified": f"Identified: we have found the cause of the failing requests to {service} and are working "
                      f"on the fix. Next update within {every:g} minutes.",
        "Monitoring": f"Monitoring: a fix is in place since {at:%H:%M} UTC and requests to {service} are succeeding "
                      f"again; we are watching the service.",
        "Resolved": f"Resolved: the incident is over; {service} has been working normally since "
                    f"{incident.time_of('mitigated') or at:%H:%M} UTC. We will publish a summary of what happened.",
    }[state]


def update_status_page(record: ShiftRecord, incident: Incident) -> None:
    for at, state in status_moments(record, incident):
        record.trace.emit(at, "M32", "mitigate" if state != "Investigating" else "detect", "status.updated",
                          f"Status page for {incident.id}: {status_text(record, incident, state, at)}",
                          incident=incident.id, state=state)


# --- 5. the incident commander (M31) ---------------------------------------------------------------------

def _impact_pct(record: ShiftRecord, at: datetime, minutes: int = 10) -> float:
    """The share of the page's SLO events that went bad over the ``minutes`` before ``at``, in percent."""
    slo = record.slos[record.page.slo]
    bad, total = slo.bad_and_total(record.service)
    end = max(0, min(len(record.service), mitigation._minute(record, at)))
    start = max(0, end - minutes)
    t = float(total[start:end].sum())
    return 100.0 * float(bad[start:end].sum()) / t if t else 0.0


def command(record: ShiftRecord, incident: Incident) -> None:
    """A major incident's commander: roles at acknowledgement, an update every ``update_every_min`` until it
    resolves (or the shift ends), the severity re-assessed in each, and a stalled incident re-paged."""
    policy = paging.load_policy()
    roles, sch = policy.incident_roles, policy.schedule
    if incident.commander is None:
        return
    ack = incident.time_of("acknowledged")
    trace, inc = record.trace, incident.id
    trace.emit(ack, "M31", "detect", "incident.updated",
               f"{incident.commander} takes command of {inc} ({incident.severity}): operations lead "
               f"{sch.primary.name}, communications {roles.comms.name} (status page and stakeholders), scribe "
               f"{roles.scribe.name} (the timeline); updates every {roles.update_every_min:g} min.",
               incident=inc, by="incident_commander", roles="assigned")
    mitigated, resolved = incident.time_of("mitigated"), incident.time_of("resolved")
    stop = resolved or record.scenario.shift.end
    stalled_at = ack + timedelta(minutes=roles.stalled_after_min)
    if (mitigated is None or mitigated > stalled_at) and stalled_at < stop:
        trace.emit(stalled_at, "M31", "mitigate", "page.escalated",
                   f"{inc} stalled: acknowledged {roles.stalled_after_min:g} min ago at {incident.severity} with no "
                   f"mitigation; {incident.commander} re-pages {sch.primary.name} and {sch.secondary.name} and "
                   f"escalates to {roles.escalate_stalled_to.name}.",
                   incident=inc, severity=incident.severity, reason="stalled")
    n, t = 1, ack + timedelta(minutes=roles.update_every_min)
    while t < stop:
        state = "mitigated, monitoring" if mitigated is not None and mitigated <= t else "not mitigated"
        impact = _impact_pct(record, t)
        severity, _ = policy.severity_for("page", impact, slo=record.page.slo)
        judged = (f"impact now {impact:.1f} % of {record.page.slo} events bad over 10 min"
                  + ("" if severity == incident.severity else f" (by impact alone {severity}; kept at "
                     f"{incident.severity} until resolved)"))
        trace.emit(t, "M31", "mitigate", "incident.updated",
                   f"Update {n} on {inc} ({incident.severity}, {state}): {judged}; next update in "
                   f"{roles.update_every_min:g} min.", incident=inc, by="incident_commander", update=n)
        n, t = n + 1, t + timedelta(minutes=roles.update_every_min)
    if resolved is not None:
        trace.emit(resolved, "M31", "mitigate", "incident.updated",
                   f"{incident.commander} closes {inc}: resolved at {resolved:%H:%M} after {n - 1} update(s); "
                   f"the postmortem is owed by the service's team.", incident=inc, by="incident_commander",
                   update="final")

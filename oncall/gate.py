"""The gate phase (M26): the eval gate over the whole shift, and the end-of-shift handoff (M31).

Most checks are registered by the phase that can answer them (detect.py, triage.py, mitigate.py, learn.py,
ship.py). This module adds the one that spans them all, ``same_incident``: incident response (M31), the support
desk (M32) and release operations (M33) acted on the same incident. It can fail: a background incident runs at
the same time in the bad-deploy scenario, so a page, a ticket link or a rollback may land on the wrong one.
"""
from __future__ import annotations

from datetime import timedelta

from .causes import M33_ACTIONS
from .checks import CheckResult, register
from .incident_response import budget
from .record import ShiftRecord
from .service.simulate import minute_of


@register("same_incident")
def check_same_incident(record: ShiftRecord) -> CheckResult:
    """The incident each module acted on for the outage: M31 paged and ran the runbook for it; M32 correlated
    the outage's alerts into it and linked the tickets truly about the outage to it; M33 rolled back for it.
    Passes when each module acted and all on one incident id (the ground truth picks out the outage's alerts
    and tickets; the modules never saw it)."""
    events = record.trace.events
    m31 = {e.refs["incident"] for e in events if e.kind in ("page.sent", "runbook.step") and "incident" in e.refs}
    m32: set[str] = set()
    if record.correlation is not None:
        bad_cause = record.cause.label
        assignment = record.correlation.assignment[record.alerts["true_cause"] == bad_cause]
        m32 |= {a for a in assignment if str(a).startswith("INC-")}
    has_tickets = record.ticket_truth is not None   # read by the triage phase
    truth = record.ticket_truth or {}
    m32_tickets = {e.refs["incident"] for e in events if e.kind == "ticket.linked"
                   and truth.get(e.refs.get("ticket"), {}).get("about_outage")}
    # Release and data operations act by rolling back, rebuilding the index or failing over the provider.
    m33 = {e.refs["incident"] for e in events if e.kind in M33_ACTIONS and "incident" in e.refs}
    acted = {"M31": m31, "M32": m32 | m32_tickets, "M33": m33}
    missing = ([m for m, ids in acted.items() if not ids]
               + ([] if m32_tickets or not has_tickets else ["M32 tickets"]))
    ids = set().union(*acted.values())
    passed = not missing and len(ids) == 1
    detail = "; ".join(f"{m}: {', '.join(sorted(i)) or 'nothing'}" for m, i in acted.items())
    if not passed:
        detail += f" (expected every module on one incident; missing: {', '.join(missing) or 'none'})"
    return CheckResult("same_incident", bool(passed), ", ".join(sorted(ids)) or None, record.paged_incident, detail)


def handoff_note(record: ShiftRecord) -> str:
    """The end-of-shift handoff for the next on-call: what happened, what is still open, what to watch, and where
    the budget stands. Every line comes from the record."""
    sc, m = record.scenario, record.metrics
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    lines = [f"# Handoff: {sc.shift.end:%Y-%m-%d %H:%M} UTC", "",
             f"Shift {sc.shift.start:%H:%M}-{sc.shift.end:%H:%M} UTC on support-assistant, scenario {sc.name}.", "",
             "## What happened", ""]
    if inc is None:
        lines.append("- No page during the shift.")
    else:
        mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
        rolled = any(a.get("step") == "roll-forward" for a in inc.actions)
        lines.append(f"- {inc.id} ({inc.severity}): {sc.title.lower()}; paged at {record.page.at:%H:%M}, "
                     + (f"mitigated at {mitigated:%H:%M}{' by a roll-forward' if rolled else ''}, resolved at "
                        f"{resolved:%H:%M}." if resolved else "NOT mitigated: " + record.cause.not_mitigated))
        if record.artifacts.get("postmortem.md"):
            lines.append(f"- Postmortem written (postmortem.md); regression case {record.regression_name or 'none'}.")
        if inc.tickets:
            told = [e for e in record.trace.events if e.kind == "ticket.replied" and e.refs.get("resolution")
                    and e.refs.get("incident") == inc.id]
            lines.append(f"- {len(inc.tickets)} support tickets linked to {inc.id}; their users were told it is a "
                         "known incident" + (f", and {len(told)} heard that it is resolved." if told else "."))
    others = [i for i in record.incidents.values() if i is not inc and i.time_of("resolved") is not None]
    if others:
        lines.append(f"- {len(others)} other incident(s) resolved on their own during the shift: "
                     + ", ".join(i.id for i in others) + ".")
    verdicts = [e for e in record.trace.events if e.kind == "canary.verdict"]
    for v in verdicts:
        lines.append(f"- {v.message}")
    lines += ["", "## Still open", ""]
    open_incidents = [i for i in record.incidents.values() if i.time_of("resolved") is None]
    correlation = record.correlation
    still = []
    if correlation is not None:
        firing = correlation.incidents[correlation.incidents["status"] == "firing"]
        still = [f"- {row.id}: handed over to the next on-call, alerts still firing on {', '.join(c for c in row.components if c) or 'the service'} "
                 f"of {', '.join(row.services)} (severity {row.severity})." for row in firing.itertuples()]
    lines += still or ["- Nothing is firing."]
    if open_incidents and inc in open_incidents:
        lines.append(f"- {inc.id} is not resolved.")
    lines += ["", "## What to watch", ""]
    watch = []
    if verdicts and verdicts[-1].refs.get("verdict") != "promoted":
        watch.append(f"- The fix did not ship: {verdicts[-1].message}")
    if "time_to_mitigate_min" in m:
        slo = record.page.slo if record.page else "availability"
        watch.append(f"- The {slo} SLI recovered; keep an eye on the burn tiers: the 6 h page tier's "
                     "short window (30 min) is what resets last.")
    failed = [c for c in record.checks if not c.passed]
    watch += [f"- Gate check {c.name} is red: {c.detail}" for c in failed] or ["- The gate is green."]
    lines += watch
    lines += ["", "## Error budget", ""]
    spent = m.get("budget_consumed_pct")
    lines.append(f"- {budget.spent_words(spent)} ({record.page.slo}; limit {sc.budget_limit_pct:g} %)."
                 if spent is not None else f"- The error budget {budget.SPENT_NAME} was not measured.")
    if "budget_remaining_pct_at_canary" in m and record.budget is not None:
        canary_at = sc.shift.start + timedelta(minutes=minute_of(sc, sc.canary_at))
        lines.append(f"- {budget.left_words(m['budget_remaining_pct_at_canary'], canary_at, record.budget.slo)}, "
                     f"when the fix went out; "
                     f"{budget.history_words(record.slos[record.budget.slo], record.history)}.")
    return "\n".join(lines) + "\n"


def gate(record: ShiftRecord, run_checks) -> None:
    """Score the shift, write the handoff, and trace every check."""
    record.phases_run.append("gate")
    record.checks = run_checks(record, record.scenario.checks)
    at = record.scenario.shift.end - timedelta(minutes=1)
    for check in record.checks:
        record.trace.emit(at, "M26", "gate", "gate.check",
                          f"Check {check.name}: {'pass' if check.passed else 'FAIL'}: {check.detail}",
                          check=check.name, passed=check.passed)
    record.artifacts["handoff.md"] = handoff_note(record)
    record.trace.emit(record.scenario.shift.end, "M31", "gate", "handoff.written",
                      f"Handoff for the next on-call written (handoff.md): "
                      f"{sum(c.passed for c in record.checks)} of {len(record.checks)} gate checks green.")

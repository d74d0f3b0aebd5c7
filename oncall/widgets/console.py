"""The console's panels (notebooks/console.ipynb): a shift's status line, its incidents, the tickets linked to
them and the canary, each from the shift record alone, so the console redraws them for any break mode."""
from __future__ import annotations

import pandas as pd

from ..incident_response.budget import spent_words


def status_html(record, card) -> str:
    """One line of HTML: the service's state over the last 30 minutes, the page, the mitigation, the budget spent
    against the scenario's limit and the gate's verdict."""
    m, verdict = record.metrics, "GREEN" if card["passed"] else "RED"
    last = record.service.iloc[-30:]
    now = 100 * last.errors.sum() / max(1, last.requests.sum())
    state = "healthy" if now < 100 * record.slos["availability"].budget_ratio else "DEGRADED"
    facts = [f"<b>{record.catalog.service}</b> {state} ({now:.2f} % errors over the last 30 min)",
             f"page {m.get('page_severity') or 'none'} after {m.get('time_to_detect_min')} min",
             _mitigation(record),
             f"{spent_words(m['budget_consumed_pct'])} (limit {record.scenario.budget_limit_pct:g} %)",
             f"gate <b>{verdict}</b> ({sum(c['passed'] for c in card['checks'])}/{len(card['checks'])})"]
    return " &nbsp;|&nbsp; ".join(facts)


def _mitigation(record) -> str:
    """When the bleeding stopped, and by whom: the on-call's runbook, or only the shipped fix's roll-forward."""
    minutes = record.metrics.get("time_to_mitigate_min")
    if not minutes:
        return "never mitigated"
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is not None and any(a.get("action") == "roll-forward" for a in incident.actions):
        return f"the on-call never mitigated; the fix's roll-forward did after {minutes} min"
    return f"mitigated after {minutes} min"


def incidents_table(record) -> pd.DataFrame:
    """One row per incident: title, severity, state, when it opened, how many alerts and tickets it holds."""
    rows = [{"incident": i.id, "title": i.title, "severity": i.severity or "", "state": i.state,
             "opened": f"{i.opened_at:%H:%M}", "alerts": len(i.alerts), "tickets": len(i.tickets)}
            for i in record.incidents.values()]
    return pd.DataFrame(rows).set_index("incident")


def tickets_table(record) -> pd.DataFrame:
    """One row per ticket linked to an incident: when, to which incident, and why (from the trace)."""
    trace = record.trace.to_frame()
    linked = trace[trace.kind == "ticket.linked"]
    return pd.DataFrame({"time": linked.t.dt.strftime("%H:%M"), "ticket": [r["ticket"] for r in linked.refs],
                         "incident": [r["incident"] for r in linked.refs],
                         "why": linked.message.str.split(": ", n=1).str[1].str.slice(0, 90)}).set_index("ticket")


def canary_table(record) -> pd.DataFrame | str:
    """The canary's trace events, or one sentence saying why the shift had no canary."""
    trace = record.trace.to_frame()
    canary = trace[trace.kind.str.startswith("canary.")]
    if canary.empty:
        return record.phases_skipped.get("ship", "no canary in this shift").capitalize() + "."
    return canary.assign(time=canary.t.dt.strftime("%H:%M"))[["time", "kind", "message"]].set_index("time")

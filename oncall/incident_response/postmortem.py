"""The postmortem writer (M31): a blameless Markdown postmortem built from the incident record and the trace.

Sections follow the Google SRE book's example postmortem and PagerDuty's template: Summary, Impact, Root cause,
Trigger, Detection, Resolution, Responders (who was paged, the commander's roles, escalations), Customer
communication (the status page's states, what linked tickets were told), Action items (typed mitigate / prevent /
process, with owners, priority and due date), Lessons learned
(what went well, what went wrong, where we got lucky) and Timeline (UTC, linking the trace events by seq).
Every sentence is computed from the record; a fact the shift did not produce is said to be missing, never
invented. Blameless: it names causes and systems, never people's mistakes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..service import simulate as sim
from . import budget

SECTIONS = ("Summary", "Impact", "Root cause", "Trigger", "Detection", "Resolution", "Responders",
            "Customer communication", "Action items", "Lessons learned", "Timeline")
PLACEHOLDERS = ("TODO", "TBD", "XXX", "FIXME", "lorem", "<fill", "[fill")
TIMELINE_KINDS = ("release.deployed", "index.build_failed", "provider.degraded", "sli.degraded", "incident.opened",
                  "page.sent", "page.escalated", "incident.acknowledged", "ticket.linked", "runbook.step",
                  "release.rolled_back", "flag.changed", "index.rebuilt", "provider.failed_over",
                  "incident.mitigated", "sli.recovered", "incident.resolved", "page.received", "status.updated")
OWNERS = {"mitigate": "on-call (support-assistant)", "prevent": "release engineering",
          "process": "incident review board"}


# Each type's priority and how many days after the incident it is due (a mitigation that shortens the next
# incident first, then the prevention, then the process change).
PRIORITY = {"mitigate": ("P1", 7), "prevent": ("P2", 14), "process": ("P3", 30)}


@dataclass(frozen=True)
class ActionItem:
    item: str
    type: str          # mitigate, prevent or process
    owner: str
    tracking: str      # an id, or the regression case that implements it

    def priority(self) -> str:
        return PRIORITY.get(self.type, ("P3", 30))[0]

    def due(self, opened) -> str:
        """The due date: the type's number of days after the incident opened."""
        return (opened + timedelta(days=PRIORITY.get(self.type, ("P3", 30))[1])).strftime("%Y-%m-%d")


ASKING = {"issue_refund": "a refund", "lookup_order": "an order's status"}


def hm(t) -> str:
    return t.strftime("%H:%M")


def broken_tools(record) -> list[str]:
    """The tools whose arguments, as the bad release sends them, the order API rejects."""
    bad = record.scenario.releases.bad
    if bad is None:
        return []
    return [tool for tool in record.catalog.tool_schemas[bad.tool_schema]
            if not record.catalog.tool_accepts(bad.tool_schema, tool)]


def api_tools(record) -> list[str]:
    """The order API's tools, as the last good release calls them."""
    return list(record.catalog.tool_schemas[record.scenario.releases.last_good.tool_schema])


def action_items(record, regression_id: str | None) -> list[ActionItem]:
    """Action items, each derived from a fact of the shift (the incident's cause kind says which)."""
    return record.cause.action_items(record, regression_id)


def detection_and_resolution(record, inc, seq: dict, after: str, mitigated_after: str, tail: str) -> list[str]:
    """The Detection and Resolution sections: the page against its burn tier, the storm it came out of, and the
    runbook's steps with the incident's lifecycle times."""
    sc, m, page = record.scenario, record.metrics, record.page
    mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
    steps = [a for a in inc.actions if a["step"] not in ("select",)]
    return ["## Detection", "",
            f"The {page.tier} burn-rate tier on the {page.slo} SLO fired at {hm(page.at)}, "
            f"{m.get('time_to_detect_min', 0):.0f} min after {after}, at {page.long_burn:.1f}x over its long "
            f"window and {page.short_burn:.1f}x over its short window (trace #{seq.get('page.sent', '?')}). "
            f"The correlator had collapsed {m['alerts_total']} alert notifications into {m['incidents_opened']} "
            f"incidents ({m['noise_reduction_pct']:.1f} % noise reduction on notifications, "
            f"{m.get('noise_reduction_distinct_pct', 0):.1f} % on {m.get('distinct_alerts', 0)} distinct alerts), and "
            f"the page joined {inc.id}.", "",
            "## Resolution", "",
            f"The on-call followed runbook {sc.runbook}: " +
            "; ".join(f"{a['step']} at {hm(a['t'])} ({'ok' if a['ok'] else 'failed'})" for a in steps) + ". "
            + (f"Mitigated at {hm(mitigated)} ({m.get('time_to_mitigate_min', 0):.0f} min after {mitigated_after}); "
               f"resolved at {hm(resolved)}.{tail}" if mitigated and resolved else "The incident was not mitigated."),
            ""]


def header(sc, inc) -> list[str]:
    resolved = inc.time_of("resolved")
    return [f"# Postmortem: {inc.id}, {sc.title.lower()}", "",
            f"Status: {'resolved' if resolved else inc.state}. Severity: {inc.severity}. "
            f"Incident commander: {inc.commander or 'none (not a major incident)'}. Blameless: it names causes, "
            "not people.", ""]


def responders(record, inc) -> list[str]:
    """Who responded, in which role, from the trace: the paged, the acknowledger, the commander's roles, and whoever
    an escalation or a re-page brought in."""
    events = [e for e in record.trace.events if e.refs.get("incident") == inc.id]
    lines = ["## Responders", ""]
    for e in events:
        if e.kind in ("page.sent", "incident.acknowledged", "page.escalated") or (
                e.kind == "incident.updated" and e.refs.get("roles") == "assigned"):
            lines.append(f"- {hm(e.t)} {e.message}")
    if len(lines) == 2:
        lines.append("- Nobody was paged for this incident.")
    return lines + [""]


def customer_communication(record, inc) -> list[str]:
    """What users were told and when: the status page's updates, the tickets linked and the replies they got."""
    events = [e for e in record.trace.events if e.refs.get("incident") == inc.id]
    status = [e for e in events if e.kind == "status.updated"]
    lines = ["## Customer communication", ""]
    lines += [f"- {hm(e.t)} status page: {e.refs.get('state')}." for e in status] or [
        "- Status page: no update posted by the time of writing."]
    replies = [e for e in events if e.kind == "ticket.replied"]
    resolved = [e for e in replies if e.refs.get("resolution")]
    lines.append(f"- Support tickets: {len(inc.tickets)} linked to {inc.id}; {len(replies) - len(resolved)} told it "
                 f"is a known incident being worked on, {len(resolved)} told it is resolved.")
    return lines + [""]


def closing(record, inc, items: list[ActionItem], well: list[str], wrong: list[str], lucky: list[str],
            in_timeline) -> list[str]:
    """Action items, Lessons learned (a failed runbook step is always among what went wrong) and the Timeline of
    the trace events ``in_timeline(event)`` keeps."""
    wrong = list(wrong)
    if any(not a["ok"] for a in inc.actions):
        wrong.append("a runbook step failed: " + "; ".join(f"{a['step']} ({a.get('evidence', 'timed out')})"
                                                        for a in inc.actions if not a["ok"]))
    lines = responders(record, inc) + customer_communication(record, inc)
    lines += ["## Action items", "", "| item | type | priority | due | owner | tracking |", "|---|---|---|---|---|---|"]
    lines += [f"| {a.item} | {a.type} | {a.priority()} | {a.due(inc.opened_at)} | {a.owner} | {a.tracking} |"
              for a in sorted(items, key=lambda a: a.priority())] + [""]
    lines += ["## Lessons learned", "", "**What went well**", ""] + [f"- {w}" for w in well]
    lines += ["", "**What went wrong**", ""] + [f"- {w}" for w in wrong]
    lines += ["", "**Where we got lucky**", ""] + [f"- {w}" for w in lucky] + [""]
    lines += ["## Timeline", "", "All times UTC; # is the event's seq in trace.jsonl.", "",
              "| # | time | module | event | what happened |", "|---|---|---|---|---|"]
    lines += [f"| {e.seq} | {e.t:%H:%M} | {e.module} | {e.kind} | {e.message.replace('|', '/')} |"
              for e in record.trace.events if e.kind in TIMELINE_KINDS and in_timeline(e)]
    return lines


def write_postmortem(record, regression_id: str | None = None) -> str:
    """The postmortem of the paged incident, as Markdown (its facts come from the incident's cause kind)."""
    return record.cause.postmortem(record, regression_id)


def write_no_release(record, regression_id: str | None, text: dict, cause_event: str, items: list[ActionItem]) -> str:
    """The postmortem of an incident no release caused (a stale index, a provider outage): ``text`` holds the
    sentences its cause kind words (summary, users, root, trigger, wrong, lucky, done, kind_words), ``cause_event``
    the trace kind that marks the cause, ``items`` the action items."""
    sc, inc = record.scenario, record.incidents[record.paged_incident]
    m, page, events = record.metrics, record.page, record.trace.events
    onset = record.cause.onset_at
    onset_min = sim.minute_of(sc, onset)
    mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
    end_min = sim.minute_of(sc, mitigated) if mitigated else len(record.service)
    window = record.service.iloc[max(onset_min, 0):end_min]
    served = int(window["requests"].sum())
    failed = int(window["errors"].sum())
    graded, stale = int(window["graded"].sum()), int(window["stale_answers"].sum())
    wrong = int((window["graded"] - window["correct"]).sum())
    seq = {e.kind: e.seq for e in reversed(events) if e.refs.get("incident") in (None, inc.id)}
    cause_seq = next((e.seq for e in events if e.kind == cause_event), "?")
    duration = (mitigated - onset).total_seconds() / 60 if mitigated else None
    lines = header(sc, inc)
    lines += ["## Summary", "", text["summary"] + f" The {page.slo} SLO paged {inc.severity} at {hm(page.at)}"
              + (f"; the on-call {text['done']} following runbook {sc.runbook}, mitigated at {hm(mitigated)} and "
                 f"resolved at {hm(resolved)}." if mitigated and resolved else
                 "; it was not mitigated during the shift."), ""]
    lines += ["## Impact", "", "| measure | value |", "|---|---|",
              f"| duration (cause to mitigation) | {f'{duration:.0f} min' if duration is not None else 'not mitigated in the shift'} |",
              f"| requests failed | {failed:,} of {served:,} ({100 * failed / max(served, 1):.1f} %) |",
              f"| graded answers wrong | {wrong:,} of {graded:,} ({100 * wrong / max(graded, 1):.1f} %), {stale:,} of them quoting a superseded help-article fact |",
              f"| error budget {budget.SPENT_NAME} | {m.get('budget_consumed_pct', 0):.2f} % of the 30-day {page.slo} budget |",
              f"| time in {inc.severity} | {f'{(resolved - page.at).total_seconds() / 60:.0f} min' if resolved else 'until the end of the shift'} |",
              f"| users affected | {text['users']} |",
              f"| support tickets linked | {len(inc.tickets)} |" if "triage" in record.phases_run else
              "| support tickets linked | not measured: the triage phase did not run |", ""]
    lines += ["## Root cause", "", text["root"], ""]
    lines += ["## Trigger", "", text["trigger"].format(seq=cause_seq), ""]
    lines += detection_and_resolution(record, inc, seq, text["kind_words"], "the cause started",
                                       " No release was rolled back.")
    well = [f"the {page.slo} SLO paged {m.get('time_to_detect_min', 0):.0f} min after {text['kind_words']}",
            f"{m['alerts_total']} alert notifications reached the on-call as {m['incidents_opened']} incidents"]
    if mitigated:
        well.append(f"the runbook mitigated {(mitigated - page.at).total_seconds() / 60:.0f} min after the page, "
                    "without a rollback that could not have helped")
    lines += closing(record, inc, items, well, text["wrong"], text["lucky"],
                      lambda e: e.refs.get("incident") in (inc.id, None) and e.t >= onset
                      and e.kind != "release.deployed")
    return "\n".join(lines) + "\n"


def missing_sections(markdown: str) -> list[str]:
    """Required headings that are absent or empty."""
    missing = []
    for i, name in enumerate(SECTIONS):
        head = f"## {name}\n"
        if head not in markdown:
            missing.append(name)
            continue
        body = markdown.split(head, 1)[1].split("\n## ", 1)[0]
        if not body.strip():
            missing.append(name)
    return missing


def placeholders(markdown: str) -> list[str]:
    return [p for p in PLACEHOLDERS if p.lower() in markdown.lower()]

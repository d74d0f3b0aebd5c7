"""The postmortem writer (M31): a blameless Markdown postmortem built from the incident record and the trace.

Sections follow the Google SRE book's example postmortem and PagerDuty's template: Summary, Impact, Root cause,
Trigger, Detection, Resolution, Action items (typed mitigate / prevent / process, with owners), Lessons learned
(what went well, what went wrong, where we got lucky) and Timeline (UTC, linking the trace events by seq).
Every sentence is computed from the record; a fact the shift did not produce is said to be missing, never
invented. Blameless: it names causes and systems, never people's mistakes.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..service import simulate as sim

SECTIONS = ("Summary", "Impact", "Root cause", "Trigger", "Detection", "Resolution", "Action items",
            "Lessons learned", "Timeline")
PLACEHOLDERS = ("TODO", "TBD", "XXX", "FIXME", "lorem", "<fill", "[fill")
TIMELINE_KINDS = ("release.deployed", "index.build_failed", "provider.degraded", "sli.degraded", "incident.opened",
                  "page.sent", "page.escalated", "incident.acknowledged", "ticket.linked", "runbook.step",
                  "release.rolled_back", "flag.changed", "index.rebuilt", "provider.failed_over",
                  "incident.mitigated", "sli.recovered", "incident.resolved")
OWNERS = {"mitigate": "on-call (support-assistant)", "prevent": "release engineering",
          "process": "incident review board"}


@dataclass(frozen=True)
class ActionItem:
    item: str
    type: str          # mitigate, prevent or process
    owner: str
    tracking: str      # an id, or the regression case that implements it


_ASKING = {"issue_refund": "a refund", "lookup_order": "an order's status"}


def _hm(t) -> str:
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
    """Action items, each derived from a fact of the shift."""
    sc, inc = record.scenario, record.incidents[record.paged_incident]
    items = []
    escalated = any(a["step"] == "escalation" for a in inc.actions)
    if sc.cause.kind != "deploy":
        return _other_items(record, regression_id, escalated)
    items.append(ActionItem(
        f"Add the {'escalation fallback (redeploy from artifact)' if escalated else 'rollback'} timings of this "
        f"incident to runbook {sc.runbook}'s verification notes", "mitigate", OWNERS["mitigate"], f"{inc.id}-1"))
    if broken_tools(record):
        items.append(ActionItem(
            "Regression eval: every tool call the assistant makes must be accepted by the order API "
            f"({', '.join(api_tools(record))})",
            "prevent", OWNERS["prevent"], regression_id or f"{inc.id}-2"))
    elif regression_id:
        what = {"latency": "every answer within the golden set's latency budget before a model change ships",
                "quality": "every knowledge answer states its help article's current fact before a prompt "
                           "change ships"}.get(record.page.slo if record.page else "", "the incident's failure")
        items.append(ActionItem(f"Regression eval: {what}", "prevent", OWNERS["prevent"], regression_id))
    diff = [k for k, _, _ in sc.releases.bad.changes_from(sc.releases.last_good)]
    items.append(ActionItem(
        f"Canary every release that changes {', '.join(diff)} before it takes 100 % of traffic (this one went "
        "straight to 100 %)", "process", OWNERS["process"], f"{inc.id}-3"))
    if any("failed" in str(a.get("evidence", "")) for a in inc.actions):
        items.append(ActionItem("Keep the last two releases' configs in the release store so a rollback cannot "
                                "find them pruned", "prevent", OWNERS["prevent"], f"{inc.id}-4"))
    return items


def _other_items(record, regression_id, escalated) -> list[ActionItem]:
    """Action items for an incident no rollback could fix (a stale index, a provider outage)."""
    sc, inc = record.scenario, record.incidents[record.paged_incident]
    items = [ActionItem(f"Add the {'escalation' if escalated else sc.cause.kind} timings of this incident to runbook "
                        f"{sc.runbook}'s verification notes", "mitigate", OWNERS["mitigate"], f"{inc.id}-1")]
    if sc.cause.kind == "stale-index":
        items.append(ActionItem("Regression eval: an index serving traffic answers every help article changed since "
                                "its previous build with the current fact; the reindex runbook runs it before every "
                                "alias swap", "prevent", "data operations", regression_id or f"{inc.id}-2"))
        items.append(ActionItem("Make the nightly index build fail loudly: exit non-zero on an empty or short "
                                f"document set, and alert when kb-live is older than {record.max_index_age_h:g} h (the "
                                "freshness SLO now pages)",
                                "prevent", "data operations", f"{inc.id}-3"))
        items.append(ActionItem("Review every batch job whose failure only shows as stale data; give each a "
                                "freshness SLO", "process", OWNERS["process"], f"{inc.id}-4"))
    else:
        items.append(ActionItem("Regression eval: with the primary model provider down, the assistant still answers "
                                "(the client fails over by itself)", "prevent", OWNERS["prevent"],
                                regression_id or f"{inc.id}-2"))
        items.append(ActionItem("Run a provider failover drill every month, and keep the secondary provider's quota "
                                "warm enough for peak traffic", "process", OWNERS["process"], f"{inc.id}-3"))
    return items


def _cause_text(record) -> dict:
    """The sentences that differ by the incident's cause, for a stale index or a provider outage."""
    sc = record.scenario
    onset = sc.onset_at
    if sc.cause.kind == "stale-index":
        from ..service.knowledge import load_kb

        built = sc.index.last_build
        changed = [d for d in load_kb() if d.previous_fact and built < d.updated_at <= sc.shift.end]
        docs = "; ".join(f"{d.title.lower()} (changed {d.updated_at:%Y-%m-%d %H:%M} UTC: \"{d.fact}\", the index "
                         f"still says \"{d.previous_fact}\")" for d in changed) or "no article"
        return {
            "summary": (f"On {onset:%Y-%m-%d} at {_hm(onset)} UTC the nightly build of the knowledge-base index failed "
                        f"silently, and kb-live kept serving the build of {built:%Y-%m-%d %H:%M} UTC. Answers about "
                        f"help articles changed since then went wrong while the error rate stayed flat."),
            "users": "every user asking about a help article changed since the last good build",
            "root": (f"The nightly build job exited 0 after indexing an empty document set, so the alias was never "
                     f"swapped and nothing alerted. Articles changed since the "
                     f"last good build: {docs}. No check compared the index's age with the build schedule."),
            "trigger": f"The failed nightly build at {_hm(onset)} UTC (trace #{{seq}}); no release changed.",
            "wrong": [f"the build failed at {_hm(onset)} UTC and nothing noticed it until the index was "
                      f"{record.max_index_age_h:g} h old",
                      "error-rate and latency graphs stayed flat the whole time: only freshness and quality moved"],
            "lucky": ["the changed help article was caught by the freshness SLO before the quality SLO's slow burn "
                      "grew into days of wrong answers"],
            "done": "reindexed", "kind_words": "the index went stale",
        }
    cause = sc.cause
    return {
        "summary": (f"On {onset:%Y-%m-%d} at {_hm(onset)} UTC model provider {cause.provider} started failing about "
                    f"{100 * cause.error_ratio:.0f} % of calls. No release had changed: rolling back would not "
                    f"have helped."),
        "users": "every user whose request hit the failing provider",
        "root": (f"An outage at model provider {cause.provider} (its status page said 'investigating'). The "
                 f"assistant's client had no automatic failover, so failed calls surfaced to users until the on-call "
                 f"moved traffic to the {record.catalog.failover.provider} provider by hand."),
        "trigger": f"Provider {cause.provider}'s outage from {_hm(onset)} UTC (trace #{{seq}}); no release changed.",
        "wrong": ["the client had no automatic failover, so a provider outage became our outage"],
        "lucky": [f"the {record.catalog.failover.provider} provider had the capacity to take all traffic at night"],
        "done": "failed over", "kind_words": "the provider failed",
    }


def _detection_and_resolution(record, inc, seq: dict, after: str, mitigated_after: str, tail: str) -> list[str]:
    """The Detection and Resolution sections: the page against its burn tier, the storm it came out of, and the
    runbook's steps with the incident's lifecycle times."""
    sc, m, page = record.scenario, record.metrics, record.page
    mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
    steps = [a for a in inc.actions if a["step"] not in ("select",)]
    return ["## Detection", "",
            f"The {page.tier} burn-rate tier on the {page.slo} SLO fired at {_hm(page.at)}, "
            f"{m.get('time_to_detect_min', 0):.0f} min after {after}, at {page.long_burn:.1f}x over its long "
            f"window and {page.short_burn:.1f}x over its short window (trace #{seq.get('page.sent', '?')}). "
            f"The correlator had collapsed {m['alerts_total']} alert notifications into {m['incidents_opened']} "
            f"incidents ({m['noise_reduction_pct']:.1f} % noise reduction), and the page joined {inc.id}.", "",
            "## Resolution", "",
            f"The on-call followed runbook {sc.runbook}: " +
            "; ".join(f"{a['step']} at {_hm(a['t'])} ({'ok' if a['ok'] else 'failed'})" for a in steps) + ". "
            + (f"Mitigated at {_hm(mitigated)} ({m.get('time_to_mitigate_min', 0):.0f} min after {mitigated_after}); "
               f"resolved at {_hm(resolved)}.{tail}" if mitigated and resolved else "The incident was not mitigated."),
            ""]


def _header(sc, inc) -> list[str]:
    resolved = inc.time_of("resolved")
    return [f"# Postmortem: {inc.id}, {sc.title.lower()}", "",
            f"Status: {'resolved' if resolved else inc.state}. Severity: {inc.severity}. "
            f"Incident commander: {inc.commander or 'none (not a major incident)'}. Blameless: it names causes, "
            "not people.", ""]


def _closing(record, inc, regression_id, well: list[str], wrong: list[str], lucky: list[str], in_timeline) -> list[str]:
    """Action items, Lessons learned (a failed runbook step is always among what went wrong) and the Timeline of
    the trace events ``in_timeline(event)`` keeps."""
    items = action_items(record, regression_id)
    wrong = list(wrong)
    if any(not a["ok"] for a in inc.actions):
        wrong.append("a runbook step failed: " + "; ".join(f"{a['step']} ({a.get('evidence', 'timed out')})"
                                                        for a in inc.actions if not a["ok"]))
    lines = ["## Action items", "", "| item | type | owner | tracking |", "|---|---|---|---|"]
    lines += [f"| {a.item} | {a.type} | {a.owner} | {a.tracking} |" for a in items] + [""]
    lines += ["## Lessons learned", "", "**What went well**", ""] + [f"- {w}" for w in well]
    lines += ["", "**What went wrong**", ""] + [f"- {w}" for w in wrong]
    lines += ["", "**Where we got lucky**", ""] + [f"- {w}" for w in lucky] + [""]
    lines += ["## Timeline", "", "All times UTC; # is the event's seq in trace.jsonl.", "",
              "| # | time | module | event | what happened |", "|---|---|---|---|---|"]
    lines += [f"| {e.seq} | {e.t:%H:%M} | {e.module} | {e.kind} | {e.message.replace('|', '/')} |"
              for e in record.trace.events if e.kind in TIMELINE_KINDS and in_timeline(e)]
    return lines


def write_postmortem(record, regression_id: str | None = None) -> str:
    """The postmortem of the paged incident, as Markdown."""
    if record.scenario.cause.kind != "deploy":
        return _write_other(record, regression_id)
    return _write_deploy(record, regression_id)


def _write_other(record, regression_id: str | None) -> str:
    """The postmortem of an incident whose cause was not a deploy (a stale index, a provider outage)."""
    sc, inc = record.scenario, record.incidents[record.paged_incident]
    m, page, events = record.metrics, record.page, record.trace.events
    text = _cause_text(record)
    onset = sc.onset_at
    onset_min = sim.minute_of(sc, onset)
    mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
    end_min = sim.minute_of(sc, mitigated) if mitigated else len(record.service)
    window = record.service.iloc[max(onset_min, 0):end_min]
    served = int(window["requests"].sum())
    failed = int(window["errors"].sum())
    graded, stale = int(window["graded"].sum()), int(window["stale_answers"].sum())
    wrong = int((window["graded"] - window["correct"]).sum())
    seq = {e.kind: e.seq for e in reversed(events) if e.refs.get("incident") in (None, inc.id)}
    cause_kind = "index.build_failed" if sc.cause.kind == "stale-index" else "provider.degraded"
    cause_seq = next((e.seq for e in events if e.kind == cause_kind), "?")
    duration = (mitigated - onset).total_seconds() / 60 if mitigated else None
    lines = _header(sc, inc)
    lines += ["## Summary", "", text["summary"] + f" The {page.slo} SLO paged {inc.severity} at {_hm(page.at)}"
              + (f"; the on-call {text['done']} following runbook {sc.runbook}, mitigated at {_hm(mitigated)} and "
                 f"resolved at {_hm(resolved)}." if mitigated and resolved else
                 "; it was not mitigated during the shift."), ""]
    lines += ["## Impact", "", "| measure | value |", "|---|---|",
              f"| duration (cause to mitigation) | {f'{duration:.0f} min' if duration is not None else 'not mitigated in the shift'} |",
              f"| requests failed | {failed:,} of {served:,} ({100 * failed / max(served, 1):.1f} %) |",
              f"| graded answers wrong | {wrong:,} of {graded:,} ({100 * wrong / max(graded, 1):.1f} %), {stale:,} of them quoting a superseded help-article fact |",
              f"| error budget spent | {m.get('budget_consumed_pct', 0):.2f} % of the 30-day {page.slo} budget |",
              f"| time in {inc.severity} | {f'{(resolved - page.at).total_seconds() / 60:.0f} min' if resolved else 'until the end of the shift'} |",
              f"| users affected | {text['users']} |",
              f"| support tickets linked | {len(inc.tickets)} |" if "triage" in record.phases_run else
              "| support tickets linked | not measured: the triage phase did not run |", ""]
    lines += ["## Root cause", "", text["root"], ""]
    lines += ["## Trigger", "", text["trigger"].format(seq=cause_seq), ""]
    lines += _detection_and_resolution(record, inc, seq, text["kind_words"], "the cause started",
                                       " No release was rolled back.")
    well = [f"the {page.slo} SLO paged {m.get('time_to_detect_min', 0):.0f} min after {text['kind_words']}",
            f"{m['alerts_total']} alert notifications reached the on-call as {m['incidents_opened']} incidents"]
    if mitigated:
        well.append(f"the runbook mitigated {(mitigated - page.at).total_seconds() / 60:.0f} min after the page, "
                    "without a rollback that could not have helped")
    lines += _closing(record, inc, regression_id, well, text["wrong"], text["lucky"],
                      lambda e: e.refs.get("incident") in (inc.id, None) and e.t >= onset
                      and e.kind != "release.deployed")
    return "\n".join(lines) + "\n"


def _write_deploy(record, regression_id: str | None = None) -> str:
    """The postmortem of an incident caused by a deploy, as Markdown."""
    sc, inc = record.scenario, record.incidents[record.paged_incident]
    bad, good = sc.releases.bad, sc.releases.last_good
    m = record.metrics
    deploy_min = sim.minute_of(sc, bad.deployed_at)
    mitigated, resolved = inc.time_of("mitigated"), inc.time_of("resolved")
    end_min = sim.minute_of(sc, mitigated) if mitigated else len(record.service)
    window = record.service.iloc[deploy_min:end_min]
    failed = int(window["errors"].sum())
    served = int(window["requests"].sum())
    tool_failed = int(window["errors_tool"].sum())
    page = record.page
    events = record.trace.events
    seq = {e.kind: e.seq for e in reversed(events) if e.refs.get("incident") in (None, inc.id)}
    seq["release.deployed"] = next(e.seq for e in events if e.kind == "release.deployed"
                                   and e.refs.get("release") == bad.version)
    tools = broken_tools(record)
    schema_bad = record.catalog.tool_schemas[bad.tool_schema]
    api = record.catalog.tool_api
    duration = (mitigated - bad.deployed_at).total_seconds() / 60 if mitigated else None
    tickets = len(inc.tickets)
    lines = _header(sc, inc)
    changed = ", ".join(f"{k} {was} -> {v}" for k, was, v in bad.changes_from(good))
    slow, graded = int(window["slow"].sum()), int(window["graded"].sum())
    wrong_answers = int((window["graded"] - window["correct"]).sum())
    if tools:
        what = (f"shipped tool schema {bad.tool_schema}. The order API rejected every call of {', '.join(tools)}, "
                f"so {100 * failed / max(served, 1):.1f} % of requests failed.")
        users = f"every user asking for {' or '.join(_ASKING.get(t, t) for t in tools)} in that window"
        harm = f"{failed:,} requests failed before the rollback"
    elif page.slo == "latency":
        what = (f"shipped {changed}. {100 * slow / max(served, 1):.1f} % of requests took longer than the latency "
                f"SLO's threshold, with no errors.")
        users = "every user: answers came slower"
        harm = f"{slow:,} requests were slower than the latency objective before the rollback"
    else:
        what = (f"shipped {changed}. {100 * wrong_answers / max(graded, 1):.1f} % of graded answers were wrong, while "
                f"errors and latency stayed normal.")
        users = "every user asking a knowledge question (help articles)"
        harm = f"{wrong_answers:,} of {graded:,} graded answers were wrong before the rollback"
    lines += ["## Summary", "",
              f"On {bad.deployed_at:%Y-%m-%d} at {_hm(bad.deployed_at)} UTC release {bad.version} of {inc.service} "
              f"{what} The error-budget burn paged {inc.severity} "
              f"at {_hm(page.at)}" + (f", the runbook rolled the release back at {_hm(mitigated)} and the incident was "
                                      f"resolved at {_hm(resolved)}." if mitigated and resolved else
                                      "; the bad release was never rolled back during the shift."), ""]
    lines += ["## Impact", "", "| measure | value |", "|---|---|",
              f"| duration (deploy to mitigation) | {f'{duration:.0f} min' if duration is not None else 'not mitigated in the shift'} |",
              f"| requests failed | {failed:,} of {served:,} ({100 * failed / max(served, 1):.1f} %), {tool_failed:,} of them tool errors |",
              f"| error budget spent | {m.get('budget_consumed_pct', 0):.2f} % of the 30-day {page.slo} budget |",
              f"| time in {inc.severity} | {f'{(resolved - page.at).total_seconds() / 60:.0f} min' if resolved else 'until the end of the shift'} |",
              f"| users affected | {users} |",
              f"| support tickets linked | {tickets} |" if "triage" in record.phases_run else
              "| support tickets linked | not measured: the triage phase did not run |", ""]
    sent = {t: schema_bad[t] for t in tools}
    if tools:
        root = (f"Tool schema {bad.tool_schema} renamed the arguments of " +
                "; ".join(f"{t} to {', '.join(a)} (the order API accepts {', '.join(getattr(api, t))})"
                          for t, a in sent.items())
                + ". No check compared the schema with the API's contract before the release took all traffic, and "
                "the golden eval set was not a deploy gate.")
    elif page.slo == "latency":
        new, old = record.catalog.models[bad.model], record.catalog.models[good.model]
        root = (f"Model {bad.model} answers with a median latency of {new.latency_median_ms:.0f} ms against "
                f"{old.latency_median_ms:.0f} ms for {good.model}: close to the latency SLO's threshold, so a large "
                f"share of requests crossed it. No eval held the release to a latency budget before it took all "
                f"traffic, and the golden eval set (whose budget-latency case fails on it) was not a deploy gate.")
    else:
        root = (f"Prompt {bad.prompt} leaves the retrieved help-article passages out of the model's context to save "
                f"tokens, so knowledge answers came from the model's memory. Nothing failed and nothing was slow: "
                f"only graded answers showed it. No eval compared answers with the help articles before the release "
                f"took all traffic.")
    lines += ["## Root cause", "", root, ""]
    lines += ["## Trigger", "",
              f"The deploy of {bad.version} at {_hm(bad.deployed_at)} UTC (trace #{seq['release.deployed']}), which "
              f"changed {changed} against {good.version}.", ""]
    lines += _detection_and_resolution(record, inc, seq, "the deploy", "the deploy", "")
    well = [f"the page came {m.get('time_to_detect_min', 0):.0f} min after the deploy, as the burn-rate formula predicts",
            f"{m['alerts_total']} alert notifications reached the on-call as {m['incidents_opened']} incidents"]
    if mitigated:
        well.append(f"the runbook's rollback stopped the {'errors' if tools else 'burn'} "
                    f"{(mitigated - page.at).total_seconds() / 60:.0f} min after the page")
    wrong = [f"release {bad.version} took 100 % of traffic at once, with no canary", harm]
    rpm_at_deploy = int(window["requests"].iloc[:10].mean()) if len(window) else 0
    lucky = [f"the deploy landed at {_hm(bad.deployed_at)} UTC, near the daily trough: about {rpm_at_deploy} "
             f"requests a minute against a peak of {sc.traffic.peak_rpm:.0f}"]
    lines += _closing(record, inc, regression_id, well, wrong, lucky,
                      lambda e: (e.refs.get("incident") in (inc.id, None) or e.kind == "release.deployed")
                      and e.t >= bad.deployed_at)
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

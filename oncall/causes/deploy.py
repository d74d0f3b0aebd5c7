"""Cause kind ``deploy``: a bad release ships (``releases.bad.deployed_at``) and takes all traffic.

Mitigated by rolling back to the last good release (or redeploying it from its build artifact), or by turning a
kill switch off; the postmortem's regression eval is red on the bad release.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..incident_response import budget
from ..incident_response import postmortem as pm
from ..release_ops.releases import OpResult, ReleaseOps
from ..scenario_model import Release, iso
from ..service import simulate as sim
from . import suites
from .base import Action, CauseKind

# ShiftRecord (oncall/record.py) sits above the cause kinds: annotations name it as a string, never imported.


def _rollback(record: "ShiftRecord", ops: ReleaseOps, minute: int) -> OpResult:
    return ops.rollback(minute)


def _redeploy(record: "ShiftRecord", ops: ReleaseOps, minute: int) -> OpResult:
    return ops.redeploy(minute, record.scenario.releases.last_good)


def _flag_off(record: "ShiftRecord", ops: ReleaseOps, minute: int) -> OpResult:
    return ops.set_flag(minute, "refund_tool", False)


def _rolled_back(how: str):
    def emit(record: "ShiftRecord", t: datetime, incident: str) -> None:
        sc = record.scenario
        if sc.releases.bad is None:
            return
        good = sc.releases.last_good
        record.trace.emit(t, "M33", "mitigate", "release.rolled_back",
                          f"Release {sc.releases.bad.version} taken out; {good.version} (last known good) serves 100 % "
                          f"again ({how}).", incident=incident, release=sc.releases.bad.version, to=good.version)
    return emit


def _flag_changed(record: "ShiftRecord", t: datetime, incident: str) -> None:
    record.trace.emit(t, "M33", "mitigate", "flag.changed",
                      f"Kill switch refund_tool turned off: {record.catalog.flags['refund_tool'].off_means}.",
                      incident=incident, flag="refund_tool")


def _rollback_word(event) -> str:
    return "rollback" if "(rollback" in event.message else "redeploy"


ACTIONS = (
    Action("rollback", _rollback, _rolled_back("rollback, no canary analysis"),
           lambda r: f"the rollback to {r.scenario.releases.last_good.version}", ("release.rolled_back",),
           "release.rolled_back", _rollback_word, 0),
    Action("redeploy", _redeploy, _rolled_back("redeployed from its build artifact"),
           lambda r: f"the redeploy of {r.scenario.releases.last_good.version} from its build artifact",
           ("release.rolled_back",), "release.rolled_back", _rollback_word, 0),
    Action("flag_off", _flag_off, _flag_changed, lambda r: "the refund_tool kill switch", (), "flag.changed",
           lambda e: "kill switch", 3),
)


class Deploy(CauseKind):
    kind = "deploy"
    actions = ACTIONS
    not_mitigated = "the bad release may still be serving."
    onset_words = "deploy"
    markers = {"release.deployed": "deploy", "release.rolled_back": "rollback"}
    storm_blames_releases_only = True

    def check(self) -> None:
        sc = self.scenario
        start, end = sc.shift.start, sc.shift.end
        if sc.releases.bad is None:
            raise ValueError("releases.bad: expected the release that causes the incident (cause kind deploy)")
        if sc.releases.bad.deployed_at is None:
            raise ValueError("releases.bad.deployed_at: expected the time the bad release ships")
        if not start <= sc.releases.bad.deployed_at < end:
            raise ValueError(f"releases.bad.deployed_at: expected a time inside the shift ({iso(start)} to {iso(end)})")

    @property
    def onset_at(self) -> datetime:
        return self.scenario.releases.bad.deployed_at

    @property
    def label(self) -> str:
        return f"release:{self.scenario.releases.bad.version}"

    def serving(self) -> list[tuple[str, Release]]:
        return [("last good", self.scenario.releases.last_good), ("bad", self.scenario.releases.bad)]

    def at_work(self, plan: sim.ServingPlan, minutes: int) -> Callable[[int], bool]:
        bad = self.scenario.releases.bad.version
        return lambda minute: plan.serving_at(minute).get(bad, 0) > 0

    def regression_plan(self, record: "ShiftRecord"):
        sc = self.scenario
        slo = record.page.slo if record.page else "availability"
        if slo == "latency":
            name, suite = suites.latency_suite(record)
        elif slo == "quality":
            name, suite = suites.knowledge_suite(record, "grounded", "every knowledge answer states its help "
                                                                     "article's current fact. Red on a prompt that "
                                                                     "drops the retrieved passages.")
        elif pm.broken_tools(record):
            name, suite = suites.tool_contract_suite(record)
        else:
            return None
        fix = sc.fix_release(record.break_mode)
        roles = {"bad": (sc.releases.bad, None, False), "last_good": (sc.releases.last_good, None, True),
                 "fix": (fix, None, True)}
        return name, suite, roles

    def action_items(self, record: "ShiftRecord", regression_id: str | None) -> list[pm.ActionItem]:
        sc, inc = record.scenario, record.incidents[record.paged_incident]
        escalated = any(a["step"] == "escalation" for a in inc.actions)
        items = [pm.ActionItem(
            f"Roll a release back automatically when a page-tier burn fires within 2 h of its deploy (runbook "
            f"{sc.runbook}'s roll-back step as the deploy pipeline's own action, its verify step as the guard), so "
            f"the next bad release is out in minutes without waiting for a human", "mitigate",
            pm.OWNERS["mitigate"], f"{inc.id}-1"),
            pm.ActionItem(
            f"Add the {'escalation fallback (redeploy from artifact)' if escalated else 'rollback'} timings of this "
            f"incident to runbook {sc.runbook}'s verification notes", "process", pm.OWNERS["mitigate"],
            f"{inc.id}-5")]
        if pm.broken_tools(record):
            items.append(pm.ActionItem(
                "Regression eval: every tool call the assistant makes must be accepted by the order API "
                f"({', '.join(pm.api_tools(record))})",
                "prevent", pm.OWNERS["prevent"], regression_id or f"{inc.id}-2"))
        elif regression_id:
            what = {"latency": "every answer within the golden set's latency budget before a model change ships",
                    "quality": "every knowledge answer states its help article's current fact before a prompt "
                               "change ships"}.get(record.page.slo if record.page else "", "the incident's failure")
            items.append(pm.ActionItem(f"Regression eval: {what}", "prevent", pm.OWNERS["prevent"], regression_id))
        diff = [k for k, _, _ in sc.releases.bad.changes_from(sc.releases.last_good)]
        items.append(pm.ActionItem(
            f"Canary every release that changes {', '.join(diff)} before it takes 100 % of traffic (this one went "
            "straight to 100 %)", "process", pm.OWNERS["process"], f"{inc.id}-3"))
        if any("failed" in str(a.get("evidence", "")) for a in inc.actions):
            items.append(pm.ActionItem("Keep the last two releases' configs in the release store so a rollback "
                                       "cannot find them pruned", "prevent", pm.OWNERS["prevent"], f"{inc.id}-4"))
        items.append(pm.ActionItem(   # the root cause: the golden set was not a deploy gate
            "Make the golden set a deploy gate (the root cause): every candidate runs it (sampled, paired with the "
            "last good release) and the regression cases before any canary, and never takes traffic when "
            "significantly below. Done: the ship phase's eval gate (trace event eval.gated) does it for this fix",
            "process", pm.OWNERS["process"], "done: check eval_gate_passed"))
        return items

    def postmortem(self, record, regression_id: str | None = None) -> str:
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
        tools = pm.broken_tools(record)
        schema_bad = record.catalog.tool_schemas[bad.tool_schema]
        api = record.catalog.tool_api
        duration = (mitigated - bad.deployed_at).total_seconds() / 60 if mitigated else None
        tickets = len(inc.tickets)
        lines = pm.header(sc, inc)
        changed = ", ".join(f"{k} {was} -> {v}" for k, was, v in bad.changes_from(good))
        slow, graded = int(window["slow"].sum()), int(window["graded"].sum())
        wrong_answers = int((window["graded"] - window["correct"]).sum())
        if tools:
            what = (f"shipped tool schema {bad.tool_schema}. The order API rejected every call of {', '.join(tools)}, "
                    f"so {100 * failed / max(served, 1):.1f} % of requests failed.")
            users = f"every user asking for {' or '.join(pm.ASKING.get(t, t) for t in tools)} in that window"
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
                  f"On {bad.deployed_at:%Y-%m-%d} at {pm.hm(bad.deployed_at)} UTC release {bad.version} of {inc.service} "
                  f"{what} The error-budget burn paged {inc.severity} "
                  f"at {pm.hm(page.at)}" + (f", the runbook rolled the release back at {pm.hm(mitigated)} and the incident was "
                                          f"resolved at {pm.hm(resolved)}." if mitigated and resolved else
                                          "; the bad release was never rolled back during the shift."), ""]
        lines += ["## Impact", "", "| measure | value |", "|---|---|",
                  f"| duration (deploy to mitigation) | {f'{duration:.0f} min' if duration is not None else 'not mitigated in the shift'} |",
                  f"| requests failed | {failed:,} of {served:,} ({100 * failed / max(served, 1):.1f} %), {tool_failed:,} of them tool errors |",
                  f"| error budget {budget.SPENT_NAME} | {m.get('budget_consumed_pct', 0):.2f} % of the 30-day {page.slo} budget |",
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
                  f"The deploy of {bad.version} at {pm.hm(bad.deployed_at)} UTC (trace #{seq['release.deployed']}), which "
                  f"changed {changed} against {good.version}.", ""]
        lines += pm.detection_and_resolution(record, inc, seq, "the deploy", "the deploy", "")
        well = [f"the page came {m.get('time_to_detect_min', 0):.0f} min after the deploy, as the burn-rate formula predicts",
                f"{m['alerts_total']} alert notifications reached the on-call as {m['incidents_opened']} incidents"]
        if mitigated:
            well.append(f"the runbook's rollback stopped the {'errors' if tools else 'burn'} "
                        f"{(mitigated - page.at).total_seconds() / 60:.0f} min after the page")
        wrong = [f"release {bad.version} took 100 % of traffic at once, with no canary", harm]
        rpm_at_deploy = int(window["requests"].iloc[:10].mean()) if len(window) else 0
        lucky = [f"the deploy landed at {pm.hm(bad.deployed_at)} UTC, near the daily trough: about {rpm_at_deploy} "
                 f"requests a minute against a peak of {sc.traffic.peak_rpm:.0f}"]
        lines += pm.closing(record, inc, self.action_items(record, regression_id), well, wrong, lucky,
                          lambda e: (e.refs.get("incident") in (inc.id, None) or e.kind == "release.deployed")
                          and e.t >= bad.deployed_at)
        return "\n".join(lines) + "\n"

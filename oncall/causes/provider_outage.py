"""Cause kind ``provider-outage``: the model provider fails ``cause.error_ratio`` of calls from
``cause.starts_at`` to ``cause.ends_at`` (or the end of the shift); no release changed.

Mitigated by failing model traffic over to the secondary provider (never a rollback); the postmortem's regression
eval asks the assistant to answer with the primary provider down.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from ..checks import CheckResult, register
from ..incident_response import postmortem as pm
from ..release_ops.releases import OpResult, ReleaseOps
from ..scenario_model import iso
from ..service import simulate as sim
from ..trace import Trace
from . import suites
from .base import Action, CauseKind

# ShiftRecord (oncall/record.py) sits above the cause kinds: annotations name it as a string, never imported.


def _failover(record: "ShiftRecord", ops: ReleaseOps, minute: int) -> OpResult:
    return ops.set_flag(minute, "failover", True)


def _failed_over(record: "ShiftRecord", t: datetime, incident: str) -> None:
    fo = record.catalog.failover
    record.trace.emit(t, "M33", "mitigate", "provider.failed_over",
                      f"Model traffic failed over to the {fo.provider} provider (about "
                      f"{100 * (fo.latency_factor - 1):.0f} % slower); no release was rolled back.",
                      incident=incident, provider=fo.provider)


ACTIONS = (
    Action("failover", _failover, _failed_over,
           lambda r: f"the failover to the {r.catalog.failover.provider} provider", ("provider.failed_over",),
           "provider.failed_over", lambda e: "failover", 2),
)


class ProviderOutage(CauseKind):
    kind = "provider-outage"
    actions = ACTIONS
    not_mitigated = "traffic still goes to the failing provider."
    cause_events = ("provider.degraded",)

    def check(self) -> None:
        sc, cause = self.scenario, self.scenario.cause
        start, end = sc.shift.start, sc.shift.end
        if cause.starts_at is None or not start <= cause.starts_at < end:
            raise ValueError(f"cause.starts_at: expected a time inside the shift ({iso(start)} to {iso(end)})")
        if cause.ends_at is not None and cause.ends_at <= cause.starts_at:
            raise ValueError("cause.ends_at: expected a time after cause.starts_at")
        if cause.error_ratio <= 0:
            raise ValueError("cause.error_ratio: expected the share of calls the provider fails, above 0")

    @property
    def onset_at(self) -> datetime:
        return self.scenario.cause.starts_at

    @property
    def label(self) -> str:
        return f"provider:{self.scenario.cause.provider}"

    def plan(self) -> sim.ServingPlan:
        plan = super().plan()
        cause = self.scenario.cause
        plan.provider_outages.append((cause.starts_at, cause.ends_at, cause.error_ratio))
        return plan

    def serve_events(self, trace: Trace) -> None:
        cause = self.scenario.cause
        trace.emit(cause.starts_at, "M27", "detect", "provider.degraded",
                   f"Model provider {cause.provider} starts failing {100 * cause.error_ratio:.0f} % of calls "
                   f"(its status page says 'investigating')"
                   + (f" until {cause.ends_at:%H:%M} UTC." if cause.ends_at else "."), provider=cause.provider)

    def at_work(self, plan: sim.ServingPlan, minutes: int) -> Callable[[int], bool]:
        sc = self.scenario
        onset = sim.minute_of(sc, self.onset_at)
        ends = sim.minute_of(sc, sc.cause.ends_at) if sc.cause.ends_at else minutes
        failed_over = plan.flag_on("failover", minutes, False)
        return lambda minute: onset <= minute < ends and not failed_over[minute]

    def regression_plan(self, record: "ShiftRecord"):
        sc = self.scenario
        name, suite = suites.failover_suite(record)
        roles = {"last_good": (sc.releases.last_good, None, False), "fix": (sc.fix_release(record.break_mode), None, True)}
        return name, suite, roles

    def action_items(self, record: "ShiftRecord", regression_id: str | None) -> list[pm.ActionItem]:
        sc, inc = record.scenario, record.incidents[record.paged_incident]
        escalated = any(a["step"] == "escalation" for a in inc.actions)
        return [
            pm.ActionItem("Fail over to the secondary model provider automatically when the primary's errors stay "
                          "above 5 % for 5 min (the runbook's failover as the client's own circuit breaker)",
                          "mitigate", pm.OWNERS["mitigate"], f"{inc.id}-1"),
            pm.ActionItem(f"Add the {'escalation' if escalated else self.kind} timings of this incident to runbook "
                          f"{sc.runbook}'s verification notes", "process", pm.OWNERS["mitigate"], f"{inc.id}-5"),
            pm.ActionItem("Regression eval: with the primary model provider down, the assistant still answers "
                          "(the client fails over by itself)", "prevent", pm.OWNERS["prevent"],
                          regression_id or f"{inc.id}-2"),
            pm.ActionItem("Run a provider failover drill every month, and keep the secondary provider's quota "
                          "warm enough for peak traffic", "process", pm.OWNERS["process"], f"{inc.id}-3")]

    def postmortem(self, record: "ShiftRecord", regression_id: str | None = None) -> str:
        cause, onset = self.scenario.cause, self.onset_at
        secondary = record.catalog.failover.provider
        text = {
            "summary": (f"On {onset:%Y-%m-%d} at {pm.hm(onset)} UTC model provider {cause.provider} started failing "
                        f"about {100 * cause.error_ratio:.0f} % of calls. No release had changed: rolling back would "
                        f"not have helped."),
            "users": "every user whose request hit the failing provider",
            "root": (f"An outage at model provider {cause.provider} (its status page said 'investigating'). The "
                     f"assistant's client had no automatic failover, so failed calls surfaced to users until the "
                     f"on-call moved traffic to the {secondary} provider by hand."),
            "trigger": f"Provider {cause.provider}'s outage from {pm.hm(onset)} UTC (trace #{{seq}}); no release changed.",
            "wrong": ["the client had no automatic failover, so a provider outage became our outage"],
            "lucky": [f"the {secondary} provider had the capacity to take all traffic at night"],
            "done": "failed over", "kind_words": "the provider failed",
        }
        return pm.write_no_release(record, regression_id, text, "provider.degraded",
                                   self.action_items(record, regression_id))


# --- the gate's check the kinds no release causes bring (M26) ----------------------------------------------------

@register("no_rollback")
def check_no_rollback(record: "ShiftRecord") -> CheckResult:
    """For an incident no release caused, the runbook mitigates without rolling a release back (a rollback
    would not help, and would throw away whatever the last release fixed), and the incident was mitigated."""
    rollbacks = [e for e in record.trace.events if e.kind == "release.rolled_back"]
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    mitigated = incident is not None and incident.time_of("mitigated") is not None
    tried = [a for a in (incident.actions if incident else []) if a.get("action") in ("rollback", "redeploy")]
    passed = mitigated and not rollbacks and not tried
    detail = (f"{len(tried)} rollback/redeploy attempt(s) in the runbook, {len(rollbacks)} release(s) rolled back; "
              f"the incident was {'mitigated' if mitigated else 'not mitigated'}")
    return CheckResult("no_rollback", bool(passed), len(tried), 0, detail)

"""The mitigate phase: the on-call follows the runbook (M31) and rolls the bad release back (M33).

Mitigate before root cause: the runbook's action comes from what changed recently and what the evidence shows;
why the release broke waits for the postmortem. Each step is a ``runbook.step`` event carrying its evidence.
The rollback changes the serving plan; the service is re-simulated from that minute on (what happened before
stays exactly as it was), and the verification reads the recovered counts.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from .causes import ACTIONS
from .checks import CheckResult, register
from .incident_response import budget
from .incident_response.alerting import evaluate_slos
from .incident_response.runbooks import Runbook, Step, load_runbook
from .record import ShiftRecord
from .release_ops.releases import OpResult, ReleaseOps
from .service import simulate as sim
from .incident_response.slis import window_bad_ratio

VERIFY_WINDOW_MIN = 5   # the SLI is read over 5-minute windows, like the fastest burn tier's short window


def _minute(record: ShiftRecord, when: datetime) -> int:
    """The first whole shift minute at or after ``when``: where a plan change takes effect."""
    return math.ceil((when - record.scenario.shift.start).total_seconds() / 60)


def _at(record: ShiftRecord, minute: int) -> datetime:
    return record.scenario.shift.start + timedelta(minutes=minute)


def mitigate(record: ShiftRecord, resimulate) -> None:
    """Follow the scenario's runbook for the paged incident. ``resimulate(record)`` re-runs the service."""
    sc = record.scenario
    record.phases_run.append("mitigate")
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is None or incident.time_of("acknowledged") is None:
        return
    runbook = load_runbook(sc.runbook)
    choices = record.choices
    record.ops = ops = ReleaseOps(record.plan, rollback_failures=sc.faults.rollback_failures,
                                  bad_index_builds=sc.faults.bad_index_builds)
    onset_min = sim.minute_of(sc, record.cause.onset_at)
    page = record.page
    last_deploy = max(e.t for e in record.trace.events if e.kind == "release.deployed" and e.t <= page.at)
    since_deploy = (page.at - last_deploy).total_seconds() / 60
    matched = runbook.matches("ErrorBudgetBurn", page.slo, since_deploy)
    t = incident.time_of("acknowledged") + timedelta(minutes=choices.delay_min)
    log = incident.actions
    log.append({"step": "select", "t": t, "ok": matched, "runbook": runbook.id})
    _emit(record, t, incident.id, runbook, "select",
          f"Runbook {runbook.id} selected: {page.slo} burn page, the last deploy "
          + (f"{since_deploy:.0f} min" if since_deploy < 120 else f"{since_deploy / 60:.0f} h") + " before it"
          + ("" if matched else " (its signature does not match this incident)") + ".")
    effect_at: datetime | None = None
    for step in runbook.steps:
        if step.kind == "diagnose":
            t += timedelta(minutes=step.takes_min)
            evidence = _diagnose(record, step, _minute(record, t), onset_min)
            log.append({"step": step.id, "t": t, "ok": True, "evidence": evidence})
            _emit(record, t, incident.id, runbook, step.id, f"{step.id}: {evidence}")
        elif step.kind == "act":
            if not choices.mitigate:
                log.append({"step": step.id, "t": t, "ok": False, "evidence": "not carried out"})
                _emit(record, t, incident.id, runbook, step.id,
                      f"{step.id}: the on-call did not carry out the runbook's action ({step.action}).")
                break
            t, effect_at = _act(record, runbook, step, choices.action, ops, t, incident.id)
            resimulate(record)
        else:
            effect_at = _verify(record, runbook, step, ops, t, effect_at, incident, resimulate)
    _measure(record, incident, onset_min)


def _emit(record: ShiftRecord, t: datetime, incident: str, runbook: Runbook, step: str, message: str) -> None:
    record.trace.emit(t, "M31", "mitigate", "runbook.step", message, incident=incident, runbook=runbook.id, step=step)


def _diagnose(record: ShiftRecord, step: Step, minute: int, onset_min: int) -> str:
    """The evidence a diagnosis step reads, from the release history and the per-release counts so far."""
    ops: ReleaseOps = record.ops
    if step.check == "recent_deploys":
        hist = [(m, v) for m, v in ops.history(minute) if minute - m <= 120]
        return ("deploys in the last 2 h: " + ", ".join(f"{v} at {_at(record, m):%H:%M}" for m, v in hist)
                if hist else "no deploy in the last 2 h")
    if step.check in ("errors_by_release", "latency_by_release", "quality_by_release"):
        column, total = {"errors_by_release": ("errors", "requests"), "latency_by_release": ("slow", "requests"),
                         "quality_by_release": ("wrong", "graded")}[step.check]
        long = record.minutes
        start = sim.minute_of(record.scenario, record.scenario.shift.start)
        parts = []
        for version in record.plan.releases:
            rows = long[(long.release == version)].iloc[max(start, 0):minute]
            if rows.requests.sum() == 0:
                continue
            bad = (rows.graded - rows.correct).sum() if column == "wrong" else rows[column].sum()
            parts.append(f"{version} {100 * bad / max(rows[total].sum(), 1):.2f} % {column}")
        return "; ".join(parts)
    if step.check == "index_age":
        service = record.service.iloc[:minute]
        age = float(service["index_age_h"].iloc[-1]) if len(service) else 0.0
        last = service.iloc[-60:]
        stale = int(last["stale_answers"].sum())
        graded = int(last["graded"].sum())
        built = sim.last_index_build(record.scenario, pd.Timestamp(_at(record, minute - 1)))
        return (f"kb-live was built {age:.1f} h ago ({built:%Y-%m-%d %H:%M} UTC; the nightly build is due at "
                f"{record.scenario.index.nightly_build_utc} UTC); in the last hour {stale} of {graded} graded answers "
                f"({100 * stale / max(graded, 1):.1f} %) quoted a superseded help-article fact; errors "
                f"{100 * last['errors'].sum() / max(last['requests'].sum(), 1):.2f} %")
    if step.check == "provider_health":
        last = record.service.iloc[max(minute - 30, 0):minute]
        req = max(int(last["requests"].sum()), 1)
        by_cause = {c: int(last[f"errors_{c}"].sum()) for c in ("provider", "tool", "timeout")}
        worst = max(by_cause, key=by_cause.get)
        return ("last 30 min: errors by cause " + ", ".join(f"{c} {100 * n / req:.2f} %" for c, n in by_cause.items())
                + f"; the {worst} errors dominate"
                + ("; the primary model provider's status page says 'investigating'" if worst == "provider" else ""))
    if step.check == "config_diff":
        now = record.plan.releases[ops.serving(minute)]
        good = ops.last_known_good(minute)
        if good is None:
            return "no earlier release to compare with"
        diff = [f"{k} {was} -> {v}" for k, was, v in now.changes_from(good)]
        return f"{now.version} vs last good {good.version}: " + (", ".join(diff) if diff else "no config change")
    return f"{step.check}: no reading in this scenario"


def _perform(record: ShiftRecord, action: str, ops: ReleaseOps, minute: int) -> OpResult:
    """Carry out an on-call action (the cause kinds bring theirs: oncall/causes/) at shift minute ``minute``."""
    if action in ACTIONS:
        return ACTIONS[action].perform(record, ops, minute)
    if action == "restart":
        return OpResult(True, "every pod restarted with the same release and config")
    return OpResult(True, "waited; nothing changed")


def _act(record, runbook: Runbook, step: Step, choice: str, ops: ReleaseOps, t: datetime, incident: str):
    """Carry out the action (the runbook's, or the on-call's own choice), retrying, then escalating."""
    action = step.action if choice == "runbook" else choice
    log = record.incidents[incident].actions
    for attempt in range(1 + step.retries):
        t += timedelta(minutes=step.takes_min)
        result = _perform(record, action, ops, _minute(record, t))
        tag = f" (attempt {attempt + 1} of {1 + step.retries})" if step.retries else ""
        log.append({"step": step.id, "t": t, "ok": result.ok, "action": action, "evidence": result.detail})
        _emit(record, t, incident, runbook, step.id, f"{step.id}: {action}{tag}: {result.detail}.")
        if result.ok:
            _traced_effect(record, action, t, incident)
            return t, t
    return _escalate(record, runbook, ops, t, incident, "the action failed after its retries")


def _escalate(record, runbook: Runbook, ops: ReleaseOps, t: datetime, incident: str, why: str):
    esc = runbook.escalation
    record.trace.emit(t, "M31", "mitigate", "page.escalated",
                      f"Escalated to {', '.join(esc.to).replace('_', ' ')}: {why}; fallback: "
                      f"{esc.fallback_action} (about {esc.fallback_takes_min:g} min).", incident=incident)
    t += timedelta(minutes=esc.fallback_takes_min)
    result = _perform(record, esc.fallback_action, ops, _minute(record, t))
    record.incidents[incident].actions.append({"step": "escalation", "t": t, "ok": result.ok,
                                               "action": esc.fallback_action, "evidence": result.detail})
    _emit(record, t, incident, runbook, "escalation", f"escalation: {esc.fallback_action}: {result.detail}.")
    _traced_effect(record, esc.fallback_action, t, incident)
    return t, t


def _effect_words(record: ShiftRecord, incident) -> str:
    """How the action that worked reads in a sentence: "the rollback to 2026.11.2", "the redeploy of ...", ..."""
    action = next((a.get("action") for a in reversed(incident.actions) if a.get("ok") and a.get("action")), None)
    if action in ACTIONS and ACTIONS[action].words is not None:
        return ACTIONS[action].words(record)
    return {"restart": "the restart", "wait": "waiting"}.get(action, "the action")


def _traced_effect(record: ShiftRecord, action: str, t: datetime, incident: str) -> None:
    """The trace event of an action's effect, once it worked (the action's kind words it)."""
    if action in ACTIONS and ACTIONS[action].traced_effect is not None:
        ACTIONS[action].traced_effect(record, t, incident)


def _first_run(ok: np.ndarray, from_minute: int, hold_min: float) -> int | None:
    """The last minute of the first run of ``hold_min`` consecutive True minutes starting at or after
    ``from_minute`` (None if there is none)."""
    need, run = int(math.ceil(hold_min)), 0
    for m in range(from_minute, len(ok)):
        run = run + 1 if ok[m] else 0
        if run >= need:
            return m
    return None


def recovery_minute(record: ShiftRecord, slo_name: str, from_minute: int, hold_min: float) -> int | None:
    """The first minute m such that the ``hold_min`` minutes ending at m all lie at or after ``from_minute``
    and, together, are inside the objective: sustained nominal performance, not one good sample. (Judged over
    the whole hold window: at night a single failed request can push one 5-minute window over a 99.9 %
    objective's 0.1 % while the service is fine.)"""
    return recovery_minute_of(record.service, record.slos[slo_name], from_minute, hold_min)


def recovery_minute_of(service, slo, from_minute: int, hold_min: float) -> int | None:
    hold = int(math.ceil(hold_min))
    bad, total = slo.bad_and_total(service)
    inside = window_bad_ratio(bad, total, hold) <= slo.budget_ratio
    inside[: from_minute + hold - 1] = False
    hits = np.flatnonzero(inside)
    return int(hits[0]) if hits.size else None


def page_cleared_minute(record: ShiftRecord, slo_name: str, from_minute: int, hold_min: float = 10) -> int | None:
    """The first minute (from ``from_minute`` on) at which no page tier of the SLO fires, and stays so for
    ``hold_min`` minutes. A tier resets about one short window after the errors stop (the 6 h tier: 30 min)."""
    quiet = ~record.evaluations[slo_name].fires("page")
    end = _first_run(quiet, from_minute, hold_min)
    return None if end is None else end - int(math.ceil(hold_min)) + 1


def _verify(record, runbook: Runbook, step: Step, ops: ReleaseOps, t: datetime, effect_at, incident, resimulate):
    """Wait for sustained recovery; on timeout escalate once and verify again. Mitigated = when the action took
    effect (confirmed by the verification); resolved = once the burn page has cleared too."""
    for round_ in (1, 2):
        record.evaluations = evaluate_slos(record.service, record.slos, history=record.history)
        start = _minute(record, t)
        r = recovery_minute(record, step.slo, start, step.within_objective_for_min)
        deadline = t + timedelta(minutes=step.timeout_min)
        if r is not None and _at(record, r + 1) <= deadline:
            done = _at(record, r + 1)
            incident.actions.append({"step": step.id, "t": done, "ok": True})
            _emit(record, done, incident.id, runbook, step.id,
                  f"{step.id}: {step.slo} inside its objective for {step.within_objective_for_min:g} consecutive "
                  f"minutes; mitigation confirmed.")
            incident.transition(effect_at, "mitigated")
            record.trace.emit(effect_at, "M31", "mitigate", "incident.mitigated",
                              f"{incident.id} mitigated: the bleeding stopped when {_effect_words(record, incident)} "
                              f"took effect.",
                              incident=incident.id)
            cleared = page_cleared_minute(record, record.page.slo, start)
            resolved = max(done, _at(record, cleared)) if cleared is not None else None
            if resolved is not None:
                incident.transition(resolved, "resolved")
                record.trace.emit(resolved, "M31", "mitigate", "incident.resolved",
                                  f"{incident.id} resolved: the SLI is back and the burn page has cleared; the root "
                                  f"cause goes to the postmortem.", incident=incident.id)
            return effect_at
        incident.actions.append({"step": step.id, "t": deadline, "ok": False})
        _emit(record, deadline, incident.id, runbook, step.id,
              f"{step.id}: {step.slo} not back inside its objective within {step.timeout_min:g} min.")
        if round_ == 2:
            return None
        t, effect_at = _escalate(record, runbook, ops, deadline, incident.id, "verification timed out")
        resimulate(record)
    return None


def roll_forward(record: ShiftRecord) -> None:
    """A roll-forward that ends the impact mitigates the incident, for its state (M31, M33): when the paged
    incident was acknowledged but not mitigated, and a release deployed later in the shift (the fix promoted by
    the canary, or shipped straight to 100 %) brought the page's SLI back inside its objective for the runbook's
    verify hold, the incident is mitigated when that release took effect and resolved once the burn page has
    cleared. Read over the final counts (shift.observe). The gate's runbook checks still ask whether the on-call
    carried out the runbook: a roll-forward hours later is not the runbook's mitigation."""
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is None or record.page is None or incident.time_of("acknowledged") is None \
            or incident.time_of("mitigated") is not None:
        return
    ack = incident.time_of("acknowledged")
    deployed = [e for e in record.trace.events if e.kind == "release.deployed" and e.phase == "ship" and e.t >= ack]
    if not deployed:
        return
    hold = load_runbook(record.scenario.runbook).verify_step.within_objective_for_min
    slo = record.slos[record.page.slo]
    bad, total = slo.bad_and_total(record.service)
    for release in deployed:
        start = _minute(record, release.t)
        before = slice(max(start - int(math.ceil(hold)), 0), start)
        if float(bad[before].sum()) <= slo.budget_ratio * float(total[before].sum()):
            continue   # the impact had already ended before this release: it mitigated nothing
        r = recovery_minute(record, record.page.slo, start, hold)
        if r is None or _at(record, r + 1) > record.scenario.shift.end:
            continue
        at, version = release.t, release.refs.get("release", "?")
        incident.actions.append({"step": "roll-forward", "t": at, "ok": True, "action": "roll-forward",
                                 "evidence": f"release {version} deployed"})
        incident.transition(at, "mitigated")
        record.trace.emit(at, "M31", "mitigate", "incident.mitigated",
                          f"{incident.id} mitigated by a roll-forward: release {version} took effect at {at:%H:%M} "
                          f"and {record.page.slo} was back inside its objective for {hold:g} consecutive minutes by "
                          f"{_at(record, r + 1):%H:%M} (not the runbook's mitigation).",
                          incident=incident.id, release=version)
        record.metrics["time_to_mitigate_min"] = round((at - record.cause.onset_at).total_seconds() / 60, 2)
        cleared = page_cleared_minute(record, record.page.slo, start)
        if cleared is None:
            return
        resolved = max(_at(record, r + 1), _at(record, cleared))
        if resolved > record.scenario.shift.end:
            return
        incident.transition(resolved, "resolved")
        record.trace.emit(resolved, "M31", "mitigate", "incident.resolved",
                          f"{incident.id} resolved: the SLI is back after the roll-forward and the burn page has "
                          f"cleared; the root cause goes to the postmortem.", incident=incident.id)
        record.metrics["time_to_resolve_min"] = round((resolved - record.cause.onset_at).total_seconds() / 60, 2)
        return


def budget_consumed_pct(record: ShiftRecord, slo_name: str, start_minute: int, end_minute: int) -> float:
    """Bad events above the pre-incident baseline in [start, end), as % of the 30-day budget.

    The period's events are estimated from the traffic model: its daily mean (peak + trough) / 2 per minute.
    """
    slo = record.slos[slo_name]
    bad, total = slo.bad_and_total(record.service)
    return budget.incident_spent_pct(bad, total, start_minute, end_minute, slo.budget_ratio,
                                     budget.period_events(record.scenario.traffic, slo.period_min))


def measure_budget(record: ShiftRecord) -> None:
    """The error budget the incident spent, from the shift's final counts (after every later change, such as a
    fix shipped by the canary when nobody mitigated): bad events above the baseline from the cause's onset (the
    bad deploy, the failed build, the provider outage) until the incident was resolved, or the end of the shift."""
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if incident is None or record.page is None:
        return
    sc = record.scenario
    resolved = incident.time_of("resolved")
    end = _minute(record, resolved) if resolved else len(record.service)
    onset_min = sim.minute_of(sc, record.cause.onset_at)
    record.metrics["budget_consumed_pct"] = round(budget_consumed_pct(record, record.page.slo, onset_min, end), 3)


def _measure(record: ShiftRecord, incident, onset_min: int) -> None:
    sc = record.scenario
    mitigated, resolved = incident.time_of("mitigated"), incident.time_of("resolved")
    measure_budget(record)
    ack = incident.time_of("acknowledged")
    record.metrics["time_to_acknowledge_min"] = round((ack - record.page.at).total_seconds() / 60, 2)
    if mitigated:
        record.metrics["time_to_mitigate_min"] = round((mitigated - record.cause.onset_at).total_seconds() / 60, 2)
    if resolved:
        record.metrics["time_to_resolve_min"] = round((resolved - record.cause.onset_at).total_seconds() / 60, 2)


# --- the gate's checks for this phase (M26) --------------------------------------------------------------

@register("runbook_followed")
def check_runbook_followed(record: ShiftRecord) -> CheckResult:
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    runbook = load_runbook(record.scenario.runbook)
    if incident is None:
        return CheckResult("runbook_followed", False, 0, len(runbook.steps), "no paged incident to follow it for")
    act = runbook.action_step
    attempts = [a for a in incident.actions if a["step"] == act.id]
    # The runbook's own escalation counts as following it: every attempt was the runbook's action, it failed
    # after its retries, and the escalation's fallback did the job in the act step's place.
    by_escalation = (attempts and not any(a["ok"] for a in attempts)
                     and all(a.get("action") == act.action for a in attempts))
    done = [dict(a, step=act.id, action=act.action) if by_escalation and a["step"] == "escalation" else a
            for a in incident.actions]
    done = [a for a in done if a["step"] in {s.id for s in runbook.steps}]
    order = [s.id for s in runbook.steps]
    ok_steps = {a["step"] for a in done if a["ok"]}
    in_order = [a["step"] for a in done if a["ok"]] == [s for s in order if s in ok_steps]
    action = next((a.get("action") for a in done if a["step"] == act.id and a["ok"]), None)
    passed = ok_steps == set(order) and in_order and action == act.action
    detail = (f"{len(ok_steps)} of {len(order)} steps done in order, action {action or 'none'} "
              f"(the runbook says {act.action})")
    return CheckResult("runbook_followed", bool(passed), len(ok_steps), len(order), detail)


@register("sli_recovered")
def check_sli_recovered(record: ShiftRecord) -> CheckResult:
    runbook = load_runbook(record.scenario.runbook)
    limit = runbook.verify_step.timeout_min
    incident = record.incidents.get(record.paged_incident) if record.paged_incident else None
    mitigated = incident.time_of("mitigated") if incident else None
    verified = next((a["t"] for a in incident.actions if a["step"] == runbook.verify_step.id and a["ok"]), None) \
        if incident else None
    if not (mitigated and verified):
        return CheckResult("sli_recovered", False, None, limit, _not_verified(record, runbook, incident, mitigated))
    minutes = round((verified - mitigated).total_seconds() / 60, 1)
    return CheckResult("sli_recovered", minutes <= limit, minutes, limit,
                       f"{runbook.verify_step.slo} verified back inside its objective {minutes:g} min after the action "
                       f"took effect (the runbook allows {limit:g})")


def _not_verified(record: ShiftRecord, runbook: Runbook, incident, mitigated: datetime | None) -> str:
    """What sli_recovered tests, when it fails: the runbook's verify step confirming the SLI back inside its
    objective after the on-call's mitigation. Says whether a mitigation happened and, when the SLI recovered
    later all the same, when and after which change."""
    slo = runbook.verify_step.slo
    if incident is None:
        head = f"no paged incident, so no mitigation for the runbook's verify step to confirm {slo} after"
    elif mitigated is None:
        head = (f"the on-call never mitigated {incident.id} (the runbook's {runbook.action_step.action} was not "
                f"carried out), so the runbook's verify step never confirmed {slo} back inside its objective")
    elif any(a.get("step") == "roll-forward" for a in incident.actions):
        head = (f"the on-call never carried out the runbook's {runbook.action_step.action} on {incident.id}; a "
                f"roll-forward mitigated it at {mitigated:%H:%M}, so the runbook's verify step never confirmed "
                f"{slo} back inside its objective")
    else:
        head = (f"{incident.id} was mitigated at {mitigated:%H:%M}, but the runbook's verify step never confirmed "
                f"{slo} back inside its objective")
    recovered = next((e for e in record.trace.events if e.kind == "sli.recovered" and e.refs.get("slo") == slo
                      and (mitigated is None or e.t >= mitigated)), None)
    if recovered is None:
        return f"{head}; the SLI had not recovered by the end of the shift"
    since = mitigated or (incident.opened_at if incident is not None else None)
    change = [e for e in record.trace.events if e.kind in ("release.deployed", "release.rolled_back")
              and e.t <= recovered.t and (since is None or e.t >= since)]
    by = ", with no release change of ours since the incident opened"
    if change:
        verb = "rolled back" if change[-1].kind == "release.rolled_back" else "deployed"
        if "promoted" in change[-1].message:
            verb = "promoted"
        version = change[-1].refs.get("release", "?")
        role = next((label for label, key in (("the fix", "fix"), ("the bad release", "bad"),
                                              ("the last good release", "last_good"))
                     if getattr(getattr(record.scenario.releases, key, None), "version", None) == version), None)
        by = f", after release {version}{f' ({role})' if role else ''} was {verb} at {change[-1].t:%H:%M}"
    return f"{head}; the SLI recovered later, at {recovered.t:%H:%M}{by}, which this check does not count"


@register("budget_within_limit")
def check_budget(record: ShiftRecord) -> CheckResult:
    spent, limit = record.metrics.get("budget_consumed_pct"), record.scenario.budget_limit_pct
    if spent is None:
        return CheckResult("budget_within_limit", False, None, limit, "no budget was measured")
    return CheckResult("budget_within_limit", spent <= limit, spent, limit,
                       f"{budget.spent_words(spent)} (limit {limit:g} %)")

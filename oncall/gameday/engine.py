"""The game-day engine: the learner is the on-call, on the same simulator as the scripted shift.

The night runs as the scripted shift runs it up to the page (serve, detect, triage); then the clock stops at the
page and moves only as the learner acts. Every move costs simulated minutes (and hesitation, ``think``, costs
more), while the budget keeps burning. A look reads the counts and the trace up to the clock and nothing after
it, in the words an on-call sees: never the scenario's name, its cause kind or its runbook. An action changes the
serving plan through the cause kinds' own actions (oncall/causes/) and the service is re-simulated from that
minute on, exactly as the scripted mitigate phase does, so a rollback during a provider outage changes nothing and
only costs time. Once the game is over the shift runs on (learn, ship, observe, gate) and the gate scores it with
the scenario's own checks; oncall/gameday/scoring.py adds the learner's.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import numpy as np
import pandas as pd

from .. import detect as detection
from .. import mitigate as mitigation
from .. import shift
from ..evals.harness import run_eval
from ..evals.cases import golden_cases
from ..incident_response import paging
from ..incident_response.alerting import evaluate_slos
from ..incident_response.runbooks import load_runbook
from ..record import ShiftRecord
from ..release_ops.releases import ReleaseOps
from ..scenario_model import OnCallChoices, Scenario
from ..service import simulate as sim
from ..service.agent import answer_with_index

# What each look shows, and what it costs in simulated minutes.
LOOKS: dict[str, tuple[int, str]] = {
    "page": (1, "the page: which SLO burns, how fast, how much is bad"),
    "alerts": (2, "the alert groups the correlator opened so far"),
    "dashboards": (2, "the SLIs and the error budget's burn, per release, and the index's age"),
    "deploys": (2, "recent deploys and their config diffs against the release before"),
    "provider": (1, "errors by cause and the model provider's status page"),
    "tickets": (2, "the support tickets received so far"),
    "requests": (3, "a sample of failed, slow or wrong requests from the last 30 min"),
    "evals": (5, "the golden eval set against the serving release and index"),
}
# What each action takes before its effect (an action a runbook times takes about this long there too).
ACTION_MIN: dict[str, int] = {"rollback": 2, "redeploy": 10, "roll_forward": 10, "failover": 3, "reindex": 20,
                              "flag_off": 1, "restart": 5}
ACTIONS = tuple(ACTION_MIN) + ("wait",)
MOVE_MIN = {"ack": 1, "severity": 1, "status": 2, "resolve": 1, "postmortem": 0, "roles": 1, "escalate": 2}
STATES = ("Investigating", "Identified", "Monitoring", "Resolved")
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
MAX_WAIT_MIN = 240


class GameOver(Exception):
    """A move after the game ended (the morning team took over at the canary, or the postmortem is written)."""


def _hm(when: datetime) -> str:
    return f"{when:%H:%M}"


class Game:
    """One game day on ``scenario`` and ``seed``. ``play(move)`` carries out one move (a dict, as in a move file)
    and returns what the learner sees; ``finish()`` runs the shift on and scores it (oncall/gameday/scoring.py)."""

    def __init__(self, scenario: Scenario, seed: int | None = None):
        self.scenario = sc = scenario
        self.seed = sc.seed if seed is None else int(seed)
        self.record: ShiftRecord = shift.run_shift(sc, self.seed, "none", until="triage")
        rec = self.record
        self.runbook = load_runbook(sc.runbook)
        self.policy = paging.load_policy()
        self.incident = rec.incidents.get(rec.paged_incident) if rec.paged_incident else None
        self._unacknowledge()
        self.page_minute = (sim.minute_of(sc, rec.page.at) if rec.page is not None else 0)
        self.now = self.page_minute                # the game clock, in shift minutes
        ends = sim.minute_of(sc, sc.canary_at) if getattr(sc, "canary_at", None) else len(rec.service)
        self.end = min(ends, len(rec.service)) - 1   # the morning team takes over here
        rec.ops = self.ops = ReleaseOps(rec.plan, rollback_failures=sc.faults.rollback_failures,
                                        bad_index_builds=sc.faults.bad_index_builds)
        rec.choices = OnCallChoices()
        self.log: list[dict] = []                  # one entry per move: n, move, at, took, text
        self.acked_at: int | None = None
        self.severity: str | None = None
        self.status: list[tuple[int, str]] = []
        self.actions: list[dict] = []              # the learner's actions: minute, action, ok, detail
        self.seen: dict[str, int] = {}             # look -> the minute it was first read
        self.resolved_at: int | None = None
        self.mitigated_at: int | None = None
        self.premature_resolves = 0
        self.postmortem: dict | None = None
        self.over = False
        self.finished = False
        self._diagnosed = False

    # --- the clock ----------------------------------------------------------------------------------------

    def at(self, minute: int | None = None) -> datetime:
        return self.scenario.shift.start + timedelta(minutes=self.now if minute is None else minute)

    @property
    def clock(self) -> str:
        return _hm(self.at())

    @property
    def minutes_since_page(self) -> int:
        return self.now - self.page_minute

    def _advance(self, minutes: float) -> bool:
        """Move the clock on; False (and the game over) if that runs past the morning handover."""
        step = int(round(minutes))
        if self.now + step > self.end:
            self.now = self.end
            self.over = True
            return False
        self.now += step
        return True

    def _unacknowledge(self) -> None:
        """The learner acknowledges the page, not the scripted primary: the detect phase's acknowledgement and
        its trace event are taken back."""
        inc = self.incident
        if inc is None:
            return
        inc.state_changes = [(t, s) for t, s in inc.state_changes if s != "acknowledged"]
        inc.state = inc.state_changes[-1][1]
        trace = self.record.trace
        trace._emitted = [e for e in trace._emitted
                          if not (e.kind in ("incident.acknowledged", "page.escalated")
                                  and e.refs.get("incident") == inc.id)]

    # --- moves --------------------------------------------------------------------------------------------

    def play(self, move: dict) -> str:
        """Carry out one move (already checked: oncall/gameday/moves.py) and return what the learner sees."""
        if self.finished:
            raise GameOver("the game is over: the postmortem is written")
        kind = move["move"]
        before = self.now
        if kind == "postmortem":
            text = self._postmortem(move)
        elif self.over:
            text = "The night is over: the morning team has taken over. Only the postmortem is left."
        elif not self._advance(float(move.get("think", 0)) + self._cost(move)):
            text = (f"It is {self.clock} UTC: the fix's canary is due and the morning team takes over before that "
                    f"move. Only the postmortem is left.")
        else:
            text = getattr(self, f"_{kind}")(move)
        self.log.append({"n": len(self.log) + 1, "move": dict(move), "at": _hm(self.at()), "minute": self.now,
                         "took_min": self.now - before, "text": text})
        return text

    def _cost(self, move: dict) -> float:
        kind = move["move"]
        if kind == "look":
            return LOOKS[move["at"]][0]
        if kind == "act":
            if move["action"] == "wait":
                return float(move.get("minutes", 5))
            return ACTION_MIN[move["action"]]
        return MOVE_MIN[kind]

    def _ack(self, move: dict) -> str:
        if self.acked_at is not None:
            return f"Already acknowledged at {_hm(self.at(self.acked_at))}."
        self.acked_at = self.now
        inc = self.incident
        if inc is not None:
            inc.transition(self.at(), "acknowledged")
            self.record.trace.emit(self.at(), "M31", "detect", "incident.acknowledged",
                                   f"The on-call acknowledged {inc.id} ({self.minutes_since_page} min after the "
                                   f"page).", incident=inc.id)
        return f"You acknowledged {inc.id if inc else 'the page'} at {self.clock} UTC."

    def _ensure_ack(self) -> str:
        if self.acked_at is None:
            return self._ack({}) + " "
        return ""

    def _severity(self, move: dict) -> str:
        self.severity = move["level"]
        if self.incident is not None:
            before = self.incident.severity
            self.incident.severity = self.severity
            self.record.trace.emit(self.at(), "M31", "detect", "incident.updated",
                                   f"The on-call declared {self.incident.id} {self.severity}"
                                   + (f" (the pager's policy said {before})." if before else "."),
                                   incident=self.incident.id, by="severity")
        return f"{self.incident.id if self.incident else 'The incident'} declared {self.severity}."

    def _status(self, move: dict) -> str:
        state, text = move["state"], move.get("text") or ""
        self.status.append((self.now, state))
        if self.incident is not None:
            self.record.trace.emit(self.at(), "M32", "mitigate", "status.updated",
                                   f"Status page: {state}" + (f": {text}" if text else "."),
                                   incident=self.incident.id, state=state)
        return f"Status page updated at {self.clock} UTC: {state}."

    def _roles(self, move: dict) -> str:
        who = self.policy.schedule
        return (f"Roles: you are the on-call; incident commander {who.incident_commander.name}"
                f"{', comms ' + move['comms'] if move.get('comms') else ''}.")

    def _escalate(self, move: dict) -> str:
        who = self.policy.schedule
        if self.incident is not None:
            self.record.trace.emit(self.at(), "M31", "mitigate", "page.escalated",
                                   f"The on-call escalated {self.incident.id} to {who.secondary.name}.",
                                   incident=self.incident.id)
        return f"Escalated to {who.secondary.name} (secondary); they join the call and look at what you see."

    def time_to_diagnosis_min(self) -> int | None:
        """Minutes from the page until the learner had read the evidence of every diagnosis step of the runbook
        (each through the look that shows it); None if some evidence was never read."""
        seen = []
        for step in self.runbook.steps:
            if step.kind == "diagnose":
                when = [self.seen[x] for x in DIAGNOSIS_LOOKS.get(step.check, ()) if x in self.seen]
                if not when:
                    return None
                seen.append(min(when))
        return max(seen) - self.page_minute if seen else None

    # --- looks ------------------------------------------------------------------------------------------------

    def _look(self, move: dict) -> str:
        what = move["at"]
        self.seen.setdefault(what, self.now)
        return getattr(self, f"look_{what}")()

    def _counts(self, back: int | None = None) -> pd.DataFrame:
        """The service's counts up to the clock (the minute now is not over yet), the last ``back`` minutes."""
        service = self.record.service.iloc[:self.now]
        return service if back is None else service.iloc[max(self.now - back, 0):]

    def look_page(self) -> str:
        rec, page = self.record, self.record.page
        if page is None:
            return "No page tonight."
        ev = rec.evaluations.get(page.slo) if rec.evaluations else None
        tier = next((t for t in ev.tiers if t.name == page.tier), None) if ev is not None else None
        windows = (f" over {tier.long_window_min} min and {page.short_burn:.1f}x over {tier.short_window_min} min"
                   if tier is not None else "")
        return (f"PAGE at {_hm(page.at)} UTC for {rec.paged_incident or 'an incident'} on {rec.catalog.service}: "
                f"ErrorBudgetBurn, SLO {page.slo}, tier {page.tier}: burning at {page.long_burn:.1f}x{windows}; "
                f"{page.impact_pct:.1f} % of {page.slo} events bad over the short window.")

    def look_alerts(self) -> str:
        rec = self.record
        now = pd.Timestamp(self.at())
        alerts = rec.alerts
        seen = alerts["received_at"] <= now
        assignment = pd.Series(rec.correlation.assignment, index=alerts.index)[seen]
        got = alerts[seen]
        groups = []
        for inc_id, rows in got.groupby(assignment.astype(str)):
            if not inc_id.startswith("INC-"):
                continue
            last = rows.sort_values("received_at").groupby("fingerprint").tail(1)
            firing = int((last["status"] == "firing").sum())
            names = sorted(set(rows["alertname"]))
            services = sorted({s for s in rows["service"] if s})
            groups.append((rows["received_at"].max(), f"{inc_id}: {len(rows)} notifications, {firing} alerts firing "
                           f"now, on {', '.join(services) or 'the platform'}: {', '.join(names[:5])}"
                           + (f" and {len(names) - 5} more" if len(names) > 5 else "")))
        dropped = int((~assignment.astype(str).str.startswith("INC-")).sum())
        lines = [text for _, text in sorted(groups, key=lambda g: g[0], reverse=True)[:10]]
        return (f"{len(got)} alert notifications so far, {dropped} deduplicated, inhibited or silenced; "
                f"{len(groups)} groups, the latest first:\n  " + "\n  ".join(lines))

    def look_dashboards(self) -> str:
        rec = self.record
        lines = []
        for name, slo in rec.slos.items():
            bad, total = slo.bad_and_total(self._counts())
            bad, total = np.asarray(bad, dtype=float), np.asarray(total, dtype=float)
            parts = []
            for window in (5, 30, 60):
                b, t = bad[-window:].sum(), total[-window:].sum()
                ratio = b / t if t else 0.0
                parts.append(f"{100 * ratio:.2f} % bad over {window} min (burn {ratio / slo.budget_ratio:.1f}x)")
            lines.append(f"{name} (objective {100 * (1 - slo.budget_ratio):g} %): " + "; ".join(parts))
        by_release = []
        onset = 0
        for check in ("errors_by_release", "latency_by_release", "quality_by_release"):
            step = type("Step", (), {"check": check})()
            by_release.append(mitigation._diagnose(rec, step, self.now, onset))
        counts = self._counts(60)
        age = float(self._counts()["index_age_h"].iloc[-1]) if self.now else 0.0
        lines.append("by release since the shift began: " + " | ".join(p for p in by_release if p))
        lines.append(f"traffic {counts['requests'].mean():.0f} requests/min over the last hour; kb-live index "
                     f"{age:.1f} h old")
        return "\n".join(lines)

    def look_deploys(self) -> str:
        rec, ops = self.record, self.ops
        history = ops.history(self.now)
        lines = []
        for i, (minute, version) in enumerate(history):
            if i < len(history) - 4:
                continue
            release = rec.plan.releases[version]
            prev = history[i - 1][1] if i else None
            diff = (", ".join(f"{k} {was} -> {v}" for k, was, v in release.changes_from(rec.plan.releases[prev]))
                    if prev else "")
            deployed = self.at(minute) if minute >= 0 or release.deployed_at is None else release.deployed_at
            lines.append(f"{version} serving from {deployed:%Y-%m-%d %H:%M} UTC"
                         + (f" (against {prev}: {diff or 'no config change'})" if prev else ""))
        recent = [(m, v) for m, v in history if self.now - m <= 120]
        head = (f"{len(recent)} change(s) of the serving release in the last 2 h." if recent else
                "No deploy in the last 2 h.")
        return head + "\n  " + "\n  ".join(lines)

    def look_provider(self) -> str:
        step = type("Step", (), {"check": "provider_health"})()
        reading = mitigation._diagnose(self.record, step, self.now, 0)
        status = ("the primary model provider's status page: all systems operational"
                  if "investigating" not in reading else "")
        return reading + (f"; {status}" if status else "")

    def look_tickets(self) -> str:
        now = self.at()
        got = [e for e in self.record.trace.events if e.kind == "ticket.received" and e.t <= now]
        if not got:
            return "No support tickets so far tonight."
        lines = [f"{_hm(e.t)} {e.message}" for e in got[-8:]]
        return f"{len(got)} tickets so far, the last {len(lines)}:\n  " + "\n  ".join(lines)

    def look_requests(self) -> str:
        rec = self.record
        long = rec.minutes
        lo = max(self.now - 30, 0)
        rows = long[(long["t"] >= self.at(lo)) & (long["t"] < self.at())]
        rng = np.random.default_rng([self.seed, self.now, 19])
        kinds = {"errors_tool": "the order API rejected a tool call (HTTP 400, unknown argument)",
                 "errors_provider": "the model provider answered HTTP 503",
                 "errors_timeout": "timed out after 30 s",
                 "slow": "answered, slower than the latency SLO's threshold",
                 "stale_answers": "answered, quoting a superseded help-article fact",
                 "wrong": "answered, graded wrong"}
        pool = []
        for row in rows.itertuples(index=False):
            counts = {k: int(getattr(row, k)) for k in kinds if k != "wrong"}
            counts["wrong"] = max(int(row.graded - row.correct) - int(row.stale_answers), 0)
            for k, n in counts.items():
                pool += [(row.t, row.release, k)] * min(n, 20)
        if not pool:
            return "No failed, slow or wrong requests in the last 30 min."
        picks = sorted(rng.choice(len(pool), size=min(8, len(pool)), replace=False))
        total = len(pool)
        lines = [f"{pd.Timestamp(pool[i][0]):%H:%M} release {pool[i][1]}: {kinds[pool[i][2]]}" for i in picks]
        return f"{len(lines)} sampled of {total} bad requests in the last 30 min:\n  " + "\n  ".join(lines)

    def look_evals(self) -> str:
        rec = self.record
        serving = rec.plan.releases[self.ops.serving(self.now)]
        age = float(self._counts()["index_age_h"].iloc[-1]) if self.now else 0.0
        built = self.at() - timedelta(hours=age)
        result = run_eval(golden_cases().cases, serving, answer_fn=partial(answer_with_index, built),
                          catalog=rec.catalog)
        failed = result.failed_ids
        return (f"Golden set against {serving.version} with the serving index (built {built:%Y-%m-%d %H:%M} UTC): "
                f"{100 * result.pass_rate:.0f} % pass" + (f"; failing: {', '.join(failed)}" if failed else "."))

    # --- actions --------------------------------------------------------------------------------------------------

    def _act(self, move: dict) -> str:
        action = move["action"]
        prefix = self._ensure_ack()
        if action == "wait":
            return prefix + f"You waited until {self.clock} UTC."
        rec, inc = self.record, self.incident
        if not self._diagnosed:
            self._log_diagnosis()
        if action == "roll_forward":
            result = self.ops.deploy(self.now, self.scenario.fix_release("none"))
        else:
            result = mitigation._perform(rec, action, self.ops, self.now)
        step = self.runbook.action_step
        self.actions.append({"minute": self.now, "action": action, "ok": result.ok, "detail": result.detail})
        if inc is not None:
            inc.actions.append({"step": step.id, "t": self.at(), "ok": result.ok, "action": action,
                                "evidence": result.detail})
            rec.trace.emit(self.at(), "M31", "mitigate", "runbook.step",
                           f"{step.id}: {action} (the on-call's choice): {result.detail}.", incident=inc.id,
                           runbook=self.runbook.id, step=step.id)
            if result.ok:
                mitigation._traced_effect(rec, action, self.at(), inc.id)
        if result.ok:
            shift.simulate(rec)
            detection.correlate_shift(rec)
        return prefix + f"{action}: {result.detail}."

    def _log_diagnosis(self) -> None:
        """Before the first action, the runbook's diagnosis steps go into the incident's log, in the runbook's
        order: each done if the learner read its evidence (the look that shows it) before acting."""
        self._diagnosed = True
        inc = self.incident
        if inc is None:
            return
        onset = sim.minute_of(self.scenario, self.record.cause.onset_at)
        for step in self.runbook.steps:
            if step.kind != "diagnose":
                continue
            look = DIAGNOSIS_LOOKS.get(step.check, ())
            when = min((self.seen[x] for x in look if x in self.seen), default=None)
            if when is None:
                inc.actions.append({"step": step.id, "t": self.at(), "ok": False, "evidence": "not looked at"})
                continue
            evidence = mitigation._diagnose(self.record, step, when, onset)
            inc.actions.append({"step": step.id, "t": self.at(when), "ok": True, "evidence": evidence})
            self.record.trace.emit(self.at(when), "M31", "mitigate", "runbook.step", f"{step.id}: {evidence}",
                                   incident=inc.id, runbook=self.runbook.id, step=step.id)

    def _resolve(self, move: dict) -> str:
        prefix = self._ensure_ack()
        if self.resolved_at is not None:
            return prefix + f"Already resolved at {_hm(self.at(self.resolved_at))}."
        rec, inc = self.record, self.incident
        verify = self.runbook.verify_step
        tried = [a for a in self.actions if a["ok"]]
        hold = verify.within_objective_for_min
        recovered = (mitigation.recovery_minute(rec, verify.slo, tried[0]["minute"], hold)
                     if tried and verify.slo in rec.slos else None)
        if recovered is None or recovered + 1 > self.now:
            self.premature_resolves += 1
            return prefix + ("Not resolved: nothing you did has brought the service back inside its objectives for "
                             "long enough yet; the incident stays open.")
        effect = [a for a in tried if a["minute"] <= recovered - int(np.ceil(hold)) + 1][-1]
        self.mitigated_at, self.resolved_at = effect["minute"], self.now
        if inc is not None:
            done = self.at(recovered + 1)
            inc.actions.append({"step": verify.id, "t": done, "ok": True})
            rec.trace.emit(done, "M31", "mitigate", "runbook.step",
                           f"{verify.id}: {verify.slo} inside its objective for {hold:g} consecutive minutes; "
                           f"mitigation confirmed.", incident=inc.id, runbook=self.runbook.id, step=verify.id)
            inc.transition(self.at(effect["minute"]), "mitigated")
            rec.trace.emit(self.at(effect["minute"]), "M31", "mitigate", "incident.mitigated",
                           f"{inc.id} mitigated: the bleeding stopped when the on-call's {effect['action']} took "
                           f"effect.", incident=inc.id)
            inc.transition(self.at(), "resolved")
            rec.trace.emit(self.at(), "M31", "mitigate", "incident.resolved",
                           f"{inc.id} resolved by the on-call; the root cause goes to the postmortem.", incident=inc.id)
        return prefix + f"{inc.id if inc else 'The incident'} resolved at {self.clock} UTC."

    def _postmortem(self, move: dict) -> str:
        self.postmortem = {"root_cause": move["root_cause"], "prevent": move["prevent"],
                           "text": move.get("text") or ""}
        self.over = True
        return "Postmortem written: root cause and prevent item recorded. The debrief is ready."

    # --- the end ----------------------------------------------------------------------------------------------

    def finish(self) -> ShiftRecord:
        """Run the shift on from the learner's mitigation: learn, ship, observe and the gate (as the scripted
        shift runs them). Idempotent."""
        if self.finished:
            return self.record
        self.finished = self.over = True
        rec, inc = self.record, self.incident
        if not self._diagnosed and self.actions:
            self._log_diagnosis()
        rec.phases_run.append("mitigate")
        rec.evaluations = evaluate_slos(rec.service, rec.slos, history=rec.history)
        mitigation.measure_budget(rec)
        if inc is not None and rec.page is not None:
            onset = rec.cause.onset_at
            if self.acked_at is not None:
                rec.metrics["time_to_acknowledge_min"] = self.acked_at - self.page_minute
            if self.mitigated_at is not None:
                rec.metrics["time_to_mitigate_min"] = round(
                    (self.at(self.mitigated_at) - onset).total_seconds() / 60, 2)
            if self.resolved_at is not None:
                rec.metrics["time_to_resolve_min"] = round((self.at(self.resolved_at) - onset).total_seconds() / 60, 2)
        shift.resume(rec, after="mitigate", until="gate")
        return rec


# Which look shows the evidence each runbook diagnosis step reads (oncall/mitigate.py's _diagnose).
DIAGNOSIS_LOOKS: dict[str, tuple[str, ...]] = {
    "recent_deploys": ("deploys",),
    "config_diff": ("deploys",),
    "errors_by_release": ("dashboards", "requests"),
    "latency_by_release": ("dashboards", "requests"),
    "quality_by_release": ("dashboards", "evals", "requests"),
    "index_age": ("dashboards", "evals"),
    "provider_health": ("provider", "requests"),
}

__all__ = ["ACTIONS", "ACTION_MIN", "DIAGNOSIS_LOOKS", "Game", "GameOver", "LOOKS", "MOVE_MIN", "SEVERITIES",
           "STATES"]

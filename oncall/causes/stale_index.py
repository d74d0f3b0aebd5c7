"""Cause kind ``stale-index``: the nightly index build fails silently from ``index.build_fails_from`` on, and
kb-live keeps serving an index that grows older every hour.

Mitigated by a reindex: a versioned index built, validated against the golden set's knowledge cases and swapped
in (never a rollback); the postmortem's regression eval is red on the index the failed build left serving.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable

import pandas as pd

from ..checks import CheckResult, register
from ..evals.harness import golden_cases, run_eval
from ..incident_response import postmortem as pm
from ..release_ops.releases import OpResult, ReleaseOps
from ..scenario_model import iso
from ..service import simulate as sim
from ..service.agent import answer_with_index
from ..service.knowledge import load_kb
from ..trace import Trace
from . import suites
from .base import Action, CauseKind

# ShiftRecord (oncall/record.py) sits above the cause kinds: annotations name it as a string, never imported.

REINDEX_TAKES_MIN = 15   # what a reindex's build needs of the act step's time (it starts that long before the swap)


def _reindex(record: "ShiftRecord", ops: ReleaseOps, minute: int) -> OpResult:
    """Build a versioned index, validate it against the golden set's knowledge cases, swap the alias."""
    kb_cases = [c for c in golden_cases().cases if "kb" in c.tags]
    serving = record.plan.releases[ops.serving(minute)]

    def validate(built_at, broken: bool):
        if broken:   # a build that lost documents: retrieval finds nothing, every knowledge case fails
            return False, f"0 of {len(kb_cases)} knowledge eval cases pass: the build has no documents"
        result = run_eval(kb_cases, serving, answer_fn=partial(answer_with_index, built_at))
        passed = sum(r.passed for r in result.cases)
        return result.passed, f"{passed} of {len(kb_cases)} knowledge eval cases pass"

    result, version = ops.reindex(minute, max(minute - REINDEX_TAKES_MIN, 0), record.scenario.shift.start, validate)
    record.index_version = version
    if result.ok:
        record.index_built_at = record.scenario.shift.start + timedelta(minutes=minute)
    return result


def _rebuilt(record: "ShiftRecord", t: datetime, incident: str) -> None:
    version = record.index_version
    record.trace.emit(t, "M33", "mitigate", "index.rebuilt",
                      f"Index {version} built from the current help articles, validated against the golden set's "
                      f"knowledge cases, and the kb-live alias swapped to it atomically; no release was rolled "
                      f"back.", incident=incident, index=version, alias="kb-live")


ACTIONS = (
    Action("reindex", _reindex, _rebuilt,
           lambda r: f"the swap of the kb-live alias to the rebuilt index {r.index_version}", ("index.rebuilt",),
           "index.rebuilt", lambda e: "reindex", 1),
)


class StaleIndex(CauseKind):
    kind = "stale-index"
    actions = ACTIONS
    not_mitigated = "kb-live still serves the stale index."
    cause_events = ("index.build_failed",)

    def check(self) -> None:
        sc = self.scenario
        start, end = sc.shift.start, sc.shift.end
        if sc.index.build_fails_from is None:
            raise ValueError("index.build_fails_from: expected the time the nightly build starts failing "
                             "(cause kind stale-index)")
        if not start <= self.onset_at < end:
            raise ValueError(f"index.build_fails_from: expected the first failing nightly build inside the shift "
                             f"({iso(start)} to {iso(end)})")

    @property
    def first_failed_build(self) -> datetime:
        """The first nightly build at or after ``index.build_fails_from``."""
        index = self.scenario.index
        hh, mm = (int(x) for x in index.nightly_build_utc.split(":"))
        fails = index.build_fails_from.astimezone(timezone.utc)
        at = fails.replace(hour=hh, minute=mm, second=0, microsecond=0)
        return at if at >= fails else at + timedelta(days=1)

    @property
    def onset_at(self) -> datetime:
        return self.first_failed_build

    @property
    def label(self) -> str:
        return "index:stale"

    def serve_events(self, trace: Trace) -> None:
        # What really happened, for the trace: the build job exits 0 and nothing alerts on it.
        sc = self.scenario
        at = self.first_failed_build
        while at < sc.shift.end:
            trace.emit(at, "M33", "detect", "index.build_failed",
                       f"Nightly index build of kb-live failed silently (the job exited 0 with an empty "
                       f"document set; the alias kept pointing at the build of "
                       f"{sc.index.last_build:%Y-%m-%d %H:%M} UTC).", index="kb-live")
            at += timedelta(days=1)

    def at_work(self, plan: sim.ServingPlan, minutes: int) -> Callable[[int], bool]:
        onset = sim.minute_of(self.scenario, self.onset_at)
        return lambda minute: minute >= onset and not any(onset <= b <= minute for b in plan.index_builds)

    def regression_plan(self, record: "ShiftRecord"):
        sc = self.scenario
        fix = sc.fix_release(record.break_mode)
        name, suite = suites.knowledge_suite(record, "freshness", "an index serving traffic states the current fact "
                                                                  "of every help article changed since its previous "
                                                                  "build. Red on the index the failed nightly build "
                                                                  "left serving.")
        stale_built = sim.last_index_build(sc, pd.Timestamp(record.page.at)).to_pydatetime()
        rebuilt = record.index_built_at          # None (a fresh index) when the on-call never reindexed
        roles = {"stale index": (sc.releases.last_good, partial(answer_with_index, stale_built), False),
                 "rebuilt index": (sc.releases.last_good, partial(answer_with_index, rebuilt), True),
                 "fix": (fix, partial(answer_with_index, rebuilt), True)}
        return name, suite, roles

    def action_items(self, record: "ShiftRecord", regression_id: str | None) -> list[pm.ActionItem]:
        sc, inc = record.scenario, record.incidents[record.paged_incident]
        escalated = any(a["step"] == "escalation" for a in inc.actions)
        return [
            pm.ActionItem("Keep a build of the index no older than the freshness limit warm beside kb-live and "
                          "swap the alias to it automatically when the freshness SLO pages, so the next failed "
                          "build is mitigated before a reindex finishes", "mitigate", "data operations",
                          f"{inc.id}-1"),
            pm.ActionItem(f"Add the {'escalation' if escalated else self.kind} timings of this incident to runbook "
                          f"{sc.runbook}'s verification notes", "process", pm.OWNERS["mitigate"], f"{inc.id}-5"),
            pm.ActionItem("Regression eval: an index serving traffic answers every help article changed since "
                          "its previous build with the current fact; the reindex runbook runs it before every "
                          "alias swap", "prevent", "data operations", regression_id or f"{inc.id}-2"),
            pm.ActionItem("Make the nightly index build fail loudly: exit non-zero on an empty or short "
                          f"document set, and alert when kb-live is older than {record.max_index_age_h:g} h (the "
                          "freshness SLO now pages)", "prevent", "data operations", f"{inc.id}-3"),
            pm.ActionItem("Review every batch job whose failure only shows as stale data; give each a "
                          "freshness SLO", "process", pm.OWNERS["process"], f"{inc.id}-4")]

    def postmortem(self, record: "ShiftRecord", regression_id: str | None = None) -> str:
        sc = self.scenario
        onset = self.onset_at
        built = sc.index.last_build
        changed = [d for d in load_kb() if d.previous_fact and built < d.updated_at <= sc.shift.end]
        docs = "; ".join(f"{d.title.lower()} (changed {d.updated_at:%Y-%m-%d %H:%M} UTC: \"{d.fact}\", the index "
                         f"still says \"{d.previous_fact}\")" for d in changed) or "no article"
        text = {
            "summary": (f"On {onset:%Y-%m-%d} at {pm.hm(onset)} UTC the nightly build of the knowledge-base index "
                        f"failed silently, and kb-live kept serving the build of {built:%Y-%m-%d %H:%M} UTC. Answers "
                        f"about help articles changed since then went wrong while the error rate stayed flat."),
            "users": "every user asking about a help article changed since the last good build",
            "root": (f"The nightly build job exited 0 after indexing an empty document set, so the alias was never "
                     f"swapped and nothing alerted. Articles changed since the "
                     f"last good build: {docs}. No check compared the index's age with the build schedule."),
            "trigger": f"The failed nightly build at {pm.hm(onset)} UTC (trace #{{seq}}); no release changed.",
            "wrong": [f"the build failed at {pm.hm(onset)} UTC and nothing noticed it until the index was "
                      f"{record.max_index_age_h:g} h old",
                      "error-rate and latency graphs stayed flat the whole time: only freshness and quality moved"],
            "lucky": ["the changed help article was caught by the freshness SLO before the quality SLO's slow burn "
                      "grew into days of wrong answers"],
            "done": "reindexed", "kind_words": "the index went stale",
        }
        return pm.write_no_release(record, regression_id, text, "index.build_failed",
                                   self.action_items(record, regression_id))


# --- the gate's check this kind brings (M26) --------------------------------------------------------------------

@register("index_fresh")
def check_index_fresh(record: "ShiftRecord") -> CheckResult:
    """The stale-index check, written before its fix: at the end of the shift kb-live is younger than the
    freshness SLO's limit, because a rebuilt index that passed its validation was swapped in."""
    limit = record.max_index_age_h
    age = round(float(record.service["index_age_h"].iloc[-1]), 2)
    rebuilt = [e for e in record.trace.events if e.kind == "index.rebuilt"]
    passed = age <= limit and bool(rebuilt)
    detail = (f"kb-live is {age:.1f} h old at the end of the shift (limit {limit:g} h); "
              + (f"rebuilt as {rebuilt[-1].refs.get('index')} at {rebuilt[-1].t:%H:%M}" if rebuilt else
                 "no index was rebuilt"))
    return CheckResult("index_fresh", passed, age, limit, detail)

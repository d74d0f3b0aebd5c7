"""The interface every cause kind implements, and the on-call actions a kind brings with it.

A cause kind decides everything that differs between kinds of incident: which fields of the scenario it reads
(and checks), when it starts, the ground-truth label its alerts carry, how it changes the service (the releases
that serve, the provider's errors), the events it leaves in the trace at serve time, whether it is at work at a
given minute, the actions that mitigate it and the trace events they leave, the regression eval the postmortem
makes of it, the postmortem's facts, the handoff's line and the plots' words. The phases ask the record's cause
(``record.cause``) and never test a kind's name.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, ClassVar

import pandas as pd

from ..release_ops.releases import OpResult, ReleaseOps
from ..scenario_model import Release, Scenario
from ..service import simulate as sim
from ..trace import Trace

# ShiftRecord (oncall/record.py) sits above the cause kinds: annotations name it as a string, never imported.


@dataclass(frozen=True)
class Action:
    """An on-call action: what it does to the service, the event it leaves in the trace, and how it reads."""

    name: str
    perform: Callable[["ShiftRecord", "ReleaseOps", int], OpResult]
    # (record, t, incident) -> None: the trace event of its effect, once it worked
    traced_effect: Callable[["ShiftRecord", datetime, str], None] | None = None
    # record -> the words for "the bleeding stopped when ... took effect"
    words: Callable[["ShiftRecord"], str] | None = None
    m33_events: tuple[str, ...] = ()         # the trace kinds by which release and data operations (M33) act
    title_event: str | None = None           # the trace kind a plot's title knows the action by ...
    title_word: Callable[[object], str] | None = None   # ... and the action's word, from that event
    title_rank: int = 99                     # which action a plot's title names first, when an incident has several


class CauseKind(ABC):
    """One kind of incident cause, bound to a scenario. Subclasses live one per module in ``oncall/causes/``."""

    kind: ClassVar[str]                       # the scenario's ``cause.kind``
    actions: ClassVar[tuple[Action, ...]] = ()
    not_mitigated: ClassVar[str]              # the handoff's line for an incident left unmitigated
    onset_words: ClassVar[str] = "cause began"   # "mitigated 18 min after the ..."
    cause_events: ClassVar[tuple[str, ...]] = ()  # trace kinds marking the cause, for the plots' markers
    markers: ClassVar[dict[str, str]] = {}        # trace kind -> its marker's word in the plots

    def __init__(self, scenario: Scenario):
        self.scenario = scenario

    # --- the scenario ---------------------------------------------------------------------------------------

    @abstractmethod
    def check(self) -> None:
        """Check the fields this kind reads; ``ValueError("field: what was expected")`` on the first problem."""

    @property
    @abstractmethod
    def onset_at(self) -> datetime:
        """When the incident's cause starts."""

    @property
    @abstractmethod
    def label(self) -> str:
        """The ground-truth cause the storm's and the burn alerts' ``true_cause`` carry (the correlator never
        reads it)."""

    # --- serve: the service and the trace --------------------------------------------------------------------

    def serving(self) -> list[tuple[str, Release]]:
        """(role, release) of every release that serves the shift from its deploy time, in deploy order."""
        return [("last good", self.scenario.releases.last_good)]

    def plan(self) -> sim.ServingPlan:
        """The serving plan the shift starts with: each release of ``serving`` takes all traffic at its deploy."""
        sc = self.scenario
        roles = self.serving()
        return sim.ServingPlan(releases={r.version: r for _, r in roles},
                               changes=[(sim.minute_of(sc, r.deployed_at), {r.version: 1.0}) for _, r in roles])

    def serve_events(self, trace: Trace) -> None:
        """The events this kind adds to the trace at serve time (what really happened, beyond the deploys)."""

    # --- is the cause at work? ---------------------------------------------------------------------------------

    @abstractmethod
    def at_work(self, plan: sim.ServingPlan, minutes: int) -> Callable[[int], bool]:
        """Is the cause at work at shift minute m, under ``plan`` (``minutes`` long)? The burn alerts' ground
        truth (detect)."""

    def truth_at(self, plan: sim.ServingPlan, minutes: int) -> Callable[[int], str]:
        """The burn alerts' ground truth at a shift minute: this cause's label while it is at work, else
        background."""
        active = self.at_work(plan, minutes)
        return lambda minute: self.label if active(minute) else "background"

    storm_blames_releases_only: ClassVar[bool] = False   # see storm_truth

    def storm_truth(self, plan: sim.ServingPlan | None) -> Callable[[pd.Timestamp], str]:
        """The ground truth for a storm rule alert firing at a time (support_desk.monitors): the newest release
        other than the last good one taking traffic then (from the serving plan, when it has changes); with none,
        background if this kind blames releases only, else this cause from its onset on.

        It answers differently from ``at_work`` on purpose of history, and the traces depend on both: a rule
        alert counts as the cause's from the onset on whatever was done about it (a reindex, a failover, the
        provider recovering), and a canaried fix's alerts are blamed on the fix."""
        sc = self.scenario
        good = sc.releases.last_good.version
        changes = plan.changes if plan is not None and getattr(plan, "changes", None) else None
        onset = pd.Timestamp(self.onset_at)
        start = pd.Timestamp(sc.shift.start)

        def cause(when: pd.Timestamp) -> str:
            if changes:
                minute = int((when - start) // pd.Timedelta(minutes=1))
                newest = None
                for begin, split in changes:
                    if begin > minute:
                        break
                    for version, weight in split.items():
                        if weight > 0 and version != good:
                            newest = version
                if newest is not None:
                    return f"release:{newest}"
                if self.storm_blames_releases_only:
                    return "background:false-positive"
            return self.label if when >= onset else "background:false-positive"
        return cause

    # --- learn: the regression eval and the postmortem ---------------------------------------------------------

    @abstractmethod
    def regression_plan(self, record: "ShiftRecord"):
        """(file name, suite, roles), or None: roles maps a role to (release, answer_fn or None, must pass). Red
        where the incident's cause is at work, green on what mitigated it and on the fix."""

    @abstractmethod
    def action_items(self, record: "ShiftRecord", regression_id: str | None) -> list:
        """The postmortem's action items (``incident_response.postmortem.ActionItem``), each from a fact."""

    @abstractmethod
    def postmortem(self, record: "ShiftRecord", regression_id: str | None) -> str:
        """The postmortem of the paged incident, as Markdown."""

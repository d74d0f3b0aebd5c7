"""The incident record and the shift record: the one set of objects every phase reads and adds to."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from .causes import CauseKind
from .checks import CheckResult
from .counts import MAX_INDEX_AGE_H
from .evals.harness import EvalResult
from .incident_response.alerting import Page
from .incident_response.burn import Evaluation
from .incident_response.slo import SLO
from .release_ops.canary import CanaryRun
from .release_ops.releases import ReleaseOps
from .scenario_model import OnCallChoices, Release, Scenario
from .service.catalog import Catalog
from .service.simulate import ServingPlan
from .support_desk.correlate import Correlation
from .trace import Trace

if TYPE_CHECKING:   # the error-budget policy's standing still lives in the ship phase (to move to incident_response)
    from .ship import BudgetStanding


@dataclass
class Incident:
    """One incident: ids, state changes with timestamps, linked alerts and tickets, and the actions taken."""

    id: str
    title: str
    opened_at: datetime
    service: str
    severity: str | None = None
    commander: str | None = None
    state: str = "opened"
    state_changes: list[tuple[datetime, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.state_changes:
            self.state_changes.append((self.opened_at, self.state))

    def transition(self, when: datetime, state: str) -> None:
        """Move to ``state`` (acknowledged, mitigated, resolved) at ``when``; time never goes backwards."""
        if self.state_changes and when < self.state_changes[-1][0]:
            raise ValueError(f"{self.id}: {state} at {when} is before {self.state_changes[-1][1]}")
        self.state = state
        self.state_changes.append((when, state))

    def time_of(self, state: str) -> datetime | None:
        return next((t for t, s in self.state_changes if s == state), None)


@dataclass
class ShiftRecord:
    """Everything the shift produced so far; phases read it and add to it."""

    scenario: Scenario
    seed: int
    break_mode: str
    catalog: Catalog
    slos: dict[str, SLO]                         # name -> SLO
    releases: dict[str, Release]                 # version -> config, every release that served
    plan: ServingPlan                            # which releases serve which share of traffic, from when
    cause: CauseKind                             # the incident's cause kind, bound to the scenario (oncall/causes/)
    minutes: pd.DataFrame | None = None          # long frame: one row per (minute, release)
    service: pd.DataFrame | None = None          # counts summed over releases, indexed by minute
    history: pd.DataFrame | None = None          # the same, for the days before the shift (alert windows)
    trace: Trace = field(default_factory=Trace)
    incidents: dict[str, Incident] = field(default_factory=dict)
    phases_run: list[str] = field(default_factory=list)
    phases_skipped: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | int | str] = field(default_factory=dict)
    checks: list[CheckResult] = field(default_factory=list)
    evaluations: dict[str, Evaluation] = field(default_factory=dict)  # SLO name -> its burn tiers (detect)
    page: Page | None = None                         # the first page of the shift (detect)
    alerts: pd.DataFrame | None = None               # every alert notification received, with its true cause
    correlation: Correlation | None = None           # the correlator's verdicts over ``alerts``
    paged_incident: str | None = None                # the incident the page joined (detect)
    choices: OnCallChoices | None = None             # what the on-call does (break mode or widget)
    ops: ReleaseOps | None = None                    # the release operations' log (mitigate, ship)
    regression_results: dict[str, EvalResult] = field(default_factory=dict)  # role -> the regression case's result
    regression_name: str | None = None                      # its file name under regressions/
    canary: CanaryRun | None = None                         # the canary run of the fix (ship)
    budget: BudgetStanding | None = None                    # where the error budget stood at the canary (ship)
    canary_regression: EvalResult | None = None             # the regression eval against the canary (ship)
    index_version: str | None = None                        # the versioned index a reindex swapped in (mitigate)
    index_built_at: datetime | None = None                  # ... and when it was built
    regression_want: dict[str, bool] = field(default_factory=lambda: {"bad": False, "last_good": True, "fix": True})
    ticket_truth: dict[str, dict] | None = None              # ticket id -> its ground truth (triage; None: none)
    artifacts: dict[str, str] = field(default_factory=dict)  # file name -> text, written by --out

    @property
    def red_checks(self) -> set[str]:
        """The names of the gate checks that failed (empty before the gate ran, and on a green shift)."""
        return {c.name for c in self.checks if not c.passed}

    @property
    def max_index_age_h(self) -> float:
        """The freshness SLO's limit on the index's age (its ``oncall/max_age_h``), or the simulator's default."""
        freshness = self.slos.get("freshness")
        return freshness.max_age_h if freshness is not None and freshness.max_age_h else MAX_INDEX_AGE_H

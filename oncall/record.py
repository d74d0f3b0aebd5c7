"""The incident record and the shift record: the one set of objects every phase reads and adds to."""
from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from .causes import CauseKind
from .checks import CheckResult
from .counts import MAX_INDEX_AGE_H
from .evals.harness import EvalResult
from .incident_response.alerting import Page
from .incident_response.budget import BudgetStanding
from .incident_response.burn import Evaluation
from .incident_response.slo import SLO
from .release_ops.canary import CanaryRun
from .release_ops.releases import ReleaseOps
from .scenario_model import OnCallChoices, Release, Scenario
from .service.catalog import Catalog
from .service.simulate import ServingPlan
from .support_desk.correlate import Correlation
from .trace import Trace



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
class DetectResult:
    """What the detect phase found: the burn tiers, the first page, the alerts and the correlator's verdicts (the
    mitigate phase evaluates the burn tiers again on the counts it re-simulates)."""
    evaluations: dict[str, Evaluation] = field(default_factory=dict)  # SLO name -> its burn tiers
    page: Page | None = None                         # the first page of the shift
    alerts: pd.DataFrame | None = None               # every alert notification received, with its true cause
    correlation: Correlation | None = None           # the correlator's verdicts over ``alerts``
    paged_incident: str | None = None                # the incident the page joined


@dataclass
class TriageResult:
    """What the triage phase read beside the queue: the tickets' ground truth (for the measures and the gate)."""
    ticket_truth: dict[str, dict] | None = None      # ticket id -> its ground truth (None: the queue has none)
    ticket_events: list = field(default_factory=list)  # the events triage emitted (taken back when it runs again)


@dataclass
class MitigateResult:
    """What the mitigate phase changed beyond the release log: the index a reindex swapped in."""
    index_version: str | None = None                 # the versioned index a reindex swapped in
    index_built_at: datetime | None = None           # ... and when it was built


@dataclass
class LearnResult:
    """The learn phase's regression case: its results per release role, its file name, what each role must get."""
    regression_results: dict[str, EvalResult] = field(default_factory=dict)  # role -> the regression case's result
    regression_name: str | None = None                                       # its file name under regressions/
    regression_want: dict[str, bool] = field(default_factory=lambda: {"bad": False, "last_good": True, "fix": True})


@dataclass
class ShipResult:
    """The ship phase's canary: the run, where the error budget stood, and the regression eval against the canary."""
    canary: CanaryRun | None = None
    budget: BudgetStanding | None = None
    canary_regression: EvalResult | None = None
    eval_gate: object | None = None       # the golden set's deploy gate (oncall.ship.EvalGate)


@dataclass
class GateResult:
    """The gate's answers, one per check the scenario names, in its order."""
    checks: list[CheckResult] = field(default_factory=list)


PHASE_RESULTS = {"detect": DetectResult, "triage": TriageResult, "mitigate": MitigateResult, "learn": LearnResult,
                 "ship": ShipResult, "gate": GateResult}


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
    choices: OnCallChoices | None = None             # what the on-call does (break mode or widget)
    ops: ReleaseOps | None = None                    # the release operations' log (mitigate, ship)
    artifacts: dict[str, str] = field(default_factory=dict)  # file name -> text, written by --out
    # What each phase found, one typed result per phase; each field also reads (and writes) as the record's own
    # attribute of the same name (record.page is record.detect.page), the names the notebooks use.
    detect: DetectResult = field(default_factory=lambda: DetectResult())
    triage: TriageResult = field(default_factory=lambda: TriageResult())
    mitigate: MitigateResult = field(default_factory=lambda: MitigateResult())
    learn: LearnResult = field(default_factory=lambda: LearnResult())
    ship: ShipResult = field(default_factory=lambda: ShipResult())
    gate: GateResult = field(default_factory=lambda: GateResult())

    @property
    def red_checks(self) -> set[str]:
        """The names of the gate checks that failed (empty before the gate ran, and on a green shift)."""
        return {c.name for c in self.checks if not c.passed}

    @property
    def max_index_age_h(self) -> float:
        """The freshness SLO's limit on the index's age (its ``oncall/max_age_h``), or the simulator's default."""
        freshness = self.slos.get("freshness")
        return freshness.max_age_h if freshness is not None and freshness.max_age_h else MAX_INDEX_AGE_H


def _through(phase: str, name: str) -> property:
    def get(record):
        return getattr(getattr(record, phase), name)

    def put(record, value):
        setattr(getattr(record, phase), name, value)

    return property(get, put, doc=f"record.{phase}.{name}")


for _phase, _result in PHASE_RESULTS.items():
    for _name in _result.__dataclass_fields__:
        setattr(ShiftRecord, _name, _through(_phase, _name))


# --- copies of a record: a night shipped, resumed or re-simulated many times ------------------------------------

# Under copy-on-write (always on from pandas 3) a shallow copy of a frame is a frame of its own: setting a column or a
# value in it copies what it changes and never touches the frame it came from. Without it, copies are deep.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True


class _SharingPickler(pickle.Pickler):
    """Pickles everything but pandas objects, which it sets aside in ``shared`` (pickle's persistent ids), each
    once however often it is referred to."""

    def __init__(self, file, shared: list):
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.shared, self.ids = shared, {}

    def persistent_id(self, obj):
        if isinstance(obj, (pd.DataFrame, pd.Series, pd.Index)):
            if id(obj) not in self.ids:
                self.ids[id(obj)] = len(self.shared)
                self.shared.append(obj)
            return self.ids[id(obj)]
        return None


class _SharingUnpickler(pickle.Unpickler):
    """Gives each pandas object set aside one copy (one object wherever the original was referred to)."""

    def __init__(self, file, shared: list):
        super().__init__(file)
        self.shared, self.copies = shared, {}

    def persistent_load(self, pid):
        if pid not in self.copies:
            obj = self.shared[pid]
            self.copies[pid] = obj if isinstance(obj, pd.Index) else obj.copy(deep=False)   # an Index never changes
        return self.copies[pid]


def copy_of(obj):
    """A deep copy of a record (or of some of its fields), as ``pickle.loads(pickle.dumps(obj))`` makes one, except
    that its pandas frames and series are shallow copies, which copy-on-write keeps apart (an index, immutable, is
    the same object). The frames are most of a night's bytes and of its copying time; a sweep copies a night once
    per judge, a widget once per move. Objects inside a frame's object columns (an alert's labels and annotations
    dicts) are shared with the original, as the alert reader shares a re-sent alert's."""
    if not _COPY_ON_WRITE:
        return pickle.loads(pickle.dumps(obj))
    shared: list = []
    buffer = io.BytesIO()
    _SharingPickler(buffer, shared).dump(obj)
    buffer.seek(0)
    return _SharingUnpickler(buffer, shared).load()


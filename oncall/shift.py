"""The shift as code: read it top to bottom, it is the run of show.

    serve     the assistant serves overnight traffic; the bad release ships     (M27, M33)
    detect    the alert storm collapses into incidents; the burn pages SEV-1    (M32, M31; oncall/detect.py)
    triage    a user ticket about the outage is triaged and linked              (M32; oncall/triage.py)
    mitigate  the runbook rolls the bad release back; the SLI recovers          (M31 -> M33; oncall/mitigate.py)
    learn     the postmortem becomes a regression eval                          (M31 -> M26; oncall/learn.py)
    ship      the fix is canaried back in                                       (M33; oncall/ship.py)
    observe   what the SLIs did, read off the whole shift's counts              (M27)
    gate      the eval gate scores the whole shift; the handoff                 (M26, M31; oncall/gate.py)

Each phase lives in its own module and registers the gate checks it can answer; a check whose phase did not run
fails as "not run" (oncall/checks.py): nothing passes by default.
"""
from __future__ import annotations

from datetime import timedelta

from . import detect as detection
from . import gate as scoring
from . import learn as learning
from . import mitigate as mitigation
from . import respond as responding
from . import ship as shipping
from . import triage as ticket_triage
from .causes import cause_of
from .checks import run_checks
from .incident_response.slo import load_slo
from .record import ShiftRecord, copy_of
from .scenario import OnCallChoices, Scenario
from .service import simulate as sim
from .service.catalog import load_catalog
from .incident_response.slis import transitions


UNTIL = ("detect", "triage", "mitigate", "learn", "ship", "gate")


def run_shift(scenario: Scenario, seed: int | None = None, break_mode: str = "none",
              choices: OnCallChoices | None = None, until: str = "gate") -> ShiftRecord:
    """Run one whole shift of ``scenario``; the same (scenario, seed, break_mode, choices) gives the same record.

    ``choices`` overrides what the on-call does (a notebook widget's "roll back / restart / wait / flag off");
    by default they come from the break mode. ``until`` stops after that phase (a sweep over seeds that only
    needs, say, the time to mitigate runs no further); every phase before it runs exactly as in a whole shift.
    The record then has no gate verdict, and the storm's figures (alerts, incidents, noise reduction) as detect
    counted them: a whole shift's observe counts them again over the final night.
    """
    if until not in UNTIL:
        raise ValueError(f"until: expected one of {', '.join(UNTIL)}, got {until!r}")
    scenario.check_break_mode(break_mode)
    record = serve(scenario, scenario.seed if seed is None else seed, break_mode)
    record.choices = choices or scenario.on_call(break_mode)
    return resume(record, until=until)


def resume(record: ShiftRecord, after: str | None = None, until: str = "gate", **ship_kwargs) -> ShiftRecord:
    """Run the record's shift on, in place: every phase after ``after`` (None: from detect on, after serve) up to
    and including ``until``, exactly as ``run_shift`` runs them. ``ship_kwargs`` go to the ship phase (a judge to
    compare, the regression precheck off: oncall/sweeps.py)."""
    if until not in UNTIL or (after is not None and after not in UNTIL):
        raise ValueError(f"after/until: expected one of {', '.join(UNTIL)}, got {after!r}/{until!r}")
    first = 0 if after is None else UNTIL.index(after) + 1
    last = UNTIL.index(until)
    steps = {"detect": lambda: detection.detect(record),
             "triage": lambda: ticket_triage.triage(record),
             "mitigate": lambda: mitigation.mitigate(record, resimulate=simulate),
             "learn": lambda: learning.learn(record),
             "ship": lambda: shipping.ship(record, resimulate=simulate, **ship_kwargs),
             "gate": lambda: (observe(record), gate(record))}
    for phase in UNTIL[first:last + 1]:
        steps[phase]()
    return record


# The phases that read neither the break mode nor the on-call's choices (only mitigate, learn and ship do): a night
# run until the last of them is the same night for every break mode and every choice.
SHARED_UNTIL = "triage"


def resume_from(night: ShiftRecord, break_mode: str | None = None, choices: OnCallChoices | None = None,
                until: str = "gate", **ship_kwargs) -> ShiftRecord:
    """``run_shift(scenario, seed, break_mode, choices, until)`` from a copy of ``night``, a shift of the same
    scenario and seed run until ``SHARED_UNTIL`` (under any break mode): the copy takes ``break_mode`` (None: the
    night's) and ``choices`` (None: the break mode's) and runs on from mitigate; ``night`` stays as it was. A widget
    moved through break modes or choices simulates the night before the mitigation once (tests/test_shift.py)."""
    if SHARED_UNTIL not in night.phases_run or any(p in night.phases_run for p in UNTIL[UNTIL.index(SHARED_UNTIL) + 1:]):
        raise ValueError(f"resume_from: expected a night run until {SHARED_UNTIL}, got phases {night.phases_run}")
    record = copy_of(night)
    if break_mode is not None:
        record.scenario.check_break_mode(break_mode)
        record.break_mode = break_mode
    record.choices = choices or record.scenario.on_call(record.break_mode)
    return resume(record, after=SHARED_UNTIL, until=until, **ship_kwargs)


# --- serve: the service and the bad deploy (M27, M33) ----------------------------------------------------

def serve(scenario: Scenario, seed: int, break_mode: str) -> ShiftRecord:
    """The last good release serves from before the shift; then the incident's cause starts (its kind, in
    oncall/causes/, says how): the bad release replaces it at its deploy time, the nightly index build fails
    silently, or the model provider fails."""
    cause = cause_of(scenario)
    plan = cause.plan()
    record = ShiftRecord(scenario=scenario, seed=seed, break_mode=break_mode, catalog=load_catalog(),
                         slos={name: load_slo(name) for name in scenario.slos},
                         releases=dict(plan.releases), plan=plan, cause=cause)
    for role, release in cause.serving():
        record.trace.emit(release.deployed_at, "M33", "detect", "release.deployed",
                          f"Release {release.version} ({role}) deployed to 100 %: "
                          + ", ".join(f"{k} {v}" for k, v in release.config().items()) + ".",
                          release=release.version)
    cause.serve_events(record.trace)
    simulate(record)
    return record


def simulate(record: ShiftRecord) -> None:
    """(Re)simulate the shift under the record's serving plan; minutes before a plan change never change."""
    latency = record.slos.get("latency")
    threshold = latency.threshold_ms if latency is not None and latency.threshold_ms else 4000
    max_age = record.max_index_age_h
    record.minutes = sim.simulate(record.scenario, record.plan, record.seed, threshold, record.catalog, max_age)
    record.service = sim.totals(record.minutes)
    if record.history is None:
        record.history = sim.simulate_history(record.scenario, record.seed, threshold, record.catalog,
                                              max_index_age_h=max_age)


# --- the phases: each issue of the course fills one in, in place -----------------------------------------

# --- observe: what the SLIs did over the whole shift (M27) -----------------------------------------------

def observe(record: ShiftRecord) -> None:
    """Emit what the service and its alerts did, from the final counts (after every change to the plan):
    sli.degraded / sli.recovered (M27), and alert.fired / alert.resolved / incident.opened (M32)."""
    if "detect" in record.phases_run:
        detection.correlate_shift(record)   # the same past, plus whatever a rollback changed afterwards
        detection.emit_alert_events(record)
        responding.follow_through(record)   # roll-forward, resolutions, replies, status page, commander
    mitigation.measure_budget(record)       # the budget the incident spent, from the final counts
    # Counts of minute m cover [m, m+1): what they show is known at the end of the minute.
    ends = record.service.index + timedelta(minutes=1)
    for name, slo in record.slos.items():
        for tr in transitions(record.service, slo):
            phase = "detect" if tr.kind == "degraded" else "mitigate"
            verb = "degraded" if tr.kind == "degraded" else "recovered"
            window = "5 min" if tr.kind == "degraded" else "the last 10 min"
            record.trace.emit(ends[tr.minute].to_pydatetime(), "M27", phase, f"sli.{tr.kind}",
                              f"SLI {name} {verb}: {100 * tr.bad_ratio:.2f} % bad over {window} "
                              f"(objective allows {100 * slo.budget_ratio:.2f} %, burn rate {tr.burn_rate:.1f}).",
                              slo=name)


# --- gate: the eval gate over the whole shift (M26) ------------------------------------------------------

def gate(record: ShiftRecord) -> None:
    """The eval gate scores the whole shift; the handoff goes to the next on-call (oncall/gate.py)."""
    learning.render(record)   # the postmortem cites the final trace
    scoring.gate(record, run_checks)


def scorecard(record: ShiftRecord) -> dict:
    """The scorecard object of DESIGN.md: passed, checks and metrics (null where not measured yet)."""
    keys = ("time_to_detect_min", "time_to_mitigate_min", "budget_consumed_pct", "alerts_total",
            "notifications_sent", "incidents_opened", "noise_reduction_pct", "ticket_link_f1", "distinct_alerts",
            "noise_reduction_distinct_pct")
    metrics = {key: record.metrics.get(key) for key in keys}
    metrics.update({k: v for k, v in record.metrics.items() if k not in metrics})
    return {
        "scenario": record.scenario.name,
        "seed": record.seed,
        "break": record.break_mode,
        "passed": bool(record.checks) and all(c.passed for c in record.checks),
        "checks": [c.to_dict() for c in record.checks],
        "metrics": metrics,
    }

"""Sweeps over seeds and judges (above the shift: they run it, the phases never do).

A sweep that measures one phase runs the shift no further than that phase (``run_shift(until=...)``), and a
sweep that compares judges simulates each night once and ships a copy of it per judge (``ship_from``).
"""
from __future__ import annotations

import pickle

from .record import ShiftRecord
from .scenario_model import Scenario
from . import shift   # called through the module, so a notebook replay store can stand in for run_shift


def shift_before_ship(scenario: Scenario, seed: int | None = None, break_mode: str = "none") -> ShiftRecord:
    """The shift through the learn phase (serve, detect, triage, mitigate, learn), as ``shift.run_shift`` runs
    it: the night the ship phase starts from."""
    return shift.run_shift(scenario, seed, break_mode, until="learn")


def ship_from(before: ShiftRecord, finish: bool = True, **ship_kwargs) -> ShiftRecord:
    """A copy of ``before`` (from ``shift_before_ship``) carried through ship, observe and gate; ``before`` stays as
    it was, so several judges can be compared on the same night without simulating it again. ``finish=False``
    stops after ship (the canary's verdict and its trace), for sweeps that need nothing observe or the gate adds."""
    record = pickle.loads(pickle.dumps(before))
    return shift.resume(record, after="learn", until="gate" if finish else "ship", **ship_kwargs)


def canary_verdicts(scenario: Scenario, seeds, break_mode: str, judges: dict, **ship_kwargs) -> dict[str, list[str]]:
    """Judge name -> the canary's verdict on each seed, for ``judges`` (name -> ``judge_fn``, None for the judge of
    data/canary/judge.yaml). Every judge sees the same night: simulated once per seed, each judge's canary shipped
    from a copy of it, through the ship phase only."""
    got: dict[str, list[str]] = {name: [] for name in judges}
    for seed in seeds:
        night = shift_before_ship(scenario, seed, break_mode)
        for name, judge_fn in judges.items():
            got[name].append(ship_from(night, finish=False, judge_fn=judge_fn, **ship_kwargs).canary.verdict)
    return got


def run_shift_with_ship(scenario: Scenario, seed: int | None = None, break_mode: str = "none",
                        **ship_kwargs) -> ShiftRecord:
    """The whole shift, phase by phase as ``shift.run_shift`` runs them (for tests and the notebook;
    ``ship_kwargs`` go to the ship phase)."""
    return ship_from(shift_before_ship(scenario, seed, break_mode), **ship_kwargs)


def link_f1_by_seed(scenario: Scenario, seeds=range(20)) -> dict[int, float]:
    """Link F1 to the paged incident on each seed's shift (serve + detect + triage): the worst is the figure."""
    return {seed: shift.run_shift(scenario, seed, "none", until="triage").metrics.get("ticket_link_f1", 0.0)
            for seed in seeds}

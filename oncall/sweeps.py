"""Sweeps over seeds and judges (above the shift: they run it, the phases never do).

A sweep that measures one phase runs the shift no further than that phase (``run_shift(until=...)``), and a
sweep that compares judges simulates each night once and ships a copy of it per judge (``ship_from``). The copies
of one night share their simulations: a canary that serves the same plan as an earlier copy's (same release, same
weight, same minute: every judge's first step, and every later one until their verdicts part) reads the earlier
copy's simulated minutes instead of simulating them again (``_SharedSimulations``).
"""
from __future__ import annotations

import os
import pickle
import weakref

from .paths import DATA_DIR
from .record import ShiftRecord, copy_of
from .scenario_model import Scenario
from . import ship as shipping
from . import shift   # called through the module, so a notebook replay store can stand in for run_shift


def shift_before_ship(scenario: Scenario, seed: int | None = None, break_mode: str = "none") -> ShiftRecord:
    """The shift through the learn phase (serve, detect, triage, mitigate, learn), as ``shift.run_shift`` runs
    it: the night the ship phase starts from. Serve, detect and triage read no break mode: a sweep over break modes
    runs them once per seed (``shared_night``) and each mode's mitigate and learn from a copy (``shift.resume_from``,
    the same record as ``run_shift(scenario, seed, break_mode, until="learn")``)."""
    scenario.check_break_mode(break_mode)
    return shift.resume_from(shared_night(scenario, seed), break_mode, until="learn")


_SHARED: dict[tuple, ShiftRecord] = {}   # (scenario, seed, data files) -> the night until SHARED_UNTIL: the last few
_SHARED_KEPT = 24                        # a sweep of 20 seeds over two break modes, one mode after the other


def shared_night(scenario: Scenario, seed: int | None = None) -> ShiftRecord:
    """``shift.run_shift(scenario, seed, until=shift.SHARED_UNTIL)``: the night every break mode and every choice of
    the on-call shares, run once per scenario and seed and kept for the next break mode (the same scenario: its
    whole content; the same data files: an edited one runs the night again). Never changed: ``shift.resume_from``
    runs on from a copy of it."""
    seed = scenario.seed if seed is None else seed
    key = (scenario.model_dump_json(), seed, _data_version())
    if key not in _SHARED:
        _SHARED[key] = shift.run_shift(scenario, seed, until=shift.SHARED_UNTIL)
        while len(_SHARED) > _SHARED_KEPT:
            _SHARED.pop(next(iter(_SHARED)))
    return _SHARED[key]


class _SharedSimulations:
    """``shift.simulate`` for the copies of one night, each serving plan simulated once. The simulation is a
    function of the night (scenario, seed, catalog, SLOs: the same in every copy) and of what the ship phase
    changes: the serving plan and the index's max age. The first copy to serve a plan runs ``shift.simulate`` and
    keeps a copy of the record fields it set (``record.copy_of``, so no copy can change them); a later copy serving
    the same plan gets its own copy of those fields, what ``shift.simulate`` would have computed."""

    def __init__(self):
        self.fields: dict[bytes, dict] = {}

    def __call__(self, record: ShiftRecord) -> None:
        key = pickle.dumps((record.plan, record.max_index_age_h, record.history is None, record.scenario,
                            record.seed, record.slos))
        if key not in self.fields:
            before = dict(vars(record))
            shift.simulate(record)
            self.fields[key] = copy_of({k: v for k, v in vars(record).items() if before.get(k, before) is not v})
        else:
            vars(record).update(copy_of(self.fields[key]))


_NIGHT: tuple[weakref.ref, _SharedSimulations] | None = None   # the night whose copies are being shipped


def _simulations_of(before: ShiftRecord) -> _SharedSimulations:
    global _NIGHT
    if _NIGHT is None or _NIGHT[0]() is not before:
        _NIGHT = (weakref.ref(before), _SharedSimulations())
    return _NIGHT[1]


def _data_version() -> tuple:
    """Every file under data/ with its modification time and size: what a night reads besides its scenario."""
    found, folders = [], [str(DATA_DIR)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(entry.path)
                else:
                    st = entry.stat()
                    found.append((entry.path, st.st_mtime_ns, st.st_size))
    return tuple(sorted(found))


def ship_from(before: ShiftRecord, finish: bool = True, **ship_kwargs) -> ShiftRecord:
    """A copy of ``before`` (from ``shift_before_ship``) carried through ship, observe and gate; ``before`` stays as
    it was, so several judges can be compared on the same night without simulating it again. ``finish=False``
    stops after ship (the canary's verdict and its trace), for sweeps that need nothing observe or the gate adds.
    The ship phase runs as ``shift.resume`` runs it, its re-simulations shared with the night's other copies."""
    record = copy_of(before)
    shipping.ship(record, resimulate=_simulations_of(before), **ship_kwargs)
    return shift.resume(record, after="ship", until="gate") if finish else record


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

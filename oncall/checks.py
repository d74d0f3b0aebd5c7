"""The gate's check registry (M26): each phase registers the checks it can answer.

A check whose phase has not run fails with "not run": nothing passes by default.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable

# Which phase answers each check the scenarios may name.
CHECK_PHASE = {
    "page_fired": "detect",
    "storm_collapsed": "detect",
    "ticket_linked": "triage",
    "runbook_followed": "mitigate",
    "sli_recovered": "mitigate",
    "budget_within_limit": "mitigate",
    "postmortem_complete": "learn",
    "regression_case_red_green": "learn",
    "canary_promoted_on_pass": "ship",
    "eval_gate_passed": "ship",
    "same_incident": "gate",
    "index_fresh": "mitigate",
    "no_rollback": "mitigate",
}


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    value: object
    threshold: object
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


_REGISTRY: dict[str, Callable] = {}


def register(name: str):
    """Decorator: ``fn(record) -> CheckResult`` answers the check ``name`` once its phase has run."""
    if name not in CHECK_PHASE:
        raise ValueError(f"unknown check {name!r}")

    def wrap(fn: Callable) -> Callable:
        _REGISTRY[name] = fn
        return fn

    return wrap


def run_checks(record, names: list[str]) -> list[CheckResult]:
    """Run the named checks over the shift record, in the scenario's order."""
    results = []
    for name in names:
        phase = CHECK_PHASE[name]
        fn = _REGISTRY.get(name)
        if fn is None and phase in record.phases_run:
            results.append(CheckResult(name, False, None, None, f"not run: no {phase} check answers it yet"))
        elif fn is None or phase not in record.phases_run:
            reason = record.phases_skipped.get(phase, f"the {phase} phase did not run")
            results.append(CheckResult(name, False, None, None, f"not run: {reason}"))
        else:
            results.append(fn(record))
    return results

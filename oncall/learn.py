"""The learn phase: the postmortem (M31) and the regression eval it produces (M26).

An incident that does not change a test will happen again. The postmortem's "prevent" action item compiles
into a versioned regression case: an input and an expectation graded on the assistant's answer. It never names
a release; it is red on the bad release only because the assistant answers wrongly there, and green on the
last good release and on the fix. The case is written with the run's artifacts (``regressions/``); promoting it
into data/evals/regressions/ is a deliberate, separate step (``oncall eval --promote``).
"""
from __future__ import annotations

from datetime import timedelta

import yaml

from .checks import CheckResult, register
from .evals.harness import Case, _as_caseset, run_eval
from .incident_response.postmortem import SECTIONS, missing_sections, placeholders, write_postmortem
from .record import ShiftRecord

def regression_plan(record: ShiftRecord):
    """(file name, suite, roles) for the incident, from its cause kind: roles maps a role to (release, answer_fn
    or None, must pass). Red where the incident's cause is at work, green on what mitigated it and on the fix."""
    return record.cause.regression_plan(record)


def learn(record: ShiftRecord) -> None:
    sc = record.scenario
    record.phases_run.append("learn")
    if record.paged_incident is None:
        return
    inc = record.incidents[record.paged_incident]
    plan = regression_plan(record)
    name, suite, roles = plan if plan else (None, None, {})
    resolved = inc.time_of("resolved")
    written_at = (resolved + timedelta(minutes=30)) if resolved else sc.shift.end - timedelta(minutes=2)
    record.regression_name = name
    record.trace.emit(written_at, "M31", "learn", "postmortem.written",
                      f"Postmortem of {inc.id} written (postmortem.md): {len(SECTIONS)} sections, blameless, with "
                      f"action items typed mitigate / prevent / process.", incident=inc.id, case=name)
    if suite is None:
        return
    record.artifacts[f"regressions/{name}"] = yaml.safe_dump(suite, sort_keys=False, allow_unicode=True)
    cases = _as_caseset([Case.model_validate(c) for c in suite["cases"]])
    record.regression_results = {role: run_eval(cases, rel, answer_fn=fn) for role, (rel, fn, _) in roles.items()}
    record.regression_want = {role: want for role, (_, _, want) in roles.items()}
    verdicts = ", ".join(f"{'green' if r.passed else 'red'} on {role} {roles[role][0].version}"
                         for role, r in record.regression_results.items())
    record.trace.emit(written_at + timedelta(minutes=1), "M26", "learn", "eval.regression_added",
                      f"Regression eval {name} added from the postmortem's prevent item: {verdicts}.",
                      incident=inc.id, case=name)


def render(record: ShiftRecord) -> None:
    """Write postmortem.md once the trace is final, so its timeline cites the events' final seq numbers."""
    if "learn" in record.phases_run and record.paged_incident is not None:
        record.artifacts["postmortem.md"] = write_postmortem(record, record.regression_name)


@register("postmortem_complete")
def check_postmortem(record: ShiftRecord) -> CheckResult:
    md = record.artifacts.get("postmortem.md")
    if md is None:
        return CheckResult("postmortem_complete", False, 0, len(SECTIONS), "no postmortem was written")
    missing, filler = missing_sections(md), placeholders(md)
    inc = record.incidents[record.paged_incident]
    resolved = inc.time_of("resolved") is not None
    passed = not missing and not filler and resolved and "| prevent |" in md
    detail = (f"{len(SECTIONS) - len(missing)} of {len(SECTIONS)} sections"
              + (f", missing {', '.join(missing)}" if missing else "")
              + (f", placeholder text {filler}" if filler else "")
              + ("" if resolved else ", and the incident is not resolved") + ("" if "| prevent |" in md else
                                                                              ", no prevent action item"))
    return CheckResult("postmortem_complete", bool(passed), len(SECTIONS) - len(missing), len(SECTIONS), detail)


@register("regression_case_red_green")
def check_regression(record: ShiftRecord) -> CheckResult:
    results = record.regression_results
    if not results:
        return CheckResult("regression_case_red_green", False, None, "red on bad, green on last good and fix",
                           "no regression case was made")
    want = record.regression_want
    got = {role: r.passed for role, r in results.items()}
    passed = got == want
    detail = ", ".join(f"{role} {'green' if ok else 'red'}" for role, ok in got.items())
    expected = ", ".join(f"{role} {'green' if ok else 'red'}" for role, ok in want.items())
    return CheckResult("regression_case_red_green", passed, detail, expected,
                       detail + ("" if passed else f" (expected {expected})"))

"""Scenarios are data: ``data/scenarios/NAME.yaml`` fixes everything the shift's story depends on.

The model is ``oncall.scenario_model`` (field by field); ``load_scenario`` reads a file through it and then checks
what ties the scenario together and what it names elsewhere (``check_scenario``): its cause kind's own fields
(``oncall/causes/``), the story's order in time, its checks and break modes, the catalog's models, prompts and
tool schemas, the SLO files and the runbook. Any problem is one BadInput line naming the file, the field and what
was expected.
"""
from __future__ import annotations

import re

from pathlib import Path

import yaml
from pydantic import ValidationError

from . import yamlsafe
from .causes import DEFAULT_KIND, REGISTRY, cause_of, expected_kinds
from .counts import COUNT_COLUMNS
from .errors import BadInput
from .incident_response.runbooks import load_runbook
from .incident_response.slo import load_slo
from .paths import DATA_DIR, display, read_yaml, resolve
from .scenario_model import (BREAK_MODES, CHECK_NAMES, NAME, SEVERITIES, BreakMode, Cause, Faults, FixOverrides,
                             Index, OnCallChoices, Release, Releases, Scenario, Shift, Traffic, iso)
from .service.catalog import Catalog, load_catalog

__all__ = ["BREAK_MODES", "CHECK_NAMES", "SEVERITIES", "BreakMode", "Cause", "Faults", "FixOverrides", "Index",
           "OnCallChoices", "Release", "Releases", "Scenario", "Shift", "Traffic", "check_scenario",
           "list_scenarios", "load_scenario"]


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return loc, "unknown field"
    if err["type"] == "missing":
        return loc, "missing"
    if ": " in msg and not loc:
        loc, msg = msg.split(": ", 1)
    if "input" in err and err["type"] not in ("model_type",) and not isinstance(err["input"], dict):
        msg = f"{msg} (got {err['input']!r})"
    return loc or None, msg


def load_scenario(name_or_path: str | Path, catalog: Catalog | None = None) -> Scenario:
    """Load and validate a scenario by NAME (inside data/scenarios/) or PATH; BadInput on any problem."""
    path = resolve(str(name_or_path), "scenarios", "--scenario")
    where = display(path)
    doc = read_yaml(path, where)
    if not isinstance(doc, dict):
        raise BadInput(where, None, f"expected a mapping of scenario fields, got {type(doc).__name__}")
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        field, msg = _first_error(exc)
        raise BadInput(where, field, msg) from None
    if scenario.cause.kind is None:
        scenario = scenario.model_copy(update={"cause": scenario.cause.model_copy(update={"kind": DEFAULT_KIND})})
    check_scenario(scenario, where, catalog or load_catalog())
    return scenario


def check_scenario(scenario: Scenario, where: str, catalog: Catalog) -> None:
    """Everything a scenario's fields cannot say on their own, in order: its cause kind and that kind's fields,
    the story's order in time, its checks and break modes, then what it names in other files (the catalog, the SLO
    files, the runbook). BadInput names ``where`` and the field."""
    try:
        _story_holds(scenario)
    except ValueError as exc:
        field, msg = str(exc).split(": ", 1)
        raise BadInput(where, field, msg) from None
    for role in ("last_good", "bad", "fix"):
        if getattr(scenario.releases, role) is not None:
            _check_release(getattr(scenario.releases, role), catalog, where, f"releases.{role}")
    for mode, spec in scenario.break_modes.items():
        release = scenario.releases.fix.with_overrides(spec.fix_overrides.model_dump(exclude_none=True))
        _check_release(release, catalog, where, f"break_modes.{mode}.fix_overrides")
    for i, slo in enumerate(scenario.slos):
        if not NAME.match(slo) or not (DATA_DIR / "slos" / f"{slo}.yaml").is_file():
            raise BadInput(where, f"slos[{i}]", f"no SLO named {slo!r} in data/slos/")
    if not NAME.match(scenario.runbook) or not (DATA_DIR / "runbooks" / f"{scenario.runbook}.md").is_file():
        known = sorted(p.stem for p in (DATA_DIR / "runbooks").glob("*.md"))
        raise BadInput(where, "runbook", f"no runbook named {scenario.runbook!r} in data/runbooks/; expected one of "
                                         f"{', '.join(known)}")
    _check_slos_and_runbook(scenario)


def _story_holds(sc: Scenario) -> None:
    """The story's order: ValueError("field: what was expected") on the first problem."""
    if sc.cause.kind not in REGISTRY:
        raise ValueError(f"cause.kind: Input should be {expected_kinds()} (got {sc.cause.kind!r})")
    cause = cause_of(sc)
    cause.check()
    start, end = sc.shift.start, sc.shift.end
    onset = cause.onset_at
    good = sc.releases.last_good.deployed_at
    if good is None or good >= onset:
        raise ValueError("releases.last_good.deployed_at: expected a time before the incident starts")
    if not onset < sc.canary_at < end:
        raise ValueError(f"canary_at: expected a time after the incident starts and before the shift ends ({iso(end)})")
    for field, when, floor in (("min_rpm_at_deploy", onset, sc.traffic.min_rpm_at_deploy),
                               ("min_rpm_at_canary", sc.canary_at, sc.traffic.min_rpm_at_canary)):
        rpm = sc.traffic.rpm_at(when)
        if rpm < floor and not sc.traffic.low_traffic_lesson:
            raise ValueError(f"traffic.{field}: the traffic shape gives {rpm:.0f} rpm there, below {floor:g}")
    unknown = [c for c in sc.checks if c not in CHECK_NAMES]
    if unknown:
        raise ValueError(f"checks: unknown check {unknown[0]!r}; expected some of {', '.join(CHECK_NAMES)}")
    for mode, spec in sc.break_modes.items():
        # The course's modes (BREAK_MODES), or a learner's own: any lower-case name that changes the fix or the
        # on-call's choices (06_gate's exercise 2).
        if mode == "none" or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", mode):
            raise ValueError(f"break_modes.{mode}: expected one of {', '.join(BREAK_MODES[1:])}, or a lower-case "
                             "name of your own (letters, digits, '-'), not 'none'")
        if mode not in BREAK_MODES and not spec.fix_overrides.model_dump(exclude_none=True) \
                and spec.on_call == type(spec.on_call)():
            raise ValueError(f"break_modes.{mode}: changes nothing; expected one of fix_overrides, on_call")
        for field in ("must_fail", "may_fail"):
            stray = [c for c in getattr(spec, field) if c not in sc.checks]
            if stray:
                raise ValueError(f"break_modes.{mode}.{field}: {stray[0]!r} is not one of this scenario's checks")
def _check_slos_and_runbook(scenario: Scenario) -> None:
    """Read the scenario's SLO files and runbook now (BadInput names their file and field), so that a bad one
    stops the run before anything happens: every SLO counts columns the simulator emits, and the runbook
    verifies an SLO the scenario measures."""
    for name in scenario.slos:
        slo = load_slo(name)
        for part in ("good", "bad", "total"):
            column = getattr(slo, part)
            if column is not None and column not in COUNT_COLUMNS:
                raise BadInput(display(slo.source), f"spec.indicator.spec.ratioMetric.{part}.metricSource.spec.column",
                               f"unknown column {column!r}; expected one of {', '.join(COUNT_COLUMNS)}")
    runbook = load_runbook(scenario.runbook)
    for i, step in enumerate(runbook.steps):
        if step.kind == "verify" and step.slo not in scenario.slos:
            raise BadInput(runbook.source, f"steps[{i}].slo", f"{step.slo!r} is not one of the scenario's SLOs "
                                                             f"({', '.join(scenario.slos)})")


def _check_release(release: Release, catalog, where: str, field: str) -> None:
    for key, table in (("model", catalog.models), ("prompt", catalog.prompts), ("tool_schema", catalog.tool_schemas)):
        value = getattr(release, key)
        if value not in table:
            raise BadInput(where, f"{field}.{key}", f"unknown {key} {value!r}; expected one of {', '.join(sorted(table))}")


def list_scenarios() -> list[tuple[str, str]]:
    """(name, title) of every scenario in data/scenarios/, sorted by name; unreadable files are listed as such."""
    rows = []
    for path in sorted((DATA_DIR / "scenarios").glob("*.yaml")):
        try:
            doc = yamlsafe.safe_load(path.read_text(encoding="utf-8"))
            title = doc.get("title", "") if isinstance(doc, dict) else ""
        except yaml.YAMLError:
            title = "(not valid YAML)"
        rows.append((path.stem, str(title)))
    return rows

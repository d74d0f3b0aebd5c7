"""Scenarios are data: ``data/scenarios/NAME.yaml`` fixes everything the shift's story depends on.

The schema is the pydantic model below (field docs are in the README); ``load_scenario`` turns any problem
into one BadInput line naming the file, the field and what was expected.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import yamlsafe
from .errors import BadInput
from .paths import DATA_DIR, display, read_yaml, resolve

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")   # a name inside data/: no separator, no dots
BREAK_MODES = ("none", "errors", "latency", "quality", "skip-canary", "no-mitigation")
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
# Every gate check a scenario may name; which phase owns each is in oncall/checks.py.
CHECK_NAMES = (
    "page_fired", "storm_collapsed", "ticket_linked", "runbook_followed", "sli_recovered",
    "budget_within_limit", "postmortem_complete", "regression_case_red_green", "canary_promoted_on_pass",
    "same_incident", "index_fresh", "no_rollback",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Shift(_Strict):
    start: datetime
    length_h: float = Field(gt=0, le=48)

    @field_validator("start")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("expected a UTC time with a zone, like 2026-11-26T22:00:00Z")
        return value.astimezone(timezone.utc)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=self.length_h)

    @property
    def minutes(self) -> int:
        return int(round(self.length_h * 60))


class Traffic(_Strict):
    peak_rpm: float = Field(gt=0, le=10_000_000)
    trough_rpm: float = Field(ge=0)
    peak_hour_utc: float = Field(ge=0, lt=24)
    min_rpm_at_deploy: float = Field(ge=0, default=0)
    min_rpm_at_canary: float = Field(ge=0, default=0)
    low_traffic_lesson: bool = False

    def rpm_at(self, when: datetime) -> float:
        """Expected requests per minute at ``when``: a daily cosine between trough and peak."""
        hour = when.hour + when.minute / 60 + when.second / 3600
        phase = math.cos(2 * math.pi * (hour - self.peak_hour_utc) / 24)
        return self.trough_rpm + (self.peak_rpm - self.trough_rpm) * (1 + phase) / 2

    @model_validator(mode="after")
    def _order(self):
        if self.trough_rpm > self.peak_rpm:
            raise ValueError("trough_rpm: expected at most peak_rpm")
        return self


class Index(_Strict):
    nightly_build_utc: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    last_build: datetime
    build_fails_from: datetime | None = None


class Release(_Strict):
    version: str = Field(min_length=1)
    deployed_at: datetime | None = None
    model: str
    prompt: str
    tool_schema: str
    index: str = "kb-live"
    # manual: a provider outage waits for the on-call's failover; auto: the client fails over by itself
    provider_failover: Literal["manual", "auto"] = "manual"

    def with_overrides(self, overrides: dict) -> "Release":
        return self.model_copy(update=overrides)

    def config(self, every_field: bool = False) -> dict:
        """The release's config, as the trace and the postmortem show it: ``provider_failover`` only when it is not
        the default "manual", unless ``every_field``."""
        config = {"model": self.model, "prompt": self.prompt, "tool_schema": self.tool_schema, "index": self.index}
        if every_field or self.provider_failover != "manual":
            config["provider_failover"] = self.provider_failover
        return config

    def changes_from(self, other: "Release") -> list[tuple[str, str, str]]:
        """(field, ``other``'s value, this release's value) for every config field that differs, in config order;
        a failover switched between "manual" and "auto" counts as a change either way."""
        mine, theirs = self.config(every_field=True), other.config(every_field=True)
        return [(k, theirs[k], v) for k, v in mine.items() if theirs[k] != v]


class Releases(_Strict):
    last_good: Release
    bad: Release | None = None      # the release that causes the incident (cause kind ``deploy`` only)
    fix: Release


class Cause(_Strict):
    """What starts the incident. ``deploy``: the bad release ships (``releases.bad.deployed_at``).
    ``stale-index``: the nightly index build fails silently from ``index.build_fails_from`` on.
    ``provider-outage``: the model provider fails ``error_ratio`` of calls from ``starts_at`` to ``ends_at``."""

    kind: Literal["deploy", "stale-index", "provider-outage"] = "deploy"
    provider: str = "primary"
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    error_ratio: float = Field(default=0.0, ge=0, le=1)


class FixOverrides(_Strict):
    model: str | None = None
    prompt: str | None = None
    tool_schema: str | None = None
    index: str | None = None
    provider_failover: Literal["manual", "auto"] | None = None


class OnCallChoices(_Strict):
    """What the on-call chooses to do. A break mode may change these; so may a learner's widget."""

    mitigate: bool = True                                   # carry out the runbook's action at all
    action: Literal["runbook", "rollback", "restart", "wait", "flag_off", "reindex", "failover"] = "runbook"
    delay_min: float = Field(default=0, ge=0, le=600)       # extra minutes before the runbook starts
    skip_canary: bool = False


class Faults(_Strict):
    """Faults in the operating tools themselves (each answered by the runbook and traced)."""

    rollback_failures: int = Field(default=0, ge=0, le=5)   # rollback attempts that fail (old config pruned)
    pager_unacknowledged: bool = False                      # the primary never acknowledges: the page escalates
    bad_index_builds: int = Field(default=0, ge=0, le=5)    # reindex builds that come out broken (fail validation)
    canary_metrics_missing_min: float = Field(default=0, ge=0, le=1440)  # the canary's metrics are lost for this
    #                                                       long after it starts (the metrics pipeline drops them)


class BreakMode(_Strict):
    description: str
    fix_overrides: FixOverrides = FixOverrides()
    on_call: OnCallChoices = OnCallChoices()
    must_fail: list[str] = Field(min_length=1)
    # Checks that may also turn red on some seeds (a known limitation, named so it cannot hide): the red set must
    # hold every must_fail check and nothing outside must_fail + may_fail.
    may_fail: list[str] = []

    def explains(self, red: set[str]) -> bool:
        """Does this mode account for exactly the red checks ``red``?"""
        return set(self.must_fail) <= red <= set(self.must_fail) | set(self.may_fail)


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    seed: int = Field(ge=0, default=0)
    shift: Shift
    traffic: Traffic
    index: Index
    releases: Releases
    cause: Cause = Cause()
    canary_at: datetime
    slos: list[str] = Field(min_length=1)
    runbook: str
    expected_severity: Literal["SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5"]
    budget_limit_pct: float = Field(gt=0, le=100)
    # storm_collapsed's bar. The night's ~8-10 background incidents reach the on-call whatever the outage, so a
    # small outage storm (a few hundred notifications) cannot reach the big storm's 98 %.
    noise_reduction_min_pct: float = Field(default=98.0, gt=0, lt=100)
    checks: list[str] = Field(min_length=1)
    break_modes: dict[str, BreakMode] = {}
    faults: Faults = Faults()

    @model_validator(mode="after")
    def _story_holds(self):
        start, end = self.shift.start, self.shift.end
        kind = self.cause.kind
        if kind == "deploy":
            if self.releases.bad is None:
                raise ValueError("releases.bad: expected the release that causes the incident (cause kind deploy)")
            if self.releases.bad.deployed_at is None:
                raise ValueError("releases.bad.deployed_at: expected the time the bad release ships")
            if not start <= self.releases.bad.deployed_at < end:
                raise ValueError(f"releases.bad.deployed_at: expected a time inside the shift ({_iso(start)} to {_iso(end)})")
        elif kind == "stale-index":
            if self.index.build_fails_from is None:
                raise ValueError("index.build_fails_from: expected the time the nightly build starts failing "
                                 "(cause kind stale-index)")
            if not start <= self.onset_at < end:
                raise ValueError(f"index.build_fails_from: expected the first failing nightly build inside the shift "
                                 f"({_iso(start)} to {_iso(end)})")
        else:
            if self.cause.starts_at is None or not start <= self.cause.starts_at < end:
                raise ValueError(f"cause.starts_at: expected a time inside the shift ({_iso(start)} to {_iso(end)})")
            if self.cause.ends_at is not None and self.cause.ends_at <= self.cause.starts_at:
                raise ValueError("cause.ends_at: expected a time after cause.starts_at")
            if self.cause.error_ratio <= 0:
                raise ValueError("cause.error_ratio: expected the share of calls the provider fails, above 0")
        deploy = self.onset_at
        good = self.releases.last_good.deployed_at
        if good is None or good >= deploy:
            raise ValueError("releases.last_good.deployed_at: expected a time before the incident starts")
        if not deploy < self.canary_at < end:
            raise ValueError(f"canary_at: expected a time after the incident starts and before the shift ends ({_iso(end)})")
        for field, when, floor in (("min_rpm_at_deploy", deploy, self.traffic.min_rpm_at_deploy),
                                   ("min_rpm_at_canary", self.canary_at, self.traffic.min_rpm_at_canary)):
            rpm = self.traffic.rpm_at(when)
            if rpm < floor and not self.traffic.low_traffic_lesson:
                raise ValueError(f"traffic.{field}: the traffic shape gives {rpm:.0f} rpm there, below {floor:g}")
        unknown = [c for c in self.checks if c not in CHECK_NAMES]
        if unknown:
            raise ValueError(f"checks: unknown check {unknown[0]!r}; expected some of {', '.join(CHECK_NAMES)}")
        for mode, spec in self.break_modes.items():
            if mode not in BREAK_MODES or mode == "none":
                raise ValueError(f"break_modes.{mode}: expected one of {', '.join(BREAK_MODES[1:])}")
            for field in ("must_fail", "may_fail"):
                stray = [c for c in getattr(spec, field) if c not in self.checks]
                if stray:
                    raise ValueError(f"break_modes.{mode}.{field}: {stray[0]!r} is not one of this scenario's checks")
        return self

    @property
    def onset_at(self) -> datetime:
        """When the incident's cause starts: the bad deploy, the first failed nightly build, the provider outage."""
        if self.cause.kind == "deploy":
            return self.releases.bad.deployed_at
        if self.cause.kind == "stale-index":
            return self.first_failed_build
        return self.cause.starts_at

    @property
    def first_failed_build(self) -> datetime:
        """The first nightly build at or after ``index.build_fails_from``."""
        hh, mm = (int(x) for x in self.index.nightly_build_utc.split(":"))
        fails = self.index.build_fails_from.astimezone(timezone.utc)
        at = fails.replace(hour=hh, minute=mm, second=0, microsecond=0)
        return at if at >= fails else at + timedelta(days=1)

    @property
    def cause_label(self) -> str:
        """The ground-truth cause the storm's and the burn alerts' ``true_cause`` carry (the correlator never
        reads it): ``release:V``, ``index:stale`` or ``provider:NAME``."""
        if self.cause.kind == "deploy":
            return f"release:{self.releases.bad.version}"
        if self.cause.kind == "stale-index":
            return "index:stale"
        return f"provider:{self.cause.provider}"

    def fix_release(self, mode: str = "none") -> Release:
        """The fix as it ships under a break mode (the mode changes only its config)."""
        if mode == "none":
            return self.releases.fix
        overrides = self.break_modes[mode].fix_overrides.model_dump(exclude_none=True)
        return self.releases.fix.with_overrides(overrides)

    def with_faults(self, **faults) -> "Scenario":
        """This scenario with some of its faults changed and the others kept, e.g. ``with_faults(rollback_failures=2)``;
        the faults are validated as a scenario file's are (an unknown name or a bad value raises)."""
        return self.model_copy(update={"faults": Faults.model_validate({**self.faults.model_dump(), **faults})})

    def on_call(self, mode: str = "none") -> OnCallChoices:
        return OnCallChoices() if mode == "none" else self.break_modes[mode].on_call

    def check_break_mode(self, mode: str) -> None:
        if mode != "none" and mode not in self.break_modes:
            supported = ", ".join(["none", *self.break_modes])
            raise BadInput("--break", None, f"scenario {self.name} does not support {mode!r}; expected one of {supported}")


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def load_scenario(name_or_path: str | Path, catalog=None) -> Scenario:
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
    from .service.catalog import load_catalog  # the catalog names what a release may pick

    catalog = catalog or load_catalog()
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
    return scenario


def _check_slos_and_runbook(scenario: Scenario) -> None:
    """Read the scenario's SLO files and runbook now (BadInput names their file and field), so that a bad one
    stops the run before anything happens: every SLO counts columns the simulator emits, and the runbook
    verifies an SLO the scenario measures."""
    from .incident_response.runbooks import load_runbook
    from .incident_response.slo import load_slo
    from .service.simulate import COUNT_COLUMNS

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

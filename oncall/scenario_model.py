"""The scenario model: ``data/scenarios/NAME.yaml`` fixes everything the shift's story depends on.

The schema is the pydantic model below (field docs are in the README). It checks each field on its own; what ties
a scenario together (its cause kind's own fields, the story's order in time, its checks and break modes) and what
it names in other files (the catalog, the SLOs, the runbook) are checked by ``oncall.scenario.load_scenario``,
above the simulator, the catalog and the cause kinds. This module imports nothing of them.
"""
from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .checks import CHECK_PHASE
from .errors import BadInput

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")   # a name inside data/: no separator, no dots
BREAK_MODES = ("none", "errors", "latency", "quality", "skip-canary", "no-mitigation")
SEVERITIES = ("SEV-1", "SEV-2", "SEV-3", "SEV-4", "SEV-5")
CHECK_NAMES = tuple(CHECK_PHASE)   # every gate check a scenario may name: the registry's (oncall/checks.py)


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
    # Bursty, overdispersed failures (off: None): each minute and release, the chances of an error and of a slow
    # request are multiplied by a Gamma(k, 1/k) factor (mean 1, variance 1/k), so counts are negative-binomial-like.
    burst_dispersion: float | None = Field(default=None, gt=0)

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
    bad: Release | None = None      # the release that causes the incident (when a release is the cause)
    fix: Release


class Cause(_Strict):
    """What starts the incident: ``kind`` names a module of ``oncall/causes/`` (the README lists them), which says
    which of the other fields it reads and checks them."""

    kind: str | None = None   # None: the default kind (oncall.causes.DEFAULT_KIND), filled in by the loader
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
    # storm_collapsed's bar, on distinct alerts (noise_reduction_distinct_pct: 1 - incidents for the on-call /
    # distinct alert fingerprints), never on Alertmanager's re-sends. The night's background incidents reach the
    # on-call whatever the outage, so a small outage storm cannot reach the big storm's figure.
    noise_reduction_min_pct: float = Field(default=95.0, gt=0, lt=100)
    checks: list[str] = Field(min_length=1)
    break_modes: dict[str, BreakMode] = {}
    faults: Faults = Faults()

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


def iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

"""Runbooks as data (M31): Markdown with YAML front matter in data/runbooks/.

The front matter is what the on-call follows: the incident signature that selects the runbook, diagnosis
steps, the action, the verification (SLI back inside its objective for N minutes, the burn alert cleared) and
the escalation when the action fails. The Markdown body is the same procedure for people.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import datafile, yamlsafe
from ..errors import BadInput
from ..paths import DATA_DIR, display, resolve

ACTIONS = ("rollback", "restart", "wait", "flag_off", "redeploy", "reindex", "failover")
CHECKS = ("recent_deploys", "errors_by_release", "config_diff", "latency_by_release", "quality_by_release",
          "index_age", "provider_health")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


DAY_MIN = 1440  # no step of a runbook takes, waits or holds longer than a day


class Signature(_Strict):
    alertname: str
    slo: list[str] = Field(min_length=1)
    deploy_within_min: float | None = Field(default=None, gt=0)


class Step(_Strict):
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: Literal["diagnose", "act", "verify"]
    says: str
    takes_min: float = Field(default=1, ge=0, le=DAY_MIN)
    check: str | None = None
    action: str | None = None
    retries: int = Field(default=0, ge=0, le=5)
    flag: str | None = None
    slo: str | None = None
    within_objective_for_min: float | None = Field(default=None, gt=0, le=DAY_MIN)
    timeout_min: float | None = Field(default=None, gt=0, le=DAY_MIN)

    @model_validator(mode="after")
    def _complete(self):
        if self.kind == "diagnose" and self.check not in CHECKS:
            raise ValueError(f"check: expected one of {', '.join(CHECKS)}, got {self.check!r}")
        if self.kind == "act" and self.action not in ACTIONS:
            raise ValueError(f"action: expected one of {', '.join(ACTIONS)}, got {self.action!r}")
        if self.kind == "verify" and (self.slo is None or self.within_objective_for_min is None or self.timeout_min is None):
            raise ValueError("verify: expected slo, within_objective_for_min and timeout_min")
        return self

    def does(self) -> str:
        """What the step reads or does, in one line: its check, its action, or what it verifies and for how long
        (taught in 03_mitigate, the runbook's steps table)."""
        if self.kind == "verify":
            return (f"{self.slo} inside its objective for {self.within_objective_for_min:g} min "
                    f"(timeout {self.timeout_min:g})")
        return self.check or self.action


class Escalation(_Strict):
    to: list[str] = Field(min_length=1)
    when: str
    fallback_action: str
    fallback_takes_min: float = Field(ge=0, le=DAY_MIN)
    says: str

    @model_validator(mode="after")
    def _known(self):
        if self.fallback_action not in ACTIONS:
            raise ValueError(f"fallback_action: expected one of {', '.join(ACTIONS)}, got {self.fallback_action!r}")
        return self


class Runbook(_Strict):
    id: str
    title: str
    signature: Signature
    steps: list[Step] = Field(min_length=1)
    escalation: Escalation
    body: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _shape(self):
        kinds = [s.kind for s in self.steps]
        if kinds.count("act") != 1:
            raise ValueError("steps: expected exactly one act step")
        if "verify" not in kinds:
            raise ValueError("steps: expected a verify step (how do we know the action worked?)")
        if kinds.index("verify") < kinds.index("act"):
            raise ValueError("steps: the verify step must come after the act step")
        return self

    @property
    def action_step(self) -> Step:
        return next(s for s in self.steps if s.kind == "act")

    @property
    def verify_step(self) -> Step:
        return next(s for s in self.steps if s.kind == "verify")

    def matches(self, alertname: str, slo: str, minutes_since_deploy: float | None) -> bool:
        """Does an incident with this page (alert name, SLO) and deploy history fit the runbook's signature?"""
        sig = self.signature
        if alertname != sig.alertname or slo not in sig.slo:
            return False
        if sig.deploy_within_min is not None:
            return minutes_since_deploy is not None and 0 <= minutes_since_deploy <= sig.deploy_within_min
        return True


def parse_runbook(text: str, where: str) -> Runbook:
    parts = text.split("---", 2)
    if len(parts) != 3 or parts[0].strip():
        raise BadInput(where, None, "expected YAML front matter between --- lines at the top")
    try:
        meta = yamlsafe.safe_load(parts[1])
    except (yaml.YAMLError, RecursionError) as exc:
        raise BadInput(where, "front matter", f"not valid YAML ({(str(exc) or type(exc).__name__).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise BadInput(where, "front matter", "expected a mapping")
    return datafile.validate(Runbook, {**meta, "body": parts[2].strip(), "source": where}, where)


@lru_cache(maxsize=16)
def load_runbook(name_or_path: str) -> Runbook:
    path = resolve(str(name_or_path), "runbooks", "runbook", suffix=".md")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(display(path), None, "not UTF-8 text (a runbook is Markdown with YAML front matter)") from None
    return parse_runbook(text, display(path))


def all_runbooks() -> list[Runbook]:
    return [load_runbook(p.stem) for p in sorted((DATA_DIR / "runbooks").glob("*.md"))]

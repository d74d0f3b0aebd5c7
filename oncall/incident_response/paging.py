"""Paging (M31): severity from impact by metric-driven definitions, and who is paged and when.

The burn-rate engine (``burn.py``) says *that* the budget is burning fast enough to wake someone; this module
says *how bad* it is (SEV-1 ... SEV-5, PagerDuty's levels, decided by numbers rather than by mood) and *who*
answers: the primary acknowledges, a page left unacknowledged escalates to the secondary, and a major
incident also pages an incident commander.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from .. import datafile
from ..paths import DATA_DIR, display


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SeverityRule(_Strict):
    severity: str = Field(pattern=r"^SEV-[1-5]$")
    meaning: str
    alert: str = Field(pattern=r"^(page|ticket|none)$")
    impact_pct_at_least: float = Field(ge=0, le=100)
    slos: list[str] | None = None    # only for pages on these SLOs (None: any SLO)


class Person(_Strict):
    name: str
    handle: str


class Schedule(_Strict):
    primary: Person
    secondary: Person
    incident_commander: Person
    ack_delay_min: float = Field(ge=0)
    escalate_after_min: float = Field(gt=0)


class IncidentRoles(_Strict):
    """A major incident's roles beside the commander, its update cadence, and when a stalled one is re-paged."""
    comms: Person
    scribe: Person
    update_every_min: float = Field(gt=0)
    stalled_after_min: float = Field(gt=0)
    escalate_stalled_to: Person


class PagingPolicy(_Strict):
    severities: list[SeverityRule] = Field(min_length=1)
    major: list[str]
    schedule: Schedule
    incident_roles: IncidentRoles

    def severity_for(self, alert: str, impact_pct: float, slo: str | None = None) -> tuple[str, str]:
        """(severity, the reason that decided it) for an alert tier severity and an impact in percent."""
        rank = {"page": 2, "ticket": 1, "none": 0}
        for rule in self.severities:
            if rule.slos is not None and slo is not None and slo not in rule.slos:
                continue
            if rank[alert] >= rank[rule.alert] and impact_pct >= rule.impact_pct_at_least:
                reason = (f"a {alert} alert with {impact_pct:.1f} % of events bad (at least "
                          f"{rule.impact_pct_at_least:g} % makes {rule.severity}: {rule.meaning})")
                return rule.severity, reason
        return self.severities[-1].severity, "no rule matched"


@lru_cache(maxsize=2)
def load_policy(path: str | None = None) -> PagingPolicy:
    file = DATA_DIR / "paging.yaml" if path is None else path
    where = display(file)
    return datafile.load(PagingPolicy, file, where)


@dataclass(frozen=True)
class PageOutcome:
    """Who was paged and what they did: the acknowledgement, or the escalation when there was none."""

    paged: str
    acknowledged_by: str
    acknowledged_at: datetime
    escalated_at: datetime | None
    commander: str | None


def respond(policy: PagingPolicy, severity: str, paged_at: datetime, primary_answers: bool = True) -> PageOutcome:
    """The primary acknowledges after ack_delay_min unless that is past escalate_after_min (or they never
    answer): then the page escalates and the secondary acknowledges ack_delay_min after the escalation."""
    sch = policy.schedule
    commander = sch.incident_commander.name if severity in policy.major else None
    if primary_answers and sch.ack_delay_min <= sch.escalate_after_min:
        return PageOutcome(sch.primary.name, sch.primary.name, paged_at + timedelta(minutes=sch.ack_delay_min),
                           None, commander)
    escalated = paged_at + timedelta(minutes=sch.escalate_after_min)
    return PageOutcome(sch.primary.name, sch.secondary.name, escalated + timedelta(minutes=sch.ack_delay_min),
                       escalated, commander)

"""Burn-rate alert tiers (course module M31): ``data/alerting/burn_rate_tiers.yaml`` read and validated.

A tier fires while the burn rate over BOTH its long and its short window is at or above its threshold (the SRE
Workbook's table 5-8); ``burn.evaluate`` runs the tiers over counts. ``load_tiers`` raises BadInput naming the
file and the field.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .. import datafile
from ..durations import parse_duration_min
from ..errors import BadInput
from ..paths import DATA_DIR, cached_per_file_version, display, resolve

TIERS_FILE = DATA_DIR / "alerting" / "burn_rate_tiers.yaml"
SEVERITIES = ("page", "ticket")
PERIOD_30D_MIN = 30 * 1440  # the workbook's tiers are stated for a 30-day SLO period


# ----------------------------------------------------------------------------------------------- tiers

@dataclass(frozen=True)
class Tier:
    """One alert tier: fires while both windows burn at or above ``burn_rate``.

    ``burn_rate`` is the threshold for an SLO over ``base_period_min`` (30 days for the workbook's tiers);
    ``threshold(period_min)`` rescales it for another period. ``min_requests`` is the low-traffic guard: the
    least number of events the short window must hold for the tier to page rather than warn.
    """

    name: str
    severity: str
    long_window_min: int
    short_window_min: int
    burn_rate: float
    min_requests: int = 0
    base_period_min: int = PERIOD_30D_MIN
    comment: str = ""

    def threshold(self, period_min: float) -> float:
        """The burn-rate threshold for an SLO over ``period_min`` minutes.

        The windows stay; the threshold scales with the period so that the budget consumed when the tier
        fires, threshold x long window / period, is the same share as in the base period.
        """
        return self.burn_rate * period_min / self.base_period_min

    @property
    def budget_share(self) -> float:
        """The share of the period's budget (0-1) spent by the time the tier fires at its threshold."""
        return self.burn_rate * self.long_window_min / self.base_period_min


def _minutes(value) -> int:
    try:
        return parse_duration_min(value, "", "")
    except BadInput as exc:                     # the model's own words; the loader adds the field and the value
        raise ValueError(exc.expected.split(", got ")[0]) from None


Minutes = Annotated[int, BeforeValidator(_minutes)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _TierDoc(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    severity: Literal[SEVERITIES]
    long_window: Minutes
    short_window: Minutes
    burn_rate: float = Field(gt=0, strict=True)
    min_requests: int | None = Field(default=None, ge=0, strict=True)   # None: the file's min_requests
    comment: str = ""

    @model_validator(mode="after")
    def _short_inside_long(self):
        if self.short_window >= self.long_window:
            raise ValueError(f"short_window: expected a window shorter than long_window ({self.long_window} min)")
        return self


class _TiersFile(_Strict):
    period: Minutes = PERIOD_30D_MIN
    min_requests: int = Field(default=0, ge=0, strict=True)
    tiers: list[_TierDoc] = Field(min_length=1)


def load_tiers(path: str | Path | None = None) -> list[Tier]:
    """Read and validate alert tiers (``data/alerting/burn_rate_tiers.yaml`` when ``path`` is None).

    ``path`` is a NAME inside ``data/alerting/`` or a PATH. Any problem raises BadInput naming the file and
    the field (e.g. ``tiers[1].burn_rate``).
    """
    file = TIERS_FILE if path is None else resolve(str(path), "alerting", "--tiers")
    return list(_tiers_of(file, display(file)))


@cached_per_file_version
def _tiers_of(file, where: str) -> tuple[Tier, ...]:
    """``load_tiers`` of one file, parsed once per version of it (tiers are immutable; every shift reads them)."""
    doc = datafile.load(_TiersFile, Path(file), where)
    seen: set[str] = set()
    for i, tier in enumerate(doc.tiers):
        if tier.name in seen:
            raise BadInput(where, f"tiers[{i}].name", f"duplicate tier name {tier.name!r}")
        seen.add(tier.name)
    return tuple(Tier(name=t.name, severity=t.severity, long_window_min=t.long_window,
                      short_window_min=t.short_window, burn_rate=float(t.burn_rate),
                      min_requests=doc.min_requests if t.min_requests is None else t.min_requests,
                      base_period_min=doc.period, comment=t.comment) for t in doc.tiers)

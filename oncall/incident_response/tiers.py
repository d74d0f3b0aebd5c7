"""Burn-rate alert tiers (course module M31): ``data/alerting/burn_rate_tiers.yaml`` read and validated.

A tier fires while the burn rate over BOTH its long and its short window is at or above its threshold (the SRE
Workbook's table 5-8); ``burn.evaluate`` runs the tiers over counts. ``load_tiers`` raises BadInput naming the
file and the field.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import yamlsafe
from ..durations import parse_duration_min
from ..errors import BadInput
from ..paths import DATA_DIR, display, resolve

TIERS_FILE = DATA_DIR / "alerting" / "burn_rate_tiers.yaml"
SEVERITIES = ("page", "ticket")
PERIOD_30D_MIN = 30 * 1440  # the workbook's tiers are stated for a 30-day SLO period
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_TIER_KEYS = {"name", "severity", "long_window", "short_window", "burn_rate", "min_requests", "comment"}


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


def load_tiers(path: str | Path | None = None) -> list[Tier]:
    """Read and validate alert tiers (``data/alerting/burn_rate_tiers.yaml`` when ``path`` is None).

    ``path`` is a NAME inside ``data/alerting/`` or a PATH. Any problem raises BadInput naming the file and
    the field (e.g. ``tiers[1].burn_rate``).
    """
    file = TIERS_FILE if path is None else resolve(str(path), "alerting", "--tiers")
    where = display(file)
    doc = _read_yaml(file, where)
    if not isinstance(doc, dict):
        raise BadInput(where, None, "expected a mapping with period, min_requests and tiers")
    _no_unknown_keys(doc, {"period", "min_requests", "tiers"}, where, "")
    base_period_min = parse_duration_min(doc.get("period", "30d"), where, "period")
    min_requests = _count(doc.get("min_requests", 0), where, "min_requests")
    nodes = doc.get("tiers")
    if not isinstance(nodes, list) or not nodes:
        raise BadInput(where, "tiers", "expected a non-empty list of tiers")
    tiers = [_tier(node, f"tiers[{i}]", where, base_period_min, min_requests) for i, node in enumerate(nodes)]
    seen: set[str] = set()
    for i, tier in enumerate(tiers):
        if tier.name in seen:
            raise BadInput(where, f"tiers[{i}].name", f"duplicate tier name {tier.name!r}")
        seen.add(tier.name)
    return tiers


def _read_yaml(file: Path, where: str):
    try:
        return yamlsafe.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadInput(where, None, f"not valid YAML ({str(exc).splitlines()[0]})") from None
    except UnicodeDecodeError:
        raise BadInput(where, None, "not UTF-8 text") from None


def _no_unknown_keys(node: dict, allowed: set[str], where: str, prefix: str) -> None:
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        field = f"{prefix}.{unknown[0]}" if prefix else unknown[0]
        raise BadInput(where, field, f"unknown field; expected one of {', '.join(sorted(allowed))}")


def _count(value, where: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInput(where, field, f"expected a whole number >= 0, got {value!r}")
    return value


def _tier(node, field: str, where: str, base_period_min: int, min_requests: int) -> Tier:
    if not isinstance(node, dict):
        raise BadInput(where, field, "expected a mapping with name, severity, long_window, short_window, burn_rate")
    _no_unknown_keys(node, _TIER_KEYS, where, field)
    for key in ("name", "severity", "long_window", "short_window", "burn_rate"):
        if key not in node:
            raise BadInput(where, f"{field}.{key}", "missing")
    name = node["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadInput(where, f"{field}.name", f"expected a name of letters, digits, - and _, got {name!r}")
    if node["severity"] not in SEVERITIES:
        raise BadInput(where, f"{field}.severity", f"expected one of {', '.join(SEVERITIES)}, got {node['severity']!r}")
    long_min = parse_duration_min(node["long_window"], where, f"{field}.long_window")
    short_min = parse_duration_min(node["short_window"], where, f"{field}.short_window")
    if short_min >= long_min:
        raise BadInput(where, f"{field}.short_window",
                       f"expected a window shorter than long_window ({node['long_window']})")
    burn = node["burn_rate"]
    if isinstance(burn, bool) or not isinstance(burn, (int, float)) or not math.isfinite(burn) or burn <= 0:
        raise BadInput(where, f"{field}.burn_rate", f"expected a number above 0, got {burn!r}")
    return Tier(
        name=name, severity=node["severity"], long_window_min=long_min, short_window_min=short_min,
        burn_rate=float(burn),
        min_requests=_count(node.get("min_requests", min_requests), where, f"{field}.min_requests"),
        base_period_min=base_period_min, comment=str(node.get("comment") or ""),
    )

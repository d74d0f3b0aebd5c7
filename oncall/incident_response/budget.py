"""The error budget (course module M31): how much of it is spent, and what the error-budget policy lets ship.

An SLO with objective o allows a share ``budget_ratio = 1 - o`` of its events to be bad over its period; the
budget is that share of the period's events. Every "% of the budget spent" in the course is one division:

    spent % = 100 x bad events / (budget_ratio x the period's events)

and differs only in which bad events count (all of them, or those above a pre-incident baseline) and where the
period's events come from (the traffic model's daily mean, or the series' own mean rate). The burn engine
(``burn.evaluate``), the mitigate phase (the incident's spend), the ship phase (where the rolling budget stands
at the canary, read against the policy in ``data/policy/error_budget.yaml``) and the plots all compute it here.

The policy follows the example error-budget policy of Google's SRE Workbook: past a line of budget spent, only
reliability fixes ship, and only through the canary.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .. import datafile
from ..paths import DATA_DIR, display

POLICY = DATA_DIR / "policy" / "error_budget.yaml"


# --- the arithmetic --------------------------------------------------------------------------------------------

def mean_rpm(traffic) -> float:
    """The traffic model's daily mean rate, requests a minute: halfway between its peak and its trough."""
    return (traffic.peak_rpm + traffic.trough_rpm) / 2


def period_events(traffic, period_min: float) -> float:
    """The events the traffic model expects over an SLO period of ``period_min`` minutes."""
    return mean_rpm(traffic) * period_min


def spent_pct(bad, budget_ratio: float, period_total: float, out: np.ndarray | None = None):
    """Bad events as % of the budget: 100 x bad / (budget_ratio x period_total). ``bad`` may be a number or an
    array (then ``out``, if given, receives the result in place)."""
    if out is None:
        return 100 * bad / (budget_ratio * period_total)
    np.multiply(bad, 100.0, out=out)
    out /= budget_ratio * period_total
    return out


def incident_spent_pct(bad: np.ndarray, total: np.ndarray, start: int, end: int, budget_ratio: float,
                       period_total: float) -> float:
    """The budget an incident spent: bad events in minutes [start, end) above the error ratio of the minutes
    before ``start`` (the pre-incident baseline), as % of the budget; never below 0."""
    base_bad, base_total = bad[:start].sum(), total[:start].sum()
    baseline = base_bad / base_total if base_total else 0.0
    excess = max(0.0, float(bad[start:end].sum() - baseline * total[start:end].sum()))
    return spent_pct(excess, budget_ratio, period_total)


def rolling_spent_pct(hist_bad: np.ndarray, hist_total: np.ndarray, bad: np.ndarray, minute: int, rpm: float,
                      budget_ratio: float, period_min: int) -> tuple[float, int]:
    """The share of the rolling period's budget spent by minute ``minute`` of a series that follows a
    history: the history's and the series' bad events so far, plus, for the part of the period not observed,
    the history's own error ratio at ``rpm`` events a minute (an estimate). Returns (spent %, minutes
    observed)."""
    observed_min = len(hist_total) + minute
    hist_ratio = hist_bad.sum() / hist_total.sum() if hist_total.sum() else 0.0
    unobserved = max(period_min - observed_min, 0) * rpm * hist_ratio
    spent = 100 * (hist_bad.sum() + bad[:minute].sum() + unobserved) / (budget_ratio * rpm * period_min)
    return float(max(spent, 0.0)), observed_min


# --- the error-budget policy -------------------------------------------------------------------------------------

class BudgetPolicy(BaseModel):
    """``data/policy/error_budget.yaml``: past ``restrict_at_spent_pct`` % of the budget spent, only releases of
    ``allowed_kinds`` ship, and (``canary_required``) only through the canary."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    slo: str = "availability"
    restrict_at_spent_pct: float = Field(gt=0, le=100, strict=True)
    allowed_kinds: tuple[str, ...] = ("fix",)
    canary_required: bool = True


@dataclass(frozen=True)
class BudgetStanding:
    """Where the 30-day error budget stands at a moment, and what the policy lets ship."""

    slo: str
    spent_pct: float
    remaining_pct: float
    line_pct: float
    restricted: bool
    observed_days: float                  # days of the window actually simulated; the rest is estimated

    def allows(self, kind: str, through_canary: bool, policy: BudgetPolicy) -> tuple[bool, str]:
        if not self.restricted:
            return True, f"budget {self.spent_pct:.1f} % spent, under the policy's line of {self.line_pct:g} %"
        if kind not in policy.allowed_kinds:
            return False, (f"budget {self.spent_pct:.1f} % spent, past the line of {self.line_pct:g} %: only "
                           f"{', '.join(policy.allowed_kinds)} releases ship")
        if policy.canary_required and not through_canary:
            return False, (f"budget {self.spent_pct:.1f} % spent, past the line of {self.line_pct:g} %: a fix ships "
                           f"only through the canary")
        return True, (f"budget {self.spent_pct:.1f} % spent, past the line of {self.line_pct:g} %: a fix through "
                      f"the canary may ship")


def load_policy(path: str | Path = POLICY) -> BudgetPolicy:
    """Read data/policy/error_budget.yaml; BadInput names the file and field."""
    return datafile.load(BudgetPolicy, path, display(Path(path)))


def standing(hist_bad: np.ndarray, hist_total: np.ndarray, bad: np.ndarray, minute: int, rpm: float, slo,
             policy: BudgetPolicy) -> BudgetStanding:
    """Where the rolling budget of ``slo`` stands at ``minute`` (see ``rolling_spent_pct``), read against the
    policy's line."""
    spent, observed_min = rolling_spent_pct(hist_bad, hist_total, bad, minute, rpm, slo.budget_ratio, slo.period_min)
    return BudgetStanding(policy.slo, round(spent, 2), round(max(100 - spent, 0.0), 2), policy.restrict_at_spent_pct,
                          spent >= policy.restrict_at_spent_pct, round(min(observed_min, slo.period_min) / 1440, 2))


__all__ = ["POLICY", "mean_rpm", "period_events", "spent_pct", "incident_spent_pct", "rolling_spent_pct",
           "BudgetPolicy", "BudgetStanding", "load_policy", "standing"]

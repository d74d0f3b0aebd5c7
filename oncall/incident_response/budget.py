"""The error budget (course module M31): how much of it is spent, and what the error-budget policy lets ship.

An SLO with objective o allows a share ``budget_ratio = 1 - o`` of its events to be bad over its period; the
budget is that share of the period's events. The course prints exactly two budget figures, named the same way
everywhere (``spent_words``, ``left_words``):

- **spent by the incident** (``incident_spent_pct``, the scorecard's ``budget_consumed_pct``): the bad events
  above the pre-incident baseline, from the cause's onset until the incident resolved, as % of the 30-day budget;
- **left in the 30-day window** (``100 - rolling_spent_pct``, ``budget_remaining_pct_at_canary`` at the canary):
  the rolling window's budget left at a stated time, part of it estimated (``window_assumption``).

Both are one division:

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


def incident_spent_curve(bad: np.ndarray, total: np.ndarray, start: int, end: int, budget_ratio: float,
                         period_total: float) -> np.ndarray:
    """The budget an incident has spent by the end of each minute of [start, end), as % of the budget: each
    minute's bad events above the error ratio of the minutes before ``start`` (the pre-incident baseline), never
    below 0, summed. A minute better than the baseline gives nothing back, so the curve never goes down."""
    base_bad, base_total = bad[:start].sum(), total[:start].sum()
    baseline = base_bad / base_total if base_total else 0.0
    excess = np.clip(bad[start:end] - baseline * total[start:end], 0.0, None)
    return spent_pct(np.cumsum(excess, dtype=float), budget_ratio, period_total)


def incident_spent_pct(bad: np.ndarray, total: np.ndarray, start: int, end: int, budget_ratio: float,
                       period_total: float) -> float:
    """The budget an incident spent in minutes [start, end): the last point of ``incident_spent_curve``."""
    curve = incident_spent_curve(bad, total, start, end, budget_ratio, period_total)
    return float(curve[-1]) if len(curve) else 0.0


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


def window_left_curve(hist_bad: np.ndarray, hist_total: np.ndarray, bad: np.ndarray, rpm: float,
                      budget_ratio: float, period_min: int) -> np.ndarray:
    """``100 - rolling_spent_pct`` at every minute 0..len(bad) at once: the budget left in the rolling window as
    each minute of the series ends (not clamped: below 0 the budget is overspent). The window slides: each new
    minute's counts replace an estimated minute from the window's far end, so in a quiet hour it can rise."""
    cum = np.concatenate([[0.0], np.cumsum(bad, dtype=float)])
    observed = len(hist_total) + np.arange(len(bad) + 1)
    hist_ratio = hist_bad.sum() / hist_total.sum() if hist_total.sum() else 0.0
    unobserved = np.maximum(period_min - observed, 0) * rpm * hist_ratio
    spent = 100 * (hist_bad.sum() + cum + unobserved) / (budget_ratio * rpm * period_min)
    return 100.0 - np.maximum(spent, 0.0)


# --- the two figures, named the same way everywhere ---------------------------------------------------------
# The course prints exactly two budget figures. Every notebook, plot, story line, handoff and report names them
# with these words (a test reads a whole shift's artifacts and checks every budget figure against the record).

SPENT_NAME = "spent by the incident"          # incident_spent_pct: the scorecard's budget_consumed_pct
LEFT_NAME = "left in the 30-day window"       # 100 - rolling_spent_pct: budget_remaining_pct_at_canary
SPENT_AXIS = "error budget spent by\nthe incident (% of 30 days)"
LEFT_AXIS = "error budget left in\nthe 30-day window (%)"


def spent_words(pct: float) -> str:
    """'1.84 % of the 30-day error budget spent by the incident'."""
    return f"{pct:.2f} % of the 30-day error budget {SPENT_NAME}"


def left_words(pct: float, at, slo: str) -> str:
    """'67.1 % of the availability error budget left in the 30-day window at 05:30'."""
    return f"{pct:.1f} % of the {slo} error budget {LEFT_NAME} at {at:%H:%M}"


def window_assumption(history_min: int, hist_ratio: float) -> str:
    """The 30-day window's assumed history, stated once where the window's figure first appears."""
    return (f"the 30-day window holds the {history_min / 1440:g} simulated days before the shift and the shift so "
            f"far, the rest of it assumed to have failed at that history's error ratio, {100 * hist_ratio:.3f} %")


def history_words(slo, history) -> str:
    """``window_assumption`` for ``slo`` over a simulated ``history`` (a counts frame, or None)."""
    if history is None:
        return window_assumption(0, 0.0)
    hist_bad, hist_total = slo.bad_and_total(history)
    return window_assumption(len(hist_total), hist_bad.sum() / hist_total.sum() if hist_total.sum() else 0.0)


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

    @property
    def line_left_pct(self) -> float:
        """The policy's line read as budget left: restricted at or below it."""
        return 100 - self.line_pct

    def allows(self, kind: str, through_canary: bool, policy: BudgetPolicy) -> tuple[bool, str]:
        """(may it ship, why), in the words of budget left: the figure itself is the caller's to print."""
        line = f"the policy's line of {self.line_left_pct:g} % left"
        if not self.restricted:
            return True, f"above {line}: any release may ship"
        if kind not in policy.allowed_kinds:
            return False, f"at or below {line}: only {', '.join(policy.allowed_kinds)} releases ship"
        if policy.canary_required and not through_canary:
            return False, f"at or below {line}: a fix ships only through the canary"
        return True, f"at or below {line}: a fix through the canary may ship"


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


__all__ = ["POLICY", "mean_rpm", "period_events", "spent_pct", "incident_spent_curve", "incident_spent_pct",
           "rolling_spent_pct", "window_left_curve", "SPENT_NAME", "LEFT_NAME", "SPENT_AXIS", "LEFT_AXIS",
           "spent_words", "left_words", "window_assumption", "history_words",
           "BudgetPolicy", "BudgetStanding", "load_policy", "standing"]

"""Multiwindow, multi-burn-rate alerting on an SLO's error budget (course module M31, incident response).

The method is the Google SRE Workbook's (ch. 5 "Alerting on SLOs", table 5-8): a tier fires while the burn
rate over BOTH its long and its short window is at or above its threshold, and tiers are ORed. Here:

- burn rate = (bad / total over a window) / (1 - objective)              (dimensionless; 1 spends the budget
  in exactly one period)
- budget consumed when a tier fires = threshold x long window / period  (share of the period's budget)
- time to fire for a constant error ratio e from a clean window = (1 - objective) / e x long window x threshold

Three modules, imported from here: ``tiers`` reads the alert tiers, ``burn_rates`` runs them over counts
(``evaluate``, ``first_fire``: counts in, arrays and a DataFrame out), and this module says in plain words what a
constant error ratio does (``explain``, ``explain_text``: ``oncall slo explain``).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..durations import parse_duration_min
from ..errors import BadInput
# The tiers (tiers.py) and the engine (burn_rates.py) have their own modules; ``burn`` is where the course
# imports them from, so they are re-exported here.
from .burn_rates import (REL_TOL, Evaluation, Firing, evaluate, first_fire,  # noqa: F401
                         window_burn_rates)
from .tiers import PERIOD_30D_MIN, SEVERITIES, TIERS_FILE, Tier, load_tiers  # noqa: F401

# explain() times each tier on a series of this many steps per long window (a clean window, then the same
# again of errors): 1 h / 120000 = 0.03 s steps, fine enough to resolve the workbook's 0.864 min detection,
# and 2 x 120000 points per tier keeps the whole explanation well under 2 million points.
EXPLAIN_STEPS_PER_LONG_WINDOW = 120_000
EXPLAIN_WHERE = "slo explain"


# --------------------------------------------------------------------------------------- explain

def explain(objective: float, error_ratio: float, period: str = "30d", tiers: list[Tier] | None = None) -> dict:
    """What a constant error ratio does to the budget and to each alert tier: ``slo explain --json``.

    Each tier is run through ``evaluate`` on a synthetic series, a clean long window (no bad events) followed
    by a long window of ``error_ratio`` errors, at EXPLAIN_STEPS_PER_LONG_WINDOW steps per long window: the
    engine says whether the tier fires, and in which step. The time within that step is the workbook's
    (1 - objective) / error_ratio x long window x threshold, and the budget spent by then burn rate x that
    time / period (= threshold x long window / period): exact at any objective, where a step can be longer
    than the answer (at 99.999 % the 3-day ticket fires after 2.59 s, and a step of its series is 2.16 s).
    Traffic is taken to be ample (the low-traffic guard is off: this is about rates).

    Returns a dict with exactly DESIGN.md's keys: ``burn_rate``, ``time_to_exhaustion_h`` (None when the
    error ratio is 0) and ``tiers``, each with ``severity``, ``long_window_min``, ``short_window_min``,
    ``burn_rate_threshold``, ``fires``, ``fires_after_min`` and ``budget_consumed_pct`` (both None where the
    tier never fires). Raises BadInput naming ``--objective``, ``--error-ratio`` or ``--period``.
    """
    objective = _ratio_arg(objective, "--objective", "strictly between 0 and 1 (e.g. 0.999)", lambda x: 0 < x < 1)
    error_ratio = _ratio_arg(error_ratio, "--error-ratio", "from 0 to 1 (e.g. 0.05 for 5 % errors)",
                             lambda x: 0 <= x <= 1)
    if not isinstance(period, str):
        raise BadInput(EXPLAIN_WHERE, "--period", f"expected a duration like 30d, 28d or 7d, got {period!r}")
    period_min = parse_duration_min(period, EXPLAIN_WHERE, "--period")
    tiers = load_tiers() if tiers is None else list(tiers)
    if not tiers:
        raise ValueError("explain needs at least one tier")
    runs = [_constant_run(tier, objective, error_ratio, period_min) for tier in tiers]
    burn_rate, exhaustion_min = _burn_and_exhaustion(*runs[0])
    return {
        "burn_rate": round(burn_rate, 6),
        "time_to_exhaustion_h": None if exhaustion_min is None else round(exhaustion_min / 60, 4),
        "tiers": [_explain_tier(result, clean_steps, error_ratio) for result, clean_steps in runs],
    }


def _ratio_arg(value, option: str, expected: str, ok) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and ok(number)):
        raise BadInput(EXPLAIN_WHERE, option, f"expected a number {expected}, got {value!r}")
    return number


def _explain_step(tier: Tier) -> tuple[float, int]:
    """A step (min) that divides both windows, and the long window in steps (about EXPLAIN_STEPS_PER_LONG_WINDOW)."""
    common = math.gcd(tier.long_window_min, tier.short_window_min)
    per_common = tier.long_window_min // common
    splits = max(1, math.ceil(EXPLAIN_STEPS_PER_LONG_WINDOW / per_common))
    long_steps = per_common * splits
    if long_steps > 1_000_000:
        raise ValueError(f"tier {tier.name}: windows too fine-grained to explain ({long_steps} steps)")
    return common / splits, long_steps


def _constant_run(tier: Tier, objective: float, error_ratio: float, period_min: int) -> tuple[Evaluation, int]:
    """evaluate() on one long window of no errors, then one long window of ``error_ratio`` errors."""
    step_min, long_steps = _explain_step(tier)
    total = np.ones(2 * long_steps)  # one event a step: only ratios matter here
    bad = np.zeros(2 * long_steps)
    bad[long_steps:] = error_ratio
    ample = replace(tier, min_requests=0)
    return evaluate(bad, total, objective, [ample], step_min, period_min), long_steps


def _burn_and_exhaustion(result: Evaluation, clean_steps: int) -> tuple[float, float | None]:
    """The steady burn rate (the long window full of errors) and the minutes until the budget is gone."""
    name = result.tiers[0].name
    burn = float(result.frame[f"{name}.long_burn"].iat[-1])
    spent_pct = float(result.frame["budget_consumed_pct"].iat[-1])
    if spent_pct <= 0:
        return burn, None
    error_min = (len(result.frame) - clean_steps) * result.step_min
    return burn, 100.0 * error_min / spent_pct  # budget spent at a constant rate: 100 % / (% per minute)


def _explain_tier(result: Evaluation, clean_steps: int, error_ratio: float) -> dict:
    tier = result.tiers[0]
    firing = first_fire(result, severity=None)
    row = {
        "severity": tier.severity,
        "long_window_min": tier.long_window_min,
        "short_window_min": tier.short_window_min,
        "burn_rate_threshold": round(result.thresholds[tier.name], 6),
        "fires": firing is not None,
        "fires_after_min": None,
        "budget_consumed_pct": None,
    }
    if firing is not None:
        # The closed form, kept within the step the engine fired in (it is, up to float rounding).
        step_end = (firing.step + 1 - clean_steps) * result.step_min
        exact = result.budget_ratio / error_ratio * tier.long_window_min * result.thresholds[tier.name]
        fires_after = min(max(exact, step_end - result.step_min), step_end)
        row["fires_after_min"] = round(fires_after, 6)
        row["budget_consumed_pct"] = round(100 * error_ratio / result.budget_ratio * fires_after / result.period_min,
                                           4)
    return row


def explain_text(result: dict, error_ratio: float | None = None) -> str:
    """``explain``'s result in plain words, one sentence a line.

    Pass the ``error_ratio`` it was computed for to have sentences name it (and the error ratio a tier that
    never fires would need).
    """
    burn = result["burn_rate"]
    if burn == 0:
        return "With no errors the burn rate is 0: the budget is never spent and no tier fires."
    budget_ratio = error_ratio / burn if error_ratio else None
    at = f"At {_pct(error_ratio)} errors" if error_ratio else "At this error ratio"
    gone = _duration(result["time_to_exhaustion_h"] * 60)
    lines = [f"{at} the burn rate is {burn:g}x: the budget is gone in {gone}."]
    lines += [_tier_sentence(row, budget_ratio) for row in result["tiers"]]
    return "\n".join(lines)


def _tier_sentence(row: dict, budget_ratio: float | None) -> str:
    label = (f"The {_window(row['long_window_min'])} / {_window(row['short_window_min'])} {row['severity']} "
             f"({row['burn_rate_threshold']:.4g}x)")
    if row["fires"]:
        return (f"{label} fires after {_duration(row['fires_after_min'])}, "
                f"having spent {row['budget_consumed_pct']:.1f} % of the budget.")
    if budget_ratio is None:
        return f"{label} never fires."
    needed = row["burn_rate_threshold"] * budget_ratio
    if needed > 1:
        return f"{label} can never fire at this objective: it needs more than 100 % errors ({_pct(needed)})."
    return f"{label} never fires: it needs at least {_pct(needed)} errors."


def _pct(ratio: float) -> str:
    return f"{100 * ratio:.3g} %"


def _window(minutes: int) -> str:
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size} {unit}"
    return f"{minutes} min"


def _duration(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:.3g} s"
    if minutes < 60:
        return f"{minutes:.3g} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.3g} h"
    return f"{minutes / 1440:.3g} d"

"""The burn-rate engine (course module M31): per-step bad and total counts in, every tier's burn rates out.

- burn rate = (bad / total over a window) / (1 - objective)              (dimensionless; 1 spends the budget
  in exactly one period)
- a tier fires while both its windows burn at or above its threshold; tiers are ORed.

Pure numpy/pandas. Windows are trailing, measured in steps of ``step_min`` minutes, and every window's sums come
from one cumulative sum of the bad and total counts. Sample ``i`` covers the step that ENDS at
``t_min = (i + 1) * step_min``; a window at sample ``i`` holds samples ``i - w + 1 .. i`` (fewer when the series
starts later than that: a window uses what exists). ``burn`` re-exports everything here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.internals import create_dataframe_from_blocks

from . import budget
from .slo import SLO
from .tiers import PERIOD_30D_MIN, Tier

# DESIGN.md: "at or above the threshold, compared with a relative tolerance of 1e-9", so that a burn rate
# that equals the threshold in exact arithmetic (e.g. 0.0144 / 0.001 = 14.4) fires despite float rounding.
REL_TOL = 1e-9
_EXACT_FLOAT_INT = 2 ** 53  # every integer up to this is exact in float64


# ----------------------------------------------------------------------------------------- windows

def window_burn_rates(bad, total, budget_ratio: float, window_steps: int) -> np.ndarray:
    """The burn rate over a trailing window of ``window_steps`` samples, at every sample.

    ``bad`` and ``total`` are event counts per sample (same length, >= 0, bad <= total). Burn rate =
    (bad / total in the window) / ``budget_ratio``, 0 where the window holds no events. Near the start the
    window holds only the samples that exist. Computed from one cumulative sum of each series.
    """
    bad, total = _counts(bad, total)
    cum_bad, cum_total = _cumsum(bad), _cumsum(total)
    steps = _check_steps(window_steps)
    return _burn(_window_sums(cum_bad, steps), _window_sums(cum_total, steps), _check_budget_ratio(budget_ratio))


def _counts(bad, total) -> tuple[np.ndarray, np.ndarray]:
    bad, total = np.asarray(bad), np.asarray(total)
    if bad.ndim != 1 or bad.shape != total.shape:
        raise ValueError(f"bad and total must be 1-D arrays of the same length, got {bad.shape} and {total.shape}")
    for name, values in (("bad", bad), ("total", total)):
        if not (np.issubdtype(values.dtype, np.integer) or np.issubdtype(values.dtype, np.floating)):
            raise ValueError(f"{name} must hold numbers, got dtype {values.dtype}")
        if values.size and (not np.all(np.isfinite(values)) or values.min() < 0):
            raise ValueError(f"{name} counts must be finite and >= 0")
    if np.any(bad > total):
        raise ValueError(f"bad exceeds total at sample {int(np.argmax(bad > total))}")
    return bad, total


def _cumsum(values: np.ndarray) -> np.ndarray:
    """Cumulative sum with a leading 0, so a window's sum is one subtraction. Integer counts stay exact."""
    dtype = np.int64 if np.issubdtype(values.dtype, np.integer) else np.float64
    out = np.zeros(values.shape[:-1] + (values.shape[-1] + 1,), dtype=dtype)
    np.cumsum(values, axis=-1, dtype=dtype, out=out[..., 1:])
    return out


def _stacked_cumsum(bad: np.ndarray, total: np.ndarray, dtype) -> np.ndarray:
    """_cumsum of bad and total as the two rows of one array (one cumulative sum each, no stacking copy)."""
    out = np.zeros((2, bad.size + 1), dtype=dtype)
    np.cumsum(bad, dtype=dtype, out=out[0, 1:])
    np.cumsum(total, dtype=dtype, out=out[1, 1:])
    return out


def _window_sums(cum: np.ndarray, window_steps: int, out: np.ndarray | None = None) -> np.ndarray:
    """Sum over samples i - w + 1 .. i at every i, clipped at the series' start (``cum`` from _cumsum).

    ``cum`` may be 2-D (one cumulative sum per row, e.g. bad and total stacked): windows run along the last
    axis. Slices and one subtraction, no index arrays: sample i reads cum[i + 1] - cum[i + 1 - w], and the
    samples whose window reaches back before the series' start read cum[i + 1] (cum[0] is 0).
    """
    n = cum.shape[-1] - 1
    out = np.empty(cum.shape[:-1] + (n,), dtype=cum.dtype) if out is None else out
    w = min(window_steps, n)
    out[..., :w] = cum[..., 1:w + 1]
    np.subtract(cum[..., w + 1:], cum[..., 1:n + 1 - w], out=out[..., w:])
    return out


def _burn(bad_sum: np.ndarray, total_sum: np.ndarray, budget_ratio: float, out: np.ndarray | None = None) -> np.ndarray:
    """(bad / total) / budget_ratio elementwise, 0 where the window holds no events.

    ``total_sum`` is overwritten when ``out`` is given (it is the caller's scratch row then).
    """
    # Dividing by infinity where the window is empty gives 0 (bad is 0 there), and the very same quotient
    # elsewhere, without a masked divide's slow path.
    if out is None:
        total_sum = np.where(total_sum > 0, total_sum, np.inf)
        out = np.empty(bad_sum.shape, dtype=np.float64)
    else:
        np.copyto(total_sum, np.inf, where=~(total_sum > 0))
    np.divide(bad_sum, total_sum, out=out, dtype=np.float64)
    out /= budget_ratio
    return out


def _at_or_above(values: np.ndarray, threshold: float) -> np.ndarray:
    # math.isclose semantics against a positive threshold: within REL_TOL of it counts as reaching it.
    return values >= threshold * (1.0 - REL_TOL)


def _check_steps(window_steps) -> int:
    if isinstance(window_steps, bool) or not isinstance(window_steps, (int, np.integer)) or window_steps < 1:
        raise ValueError(f"window_steps must be a whole number >= 1, got {window_steps!r}")
    return int(window_steps)


def _check_budget_ratio(budget_ratio: float) -> float:
    if not 0 < budget_ratio <= 1:
        raise ValueError(f"budget_ratio must be in (0, 1], got {budget_ratio!r}")
    return float(budget_ratio)


def _steps(window_min: float, step_min: float) -> int:
    """A window in whole steps; a window that is not a whole number of steps is an error, not a rounding."""
    steps = window_min / step_min
    whole = round(steps)
    if whole < 1 or abs(whole - steps) > 1e-9 * steps:
        raise ValueError(f"a {window_min:g}-min window is not a whole number of {step_min:g}-min steps")
    return whole


# --------------------------------------------------------------------------------------- evaluate

@dataclass(frozen=True)
class Evaluation:
    """The result of ``evaluate``: one row per sample.

    ``frame`` columns: ``t_min`` (end of the sample, minutes from the series' start),
    ``budget_consumed_pct`` (cumulative bad events, % of the period's budget) and, per tier NAME,
    ``NAME.long_burn``, ``NAME.short_burn`` (burn rates), ``NAME.fires`` (both at or above the threshold
    with enough traffic) and ``NAME.low_traffic`` (both at or above, but the short window held fewer than
    ``min_requests`` events: a warning instead). ``thresholds`` maps a tier's name to its (rescaled) burn rate.
    ``component``: the component the SLO watches, if one (its burn alerts carry it as a label).
    """

    frame: pd.DataFrame
    tiers: tuple[Tier, ...]
    thresholds: dict[str, float]
    step_min: float
    period_min: float
    budget_ratio: float
    component: str = ""

    def tier_names(self, severity: str | None = None) -> list[str]:
        """The tiers of one severity (all with None), in file order."""
        return [t.name for t in self.tiers if severity is None or t.severity == severity]

    def fires(self, severity: str | None = None) -> np.ndarray:
        """Per sample: does any tier of ``severity`` fire (tiers are ORed)?"""
        return self._any(severity, "fires")

    def low_traffic(self, severity: str | None = None) -> np.ndarray:
        """Per sample: is any tier of ``severity`` held back to a low-traffic warning?"""
        return self._any(severity, "low_traffic")

    def _any(self, severity: str | None, kind: str) -> np.ndarray:
        out = np.zeros(len(self.frame), dtype=bool)
        for name in self.tier_names(severity):
            out |= self.frame[f"{name}.{kind}"].to_numpy()
        return out


def evaluate(bad, total, slo_or_objective: SLO | float, tiers: list[Tier], step_min: float = 1.0,
             period_min: float | None = None, *, period_total: float | None = None) -> Evaluation:
    """Run the alert tiers over per-step bad and total event counts.

    Args:
        bad, total: event counts per step of ``step_min`` minutes (>= 0, bad <= total).
        slo_or_objective: an SLO, or an objective in (0, 1) such as 0.999.
        tiers: from ``load_tiers``; each window must be a whole number of steps.
        step_min: minutes per sample.
        period_min: the SLO period in minutes; None means the SLO's own, or 30 days for a bare objective.
            Thresholds are rescaled to it (see ``Tier.threshold``).
        period_total: the events expected over the whole period, the denominator of the budget. None
            estimates it from the series itself: its mean events per minute x ``period_min`` (the workbook's
            constant-traffic view, under which budget consumed = burn rate x window / period holds exactly).

    Returns:
        An ``Evaluation`` (see its docstring for the columns).
    """
    budget_ratio, period_min = _budget_and_period(slo_or_objective, period_min)
    if not step_min > 0:
        raise ValueError(f"step_min must be above 0, got {step_min!r}")
    if len({t.name for t in tiers}) != len(tiers):
        raise ValueError("tier names must be unique")
    bad, total = _counts(bad, total)
    n = bad.size
    # The one cumulative sum every window reads, of bad and total stacked as two rows. Integer counts are
    # summed exactly in int64, then read as float64: integers up to 2**53 are exact in it, so every window
    # sum is the very same number, and a float division is several times faster than an int64 one.
    ints = np.issubdtype(bad.dtype, np.integer) and np.issubdtype(total.dtype, np.integer)
    cum = _stacked_cumsum(bad, total, np.int64 if ints else np.float64)
    if ints and (n == 0 or cum[1, -1] <= _EXACT_FLOAT_INT):
        cum = cum.astype(np.float64)
    cum_bad = cum[0]
    thresholds = {tier.name: tier.threshold(period_min) for tier in tiers}

    # The frame is built from one 2-D array per dtype, each column written in place: at 90 days of minutes
    # the time goes into touching memory, so nothing is computed into a temporary and then copied.
    names = ["t_min", "budget_consumed_pct"]
    for tier in tiers:
        names += [f"{tier.name}.{kind}" for kind in ("long_burn", "short_burn", "fires", "low_traffic")]
    col = {name: i for i, name in enumerate(names)}
    float_names = [c for c in names if c.endswith("_burn") or c == "budget_consumed_pct"]
    flag_names = [c for c in names if c.endswith((".fires", ".low_traffic"))]
    t_min = np.arange(1, n + 1)
    t_min = t_min * step_min  # float minutes (int with an int step, as the caller asked)
    if t_min.dtype == np.float64:
        float_names.insert(0, "t_min")
    floats = np.empty((len(float_names), n), dtype=np.float64)
    flags = np.empty((len(flag_names), n), dtype=bool)
    row = {name: i for i, name in enumerate(float_names)}
    flag_row = {name: i for i, name in enumerate(flag_names)}
    if "t_min" in row:
        floats[row["t_min"]] = t_min
    _budget_consumed_pct(cum_bad, total, budget_ratio, step_min, period_min, period_total,
                         out=floats[row["budget_consumed_pct"]])

    # Each distinct window is summed and turned into a burn rate once, however many tiers read it (the
    # workbook's tiers share 6 h: the 6 h page's long window is the 3 d ticket's short one).
    readers: dict[int, list[tuple[Tier, str]]] = {}
    for tier in tiers:
        readers.setdefault(_steps(tier.long_window_min, step_min), []).append((tier, "long_burn"))
        readers.setdefault(_steps(tier.short_window_min, step_min), []).append((tier, "short_burn"))
    sums = np.empty((2, n), dtype=cum.dtype)
    for window_steps, used_by in sorted(readers.items()):
        _window_sums(cum, window_steps, out=sums)
        for tier, kind in used_by:
            if kind == "short_burn":
                # Low-traffic guard: too few events in the short window for its ratio to mean much -> warn,
                # do not page. Kept in the low_traffic row until the tier's burn rates are known.
                np.less(sums[1], tier.min_requests, out=flags[flag_row[f"{tier.name}.low_traffic"]])
        first = f"{used_by[0][0].name}.{used_by[0][1]}"
        _burn(sums[0], sums[1], budget_ratio, out=floats[row[first]])
        for tier, kind in used_by[1:]:
            floats[row[f"{tier.name}.{kind}"]] = floats[row[first]]

    for tier in tiers:
        threshold = thresholds[tier.name]
        both = _at_or_above(floats[row[f"{tier.name}.long_burn"]], threshold)
        both &= _at_or_above(floats[row[f"{tier.name}.short_burn"]], threshold)
        thin = flags[flag_row[f"{tier.name}.low_traffic"]]
        np.greater(both, thin, out=flags[flag_row[f"{tier.name}.fires"]])  # both and not thin
        thin &= both

    blocks = [(floats, np.array([col[c] for c in float_names])), (flags, np.array([col[c] for c in flag_names]))]
    if "t_min" not in row:
        blocks.append((t_min.reshape(1, n), np.array([col["t_min"]])))
    frame = create_dataframe_from_blocks(blocks, index=pd.RangeIndex(n), columns=pd.Index(names))
    return Evaluation(frame, tuple(tiers), thresholds, float(step_min), float(period_min), budget_ratio)


def _budget_and_period(slo_or_objective, period_min) -> tuple[float, float]:
    if isinstance(slo_or_objective, SLO):
        budget_ratio = slo_or_objective.budget_ratio
        period_min = slo_or_objective.period_min if period_min is None else period_min
    else:
        objective = slo_or_objective
        if isinstance(objective, bool) or not isinstance(objective, (int, float)) or not 0 < objective < 1:
            raise ValueError(f"objective must be a number strictly between 0 and 1, got {objective!r}")
        budget_ratio = 1.0 - float(objective)
        period_min = PERIOD_30D_MIN if period_min is None else period_min
    if not period_min > 0:
        raise ValueError(f"period_min must be above 0, got {period_min!r}")
    return budget_ratio, float(period_min)


def _budget_consumed_pct(cum_bad, total, budget_ratio, step_min, period_min, period_total, out) -> np.ndarray:
    """Cumulative bad events as % of the period's budget: budget_ratio x the period's expected events."""
    if period_total is None:
        minutes = total.size * step_min
        period_total = float(total.sum()) / minutes * period_min if minutes else 0.0
    elif not (math.isfinite(period_total) and period_total > 0):
        raise ValueError(f"period_total must be a number above 0, got {period_total!r}")
    if period_total <= 0:
        out[:] = 0.0  # no traffic at all: nothing bad, nothing spent
        return out
    return budget.spent_pct(cum_bad[1:], budget_ratio, period_total, out=out)


# ------------------------------------------------------------------------------------ first fire

@dataclass(frozen=True)
class Firing:
    """When an alert (the OR of one severity's tiers) first turns on, which tier did it, and when it resets.

    ``step`` / ``t_min``: the first sample at which it is on (``t_min`` is that sample's end, minutes from the
    series' start). ``reset_step`` / ``reset_t_min``: the first later sample at which it is off again, None
    if it is still on at the end of the series.
    """

    step: int
    tier: str
    t_min: float
    reset_step: int | None
    reset_t_min: float | None


def first_fire(result: Evaluation, severity: str | None = "page", *, warnings: bool = False) -> Firing | None:
    """The first sample at which any tier of ``severity`` fires (None: all tiers), or None if none ever does.

    With ``warnings=True`` it looks at low-traffic warnings instead of firings.
    """
    kind = "low_traffic" if warnings else "fires"
    on = result.low_traffic(severity) if warnings else result.fires(severity)
    hits = np.flatnonzero(on)
    if hits.size == 0:
        return None
    step = int(hits[0])
    tier = next(n for n in result.tier_names(severity) if result.frame[f"{n}.{kind}"].iat[step])
    off = np.flatnonzero(~on[step:])
    reset = step + int(off[0]) if off.size else None
    t_min = result.frame["t_min"].to_numpy()
    return Firing(step, tier, float(t_min[step]), reset, None if reset is None else float(t_min[reset]))

"""Multiwindow, multi-burn-rate alerting on an SLO's error budget (course module M31, incident response).

The method is the Google SRE Workbook's (ch. 5 "Alerting on SLOs", table 5-8): a tier fires while the burn
rate over BOTH its long and its short window is at or above its threshold, and tiers are ORed. Here:

- burn rate = (bad / total over a window) / (1 - objective)              (dimensionless; 1 spends the budget
  in exactly one period)
- budget consumed when a tier fires = threshold x long window / period  (share of the period's budget)
- time to fire for a constant error ratio e from a clean window = (1 - objective) / e x long window x threshold

Everything is pure numpy/pandas: counts in, arrays and a DataFrame out. Windows are trailing, measured in
steps of ``step_min`` minutes, and every window's sums come from one cumulative sum of the bad and total counts.
Sample ``i`` covers the step that ENDS at ``t_min = (i + 1) * step_min``; a window at sample ``i`` holds samples
``i - w + 1 .. i`` (fewer when the series starts later than that: a window uses what exists).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pandas.api.internals import create_dataframe_from_blocks

from .. import yamlsafe
from ..durations import parse_duration_min
from ..errors import BadInput
from ..paths import DATA_DIR, display, resolve
from . import budget
from .slo import SLO

TIERS_FILE = DATA_DIR / "alerting" / "burn_rate_tiers.yaml"
SEVERITIES = ("page", "ticket")
# DESIGN.md: "at or above the threshold, compared with a relative tolerance of 1e-9", so that a burn rate
# that equals the threshold in exact arithmetic (e.g. 0.0144 / 0.001 = 14.4) fires despite float rounding.
REL_TOL = 1e-9
PERIOD_30D_MIN = 30 * 1440  # the workbook's tiers are stated for a 30-day SLO period
_EXACT_FLOAT_INT = 2 ** 53  # every integer up to this is exact in float64
# explain() times each tier on a series of this many steps per long window (a clean window, then the same
# again of errors): 1 h / 120000 = 0.03 s steps, fine enough to resolve the workbook's 0.864 min detection,
# and 2 x 120000 points per tier keeps the whole explanation well under 2 million points.
EXPLAIN_STEPS_PER_LONG_WINDOW = 120_000
EXPLAIN_WHERE = "slo explain"
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


# --------------------------------------------------------------------------------------- explain

def explain(objective: float, error_ratio: float, period: str = "30d", tiers: list[Tier] | None = None) -> dict:
    """What a constant error ratio does to the budget and to each alert tier: ``slo explain --json``.

    Computed, not looked up: each tier is run through ``evaluate`` on a synthetic series, a clean long window
    (no bad events) followed by a long window of ``error_ratio`` errors, at EXPLAIN_STEPS_PER_LONG_WINDOW
    steps per long window, so ``fires_after_min`` agrees with the workbook's
    (1 - objective) / error_ratio x long window x threshold to within one step. Traffic is taken to be ample
    (the low-traffic guard is off: this is about rates).

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
        "tiers": [_explain_tier(result, clean_steps) for result, clean_steps in runs],
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


def _explain_tier(result: Evaluation, clean_steps: int) -> dict:
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
        row["fires_after_min"] = round((firing.step + 1 - clean_steps) * result.step_min, 4)
        row["budget_consumed_pct"] = round(float(result.frame["budget_consumed_pct"].iat[firing.step]), 4)
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

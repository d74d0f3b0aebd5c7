"""SLO alerting over the shift (M31): the multiwindow, multi-burn-rate tiers run over the service's counts.

``evaluate_slos`` runs every tier of ``data/alerting/burn_rate_tiers.yaml`` over each SLO's per-minute bad and
total counts (one cumulative sum per SLO, in ``burn.py``); the support desk turns each firing episode into an
Alertmanager-shaped ``ErrorBudgetBurn`` alert (``support_desk/burn_alerts.py``), so the page travels the same
pipeline as every other alert and joins the incident the correlator opens. ``first_page`` finds the page and ``formula_minutes`` says when the
workbook's formula says it should have come, for the error ratio the simulation actually produced.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from . import burn
from .slo import SLO


@dataclass(frozen=True)
class Page:
    """The first page of the shift: which SLO and tier, when, and how bad things were when it fired."""

    slo: str
    tier: str
    minute: int                  # the shift minute whose end is the evaluation step that fired
    at: datetime                 # the end of that minute
    long_burn: float
    short_burn: float
    impact_pct: float            # bad events over the tier's short window, in %


def evaluate_slos(service: pd.DataFrame, slos: dict[str, SLO], tiers=None,
                  history: pd.DataFrame | None = None) -> dict[str, burn.Evaluation]:
    """Every tier over every SLO, one evaluation step per minute (the end of each minute) of ``service``.

    ``history`` (the minutes before it) fills the long windows, so a 3-day window at the shift's first minute
    reads three real days rather than a few minutes; the result covers ``service``'s minutes only.
    """
    tiers = burn.load_tiers() if tiers is None else tiers
    frame = service if history is None else pd.concat([history, service])
    skip = 0 if history is None else len(history)
    out = {}
    for name, slo in slos.items():
        bad, total = slo.bad_and_total(frame)
        ev = burn.evaluate(bad, total, slo, tiers, step_min=1.0)
        trimmed = ev.frame.iloc[skip:].reset_index(drop=True)
        trimmed["t_min"] = trimmed["t_min"] - skip
        out[name] = replace(ev, frame=trimmed, component=slo.component)
    return out


def first_page(service: pd.DataFrame, evaluations: dict[str, burn.Evaluation], service_name: str,
               after_minute: int = 0) -> Page | None:
    """The first evaluation step (at or after ``after_minute``) at which any page tier of any SLO fires."""
    best: Page | None = None
    for slo, ev in evaluations.items():
        fires = ev.fires("page")
        fires[:after_minute] = False
        hits = np.flatnonzero(fires)
        if hits.size == 0 or (best is not None and hits[0] >= best.minute):
            continue
        m = int(hits[0])
        tier = next(t for t in ev.tiers if t.severity == "page" and ev.frame[f"{t.name}.fires"].iat[m])
        short_burn = float(ev.frame[f"{tier.name}.short_burn"].iat[m])
        best = Page(slo=slo, tier=tier.name, minute=m, at=(service.index[m] + timedelta(minutes=1)).to_pydatetime(),
                    long_burn=float(ev.frame[f"{tier.name}.long_burn"].iat[m]), short_burn=short_burn,
                    impact_pct=100 * short_burn * ev.budget_ratio)
    return best


def formula_minutes(slo: SLO, tier: burn.Tier, error_ratio: float) -> float | None:
    """The workbook's time to fire for a constant error ratio from a clean window:
    (1 - objective) / error_ratio x long window x burn-rate threshold. None if the tier cannot fire."""
    if error_ratio <= 0:
        return None
    minutes = slo.budget_ratio / error_ratio * tier.long_window_min * tier.threshold(slo.period_min)
    return minutes if minutes <= tier.long_window_min else None


def formula_minutes_with_traffic(slo: SLO, tier: burn.Tier, error_ratio: float, service: pd.DataFrame,
                                 start_minute: int, history: pd.DataFrame | None = None,
                                 baseline_ratio: float = 0.0) -> float | None:
    """The workbook's formula, with the night's real traffic instead of a constant one: the first whole minute
    m (counted from ``start_minute``) at which ``error_ratio`` x (requests since the start) / (requests in the
    long window ending at m) reaches the tier's threshold x the budget. At constant traffic this is
    ``formula_minutes``; over a 6 h window at night, falling traffic dilutes the burn and it takes longer.
    ``baseline_ratio``: the bad ratio before the start (the part of the window before it is not clean: graded
    answers are 2.5 % wrong on a good night, half the quality budget). Computed from request totals and two
    ratios, never from the per-window bad counts the burn engine sums."""
    if error_ratio <= 0:
        return None
    _bad, total = slo.bad_and_total(service)
    offset = 0
    if history is not None:
        _hb, htotal = slo.bad_and_total(history)
        total = np.concatenate([np.asarray(htotal, dtype=float), np.asarray(total, dtype=float)])
        offset = len(htotal)
    total = np.asarray(total, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(total)])
    window = tier.long_window_min
    need = slo.budget_ratio * tier.threshold(slo.period_min)
    start = offset + start_minute
    for m in range(start, min(start + window, len(total))):
        since = cum[m + 1] - cum[start]
        in_window = cum[m + 1] - cum[max(m + 1 - window, 0)]
        bad = error_ratio * since + baseline_ratio * max(in_window - since, 0.0)
        if in_window > 0 and bad / in_window >= need * (1 - 1e-9):
            return float(m - start + 1)
    return None


def realized_error_ratio(service: pd.DataFrame, slo: SLO, start_minute: int, end_minute: int) -> float:
    """Bad / total over minutes [start_minute, end_minute): the error ratio the simulation actually produced."""
    bad, total = slo.bad_and_total(service.iloc[start_minute:end_minute])
    return float(bad.sum() / total.sum()) if total.sum() else 0.0

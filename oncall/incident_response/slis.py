"""When each SLI degrades and recovers (M27), read off the per-minute counts.

An SLI is *degraded* when its last ``window_min`` minutes burn error budget at least ``degraded_burn`` times
as fast as the objective allows (14.4x: the speed of the workbook's fastest page tier), and *recovered* once
the ``hold_min`` minutes since it last burned that fast are, together, back inside the objective (the SRE
book's exit criterion: sustained nominal performance, not one good sample).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .slo import SLO


@dataclass(frozen=True)
class Transition:
    minute: int
    kind: str            # "degraded" or "recovered"
    bad_ratio: float     # over the window ending at ``minute`` (the hold window, for "recovered")
    burn_rate: float


def window_bad_ratio(bad: np.ndarray, total: np.ndarray, window_min: int) -> np.ndarray:
    """Bad/total over the trailing window at each minute, from one cumulative sum (0 where no events)."""
    cb = np.concatenate([[0], np.cumsum(bad)])
    ct = np.concatenate([[0], np.cumsum(total)])
    idx = np.arange(1, len(bad) + 1)
    lo = np.clip(idx - window_min, 0, None)
    b, t = cb[idx] - cb[lo], ct[idx] - ct[lo]
    return np.divide(b, t, out=np.zeros(len(bad)), where=t > 0)


def transitions(frame: pd.DataFrame, slo: SLO, window_min: int = 5, degraded_burn: float = 14.4,
                hold_min: int = 10) -> list[Transition]:
    bad, total = slo.bad_and_total(frame)
    ratio = window_bad_ratio(bad, total, window_min)
    burn = ratio / slo.budget_ratio
    held = window_bad_ratio(bad, total, hold_min)
    out: list[Transition] = []
    degraded, last_fast = False, 0
    for m in range(len(ratio)):
        if burn[m] >= degraded_burn:
            last_fast = m
            if not degraded:
                degraded = True
                out.append(Transition(m, "degraded", float(ratio[m]), float(burn[m])))
        elif degraded and m - last_fast >= hold_min and held[m] <= slo.budget_ratio:
            degraded = False
            out.append(Transition(m, "recovered", float(held[m]), float(held[m] / slo.budget_ratio)))
    return out

"""Canary analysis (M33), the rollout: Argo Rollouts' canary steps over the simulator's per-release samples.

``run_canary`` sets a weight, waits one analysis interval and judges. Limits use Argo's strict semantics: the
canary aborts when failed intervals > ``failure_limit`` (0 by default, so the first interval at or below the
marginal score aborts at once, as Kayenta's fail-fast) and pauses when inconclusive analyses > ``inconclusive_limit``.
(Flagger counts failedChecks >= threshold: Flagger's threshold 1 is Argo's failureLimit 0.) We chose Argo's form
because "limit = how many failures are tolerated" reads the same for both limits, and because the test in its
source pins it down where the prose is off by one.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import pandas as pd

from ..scenario_model import Release
from .canary_config import JudgeConfig
from .canary_judge import Judgment, judge, stops_rollout


# --- samples from the simulator's per-release counts -------------------------------------------------------------

SIM_COUNTS = ("requests", "errors", "slow", "graded", "correct", "tokens")


def interval_samples(minutes: pd.DataFrame, version: str, start: int, end: int) -> pd.DataFrame:
    """Per-minute metric samples of one release over shift minutes [start, end), from the simulator's long
    frame: error_ratio, slow_ratio, quality, tokens_per_request (NaN in a minute without their denominator),
    plus the counts they come from."""
    return SampleSource(minutes).samples(version, start, end)


class SampleSource:
    """``interval_samples`` of one long frame, its release and count columns read once for every interval cut
    from it: a canary analysis cuts the baseline's and the canary's samples from the same simulation, a held
    step its growing window. The frame must not change while its source is used (the simulator makes a new one
    for every change of the split)."""

    def __init__(self, minutes: pd.DataFrame):
        self.minutes = minutes
        self._release = minutes["release"].to_numpy()
        self._counts = {name: minutes[name].to_numpy().astype(np.int64, copy=False) for name in SIM_COUNTS}
        self._rows: dict[str, np.ndarray] = {}

    def samples(self, version: str, start: int, end: int) -> pd.DataFrame:
        if version not in self._rows:
            self._rows[version] = np.flatnonzero(self._release == version)
        rows = self._rows[version][start:end]
        counts = {name: column[rows] for name, column in self._counts.items()}
        req = np.where(counts["requests"] > 0, counts["requests"], np.nan)
        graded = np.where(counts["graded"] > 0, counts["graded"], np.nan)
        return pd.DataFrame({"minute": np.arange(start, start + len(rows)),
                             "error_ratio": counts["errors"] / req,
                             "slow_ratio": counts["slow"] / req,
                             "quality": counts["correct"] / graded,
                             "tokens_per_request": counts["tokens"] / req,
                             **counts})


# --- a fresh baseline of the canary's size (JudgeConfig.fresh_baseline) -------------------------------------------

FRESH_SUFFIX = "-baseline"


def fresh_baseline_of(baseline: Release) -> Release:
    """The baseline's release as a new group of its own (Kayenta's practice): the same config, started with the
    canary, under its own name (so the simulator gives it its own pods' draws)."""
    return baseline.model_copy(update={"version": baseline.version + FRESH_SUFFIX, "deployed_at": None})


def traffic_split(weight: float, fresh_baseline: bool) -> tuple[float, float, float]:
    """(canary, fresh baseline, long-running fleet) shares of traffic (0..1) at canary weight ``weight`` (%): with a
    fresh baseline, a group of the canary's size beside it (at most what is left), else none."""
    canary = weight / 100
    fresh = min(canary, 1 - canary) if fresh_baseline and 0 < canary < 1 else 0.0
    return canary, fresh, max(1 - canary - fresh, 0.0)


# --- the rollout -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Interval:
    """One analysis: the canary at ``weight`` (%) over shift minutes [start, end)."""

    weight: float
    start: int
    end: int
    judgment: Judgment
    hold: int                              # 0 for a step's first analysis, k for its k-th extension
    baseline: pd.DataFrame = field(repr=False, compare=False, default=None)
    canary: pd.DataFrame = field(repr=False, compare=False, default=None)


@dataclass
class CanaryRun:
    release: str
    baseline_release: str
    start: int                                      # shift minute of the first step
    verdict: str = "running"                        # promoted, aborted, paused, skipped
    reason: str = ""
    end: int | None = None                          # shift minute of the verdict
    intervals: list[Interval] = field(default_factory=list)
    weights: list[tuple[int, float]] = field(default_factory=list)   # (minute, canary weight %)

    @property
    def promoted_on_pass(self) -> bool:
        """Promoted, with the last analysis a pass and no failed analysis before it."""
        return (self.verdict == "promoted" and bool(self.intervals)
                and self.intervals[-1].judgment.verdict == "pass"
                and all(i.judgment.verdict != "fail" for i in self.intervals))


def analysis_config_for(config: JudgeConfig) -> JudgeConfig:
    """The config each analysis of a rollout is judged with. ``rollout_correction: bonferroni`` designs the canary
    for a false-abort rate of 1 - confidence over its planned analyses: each planned step's analysis gets an equal
    share, (1 - confidence) / len(steps) (Bonferroni, valid whatever the correlation between the analyses), and
    within one analysis Holm shares it among the metrics. A held step's re-analyses (a longer window holding the
    previous one) reuse the step's share, so with holds the design rate is not a bound: every re-analysis is
    another look. The command-line judge runs one analysis and uses 1 - confidence."""
    if config.rollout_correction != "bonferroni" or len(config.steps) < 2:
        return config
    return replace(config, confidence=1 - (1 - config.confidence) / len(config.steps))


def run_canary(release: str, baseline_release: str, start: int, last_minute: int, config: JudgeConfig,
               set_weight: Callable[[int, float], None],
               samples: Callable[[int, int], tuple[pd.DataFrame, pd.DataFrame]],
               on_interval: Callable[[Interval], None] | None = None,
               judge_fn: Callable | None = None) -> CanaryRun:
    """Walk the canary steps: at each weight, wait ``interval_min`` and judge [step start, now); inconclusive
    holds the weight and judges the growing window again; a failure aborts (weight 0); after the last step passes,
    promote to 100 %. ``set_weight(minute, pct)`` changes the traffic split (and re-simulates);
    ``samples(start, end)`` returns (baseline, canary) per-minute samples; ``judge_fn(baseline, canary, config)``
    replaces the judge (e.g. ``naive_judgment``, to measure against it)."""
    judge_fn = judge_fn or judge
    analysis_config = analysis_config_for(config)
    run = CanaryRun(release, baseline_release, start)
    m = start

    def finish(verdict: str, reason: str, weight: float | None) -> CanaryRun:
        if weight is not None:
            set_weight(m, weight)
            run.weights.append((m, weight))
        run.verdict, run.reason, run.end = verdict, reason, m
        return run

    for i, weight in enumerate(config.steps):
        last_step = i == len(config.steps) - 1
        set_weight(m, weight)
        run.weights.append((m, weight))
        window, failed, inconclusive, hold = m, 0, 0, 0
        while True:
            if m + config.interval_min > last_minute:
                return finish("paused", f"the shift ended before the analysis at {weight:g} % could finish", None)
            b, c = samples(window, m + config.interval_min)
            m += config.interval_min
            judgment = judge_fn(b, c, analysis_config)
            interval = Interval(weight, window, m, judgment, hold, b, c)
            run.intervals.append(interval)
            if on_interval:
                on_interval(interval)
            hold += 1
            if stops_rollout(judgment, analysis_config):   # a fail, or a marginal at the threshold (Kayenta)
                failed += 1
                if failed > config.failure_limit:
                    outcome = "failed" if judgment.verdict == "fail" else "was marginal (stops the rollout)"
                    return finish("aborted", f"analysis at {weight:g} % {outcome}: {judgment.reason}", 0.0)
                window = m            # a tolerated failure: judge a fresh window at the same weight
                continue
            if judgment.verdict == "inconclusive":
                inconclusive += 1
                if inconclusive > config.inconclusive_limit:
                    return finish("paused", f"inconclusive at {weight:g} % after {inconclusive} analyses "
                                            f"({judgment.reason}); waiting for a human, never promoted", None)
                continue              # hold the weight; the window grows
            if last_step and judgment.verdict != "pass":
                return finish("aborted", f"the last analysis must pass: {judgment.reason}", 0.0)
            break
    return finish("promoted", f"every step to {config.steps[-1]:g} % analysed; the last analysis passed", 100.0)

"""Canary analysis (M33), the judgment over all metrics: Kayenta's scoring, with Holm across the metrics.

The score is 100 x passing / counted metrics, pass at 95 or more, marginal from 75 (Kayenta's
ThresholdScoreClassifier: score >= marginal is Marginal), fail below; any critical metric not Pass scores 0.
Kayenta's canary stops at a score at or below the marginal threshold, so a score of exactly 75 is "marginal
(stops the rollout)" (``stops_rollout``). Too little data is never Pass: a critical metric in nodata, or half
the metrics, makes the verdict ``inconclusive``, which holds the weight and never promotes; so does a metric
whose test rejects but cannot say by how much (``undecided``).

Multiple comparisons: Kayenta runs every metric of every analysis at 98 %, so a healthy canary with 4 metrics
over 3+ analyses is aborted far more often than 2 % of the time (7 % of seeds in benchmarks/canary_false_red.py).
``correction: holm`` shares one analysis' level among its metrics (Holm-Bonferroni step-down on the per-metric
p-values; ``p_adjusted`` in the JSON), and ``rollout_correction: bonferroni`` splits 1 - confidence evenly over
the rollout's planned steps (``canary_rollout.analysis_config_for``): the canary is DESIGNED for a 2 % false-abort
rate over its planned analyses. It is not a bound: a held step re-analyses a growing window at the same share,
and each such repeated look is another chance of a false abort. ``none`` for both gives back Kayenta's per-test
level.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .canary_config import COUNT_COLUMNS, JudgeConfig, default_spec
from .canary_stats import MetricResult, classify_counts, classify_rank, holm_adjust, holm_levels

VERDICTS = ("pass", "marginal", "fail", "inconclusive")


@dataclass(frozen=True)
class Judgment:
    score: float
    verdict: str                          # pass, marginal, fail, inconclusive
    metrics: tuple
    reason: str

    def to_dict(self) -> dict:
        return {"score": round(self.score, 2), "verdict": self.verdict, "reason": self.reason,
                "metrics": [m.to_dict() for m in self.metrics]}

    def metric(self, name: str) -> MetricResult:
        return next(m for m in self.metrics if m.name == name)


def metric_names(columns, config: JudgeConfig) -> list[str]:
    """The metric columns of an export: every column except count columns named by a metric or the defaults."""
    counted = ({c for spec in config.metrics.values() if spec.counts for c in spec.counts} | set(COUNT_COLUMNS)
               | set(config.ignore))
    names = [c for c in columns if c not in counted]
    names += [n for n in config.metrics if n not in names and config.metrics[n].counts
              and set(config.metrics[n].counts) <= set(columns)]
    return names


_JUDGED: dict = {}   # (config, baseline, canary) as exact bytes -> Judgment: the last few analyses
_JUDGED_KEPT = 64


def _frame_key(frame):
    """A frame's exact content (columns, dtypes, index and values as bytes), or None for a column of objects
    (``frame`` a DataFrame or its ``_Columns``)."""
    columns = _Columns.of(frame)
    frame = columns.frame
    if not frame.columns.is_unique:
        if any(dtype == object for dtype in frame.dtypes) or frame.index.dtype == object:
            return None
        return (tuple(frame.columns), tuple(str(d) for d in frame.dtypes), str(frame.index.dtype),
                frame.index.to_numpy().tobytes(), tuple(frame[c].to_numpy().tobytes() for c in frame.columns))
    series = [columns[c] for c in frame.columns]    # each column's dtype read off its Series (no dtypes frame)
    if any(s.dtype == object for s in series) or frame.index.dtype == object:
        return None
    return (tuple(frame.columns), tuple(str(s.dtype) for s in series), str(frame.index.dtype),
            frame.index.to_numpy().tobytes(), tuple(s.to_numpy().tobytes() for s in series))


def judge(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig()) -> Judgment:
    """``judge_once``, remembered on the exact content of its inputs: a pure function of them, and a shift re-run
    from a later phase (a widget's move) judges the same canary samples again."""
    baseline, canary = _Columns.of(baseline), _Columns.of(canary)   # the columns read for the key, judged as read
    keys = (_frame_key(baseline), _frame_key(canary))
    if None in keys:
        return judge_once(baseline, canary, config)
    key = (repr(config), *keys)
    if key not in _JUDGED:
        _JUDGED[key] = judge_once(baseline, canary, config)
        while len(_JUDGED) > _JUDGED_KEPT:
            _JUDGED.pop(next(iter(_JUDGED)))
    return _JUDGED[key]


def judge_once(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig()) -> Judgment:
    """Judge every metric of ``canary`` against ``baseline`` (one column per metric, one row per sample).

    With ``correction: holm`` the metrics of this one analysis are one family: each metric's test runs at the
    Holm-Bonferroni level of its p-value (``holm_levels``), so the chance that a canary no worse than the baseline
    gets ANY metric called High/Low stays at most 1 - confidence, instead of growing with the number of metrics."""
    names = metric_names(canary.columns, config)
    baseline, canary = _Columns.of(baseline), _Columns.of(canary)   # each column and each sum read once
    results = [_judge_metric(name, baseline, canary, config, None) for name in names]
    if config.correction == "holm":
        tested = [i for i, r in enumerate(results) if r.p_value is not None]
        p_values = [results[i].p_value for i in tested]
        alpha = 1 - config.confidence
        for i, level, adjusted in zip(tested, holm_levels(p_values, alpha), holm_adjust(p_values)):
            r = results[i] if level >= alpha else _judge_metric(names[i], baseline, canary, config, level)
            results[i] = replace(r, p_adjusted=adjusted, reason=r.reason + (
                f"; Holm-adjusted p {adjusted:.2g} over {len(tested)} metrics (tested at {level:.2g})"
                if len(tested) > 1 else ""))
    score, verdict, reason = score_metrics(results, config)
    return Judgment(score, verdict, tuple(results), reason)


class _Columns:
    """A frame's columns as one analysis reads them, each taken out once: ``frame[name]`` and its ``.sum()``
    (the same Series and the same sums; a metric is judged again at its Holm level, and two ratios share a
    denominator)."""

    def __init__(self, frame: pd.DataFrame):
        self.frame, self.columns, self.taken, self.sums = frame, frame.columns, {}, {}

    @classmethod
    def of(cls, frame) -> "_Columns":
        return frame if isinstance(frame, cls) else cls(frame)

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self.taken:
            self.taken[name] = self.frame[name]
        return self.taken[name]

    def sum(self, name: str):
        if name not in self.sums:
            column = self[name]
            # An integer column sums as pandas sums it (numpy's sum, nothing to skip), without pandas' dispatch.
            self.sums[name] = (column.to_numpy().sum() if isinstance(column.dtype, np.dtype)
                               and column.dtype.kind in "iu" else column.sum())
        return self.sums[name]


_RANK_SPECS: dict = {}   # a count metric's spec -> the same spec judged on its per-minute ratios (no counts)


def _without_counts(spec):
    key = repr(spec)
    if key not in _RANK_SPECS:
        _RANK_SPECS[key] = replace(spec, counts=None)
    return _RANK_SPECS[key]


def _judge_metric(name: str, baseline, canary, config: JudgeConfig, alpha: float | None) -> MetricResult:
    """One metric judged at level ``alpha`` (None: 1 - confidence); ``baseline`` and ``canary`` are frames (or
    their ``_Columns``)."""
    baseline, canary = _Columns.of(baseline), _Columns.of(canary)
    spec = config.spec_for(name, canary.columns)
    if spec.counts:
        num, den = spec.counts
        result = classify_counts(spec, baseline.sum(num), baseline.sum(den), canary.sum(num),
                                 canary.sum(den), config, alpha)
        if name in canary.columns:
            rank = classify_rank(_without_counts(spec), baseline[name], canary[name], config, alpha)
            result = replace(result, rank_classification=rank.classification)
        return result
    result = classify_rank(spec, baseline[name], canary[name], config, alpha)
    if default_spec(name, COUNT_COLUMNS).counts:   # a metric judged on counts where the export has them
        result = replace(result, reason=f"no {' / '.join(default_spec(name, COUNT_COLUMNS).counts)} count columns: "
                                        f"the sparse-error test (Fisher's exact on summed counts) could not run; "
                                        f"{result.reason}")
    return result



def score_metrics(results: list[MetricResult], config: JudgeConfig = JudgeConfig()) -> tuple[float, str, str]:
    """(score, verdict, reason). Kayenta's scoring, with "inconclusive" where it would score missing data 0."""
    counted = [m for m in results if m.classification != "nodata"]
    passing = [m for m in counted if m.classification == "pass"]
    nodata = [m for m in results if m.classification == "nodata"]
    failed_critical = [m for m in counted if m.critical and m.classification != "pass"]
    if failed_critical:
        return 0.0, "fail", "critical metric " + ", ".join(f"{m.name} {m.classification}" for m in failed_critical)
    score = 100 * len(passing) / len(counted) if counted else 0.0
    if counted and score <= config.marginal_score:
        bad = [f"{m.name} {m.classification}" for m in counted if m.classification != "pass"]
        if round(score, 2) >= config.marginal_score:   # Kayenta's score is rounded to 2 places, then compared
            return score, "marginal", (f"score {score:.0f} = the marginal threshold {config.marginal_score:g}: "
                                       + ", ".join(bad))
        return score, "fail", f"score {score:.0f} <= {config.marginal_score:g}: " + ", ".join(bad)
    undecided = [m.name for m in nodata if m.undecided]
    if undecided:
        return score, "inconclusive", ("a test rejects but cannot say by how much on " + ", ".join(undecided)
                                       + " (no Pass; the weight holds for more data)")
    if not results or len(nodata) >= config.nodata_share * len(results):
        return score, "inconclusive", (f"{len(nodata)} of {len(results)} metrics without enough data "
                                       f"(at least {100 * config.nodata_share:g} % gives no verdict)")
    critical_nodata = [m.name for m in nodata if m.critical]
    if critical_nodata:
        return score, "inconclusive", "not enough data on critical metric " + ", ".join(critical_nodata)
    if score >= config.pass_score:
        return score, "pass", f"score {score:.0f} >= {config.pass_score:g}"
    bad = [f"{m.name} {m.classification}" for m in counted if m.classification != "pass"]
    return score, "marginal", f"score {score:.0f} between {config.marginal_score:g} and {config.pass_score:g}: " \
                              + ", ".join(bad)


def slo_guard_note(judgment: Judgment) -> str:
    """A sentence for an analysis whose BASELINE breaks an SLO (the SLO guard found it): the comparison then says
    little (a canary as broken as its baseline would pass it), so the canary is judged on its own ratio. Empty
    when no baseline metric breaks its SLO, or the guard is off."""
    broken = [m for m in judgment.metrics if m.baseline_slo_broken]
    if not broken:
        return ""
    def word(m) -> str:
        if m.slo_broken:
            return "breaks it too"
        within = m.canary <= m.slo_limit if m.slo_at_most else m.canary >= m.slo_limit
        return "within it" if within else "not significantly beyond it"

    return ("the baseline breaks its SLO (" + ", ".join(
        f"{m.name} {100 * m.baseline:.3g} % against {'at most' if m.slo_at_most else 'at least'} "
        f"{100 * m.slo_limit:.3g} %" for m in broken)
        + "), so the SLO guard judges the canary on its own: " + ", ".join(
        f"{m.name} {100 * m.canary:.3g} % {word(m)}" for m in broken))


def stops_rollout(judgment: Judgment, config: JudgeConfig = JudgeConfig()) -> bool:
    """Does this analysis stop a rollout? Kayenta's fail-fast: a score at or below the marginal threshold, which is
    a Fail, or a Marginal exactly at the threshold."""
    return judgment.verdict == "fail" or (judgment.verdict == "marginal"
                                          and round(judgment.score, 2) <= config.marginal_score)


def verdict_label(judgment: Judgment, config: JudgeConfig = JudgeConfig()) -> str:
    """The verdict in words: "marginal (stops the rollout)" for a Marginal at the threshold, else the verdict."""
    if judgment.verdict == "marginal" and stops_rollout(judgment, config):
        return "marginal (stops the rollout)"
    return judgment.verdict


def naive_judge(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig(),
                threshold: float = 0.10) -> str:
    """The naive baseline judge: fail when any metric's mean moved by more than ``threshold`` (10 %) in its bad
    direction (pooled ratio for count metrics), else pass. No statistics, no minimum data."""
    for name in metric_names(canary.columns, config):
        spec = config.spec_for(name, canary.columns)
        if spec.counts:
            num, den = spec.counts
            b = baseline[num].sum() / max(baseline[den].sum(), 1)
            c = canary[num].sum() / max(canary[den].sum(), 1)
        else:
            b, c = baseline[name].mean(), canary[name].mean()
        if not (np.isfinite(b) and np.isfinite(c)):
            continue
        up = c > b * (1 + threshold) if b > 0 else c > b
        down = c < b * (1 - threshold) if b > 0 else c < b
        if (up and spec.direction in ("increase", "either")) or (down and spec.direction in ("decrease", "either")):
            return "fail"
    return "pass"


def naive_judgment(baseline: pd.DataFrame, canary: pd.DataFrame, config: JudgeConfig = JudgeConfig()) -> Judgment:
    """``naive_judge`` as a Judgment (score 100 or 0), so the rollout can run on it."""
    verdict = naive_judge(baseline, canary, config)
    return Judgment(100.0 if verdict == "pass" else 0.0, verdict, (), "means within 10 %" if verdict == "pass"
                    else "a mean moved by more than 10 % in its bad direction")

"""Canary analysis (M33): a Kayenta-style judge and an Argo-style canary rollout, pure logic over DataFrames.

The judge does what Spinnaker Kayenta's NetflixACAJudge does, per metric (reference: release/kayenta_notes.md):
a two-sided Mann-Whitney test at 98 % confidence, the Hodges-Lehmann shift with its confidence interval, the
tolerance band of 0.25 x |shift|, the mean-ratio effect size, the metric's bad direction, critical metrics and
no-data handling; the score is 100 x passing / counted metrics, pass at 95 or more, marginal from 75 (exactly 75
is Kayenta's Marginal, which stops a rollout), fail below. Where Kayenta's users were hurt it does better: sparse
errors on summed counts (#426), too little data never Pass, variance increases (#780), multiple comparisons.
For noisy (bursty) traffic, three remedies, each switched in the config (``canary_config``'s docstring states
them): a practical-significance floor tied to the error budget, a fresh baseline of the canary's size, and an
absolute SLO guard (a canary never passes while its own ratio breaks its SLO, whatever the baseline does).

The code is in four modules, and every name is importable from here as before:

* ``canary_config``: ``MetricSpec``, ``JudgeConfig``, ``config_from_dict``, ``load_config``;
* ``canary_stats``: the per-metric tests (``classify_rank``, ``classify_counts``, the interval, Holm);
* ``canary_judge``: ``judge`` over all metrics, ``score_metrics``, the naive baseline judge;
* ``canary_rollout``: ``interval_samples`` (``SampleSource``), ``run_canary`` (Argo's steps and limits), ``analysis_config_for``.

This module keeps ``read_export``, the reader of a metric export; the command ``oncall canary-judge`` is in
``oncall/commands/canary_judge.py``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

# The judge lives in four modules; every name is importable from here as before.
from .canary_config import (  # noqa: F401
    CORRECTIONS, COUNT_COLUMNS, DIRECTIONS, FLOOR_BUDGET_PCT, ConfigError, JudgeConfig, MetricSpec, _number,
    config_from_dict, default_spec, load_config, remedy_variants)
from .canary_judge import (  # noqa: F401
    VERDICTS, Judgment, _judge_metric, judge, metric_names, naive_judge, naive_judgment, score_metrics, slo_guard_note,
    stops_rollout, verdict_label)
from .canary_rollout import (  # noqa: F401
    SIM_COUNTS, CanaryRun, Interval, SampleSource, analysis_config_for, fresh_baseline_of, interval_samples, run_canary,
    traffic_split)
from .canary_stats import (  # noqa: F401
    CLASSIFICATIONS, EXACT_MAX_PAIRS, ZERO_INFLATED_SHARE, MetricResult, _call, _dispersion, _fisher_p, _mean,
    _mean_ratio, _midranks, _p_value, _p_value_of, _rank_moved_up, _rejected_in_band, _wdiff, classify_counts,
    classify_rank, hodges_lehmann, holm_adjust, holm_levels, interval_bounds, mann_whitney_interval)


# --- a metric export: what oncall canary-judge reads ---------------------------------------------------------------------

def read_export(path: str | Path) -> pd.DataFrame:
    """A metric export: CSV, one column per metric, one row per sample; BadInput names the file and column."""
    from ..errors import BadInput
    from ..paths import display, refuse_empty

    path = Path(path)
    where = display(path) if path.is_absolute() else str(path)
    if not path.is_file():
        raise BadInput(where, None, "no such file")
    refuse_empty(path, where, "a CSV export: a header line, then one row per sample")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BadInput(where, None, f"not a readable CSV ({type(exc).__name__})") from None
    if frame.empty:
        raise BadInput(where, None, "no rows; expected one row per sample")
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2   # 1-based, after the header line
            raise BadInput(where, column, f"expected numbers, got {frame[column][bad].iloc[0]!r} on line {row}")
        infinite = np.isinf(values.to_numpy(dtype=float))
        if infinite.any():
            row = int(np.flatnonzero(infinite)[0]) + 2
            raise BadInput(where, column, f"expected finite numbers, got {float(values.iloc[row - 2]):g} on line {row}")
        if column in COUNT_COLUMNS and ((values < 0) | (values % 1 != 0)).any():
            row = int(np.flatnonzero(((values < 0) | (values % 1 != 0)).to_numpy())[0]) + 2
            raise BadInput(where, column, f"expected a whole count of events (0 or more), got "
                                          f"{float(values.iloc[row - 2]):g} on line {row}")
        frame[column] = values
    return frame

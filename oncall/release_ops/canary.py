"""Canary analysis (M33): a Kayenta-style judge and an Argo-style canary rollout, pure logic over DataFrames.

The judge does what Spinnaker Kayenta's NetflixACAJudge does, per metric (reference: release/kayenta_notes.md):
a two-sided Mann-Whitney test at 98 % confidence, the Hodges-Lehmann shift with its confidence interval, the
tolerance band of 0.25 x |shift|, the mean-ratio effect size, the metric's bad direction, critical metrics and
no-data handling; the score is 100 x passing / counted metrics, pass at 95 or more, marginal from 75 (exactly 75
is Kayenta's Marginal, which stops a rollout), fail below. Where Kayenta's users were hurt it does better: sparse
errors on summed counts (#426), too little data never Pass, variance increases (#780), multiple comparisons.

The code is in four modules, and every name is importable from here as before:

* ``canary_config``: ``MetricSpec``, ``JudgeConfig``, ``config_from_dict``, ``load_config``;
* ``canary_stats``: the per-metric tests (``classify_rank``, ``classify_counts``, the interval, Holm);
* ``canary_judge``: ``judge`` over all metrics, ``score_metrics``, the naive baseline judge;
* ``canary_rollout``: ``interval_samples``, ``run_canary`` (Argo's steps and limits), ``analysis_config_for``.

This module keeps the command line, ``oncall canary-judge``: ``read_export`` and ``canary_judge_command``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import yamlsafe
# The judge lives in four modules; every name is importable from here as before.
from .canary_config import (  # noqa: F401
    CORRECTIONS, COUNT_COLUMNS, DIRECTIONS, ConfigError, JudgeConfig, MetricSpec, _number, config_from_dict,
    default_spec, load_config)
from .canary_judge import (  # noqa: F401
    VERDICTS, Judgment, _judge_metric, judge, metric_names, naive_judge, naive_judgment, score_metrics, stops_rollout,
    verdict_label)
from .canary_rollout import (  # noqa: F401
    SIM_COUNTS, CanaryRun, Interval, analysis_config_for, interval_samples, run_canary)
from .canary_stats import (  # noqa: F401
    CLASSIFICATIONS, EXACT_MAX_PAIRS, ZERO_INFLATED_SHARE, MetricResult, _call, _dispersion, _fisher_p, _mean,
    _mean_ratio, _midranks, _p_value, _p_value_of, _rank_moved_up, _rejected_in_band, _wdiff, classify_counts,
    classify_rank, hodges_lehmann, holm_adjust, holm_levels, interval_bounds, mann_whitney_interval)


# --- the command line: oncall canary-judge ---------------------------------------------------------------------

def read_export(path: str | Path) -> pd.DataFrame:
    """A metric export: CSV, one column per metric, one row per sample; BadInput names the file and column."""
    from ..errors import BadInput
    from ..paths import display

    path = Path(path)
    where = display(path) if path.is_absolute() else str(path)
    if not path.is_file():
        raise BadInput(where, None, "no such file")
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


def canary_judge_command(baseline: str | Path, canary: str | Path, config: str | Path | None = None,
                         as_json: bool = False) -> tuple[int, str]:
    """What ``oncall canary-judge`` prints and its exit status: 0 pass; 1 marginal, fail or inconclusive
    (BadInput propagates: exit 2)."""
    import json

    from ..errors import BadInput

    cfg = JudgeConfig()
    if config is not None:
        cpath = Path(config)
        if not cpath.is_file():
            raise BadInput(str(config), None, "no such file")
        try:
            cfg = config_from_dict(yamlsafe.safe_load(cpath.read_text(encoding="utf-8")))
        except yaml.YAMLError as exc:
            raise BadInput(str(config), None, f"not valid YAML ({str(exc).splitlines()[0]})") from None
        except ConfigError as exc:
            raise BadInput(str(config), exc.field, exc.expected) from None
    b, c = read_export(baseline), read_export(canary)
    if list(b.columns) != list(c.columns):
        missing = [x for x in b.columns if x not in c.columns] or [x for x in c.columns if x not in b.columns]
        where = str(canary) if any(x not in c.columns for x in b.columns) else str(baseline)
        raise BadInput(where, missing[0] if missing else None,
                       "the baseline and the canary must have the same columns"
                       + (" (missing here)" if missing else " in the same order"))
    for name, spec in cfg.metrics.items():
        for column in spec.counts or ():
            if name in b.columns and column not in b.columns:
                raise BadInput(str(baseline), column, f"missing: metric {name} is judged on counts {column}")
    if not metric_names(c.columns, cfg):
        raise BadInput(str(canary), None, "no metric columns (only count columns)")
    result = judge(b, c, cfg)
    code = 0 if result.verdict == "pass" else 1
    if as_json:
        return code, json.dumps(result.to_dict(), indent=2)
    label = verdict_label(result, cfg).replace(result.verdict, result.verdict.upper(), 1)
    lines = [f"canary {label}: score {result.score:.0f} (pass >= {cfg.pass_score:g}, marginal >= "
             f"{cfg.marginal_score:g}): {result.reason}"]
    for m in result.metrics:
        lines.append(f"  {m.name:<22} {m.classification:<7}{' critical' if m.critical else '         '}  "
                     f"[{m.test}] {m.reason}"
                     + (f" (the rank test alone: {m.rank_classification})" if m.rank_classification else ""))
    return code, "\n".join(lines)

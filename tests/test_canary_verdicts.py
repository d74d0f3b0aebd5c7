"""The canary judge never passes what its test rejects, and a score at the marginal threshold is Kayenta's Marginal."""
import inspect

import numpy as np
import pandas as pd
import pytest

from oncall.paths import DATA_DIR
from oncall.release_ops import canary, canary_rollout
from oncall.commands import canary_judge_command
from oncall.release_ops.canary import (Judgment, JudgeConfig, MetricResult, MetricSpec, classify_rank, judge,
                                       run_canary, score_metrics, stops_rollout)

CANARY = DATA_DIR / "canary"


def _exports(tmp_path, every: int, value: float = 0.01):
    """baseline_clean.csv without its count columns, and a canary with error ratio ``value`` in every
    ``every``-th sample (0 elsewhere): a zero-inflated error ratio against a baseline with no errors at all."""
    base = pd.read_csv(CANARY / "baseline_clean.csv").drop(columns=["requests", "errors"])
    can = base.copy()
    can["error_ratio"] = np.where(np.arange(len(can)) % every == 0, value, 0.0)
    paths = tmp_path / "baseline.csv", tmp_path / "canary.csv"
    base.to_csv(paths[0], index=False)
    can.to_csv(paths[1], index=False)
    return paths


def test_errors_in_half_the_intervals_without_counts_fail(tmp_path):
    code, text = canary_judge_command(*_exports(tmp_path, every=2))
    lines = text.splitlines()
    assert code == 1 and lines[0].startswith("canary FAIL")
    assert lines[1].split()[:2] == ["error_ratio", "high"]
    assert "sparse-error test (Fisher's exact on summed counts) could not run" in lines[1]
    assert "15 of 30 canary samples non-zero vs 0 of 30 baseline" in lines[1]


def test_without_counts_a_rare_error_still_says_the_sparse_error_test_could_not_run(tmp_path):
    code, text = canary_judge_command(*_exports(tmp_path, every=7))   # 5 of 30: neither test rejects
    assert code == 0 and "could not run" in text.splitlines()[1]


def test_a_rejecting_rank_test_is_never_overruled_to_pass():
    # Half zeros on both sides, the canary's non-zero values far above the baseline's: the rank test rejects,
    # the interval's lower bound sits on 0 and the shares of non-zero samples are the same.
    rng = np.random.default_rng(7)
    base = np.where(np.arange(80) % 2 == 0, 0.0, rng.uniform(0.001, 0.002, 80))
    can = np.where(np.arange(80) % 2 == 0, 0.0, rng.uniform(0.05, 0.06, 80))
    spec = MetricSpec("error_ratio", "increase", critical=True)
    result = classify_rank(spec, base, can)
    assert result.p_value < 0.02 and result.ci_low <= 0
    assert result.classification == "nodata" and result.undecided
    assert "rejects" in result.reason and "40 of 80 canary samples non-zero vs 40 of 80" in result.reason
    verdict = score_metrics([result], JudgeConfig())[1]
    assert verdict == "inconclusive"


def test_a_rejecting_test_on_a_non_critical_metric_holds_the_analysis():
    rng = np.random.default_rng(7)
    base = pd.DataFrame({"q": rng.normal(1.0, 0.01, 80),
                         "e": np.where(np.arange(80) % 2 == 0, 0.0, rng.uniform(0.001, 0.002, 80))})
    can = pd.DataFrame({"q": base["q"].to_numpy()[::-1],
                        "e": np.where(np.arange(80) % 2 == 0, 0.0, rng.uniform(0.05, 0.06, 80))})
    config = JudgeConfig(correction="none", metrics={"e": MetricSpec("e", "increase"), "q": MetricSpec("q")})
    result = judge(base, can, config)
    assert result.metric("e").undecided and result.verdict == "inconclusive"


def _metric(name: str, cls: str, critical: bool = False) -> MetricResult:
    return MetricResult(name, cls, critical, "mann-whitney", 1.0, 1.0, 0.0, 0.0, 0.0, 0.5, 1.0, 30, 30, "")


def test_a_score_at_the_marginal_threshold_is_marginal_and_stops_the_rollout():
    results = [_metric("a", "pass"), _metric("b", "pass"), _metric("c", "pass"), _metric("d", "high")]
    score, verdict, reason = score_metrics(results, JudgeConfig())
    assert (score, verdict) == (75.0, "marginal") and reason == "score 75 = the marginal threshold 75: d high"
    judgment = Judgment(score, verdict, tuple(results), reason)
    assert stops_rollout(judgment, JudgeConfig()) and canary.verdict_label(judgment) == "marginal (stops the rollout)"
    # between the thresholds it is a marginal that does not stop; below, a fail
    between = Judgment(80.0, "marginal", (), "")
    assert not stops_rollout(between) and canary.verdict_label(between) == "marginal"
    assert score_metrics(results[1:], JudgeConfig())[1] == "fail"        # 2 of 3: 66.7


def test_the_command_line_prints_marginal_stops_the_rollout(tmp_path):
    base = pd.read_csv(CANARY / "baseline.csv")
    frame = pd.DataFrame({f"m{i}": base["latency_p95_ms"] for i in range(4)})
    moved = frame.copy()
    moved["m3"] = frame["m3"] * 3
    frame.to_csv(tmp_path / "b.csv", index=False)
    moved.to_csv(tmp_path / "c.csv", index=False)
    code, text = canary_judge_command(tmp_path / "b.csv", tmp_path / "c.csv")
    assert code == 1
    assert text.splitlines()[0].startswith("canary MARGINAL (stops the rollout): score 75 (pass >= 95, marginal >= 75)")


def test_the_rollout_aborts_on_a_marginal_at_the_threshold():
    at_threshold = Judgment(75.0, "marginal", (), "score 75 = the marginal threshold 75: m high")
    between = Judgment(80.0, "marginal", (), "score 80 between 75 and 95")
    frames = (pd.DataFrame({"m": [1.0]}), pd.DataFrame({"m": [1.0]}))

    def run(judgment):
        return run_canary("new", "old", 0, 200, JudgeConfig(), lambda m, w: None, lambda s, e: frames,
                          judge_fn=lambda b, c, cfg: judgment)

    stopped = run(at_threshold)
    assert stopped.verdict == "aborted" and len(stopped.intervals) == 1
    assert stopped.reason == ("analysis at 5 % was marginal (stops the rollout): "
                              "score 75 = the marginal threshold 75: m high")
    assert run(between).reason.startswith("the last analysis must pass")   # went on to the last step


def test_the_false_abort_rate_is_a_design_figure_not_a_bound():
    doc = inspect.getdoc(canary_rollout.analysis_config_for)
    assert "designs the canary" in doc and "not a bound" in doc and "WHOLE canary" not in doc
    yaml_text = (CANARY / "judge.yaml").read_text(encoding="utf-8")
    assert "false-abort budget of the whole canary" not in yaml_text and "designed" in yaml_text


@pytest.mark.parametrize("every", [2, 3])
def test_json_export_agrees(tmp_path, every):
    import json

    code, text = canary_judge_command(*_exports(tmp_path, every=every), as_json=True)
    doc = json.loads(text)
    assert code == 1 and doc["verdict"] == "fail" and doc["metrics"][0]["classification"] == "high"

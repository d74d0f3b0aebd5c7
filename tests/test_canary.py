"""The canary judge (M33): Kayenta's statistics, checked by hand, and where we do better (#426, #780)."""
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oncall.errors import BadInput
from oncall.paths import DATA_DIR
from oncall.release_ops.canary import (JudgeConfig, MetricSpec, canary_judge_command, classify_counts, classify_rank,
                                       config_from_dict, hodges_lehmann, judge, mann_whitney_interval, run_canary,
                                       score_metrics)

CANARY = DATA_DIR / "canary"


def test_hodges_lehmann_and_u_match_a_hand_computation():
    canary, baseline = [3.0, 5.0, 9.0], [1.0, 2.0, 4.0]
    # pairwise canary - baseline: 2 1 -1 / 4 3 1 / 8 7 5 -> sorted 1... median of 9 values = 3
    assert hodges_lehmann(canary, baseline) == 3.0
    # U for the canary = number of pairs canary > baseline = 8 (only 3 < 4 is not)
    assert stats.mannwhitneyu(canary, baseline).statistic == 8


def test_interval_is_the_root_of_the_normal_approximation():
    rng = np.random.default_rng(1)
    b, c = rng.normal(0, 1, 20), rng.normal(1.0, 1, 20)
    lo, hi = mann_whitney_interval(c, b, 0.98)
    hl = hodges_lehmann(c, b)
    assert lo < hl < hi
    # at the bounds, the shifted rank sum sits at the 99th / 1st normal quantile (R's wilcox.test, exact=FALSE)
    z = stats.norm.ppf(0.99)
    for bound, sign in ((lo, 1), (hi, -1)):
        shifted = c - bound
        u = stats.mannwhitneyu(shifted, b).statistic
        mu, sd = 200, np.sqrt(20 * 20 * 41 / 12)
        assert abs((u - mu - np.sign(u - mu) * 0.5) / sd - sign * z) < 0.2


def test_identical_samples_pass():
    x = [1.0, 2.0, 3.0, 4.0, 5.0] * 3
    r = classify_rank(MetricSpec("m"), x, list(reversed(x)))
    assert r.classification == "pass" and r.test == "identical"


def test_either_direction_swapping_turns_high_into_low():
    rng = np.random.default_rng(2)
    b, c = rng.normal(10, 1, 30), rng.normal(13, 1, 30)
    spec = MetricSpec("m", "either")
    assert classify_rank(spec, b, c).classification == "high"
    assert classify_rank(spec, c, b).classification == "low"
    assert classify_rank(MetricSpec("m", "increase"), c, b).classification == "pass"


def test_tolerance_band_and_effect_size_guard():
    rng = np.random.default_rng(3)
    b = rng.normal(100, 1, 200)
    c = b + 0.5                       # significant, but under a 1 % mean change
    assert classify_rank(MetricSpec("m", "increase"), b, c).classification == "high"
    assert classify_rank(MetricSpec("m", "increase", allowed_increase=1.01), b, c).classification == "pass"


def test_sparse_data_is_not_judged_pass():
    # Kayenta #426: three samples each can never be significant at 98 %: Kayenta says Pass, we say nodata
    r = classify_rank(MetricSpec("m", "increase"), [1.0, 1.1, 0.9], [1.4, 1.3, 1.5])
    assert r.classification == "nodata"
    # sparse errors against a clean baseline: the exact count test catches what the rank test cannot
    code, text = canary_judge_command(CANARY / "baseline_clean.csv", CANARY / "canary_sparse_errors.csv",
                                      as_json=True)
    doc = json.loads(text)
    err = next(m for m in doc["metrics"] if m["name"] == "error_ratio")
    assert code == 1 and doc["verdict"] == "fail" and err["classification"] == "high" and err["critical"]
    assert err["rank_classification"] == "pass"
    # too little traffic with no visible change is nodata, not pass
    assert classify_counts(MetricSpec("q", "decrease", min_total=30), 5, 300, 0, 12).classification == "nodata"


def test_a_variance_increase_is_caught():
    code, text = canary_judge_command(CANARY / "baseline.csv", CANARY / "canary_latency_spread.csv", as_json=True)
    lat = next(m for m in json.loads(text)["metrics"] if m["name"] == "latency_p95_ms")
    assert code == 1 and lat["classification"] == "high" and lat["test"] == "brown-forsythe"


def test_same_distribution_passes_with_exit_0():
    code, text = canary_judge_command(CANARY / "baseline.csv", CANARY / "canary.csv", as_json=True)
    doc = json.loads(text)
    assert code == 0 and doc["verdict"] == "pass" and doc["score"] == 100
    assert {m["name"] for m in doc["metrics"]} == {"error_ratio", "latency_p95_ms", "quality", "tokens_per_request"}
    assert all(set(m) >= {"name", "classification", "critical"} for m in doc["metrics"])


def _result(name, cls, critical=False):
    from oncall.release_ops.canary import MetricResult
    return MetricResult(name, cls, critical, "x", 0, 0, None, None, None, None, None, 10, 10, "")


def test_scoring_bands_critical_and_nodata():
    ok = [_result(f"m{i}", "pass") for i in range(19)]
    assert score_metrics(ok + [_result("x", "high")])[:2] == (95.0, "pass")
    assert score_metrics(ok[:4] + [_result("x", "high")])[:2] == (80.0, "marginal")
    assert score_metrics(ok[:3] + [_result("x", "high")])[:2] == (75.0, "fail")
    assert score_metrics(ok + [_result("c", "low", critical=True)])[:2] == (0.0, "fail")
    assert score_metrics([_result("a", "pass"), _result("b", "nodata")])[1] == "inconclusive"
    assert score_metrics(ok[:3] + [_result("c", "nodata", critical=True)])[1] == "inconclusive"


def _frames(shift_by):
    rng = np.random.default_rng(4)
    b = pd.DataFrame({"latency_ms": rng.normal(100, 5, 20)})
    return b, pd.DataFrame({"latency_ms": b["latency_ms"].to_numpy() + shift_by})


def test_rollout_promotes_only_on_pass_and_aborts_to_zero():
    cfg = JudgeConfig(steps=(5, 25, 50), interval_min=10)
    for shift_by, verdict, final in ((0, "promoted", 100.0), (50, "aborted", 0.0)):
        weights = []
        run = run_canary("fix", "good", 0, 600, cfg, lambda m, w: weights.append((m, w)),
                         lambda s, e: _frames(shift_by))
        assert run.verdict == verdict and weights[-1][1] == final
    assert len(run.intervals) == 1                     # the first failed interval stops the canary at once


def test_inconclusive_holds_then_pauses_never_promotes():
    cfg = JudgeConfig(steps=(5, 25), interval_min=10, inconclusive_limit=2)
    tiny = pd.DataFrame({"quality": [0.9, 0.95]})
    run = run_canary("fix", "good", 0, 600, cfg, lambda m, w: None, lambda s, e: (tiny, tiny.iloc[::-1]))
    assert run.verdict == "paused" and len(run.intervals) == 3 and not run.promoted_on_pass


@pytest.mark.parametrize("baseline, canary, config, field", [
    ("baseline.csv", "missing.csv", None, None),
    ("baseline.csv", "bad_col", None, "latency_p95_ms"),
    ("baseline.csv", "nonnumeric", None, "quality"),
    ("baseline.csv", "empty", None, None),
    ("baseline.csv", "canary.csv", "bad_direction", "metrics.quality.direction"),
])
def test_bad_input_names_file_and_column(tmp_path, baseline, canary, config, field):
    good = pd.read_csv(CANARY / "canary.csv")
    paths = {"missing.csv": tmp_path / "missing.csv", "canary.csv": CANARY / "canary.csv"}
    paths["bad_col"] = tmp_path / "c.csv"
    good.drop(columns=["latency_p95_ms"]).to_csv(paths["bad_col"], index=False)
    paths["nonnumeric"] = tmp_path / "n.csv"
    g = good.astype(object)
    g.loc[4, "quality"] = "n/a?"
    g.to_csv(paths["nonnumeric"], index=False)
    paths["empty"] = tmp_path / "e.csv"
    paths["empty"].write_text(",".join(good.columns) + "\n")
    cfg = None
    if config:
        cfg = tmp_path / "cfg.yaml"
        cfg.write_text("metrics:\n  quality: {direction: sideways}\n")
    with pytest.raises(BadInput) as err:
        canary_judge_command(CANARY / baseline, paths[canary], cfg)
    assert err.value.field == field
    assert str(err.value).count("\n") == 0


def test_shipped_config_is_valid():
    cfg = config_from_dict(__import__("yaml").safe_load((CANARY / "judge.yaml").read_text()))
    assert cfg.metrics["error_ratio"].critical and cfg.metrics["quality"].critical
    assert cfg.metrics["error_ratio"].counts == ("errors", "requests")
    assert judge(pd.DataFrame({"x": [1.0] * 12}), pd.DataFrame({"x": [1.0] * 12})).verdict == "pass"

"""The canary judge's remedies for noisy traffic (M33): the practical floor tied to the error budget, a fresh
baseline of the canary's size, the absolute SLO guard; each switchable in the judge's config."""
from dataclasses import replace

import pandas as pd
import pytest

from oncall.commands import canary_judge_command
from oncall.errors import BadInput
from oncall.incident_response.slo import load_slo
from oncall.release_ops.canary import (ConfigError, JudgeConfig, MetricSpec, classify_counts, config_from_dict, judge,
                                       load_config, remedy_variants, slo_guard_note, traffic_split)
from oncall.ship import JUDGE_CONFIG

SLOW = MetricSpec("slow_ratio", "increase", counts=("slow", "requests"), slo_objective=0.99)
ERRORS = MetricSpec("error_ratio", "increase", critical=True, counts=("errors", "requests"), slo_objective=0.999)
QUALITY = MetricSpec("quality", "decrease", critical=True, counts=("correct", "graded"), min_total=30,
                     slo_objective=0.95)


def test_the_floor_is_the_stated_share_of_the_budget_over_the_canary_window():
    cfg = JudgeConfig(floor_budget_pct=0.1)             # steps 5, 25, 50 at 10 min: a 30 min canary
    # 0.1 % of 30 days of a 1 % budget, spent in 30 min: 0.001 x 0.01 x 43200 / 30
    assert cfg.canary_window_min == 30
    assert cfg.floor_for(SLOW) == pytest.approx(0.0144)
    assert cfg.floor_for(ERRORS) == pytest.approx(0.00144)
    assert cfg.floor_for(QUALITY) == pytest.approx(0.072)
    assert JudgeConfig().floor_for(SLOW) is None                       # off by default
    assert cfg.floor_for(MetricSpec("tokens", "increase")) is None     # no SLO, no floor


def test_a_significant_difference_under_the_floor_is_never_a_fail():
    # 3 slow of 131 on the canary against 2 of 2,798 (a bursty minute): Fisher p 0.0008, but 2.2 points
    off = classify_counts(SLOW, 2, 2798, 3, 131, JudgeConfig())
    assert off.classification == "high"
    under = classify_counts(SLOW, 2, 2798, 3, 131, JudgeConfig(floor_budget_pct=0.2))   # floor 2.88 points
    assert under.classification == "pass" and "practical floor" in under.reason and under.floor == pytest.approx(0.0288)
    over = classify_counts(SLOW, 2, 2798, 3, 131, JudgeConfig(floor_budget_pct=0.1))    # floor 1.44 points
    assert over.classification == "high"
    # the really bad release is far above any floor
    assert classify_counts(ERRORS, 1, 3000, 33, 150, JudgeConfig(floor_budget_pct=0.1)).classification == "high"


def test_the_guard_fails_a_canary_as_broken_as_its_baseline():
    base = pd.DataFrame({"errors": [150] * 10, "requests": [1000] * 10})
    can = pd.DataFrame({"errors": [15] * 10, "requests": [100] * 10})
    cfg = JudgeConfig(metrics={"error_ratio": ERRORS})
    assert judge(base, can, cfg).verdict == "pass"            # 15 % against 15 %: the comparison alone passes
    guarded = judge(base, can, replace(cfg, slo_guard=True))
    m = guarded.metric("error_ratio")
    assert guarded.verdict == "fail" and m.classification == "high" and m.slo_broken and m.baseline_slo_broken
    assert "breaks its SLO" in m.reason and m.to_dict()["slo"]["limit"] == pytest.approx(0.001)
    assert "breaks it too" in slo_guard_note(guarded)


def test_the_guard_judges_a_good_ratio_from_below_and_needs_evidence():
    cfg = JudgeConfig(slo_guard=True)
    low = classify_counts(QUALITY, 700, 720, 60, 80, cfg)       # 75 % correct, the SLO wants at least 95 %
    assert low.classification == "low" and low.slo_broken
    # one error in 150 requests is 0.67 %, above the 0.1 % the SLO allows, but not significantly so
    fine = classify_counts(ERRORS, 1, 3000, 1, 150, cfg)
    assert fine.classification == "pass" and not fine.slo_broken and fine.slo_p > 0.1
    assert classify_counts(ERRORS, 1, 3000, 1, 150, JudgeConfig()).to_dict().keys() == fine.to_dict().keys() - {"slo"}


def test_a_fresh_baseline_is_the_canarys_size():
    assert traffic_split(5, True) == pytest.approx((0.05, 0.05, 0.90))
    assert traffic_split(50, True) == pytest.approx((0.5, 0.5, 0.0))
    assert traffic_split(25, False) == pytest.approx((0.25, 0.0, 0.75))


def test_config_switches_and_bad_values():
    cfg = config_from_dict({"floor_budget_pct": 0.1, "fresh_baseline": True, "slo_guard": True,
                            "metrics": {"error_ratio": {"direction": "increase",
                                                        "counts": {"numerator": "errors", "denominator": "requests"},
                                                        "slo_objective": 0.999}}})
    assert cfg.floor_budget_pct == 0.1 and cfg.fresh_baseline and cfg.slo_guard
    assert config_from_dict({"floor_budget_pct": None}).floor_budget_pct is None
    for doc, field in (({"floor_budget_pct": 0}, "floor_budget_pct"), ({"slo_guard": "yes"}, "slo_guard"),
                       ({"fresh_baseline": 1}, "fresh_baseline"), ({"budget_period_days": -1}, "budget_period_days"),
                       ({"metrics": {"m": {"direction": "increase", "slo_objective": 0.99}}}, "metrics.m.slo_objective"),
                       ({"metrics": {"m": {"direction": "increase", "slo_objective": 1.5,
                                           "counts": {"numerator": "a", "denominator": "b"}}}}, "metrics.m.slo_objective")):
        with pytest.raises(ConfigError) as err:
            config_from_dict(doc)
        assert err.value.field == field


def test_bad_config_on_the_command_line_is_exit_2(tmp_path):
    bad = tmp_path / "judge.yaml"
    bad.write_text("slo_guard: maybe\n")
    from oncall.paths import DATA_DIR
    with pytest.raises(BadInput) as err:
        canary_judge_command(DATA_DIR / "canary" / "baseline.csv", DATA_DIR / "canary" / "canary.csv", bad)
    assert "slo_guard" in str(err.value)


def test_the_service_config_states_the_slos_objectives():
    cfg = load_config(JUDGE_CONFIG)
    for metric, slo in (("error_ratio", "availability"), ("slow_ratio", "latency"), ("quality", "quality")):
        assert cfg.metrics[metric].slo_objective == load_slo(slo).objective
    assert cfg.floor_budget_pct == 0.1 and cfg.slo_guard and not cfg.fresh_baseline
    variants = remedy_variants(cfg)
    assert list(variants) == ["no remedy", "floor", "fresh baseline", "SLO guard", "all three"]
    assert variants["no remedy"].floor_budget_pct is None and not variants["no remedy"].slo_guard
    assert variants["all three"].fresh_baseline and variants["all three"].floor_budget_pct == 0.1


# --- in the shift -------------------------------------------------------------------------------------------------

def _night(seed=3, mode="none", scenario=None):
    from oncall.scenario import load_scenario
    from oncall.sweeps import shift_before_ship

    return shift_before_ship(scenario or load_scenario("bad-deploy"), seed, mode)


def test_the_rollout_compares_the_canary_with_a_fresh_group_of_its_size():
    from oncall.sweeps import ship_from

    night = _night()
    cfg = load_config(JUDGE_CONFIG)
    rec = ship_from(night, finish=False, config=replace(cfg, fresh_baseline=True), regression_precheck=False)
    good, fix = night.scenario.releases.last_good.version, night.scenario.releases.fix.version
    fresh = good + "-baseline"
    assert fresh in rec.plan.releases
    first = rec.canary.intervals[0]
    assert rec.plan.serving_at(first.start) == pytest.approx({fix: 0.05, fresh: 0.05, good: 0.90})
    for iv in rec.canary.intervals:   # the baseline the judge saw is the fresh group's, about the canary's size
        assert 0.6 < iv.baseline["requests"].sum() / iv.canary["requests"].sum() < 1.6
    assert any("fresh baseline group" in e.message for e in rec.trace.events if e.kind == "canary.started")
    plain = ship_from(night, finish=False, config=cfg, regression_precheck=False)
    assert fresh not in plain.plan.releases
    assert plain.canary.intervals[0].baseline["requests"].sum() > 10 * plain.canary.intervals[0].canary["requests"].sum()


def test_no_mitigation_shows_the_guard_and_a_fix_as_broken_as_the_baseline_never_passes():
    from oncall.scenario import load_scenario
    from oncall.sweeps import ship_from

    cfg = load_config(JUDGE_CONFIG)
    # today's path: the fix is judged against the failing release; the trace says so, and judges the fix on its own
    rec = ship_from(_night(7, "no-mitigation"), finish=False)
    notes = [e.message for e in rec.trace.events if e.kind == "canary.interval"]
    assert rec.canary.verdict == "promoted" and all("the baseline breaks its SLO" in n and "breaks it too" not in n
                                                    for n in notes)
    # a "fix" with the bad release's config, judged against the bad release: A/A of two broken releases
    sc = load_scenario("bad-deploy")
    broken = sc.releases.bad.model_copy(update={"version": sc.releases.fix.version, "deployed_at": None})
    sc = sc.model_copy(update={"releases": sc.releases.model_copy(update={"fix": broken})})
    night = _night(7, "no-mitigation", sc)
    unguarded = ship_from(night, finish=False, config=replace(cfg, slo_guard=False), regression_precheck=False)
    guarded = ship_from(night, finish=False, config=cfg, regression_precheck=False)
    assert unguarded.canary.verdict == "promoted"
    assert guarded.canary.verdict == "aborted" and len(guarded.canary.intervals) == 1
    m = guarded.canary.intervals[0].judgment.metric("error_ratio")
    assert m.slo_broken and m.baseline_slo_broken and "breaks its SLO" in m.reason

"""The ship phase: the fix canaried back in under the error-budget policy; the gate check canary_promoted_on_pass."""
import pytest

from oncall.ship import budget_standing, load_policy
from oncall.sweeps import run_shift_with_ship


@pytest.fixture(scope="module")
def shipped(scenario):
    return {mode: run_shift_with_ship(scenario, break_mode=mode)
            for mode in ("none", "errors", "latency", "quality", "skip-canary")}


def _check(record):
    return next(c for c in record.checks if c.name == "canary_promoted_on_pass")


def test_honest_fix_is_promoted_after_every_interval_passes(shipped):
    r = shipped["none"]
    run = r.canary
    assert run.verdict == "promoted" and run.promoted_on_pass and _check(r).passed
    assert [w for _, w in run.weights] == [5, 25, 50, 100]
    intervals = r.trace.of_kind("canary.interval")
    assert len(intervals) == len(run.intervals) and all(e.module == "M33" and e.phase == "ship" for e in intervals)
    assert {"release", "weight", "score"} <= set(intervals[0].refs)
    verdict = r.trace.of_kind("canary.verdict")[-1]
    assert verdict.refs["verdict"] == "promoted" and verdict.refs["release"] == r.scenario.releases.fix.version
    assert r.plan.serving_at(len(r.service) - 1) == {r.scenario.releases.fix.version: 1.0}


@pytest.mark.parametrize("mode", ["errors", "latency", "quality"])
def test_broken_fix_is_aborted_and_traffic_returns_to_baseline(shipped, mode):
    r = shipped[mode]
    assert r.canary.verdict == "aborted" and not _check(r).passed
    good = r.scenario.releases.last_good.version
    assert r.plan.serving_at(len(r.service) - 1).get(good) == 1.0
    assert r.trace.of_kind("canary.verdict")[-1].refs["weight"] == 0


def test_errors_mode_aborts_on_the_regression_eval_before_any_traffic(shipped):
    r = shipped["errors"]
    assert r.canary.intervals == [] and "regression eval" in r.canary.reason
    fix = r.scenario.fix_release("errors").version
    assert r.minutes[r.minutes.release == fix].requests.sum() == 0


def test_skip_canary_goes_straight_to_100_and_fails_the_check(shipped):
    r = shipped["skip-canary"]
    assert r.canary.verdict == "skipped" and not r.trace.of_kind("canary.interval")
    assert not _check(r).passed and "no canary analysis" in _check(r).detail


def test_only_the_modes_checks_turn_red(shipped):
    for mode, r in shipped.items():
        red = r.red_checks
        want = set(r.scenario.break_modes[mode].must_fail) if mode != "none" else set()
        assert "canary_promoted_on_pass" not in red - want, mode
        assert ("canary_promoted_on_pass" in red) == ("canary_promoted_on_pass" in want), mode


def test_no_false_abort_on_seeds_1_to_20(shift_by_seed):
    verdicts = {seed: record.canary.verdict for seed, record in shift_by_seed.items()}
    assert set(verdicts.values()) == {"promoted"}, verdicts


def test_budget_standing_at_the_canary(shipped):
    r = shipped["none"]
    b = r.budget
    assert 0 <= b.remaining_pct <= 100 and abs(b.spent_pct + b.remaining_pct - 100) < 0.02
    assert r.metrics["budget_remaining_pct_at_canary"] == b.remaining_pct
    policy = load_policy()
    assert budget_standing(r, 0, policy).spent_pct <= b.spent_pct      # spending only grows during the shift
    assert r.trace.of_kind("budget.policy")


def test_ship_from_a_night_leaves_it_untouched_and_matches_the_whole_shift():
    """shift_before_ship + ship_from is run_shift phase by phase: the same trace byte for byte, and the night it
    starts from can be shipped again (another judge) without being changed by the first."""
    from oncall.release_ops.canary import naive_judgment
    from oncall.scenario import load_scenario
    from oncall.sweeps import ship_from, shift_before_ship
    from oncall.shift import run_shift

    scenario = load_scenario("bad-deploy")
    night = shift_before_ship(scenario, 5, "quality")
    before = night.trace.to_jsonl()
    first = ship_from(night)
    assert first.trace.to_jsonl() == run_shift(scenario, 5, "quality").trace.to_jsonl()
    naive = ship_from(night, regression_precheck=False, judge_fn=naive_judgment)
    assert night.trace.to_jsonl() == before and naive.canary is not first.canary


def test_canary_verdicts_ship_every_judge_from_the_same_night():
    from oncall.release_ops.canary import naive_judgment
    from oncall.scenario import load_scenario
    from oncall.sweeps import canary_verdicts, ship_from, shift_before_ship

    scenario = load_scenario("bad-deploy")
    got = canary_verdicts(scenario, [4, 5], "quality", {"judge": None, "naive": naive_judgment},
                          regression_precheck=False)
    for i, seed in enumerate((4, 5)):
        night = shift_before_ship(scenario, seed, "quality")
        assert got["judge"][i] == ship_from(night, regression_precheck=False).canary.verdict
        assert got["naive"][i] == ship_from(night, regression_precheck=False, judge_fn=naive_judgment).canary.verdict


def test_the_promotion_says_how_many_analyses_passed():
    """The fix's release.deployed line counts the analyses by verdict: "after 5 passing analyses" only when all
    five passed (bad-deploy seed 1 holds two inconclusive ones at 5 %)."""
    from oncall.scenario import load_scenario
    from oncall.shift import run_shift

    record = run_shift(load_scenario("bad-deploy"), seed=1)
    verdicts = [iv.judgment.verdict for iv in record.canary.intervals]
    line = next(e.message for e in record.trace.events if e.kind == "release.deployed" and "(fix)" in e.message)
    assert verdicts.count("pass") < len(verdicts), verdicts
    assert f"after {len(verdicts)} analyses ({verdicts.count('pass')} passed, " in line, line
    assert f"{verdicts.count('inconclusive')} inconclusive" in line and "passing analyses" not in line, line


def test_copies_of_a_night_share_simulations_and_ship_as_if_each_simulated_its_own():
    """ship_from's copies of one night simulate each serving plan once (05's A/A study ships every night five
    ways): each variant's canary, trace, minutes and the whole shift after the gate are those of a ship phase that
    simulates every step itself (shift.resume). Bursty seed 57: the variants part (floor and no remedy abort,
    the fresh baseline promotes), so shared and unshared plans both occur."""
    import pickle

    import pandas as pd

    from oncall import shift, sweeps
    from oncall.release_ops.canary import load_config, remedy_variants
    from oncall.scenario import load_scenario
    from oncall.ship import JUDGE_CONFIG

    scenario = load_scenario("bad-deploy")
    bursty = scenario.model_copy(update={"traffic": scenario.traffic.model_copy(update={"burst_dispersion": 0.25})})
    night = sweeps.shift_before_ship(bursty, 57, "none")
    shared = {name: sweeps.ship_from(night, finish=name == "all three", config=cfg, regression_precheck=False)
              for name, cfg in remedy_variants(load_config(JUDGE_CONFIG)).items()}
    verdicts = {name: r.canary.verdict for name, r in shared.items()}
    assert verdicts["no remedy"] == "aborted" and verdicts["fresh baseline"] == "promoted"
    for name, cfg in remedy_variants(load_config(JUDGE_CONFIG)).items():
        own = shift.resume(pickle.loads(pickle.dumps(night)), after="learn",
                           until="gate" if name == "all three" else "ship", config=cfg, regression_precheck=False)
        assert shared[name].trace.to_jsonl() == own.trace.to_jsonl(), name
        assert repr(shared[name].canary) == repr(own.canary), name   # (== fails on a NaN score)
        pd.testing.assert_frame_equal(shared[name].minutes, own.minutes)
        pd.testing.assert_frame_equal(shared[name].service, own.service)
    assert len(sweeps._simulations_of(night).fields) < 4 * len(shared)   # fewer simulations than canary steps

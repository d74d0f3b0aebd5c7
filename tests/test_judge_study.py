"""Eval statistics against the truth (M26): interval coverage, the gate's power and false blocks, and the judge's
bias and its correction, as 04_learn and benchmarks/judge_eval.py measure them."""
import numpy as np
import pytest
from scipy.stats import binomtest

from oncall.evals import study as S
from oncall.evals import truth as T
from oncall.evals.harness import gate_cases, golden_cases
from oncall.scenario import load_scenario


@pytest.fixture(scope="module")
def world():
    sc = load_scenario("bad-deploy")
    cases = gate_cases()
    good, fix, quality = sc.releases.last_good, sc.releases.fix, sc.fix_release("quality")
    minus5, catalog5 = S.with_quality_drop(good, 0.05)
    return {"good": (good, T.case_truths(cases, good)), "fix": (fix, T.case_truths(cases, fix)),
            "quality": (quality, T.case_truths(cases, quality)),
            "minus5": (minus5, T.case_truths(cases, minus5, catalog5)), "sc": sc}


def test_a_quality_drop_costs_what_it_says(world):
    good, minus5 = world["good"][1], world["minus5"][1]
    assert T.true_pass_rate(good) - T.true_pass_rate(minus5) == pytest.approx(0.05, abs=0.005)


def test_wilson_covers_the_truth_where_the_naive_interval_does_not(world):
    fix, truths = world["fix"]
    full = S.coverage(truths, fix.version, range(1, 101))
    assert 0.9 <= full.wilson <= 1.0
    small = S.coverage(T.case_truths(golden_cases(), fix), fix.version, range(1, 101))
    assert small.wilson >= 0.9 and small.wald < 0.5       # 14 cases, nearly all pass: the normal interval collapses
    assert abs(small.worst_rate - small.truth) >= abs(full.worst_rate - full.truth)


def test_the_gate_rule_is_mcnemars_exact_test():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = rng.random((60, 2)) < 0.9, rng.random((60, 2)) < 0.8
        bb, cc = int((a & ~b).sum()), int((b & ~a).sum())
        want = binomtest(bb, bb + cc, 0.5).pvalue if bb + cc else 1.0
        assert S.gate_blocks(a, b)[2] == pytest.approx(want, abs=1e-12)


def test_power_sees_a_20_point_drop_and_never_blocks_the_honest_fix(world):
    (good, tg), (q, tq), (fix, tf) = world["good"], world["quality"], world["fix"]
    rows = dict(((label, p.cases, p.epochs), p) for label, p in S.power_table(
        tg, good.version, {"20": (tq, q.version), "0": (tf, fix.version)}, (14, 336), (1, 3), range(1, 41)))
    assert rows[("20", 336, 1)].blocked == 1.0
    assert rows[("20", 14, 1)].blocked == 0.0                 # 14 cases, one answer each: blind to it
    assert all(rows[("0", n, e)].blocked == 0.0 for n in (14, 336) for e in (1, 3))


def test_the_judges_bias_is_corrected_against_the_truth(world):
    fix, truths = world["fix"]
    study = S.judge_study(truths, fix.version, range(1, 41), resamples=300)
    assert study.raw_mean_error < -0.007                      # false fails outweigh false passes at 97 %
    assert abs(study.corrected_mean_error) < abs(study.raw_mean_error) / 2
    assert study.corrected_coverage > study.raw_coverage

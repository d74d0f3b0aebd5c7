"""The truth the simulator knows (M26): each case's true chance of passing, and sampled eval runs replayed from the
answer model's draws exactly as run_eval samples them."""
import numpy as np
import pytest

from oncall.evals import truth as T
from oncall.evals.harness import gate_cases, run_eval
from oncall.scenario import load_scenario


@pytest.fixture(scope="module")
def sc():
    return load_scenario("bad-deploy")


@pytest.mark.parametrize("role", ["last_good", "bad", "fix", "quality"])
def test_units_replay_run_eval_exactly(sc, role):
    rel = sc.fix_release("quality") if role == "quality" else getattr(sc.releases, role)
    cases = gate_cases()
    truths = T.case_truths(cases, rel)
    got = T.units(truths, rel.version, seed=5, epochs=2)
    result = run_eval(cases, rel, seed=5, epochs=2)
    want = np.array([[s >= c.threshold - 1e-12 for s in c.epoch_scores] for c in result.cases])
    assert (got == want).all()


def test_true_pass_rates_order_the_releases(sc):
    cases = gate_cases()
    rate = {role: T.true_pass_rate(T.case_truths(cases, getattr(sc.releases, role)))
            for role in ("last_good", "bad", "fix")}
    rate["quality"] = T.true_pass_rate(T.case_truths(cases, sc.fix_release("quality")))
    assert rate["quality"] < rate["fix"] - 0.15 and rate["bad"] < rate["fix"] - 0.1
    assert abs(rate["fix"] - rate["last_good"]) < 0.02
    # a wrong answer never passes a golden case whose graders read the answer; a right one passes unless the
    # release breaks a tool: the chance of passing is the chance of a right answer there
    t = T.case_truths(cases, sc.releases.fix)
    assert all(not x.pass_if_wrong for x in t if x.id.startswith("gen-kb"))
    assert all(0.0 <= x.p_pass <= 1.0 for x in t)

"""Release operations: history, rollback to the last known good (and its failure), kill switches."""
from oncall.release_ops.releases import ReleaseOps
from oncall.service import simulate as sim


def _ops(scenario, failures=0):
    good, bad = scenario.releases.last_good, scenario.releases.bad
    plan = sim.ServingPlan(releases={good.version: good, bad.version: bad},
                           changes=[(-100, {good.version: 1.0}), (210, {bad.version: 1.0})])
    return ReleaseOps(plan, rollback_failures=failures)


def test_rollback_goes_to_the_last_known_good(scenario):
    ops = _ops(scenario)
    assert ops.serving(220) == scenario.releases.bad.version
    assert ops.last_known_good(220).version == scenario.releases.last_good.version
    assert ops.rollback(230).ok
    assert ops.serving(231) == scenario.releases.last_good.version
    assert [v for _, v in ops.history(300)] == [scenario.releases.last_good.version, scenario.releases.bad.version,
                                                 scenario.releases.last_good.version]


def test_a_failing_rollback_changes_nothing(scenario):
    ops = _ops(scenario, failures=1)
    first = ops.rollback(230)
    assert not first.ok and "pruned" in first.detail and ops.serving(240) == scenario.releases.bad.version
    assert ops.rollback(232).ok


def test_kill_switch(scenario):
    ops = _ops(scenario)
    ops.set_flag(250, "refund_tool", False)
    on = ops.plan.flag_on("refund_tool", 300)
    assert on[:250].all() and not on[250:].any()

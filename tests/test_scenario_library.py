"""The scenario library (issue: a second incident type and more): every scenario's gate is green on seeds 1-20,
each break mode it supports turns red exactly its declared checks, and no rollback happens where none can help."""

import pytest

from oncall.scenario import list_scenarios, load_scenario
from oncall.shift import run_shift

LIBRARY = ("stale-index", "latency-regression", "quality-regression", "provider-outage")


def _red(record):
    return record.red_checks


def test_oncall_scenarios_lists_at_least_five(oncall_cli):
    out = oncall_cli(["scenarios"])
    assert out.returncode == 0, out.stderr
    names = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    assert {"bad-deploy", *LIBRARY} <= set(names) and len(names) >= 5, out.stdout
    assert {n for n, _ in list_scenarios()} >= set(LIBRARY)


@pytest.mark.slow   # 20 whole shifts per scenario; make test-fast keeps the break modes' seeds 1-3 below
@pytest.mark.parametrize("name", LIBRARY)
def test_gate_green_on_seeds_1_to_20(name):
    scenario = load_scenario(name)
    red = {seed: sorted(_red(run_shift(scenario, seed))) for seed in range(1, 21)}
    assert not any(red.values()), {s: r for s, r in red.items() if r}


@pytest.mark.parametrize("name,mode", [(n, m) for n in LIBRARY for m in load_scenario(n).break_modes])
def test_each_break_mode_turns_its_declared_checks_red(name, mode):
    scenario = load_scenario(name)
    spec = scenario.break_modes[mode]
    for seed in (1, 2, 3):
        red = _red(run_shift(scenario, seed, mode))
        assert spec.explains(red), (seed, sorted(red), spec.must_fail, spec.may_fail)


def test_stale_index_reindexes_and_never_rolls_back():
    record = run_shift(load_scenario("stale-index"), 4)
    kinds = [e.kind for e in record.trace.events]
    assert "index.build_failed" in kinds and "index.rebuilt" in kinds
    assert "release.rolled_back" not in kinds
    rebuilt = next(e for e in record.trace.events if e.kind == "index.rebuilt")
    page = next(e for e in record.trace.events if e.kind == "page.sent")
    assert page.refs["slo"] == "freshness" and page.t < rebuilt.t
    # errors stayed flat: the availability SLI never degraded
    assert not [e for e in record.trace.events if e.kind == "sli.degraded" and e.refs["slo"] == "availability"]
    assert record.service["index_age_h"].iloc[-1] < 25


def test_check_first_index_fresh_fails_under_the_rollback_runbook():
    """The check-first rule: with the bad-deploy runbook (roll back), index_fresh fails; with reindex it passes."""
    scenario = load_scenario("stale-index")
    wrong = run_shift(scenario.model_copy(update={"runbook": "bad-deploy-rollback"}), 4)
    right = run_shift(scenario, 4)
    check = {c.name: c for c in wrong.checks}
    assert not check["index_fresh"].passed and check["index_fresh"].value > 25
    assert not check["no_rollback"].passed
    assert {c.name: c.passed for c in right.checks}["index_fresh"]


def test_provider_outage_fails_over_and_never_rolls_back():
    record = run_shift(load_scenario("provider-outage"), 6)
    kinds = [e.kind for e in record.trace.events]
    assert "provider.failed_over" in kinds and "release.rolled_back" not in kinds
    steps = [e.message for e in record.trace.events if e.kind == "runbook.step"]
    assert any("provider" in m and "dominate" in m for m in steps), steps


def test_quality_regression_moves_only_the_quality_sli():
    record = run_shift(load_scenario("quality-regression"), 2)
    degraded = {e.refs["slo"] for e in record.trace.events if e.kind == "sli.degraded"}
    assert "availability" not in degraded and "latency" not in degraded, degraded
    assert record.page.slo == "quality" and record.page.tier == "page-6h"


def test_a_scenario_without_a_bad_release_must_name_its_cause(tmp_path, oncall_cli):
    text = (load_scenario("stale-index").model_dump_json())
    import json

    import yaml

    doc = json.loads(text)
    doc["index"]["build_fails_from"] = None
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = oncall_cli(["gate", "--scenario", path])
    assert out.returncode == 2 and "index.build_fails_from" in out.stderr and out.stderr.count("\n") == 1, out.stderr

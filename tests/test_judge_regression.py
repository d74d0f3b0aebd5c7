"""The postmortem's prevent item and its root cause (M31 -> M26): the action item that makes the golden set a deploy
gate, stated done with a priority and a due date; the regression case a duplicate of the golden set for a broken
tool schema (and kept: no grader of the answer's words), and an addition where the golden set cannot look."""
import re

import pytest
import yaml

from oncall.evals.harness import Case, gate_cases, run_eval
from oncall.scenario import load_scenario
from oncall.shift import run_shift


@pytest.fixture(scope="module")
def bad_deploy():
    sc = load_scenario("bad-deploy")
    return sc, run_shift(sc, seed=2, until="learn")


def _suite(record):
    doc = yaml.safe_load(record.artifacts[f"regressions/{record.regression_name}"])
    return [Case.model_validate(c) for c in doc["cases"]]


def test_the_root_cause_item_is_done_with_a_priority_and_a_due_date(bad_deploy):
    _, record = bad_deploy
    md = record.artifacts["postmortem.md"] if "postmortem.md" in record.artifacts else None
    if md is None:
        from oncall.learn import render
        render(record)
        md = record.artifacts["postmortem.md"]
    row = next(line for line in md.splitlines() if "Make the golden set a deploy gate" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert "Done" in cells[0] and "eval.gated" in cells[0]
    assert re.fullmatch(r"P[1-3]", cells[2]) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", cells[3])
    assert cells[5] == "done: check eval_gate_passed"


def test_the_tool_contract_case_duplicates_the_golden_set_and_never_flakes(bad_deploy):
    sc, record = bad_deploy
    cases = _suite(record)
    gate = gate_cases()
    for rel in (sc.releases.last_good, sc.releases.bad, sc.fix_release("errors")):
        assert run_eval(cases, rel).passed == run_eval(gate, rel).passed
    # no grader reads the answer's words: its verdict is the same on every sampled answer
    assert {g.type for c in cases for g in c.graders} <= {"tool_call", "json_schema", "no_error"}
    fix = sc.fix_release("none")
    assert all(run_eval(cases, fix, seed=s, epochs=3).passed for s in range(1, 11))


def test_the_provider_outage_case_fails_where_the_golden_set_passes():
    sc = load_scenario("provider-outage")
    record = run_shift(sc, seed=2, until="learn")
    cases = _suite(record)
    good = sc.releases.last_good
    assert run_eval(gate_cases(), good).passed
    assert not run_eval(cases, good).passed
    assert run_eval(cases, sc.fix_release("none")).passed

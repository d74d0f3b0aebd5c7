"""Eval statistics and the golden set as the deploy gate (M26)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from oncall.cli import main
from oncall.evals import stats
from oncall.evals.harness import gate_cases, run_eval
from oncall.scenario import list_scenarios, load_scenario
from oncall.shift import run_shift

ROOT = Path(__file__).resolve().parents[1]


# --- statistics --------------------------------------------------------------------------------------------------

def test_wilson_interval_known_values():
    low, high = stats.wilson(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    low, high = stats.wilson(50, 100)
    assert (low, high) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    assert stats.wilson(0, 0) == (0.0, 1.0)


def test_pass_pow_k_and_pass_at_k_bound_each_other():
    from oncall.evals.harness import pass_at_k
    assert stats.pass_pow_k(5, 5, 3) == 1 and stats.pass_pow_k(5, 2, 3) == 0
    assert stats.pass_pow_k(5, 4, 2) == pytest.approx(6 / 10)
    assert stats.pass_pow_k(5, 4, 2) <= 4 / 5 <= pass_at_k(5, 4, 2)


def test_mcnemar_counts_only_discordant_pairs():
    class R:
        def __init__(self, name, passes):
            self.release = name
            self.cases = [type("C", (), {"id": f"c{i}", "threshold": 1.0, "epoch_scores": (float(p),)})
                          for i, p in enumerate(passes)]
    base = R("a", [1] * 100)
    cand = R("b", [1] * 80 + [0] * 20)
    pair = stats.paired(base, cand)
    assert (pair.only_baseline, pair.only_candidate, pair.delta) == (20, 0, pytest.approx(-0.2))
    assert pair.p_value == pytest.approx(2 * 0.5 ** 20) and pair.significantly_below
    same = stats.paired(base, R("c", [1] * 100))
    assert same.p_value == 1.0 and not same.significantly_below
    small = stats.paired(base, R("d", [1] * 97 + [0] * 3))     # significant would need a 5-point drop too
    assert not small.significantly_below


@pytest.fixture(scope="module")
def sc():
    return load_scenario("bad-deploy")


def test_the_golden_set_sees_the_terse_prompt_only_when_sampled(sc):
    cases = gate_cases()
    assert len(cases) >= 300
    good, terse = sc.releases.last_good, sc.fix_release("quality")
    assert run_eval(cases, terse).passed                               # greedy: blind to it
    base = run_eval(cases, good, seed=1)
    pair = stats.paired(base, run_eval(cases, terse, seed=1))
    assert pair.delta < -0.1 and pair.p_value < 1e-6 and pair.significantly_below
    honest = stats.paired(base, run_eval(cases, sc.fix_release("none"), seed=1))
    assert not honest.significantly_below


def test_golden_generated_is_what_its_script_makes():
    out = subprocess.run([sys.executable, "data/evals/generate_golden.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --- the command ---------------------------------------------------------------------------------------------------

def test_eval_epochs_json_reports_the_statistics(capsys):
    code = main(["eval", "--release", "fix", "--epochs", "5", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"pass_rate", "ci_low", "ci_high", "epochs", "cases", "flaky_cases", "pass_at_k", "pass_pow_k"} <= set(doc)
    assert doc["epochs"] == 5 and doc["case_count"] == len(gate_cases()) and len(doc["cases"]) == doc["case_count"]
    assert doc["ci_low"] < doc["pass_rate"] < doc["ci_high"]
    assert doc["pass_pow_k"]["5"] <= doc["pass_rate"] <= doc["pass_at_k"]["5"]
    assert doc["flaky_cases"] and set(doc["pass_rate_by_tag"]) >= {"kb", "lookup", "refund"}


def test_eval_compare_flags_the_terse_prompt(capsys, tmp_path):
    scen = tmp_path / "terse.yaml"
    text = (ROOT / "data/scenarios/bad-deploy.yaml").read_text()
    text = text.replace("    prompt: support-v8\n    tool_schema: orders-v4.1", "    prompt: support-v8-terse\n    tool_schema: orders-v4.1")
    assert "support-v8-terse\n    tool_schema: orders-v4.1" in text
    scen.write_text(text)
    code = main(["eval", "--scenario", str(scen), "--release", "fix", "--compare", "last_good", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["delta"] < -0.1 and doc["p_value"] < 0.01
    code = main(["eval", "--release", "fix", "--compare", "last_good", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["p_value"] > 0.01


def test_eval_epochs_out_of_range_is_bad_input(capsys):
    assert main(["eval", "--release", "fix", "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err


# --- the gate in the ship phase ------------------------------------------------------------------------------------

def _gated_before_canary(record):
    kinds = [e.kind for e in record.trace.events]
    gated = kinds.index("eval.gated")
    assert all(not k.startswith("canary.") for k in kinds[:gated])
    e = record.trace.events[gated]
    assert (e.module, e.phase) == ("M26", "ship")
    assert {"release", "passed", "pass_rate", "ci_low", "ci_high"} <= set(e.refs)
    return e


@pytest.mark.parametrize("name", [n for n, _ in list_scenarios() if "quality" in load_scenario(n).break_modes])
def test_quality_break_never_takes_traffic(name):
    sc = load_scenario(name)
    r = run_shift(sc, seed=1, break_mode="quality")
    e = _gated_before_canary(r)
    assert e.refs["passed"] is False and "eval_gate_passed" in r.red_checks
    assert "eval_gate_passed" in sc.break_modes["quality"].must_fail
    assert r.canary.verdict == "aborted" and r.canary.intervals == []
    fix = sc.fix_release("quality").version
    assert r.minutes.loc[r.minutes["release"] == fix, "requests"].sum() == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_honest_fix_passes_the_gate(sc, seed):
    r = run_shift(sc, seed=seed)
    e = _gated_before_canary(r)
    assert e.refs["passed"] is True and "eval_gate_passed" not in r.red_checks
    assert r.canary.verdict == "promoted"


def test_latency_break_is_caught_by_the_golden_latency_budget(sc):
    r = run_shift(sc, seed=1, break_mode="latency")
    check = next(c for c in r.checks if c.name == "eval_gate_passed")
    assert not check.passed and "golden suite golden" in check.detail


def test_postmortem_makes_the_golden_set_a_deploy_gate(sc):
    r = run_shift(sc, seed=1)
    text = r.artifacts["postmortem.md"]
    assert "was not a deploy gate" in text
    row = next(line for line in text.splitlines() if "Make the golden set a deploy gate" in line)
    assert "| process |" in row and "eval_gate_passed" in row

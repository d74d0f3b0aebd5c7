"""The command line: exit statuses, one-line errors, atomic --out, byte-identical traces, a light core."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from oncall.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "oncall", *args], capture_output=True, text=True, cwd=cwd)


def test_drill_prints_the_story_and_exits_with_the_gate(capsys):
    status = main(["drill"])
    out = capsys.readouterr().out
    assert "release.deployed" in out and "sli.degraded" in out and "M33" in out and "M27" in out
    card_status = main(["gate", "--json"])
    card = json.loads(capsys.readouterr().out)
    assert status == card_status == (0 if card["passed"] else 1)
    assert {"passed", "checks", "metrics"} <= set(card)
    assert {"name", "passed", "value", "threshold", "detail"} == set(card["checks"][0])


def test_scenarios_lists_names_first(capsys):
    assert main(["scenarios"]) == 0
    assert capsys.readouterr().out.split()[0] == "bad-deploy"


@pytest.mark.parametrize("args, words", [
    (["drill", "--seed", "seven"], "--seed: expected a whole number"),
    (["drill", "--seed", "-1"], "--seed: expected a whole number"),
    (["drill", "--break", "tornado"], "--break: expected one of"),
    (["drill", "--scenario", "nope"], "--scenario: no scenario named"),
    (["drill", "--scenario", "no/such.yaml"], "no/such.yaml: no such file"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, args, words):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.slow
def test_out_writes_artifacts_and_same_seed_gives_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["drill", "--seed", "4", "--out", str(a)]) in (0, 1)
    assert main(["drill", "--seed", "4", "--out", str(b)]) in (0, 1)
    assert (a / "trace.jsonl").read_bytes() == (b / "trace.jsonl").read_bytes()
    assert json.loads((a / "scorecard.json").read_text())["seed"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no temporary folder left behind


def test_bad_input_leaves_out_untouched(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["drill", "--out", str(out)]) in (0, 1)
    files = lambda: {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    before = files()
    assert "postmortem.md" in before and any(name.startswith("regressions/") for name in before)
    assert main(["drill", "--out", str(out), "--scenario", "nope"]) == 2
    assert main(["drill", "--out", str(out), "--break", "tornado"]) == 2
    assert files() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_out_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["drill", "--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_module_and_console_script_agree():
    result = run("scenarios")
    assert result.returncode == 0 and result.stdout.startswith("bad-deploy")


@pytest.mark.slow
def test_core_imports_neither_matplotlib_nor_ipywidgets():
    code = ("import sys, oncall.cli, oncall.shift; from oncall.cli import main; "
            "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()): main(['drill'])\n"
            "bad = [m for m in ('matplotlib', 'ipywidgets') if m in sys.modules]; print(bad)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stderr


def test_slo_explain_agrees_with_the_workbook(capsys):
    assert main(["slo", "explain", "--objective", "0.999", "--error-ratio", "0.05", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["burn_rate"] == pytest.approx(50) and doc["time_to_exhaustion_h"] == pytest.approx(14.4)
    fast = doc["tiers"][0]
    # time to fire = (1 - SLO) / e x long window x burn-rate threshold = 0.001 / 0.05 x 60 x 14.4 = 17.28 min
    assert fast["fires_after_min"] == pytest.approx(17.28, abs=0.01) and fast["budget_consumed_pct"] == pytest.approx(2.0, abs=0.01)
    assert main(["slo", "explain", "--objective", "0.999", "--error-ratio", "0.05"]) == 0
    assert "gone in 14.4 h" in capsys.readouterr().out


@pytest.mark.parametrize("args", [
    ["slo", "explain", "--objective", "1.2", "--error-ratio", "0.1"],
    ["slo", "explain", "--objective", "0.99", "--error-ratio", "lots"],
    ["slo", "explain", "--objective", "0.99", "--error-ratio", "0.1", "--period", "3 fortnights"],
])
def test_slo_explain_bad_arguments(capsys, args):
    assert main(args) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_correlate_the_shipped_storm(capsys):
    storm = ROOT / "data" / "alerts" / "storm.jsonl"
    assert main(["correlate", str(storm), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = sum(1 for line in storm.read_text().splitlines() for _ in json.loads(line)["alerts"])
    in_incidents = sum(i["rows"] for i in doc["incidents"])
    assert in_incidents + len(doc["dropped"]) == rows  # no alert lost
    assert len(doc["incidents"]) == 2


def test_correlate_bad_and_empty_payloads(tmp_path, capsys):
    assert main(["correlate", str(ROOT / "data" / "alerts" / "empty.json"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] == []
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["correlate", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err

"""The exercises of 00_tour, 01_detect, 02_triage and 03_mitigate, run as written in a fresh clone's folder layout
(``tmp_path`` holding only the files an exercise names: no runs/, no scratch/), each asserting what its solution
promises. 01's and 02's exercise 2 run in tests/test_exercises_01_02.py. A command in the text runs through
``oncall.cli.main`` (the ``oncall_cli`` fixture); a widget move runs the shift with the choices the widget passes."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from exercise_text import ROOT, commands, fresh_clone, solution, task

from oncall.scenario import OnCallChoices, load_scenario
from oncall.shift import run_shift

pytestmark = pytest.mark.slow   # every exercise as written, in a fresh clone's layout: part of make test, not the quick loop


# -- 00_tour ------------------------------------------------------------------------------------------------------

@pytest.mark.slow   # a whole run written with --out
def test_00_ex1_drill_into_runs_of_a_fresh_clone_and_find_the_bad_deploy(tmp_path, oncall_cli):
    fresh_clone(tmp_path)
    (drill,) = [c for c in commands(task("00_tour.ipynb", 1)) if c[0] == "drill"]
    assert "runs/s3" in drill and not (tmp_path / "runs").exists()
    result = oncall_cli(drill, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in (tmp_path / "runs" / "s3" / "trace.jsonl").read_text().splitlines()]
    deploys = [e for e in events if e["kind"] == "release.deployed"]
    assert "second `release.deployed` event, from M33" in solution("00_tour.ipynb", 1)
    assert deploys[1]["module"] == "M33" and "(bad)" in deploys[1]["message"]


def test_00_ex2_the_error_ratio_is_one_multiplication_of_service_yaml():
    service = yaml.safe_load((ROOT / "data" / "service.yaml").read_text())
    text = solution("00_tour.ipynb", 2)
    refunds, tool, ratio = re.search(r"([\d.]+) x ([\d.]+) = ([\d.]+) %", text).groups()
    assert service["intent_mix"]["refund"] == float(refunds) and service["tool_call_ratio"] == float(tool)
    assert round(100 * float(refunds) * float(tool), 2) == float(ratio)
    assert "about 14 %" in task("00_tour.ipynb", 2)
    record = run_shift(load_scenario("bad-deploy"))
    bad = record.minutes[record.minutes.release == record.scenario.releases.bad.version]
    assert abs(bad.errors.sum() / bad.requests.sum() - float(ratio) / 100) < 0.01


def _move_deploy(path, when: str) -> None:
    text = path.read_text()
    path.write_text(re.sub(r"(\n  bad:\n(?:    .*\n)*?    deployed_at: )\S+", rf"\g<1>{when}", text, count=1))
    assert path.read_text() != text


def test_00_ex3_a_copy_with_the_deploy_moved_then_past_the_shift(tmp_path, oncall_cli):
    fresh_clone(tmp_path, "data/scenarios/bad-deploy.yaml")
    assert "Copy `data/scenarios/bad-deploy.yaml` to `my.yaml`" in task("00_tour.ipynb", 3)
    mine = tmp_path / "my.yaml"
    mine.write_text((tmp_path / "data" / "scenarios" / "bad-deploy.yaml").read_text())
    (drill,) = commands(task("00_tour.ipynb", 3))
    _move_deploy(mine, "2026-11-26T23:00:00Z")
    moved = oncall_cli(drill, cwd=tmp_path)
    text = re.sub(r"\s+", " ", solution("00_tour.ipynb", 3))
    assert "`ticket_linked` turns red (the gate says RED, 10 of 11 checks, exit status 1)" in text
    assert moved.returncode == 1 and "Gate RED: 10 of 11 checks passed." in moved.stdout, moved.stderr
    assert "ticket_linked" in moved.stdout
    assert re.search(r"23:0\d.*Release 2026.11.3 \(bad\) deployed", moved.stdout)   # the story moves with it
    _move_deploy(mine, "2026-11-27T09:00:00Z")
    past = oncall_cli(drill, cwd=tmp_path)
    said = re.search(r"`(oncall: my.yaml: [^`(]*)\(\.\.\.\)`, exit status (\d)", solution("00_tour.ipynb", 3))
    assert past.returncode == int(said.group(2)) == 2
    assert past.stderr.startswith(said.group(1)) and past.stderr.count("\n") == 1


def test_00_ex4_each_check_is_answered_by_the_phase_the_solution_names():
    from oncall.checks import CHECK_PHASE

    text = re.sub(r"\s+", " ", solution("00_tour.ipynb", 4))
    stated = {}
    for names, phase in re.findall(r"((?:`\w+`(?:, | and )?)+) \((\w+)", text):
        for name in re.findall(r"`(\w+)`", names):
            stated[name] = phase
    assert len(stated) == 11, stated
    assert stated == {name: CHECK_PHASE[name] for name in stated}
    assert set(load_scenario("bad-deploy").checks) == set(stated)


# -- 01_detect ------------------------------------------------------------------------------------------------------

def test_01_ex1_the_cause_side_fires_first_after_the_deploy():
    scenario = load_scenario("bad-deploy")
    env = {"record": run_shift(scenario, seed=7), "deploy": scenario.releases.bad.deployed_at}
    expression = re.search(r"`(record\.alerts\[[^`]*)`", solution("01_detect.ipynb", 1)).group(1)
    first = eval(expression, env)
    assert len(first) >= 5
    assert (first.starts_at >= env["deploy"]).all(), "alerts that fired before the deploy are no answer"
    tool_side = {"agent", "tool-orders"}
    assert first.component.iloc[0] in tool_side and first.true_cause.iloc[0] == "release:2026.11.3"
    gateway = first.index[first.component == "gateway"]
    assert len(gateway) and first.index.get_loc(gateway[0]) > 1, "the gateway's 5xx comes after the cause side"


def test_01_ex3_the_fast_tier_at_2_percent():
    from oncall.incident_response import burn

    text = solution("01_detect.ipynb", 3)
    minutes, spent = re.search(r"= ([\d.]+) min, having spent .* = ([\d.]+) % of the budget", text, re.S).groups()
    assert "burn.explain(0.999, 0.02)" in task("01_detect.ipynb", 3)
    tier = burn.explain(0.999, 0.02)["tiers"][0]
    assert (tier["long_window_min"], tier["short_window_min"]) == (60, 5)
    assert tier["fires_after_min"] == pytest.approx(float(minutes)) and tier["budget_consumed_pct"] == float(spent)


def test_01_ex4_no_page_below_the_6h_tiers_ratio():
    from oncall.incident_response import burn

    text = solution("01_detect.ipynb", 4)
    assert "6 x 0.1 % = 0.6 %" in text and "the 1 h tier 1.44 %" in text

    def paging(ratio):
        return [(t["long_window_min"], t["fires"]) for t in burn.explain(0.999, ratio)["tiers"] if t["severity"] == "page"]

    assert paging(0.0059) == [(60, False), (360, False)]
    assert paging(0.006) == [(60, False), (360, True)]
    assert paging(0.0143) == [(60, False), (360, True)] and paging(0.0144) == [(60, True), (360, True)]
    assert all(t["fires"] for t in burn.explain(0.999, 0.0059)["tiers"] if t["severity"] == "ticket")


def test_01_ex5_the_fast_tier_cannot_fire_at_90_percent(oncall_cli):
    (explain,) = commands(task("01_detect.ipynb", 5))
    result = oncall_cli(explain)
    assert result.returncode == 0, result.stderr
    assert "can never fire at this objective" in solution("01_detect.ipynb", 5)
    assert re.search(r"1 h / 5 min page \(14.4x\) can never fire at this objective: .*\(144 %\)", result.stdout)
    assert re.search(r"6 h / 30 min page \(6x\) never fires: it needs at least 60 % errors", result.stdout)


# -- 02_triage ------------------------------------------------------------------------------------------------------

def test_02_ex1_the_late_ticket_links_as_a_report_about_the_past(tmp_path, oncall_cli):
    (triage,) = commands(task("02_triage.ipynb", 1))
    fresh_clone(tmp_path, triage[1])
    result = oncall_cli([*triage, "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = re.sub(r"\s+", " ", solution("02_triage.ipynb", 1))
    ticket = re.search(r"(T-\d+) at (\d\d:\d\d)", text)
    late = next(t for t in json.loads(result.stdout)["tickets"] if t["id"] == ticket.group(1))
    assert late["linked_incident"] == "INC-0005" and "speaks of the past" in late["reason"]
    after = int(re.search(r"(\d+) min after it resolved", late["reason"]).group(1))
    assert 60 < after <= int(re.search(r"`PAST_GRACE_MIN` \((\d+) minutes\)", text).group(1))
    queued = next(json.loads(line) for line in (tmp_path / triage[1]).read_text().splitlines() if ticket.group(1) in line)
    assert queued["created_at"][11:16] == ticket.group(2)


def test_02_ex3_the_naive_baseline_has_full_recall_and_a_third_precision():
    from oncall.support_desk import evaluation as ev
    from oncall.support_desk import triage as desk
    from oncall.triage import triage

    assert "recall 1.0" in solution("02_triage.ipynb", 3) and "precision is about a third" in solution("02_triage.ipynb", 3)
    record = run_shift(load_scenario("bad-deploy"), seed=7, until="detect")
    incidents = desk.incidents_from_record(record)
    paged = next(i for i in incidents if i.id == record.paged_incident)
    naive = ev.figures(triage(record), record.ticket_truth, incidents, paged)["baseline_everything"]
    assert naive["link_recall"] == 1.0 and 0.28 <= naive["link_precision"] <= 0.4, naive


# -- 03_mitigate: the widget's choices (MitigationPicker.choices) on seed 7 -----------------------------------------

@pytest.fixture(scope="module")
def seed7():
    scenario = load_scenario("bad-deploy")
    return scenario, {"rollback": run_shift(scenario, seed=7)}


def _run(seed7, name, **choices):
    scenario, runs = seed7
    if name not in runs:
        runs[name] = run_shift(scenario, seed=7, choices=OnCallChoices(**choices))
    return runs[name]


def _red(record):
    return [c.name for c in record.checks if not c.passed]


def test_03_ex1_restart_does_not_move_the_errors_and_escalates(seed7):
    assert "*restart the pods*" in task("03_mitigate.ipynb", 1)
    text = re.sub(r"\s+", " ", solution("03_mitigate.ipynb", 1))
    minutes, spent = re.search(r"(\d+) minutes after the deploy \(([\d.]+) % of the 30-day", text).groups()
    restart = _run(seed7, "restart", action="restart")
    assert restart.metrics["time_to_mitigate_min"] == int(minutes)
    assert round(restart.metrics["budget_consumed_pct"], 1) == float(spent)
    assert any(e.kind == "page.escalated" for e in restart.trace.events)
    assert _red(restart) == ["runbook_followed"] and "`runbook_followed` fails" in text


def test_03_ex2_the_latest_start_that_mitigates_within_30_minutes(seed7):
    text = solution("03_mitigate.ipynb", 2)
    latest, base, total, later = re.search(r"^(\d+) minutes: .* takes effect (\d+) minutes .*\((\d+) \+ \d+ = (\d+) <= 30; "
                                           r"\d+ would give (\d+)\)", text, re.S).group(1, 2, 4, 5)
    assert _run(seed7, "rollback").metrics["time_to_mitigate_min"] == int(base)
    assert _run(seed7, "late", delay_min=int(latest)).metrics["time_to_mitigate_min"] == int(total) <= 30
    assert _run(seed7, "later", delay_min=int(latest) + 5).metrics["time_to_mitigate_min"] == int(later) > 30


def test_03_ex3_the_kill_switch_stops_the_errors_at_the_rollbacks_minute(seed7):
    assert "*Turn the refund_tool flag off* stops the errors at the same minute as the rollback" in \
        re.sub(r"\s+", " ", task("03_mitigate.ipynb", 3))
    flag = _run(seed7, "flag_off", action="flag_off")
    assert flag.metrics["time_to_mitigate_min"] == _run(seed7, "rollback").metrics["time_to_mitigate_min"]


def test_03_ex4_a_third_rollback_failure_is_never_reached(seed7):
    scenario, _ = seed7
    assert "`rollback_failures` to 3" in task("03_mitigate.ipynb", 4) and solution("03_mitigate.ipynb", 4).startswith("Nothing")
    two, three = (run_shift(scenario.with_faults(rollback_failures=n), seed=7) for n in (2, 3))
    assert two.metrics == three.metrics and _red(two) == _red(three) == []
    assert [e.message for e in two.trace.events] == [e.message for e in three.trace.events]


def test_03_ex5_recovered_and_resolved_after_the_rollback(seed7):
    record = _run(seed7, "rollback")
    text = re.sub(r"\s+", " ", task("03_mitigate.ipynb", 5) + solution("03_mitigate.ipynb", 5))
    recovered_after, resolved_after = (int(x) for x in re.search(
        r"comes (\d+) minutes after the rollback, but the incident resolved (\d+) minutes after it", text).groups())
    resolved_at, recovered_at = re.search(r"objective at (\d\d:\d\d).*recovered at (\d\d:\d\d)", text).groups()
    at = {e.kind: e.t for e in record.trace.events
          if e.kind in ("release.rolled_back", "sli.recovered") or
          (e.kind == "incident.resolved" and e.refs.get("incident") == record.paged_incident)}
    minutes = lambda kind: (at[kind] - at["release.rolled_back"]).total_seconds() / 60  # noqa: E731
    assert (minutes("sli.recovered"), minutes("incident.resolved")) == (recovered_after, resolved_after)
    assert (f"{at['incident.resolved']:%H:%M}", f"{at['sli.recovered']:%H:%M}") == (resolved_at, recovered_at)

"""The exercises of 04_learn, 05_ship, 06_gate, 07_extend and 08_game_day, run as written in a fresh clone's folder
layout (``tmp_path`` holding only the files an exercise names: no runs/, no scratch/), each asserting what its
solution promises. 04's exercise 4 (promote) runs in tests/test_exercise_04_promote.py, 06's exercise 2 (a break
mode of one's own) in tests/test_own_break_mode.py. A command in the text runs through ``oncall.cli.main`` (the
``oncall_cli`` fixture); code in the text runs in a namespace holding what the notebook's cells above it define."""
from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from exercise_text import ROOT, commands, fresh_clone, solution, task

from oncall.scenario import load_scenario

pytestmark = pytest.mark.slow   # every exercise as written, in a fresh clone's layout: part of make test, not the quick loop


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _red(card: dict) -> list[str]:
    return [c["name"] for c in card["checks"] if not c["passed"]]


# -- 04_learn -------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inc_run(tmp_path_factory):
    """04's exercise 3, first command: `oncall drill --out runs/inc` in a fresh clone (its case file, the folder)."""
    from oncall.cli import main

    folder = fresh_clone(tmp_path_factory.mktemp("clone"))
    (drill, _) = commands(task("04_learn.ipynb", 3))
    assert drill[0] == "drill" and drill[-1] == "runs/inc" and not (folder / "runs").exists()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        assert main(drill) == 0
    (case,) = (folder / "runs" / "inc" / "regressions").glob("*.yaml")
    return folder, case


@pytest.mark.slow   # the drill of exercise 3, written with --out
def test_04_ex2_the_case_tests_lookup_order_which_the_errors_fix_breaks(inc_run, oncall_cli):
    _, case = inc_run
    assert "test `lookup_order` too" in _flat(task("04_learn.ipynb", 2))
    text = _flat(solution("04_learn.ipynb", 2))
    assert "breaks lookups (`orderId`)" in text
    tools = [g["tool"] for c in yaml.safe_load(case.read_text())["cases"] for g in c["graders"] if g["type"] == "tool_call"]
    assert sorted(tools) == ["issue_refund", "lookup_order"]
    result = oncall_cli(["gate", "--break", "errors", "--json"])
    eval_gate = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "eval_gate_passed")
    assert not eval_gate["passed"]
    assert re.search(r"regression eval \S+ is red on 2026.11.4 \(inc-\d+-lookup-order-contract\);", eval_gate["detail"])
    # the refund case alone would have passed the errors break's fix; the golden set stops it too, as the text says
    passed, total = re.search(r"\((\d+) of (\d+) pass\)", text).groups()
    assert f"golden suite golden {passed}/{total} " in eval_gate["detail"]


@pytest.mark.slow   # the drill of exercise 3, written with --out
def test_04_ex3_the_case_is_green_on_the_last_good_release(inc_run, oncall_cli):
    folder, case = inc_run
    (_, evaluate) = commands(task("04_learn.ipynb", 3))
    evaluate = [a.replace("<file>", case.name) for a in evaluate]
    result = oncall_cli(evaluate, cwd=folder)
    assert solution("04_learn.ipynb", 3).startswith("Exit status 0")
    assert result.returncode == 0 and "PASS: eval passed on 2026.11.2" in result.stdout, result.stderr


@pytest.mark.slow   # the drill of exercise 3, written with --out
def test_04_ex4_a_case_from_another_seed_is_accepted(inc_run, oncall_cli):
    from oncall.commands import eval_command

    folder, case = inc_run
    text = _flat(task("04_learn.ipynb", 4))
    seed3 = commands(text)[-1]
    assert seed3 == ["drill", "--out", "runs/s3", "--seed", "3"]
    assert oncall_cli(seed3, cwd=folder).returncode == 0
    (other,) = (folder / "runs" / "s3" / "regressions").glob("*.yaml")
    assert other.name != case.name and "Seed 3's incident gets its own id" in _flat(solution("04_learn.ipynb", 4))
    (folder / "notebooks" / "scratch").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder / "notebooks")
        for path in (case, other):
            code, said = eval_command(promote=f"../runs/{path.parent.parent.name}/regressions/{path.name}",
                                      regressions_dir="scratch")
            assert code == 0 and "promoted" in said
    assert sorted(p.name for p in (folder / "notebooks" / "scratch").iterdir()) == sorted([case.name, other.name])


@pytest.mark.slow   # the drill of exercise 3, written with --out
def test_04_ex5_a_case_that_names_a_release_is_refused(inc_run, oncall_cli, tmp_path):
    folder, case = inc_run
    assert "add `release: 2026.11.3`" in task("04_learn.ipynb", 5)
    copy = folder / "runs" / "inc" / "regressions" / "edited.yaml"
    text = case.read_text()
    copy.write_text(re.sub(r"^(- id: .*)$", r"\1\n  release: 2026.11.3", text, count=1, flags=re.M))
    result = oncall_cli(["eval", "--cases", copy.relative_to(folder), "--release", "2026.11.2"], cwd=folder)
    said = re.search(r"`oncall: runs/inc/regressions/<file>: ([^`]*)`, exit (\d)", _flat(solution("04_learn.ipynb", 5)))
    assert result.returncode == int(said.group(2)) == 2
    assert result.stderr == f"oncall: runs/inc/regressions/{copy.name}: {said.group(1)}\n"
    copy.unlink()


# -- 05_ship --------------------------------------------------------------------------------------------------------

def _judge_copy(folder, **changes):
    from oncall.ship import JUDGE_CONFIG

    config = yaml.safe_load(JUDGE_CONFIG.read_text())
    config.update(changes)
    path = folder / "judge.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def seed7_night():
    from oncall.sweeps import ship_from, shift_before_ship

    scenario = load_scenario("bad-deploy")
    night = shift_before_ship(scenario, 7, "none")
    return night, ship_from(night)


def _ship_code(number: int) -> str:
    return re.search(r"`(ship_from\(.*?\))`", _flat(task("05_ship.ipynb", number))).group(1)


def _ship_as_written(number: int, path):
    """The exercise's own expression, in a namespace with what 05's cells import."""
    from oncall.release_ops.canary import load_config
    from oncall.sweeps import ship_from, shift_before_ship

    env = {"load_config": load_config, "ship_from": ship_from, "shift_before_ship": shift_before_ship,
           "scenario": load_scenario("bad-deploy"), "PATH": str(path)}
    return eval(_ship_code(number), env)


def test_05_ex1_thirty_minute_analyses_are_conclusive_and_slower(tmp_path, seed7_night):
    _, default = seed7_night
    text = _flat(solution("05_ship.ipynb", 1))
    mine = _ship_as_written(1, _judge_copy(tmp_path, interval_min=30, inconclusive_limit=0))
    first = mine.canary.intervals[0]
    assert first.end - first.start == 30 and first.judgment.verdict == "pass" and "no holds" in text
    quality = first.judgment.metric("quality")
    assert quality.classification != "nodata" and 25 <= quality.n_canary <= 40     # "about 30 graded answers"
    took = {}
    for name, rec in (("default", default), ("mine", mine)):
        verdict = next(e for e in rec.trace.events if e.kind == "canary.verdict")
        took[name] = (verdict.t - rec.scenario.canary_at).total_seconds() / 60
    assert rec.canary.verdict == "promoted" and default.canary.verdict == "promoted"
    said = re.search(r"promotion takes (\d+) minutes instead of about (\d+)", text)
    assert (took["mine"], took["default"]) == (int(said.group(1)), int(said.group(2)))


def test_05_ex2_fisher_sees_what_the_rank_test_misses(oncall_cli):
    assert "`baseline_clean.csv` and `canary_sparse_errors.csv`" in task("05_ship.ipynb", 2)
    folder = ROOT / "data" / "canary"
    result = oncall_cli(["canary-judge", "--baseline", folder / "baseline_clean.csv",
                         "--canary", folder / "canary_sparse_errors.csv", "--json"])
    assert result.returncode == 1, result.stderr
    error = next(m for m in json.loads(result.stdout)["metrics"] if m["name"] == "error_ratio")
    assert error["classification"] == "high"
    text = _flat(solution("05_ship.ipynb", 2))
    errors, requests, base_requests = re.search(r"(\d+) errors in ([\d,]+) requests against 0 in ([\d,]+)", text).groups()
    import pandas as pd

    can, base = pd.read_csv(folder / "canary_sparse_errors.csv"), pd.read_csv(folder / "baseline_clean.csv")
    assert (can.errors.sum(), can.requests.sum(), base.errors.sum(), base.requests.sum()) == \
        (int(errors), int(requests.replace(",", "")), 0, int(base_requests.replace(",", "")))
    assert (can.errors == 0).sum() == int(re.search(r"In (\d+) of the 30 canary minutes", text).group(1))


def test_05_ex4_a_fresh_baseline_of_the_canarys_size(tmp_path, seed7_night):
    _, default = seed7_night
    text = _flat(solution("05_ship.ipynb", 4))
    fresh = _ship_as_written(4, _judge_copy(tmp_path, fresh_baseline=True))
    before, after = (r.canary.intervals[0].judgment.metric("error_ratio") for r in (default, fresh))
    assert "about 150 requests against 150 per 10 minutes instead of 2,800 against 150" in text
    assert 2500 <= before.n_baseline <= 3100 and 100 <= before.n_canary <= 200
    assert 100 <= after.n_baseline <= 200 and 100 <= after.n_canary <= 200
    started = next(e for e in fresh.trace.events if e.kind == "canary.started")
    assert "2026.11.2-baseline" in started.message and "`2026.11.2-baseline`" in text
    canary_minute = int((fresh.scenario.canary_at - fresh.scenario.shift.start).total_seconds() // 60) + 5
    assert "2026.11.2-baseline" in fresh.plan.serving_at(canary_minute)
    assert "2026.11.2-baseline" not in default.plan.serving_at(canary_minute)


# -- 06_gate --------------------------------------------------------------------------------------------------------

def test_06_ex1_the_deploy_gate_catches_the_latency_break(oncall_cli, tmp_path):
    (gate,) = commands(task("06_gate.ipynb", 1))
    result = oncall_cli(gate, cwd=fresh_clone(tmp_path))
    assert result.returncode == 1
    card = json.loads(result.stdout)
    assert _red(card) == ["eval_gate_passed", "canary_promoted_on_pass"]
    text = _flat(solution("06_gate.ipynb", 1))
    passed, total = re.search(r"\((\d+) of (\d+)\)", text).groups()
    eval_gate = next(c for c in card["checks"] if c["name"] == "eval_gate_passed")
    assert f"golden suite golden {passed}/{total}" in eval_gate["detail"] and "never took traffic" in eval_gate["detail"]


def test_06_ex2_own_break_mode_from_the_courses_folder_with_a_relative_path(oncall_cli, tmp_path):
    text = task("06_gate.ipynb", 2)
    fresh_clone(tmp_path, "data/scenarios/bad-deploy.yaml")
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    mode = "\n".join(line[3:] for line in block.splitlines()) + "\n"
    (tmp_path / "my.yaml").write_text((tmp_path / "data" / "scenarios" / "bad-deploy.yaml").read_text() + mode)
    gate = next(c for c in commands(text) if c[0] == "gate")
    assert gate == ["gate", "--scenario", "my.yaml", "--break", "slow-and-terse"]
    result = oncall_cli([*gate, "--json"], cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    must_fail = re.search(r"must_fail: \[(.*?)\]", mode).group(1).split(", ")
    assert sorted(_red(json.loads(result.stdout))) == sorted(must_fail)


# -- 07_extend ------------------------------------------------------------------------------------------------------

def test_07_ex1_a_broken_build_is_retried_never_swapped_in(oncall_cli, tmp_path):
    fresh_clone(tmp_path, "data/scenarios/stale-index.yaml")
    assert "add `faults: {bad_index_builds: 1}`" in task("07_extend.ipynb", 1)
    mine = tmp_path / "mine.yaml"
    mine.write_text((tmp_path / "data" / "scenarios" / "stale-index.yaml").read_text() + "faults: {bad_index_builds: 1}\n")
    plain, faulty = (json.loads(oncall_cli(["gate", "--scenario", s, "--json"], cwd=tmp_path).stdout)
                     for s in ("stale-index", "mine.yaml"))
    assert faulty["passed"] and plain["passed"]
    result = oncall_cli(["drill", "--scenario", "mine.yaml", "--full"], cwd=tmp_path)
    steps = [line for line in result.stdout.splitlines() if "runbook.step" in line and "reindex (attempt" in line]
    assert len(steps) == 2 and "validation failed (0 of" in steps[0] and "alias stays on the old index" in steps[0]
    assert "alias kb-live swapped" in steps[1]
    text = _flat(solution("07_extend.ipynb", 1))
    assert "(0 knowledge cases pass)" in text and "later by the length of one build" in text
    built = [re.search(r"(\d\d):(\d\d)", s).groups() for s in steps]
    build_min = (int(built[1][0]) - int(built[0][0])) * 60 + int(built[1][1]) - int(built[0][1])
    assert faulty["metrics"]["time_to_mitigate_min"] - plain["metrics"]["time_to_mitigate_min"] == build_min


def test_07_ex2_provider_outage_left_alone(oncall_cli, tmp_path):
    (gate,) = commands(task("07_extend.ipynb", 2))
    result = oncall_cli([*gate, "--json"], cwd=fresh_clone(tmp_path))
    assert result.returncode == 1
    stated = re.findall(r"`(\w+)`", solution("07_extend.ipynb", 2).split(":")[0])
    assert _red(json.loads(result.stdout)) == stated


def test_07_ex3_the_worked_example_of_ones_own_incident_is_green(oncall_cli, tmp_path):
    starter = "notebooks/starter/my_incident.yaml"
    fresh_clone(tmp_path, starter)
    text = _flat(solution("07_extend.ipynb", 3))
    mine = yaml.safe_load((tmp_path / starter).read_text())
    model = re.search(r"swaps in `([\w.-]+)`", text).group(1)
    runbook = re.search(r"the runbook `([\w-]+)`", text).group(1)
    bar = int(re.search(r"`noise_reduction_min_pct` (?:set )?to (?:\S+ )?(\d+)", text).group(1))
    last_good = mine["releases"]["last_good"]
    mine["cause"] = {"kind": "deploy"}
    mine["releases"]["bad"] = {"version": "2026.11.3", "deployed_at": "2026-11-27T02:40:00Z", "model": model,
                               "prompt": last_good["prompt"], "tool_schema": last_good["tool_schema"]}
    mine["releases"]["fix"]["version"] = "2026.11.4"
    mine["runbook"], mine["noise_reduction_min_pct"] = runbook, bar
    assert "`no_rollback` removed from the checks" in text
    mine["checks"].remove("no_rollback")
    for mode in mine["break_modes"].values():
        mode["must_fail"] = [c for c in mode["must_fail"] if c != "no_rollback"]
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(mine, sort_keys=False))
    result = oncall_cli(["gate", "--scenario", "mine.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


# -- 08_game_day ----------------------------------------------------------------------------------------------------

def _scripted(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "data" / "gameday" / "moves" / f"{name}.yaml").read_text())


def test_08_ex1_acting_before_looking_at_deploys():
    from oncall.gameday import Game, draw_scenario, play_moves

    seed = int(re.search(r"Play seed (\d+)", task("08_game_day.ipynb", 1)).group(1))
    name = draw_scenario(seed)
    moves = [m for m in _scripted(name) if m != {"move": "look", "at": "deploys"}]
    assert len(moves) == len(_scripted(name)) - 1, "the scripted game looks at deploys"
    card = play_moves(Game(load_scenario(name), seed), moves)
    stated = re.findall(r"`(\w+)`", solution("08_game_day.ipynb", 1))[0]
    assert stated == "runbook_followed" and stated in card["red"]
    assert play_moves(Game(load_scenario(name), seed), _scripted(name))["passed"]


def test_08_ex2_a_rollback_when_nothing_of_ours_changed():
    from oncall.gameday import Game, play_moves

    moves = _scripted("provider-outage")
    act = next(i for i, m in enumerate(moves) if m.get("action") == "failover")
    rolled = moves[:act] + [{"move": "act", "action": "rollback"}] + moves[act:]
    game = Game(load_scenario("provider-outage"), 1)
    for move in rolled[:act]:
        game.play(move)
    before = game.record.service.copy()
    game.play(rolled[act])
    assert game.record.service.equals(before), "the rollback changed the counts"
    for move in rolled[act + 1:]:
        game.play(move)
    from oncall.gameday import score

    card = score(game, with_baselines=False)
    text = _flat(solution("08_game_day.ipynb", 2))
    named = re.findall(r"`(\w+)`", text.split(" turn red")[0].split(". ")[-1])
    assert len(named) == 2 and "two checks" in task("08_game_day.ipynb", 2)
    assert sorted(named) == sorted(card["red"]) == ["no_rollback", "no_wrong_action"]
    assert "`runbook_followed` stays green" in text
    plain = play_moves(Game(load_scenario("provider-outage"), 1), moves)
    assert card["metrics"]["budget_consumed_pct"] > plain["metrics"]["budget_consumed_pct"], "it cost its minutes"


@pytest.mark.slow   # three games, each beside two baseline shifts
def test_08_ex3_the_same_moves_on_three_seeds(oncall_cli, tmp_path):
    text = task("08_game_day.ipynb", 3)
    seeds = [int(s) for s in re.search(r"seeds (\d+), (\d+) and (\d+)", text).groups()]
    (command,) = commands(text)
    assert command == ["gameday", "--scenario", "NAME", "--seed", "N", "--play", "FILE"]
    fresh_clone(tmp_path)
    shutil.copy(ROOT / "data" / "gameday" / "moves" / "bad-deploy.yaml", tmp_path / "my_moves.yaml")
    key = re.search(r"`(\w+)`", solution("08_game_day.ipynb", 3)).group(1)
    scripted = []
    for seed in seeds:
        args = [{"NAME": "bad-deploy", "N": str(seed), "FILE": "my_moves.yaml"}.get(a, a) for a in command]
        result = oncall_cli([*args, "--json"], cwd=tmp_path)
        assert result.returncode == 0, result.stdout[-500:] + result.stderr
        metrics = json.loads(result.stdout)["metrics"]
        scripted.append(metrics[key])
        assert metrics["budget_consumed_pct"] is not None
    assert len(set(scripted)) > 1, "the night's traffic differs between seeds"

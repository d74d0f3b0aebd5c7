"""Game day (issue 19): the engine, its move files and ``oncall gameday``."""
from __future__ import annotations

import json

import pytest

from oncall import shift
from oncall.cli import main
from oncall.gameday import LOOKS, Game, draw_scenario, load_moves, new_game, play_moves, score, scripted_moves
from oncall.gameday.command import opening
from oncall.gameday.scoring import debrief_markdown, learner_checks
from oncall.paths import DATA_DIR
from oncall.scenario import list_scenarios, load_scenario

LIBRARY = sorted(name for name, _ in list_scenarios())


def _play(name: str, moves: list[dict], seed: int = 1) -> tuple[Game, dict]:
    game = Game(load_scenario(name), seed)
    for move in moves:
        game.play(move)
    return game, score(game, with_baselines=False)


@pytest.mark.parametrize("name", LIBRARY)
def test_the_scripted_on_calls_game_is_green_on_every_library_scenario(name):
    game, card = _play(name, load_moves(scripted_moves(name)))
    assert card["passed"], card["red"]
    names = {c["name"] for c in card["checks"]}
    assert set(game.scenario.checks) <= names                       # the gate's own checks ...
    assert {c.name for c in learner_checks(game)} <= names          # ... and the learner's
    assert card["metrics"]["time_to_mitigate_min"] is not None
    assert card["metrics"]["red_herrings_taken"] == 0
    assert 0 <= card["metrics"]["time_to_diagnosis_min"] <= card["metrics"]["minutes_played"]


def _with_action(name: str, action: str) -> list[dict]:
    moves = load_moves(scripted_moves(name))
    return [dict(m, action=action) if m["move"] == "act" and m["action"] != "wait" else m for m in moves]


def test_rolling_back_a_provider_outage_changes_nothing_and_is_red_naming_the_check():
    game, card = _play("provider-outage", _with_action("provider-outage", "rollback"))
    assert not card["passed"]
    assert {"no_rollback", "runbook_followed", "no_wrong_action"} <= set(card["red"])
    rollback = next(e for e in game.log if e["move"].get("action") == "rollback")
    assert rollback["took_min"] > 0 and "no earlier release" in rollback["text"]
    assert not any(e.kind == "release.rolled_back" for e in game.record.trace.events)
    assert card["metrics"]["red_herrings_taken"] == 1
    assert "Red herrings you took" in debrief_markdown(game, card)
    # the counts the rollback left are those of nobody acting at all until the canary
    nothing = Game(load_scenario("provider-outage"), 1)
    stop = nothing.end
    assert game.record.service["errors"].iloc[:stop].equals(nothing.record.service["errors"].iloc[:stop])


def test_a_rollback_does_change_the_counts_of_a_bad_deploy():
    game, card = _play("bad-deploy", load_moves(scripted_moves("bad-deploy")))
    nothing = Game(load_scenario("bad-deploy"), 1)
    stop = nothing.end
    assert game.record.service["errors"].iloc[:stop].sum() < nothing.record.service["errors"].iloc[:stop].sum()


def test_a_game_that_never_mitigates_is_red_like_no_mitigation():
    moves = [m for m in load_moves(scripted_moves("bad-deploy")) if m["move"] != "act" or m["action"] == "wait"]
    game, card = _play("bad-deploy", moves)
    must_fail = set(game.scenario.break_modes["no-mitigation"].must_fail)
    assert not card["passed"]
    assert must_fail <= set(card["red"])
    assert game.premature_resolves == 1           # resolving without a mitigation is refused
    assert game.mitigated_at is None              # the learner never mitigated ...
    # ... so only the shipped fix's roll-forward ended the impact, hours after the scripted on-call's rollback.
    scripted = shift.run_shift(load_scenario("bad-deploy"), seed=1).metrics["time_to_mitigate_min"]
    assert card["metrics"]["time_to_mitigate_min"] > 3 * scripted


def _forbidden(game: Game) -> list[str]:
    sc, cause = game.scenario, game.record.cause
    words = [sc.name, sc.title, sc.runbook, cause.label, "true_cause", "background:", "runbook"]
    if "-" in cause.kind:         # "deploy" is also the word every deploy log uses, in every scenario alike
        words.append(cause.kind)
    return [w.lower() for w in words]


@pytest.mark.parametrize("name", LIBRARY)
def test_nothing_the_learner_sees_before_the_debrief_names_the_scenario_or_its_cause(name):
    game = Game(load_scenario(name), 1)
    forbidden = _forbidden(game)
    seen = [opening(game)]
    for at in LOOKS:                                   # every look at the page ...
        seen.append(game.play({"move": "look", "at": at}))
    for move in load_moves(scripted_moves(name)):     # ... and every move of a whole game, looks after the action too
        if move["move"] == "postmortem":
            break
        seen.append(game.play(move))
        if move["move"] == "act":
            seen += [game.play({"move": "look", "at": at}) for at in LOOKS]
    text = "\n".join(seen).lower()
    assert [w for w in forbidden if w in text] == []


@pytest.mark.parametrize("content, field", [
    ("- {move: dance}\n", "move 1.move"),
    ("- {move: ack}\n- {move: look, at: logs}\n", "move 2.at"),
    ("- {move: ack}\n- {move: act}\n", "move 2.action"),
    ("- {move: act, action: wait, minutes: -3}\n", "move 1.minutes"),
    ("- {move: severity, level: SEV-9}\n", "move 1.level"),
    ("- {move: postmortem, root_cause: gremlins, prevent: more-alerts}\n", "move 1.root_cause"),
    ("- {move: ack, colour: red}\n", "move 1.colour"),
    ("- {move: ack, think: lots}\n", "move 1.think"),
    ("[]\n", "moves"),
    ("- {move: postmortem, root_cause: provider, prevent: more-alerts}\n- {move: ack}\n", "move 2.move"),
])
def test_a_bad_move_file_exits_2_with_one_line_naming_the_move_and_field(tmp_path, capsys, content, field):
    path = tmp_path / "moves.yaml"
    path.write_text(content)
    assert main(["gameday", "--scenario", "bad-deploy", "--play", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and field in err, err


def test_a_missing_or_broken_move_file_exits_2(tmp_path, capsys):
    assert main(["gameday", "--play", str(tmp_path / "nope.yaml")]) == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {move: ack\n")
    assert main(["gameday", "--play", str(broken)]) == 2
    assert "broken.yaml" in capsys.readouterr().err


def test_the_same_seed_gives_the_same_game():
    moves = load_moves(scripted_moves("stale-index"))
    a, card_a = _play("stale-index", moves, seed=5)
    b, card_b = _play("stale-index", moves, seed=5)
    assert card_a == card_b
    assert [e["text"] for e in a.log] == [e["text"] for e in b.log]
    assert a.record.trace.to_jsonl() == b.record.trace.to_jsonl()
    assert draw_scenario(5) == draw_scenario(5) and {draw_scenario(s) for s in range(10)} == set(LIBRARY)
    assert new_game(seed=7).scenario.name == draw_scenario(7)


def test_looks_cost_minutes_and_the_clock_stops_at_the_morning_handover():
    game = Game(load_scenario("bad-deploy"), 1)
    start = game.now
    game.play({"move": "look", "at": "requests", "think": 2})
    assert game.now == start + 2 + LOOKS["requests"][0]
    game.play({"move": "act", "action": "wait", "minutes": 240})
    game.play({"move": "act", "action": "wait", "minutes": 240})
    text = game.play({"move": "act", "action": "wait", "minutes": 240})
    assert game.over and game.now == game.end and "morning team" in text


def test_cli_plays_a_game_writes_the_debrief_and_ranks_a_class(tmp_path, capsys):
    moves = scripted_moves("provider-outage")
    out = tmp_path / "debrief"
    assert main(["gameday", "--scenario", "provider-outage", "--play", str(moves), "--out", str(out),
                 "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["passed"] and card["metrics"]["no_mitigation_budget_consumed_pct"] > card["metrics"]["budget_consumed_pct"]
    assert {p.name for p in out.iterdir()} == {"debrief.md", "report.html", "actions.jsonl", "trace.jsonl",
                                              "scorecard.json"}
    assert "provider-outage" in (out / "debrief.md").read_text()       # the debrief tells the truth at last
    wrong = tmp_path / "class" / "rollback.yaml"
    wrong.parent.mkdir()
    wrong.write_text("\n".join(json.dumps(m) for m in [[*_with_action("provider-outage", "rollback")]]))
    (tmp_path / "class" / "right.yaml").write_text(moves.read_text())
    assert main(["gameday", "--scenario", "provider-outage", "--play", str(wrong.parent), "--json"]) == 0
    board = json.loads(capsys.readouterr().out)
    assert [g["file"] for g in board["games"]] == ["right.yaml", "rollback.yaml"]
    assert main(["gameday", "--scenario", "provider-outage", "--play", str(moves)]) == 0
    assert main(["gameday", "--scenario", "provider-outage", "--play", str(wrong)]) == 1
    assert "no_rollback" in capsys.readouterr().out


def test_play_moves_is_the_api_the_command_and_the_widgets_share():
    game = new_game("latency-regression", 2)
    card = play_moves(game, load_moves(scripted_moves("latency-regression")))
    assert card["passed"] and card["metrics"]["scripted_budget_consumed_pct"] is not None


def test_resolving_before_the_sli_has_held_its_objective_is_refused():
    game = Game(load_scenario("bad-deploy"), 1)
    game.play({"move": "ack"})
    game.play({"move": "act", "action": "rollback"})
    text = game.play({"move": "resolve"})          # the rollback worked, but nobody has seen it hold yet
    assert "Not resolved" in text and game.resolved_at is None and game.premature_resolves == 1
    game.play({"move": "act", "action": "wait", "minutes": 15})
    assert "resolved at" in game.play({"move": "resolve"}) and game.mitigated_at is not None


def test_a_scenario_given_as_a_file_plays_like_the_library_one(tmp_path, capsys):
    path = tmp_path / "night-of-the-provider.yaml"      # a night the course has never seen by this name
    source = (DATA_DIR / "scenarios" / "provider-outage.yaml").read_text()
    path.write_text(source.replace("name: provider-outage", "name: night-of-the-provider"))
    assert main(["gameday", "--scenario", str(path), "--seed", "2", "--play", str(scripted_moves("provider-outage")),
                 "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["scenario"] == "night-of-the-provider" and card["passed"]


def test_the_spread_over_seeds_says_how_much_of_a_score_was_luck(capsys):
    moves = str(scripted_moves("bad-deploy"))
    assert main(["gameday", "--scenario", "bad-deploy", "--play", moves, "--spread", "3", "--json"]) == 0
    spread = json.loads(capsys.readouterr().out)["spread"]
    assert [g["seed"] for g in spread["games"]] == [2, 3, 4] and spread["green_share"] == 1.0
    low, high = spread["budget_ci95_pct"]
    assert low <= spread["budget_mean_pct"] <= high and low < high
    assert main(["gameday", "--scenario", "bad-deploy", "--play", moves, "--spread", "many"]) == 2
    assert "--spread" in capsys.readouterr().err


def test_a_bad_file_in_a_class_gets_its_row_and_exit_2_without_stopping_the_others(tmp_path, capsys):
    (tmp_path / "good.yaml").write_text(scripted_moves("bad-deploy").read_text())
    (tmp_path / "bad.yaml").write_text("- {move: look, at: crystal-ball}\n")
    assert main(["gameday", "--scenario", "bad-deploy", "--play", str(tmp_path)]) == 2
    board = capsys.readouterr().out
    assert "good.yaml" in board and "invalid: " in board and "move 1.at" in board
    assert board.index("good.yaml") < board.index("bad.yaml")


def test_the_debrief_sets_the_learners_timeline_beside_the_scripted_on_calls():
    game = Game(load_scenario("stale-index"), 1)
    for move in load_moves(scripted_moves("stale-index")):
        game.play(move)
    text = debrief_markdown(game, score(game))
    side = text[text.index("beside the scripted on-call's"):]
    assert "| +0 |" in side and "reindex" in side and "index.rebuilt" not in side

"""``oncall gameday``: replay move files on a hidden scenario and score them (DESIGN.md's command table).

    oncall gameday [--scenario NAME_OR_PATH] [--seed N]                       the page, and the moves there are
    oncall gameday [--scenario ...] [--seed N] --play MOVES.yaml [--out DIR] [--json]   one game, scored
    oncall gameday [--scenario ...] [--seed N] --play A.yaml B.yaml ... | --play FOLDER  a class's leaderboard

Exit 0 green (a leaderboard: every file was a valid game), 1 the gate red, 2 a bad move file (one line naming
the file, the move's number and the field).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import BadInput
from ..incident_response.budget import SPENT_NAME
from ..scenario import load_scenario
from . import draw_scenario
from .engine import ACTIONS, LOOKS, MOVE_MIN, Game
from .moves import load_moves, postmortem_options
from .scoring import action_log_jsonl, baselines, debrief_html, debrief_markdown, score, spread

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT = 0, 1, 2


def _files(play: list[str]) -> list[Path]:
    files: list[Path] = []
    for item in play:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
            if not found:
                raise BadInput(item, None, "a folder with no move files (*.yaml, *.yml, *.json)")
            files += found
        else:
            files.append(path)
    return files


def opening(game: Game) -> str:
    """What the on-call sees when the game starts: the page, and the moves there are."""
    options = postmortem_options()
    lines = [f"Game day, seed {game.seed}: the scenario is hidden. It is {game.clock} UTC and your pager goes off.",
             game.look_page(), "", "Moves (minutes each): " + ", ".join(f"{k} ({v})" for k, v in MOVE_MIN.items()),
             "Looks: " + ", ".join(f"{k} ({v[0]} min: {v[1]})" for k, v in LOOKS.items()),
             "Actions: " + ", ".join(ACTIONS),
             "Postmortem root causes: " + ", ".join(o["id"] for o in options["root_causes"]),
             "Prevent items: " + ", ".join(o["id"] for o in options["prevent"]),
             "Write your moves in a file (see data/gameday/moves/ for the format) and replay it with --play."]
    return "\n".join(lines)


def _summary(card: dict) -> str:
    m = card["metrics"]
    lines = [f"{'GREEN' if card['passed'] else 'RED'}: {sum(c['passed'] for c in card['checks'])} of "
             f"{len(card['checks'])} checks passed" + (f"; red: {', '.join(card['red'])}" if card["red"] else "")]
    lines += [f"  {'ok ' if c['passed'] else 'RED'} {c['name']}: {c['detail']}" for c in card["checks"]]
    lines.append(f"  error budget {SPENT_NAME}: {m.get('budget_consumed_pct')} % of 30 days (the scripted on-call: "
                 f"{m.get('scripted_budget_consumed_pct')} %, doing nothing: "
                 f"{m.get('no_mitigation_budget_consumed_pct')} %); time to mitigate "
                 f"{m.get('time_to_mitigate_min')} min (scripted {m.get('scripted_time_to_mitigate_min')}); "
                 f"wrong actions {m.get('wrong_actions')}")
    return "\n".join(lines)


def write_out(out: Path, files: dict[str, str]) -> None:
    """Write the files into a temporary folder beside ``out``, then move it into place in one step (a failed
    write leaves ``out`` as it was)."""
    if out.exists() and not out.is_dir():
        raise BadInput("--out", None, f"{out} is a file; expected a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "actions.jsonl").is_file():
        raise BadInput("--out", None, f"{out} is not empty and holds no earlier game (no actions.jsonl)")
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():
            shutil.rmtree(out)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def gameday_command(scenario: str | None, seed: int | None, play: list[str] | None, out: str | None,
                    as_json: bool, spread_seeds: int = 0) -> tuple[int, str]:
    """Run the command; (exit status, what it prints). ``spread_seeds`` > 0 also replays one game's moves on
    that many further seeds (seed+1 ...) of the same scenario: how much of the score was luck."""
    seed = 1 if seed is None else seed
    sc = load_scenario(scenario or draw_scenario(seed))
    if not play:
        return EXIT_OK, opening(Game(sc, seed))
    files = _files(play)
    if len(files) == 1 and not Path(play[0]).is_dir():
        moves = load_moves(files[0])
        game = Game(sc, seed)
        for move in moves:
            game.play(move)
        card = score(game)
        if out:
            md = debrief_markdown(game, card)
            write_out(Path(out), {"debrief.md": md, "report.html": debrief_html(md), "actions.jsonl":
                                  action_log_jsonl(game), "trace.jsonl": game.record.trace.to_jsonl(),
                                  "scorecard.json": json.dumps(card, indent=2, default=str) + "\n"})
        if spread_seeds:
            card["spread"] = spread(sc, moves, range(seed + 1, seed + 1 + spread_seeds))
        text = json.dumps(card, indent=2, default=str) if as_json else _summary(card)
        if spread_seeds and not as_json:
            sp = card["spread"]
            text += (f"\n  on {spread_seeds} other seeds: green {sp['green_share']:.0%} (95 % interval "
                     f"{sp['green_ci95'][0]:.0%}-{sp['green_ci95'][1]:.0%}); error budget {SPENT_NAME} {sp['budget_mean_pct']} % "
                     f"(95 % interval {sp['budget_ci95_pct'][0]}-{sp['budget_ci95_pct'][1]})"
                     if sp["budget_mean_pct"] is not None else "")
        return (EXIT_OK if card["passed"] else EXIT_NO), text
    return leaderboard(sc, seed, files, as_json)


def leaderboard(sc, seed: int, files: list[Path], as_json: bool) -> tuple[int, str]:
    """Every move file played on the same hidden scenario and seed; ranked by checks passed, then budget spent,
    then time to mitigate. A bad file gets its row (and the exit status 2) but does not stop the others."""
    base = baselines(sc, seed)
    rows, bad = [], 0
    for path in files:
        try:
            moves = load_moves(path)
        except BadInput as exc:
            bad += 1
            rows.append({"file": path.name, "valid": False, "error": exc.line()})
            continue
        game = Game(sc, seed)
        for move in moves:
            game.play(move)
        card = score(game, base=base)
        m = card["metrics"]
        rows.append({"file": path.name, "valid": True, "passed": card["passed"],
                     "checks_passed": sum(c["passed"] for c in card["checks"]), "checks": len(card["checks"]),
                     "budget_consumed_pct": m["budget_consumed_pct"], "time_to_mitigate_min": m["time_to_mitigate_min"],
                     "wrong_actions": m["wrong_actions"], "red_herrings_taken": m["red_herrings_taken"],
                     "red": card["red"]})
    inf = float("inf")
    rows.sort(key=lambda r: (not r["valid"], -r.get("checks_passed", 0), r.get("budget_consumed_pct") or inf,
                             r.get("time_to_mitigate_min") or inf, r["file"]))
    code = EXIT_BAD_INPUT if bad else EXIT_OK
    if as_json:
        return code, json.dumps({"seed": seed, "games": rows,
                                 "scripted_budget_consumed_pct": base["scripted"].metrics.get("budget_consumed_pct"),
                                 "no_mitigation_budget_consumed_pct":
                                     base["nothing"].metrics.get("budget_consumed_pct")}, indent=2)
    lines = [f"Leaderboard, seed {seed} ({len(rows)} games; error budget {SPENT_NAME}: the scripted on-call's "
             f"{base['scripted'].metrics.get('budget_consumed_pct')} % of 30 days, doing nothing's "
             f"{base['nothing'].metrics.get('budget_consumed_pct')} %)",
             f"{'rank':<5}{'file':<28}{'checks':>8}{'budget %':>10}{'mitigate min':>14}{'wrong':>7}  red"]
    for i, r in enumerate(rows, start=1):
        if not r["valid"]:
            lines.append(f"{'-':<5}{r['file']:<28} invalid: {r['error']}")
            continue
        lines.append(f"{i:<5}{r['file']:<28}{str(r['checks_passed']) + '/' + str(r['checks']):>8}"
                     f"{r['budget_consumed_pct'] if r['budget_consumed_pct'] is not None else '-':>10}"
                     f"{r['time_to_mitigate_min'] if r['time_to_mitigate_min'] is not None else '-':>14}"
                     f"{r['wrong_actions']:>7}  {', '.join(r['red']) or '-'}")
    return code, "\n".join(lines)

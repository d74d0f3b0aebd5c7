"""Scoring a game day: the gate's own checks over the shift the learner's moves made, plus the learner's.

The learner's checks: acknowledged before the page escalates; severity declared as the scenario expects for the
impact; status updates on time (the first within ``STATUS_FIRST_MIN`` of the page, then at most
the paging policy's ``incident_roles.update_every_min`` apart until resolved, and a Resolved one); no wrong action (one that is neither the
runbook's action nor its escalation's fallback); the postmortem names the true cause, and its prevent item fits the
cause and compiles to a regression case. The metrics set the learner's budget beside the scripted on-call's and
beside doing nothing, on the same seed.
"""
from __future__ import annotations

import html
import json

from .. import shift, yamlsafe
from ..incident_response import paging
from ..checks import CheckResult
from ..paths import DATA_DIR
from ..scenario_model import OnCallChoices
from .engine import Game
from .moves import postmortem_options

STATUS_FIRST_MIN = 15     # the first status-page update within this long of the page


def _fits(option_id: str | None, options: list[dict], kind: str) -> bool:
    return any(o["id"] == option_id and kind in o.get("kinds", []) for o in options)


def learner_checks(game: Game) -> list[CheckResult]:
    sc, rec = game.scenario, game.record
    kind = rec.cause.kind
    out = []
    limit = game.policy.schedule.escalate_after_min
    ack = None if game.acked_at is None else game.acked_at - game.page_minute
    out.append(CheckResult("ack_on_time", ack is not None and ack <= limit, ack, limit,
                           f"acknowledged {ack} min after the page" if ack is not None else "never acknowledged"))
    out.append(CheckResult("severity_right", game.severity == sc.expected_severity, game.severity,
                           sc.expected_severity, f"declared {game.severity or 'nothing'}; the impact calls for "
                                                 f"{sc.expected_severity}"))
    out.append(_status_check(game))
    wrong = wrong_actions(game)
    out.append(CheckResult("no_wrong_action", not wrong, len(wrong), 0,
                           "no wrong action" if not wrong else
                           "wrong: " + ", ".join(f"{a['action']} at {a['at']}" for a in wrong)))
    options = postmortem_options()
    pm = game.postmortem or {}
    cause = pm.get("root_cause")
    out.append(CheckResult("diagnosis_right", _fits(cause, options["root_causes"], kind), cause, None,
                           f"root cause chosen: {cause or 'none (no postmortem)'}"))
    prevent = pm.get("prevent")
    compiled = rec.regression_name is not None
    out.append(CheckResult("prevent_item", _fits(prevent, options["prevent"], kind) and compiled, prevent, None,
                           f"prevent item chosen: {prevent or 'none'}; "
                           + (f"it compiles to the regression case {rec.regression_name}" if compiled
                              else "no regression case was compiled")))
    return out


def _status_check(game: Game) -> CheckResult:
    times = [m - game.page_minute for m, _ in game.status]
    states = [s for _, s in game.status]
    end = (game.resolved_at if game.resolved_at is not None else game.now) - game.page_minute
    problems = []
    cadence = paging.load_policy().incident_roles.update_every_min   # data/paging.yaml, as the scripted IC's
    if not times or times[0] > STATUS_FIRST_MIN:
        problems.append(f"no update within {STATUS_FIRST_MIN} min of the page")
    gaps = [b - a for a, b in zip(times, times[1:] + [end])]
    gap = max(gaps) if gaps else end
    if times and gap > cadence:
        problems.append(f"{gap} min between updates (at most {cadence:g})")
    if game.resolved_at is not None and "Resolved" not in states:
        problems.append("no Resolved update")
    detail = (f"{len(times)} update(s) at " + ", ".join(f"+{t} min {s}" for t, s in zip(times, states))
              if times else "no status update") + ("; " + "; ".join(problems) if problems else "")
    return CheckResult("status_on_time", not problems, len(times), cadence, detail)


def wrong_actions(game: Game) -> list[dict]:
    right = {game.runbook.action_step.action}
    if game.runbook.escalation is not None:
        right.add(game.runbook.escalation.fallback_action)
    return [dict(a, at=f"{game.at(a['minute']):%H:%M}") for a in game.actions if a["action"] not in right]


def red_herrings(game: Game) -> list[dict]:
    """The red herrings the learner took: actions the scenario names as tempting and useless
    (data/gameday/red_herrings.yaml), each with why it could not help."""
    with open(DATA_DIR / "gameday" / "red_herrings.yaml", encoding="utf-8") as fh:
        named = (yamlsafe.safe_load(fh) or {}).get(game.scenario.name, [])
    why = {h["action"]: h["why"] for h in named}
    return [dict(a, at=f"{game.at(a['minute']):%H:%M}", why=why[a["action"]]) for a in game.actions
            if a["action"] in why]


def baselines(scenario, seed: int) -> dict:
    """The scripted on-call's shift and a shift nobody mitigates, on the same seed: their budgets and times."""
    scripted = shift.run_shift(scenario, seed, "none")
    nothing = shift.run_shift(scenario, seed, "none", choices=OnCallChoices(mitigate=False))
    return {"scripted": scripted, "nothing": nothing}


def score(game: Game, with_baselines: bool = True, base: dict | None = None) -> dict:
    """The game's scorecard: ``passed``, ``checks`` (the gate's, then the learner's), ``metrics``, the moves.
    ``base``: the baselines of the same scenario and seed, when several games share them (a leaderboard)."""
    rec = game.finish()
    card = shift.scorecard(rec)
    mine = learner_checks(game)
    checks = card["checks"] + [c.to_dict() for c in mine]
    m = card["metrics"]
    metrics = {"time_to_acknowledge_min": m.get("time_to_acknowledge_min"),
               "time_to_diagnosis_min": game.time_to_diagnosis_min(),
               "time_to_mitigate_min": m.get("time_to_mitigate_min"),
               "budget_consumed_pct": m.get("budget_consumed_pct"),
               "wrong_actions": len(wrong_actions(game)),
               "red_herrings_taken": len(red_herrings(game)),
               "premature_resolves": game.premature_resolves,
               "looks": sum(1 for e in game.log if e["move"]["move"] == "look"),
               "minutes_played": game.now - game.page_minute}
    if with_baselines:
        base = base or baselines(game.scenario, game.seed)
        metrics["scripted_budget_consumed_pct"] = base["scripted"].metrics.get("budget_consumed_pct")
        metrics["scripted_time_to_mitigate_min"] = base["scripted"].metrics.get("time_to_mitigate_min")
        metrics["no_mitigation_budget_consumed_pct"] = base["nothing"].metrics.get("budget_consumed_pct")
        game.scripted = base["scripted"]
    return {"seed": game.seed, "passed": all(c["passed"] for c in checks) and bool(checks),
            "red": [c["name"] for c in checks if not c["passed"]], "checks": checks, "metrics": metrics,
            "moves": [{k: e[k] for k in ("n", "at", "took_min", "move")} for e in game.log],
            "scenario": rec.scenario.name}


def spread(scenario, moves: list[dict], seeds) -> dict:
    """The same moves on the same hidden scenario over other seeds: how much of a score was the night's luck.
    Per seed the budget spent and the verdict; the budget's mean with a 95 % interval (normal approximation,
    t-free: read it as rough with few seeds) and the share of green games with Wilson's 95 % interval."""
    rows = []
    for seed in seeds:
        game = Game(scenario, seed)
        for move in moves:
            game.play(move)
        card = score(game, with_baselines=False)
        rows.append({"seed": seed, "passed": card["passed"], "budget_consumed_pct": card["metrics"]["budget_consumed_pct"],
                     "red": card["red"]})
    budgets = [r["budget_consumed_pct"] for r in rows if r["budget_consumed_pct"] is not None]
    n = len(budgets)
    mean = sum(budgets) / n if n else None
    sd = (sum((b - mean) ** 2 for b in budgets) / (n - 1)) ** 0.5 if n > 1 else 0.0
    half = 1.96 * sd / n ** 0.5 if n else None
    k, total, z = sum(r["passed"] for r in rows), len(rows), 1.96
    centre = (k + z * z / 2) / (total + z * z)
    width = z * ((k * (total - k) / total + z * z / 4) ** 0.5) / (total + z * z)
    return {"games": rows, "budget_mean_pct": None if mean is None else round(mean, 3),
            "budget_ci95_pct": None if mean is None else [round(mean - half, 3), round(mean + half, 3)],
            "green_share": round(k / total, 3), "green_ci95": [round(max(centre - width, 0), 3),
                                                              round(min(centre + width, 1), 3)]}


SCRIPTED_KINDS = ("page.sent", "incident.acknowledged", "runbook.step", "page.escalated", "release.rolled_back",
                  "index.rebuilt", "provider.failed_over", "flag.changed", "incident.mitigated", "incident.resolved")


def _scripted_events(game: Game) -> list[tuple[int, str]]:
    """(minutes after the page, what happened) for the scripted on-call's handling of the same night."""
    scripted = getattr(game, "scripted", None)
    if scripted is None or scripted.page is None:
        return []
    page = scripted.page.at
    return [(int((e.t - page).total_seconds() // 60), e.message) for e in scripted.trace.events
            if e.kind in SCRIPTED_KINDS and e.phase in ("detect", "mitigate") and e.refs.get("incident") is not None]


def _side_by_side(game: Game) -> list[str]:
    """One row per minute after the page at which either on-call did something: yours beside the script's."""
    def cell(text: str) -> str:
        return text.replace("|", "/").replace("\n", " ")
    mine: dict[int, list[str]] = {}
    for e in game.log:
        what = " ".join(f"{v}" for k, v in e["move"].items() if k not in ("move", "text", "think"))
        mine.setdefault(e["minute"] - game.page_minute, []).append(f"{e['move']['move']} {what}".strip())
    theirs: dict[int, list[str]] = {}
    for minute, message in _scripted_events(game):
        theirs.setdefault(minute, []).append(message)
    if not theirs:
        return []
    rows = ["| minutes after the page | you | the scripted on-call |", "|---|---|---|"]
    for minute in sorted(set(mine) | set(theirs)):
        rows.append(f"| +{minute} | {cell('; '.join(mine.get(minute, [])))} | {cell('; '.join(theirs.get(minute, [])))} |")
    return rows


def debrief_markdown(game: Game, card: dict) -> str:
    """The debrief: the truth, the checks, the learner's timeline with what each move revealed, and the scripted
    on-call's timeline beside it."""
    sc, rec = game.scenario, game.record
    lines = [f"# Game day debrief: {sc.name} (seed {game.seed})", "",
             f"**{'GREEN' if card['passed'] else 'RED'}**: {sum(c['passed'] for c in card['checks'])} of "
             f"{len(card['checks'])} checks passed.", "",
             "## What was going on", "", f"- Scenario: {sc.name}: {sc.title}",
             f"- Cause kind: {rec.cause.kind} (onset {rec.cause.onset_at:%H:%M} UTC)",
             f"- Runbook: {sc.runbook} (action: {game.runbook.action_step.action})",
             f"- Expected severity: {sc.expected_severity}", "", "## Checks", "",
             "| check | passed | detail |", "|---|---|---|"]
    lines += [f"| {c['name']} | {'yes' if c['passed'] else 'NO'} | {c['detail']} |" for c in card["checks"]]
    lines += ["", "## Figures", "", "| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in card["metrics"].items()]
    herrings = red_herrings(game)
    if herrings:
        lines += ["", "## Red herrings you took", ""]
        lines += [f"- {h['at']} {h['action']}: {h['why']}" for h in herrings]
    lines += ["", "## Your timeline", ""]
    for e in game.log:
        move = ", ".join(f"{k}={v}" for k, v in e["move"].items() if k != "move")
        lines.append(f"- {e['at']} (+{e['took_min']} min) **{e['move']['move']}** {move}")
        lines += [f"    {line}" for line in e["text"].splitlines()]
    side = _side_by_side(game)
    if side:
        lines += ["", "## Your timeline beside the scripted on-call's", ""] + side
    return "\n".join(lines) + "\n"


def debrief_body(markdown: str) -> str:
    """The debrief's Markdown as HTML (mistune, which the course extra brings; without it the text stays readable
    in a <pre>)."""
    try:
        import mistune
    except ImportError:
        return f"<pre style='white-space: pre-wrap'>{html.escape(markdown)}</pre>"
    return mistune.html(html.escape(markdown, quote=False))


def debrief_html(markdown: str) -> str:
    """The debrief as one self-contained page (the game's report.html)."""
    return ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>Game day debrief</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;vertical-align:top}"
            "pre,code{white-space:pre-wrap}</style></head><body>" + debrief_body(markdown) + "</body></html>\n")


def action_log_jsonl(game: Game) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, default=str) + "\n" for e in game.log)

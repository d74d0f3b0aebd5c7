"""Game day (issue 19, notebook 08_game_day): the learner is the on-call. A hidden scenario, drawn by seed from the
library or given as a file; a simulated clock that moves as the learner acts; looks that show only what an on-call
sees; actions on the same simulator as the scripted shift; scored by the gate plus the learner's own checks.

    game = new_game(seed=7)                 # or new_game("path/to/scenario.yaml", seed=7)
    print(game.play({"move": "look", "at": "page"}))
    ...
    card = score(game)                      # the gate's checks and the learner's

The command line replays move files (oncall/gameday/command.py); the notebook's widgets drive the same Game.
"""
from __future__ import annotations

from ..scenario import list_scenarios, load_scenario
from .engine import ACTIONS, LOOKS, SEVERITIES, STATES, Game, GameOver
from .moves import check_moves, load_moves, postmortem_options, scripted_moves
from .scoring import debrief_html, debrief_markdown, score


def draw_scenario(seed: int) -> str:
    """The hidden scenario a seed draws from the library (the same seed, the same scenario)."""
    names = sorted(name for name, _ in list_scenarios())
    return names[seed % len(names)]


def new_game(scenario: str | None = None, seed: int | None = None) -> Game:
    """A game on ``scenario`` (a library NAME or a PATH; None: drawn by the seed) and ``seed`` (None: 1)."""
    seed = 1 if seed is None else int(seed)
    return Game(load_scenario(scenario or draw_scenario(seed)), seed)


def play_moves(game: Game, moves: list[dict]) -> dict:
    """Play every move, then score the game (the scorecard of oncall/gameday/scoring.py)."""
    for move in moves:
        game.play(move)
    return score(game)


__all__ = ["ACTIONS", "LOOKS", "SEVERITIES", "STATES", "Game", "GameOver", "check_moves", "debrief_html",
           "debrief_markdown", "draw_scenario", "load_moves", "new_game", "play_moves", "postmortem_options",
           "score", "scripted_moves"]

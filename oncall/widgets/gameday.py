"""Game day's widgets (08_game_day): you are the on-call. Buttons and dropdowns for every move, a clock, a log of
what each move revealed, and the debrief once the postmortem is written.

The panel drives an ``oncall.gameday.Game``, the same engine ``oncall gameday --play`` replays move files on, so a
game played here and the same moves in a file score the same. Every move it played is kept in ``.moves`` (a
move file's list: ``save_moves`` writes it for the instructor), and the scorecard in ``.card`` once the game is
over, so a check cell can play a whole game through the widgets from Python.
"""
from __future__ import annotations

import html

import ipywidgets as W
import yaml

from ..gameday import ACTIONS, LOOKS, SEVERITIES, STATES, Game, new_game, postmortem_options, score
from ..gameday.scoring import debrief_body, debrief_markdown


class GameDay:
    """One game: ``GameDay(seed=7)`` draws a hidden scenario from the library; ``scenario=`` names one (or a
    path). ``.ui`` is the panel."""

    def __init__(self, scenario: str | None = None, seed: int = 1, baselines: bool = True):
        self.game: Game = new_game(scenario, seed)
        self.baselines = baselines
        self.moves: list[dict] = []
        self.card: dict | None = None
        style = {"description_width": "initial"}
        options = postmortem_options()
        self.clock = W.HTML()
        self.look = W.Dropdown(options=[(f"{k} ({v[0]} min)", k) for k, v in LOOKS.items()], value="page",
                               description="look at", style=style)
        self.look_button = W.Button(description="Look")
        self.ack_button = W.Button(description="Acknowledge", button_style="warning")
        self.severity = W.Dropdown(options=SEVERITIES, value="SEV-3", description="severity", style=style)
        self.severity_button = W.Button(description="Declare")
        self.state = W.Dropdown(options=STATES, value="Investigating", description="status page", style=style)
        # a status update is a sentence or two: a box that shows all of it as it is typed
        self.status_text = W.Textarea(placeholder="what users read", rows=2, layout=W.Layout(width="40em"))
        self.status_button = W.Button(description="Post update")
        self.action = W.Dropdown(options=ACTIONS, value="wait", description="action", style=style)
        self.wait = W.IntText(value=10, description="wait (min)", style=style, layout=W.Layout(width="10em"))
        self.act_button = W.Button(description="Do it", button_style="danger")
        self.resolve_button = W.Button(description="Resolve")
        self.root_cause = W.Dropdown(options=[(o["text"], o["id"]) for o in options["root_causes"]],
                                     description="root cause", style=style, layout=W.Layout(width="48em"))
        self.prevent = W.Dropdown(options=[(o["text"], o["id"]) for o in options["prevent"]],
                                  description="prevent", style=style, layout=W.Layout(width="48em"))
        self.postmortem_button = W.Button(description="Write postmortem", button_style="success")
        self.log = W.HTML()
        self.debrief = W.HTML()
        # After the debrief: scrub back through the game, one move at a time (the clock and what it revealed).
        self.scrub = W.IntSlider(value=1, min=1, max=1, description="replay move", disabled=True,
                                 continuous_update=True, style=style)
        self.scrub_view = W.HTML()
        self.scrub.observe(lambda _: self._show_move(self.scrub.value), names="value")
        self.look_button.on_click(lambda _: self.play({"move": "look", "at": self.look.value}))
        self.ack_button.on_click(lambda _: self.play({"move": "ack"}))
        self.severity_button.on_click(lambda _: self.play({"move": "severity", "level": self.severity.value}))
        self.status_button.on_click(lambda _: self.play({"move": "status", "state": self.state.value,
                                                         **({"text": self.status_text.value}
                                                            if self.status_text.value else {})}))
        self.act_button.on_click(lambda _: self.play(
            {"move": "act", "action": self.action.value,
             **({"minutes": max(1, min(int(self.wait.value), 240))} if self.action.value == "wait" else {})}))
        self.resolve_button.on_click(lambda _: self.play({"move": "resolve"}))
        self.postmortem_button.on_click(lambda _: self.play({"move": "postmortem", "root_cause": self.root_cause.value,
                                                             "prevent": self.prevent.value}))
        # CSS classes a browser test finds the controls by (tests/browser/test_gameday_in_browser.py).
        for name in ("clock", "look", "look_button", "ack_button", "severity", "severity_button", "state",
                     "status_button", "action", "wait", "act_button", "resolve_button", "root_cause", "prevent",
                     "postmortem_button", "log", "debrief"):
            getattr(self, name).add_class(f"oncall-gd-{name.replace('_', '-')}")
        self.ui = W.VBox([self.clock,
                          W.HBox([self.ack_button, self.look, self.look_button]),
                          W.HBox([self.severity, self.severity_button]),
                          W.HBox([self.state, self.status_text, self.status_button]),
                          W.HBox([self.action, self.wait, self.act_button, self.resolve_button]),
                          W.VBox([self.root_cause, self.prevent, self.postmortem_button]),
                          self.log, self.debrief, W.VBox([self.scrub, self.scrub_view])])
        self.play({"move": "look", "at": "page"})

    def play(self, move: dict) -> str:
        """Play one move (what a button does) and redraw the clock and the log; the postmortem ends the game."""
        if self.card is not None:
            return "The game is over."
        text = self.game.play(move)
        self.moves.append(move)
        if move["move"] == "postmortem":
            self.card = score(self.game, with_baselines=self.baselines)
            self.debrief.value = "<h3>Debrief</h3>" + debrief_body(debrief_markdown(self.game, self.card))
            self.scrub.max = len(self.game.log)
            self.scrub.disabled = False
            self.scrub.value = len(self.game.log)
            self._show_move(self.scrub.value)
            for child in (self.look_button, self.ack_button, self.severity_button, self.status_button,
                          self.act_button, self.resolve_button, self.postmortem_button):
                child.disabled = True
        self._redraw()
        return text

    def _show_move(self, n: int) -> None:
        """The game as it stood after move ``n`` (from 1): its clock, the move and what it revealed."""
        e = self.game.log[n - 1]
        self.scrub_view.value = (f"<b>move {n} of {len(self.game.log)}, {e['at']} UTC</b> (+{e['took_min']} min): "
                                 f"{html.escape(str(e['move']))}<pre style='white-space: pre-wrap'>"
                                 f"{html.escape(e['text'])}</pre>")

    def _redraw(self) -> None:
        g = self.game
        state = "acknowledged" if g.acked_at is not None else "NOT acknowledged"
        if g.resolved_at is not None:
            state = "resolved"
        verdict = "" if self.card is None else (" &nbsp;|&nbsp; gate <b>" + ("GREEN" if self.card["passed"] else "RED")
                                                + "</b>")
        self.clock.value = (f"<b>{g.clock} UTC</b> &nbsp;|&nbsp; {g.minutes_since_page} min since the page "
                            f"&nbsp;|&nbsp; {state}" + (" &nbsp;|&nbsp; the night is over" if g.over else "")
                            + verdict)
        rows = [f"<b>{e['at']}</b> {html.escape(e['move']['move'])} "
                f"{html.escape(' '.join(str(v) for k, v in e['move'].items() if k not in ('move', 'text')))}"
                f"<pre style='white-space: pre-wrap; margin: 0 0 0.5em 1em'>{html.escape(e['text'])}</pre>"
                for e in reversed(g.log)]
        self.log.value = "<div style='max-height: 28em; overflow-y: auto'>" + "".join(rows) + "</div>"

    def save_moves(self, path) -> None:
        """Write the moves played so far as a move file (``oncall gameday --play FILE`` replays it)."""
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(self.moves, fh, sort_keys=False, allow_unicode=True)

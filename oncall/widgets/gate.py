"""The gate's widget (M26): break the release on purpose and watch the gate catch it."""
from __future__ import annotations

import ipywidgets as W
from IPython.display import display

from ..plots.gate import scorecard_chart, scorecard_size
from ..scenario import load_scenario
from ..shift import resume_from, scorecard
from ..sweeps import shared_night
from . import Memo, guarded, keeps_drawings, kept_axes, number, show_figure


class BreakRelease:
    """A break-mode picker; each change re-runs the shift and redraws the scorecard in place.

    ``.card`` is the last scorecard drawn, so a check cell can drive the widget and assert what changed.
    """

    @guarded
    def __init__(self, scenario: str = "bad-deploy", seed: int = 7):
        self.scenario = load_scenario(scenario)
        self.seed = number(seed, "seed", 0, 10_000, integer=True)
        self.mode = W.Dropdown(options=["none", *self.scenario.break_modes], value="none", description="break")
        self.out = W.Output()
        self.card = None
        self.png = b""
        self.memo = Memo()
        keeps_drawings(self)     # break mode -> the PNG drawn; the scorecard's layout (per size) and figure
        # Serve, detect and triage never read the break mode: run them once; each mode resumes a copy of that
        # night from mitigate on, as run_shift would run it (tests/test_shift.py).
        self.night = shared_night(self.scenario, self.seed)
        self.mode.observe(self._redraw, names="value")
        self.ui = W.VBox([self.mode, self.out])
        self._redraw()

    def red_checks(self) -> list[str]:
        return [c["name"] for c in self.card["checks"] if not c["passed"]]

    def _redraw(self, _change=None) -> None:
        mode = self.mode.value
        self.card = self.memo.get(mode, lambda: scorecard(resume_from(self.night, mode)))
        with self.out:
            self.out.clear_output(wait=True)
            show_figure(self, lambda: scorecard_chart(self.card, layouts=self.layouts,
                                                      ax=kept_axes(self, scorecard_size(self.card))),
                        place_titles=False, key=mode)
            want = self.scenario.break_modes[self.mode.value].must_fail if self.mode.value != "none" else []
            print(f"red: {', '.join(self.red_checks()) or 'none'}; the scenario expects: {', '.join(want) or 'none'}")

    def show(self):
        display(self.ui)
        return self

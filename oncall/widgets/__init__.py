"""Widgets (an edge of the package: only oncall.widgets and oncall.plots import ipywidgets or matplotlib).

Each widget redraws its figure in place (one Output, cleared and redrawn) and keeps the last shift record it
drew in ``.record``, so a check cell can drive it from Python and assert the data changed.
"""
from __future__ import annotations

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from .. import plots
from ..scenario import list_scenarios, load_scenario
from ..shift import run_shift
from ..story import story_lines


class ScenarioPicker:
    """Pick a scenario and a seed; the shift re-runs and the timeline and the story redraw in place."""

    def __init__(self, scenario: str = "bad-deploy", seed: int | None = None):
        names = [name for name, _ in list_scenarios()]
        first = load_scenario(scenario)
        self.scenario = W.Dropdown(options=names, value=scenario, description="scenario")
        self.seed = W.IntSlider(value=first.seed if seed is None else seed, min=0, max=50, description="seed")
        self.out = W.Output()
        self.record = None
        self.scenario.observe(self._redraw, names="value")
        self.seed.observe(self._redraw, names="value")
        self.ui = W.VBox([W.HBox([self.scenario, self.seed]), self.out])
        self._redraw()

    def _redraw(self, _change=None) -> None:
        self.record = run_shift(load_scenario(self.scenario.value), self.seed.value)
        with self.out:
            self.out.clear_output(wait=True)
            shift = self.record.scenario.shift
            plots.shift_timeline(self.record.trace.to_frame(), span=(shift.start, shift.end),
                                       title=f"{self.scenario.value}, seed {self.seed.value}: the shift by module")
            plt.show()
            print("\n".join(story_lines(self.record.trace.events)[:12]))

    def show(self):
        display(self.ui)
        return self

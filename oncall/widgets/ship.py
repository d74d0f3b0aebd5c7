"""The ship notebook's widget: break the fix and watch the canary abort (redraws in place; ``.record`` keeps the
last shift it drew)."""
from __future__ import annotations

import ipywidgets as W
from IPython.display import display

from .. import ship as shipping
from ..plots import ship as ship_plots
from ..release_ops.canary import load_config
from ..scenario import load_scenario
from ..shift import resume_from
from ..sweeps import shared_night, ship_from
from . import Memo, guarded, keeps_drawings, number, show_figure

MODES = ("none", "errors", "latency", "quality")


class BreakTheFix:
    """Pick how the fix is broken (residual errors, latency, quality) and a seed; the shift re-runs and the
    canary's scores redraw."""

    SEEDS = (1, 40)   # the seed slider's range, and the range the ``seed`` argument is checked against

    @guarded
    def __init__(self, scenario: str = "bad-deploy", seed: int = 7):
        self.scenario = load_scenario(scenario)
        number(seed, "seed", *self.SEEDS, integer=True)
        self.config = load_config(shipping.JUDGE_CONFIG)
        self.mode = W.Dropdown(options=[m for m in MODES if m == "none" or m in self.scenario.break_modes],
                               value="none", description="break")
        self.seed = W.IntSlider(value=seed, min=self.SEEDS[0], max=self.SEEDS[1], description="seed",
                                continuous_update=False)   # a drag runs one shift, where it stops
        self.precheck = W.Checkbox(value=True, description="regression eval first")
        self.out = W.Output()
        self.record = None
        self.png = b""
        self.memo = Memo()          # (seed, break, precheck) -> the shift drawn
        keeps_drawings(self)        # (seed, break, precheck) -> the PNG drawn; the canary figure's layout
        self.nights = Memo(4)       # (seed, break) -> the night up to the ship phase (the precheck changes only ship on)
        for w in (self.mode, self.seed, self.precheck):
            w.observe(self._redraw, names="value")
        self.ui = W.VBox([W.HBox([self.mode, self.seed, self.precheck]), self.out])
        self._redraw()

    def _redraw(self, _change=None) -> None:
        seed, mode, precheck = self.seed.value, self.mode.value, self.precheck.value
        # As sweeps.run_shift_with_ship runs it: the night before the ship phase (from the seed's night until triage,
        # shared by every break mode and kept by sweeps.shared_night), shipped from a copy of it.
        self.record = self.memo.get((seed, mode, precheck), lambda: ship_from(
            self.nights.get((seed, mode), lambda: resume_from(
                shared_night(self.scenario, seed), mode, until="learn")),
            regression_precheck=precheck))
        run = self.record.canary
        with self.out:
            self.out.clear_output(wait=True)
            if run.intervals:
                show_figure(self, lambda: ship_plots.canary_scores(run, self.config, start=self.scenario.shift.start,
                                                                  layouts=self.layouts), key=(seed, mode, precheck))
            else:
                self.png = b""
            print(f"break {self.mode.value}, seed {self.seed.value}: canary {run.verdict}: {run.reason}")

    def show(self):
        display(self.ui)
        return self

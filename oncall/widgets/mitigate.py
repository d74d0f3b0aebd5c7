"""The mitigate phase's widget (M31 -> M33): choose the mitigation and when, re-run the shift, see recovery and budget.

Like every widget here it redraws in place (one Output, cleared and redrawn) and keeps the last record it drew in
``.record``, so a check cell can drive it from Python and assert that the data changed.
"""
from __future__ import annotations

from datetime import timedelta

import ipywidgets as W
from IPython.display import display

from ..causes import cause_of
from ..incident_response import budget
from ..incident_response.runbooks import load_runbook
from ..plots import mitigate as plots
from ..scenario import OnCallChoices, load_scenario
from ..shift import resume_from
from ..sweeps import shared_night
from . import Memo, guarded, keeps_drawings, kept_axes, number, show_figure

# What the on-call may do instead of (or as) the runbook's action; values are OnCallChoices.action.
ACTIONS = (("roll back (the runbook's action)", "runbook"), ("restart the pods", "restart"),
           ("wait and watch", "wait"), ("turn the refund_tool flag off", "flag_off"))
SHORT = {"runbook": "roll back", "restart": "restart", "wait": "wait", "flag_off": "flag off"}
# How the runbook's own action reads, when a scenario's runbook does something else than roll back.
RUNBOOK_WORDS = {"rollback": "roll back", "reindex": "reindex", "failover": "fail over", "restart": "restart",
                 "flag_off": "flag off", "redeploy": "redeploy", "wait": "wait"}


class MitigationPicker:
    """Pick the mitigation and how many minutes after the acknowledgement it starts; the shift re-runs and the
    error ratio and the budget spent (against no mitigation at all) redraw in place."""

    @guarded
    def __init__(self, scenario: str = "bad-deploy", seed: int | None = None, max_delay_min: int = 120):
        self.scenario = load_scenario(scenario)
        self.seed = self.scenario.seed if seed is None else number(seed, "seed", 0, 10_000, integer=True)
        number(max_delay_min, "max_delay_min", 5, 600, integer=True)
        act = RUNBOOK_WORDS[load_runbook(self.scenario.runbook).action_step.action]
        self.short = {**SHORT, "runbook": act}
        options = [(f"{act} (the runbook's action)", "runbook"), *ACTIONS[1:]]
        self.action = W.Dropdown(options=options, value="runbook", description="mitigation",
                                 style={"description_width": "initial"})
        self.delay = W.IntSlider(value=0, min=0, max=max_delay_min, step=5, description="start after (min)",
                                 style={"description_width": "initial"}, continuous_update=False)
        self.out = W.Output()
        self.record = None
        self.png = b""
        # The phases before mitigate (serve, detect, triage) never read the choices: run them once (shared with
        # any sweep or widget of the same scenario and seed); each choice resumes a copy of that night from mitigate
        # on, as run_shift would run it (tests/test_widget_speed.py).
        self.night = shared_night(self.scenario, self.seed)
        # Without any mitigation the shift never changes with the choices: run it once.
        self.without = self._run(OnCallChoices(mitigate=False))
        self.memo = Memo()
        keeps_drawings(self)     # the choices -> the PNG drawn; the figure's layout and the figure
        deploy = cause_of(self.scenario).onset_at
        # Fixed axes, so that two choices compare by eye: the latest choice still resolves inside this span.
        self.span = (deploy - timedelta(minutes=30),
                     min(deploy + timedelta(minutes=max_delay_min + 120), self.scenario.shift.end))
        self.action.observe(self._redraw, names="value")
        self.delay.observe(self._redraw, names="value")
        self.ui = W.VBox([W.HBox([self.action, self.delay]), self.out])
        self._redraw()

    @property
    def choices(self) -> OnCallChoices:
        return OnCallChoices(action=self.action.value, delay_min=self.delay.value)

    def label(self) -> str:
        when = "at once" if self.delay.value == 0 else f"{self.delay.value} min after the ack"
        return f"{self.short[self.action.value]} {when}"

    def _run(self, choices: OnCallChoices):
        """``run_shift(scenario, seed, choices=choices)``, from a copy of the night before the mitigate phase."""
        return resume_from(self.night, choices=choices)

    def _redraw(self, _change=None) -> None:
        choices = self.choices
        key = choices.model_dump_json()
        self.record = self.memo.get(key, lambda: self._run(choices))
        with self.out:
            self.out.clear_output(wait=True)
            show_figure(self, lambda: plots.mitigation_outcome(
                self.record, self.without, self.span, self.label(), layouts=self.layouts,
                axes=kept_axes(self, plots.OUTCOME_SIZE, **plots.OUTCOME_AXES)), key=key)
            m = self.record.metrics
            mitigate = m.get("time_to_mitigate_min")
            followed = next((c for c in self.record.checks if c.name == "runbook_followed"), None)
            print(f"time to mitigate: {'never' if mitigate is None else f'{mitigate:g} min'}; "
                  f"{budget.spent_words(m['budget_consumed_pct'])} "
                  f"(limit {self.scenario.budget_limit_pct:g} %)"
                  + (f"; runbook followed: {followed.detail}" if followed else ""))
            for e in self.record.trace.events:
                if e.kind in ("runbook.step", "page.escalated", "release.rolled_back", "flag.changed",
                              "incident.mitigated", "incident.resolved") and e.t >= cause_of(self.scenario).onset_at \
                        and e.refs.get("incident") in (None, self.record.paged_incident):
                    print(f"  {e.t:%H:%M}  {e.kind:<20} {e.message}")

    def show(self):
        display(self.ui)
        return self

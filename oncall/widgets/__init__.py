"""Widgets (an edge of the package: only oncall.widgets and oncall.plots import ipywidgets or matplotlib).

Each widget redraws its figure in place (one Output, cleared and redrawn) and keeps the last shift record it
drew in ``.record``, so a check cell can drive it from Python and assert the data changed.
"""
from __future__ import annotations

import html
import math
from functools import wraps

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from .. import plots
from ..errors import BadInput
from ..scenario import list_scenarios, load_scenario
from ..shift import run_shift
from ..story import summary_lines


def number(value, field: str, lo: float, hi: float, integer: bool = False) -> float:
    """A widget's numeric argument, checked: BadInput ("widget", field, expected range) when it is out of range
    or not a number (a slider would silently clamp it, showing a value nobody asked for)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and lo <= value <= hi and (not integer or float(value).is_integer())
    if not ok:
        kind = "a whole number" if integer else "a number"
        raise BadInput("widget", field, f"expected {kind} from {lo:g} to {hi:g}, got {value!r}")
    return value


def failed(widget, exc: BadInput) -> None:
    """Turn a widget whose arguments were bad into one visible line (the same line the command line prints),
    instead of a traceback: ``.error`` holds it, ``.ui`` shows it."""
    widget.error = f"oncall: {exc.line()}"
    widget.record = widget.card = None
    widget.ui = W.HTML(f'<pre style="color:#b00020;white-space:pre-wrap">{html.escape(widget.error)}</pre>')


def guarded(init):
    """Decorator for a widget's ``__init__``: bad input becomes ``failed(self, exc)``."""
    @wraps(init)
    def wrapper(self, *args, **kwargs):
        self.error = None
        try:
            init(self, *args, **kwargs)
        except BadInput as exc:
            failed(self, exc)

    return wrapper


class Memo:
    """What a widget computed for each combination of its inputs, so that moving a control back to a value it
    had shows the same result without running the shift again. Keyed on every input the computation reads
    (the widget's fixed arguments are the same for its whole life); the last ``size`` combinations are kept."""

    def __init__(self, size: int = 16):
        self.size = size
        self.store: dict = {}

    def get(self, key, compute):
        if key in self.store:
            self.store[key] = self.store.pop(key)   # the most recently used last
            return self.store[key]
        value = compute()
        self.store[key] = value
        while len(self.store) > self.size:
            self.store.pop(next(iter(self.store)))
        return value


class ScenarioPicker:
    """Pick a scenario and a seed; the shift re-runs and the timeline and the story redraw in place."""

    SEEDS = (0, 50)   # the seed slider's range, and the range the ``seed`` argument is checked against

    @guarded
    def __init__(self, scenario: str = "bad-deploy", seed: int | None = None):
        names = [name for name, _ in list_scenarios()]
        first = load_scenario(scenario)
        if scenario not in names:
            raise BadInput("widget", "scenario", f"expected one of {', '.join(names)}, got {scenario!r}")
        seed = first.seed if seed is None else number(seed, "seed", *self.SEEDS, integer=True)
        self.scenario = W.Dropdown(options=names, value=scenario, description="scenario")
        self.seed = W.IntSlider(value=seed, min=self.SEEDS[0], max=self.SEEDS[1], description="seed")
        self.out = W.Output()
        self.record = None
        self.memo = Memo()
        self.scenario.observe(self._redraw, names="value")
        self.seed.observe(self._redraw, names="value")
        self.ui = W.VBox([W.HBox([self.scenario, self.seed]), self.out])
        self._redraw()

    def _redraw(self, _change=None) -> None:
        name, seed = self.scenario.value, self.seed.value
        self.record = self.memo.get((name, seed), lambda: run_shift(load_scenario(name), seed))
        with self.out:
            self.out.clear_output(wait=True)
            shift = self.record.scenario.shift
            plots.shift_timeline(self.record.trace.to_frame(), span=(shift.start, shift.end),
                                       title=f"{self.scenario.value}, seed {self.seed.value}: the shift by module")
            plt.show()
            print("\n".join(summary_lines(self.record.trace.events)))   # the story's key events, as oncall drill prints

    def show(self):
        display(self.ui)
        return self

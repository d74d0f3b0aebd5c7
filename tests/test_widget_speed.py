"""The widgets' faster paths show what the plain path showed (issue 21): a widget that reuses the night before the
phase its control changes, or the result of a combination of inputs it already ran, draws the record a whole
``run_shift`` of those inputs gives, whatever order the controls are moved in."""
from __future__ import annotations

import contextlib
import io

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from oncall.scenario import OnCallChoices, load_scenario  # noqa: E402
from oncall.shift import run_shift, scorecard  # noqa: E402
from oncall.sweeps import run_shift_with_ship  # noqa: E402
from oncall.widgets import Memo  # noqa: E402


def same_shift(a, b) -> None:
    """Two shift records agree on everything a widget shows: the scorecard, the trace, the per-minute counts."""
    assert scorecard(a) == scorecard(b)
    assert [(e.seq, e.t, e.kind, e.message, e.refs) for e in a.trace.events] == \
        [(e.seq, e.t, e.kind, e.message, e.refs) for e in b.trace.events]
    assert a.service.equals(b.service)
    assert a.metrics == b.metrics


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("bad-deploy")


def quiet(fn):
    import matplotlib.pyplot as plt

    try:
        with contextlib.redirect_stdout(io.StringIO()):   # outside a kernel an Output prints to stdout
            return fn()
    finally:
        plt.close("all")    # what the kernel's inline backend does after a cell shows its figures


def test_memo_keeps_the_last_size_combinations():
    memo, calls = Memo(size=2), []
    compute = lambda k: (lambda: calls.append(k) or k * 10)  # noqa: E731
    assert [memo.get(k, compute(k)) for k in (1, 2, 1, 3, 1, 2)] == [10, 20, 10, 30, 10, 20]
    assert calls == [1, 2, 3, 2]   # 1 was used last before 3 came, so 2 was dropped


@pytest.mark.slow   # whole shifts, several
def test_mitigation_picker_draws_what_run_shift_gives(scenario):
    from oncall.widgets.mitigate import MitigationPicker

    w = quiet(lambda: MitigationPicker("bad-deploy", seed=7))
    same_shift(w.record, run_shift(scenario, 7, choices=OnCallChoices(action="runbook", delay_min=0)))
    for control, value in (("action", "restart"), ("delay", 30), ("action", "runbook"), ("delay", 0),
                           ("action", "restart")):
        quiet(lambda: setattr(getattr(w, control), "value", value))
        same_shift(w.record, run_shift(scenario, 7, choices=w.choices))
    assert w.record.choices == OnCallChoices(action="restart", delay_min=0)


@pytest.mark.slow   # whole shifts, several
def test_break_the_fix_draws_what_the_whole_shift_gives(scenario):
    from oncall.widgets.ship import BreakTheFix

    w = quiet(lambda: BreakTheFix(seed=7))
    for control, value in (("mode", "quality"), ("precheck", False), ("mode", "none"), ("precheck", True),
                           ("mode", "quality")):
        quiet(lambda: setattr(getattr(w, control), "value", value))
        same_shift(w.record, run_shift_with_ship(scenario, 7, w.mode.value, regression_precheck=w.precheck.value))


@pytest.mark.slow   # whole shifts, several
def test_break_release_scorecard_on_every_visit(scenario):
    from oncall.widgets.gate import BreakRelease

    w = quiet(lambda: BreakRelease("bad-deploy", seed=7))
    mode = next(iter(scenario.break_modes))
    for value in (mode, "none", mode):
        quiet(lambda: setattr(w.mode, "value", value))
        assert w.card == scorecard(run_shift(scenario, 7, value))


@pytest.mark.slow   # whole shifts, several
def test_scenario_picker_back_to_a_seed(scenario):
    from oncall.widgets import ScenarioPicker

    w = quiet(lambda: ScenarioPicker("bad-deploy", seed=7))
    for seed in (8, 7):
        quiet(lambda: setattr(w.seed, "value", seed))
    same_shift(w.record, run_shift(scenario, 7))


def test_a_widget_picture_holds_a_title_wider_than_its_figure():
    """Widgets draw their PNG once at the figure's size (no tight bounding box): a suptitle wider than the figure
    widens the picture instead of being cut; an ordinary figure keeps its own size."""
    import matplotlib.pyplot as plt
    from PIL import Image

    from oncall.widgets import render

    def size(title):
        fig, ax = plt.subplots(figsize=(4, 2), dpi=100)
        ax.plot([0, 1], [0, 1])
        fig.suptitle(title)
        fig.tight_layout()
        try:
            title_px = fig.texts[0].get_window_extent(fig.canvas.get_renderer()).width
            return Image.open(io.BytesIO(render(fig))).size, title_px
        finally:
            plt.close(fig)

    (w, h), _ = size("short")
    assert (w, h) == (400, 200)
    (w, h), title_px = size("a title much wider than the four inches of its figure, cut at both ends without care")
    assert h == 200 and w >= title_px > 400


@pytest.mark.slow   # whole shifts, several
def test_a_kept_figure_draws_what_agg_alone_draws():
    """A widget that keeps its figure (kept_axes) draws each move into the same axes, on a canvas that keeps the
    glyphs of the texts it drew: every picture is byte for byte the one a plain Agg canvas draws of that figure,
    a picture widened for a long title included."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from oncall.widgets import render
    from oncall.widgets.mitigate import MitigationPicker

    w = quiet(lambda: MitigationPicker("bad-deploy", seed=7))
    widths = set()
    for control, value in (("action", "restart"), ("delay", 30), ("action", "flag_off"), ("delay", 60)):
        quiet(lambda: setattr(getattr(w, control), "value", value))
        fig, kept = w.figure, w.figure.canvas
        assert render(fig) == w.png
        FigureCanvasAgg(fig)
        try:
            plain = render(fig)
        finally:
            fig.set_canvas(kept)
        assert plain == w.png
        widths.add(Image.open(io.BytesIO(w.png)).size[0])
    assert len(widths) > 1   # pictures of more than one width: some titles overflow the figure


def test_a_slider_that_reruns_a_shift_runs_it_where_the_drag_stops():
    """A slider whose move re-runs (part of) the shift reports its value when released, not at every step of a drag:
    dragging the seed from 0 to 50 would otherwise run fifty shifts, the learner waiting for each."""
    import ipywidgets as W

    from oncall.widgets import ScenarioPicker
    from oncall.widgets.detect import BadReleaseInjector
    from oncall.widgets.mitigate import MitigationPicker
    from oncall.widgets.ship import BreakTheFix

    with contextlib.redirect_stdout(io.StringIO()):
        built = [ScenarioPicker("bad-deploy", seed=7), BadReleaseInjector("bad-deploy", seed=7),
                 MitigationPicker("bad-deploy", seed=7), BreakTheFix("bad-deploy", seed=7)]
    for widget in built:
        sliders = [v for v in vars(widget).values() if isinstance(v, W.DOMWidget) and "Slider" in type(v).__name__]
        assert sliders, type(widget).__name__
        assert all(not s.continuous_update for s in sliders), type(widget).__name__

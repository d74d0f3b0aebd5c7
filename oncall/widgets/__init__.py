"""Widgets (an edge of the package: only oncall.widgets and oncall.plots import ipywidgets or matplotlib).

Each widget redraws its figure in place (one Output, cleared and redrawn) and keeps the last shift record it
drew in ``.record``, so a check cell can drive it from Python and assert the data changed.
"""
from __future__ import annotations

import contextlib
import html
import io
import math
from functools import wraps

import ipywidgets as W
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.transforms import Bbox

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


def render(fig) -> bytes:
    """The figure as PNG bytes, drawn once, at the figure's own size: the plots lay themselves out (tight_layout or
    fixed margins), so the inline backend's tight bounding box, which costs a layout pass of its own before the
    drawing, would only trim the margins. A text wider than the figure (a long suptitle, a label near an edge)
    widens the picture to hold it, as the tight box would. Light compression: a widget's picture lasts one move."""
    renderer = fig.canvas.get_renderer()
    texts = [t for t in fig.texts if t.get_visible() and t.get_text()]
    for ax in fig.axes:
        texts += [t for t in ax.texts if t.get_visible() and t.get_text()]
    boxes = [t.get_window_extent(renderer) for t in texts]
    whole, edges = Bbox.union([fig.bbox, *boxes]), fig.bbox
    bbox = None
    if not (whole.x0 >= edges.x0 and whole.y0 >= edges.y0 and whole.x1 <= edges.x1 and whole.y1 <= edges.y1):
        # The tight box's pad, on the sides that overflow; the edges on whole pixels, so that the figure moves by
        # whole pixels in the picture (its texts' glyphs are the same: TextKeepingRenderer).
        pad = plt.rcParams["savefig.pad_inches"] * fig.dpi
        x0 = math.floor(whole.x0 - pad) if whole.x0 < edges.x0 else edges.x0
        y0 = math.floor(whole.y0 - pad) if whole.y0 < edges.y0 else edges.y0
        x1 = math.ceil(whole.x1 + pad) if whole.x1 > edges.x1 else edges.x1
        y1 = math.ceil(whole.y1 + pad) if whole.y1 > edges.y1 else edges.y1
        bbox = Bbox.from_extents(x0 / fig.dpi, y0 / fig.dpi, x1 / fig.dpi, y1 / fig.dpi)
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        # The plot laid itself out (tight_layout leaves this placeholder): without it savefig skips a layout pass
        # (a whole draw, rendering nothing) that would lay out nothing.
        fig.set_layout_engine(None)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches=bbox, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


# What else decides how a text's glyphs come out: the fonts a family resolves to, hinting and kerning.
_TEXT_RC = ("font.family", "font.sans-serif", "font.serif", "font.monospace", "font.cursive", "font.fantasy",
            "text.hinting", "text.hinting_factor", "text.kerning_factor")


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


class _GlyphTaker:
    """Stands for Agg's drawing engine while one text draws: passes each glyph image on and keeps a copy, with its
    place. Anything else asked of it (a text drawn another way) marks the text as not to be kept."""

    def __init__(self, engine):
        self.engine, self.glyphs, self.other = engine, [], False

    def draw_text_image(self, image, x, y, angle, gc):
        self.glyphs.append((np.array(image), x, y, angle))
        self.engine.draw_text_image(image, x, y, angle, gc)

    def __getattr__(self, name):
        self.other = True
        return getattr(self.engine, name)


class TextKeepingRenderer(RendererAgg):
    """Agg, keeping the glyph images of every text it draws, keyed on all that makes them (the string, the font,
    its size, the angle, antialiasing, the position's fraction of a pixel): a widget's figure draws the same tick
    labels, axis labels and titles at the same places on every move, and laying text out and rasterizing its
    glyphs is most of Agg's work. A text seen before is drawn from its glyph images, moved by the whole pixels its
    position moved (FreeType places a glyph at its position in 1/64 pixel: the same fraction gives the same image
    at a place whole pixels away), so the picture is pixel for pixel the one Agg alone draws
    (tests/test_widget_speed.py)."""

    def __init__(self, width, height, dpi, texts: dict):
        super().__init__(width, height, dpi)
        self.texts = texts

    def _font_key(self, s, prop) -> tuple:
        return (s, hash(prop), prop.get_size_in_points(), str(prop), self.dpi,
                *(_frozen(mpl.rcParams[name]) for name in _TEXT_RC))

    def get_text_width_height_descent(self, s, prop, ismath):
        """A text's size, measured once for every renderer of the canvas (a picture widened for a long title is
        drawn by another renderer: its texts measure the same)."""
        if ismath is not False:
            return super().get_text_width_height_descent(s, prop, ismath)
        key = ("size", *self._font_key(s, prop))
        if key not in self.texts:
            self.texts[key] = super().get_text_width_height_descent(s, prop, ismath)
        return self.texts[key]

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        up = self.height - y                 # FreeType's y (upwards), as Agg places the glyphs
        x_px, up_px = math.floor(x), math.floor(up)
        key = (*self._font_key(s, prop), angle, gc.get_antialiased(), x - x_px, up - up_px,
               *((_frozen(mtext.get_fontfeatures()), _frozen(mtext.get_language())) if mtext is not None else ()))
        top = int(self.height)
        glyphs = self.texts.get(key)
        if glyphs is not None:
            # Each glyph as Agg places it: its left edge, and its bottom row counted down from the top.
            for image, left, rise, gangle in glyphs:
                self._renderer.draw_text_image(image, left + x_px, top - (rise + up_px) + image.shape[0], gangle, gc)
            return
        engine, taker = self._renderer, _GlyphTaker(self._renderer)
        self._renderer = taker
        try:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            self._renderer = engine
        if not taker.other:
            if len(self.texts) >= 8000:   # a widget moved through many views: start again
                self.texts.clear()
            # Kept relative to the whole pixels of the text's position: the glyph's left edge and its top (upwards).
            self.texts[key] = [(image, gx - x_px, top - gy + image.shape[0] - up_px, gangle)
                               for image, gx, gy, gangle in taker.glyphs]


class TextKeepingCanvas(FigureCanvasAgg):
    """An Agg canvas whose renderers are ``TextKeepingRenderer``s sharing the glyphs and the text sizes they keep. A
    widget whose title overflows draws its picture wider than its figure (``render``) and measures the figure at
    its own size on every move: the last two sizes' renderers are kept."""

    def __init__(self, figure=None):
        super().__init__(figure)
        self.texts: dict = {}
        self.renderers: dict = {}

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        size = (w, h, self.figure.dpi)
        renderer = self.renderers.pop(size, None) or TextKeepingRenderer(w, h, self.figure.dpi, self.texts)
        self.renderers[size] = renderer          # the most recently used last
        while len(self.renderers) > 2:
            self.renderers.pop(next(iter(self.renderers)))
        self.renderer = renderer
        return renderer


def own_figure(figsize, dpi=None, **subplots):
    """A figure a widget keeps for its whole life, with its axes (``Figure.subplots(**subplots)``), outside pyplot:
    no cell shows it by itself and nobody needs to close it. Each move ``wipe``s it and draws into the same axes
    (a new figure would build its axes and their ticks again: about a third of the redraw), on a canvas that keeps
    the glyphs of the texts it drew (``TextKeepingCanvas``)."""
    fig = Figure(figsize=figsize, dpi=dpi)
    TextKeepingCanvas(fig)
    return fig, fig.subplots(**subplots)


def wipe(fig) -> None:
    """Take every plotted artist off the figure's axes (lines, collections, patches, texts, images, legend), keeping
    the axes, their scales and their ticks, for the next move to draw into. Limits stay as the last move set them
    (the plots drawn into a kept figure set every limit themselves); the subplot parameters go back to a new
    figure's, so that what a plot measures before laying the figure out (its marker labels' lanes) is measured
    as on a new figure."""
    fig.subplots_adjust(**{name: plt.rcParams[f"figure.subplot.{name}"] for name in plots.SUBPLOT_PARAMS})
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images, *ax.artists, *ax.tables]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.containers.clear()


def keeps_drawings(widget) -> None:
    """What a widget that draws into its own figure keeps between moves: the PNG drawn for each combination of its
    inputs (``pictures``, for ``show_figure``'s key), its figure's layout (``layouts``, ``plots.lay_out``) and the
    figure itself with its axes (``kept_axes``, made on the first move)."""
    widget.pictures = Memo()
    widget.layouts = {}
    widget.figure = widget.axes = None


def kept_axes(widget, figsize, dpi=None, **subplots):
    """The axes of ``widget.figure``, the widget's own figure (``own_figure``, made on the first move, and again
    when a move needs another size), ``wipe``d for this move to draw into."""
    figure = getattr(widget, "figure", None)
    if figure is None or tuple(figure.get_size_inches()) != tuple(figsize):
        widget.figure, widget.axes = own_figure(figsize, dpi, **subplots)
    else:
        wipe(widget.figure)
    return widget.axes


@contextlib.contextmanager
def titles_placed():
    """Build a widget's figure inside this: the axes' titles sit at their usual place (just above the axes) without
    matplotlib's search, on every draw, for top tick labels or an offset text that would push them up (the
    widgets' axes have none: the same pixels, checked on every widget's moves), one costly step less per move."""
    with plt.rc_context({"axes.titley": 1.0}):
        yield


def figure_png(build, place_titles: bool = True) -> bytes:
    """The PNG (``render``) of the figure ``build()`` returns (``titles_placed`` unless not ``place_titles``: the
    scorecard's titles do move); the figure is closed (an open figure would be shown again by the cell; a widget's
    ``own_figure`` is not pyplot's and stays)."""
    with titles_placed() if place_titles else contextlib.nullcontext():
        fig = build()
    try:
        return render(fig)
    finally:
        plt.close(fig)


def show_figure(widget, build, place_titles: bool = True, key=None) -> None:
    """Show the figure ``build()`` returns (``figure_png``) in the widget's Output (call inside ``with widget.out``),
    kept in ``widget.png``. ``key``: every input the figure reads; a widget that drew these inputs before shows
    the picture it drew then (``widget.pictures``, a ``Memo``) instead of drawing it again."""
    if key is None:
        widget.png = figure_png(build, place_titles)
    else:
        widget.png = widget.pictures.get(key, lambda: figure_png(build, place_titles))
    display(Image(data=widget.png, format="png"))


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
        self.seed = W.IntSlider(value=seed, min=self.SEEDS[0], max=self.SEEDS[1], description="seed",
                                continuous_update=False)   # a drag runs one shift, where it stops
        self.out = W.Output()
        self.record = None
        self.png = b""
        self.memo = Memo()
        keeps_drawings(self)     # (scenario, seed) -> the PNG drawn; the timeline's layout and figure
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
            show_figure(self, lambda: plots.shift_timeline(
                self.record.trace.to_frame(), span=(shift.start, shift.end),
                title=f"{name}, seed {seed}: the shift by module", layouts=self.layouts,
                ax=kept_axes(self, (10, 3.2))), key=(name, seed))
            print("\n".join(summary_lines(self.record.trace.events)))   # the story's key events, as oncall drill prints

    def show(self):
        display(self.ui)
        return self

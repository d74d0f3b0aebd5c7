"""The detect phase's widget (M31, M32): inject a bad release, watch the storm and the error budget burn.

The injected release replaces the last good one at the chosen time and serves to the end of the shift (nobody
rolls it back here: this is about detection). Its counts are drawn honestly, minute by minute, from seeded
generators over the night the last good release would have served (``oncall.service.simulate``, unchanged):

- ``error_ratio``: each request that would have succeeded fails at the tool call with this probability;
- ``extra_latency_ms``: the model's median latency grows by this much (its lognormal spread kept), so more
  requests are slower than the latency SLO's threshold, and more time out;
- ``quality_drop``: each graded answer that would have been correct is wrong with this probability.

Then the same engine as the shift runs over the new counts: the monitors fire the storm, ``evaluate_slos`` runs
every burn-rate tier and ``first_page`` finds the page. Like every widget here it redraws in place (one Output,
cleared and redrawn) and keeps what it drew (``.service``, ``.evaluations``, ``.page``, ``.alerts``) so a
check cell can drive it from Python and assert that the data changed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import ipywidgets as W
import numpy as np
import pandas as pd
from IPython.display import Image, display

from ..causes import cause_of
from ..detect import SERVICE
from ..incident_response import alerting, budget
from ..incident_response.slo import load_slo
from ..plots import detect as plots
from ..errors import BadInput
from ..scenario import Cause, load_scenario
from ..service import simulate as sim
from ..service.catalog import load_catalog
from ..support_desk import monitors
from . import guarded, kept_axes, number, titles_placed

BURN_TIERS = ("page-1h", "page-6h")  # the widget draws the page tiers: the ones that wake someone up
FIGURE_DPI = 72  # a widget redraws on every slider move: fewer pixels to render and encode


@dataclass(frozen=True)
class Injection:
    """A bad release to inject: when it ships and how bad it is."""

    deploy_at: datetime
    error_ratio: float = 0.0
    extra_latency_ms: float = 0.0
    quality_drop: float = 0.0

    def label(self) -> str:
        """What the release does, naming only what it changes (no "-0 %")."""
        parts = [f"{100 * self.error_ratio:g} % errors"]
        if self.extra_latency_ms:
            parts.append(f"+{self.extra_latency_ms:g} ms median latency")
        if self.quality_drop:
            parts.append(f"{100 * self.quality_drop:g} points fewer correct answers")
        return f"release at {self.deploy_at:%H:%M}: " + ", ".join(parts)


def good_night(scenario, seed: int, catalog=None, latency_threshold_ms: float = 4000) -> pd.DataFrame:
    """The shift's per-minute counts had the last good release served all night (the simulator, unchanged)."""
    good = scenario.releases.last_good
    plan = sim.ServingPlan(releases={good.version: good}, changes=[(0, {good.version: 1.0})])
    return sim.totals(sim.simulate(scenario, plan, seed, latency_threshold_ms, catalog))


def inject(baseline: pd.DataFrame, scenario, seed: int, injection: Injection, catalog=None,
           latency_threshold_ms: float = 4000) -> pd.DataFrame:
    """``baseline`` (``good_night``) with the injected release serving from its deploy minute on.

    Requests and provider errors stay as they were; tool errors, timeouts, slow requests, graded and correct
    answers after the deploy are drawn again from ``rng_for(seed, "widget:...")`` streams. Integer counts.
    """
    catalog = catalog or load_catalog()
    start = max(0, sim.minute_of(scenario, injection.deploy_at))
    out = baseline.copy()
    if start >= len(out):
        return out
    after = out.iloc[start:]
    model = catalog.models[scenario.releases.last_good.model]
    slower = model.model_copy(update={"latency_median_ms": model.latency_median_ms + injection.extra_latency_ms})

    def rng(quantity: str) -> np.random.Generator:
        return sim.rng_for(seed, f"widget:{quantity}")

    n = after["requests"].to_numpy()
    ok_before = n - after["errors"].to_numpy()
    tool = after["errors_tool"].to_numpy() + rng("errors_tool").binomial(ok_before, injection.error_ratio)
    provider = after["errors_provider"].to_numpy()
    survivors = n - tool - provider
    timeout = rng("errors_timeout").binomial(survivors, slower.share_slower_than(catalog.timeout_ms))
    answered = survivors - timeout
    slow = rng("slow").binomial(answered, slower.share_slower_than(latency_threshold_ms))
    graded = rng("graded").binomial(answered, catalog.graded_ratio)
    base_graded = int(after["graded"].sum())
    p_correct = after["correct"].sum() / base_graded if base_graded else 1.0  # the good release's, these minutes
    correct = rng("correct").binomial(graded, float(p_correct) * (1.0 - injection.quality_drop))
    cols = {"errors_tool": tool, "errors_timeout": timeout, "errors": tool + provider + timeout, "slow": slow,
            "graded": graded, "correct": correct}
    for col, values in cols.items():
        out.iloc[start:, out.columns.get_loc(col)] = values.astype(out[col].dtype)
    return out


# Each slider's range: also the range its constructor argument is checked against (a slider would clamp silently).
RANGES = {"error_ratio": (0.0, 0.5), "extra_latency_ms": (0, 6000), "quality_drop": (0.0, 0.5)}


def _slider(kind, field: str, value, **kw):
    lo, hi = RANGES[field]
    return kind(value=value, min=lo, max=hi, continuous_update=False, **kw)


class BadReleaseInjector:
    """Sliders for a bad release (error ratio, extra latency, quality drop, deploy time); the storm and the burn
    chart of the page tiers re-simulate and redraw in place."""

    @guarded
    def __init__(self, scenario: str = "bad-deploy", seed: int | None = None, error_ratio: float = 0.05,
                 extra_latency_ms: float = 0.0, quality_drop: float = 0.0, deploy_at: str | None = None):
        self.scenario = load_scenario(scenario)
        self.seed = self.scenario.seed if seed is None else number(seed, "seed", 0, 10_000, integer=True)
        for field, value in (("error_ratio", error_ratio), ("extra_latency_ms", extra_latency_ms),
                             ("quality_drop", quality_drop)):
            number(value, field, *RANGES[field])
        self.catalog = load_catalog()
        self.slos = {name: load_slo(name) for name in self.scenario.slos}
        latency = self.slos.get("latency")
        self.threshold_ms = latency.threshold_ms if latency is not None and latency.threshold_ms else 4000
        self.baseline = good_night(self.scenario, self.seed, self.catalog, self.threshold_ms)
        self.history = sim.simulate_history(self.scenario, self.seed, self.threshold_ms, self.catalog)
        shift = self.scenario.shift
        # Deploy times every 10 minutes, leaving at least an hour of the shift to watch.
        times = pd.date_range(shift.start, shift.end - timedelta(hours=1), freq="10min")
        options = [(f"{t:%H:%M}", t.to_pydatetime()) for t in times]
        try:
            default = pd.Timestamp(deploy_at if deploy_at else cause_of(self.scenario).onset_at)
        except (ValueError, TypeError):
            raise BadInput("widget", "deploy_at", f"expected a UTC time like 2026-11-27T01:30Z, got {deploy_at!r}") from None
        if default.tzinfo is None:
            default = default.tz_localize("UTC")
        if not times[0] <= default <= times[-1]:
            raise BadInput("widget", "deploy_at", f"expected a time from {times[0]:%Y-%m-%d %H:%M} to "
                                                  f"{times[-1]:%H:%M} UTC (an hour of the shift left to watch), "
                                                  f"got {default:%Y-%m-%d %H:%M}")
        value = min((t for _, t in options), key=lambda t: abs(pd.Timestamp(t) - default))
        style = {"description_width": "initial"}
        self.error_ratio = _slider(W.FloatSlider, "error_ratio", error_ratio, step=0.005, readout_format=".1%",
                                   description="error ratio", style=style)
        self.extra_latency = _slider(W.IntSlider, "extra_latency_ms", int(extra_latency_ms), step=250,
                                     description="extra median latency (ms)", style=style)
        self.quality_drop = _slider(W.FloatSlider, "quality_drop", quality_drop, step=0.01, readout_format=".0%",
                                    description="quality drop", style=style)
        self.deploy_at = W.SelectionSlider(options=options, value=value, description="deploy at (UTC)",
                                           style=style, continuous_update=False)
        self.out = W.Output()
        self.service = self.evaluations = self.page = self.alerts = None
        self.figure = self.axes = None   # the widget's own figure, drawn again on every move (kept_axes)
        self.png = b""
        for w in (self.error_ratio, self.extra_latency, self.quality_drop, self.deploy_at):
            w.observe(self._redraw, names="value")
        self.ui = W.VBox([W.HBox([self.error_ratio, self.extra_latency]), W.HBox([self.quality_drop, self.deploy_at]),
                          self.out])
        self._redraw()

    @property
    def injection(self) -> Injection:
        return Injection(deploy_at=self.deploy_at.value, error_ratio=float(self.error_ratio.value),
                         extra_latency_ms=float(self.extra_latency.value), quality_drop=float(self.quality_drop.value))

    def simulate(self) -> None:
        """Re-simulate the counts under the sliders' release and run the storm and the alert engine over them."""
        inj = self.injection
        self.service = inject(self.baseline, self.scenario, self.seed, inj, self.catalog, self.threshold_ms)
        self.evaluations = alerting.evaluate_slos(self.service, self.slos, history=self.history)
        deploy_min = sim.minute_of(self.scenario, inj.deploy_at)
        self.page = alerting.first_page(self.service, self.evaluations, SERVICE, after_minute=deploy_min)
        releases = self.scenario.releases
        bad = releases.bad or releases.last_good.model_copy(update={"version": "injected"})
        moved = self.scenario.model_copy(update={"cause": Cause(), "releases": releases.model_copy(
            update={"bad": bad.model_copy(update={"deployed_at": inj.deploy_at})})})
        self.alerts = monitors.generate_alerts(self.service, moved, self.seed, truth=cause_of(moved).storm_truth(None))

    def events(self) -> pd.DataFrame:
        rows = [(self.injection.deploy_at, "release.deployed", {"release": "injected"})]
        if self.page is not None:
            rows.append((self.page.at, "page.sent", {"tier": self.page.tier}))
        return plots.events_frame(rows)

    def draw(self):
        """One figure (the widget's own, drawn again on every slider move): the storm (top), then the budget left
        and the page tiers' burn rates of the paged SLO (availability if nothing pages). Laid out by hand."""
        deploy = pd.Timestamp(self.injection.deploy_at)
        span = (deploy - timedelta(minutes=30),
                min(deploy + timedelta(minutes=150), pd.Timestamp(self.scenario.shift.end)))
        events = self.events()
        name = self.page.slo if self.page is not None else "availability"
        period_total = budget.period_events(self.scenario.traffic, self.slos[name].period_min)
        axes = kept_axes(self, (10, 8.2), FIGURE_DPI, nrows=2 + len(BURN_TIERS), ncols=1, sharex=True,
                         height_ratios=[1.4, 1.1] + [1] * len(BURN_TIERS))
        fig = self.figure
        plots.storm(self.alerts, span=span, events=events, ax=axes[0])
        axes[0].set_xlabel("")
        axes[0].title.set_fontsize(9)
        axes[0].legend(fontsize=7, loc="upper right", ncol=2, frameon=False)  # inside: the figure keeps its width
        plots.burn_chart(self.service, self.slos[name], self.evaluations[name], self.page, events, span=span,
                         period_total=period_total, tiers=BURN_TIERS, axes=axes[1:], history=self.history)
        fig.subplots_adjust(left=0.1, right=0.97, top=0.91, bottom=0.07, hspace=0.5)
        return fig

    def summary(self) -> str:
        inj = self.injection
        if self.page is None:
            return f"{inj.label()}: no page during the shift; {len(self.alerts)} alert notifications."
        minutes = (self.page.at - inj.deploy_at).total_seconds() / 60
        return (f"{inj.label()}: paged on {self.page.slo} ({self.page.tier}) at {self.page.at:%H:%M}, "
                f"{minutes:.0f} min after the deploy; {len(self.alerts)} alert notifications.")

    def _redraw(self, _change=None) -> None:
        self.simulate()
        with titles_placed():
            self.draw()
        self.png = self.render(self.figure)
        with self.out:
            self.out.clear_output(wait=True)
            display(Image(data=self.png, format="png"))
            print(self.summary())

    @staticmethod
    def render(fig) -> bytes:
        """The figure as PNG bytes: drawn once, at the figure's size (no tight bounding box: the layout is fixed),
        with light compression (a widget's image is thrown away on the next move)."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
        return buf.getvalue()

    def show(self):
        display(self.ui)
        return self

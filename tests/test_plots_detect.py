"""Tests for oncall.plots.detect (and the detect widget's injection): figures with the expected titles and lines."""
from __future__ import annotations

from datetime import timedelta

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from oncall.plots import detect as plots  # noqa: E402
from oncall.plots.mitigate import key_events  # noqa: E402


@pytest.fixture(scope="module")
def events(shift):
    return key_events(shift)


def test_storm_stacks_components_and_titles_the_deploy(shift, events):
    deploy = shift.scenario.releases.bad.deployed_at
    span = (deploy - timedelta(minutes=45), deploy + timedelta(minutes=75))
    per_minute = plots.storm_per_minute(shift.alerts, span)
    inside = shift.alerts[(shift.alerts.received_at >= span[0]) & (shift.alerts.received_at < span[1])]
    assert per_minute.to_numpy().sum() == len(inside)          # every notification in the view, once
    assert len(per_minute) == 120 and per_minute.shape[1] <= 7  # top 6 components + other
    fig = plots.storm(shift.alerts, span=span, events=events)
    ax = fig.axes[0]
    assert ax.get_title().startswith(f"The {deploy:%H:%M} deploy sets off a storm: ")
    assert "per minute" in ax.get_ylabel() and "UTC" in ax.get_xlabel()
    assert len(ax.collections) == per_minute.shape[1]          # one stacked layer per column
    plots.close(fig)


def test_funnel_counts_follow_the_pipeline(shift):
    counts = plots.funnel_counts(shift.correlation, shift.metrics["baseline_incidents_opened"])
    values = counts["count"].tolist()
    assert values[0] == shift.metrics["alerts_total"]
    assert values[0] >= values[1] >= values[2] >= values[4]
    assert values[4] == shift.metrics["incidents_opened"] and values[5] == shift.metrics["baseline_incidents_opened"]
    fig = plots.funnel(counts)
    title = fig.axes[0].get_title()
    assert title.startswith(f"{values[0]} alert notifications become {values[4]} incidents")
    assert f"{shift.metrics['noise_reduction_pct']:.1f} % less noise" in title
    assert len(fig.axes[0].patches) == len(counts)
    plots.close(fig)


def test_burn_chart_title_says_when_the_page_fires(shift, events):
    slo = shift.slos["availability"]
    ev = shift.evaluations["availability"]
    fig = plots.burn_chart(shift.service, slo, ev, shift.page, events)
    assert fig._suptitle.get_text() == f"The 1 h burn rate crosses 14.4 at {shift.page.at:%H:%M} " \
                                       f"(the 5 min one is at {shift.page.short_burn:.0f}): page"
    assert len(fig.axes) == 1 + len(ev.tiers)
    for ax, tier in zip(fig.axes[1:], ev.tiers):
        dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"
                  and np.allclose(line.get_ydata(), ev.thresholds[tier.name])]
        assert dashed, f"{tier.name}: its threshold as a dashed line"
        assert ax.get_yscale() == "log"
    budget = fig.axes[0]
    left = budget.get_lines()[0].get_ydata()
    assert left[0] <= 100 and np.all(np.diff(left) <= 1e-12)   # no history: a clean month, only going down
    plots.close(fig)


def test_burn_chart_shows_the_budget_left_in_the_30_day_window(shift, events):
    """The top panel is the window the ship phase reads: at the canary it is the scorecard's figure, and its note
    names the figure in the course's words."""
    from oncall.incident_response import budget
    from oncall.service.simulate import minute_of

    slo, sc = shift.slos["availability"], shift.scenario
    period_total = budget.period_events(sc.traffic, slo.period_min)
    fig = plots.burn_chart(shift.service, slo, shift.evaluations["availability"], shift.page, events,
                           history=shift.history, period_total=period_total)
    line = fig.axes[0].get_lines()[0]
    x, left = line.get_xdata(), line.get_ydata()
    canary = minute_of(sc, sc.canary_at)
    assert pd.Timestamp(x[canary], tz="UTC") == sc.shift.start + timedelta(minutes=canary)   # plotted as naive UTC
    assert abs(left[canary] - shift.metrics["budget_remaining_pct_at_canary"]) < 0.006
    notes = [t.get_text().replace("\n", " ") for t in fig.axes[0].texts if "30-day window" in t.get_text()]
    assert notes == [budget.left_words(left[-1], sc.shift.end, "availability")]
    plots.close(fig)


def test_burn_title_without_a_page(shift):
    title = plots.burn_title(shift.evaluations["availability"], None)
    assert title.startswith("No page:") and "14.4 (1 h)" in title and "6 (6 h)" in title


def test_budget_left_goes_below_zero_when_overspent(shift):
    slo = shift.slos["availability"]
    left = plots.budget_left_pct(shift.service, slo, period_total=1000.0)
    assert left.iloc[-1] < 0 and left.index[0] == shift.service.index[0] and left.iloc[0] == 100


def test_injected_release_changes_only_minutes_after_its_deploy(shift):
    from oncall.widgets.detect import Injection, good_night, inject

    sc = shift.scenario
    base = good_night(sc, shift.seed, shift.catalog)
    at = sc.shift.start + timedelta(hours=4)
    got = inject(base, sc, shift.seed, Injection(at, error_ratio=0.1, extra_latency_ms=2000, quality_drop=0.2))
    cut = 240
    assert got.iloc[:cut].equals(base.iloc[:cut])
    after, was = got.iloc[cut:], base.iloc[cut:]
    assert (after.requests == was.requests).all()
    assert (after.errors == after.errors_tool + after.errors_provider + after.errors_timeout).all()
    assert 0.08 < after.errors.sum() / after.requests.sum() < 0.12
    assert after.slow.sum() > 3 * was.slow.sum()
    assert after.correct.sum() / after.graded.sum() < 0.85 * was.correct.sum() / was.graded.sum()
    same = inject(base, sc, shift.seed, Injection(at, error_ratio=0.1, extra_latency_ms=2000, quality_drop=0.2))
    assert same.equals(got)  # seeded: the same sliders give the same counts


def test_widget_redraws_in_place_and_keeps_its_data():
    from oncall.widgets.detect import BadReleaseInjector

    w = BadReleaseInjector("bad-deploy", seed=7, error_ratio=0.05)
    first_errors, first_png = w.service.errors.sum(), w.png
    assert w.page is not None and w.png.startswith(b"\x89PNG")
    w.error_ratio.value = 0.2
    assert w.service.errors.sum() > first_errors and w.png != first_png
    assert w.page.at < w.injection.deploy_at + timedelta(minutes=10)

"""Plots for the detect phase (M32, M31): the alert storm, the funnel from alerts to incidents, and the error
budget burning with each alert tier's burn rates against its threshold.

Every figure reads plain data (the alert frame, the correlation, an SLO's evaluation and counts), so the notebook
and the widget draw the shift and an injected release the same way. Titles are computed from that data; colours
are Okabe-Ito; event markers are ``event_markers``' (deploy, page, ack, rollback, ...).
"""
from __future__ import annotations

from datetime import timedelta

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ..incident_response import budget
from . import MARKERS, event_markers, utc_naive

# Okabe-Ito, without black (the "degraded" marker) and with grey for everything outside the top components.
LAYER_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER_COLOUR = "#999999"
SERVICE = "support-assistant"
LONG_COLOUR, SHORT_COLOUR, FIRES_COLOUR = "#0072B2", "#E69F00", "#D55E00"
BURN_FLOOR = 0.1  # burn rates are drawn on a log scale; a window with no errors (burn 0) sits on this floor


# --- what the plots read off the data -----------------------------------------------------------------------------

def _layer_name(service: str, component: str) -> str:
    if service == SERVICE:
        return component or "service level (SLO burn)"
    return f"{service} ({component})" if component else service


def storm_per_minute(alerts: pd.DataFrame, span=None, top: int = 6) -> pd.DataFrame:
    """Alert notifications received per minute (webhook rows, re-sends included), one column per component.

    Components of the paged service keep their names; another team's service is named with its component. The
    ``top`` busiest keep a column, the rest are summed into ``other``. The index is every minute of ``span``
    (default: the first to the last notification), so quiet minutes are 0.
    """
    if span is not None:
        alerts = alerts[(alerts["received_at"] >= span[0]) & (alerts["received_at"] < span[1])]
    minute = alerts["received_at"].dt.floor("min")
    layer = [_layer_name(s, c) for s, c in zip(alerts["service"], alerts["component"])]
    counts = pd.crosstab(minute, pd.Series(layer, index=alerts.index, name="component"))
    order = counts.sum().sort_values(ascending=False, kind="stable").index
    keep = list(order[:top])
    shown = counts[keep].copy()
    rest = [c for c in order if c not in keep]
    if rest:
        shown["other"] = counts[rest].sum(axis=1)
    start, end = span if span is not None else (minute.min(), minute.max() + timedelta(minutes=1))
    index = pd.date_range(pd.Timestamp(start).floor("min"), pd.Timestamp(end).floor("min") - timedelta(minutes=1),
                          freq="min")
    return shown.reindex(index, fill_value=0)


def storm_title(alerts: pd.DataFrame, deploy=None, window_min: int = 30) -> str:
    """What the storm plot shows: how many notifications in the ``window_min`` after the deploy, and the peak."""
    per_minute = alerts.groupby(alerts["received_at"].dt.floor("min")).size()
    if deploy is None:
        at = per_minute.idxmax()
        return (f"{len(alerts)} alert notifications over the shift, up to {per_minute.max()} a minute "
                f"(at {at:%H:%M})")
    deploy = pd.Timestamp(deploy)
    after = per_minute[(per_minute.index >= deploy) & (per_minute.index < deploy + timedelta(minutes=window_min))]
    before = per_minute[(per_minute.index < deploy) & (per_minute.index >= deploy - timedelta(minutes=window_min))]
    if after.empty:
        return f"No alert fires in the {window_min} min after the {deploy:%H:%M} deploy"
    return (f"The {deploy:%H:%M} deploy sets off a storm: {after.sum()} alert notifications in {window_min} min, "
            f"up to {after.max()} a minute ({before.sum()} in the {window_min} min before)")


def funnel_counts(correlation, baseline_incidents: int | None = None) -> pd.DataFrame:
    """Alertmanager's pipeline as a funnel: how many are left after each step, from the correlation's own counts.

    Stages: alert notifications received (webhook rows), after dedup, after inhibition and silences, the group
    notifications Alertmanager sends, and the incidents the correlator opens (what reaches a person). With
    ``baseline_incidents``, a last row for the naive baseline (one incident per alert name).
    """
    reasons = correlation.assignment.value_counts()
    n = int(correlation.alerts_in)
    dedup = n - int(reasons.get("duplicate", 0))
    muted = dedup - int(reasons.get("inhibited", 0)) - int(reasons.get("silenced", 0))
    rows = [("alert notifications received", n), ("after dedup", dedup), ("after inhibition and silences", muted),
            ("Alertmanager group notifications", len(correlation.notifications)),
            ("incidents opened (what pages a person)", len(correlation.incidents))]
    if baseline_incidents is not None:
        rows.append(("naive: one incident per alert name", int(baseline_incidents)))
    return pd.DataFrame(rows, columns=["stage", "count"])


def funnel_title(counts: pd.DataFrame) -> str:
    by = dict(zip(counts["stage"], counts["count"]))
    n, incidents = by["alert notifications received"], by["incidents opened (what pages a person)"]
    reduction = 100 * (1 - incidents / n) if n else 0.0
    naive = by.get("naive: one incident per alert name")
    tail = f"; one incident per alert name: {naive}" if naive is not None else ""
    return f"{n} alert notifications become {incidents} incidents ({reduction:.1f} % less noise){tail}"


def budget_left_pct(service: pd.DataFrame, slo, period_total: float | None = None,
                    history: pd.DataFrame | None = None) -> pd.Series:
    """The error budget left in the 30-day window (% of the SLO period's budget) as each minute of ``service``
    ends: ``budget.window_left_curve``, the simulated ``history`` before the shift and the shift so far, the rest
    of the window estimated at the history's error ratio (with no history, a clean month before the shift).

    Indexed by the end of each minute, from the shift's start. ``period_total``: the events expected over the SLO
    period (default: the mean events per minute of ``service`` x the period); below 0 the budget is overspent.
    """
    bad, total = slo.bad_and_total(service)
    if period_total is None:
        period_total = float(total.mean()) * slo.period_min
    hist_bad, hist_total = slo.bad_and_total(history) if history is not None else (bad[:0], total[:0])
    left = budget.window_left_curve(hist_bad, hist_total, bad, period_total / slo.period_min, slo.budget_ratio,
                                    slo.period_min)
    index = service.index.append(pd.DatetimeIndex([service.index[-1] + timedelta(minutes=1)])) if len(service) \
        else service.index
    return pd.Series(left, index=index, name="budget_left_in_window_pct")


def _window(minutes: int) -> str:
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size} {unit}"
    return f"{minutes} min"


def burn_title(evaluation, page=None, slo_name: str = "availability") -> str:
    """'The 1 h burn rate crosses 14.4 at 01:37: page', from the first page (None: what did not fire)."""
    if page is None:
        pages = [t for t in evaluation.tiers if t.severity == "page"]
        limits = " and ".join(f"{evaluation.thresholds[t.name]:g} ({_window(t.long_window_min)})" for t in pages)
        return f"No page: the {slo_name} burn rates stay below {limits} on both windows"
    tier = next(t for t in evaluation.tiers if t.name == page.tier)
    return (f"The {_window(tier.long_window_min)} burn rate crosses {evaluation.thresholds[tier.name]:g} at "
            f"{page.at:%H:%M} (the {_window(tier.short_window_min)} one is at {page.short_burn:.0f}): page")


# --- drawing ------------------------------------------------------------------------------------------------------

def _time_axis(ax, span) -> None:
    ax.set_xlim(*span)
    hours = (pd.Timestamp(span[1]) - pd.Timestamp(span[0])) / pd.Timedelta(hours=1)
    if hours <= 5:
        ax.xaxis.set_major_locator(mdates.MinuteLocator(byminute=[0, 30], tz="UTC"))
    else:
        ax.xaxis.set_major_locator(mdates.HourLocator(tz="UTC"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))


def _markers(ax, events: pd.DataFrame | None, labels: bool) -> None:
    if events is None or events.empty:
        return
    if labels:
        event_markers(ax, events)
        return
    for _, row in events[events["kind"].isin(list(MARKERS))].iterrows():
        ax.axvline(row["t"], color=MARKERS[row["kind"]], linestyle="--", linewidth=1)


def storm(alerts: pd.DataFrame, span=None, events: pd.DataFrame | None = None, top: int = 6,
          title: str | None = None, ax=None):
    """Alert notifications per minute, stacked by component, with the deploy/page/rollback markers.

    ``span`` (start, end) limits the view (default: the first to the last notification); the legend counts
    the notifications of each component inside it.
    """
    own = ax is None
    fig, ax = plt.subplots(figsize=(10, 3.6)) if own else (ax.figure, ax)
    per_minute = storm_per_minute(alerts, span, top)
    x = per_minute.index
    base = np.zeros(len(per_minute))
    colours = list(LAYER_COLOURS)
    for i, name in enumerate(per_minute.columns):
        values = per_minute[name].to_numpy()
        colour = OTHER_COLOUR if name == "other" else colours[i % len(colours)]
        ax.fill_between(utc_naive(x), base, base + values, step="post", color=colour, linewidth=0,
                        label=f"{name or 'no component'} ({int(values.sum())})")
        base = base + values
    ax.set_ylim(0, max(1.0, float(base.max())) * 1.15)
    ax.set_ylabel("alert notifications\nper minute")
    ax.set_xlabel("simulated time (UTC)")
    _time_axis(ax, (x[0], x[-1] + timedelta(minutes=1)))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(title="component (notifications)", fontsize=8, title_fontsize=8, loc="upper left", frameon=False,
              bbox_to_anchor=(1.005, 1.0))
    deploy = _first(events, "release.deployed")
    shown = alerts if span is None else alerts[(alerts["received_at"] >= span[0]) & (alerts["received_at"] < span[1])]
    ax.set_title(title or storm_title(shown, deploy), fontsize=10.5)
    if own:
        fig.tight_layout()
    _markers(ax, events, labels=True)      # labels last: placed on the final axes (place_marker_labels)
    return fig


def _first(events: pd.DataFrame | None, kind: str):
    if events is None or events.empty:
        return None
    rows = events[events["kind"] == kind]
    return rows["t"].iloc[-1] if len(rows) else None  # the last deploy: the one that broke things


def funnel(counts: pd.DataFrame, title: str | None = None, ax=None):
    """The funnel from alert notifications to incidents as horizontal bars, each labelled with its count; the naive
    baseline (if in ``counts``) hatched below it."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(10, 3.4))
    y = np.arange(len(counts))[::-1]
    naive = counts["stage"].str.startswith("naive")
    colours = np.where(naive, "white", "#0072B2")
    colours[len(counts) - 1 - (1 if naive.any() else 0)] = "#D55E00"  # the incidents: what a person sees
    bars = ax.barh(y, counts["count"], color=colours, edgecolor="#0072B2",
                   hatch=None, linewidth=1)
    for bar, is_naive in zip(bars, naive):
        if is_naive:
            bar.set_hatch("//")
            bar.set_edgecolor("0.35")
    top = float(counts["count"].max())
    for yi, value in zip(y, counts["count"]):
        ax.annotate(f"{value}", (value, yi), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, counts["stage"], fontsize=9)
    ax.set_xlim(0, top * 1.1)
    ax.set_xlabel("count over the shift")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or funnel_title(counts), fontsize=10.5)
    fig.tight_layout()
    return fig


def _tier_panel(ax, evaluation, tier, x, span, events) -> None:
    frame = evaluation.frame
    x = utc_naive(x)
    threshold = evaluation.thresholds[tier.name]
    long_burn = np.maximum(frame[f"{tier.name}.long_burn"].to_numpy(), BURN_FLOOR)
    short_burn = np.maximum(frame[f"{tier.name}.short_burn"].to_numpy(), BURN_FLOOR)
    fires = frame[f"{tier.name}.fires"].to_numpy()
    ax.plot(x, short_burn, color=SHORT_COLOUR, linewidth=0.9, label=f"{_window(tier.short_window_min)} window")
    ax.plot(x, long_burn, color=LONG_COLOUR, linewidth=1.8, label=f"{_window(tier.long_window_min)} window")
    ax.axhline(threshold, color="0.25", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    peak = max(float(short_burn.max()), float(long_burn.max()), threshold)
    ax.set_ylim(BURN_FLOOR * 0.8, peak * 4)
    if fires.any():
        ax.fill_between(x, 0, 1, where=fires, step="post", transform=ax.get_xaxis_transform(), color=FIRES_COLOUR,
                        alpha=0.12, linewidth=0)
    ax.annotate(f"threshold {threshold:g}x", (1.0, threshold), xycoords=("axes fraction", "data"),
                xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom", fontsize=8, color="0.25")
    state = "fires (shaded)" if fires.any() else "never fires"
    ax.set_title(f"{tier.severity} tier {_window(tier.long_window_min)} / {_window(tier.short_window_min)}: "
                 f"{state}", fontsize=9, loc="left")
    ax.set_ylabel("burn rate\n(x, log scale)", fontsize=9)
    ax.yaxis.set_major_locator(mticker.LogLocator(base=10, numticks=8))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_locator(mticker.NullLocator())
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=2)
    _markers(ax, events, labels=False)


def burn_chart(service: pd.DataFrame, slo, evaluation, page=None, events: pd.DataFrame | None = None,
               span=None, period_total: float | None = None, tiers=None, title: str | None = None, axes=None,
               history: pd.DataFrame | None = None):
    """The error budget burn of one SLO: the budget left in the 30-day window (``budget_left_pct`` over the
    simulated ``history`` and the shift; top), then each alert tier's burn rate
    over its long and its short window against its dashed threshold, shaded where the tier fires; markers for
    the deploy, the page and what follows.

    ``evaluation`` is that SLO's ``burn.Evaluation`` over ``service``'s minutes (``alerting.evaluate_slos``);
    ``page`` the ``alerting.Page`` (or None); ``tiers`` the names to draw (default: all). ``axes``: draw into
    these (one for the budget, one per tier, sharing x) and leave the layout to the caller (a widget).
    """
    tiers = [t for t in evaluation.tiers if tiers is None or t.name in tiers]
    own = axes is None
    if own:
        fig, axes = plt.subplots(1 + len(tiers), 1, figsize=(10, 2.6 + 1.55 * len(tiers)), sharex=True,
                                 height_ratios=[1.8] + [1] * len(tiers))
    else:
        fig = axes[0].figure
    x = service.index + timedelta(minutes=1)  # a sample is known at the end of its minute
    span = span or (service.index[0], x[-1])
    left = budget_left_pct(service, slo, period_total, history)
    top = axes[0]
    top.plot(utc_naive(left.index), left.values, color="#009E73", linewidth=2)
    shown = left[(left.index >= span[0]) & (left.index <= span[1])]
    shown = shown if len(shown) else left
    low, high = float(shown.min()), float(shown.max())
    pad = max((high - low) * 0.3, 0.3)
    top.set_ylim(low - pad, high + 1.2 * (high - low + pad))     # room above the line for the marker labels
    end, now = shown.index[-1], float(shown.iat[-1])
    if low < 0:
        top.axhline(0, color="0.25", linestyle="--", linewidth=1)
        gone = left[left < 0].index[0]
        note = f"the {slo.name} error budget {budget.LEFT_NAME} is gone at {gone:%H:%M}"
    else:
        note = budget.left_words(now, end, slo.name).replace(" left in", "\nleft in")   # two short lines
    top.annotate(note, (0.005, 0.95), xycoords="axes fraction", ha="left", va="top", fontsize=9, color="#009E73",
                 fontweight="bold")
    top.set_ylabel(budget.LEFT_AXIS, fontsize=9)
    top.grid(axis="y", alpha=0.3)
    for ax, tier in zip(axes[1:], tiers):
        _tier_panel(ax, evaluation, tier, x, span, events)
    _time_axis(axes[-1], span)
    axes[-1].set_xlabel("simulated time (UTC)")
    fig.suptitle(title or burn_title(evaluation, page, slo.name), fontsize=11)
    if own:
        fig.tight_layout()
    _markers(top, events, labels=True)     # labels last: placed on the final axes (place_marker_labels)
    return fig


def events_frame(rows: list[tuple]) -> pd.DataFrame:
    """Marker events as ``event_markers`` reads them, from (time, kind, refs) tuples (e.g. an injected deploy)."""
    return pd.DataFrame([{"t": pd.Timestamp(t), "kind": k, "refs": dict(r)} for t, k, r in rows],
                        columns=["t", "kind", "refs"])


def close(fig) -> None:
    plt.close(fig)


__all__ = ["storm", "storm_per_minute", "storm_title", "funnel", "funnel_counts", "funnel_title", "burn_chart",
           "burn_title", "budget_left_pct", "events_frame"]

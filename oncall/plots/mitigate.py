"""Plots for the mitigate phase (M31 -> M33): the SLIs before and after the rollback, and the error budget it saved.

Every figure reads a finished shift record (``run_shift``); titles are computed from its counts and its trace.
Markers use ``event_markers``' colours and labels (deploy, page, ack, rollback, recovered), plus two this phase adds:
a kill switch turned off and an escalation.
"""
from __future__ import annotations

import math
from datetime import timedelta

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..causes import CAUSE_EVENTS, M33_ACTIONS, action_title_word
from ..incident_response import budget
from ..service import simulate as sim
from ..incident_response.slis import window_bad_ratio
from . import _LABELS, MARKERS, lay_out, place_marker_labels, utc_naive

SLI_WINDOW_MIN = 5   # the SLI is read over 5-minute windows (the fastest burn tier's short window)
# (SLO, what is bad, y label, window in minutes) for the three panels. Errors use the 5-minute window the burn
# alerts read; about 15 answers a minute are graded at night, so over 5 minutes one wrong answer moves the quality
# ratio by 1.3 points and it crosses its 5 % line by chance: latency and quality are shown over 30 minutes.
PANELS = (("availability", "errors", "errors\n(% of requests)", SLI_WINDOW_MIN),
          ("latency", "slow requests (over the latency threshold)", "slow\n(% of requests)", 30),
          ("quality", "wrong answers", "wrong\n(% of graded)", 30))
# The two markers this phase adds to event_markers' set: the two Okabe-Ito colours it leaves free.
EXTRA_MARKERS = {"flag.changed": ("flag off", "#CC79A7", "--"), "page.escalated": ("escalated", "#CC79A7", ":")}
WITH_COLOUR, WITHOUT_COLOUR = "#0072B2", "#D55E00"


# --- what the plots read off the record ---------------------------------------------------------------------------

def sli_bad_pct(service: pd.DataFrame, slos: dict, window_min: int = SLI_WINDOW_MIN) -> pd.DataFrame:
    """Bad events as % of all events of each SLO over the trailing ``window_min`` minutes, one row per minute,
    indexed by the end of the window (when the value is known)."""
    cols = {}
    for name, slo in slos.items():
        bad, total = slo.bad_and_total(service)
        cols[name] = 100 * window_bad_ratio(bad, total, window_min)
    return pd.DataFrame(cols, index=service.index + timedelta(minutes=1))


def key_events(record) -> pd.DataFrame:
    """The trace events worth a marker: the bad deploy, the first page, the acknowledgement, the rollback (or flag,
    or escalation) and the page's SLI recovering."""
    bad = record.scenario.releases.bad.version if record.scenario.releases.bad is not None else None
    slo = record.page.slo if record.page is not None else None
    frame = record.trace.to_frame()
    keep = ((frame.kind == "release.deployed") & frame.refs.map(lambda r: r.get("release") == bad)) \
        | frame.kind.isin(["incident.acknowledged", *CAUSE_EVENTS, *M33_ACTIONS,
                           *EXTRA_MARKERS]) \
        | ((frame.kind == "sli.recovered") & frame.refs.map(lambda r: r.get("slo") == slo))
    first_page = frame[frame.kind == "page.sent"].head(1)
    out = pd.concat([frame[keep], first_page]).sort_values("seq")
    return out.drop_duplicates("kind", keep="first")


def mitigated_at(record):
    """When the paged incident was mitigated (None if never)."""
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    return inc.time_of("mitigated") if inc is not None else None


def error_pct(service: pd.DataFrame, start, end) -> float:
    """Errors as % of requests over the minutes [start, end)."""
    part = service[(service.index >= start) & (service.index < end)]
    return 100 * part.errors.sum() / max(int(part.requests.sum()), 1)


def budget_curve(record, slo_name: str | None = None) -> pd.Series:
    """The error budget spent by the incident (% of the 30-day budget), from the cause's onset to the end of the
    shift: ``budget.incident_spent_curve`` until the incident resolved, flat after it (the incident is over; what
    the service does later is not its spend). It never goes down, and its value from the resolution minute on is
    the scorecard's ``budget_consumed_pct``.
    """
    sc = record.scenario
    slo_name = slo_name or (record.page.slo if record.page is not None else "availability")
    slo = record.slos[slo_name]
    bad, total = slo.bad_and_total(record.service)
    start = sim.minute_of(sc, record.cause.onset_at)
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    resolved = inc.time_of("resolved") if inc is not None else None
    # The resolution's minute as the mitigate phase counts it (oncall.mitigate.measure_budget): the first whole one.
    stop = len(record.service) if resolved is None else math.ceil((resolved - sc.shift.start).total_seconds() / 60)
    spent = budget.incident_spent_curve(bad, total, start, stop, slo.budget_ratio,
                                        budget.period_events(sc.traffic, slo.period_min))
    values = np.concatenate([[0.0], spent, np.full(len(record.service) - max(stop, start), spent[-1] if len(spent) else 0.0)])
    index = pd.DatetimeIndex([sc.shift.start + timedelta(minutes=m) for m in range(start, len(record.service) + 1)])
    return pd.Series(values, index=index, name="budget_spent_by_incident_pct")


def spent_by_resolution(record, curve: pd.Series | None = None) -> tuple[float, object]:
    """(% of the budget spent, when): at resolution if the incident resolved, else at the end of the shift."""
    curve = budget_curve(record) if curve is None else curve
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    resolved = inc.time_of("resolved") if inc is not None else None
    at = curve.index[-1] if resolved is None else curve.index[curve.index.get_indexer([resolved], method="bfill")[0]]
    return float(curve.loc[at]), at


def _action_word(record) -> str:
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    if inc is not None and any(a.get("step") == "roll-forward" for a in inc.actions):
        return "roll-forward"   # the fix shipped hours later ended the impact (oncall/mitigate.py roll_forward)
    kinds = {e.kind: e for e in record.trace.events if e.refs.get("incident") == record.paged_incident}
    return action_title_word(kinds)


def recovery_title(record) -> str:
    """What the SLI plot shows, in numbers from the record's counts."""
    sc, service = record.scenario, record.service
    deploy = record.cause.onset_at
    before = error_pct(service, deploy - timedelta(minutes=60), deploy)
    mitigated = mitigated_at(record)
    if mitigated is None:
        during = error_pct(service, deploy, sc.shift.end)
        return (f"Errors jump from {before:.2f} % to {during:.1f} % at the {deploy:%H:%M} deploy and stay there: "
                f"nothing was rolled back before {sc.shift.end:%H:%M}")
    during = error_pct(service, deploy, mitigated)
    after = error_pct(service, mitigated, mitigated + timedelta(minutes=60))
    return (f"Errors jump from {before:.2f} % to {during:.1f} % at the {deploy:%H:%M} deploy; "
            f"the {mitigated:%H:%M} {_action_word(record)} brings them back to {after:.2f} %")


def budget_title(with_record, without_record, with_curve=None, without_curve=None) -> str:
    spent, _ = spent_by_resolution(with_record, with_curve)
    never, at = spent_by_resolution(without_record, without_curve)
    mitigated = mitigated_at(with_record)
    forward = roll_forward_at(with_record)
    if mitigated is None or forward is not None:
        # The on-call never mitigated: the curve is the one without mitigation; do not compare it with itself.
        ended = (f"the fix's roll-forward at {forward:%H:%M} ended the incident" if forward is not None else
                 f"still burning at {with_record.scenario.shift.end:%H:%M}")
        return f"Never mitigated by the on-call: {budget.spent_words(spent)} ({ended})"
    act = f"The {mitigated:%H:%M} {_action_word(with_record)}"
    return (f"{act} holds the error budget {budget.SPENT_NAME} to {spent:.2f} % of 30 days; "
            f"without it, {never:.2f} % ({never / max(spent, 1e-9):.0f}x)")


def roll_forward_at(record):
    """When the shipped fix's roll-forward ended the incident (None if it did not)."""
    inc = record.incidents.get(record.paged_incident) if record.paged_incident else None
    steps = [a["t"] for a in (inc.actions if inc is not None else []) if a.get("step") == "roll-forward"]
    return steps[0] if steps else None


def without_label(without_record) -> str:
    """The no-mitigation curve's legend entry, saying why it flattens: the fix's canary promoted it to 100 % (a
    roll-forward) and that ended the incident; or it never does within the shift."""
    forward = roll_forward_at(without_record)
    if forward is not None:
        return f"without mitigation (flat once the fix's canary takes 100 % at {forward:%H:%M}: a roll-forward)"
    end = without_record.scenario.shift.end
    return f"without mitigation (still burning at {end:%H:%M})"


# --- drawing ------------------------------------------------------------------------------------------------------

def _default_span(record):
    sc = record.scenario
    deploy = record.cause.onset_at
    ends = [e.t for e in record.trace.events if e.kind in ("sli.recovered", "incident.resolved")
            and e.t >= deploy and e.refs.get("incident") in (None, record.paged_incident)]
    end = max(ends) + timedelta(minutes=45) if ends else sc.shift.end
    return deploy - timedelta(minutes=45), min(end, sc.shift.end)


def _markers(ax, events: pd.DataFrame, labels: bool) -> None:
    """event_markers' lines, colours and labels (labels on the top panel only, placed by ``place_marker_labels``
    so none overlaps another), plus the flag and escalation markers. Call after the axes' limits are set."""
    items = []
    for _, row in events.sort_values("t").iterrows():
        if row["kind"] in MARKERS:
            label, colour, style = _LABELS[row["kind"]], MARKERS[row["kind"]], "--"
            if row["kind"] == "release.deployed":
                label = f"{label} {row['refs'].get('release', '')}"
        elif row["kind"] in EXTRA_MARKERS:
            label, colour, style = EXTRA_MARKERS[row["kind"]]
        else:
            continue
        ax.axvline(row["t"], color=colour, linestyle=style, linewidth=1.5 if row["kind"] in EXTRA_MARKERS else 1)
        items.append((row["t"], label, colour))
    if labels:
        place_marker_labels(ax, items)


def _time_axis(ax, span) -> None:
    ax.set_xlim(*span)
    ax.xaxis.set_major_locator(mdates.MinuteLocator(byminute=[0, 30], tz="UTC"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
    ax.grid(axis="y", alpha=0.3)


def _sli_panel(ax, record, name: str, what: str, ylabel: str, window_min: int, span, events, labels: bool) -> None:
    slo = record.slos[name]
    ratio = sli_bad_pct(record.service, {name: slo}, window_min)[name]
    shown = ratio[(ratio.index >= span[0]) & (ratio.index <= span[1])]
    allowed = 100 * slo.budget_ratio
    ax.plot(utc_naive(shown.index), shown.values, color="#0072B2", linewidth=1.4)
    ax.axhline(allowed, color="0.35", linestyle="--", linewidth=1)
    peak = float(shown.max()) if len(shown) else 0.0
    # Room above the data for the marker labels (top panel), and the objective line always in view.
    ax.set_ylim(0, max(allowed * 2.2, peak * (1.45 if labels else 1.15)))
    ax.annotate(f"objective allows {allowed:.2f} %", (span[1], allowed), xytext=(-4, 3), textcoords="offset points",
                ha="right", va="bottom", fontsize=8, color="0.25")
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_title(f"{name}: {what}, over the last {window_min} min", fontsize=9, loc="left")
    _time_axis(ax, span)
    _markers(ax, events, labels)


def sli_recovery(record, span=None, title: str | None = None, slos=None):
    """Error ratio, share of slow requests and share of wrong answers (each over 5-minute windows) before and after
    the mitigation, each against its objective, with markers for the deploy, page, ack, rollback and recovery."""
    span = span or _default_span(record)
    panels = [p for p in PANELS if p[0] in record.slos and (slos is None or p[0] in slos)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 2.3 * len(panels) + 0.8), sharex=True, squeeze=False)
    events = key_events(record)
    for i, (ax, (name, what, ylabel, window_min)) in enumerate(zip(axes[:, 0], panels)):
        _sli_panel(ax, record, name, what, ylabel, window_min, span, events, labels=i == 0)
    axes[-1, 0].set_xlabel("simulated time (UTC)")
    fig.suptitle(title or recovery_title(record), fontsize=11)
    fig.tight_layout()
    return fig


def _budget_panel(ax, with_record, without_record, with_label: str, span=None) -> tuple[pd.Series, pd.Series]:
    with_curve, without_curve = budget_curve(with_record), budget_curve(without_record)
    limit = with_record.scenario.budget_limit_pct
    ax.step(utc_naive(without_curve.index), without_curve.values, where="pre", color=WITHOUT_COLOUR, linewidth=1.6,
            label=without_label(without_record))
    ax.step(utc_naive(with_curve.index), with_curve.values, where="pre", color=WITH_COLOUR, linewidth=2, label=with_label)
    ax.axhline(limit, color="0.35", linestyle="--", linewidth=1)
    for record, curve, colour in ((with_record, with_curve, WITH_COLOUR),
                                  (without_record, without_curve, WITHOUT_COLOUR)):
        spent, at = spent_by_resolution(record, curve)
        if span is not None and not span[0] <= at <= span[1]:
            at = min(max(at, span[0]), span[1])
            spent = float(curve[curve.index <= at].iloc[-1])
        ax.plot([at], [spent], "o", color=colour, markersize=5)
        right_edge = span is not None and at >= span[1] or at >= curve.index[-1]
        ax.annotate(f"{spent:.2f} %", (at, spent), xytext=(-6, 8) if right_edge else (12, 22),
                    textcoords="offset points", ha="right" if right_edge else "left", fontsize=9, color=colour,
                    fontweight="bold", arrowprops=None if right_edge else {"arrowstyle": "-", "color": colour})
    visible = [c if span is None else c[(c.index >= span[0]) & (c.index <= span[1])]
               for c in (with_curve, without_curve)]
    top = max([limit] + [float(c.max()) for c in visible if len(c)]) * 1.25
    ax.set_ylim(0, top)
    ax.annotate(f"limit for this incident: {limit:g} %", (0.005, limit), xycoords=("axes fraction", "data"),
                xytext=(0, 3), textcoords="offset points", fontsize=8, color="0.25")
    ax.set_ylabel(budget.SPENT_AXIS, fontsize=9)
    ax.legend(loc="upper center", fontsize=8, frameon=False)
    return with_curve, without_curve


def budget_spent(with_record, without_record, span=None, title: str | None = None):
    """The error budget the incident spends, with the on-call's mitigation and without any (``mitigate=False``),
    against the scenario's limit."""
    fig, ax = plt.subplots(figsize=(10, 3.6))
    mitigated = mitigated_at(with_record)
    label = (f"with the {_action_word(with_record)} at {mitigated:%H:%M}" if mitigated else
             "with the on-call's choice (never mitigated)")
    with_curve, without_curve = _budget_panel(ax, with_record, without_record, label, span)
    span = span or (with_curve.index[0] - timedelta(minutes=30), with_curve.index[-1])
    _time_axis(ax, span)
    ax.xaxis.set_major_locator(mdates.HourLocator(tz="UTC"))
    # Hours wide: the page and the ack would overlap the deploy's label, so only what changed the serving release.
    events = key_events(with_record)
    _markers(ax, events[events.kind.isin(["release.deployed", "release.rolled_back", *EXTRA_MARKERS])], labels=True)
    ax.set_xlabel("simulated time (UTC)")
    ax.set_title(title or budget_title(with_record, without_record, with_curve, without_curve), fontsize=11)
    fig.tight_layout()
    return fig


def outcome_title(record, choice_label: str) -> str:
    sc = record.scenario
    mitigated = mitigated_at(record)
    spent, _ = spent_by_resolution(record)
    if mitigated is None:
        return f"{choice_label}: never mitigated by {sc.shift.end:%H:%M}; {budget.spent_words(spent)}"
    minutes = (mitigated - record.cause.onset_at).total_seconds() / 60
    return (f"{choice_label}: mitigated {minutes:.0f} min after the {record.cause.onset_words} "
            f"(by the {_action_word(record)}); {budget.spent_words(spent)}")


# mitigation_outcome's figure: its size and its axes (``Figure.subplots``' arguments).
OUTCOME_SIZE = (10, 5.6)
OUTCOME_AXES = {"nrows": 2, "ncols": 1, "sharex": True, "height_ratios": [1.1, 1]}


def mitigation_outcome(record, without_record, span, choice_label: str, title: str | None = None,
                       layouts: dict | None = None, axes=None):
    """The widget's figure: the error ratio with its markers (top) and the budget spent with and without
    mitigation (bottom), over a fixed ``span`` so that choices can be compared by eye. ``layouts``: the widget's,
    see ``lay_out``; ``axes``: draw into these two (a figure of ``OUTCOME_SIZE`` with ``OUTCOME_AXES``, the
    widget's own) instead of a new figure."""
    if axes is None:
        fig, (top, bottom) = plt.subplots(figsize=OUTCOME_SIZE, **OUTCOME_AXES)
    else:
        (top, bottom), fig = axes, axes[0].figure
    events = key_events(record)
    _sli_panel(top, record, *PANELS[0], span, events, labels=True)
    mitigated = mitigated_at(record)
    label = (f"{choice_label} ({_action_word(record)} at {mitigated:%H:%M})" if mitigated else
             f"{choice_label} (never mitigated)")
    _budget_panel(bottom, record, without_record, label, span)
    _time_axis(bottom, span)
    _markers(bottom, events, labels=False)
    bottom.set_xlabel("simulated time (UTC)")
    fig.suptitle(title or outcome_title(record, choice_label), fontsize=11)
    lay_out(fig, layouts)
    return fig


def close(fig) -> None:
    plt.close(fig)


__all__ = ["sli_bad_pct", "key_events", "budget_curve", "spent_by_resolution", "recovery_title", "budget_title",
           "sli_recovery", "budget_spent", "mitigation_outcome", "outcome_title", "error_pct", "mitigated_at",
           "roll_forward_at", "without_label"]

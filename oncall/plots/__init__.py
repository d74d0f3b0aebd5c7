"""Plots (an edge of the package: only oncall.plots and oncall.widgets import matplotlib); one module per phase.

Colours follow the Okabe-Ito colour-blind-safe palette, the same for every notebook; times are simulated UTC.
"""
from __future__ import annotations

import base64
import io

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..causes import MARKER_WORDS
from ..trace import MODULES

OKABE_ITO = {"M27": "#0072B2", "M31": "#D55E00", "M32": "#E69F00", "M33": "#009E73", "M26": "#CC79A7"}
MARKERS = {"release.deployed": "#009E73", "page.sent": "#D55E00", "incident.acknowledged": "#E69F00",
           "release.rolled_back": "#56B4E9", "sli.recovered": "#0072B2", "sli.degraded": "#000000"}


# Each marker's word: the cause kinds' (a deploy, a rollback), then the shift's own.
_LABELS = {**MARKER_WORDS, "page.sent": "page", "incident.acknowledged": "ack", "sli.recovered": "recovered",
           "sli.degraded": "degraded"}


def utc_naive(times):
    """Times to plot: a tz-aware DatetimeIndex as naive UTC datetime64. Matplotlib converts a tz-aware array to
    its date numbers one element at a time (on the plot call and again on every draw), a naive datetime64 array at
    once; it reads naive times as UTC, the zone of every axis here: the same numbers, the same picture."""
    if isinstance(times, pd.DatetimeIndex) and times.tz is not None:
        return times.tz_convert("UTC").tz_localize(None).to_numpy()
    return times


SUBPLOT_PARAMS = ("left", "right", "top", "bottom", "wspace", "hspace")


def lay_out(fig, layouts: dict | None = None) -> None:
    """``fig.tight_layout()``; with ``layouts`` (a widget's: it draws a figure of the same axes on every move), the
    subplot parameters the first figure of this size got there, set at once: tight_layout measures every text of
    the figure, and the spans it finds for the widget's axes do not move from one choice to the next."""
    if layouts is None:
        fig.tight_layout()
        return
    size = tuple(fig.get_size_inches())
    if size in layouts:
        fig.subplots_adjust(**layouts[size])
    else:
        fig.tight_layout()
        layouts[size] = {name: getattr(fig.subplotpars, name) for name in SUBPLOT_PARAMS}


MARKER_LABEL_GID = "marker-label"   # every marker label carries it, so tests can find them and check overlaps
_LABEL_PAD_PX = 3                   # room between two labels, and slack for a later tight_layout


def _overlap(a, b, pad: float = _LABEL_PAD_PX) -> bool:
    return a.x0 < b.x1 + pad and b.x0 < a.x1 + pad and a.y0 < b.y1 + pad and b.y0 < a.y1 + pad


def place_marker_labels(ax, items, fontsize: float = 8, max_lanes: int = 12) -> list:
    """Labels for vertical marker lines, written across the top of ``ax`` in lanes so that no two overlap (the
    way a dashboard annotates a graph). ``items`` are (x in data units, label, colour). Each label starts just
    right of its line (left of it near the right edge) in the highest lane where it overlaps nothing placed so
    far: other labels, texts already on the axes (a threshold's label) and the legend. Returns the annotations
    (each with ``gid`` MARKER_LABEL_GID)."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    placed = [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and t.get_text()]
    if ax.get_legend() is not None:
        placed.append(ax.get_legend().get_window_extent(renderer))
    right = ax.get_window_extent(renderer).x1
    lo, hi = sorted(ax.get_xlim())
    out = []
    for x, label, colour in sorted(items, key=lambda item: item[0]):
        at = x if isinstance(x, (int, float, np.number)) else mdates.date2num(x)
        if not lo <= at <= hi:
            continue      # a marker outside the axes' range (an earlier deploy) gets no label
        drop = 2.0        # points below the top of the axes
        for _ in range(max_lanes):
            ann = ax.annotate(label, (x, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -drop),
                              textcoords="offset points", va="top", ha="left", fontsize=fontsize, color=colour,
                              gid=MARKER_LABEL_GID, annotation_clip=False,
                              bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                                    "alpha": 0.8})
            box = ann.get_window_extent(renderer)
            if box.x1 > right:      # near the right edge: the label ends at its line instead
                ann.set_horizontalalignment("right")
                ann.xyann = (-2, -drop)
                box = ann.get_window_extent(renderer)
            if not any(_overlap(box, p) for p in placed):
                break
            drop += box.height * 72 / fig.dpi + 1
            ann.remove()
        placed.append(box)
        out.append(ann)
    return out


def event_markers(ax, events: pd.DataFrame, since=None) -> None:
    """Vertical markers with short labels for the shift's key events, the same colours in every notebook; labels
    placed so that none overlaps another (``place_marker_labels``)."""
    items = []
    for _, row in events[events["kind"].isin(list(MARKERS))].iterrows():
        if since is not None and row["t"] < since:
            continue
        label = _LABELS[row["kind"]]
        if row["kind"] == "release.deployed":
            label = f"{label} {row['refs'].get('release', '')}"
        ax.axvline(row["t"], color=MARKERS[row["kind"]], linestyle="--", linewidth=1)
        items.append((row["t"], label, MARKERS[row["kind"]]))
    place_marker_labels(ax, items)


def shift_timeline(trace: pd.DataFrame, span=None, ax=None, title: str | None = None, layouts: dict | None = None):
    """One lane per course module; one tick per event; deploys as vertical markers.

    ``span`` is the shift's (start, end); events before it (an earlier deploy) are left out. ``layouts``: a
    widget's, see ``lay_out``.
    """
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(10, 3.2))
    lanes = list(MODULES)
    start, end = span if span is not None else (trace["t"].min(), trace["t"].max())
    shown = trace[(trace["t"] >= start) & (trace["t"] <= end)]
    for i, module in enumerate(lanes):
        rows = shown[shown["module"] == module]
        ax.scatter(rows["t"], [i] * len(rows), marker="|", s=400, color=OKABE_ITO[module], label=module)
    ax.set_yticks(range(len(lanes)), [f"{m} {MODULES[m]}" for m in lanes], fontsize=8)
    ax.set_ylim(-0.7, len(lanes) - 0.3)
    ax.set_xlim(start, end)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
    ax.set_xlabel("simulated time (UTC)")
    ax.set_title(title or "Which module acted when: one lane per course module")
    lay_out(fig, layouts)
    event_markers(ax, shown[shown["kind"].isin(["release.deployed", "release.rolled_back", "page.sent"])])
    return fig


def service_overview(service: pd.DataFrame, deploys: pd.DataFrame | None = None, ax=None, title: str | None = None):
    """Requests per minute (area) and the error ratio per minute (line), with markers for ``deploys`` (trace
    events: deploys, rollbacks, pages)."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(10, 3.2))
    ax.fill_between(service.index, service["requests"], step="post", color="#0072B2", alpha=0.25,
                    label="requests per minute")
    ax.set_ylabel("requests per minute")
    ax2 = ax.twinx()
    ratio = 100 * service["errors"] / service["requests"].where(service["requests"] > 0)
    ax2.plot(service.index, ratio, color="#D55E00", linewidth=1.2, label="error ratio (%)")
    ax2.set_ylabel("errors (% of requests)", color="#D55E00")
    ax2.set_ylim(0, max(1.0, float(ratio.max()) * 1.2))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
    ax.set_xlabel("simulated time (UTC)")
    ax.set_title(title or "Traffic and errors per minute")
    fig.tight_layout()
    if deploys is not None:
        event_markers(ax, deploys, since=service.index[0])
    return fig


def data_uri(fig, dpi: int = 80) -> str:
    """The figure as an embeddable PNG data URI (deterministic bytes: no software or date metadata); closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def close(fig) -> None:
    plt.close(fig)


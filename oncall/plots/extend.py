"""Plots of the extension (M33, M26): a stale index seen through its age, its freshness SLI and its answers."""
from __future__ import annotations

import matplotlib.pyplot as plt


def freshness_chart(record, max_age_h: float | None = None):
    """Top: kb-live's age in hours against the freshness limit (default: the freshness SLO's), with the failed
    build, the page and the reindex. Bottom: the share of graded answers quoting a superseded fact, and the error
    ratio (flat) on the same axis."""
    max_age_h = record.max_index_age_h if max_age_h is None else max_age_h
    svc = record.service
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.6), sharex=True)
    top.plot(svc.index, svc["index_age_h"], color="#0072B2", label="kb-live age (h)")
    top.axhline(max_age_h, color="#D55E00", ls="--", lw=1, label=f"freshness limit {max_age_h:g} h")
    marks = {"index.build_failed": ("#999999", "build failed"), "page.sent": ("#D55E00", "page"),
             "index.rebuilt": ("#009E73", "reindex + alias swap")}
    heights = {"index.build_failed": 0.55, "page.sent": 0.4, "index.rebuilt": 0.25}
    for e in record.trace.events:
        if e.kind in marks:
            colour, label = marks[e.kind]
            for ax in (top, bottom):
                ax.axvline(e.t, color=colour, ls=":", lw=1.2)
            top.text(e.t, top.get_ylim()[1] * heights[e.kind], f" {label} {e.t:%H:%M}", color=colour, fontsize=8,
                     va="center", backgroundcolor="white")
    top.set_ylabel("hours")
    top.legend(loc="lower left", fontsize=8)
    top.set_title(f"{record.scenario.name}: the index ages silently; freshness pages, a reindex fixes it")
    graded = svc["graded"].rolling(15, min_periods=1).sum().clip(lower=1)
    stale = 100 * svc["stale_answers"].rolling(15, min_periods=1).sum() / graded
    errors = 100 * svc["errors"].rolling(15, min_periods=1).sum() / svc["requests"].rolling(15, min_periods=1).sum()
    bottom.plot(svc.index, stale, color="#CC79A7", label="graded answers stale (%, 15 min)")
    bottom.plot(svc.index, errors, color="#000000", lw=1, label="requests failed (%, 15 min)")
    bottom.set_ylabel("%")
    bottom.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig

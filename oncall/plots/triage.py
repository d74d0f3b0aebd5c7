"""The triage phase's plot (M32, taught in 02_triage): which incident each ticket was linked to, over time."""
from __future__ import annotations

from datetime import datetime

from . import MARKERS, mdates, place_marker_labels, plt


def ticket_links(record, decisions, deployed_at: datetime):
    """One dot per ticket at the time it arrived, on the row of the incident triage linked it to (red: the paged
    incident; blue: another; grey: not linked); dashed lines at the deploy and the page."""
    paged = record.incidents[record.paged_incident]
    rows = [i for i in record.incidents if any(t.linked_incident == i for t in decisions)] + ["not linked"]
    fig, ax = plt.subplots(figsize=(10, 3))
    for t in decisions:
        y = rows.index(t.linked_incident or "not linked")
        colour = "tab:red" if t.linked_incident == paged.id else "tab:blue" if t.linked_incident else "tab:gray"
        ax.scatter(t.ticket.created_at, y, color=colour, s=30, alpha=0.8)
    ax.axvline(deployed_at, color=MARKERS["release.deployed"], ls="--")
    ax.axvline(record.page.at, color=MARKERS["page.sent"], ls="--")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.5, len(rows) + 0.4)          # room above the rows for the marker labels
    ax.set_xlabel("simulated time (UTC)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz="UTC"))
    soon = sum((t.ticket.created_at - deployed_at).total_seconds() <= 3600
               for t in decisions if t.linked_incident == paged.id)
    ax.set_title(f"{len(paged.tickets)} tickets link to {paged.id}; {soon} of them arrive within an hour of the deploy")
    fig.tight_layout()
    place_marker_labels(ax, [(deployed_at, "deploy", MARKERS["release.deployed"]),
                             (record.page.at, "page", MARKERS["page.sent"])])
    return fig

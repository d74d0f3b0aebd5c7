"""The triage phase's plot (M32, taught in 02_triage): which incident each ticket was linked to, over time."""
from __future__ import annotations

from datetime import datetime

from . import mdates, plt


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
    ax.axvline(deployed_at, color="tab:orange", ls="--")
    ax.text(deployed_at, len(rows) - 0.6, " deploy", color="tab:orange")
    ax.axvline(record.page.at, color="tab:red", ls="--")
    ax.text(record.page.at, len(rows) - 0.9, " page", color="tab:red")
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(-0.5, len(rows))
    ax.set_xlabel("simulated time (UTC)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    soon = sum((t.ticket.created_at - deployed_at).total_seconds() <= 3600
               for t in decisions if t.linked_incident == paged.id)
    ax.set_title(f"{len(paged.tickets)} tickets link to {paged.id}; {soon} of them arrive within an hour of the deploy")
    return fig

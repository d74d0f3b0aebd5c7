"""The triage phase's widget (M32, taught in 02_triage): type a ticket, see how triage files and links it.

Like every widget here it keeps what it last showed (``.last``, the triage decision), so a check cell can drive it
from Python (set ``.value``, the text typed) and assert the answer changed.
"""
from __future__ import annotations

from datetime import datetime, timezone

import ipywidgets as W
from IPython.display import display

from ..story import wrap
from ..support_desk import triage as desk

# The minute the ticket is taken to arrive: during the bad-deploy night, after the page.
ARRIVES = datetime(2026, 11, 27, 1, 45, tzinfo=timezone.utc)


class TicketTriager:
    """A text box: each ticket typed is triaged against the shift's open incidents (category, priority, team, the
    incident it links to, and why)."""

    def __init__(self, record, at: datetime = ARRIVES):
        self.incidents = desk.incidents_from_record(record)
        self.at = at
        self.text = W.Text(description="ticket", layout=W.Layout(width="80%"))
        self.out = W.Output()
        self.last = None
        self.text.observe(self.redraw, names="value")
        self.ui = W.VBox([self.text, self.out])
        self.redraw()

    def redraw(self, _change=None):
        self.last = desk.triage_text(self.text.value, self.at, self.incidents)
        self.out.clear_output()
        with self.out:
            print(f"{self.last.category}, {self.last.priority}, team {self.last.team}, "
                  f"linked to {self.last.linked_incident}")
            print(wrap(self.last.reason))   # between words: JupyterLab would break a long line mid-word

    @property
    def value(self) -> str:
        """The ticket's text, as typed in the box."""
        return self.text.value

    @value.setter
    def value(self, text: str) -> None:
        self.text.value = text

    def show(self):
        display(self.ui)
        return self

"""The console's time control: every panel as of a minute of the night, built once from the shift record."""
import re

import pytest

from oncall.scenario import load_scenario
from oncall.shift import run_shift, scorecard
from oncall.widgets.console import NightReplay, status_html


@pytest.fixture(scope="module")
def replay():
    record = run_shift(load_scenario("bad-deploy"), 7)
    return NightReplay(record, scorecard(record))


def test_one_frame_a_minute_from_the_shifts_start_to_its_end(replay):
    sc = replay.record.scenario
    assert replay.times[0] == sc.shift.start and replay.times[-1] == sc.shift.end
    assert len(replay.clock) == len(set(replay.clock)) == int((sc.shift.end - sc.shift.start).total_seconds() // 60) + 1


def test_the_first_minute_shows_nothing_yet_and_the_last_the_night_as_it_ended(replay):
    first, last = replay.at(0), replay.at(len(replay.clock) - 1)
    assert "no page yet" in first["status"] and "no incident open yet" in first["incidents"]
    assert "No canary yet" in first["canary"] and "0.00 % of the 30-day error budget spent by the incident" in first["status"]
    assert last["status"].endswith(status_html(replay.record, replay.card))
    assert "promoted" in last["canary"]


def test_panels_follow_the_trace(replay):
    page = next(e for e in replay.record.trace.events if e.kind == "page.sent")
    i = replay.clock.index(f"{page.t:%H:%M}")
    assert "no page yet" in replay.at(i - 1)["status"]
    assert f"paged {page.refs['severity']} at {page.t:%H:%M}" in replay.at(i)["status"]
    linked = [len(re.findall("<tr>", t)) for t in replay.tickets]
    assert linked == sorted(linked), "tickets once linked stay linked"

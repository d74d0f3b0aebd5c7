"""The budget arithmetic (incident_response/budget.py): the incident's spend never goes down, and the window's
curve is rolling_spent_pct at every minute."""
from __future__ import annotations

import numpy as np
import pytest

from oncall.incident_response import budget


def test_the_incident_spend_never_goes_down_and_ends_at_incident_spent_pct():
    rng = np.random.default_rng(3)
    total = rng.integers(80, 120, 200)
    bad = rng.binomial(total, 0.002)
    bad[100:130] += 15                                     # the incident, then noise around the baseline again
    curve = budget.incident_spent_curve(bad, total, 100, 180, 0.001, 1e6)
    assert (np.diff(curve) >= 0).all(), "a minute better than the baseline gives nothing back"
    assert curve[-1] == pytest.approx(budget.incident_spent_pct(bad, total, 100, 180, 0.001, 1e6))
    assert budget.incident_spent_pct(bad, total, 100, 100, 0.001, 1e6) == 0.0


def test_the_window_curve_is_rolling_spent_pct_at_every_minute():
    rng = np.random.default_rng(5)
    hist_total = rng.integers(50, 70, 3 * 1440)
    hist_bad = rng.binomial(hist_total, 0.0004)
    total = rng.integers(50, 70, 600)
    bad = rng.binomial(total, 0.0004)
    left = budget.window_left_curve(hist_bad, hist_total, bad, 60.0, 0.001, 43200)
    for minute in (0, 1, 299, 600):
        spent, _ = budget.rolling_spent_pct(hist_bad, hist_total, bad, minute, 60.0, 0.001, 43200)
        assert left[minute] == pytest.approx(100 - spent)


def test_the_two_figures_have_one_name_each():
    from datetime import datetime

    assert budget.spent_words(1.838) == "1.84 % of the 30-day error budget spent by the incident"
    assert budget.left_words(67.08, datetime(2026, 11, 27, 5, 30), "availability") == \
        "67.1 % of the availability error budget left in the 30-day window at 05:30"

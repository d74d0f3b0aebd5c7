"""Tests for oncall.incident_response.burn: multiwindow, multi-burn-rate alerting (M31).

Expected numbers come from the Google SRE Workbook ch. 5 ("Alerting on SLOs") and the formulas it gives:
time to fire = (1 - SLO) / e x long window x burn threshold; budget consumed = burn x long window / period.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.errors import BadInput
from oncall.incident_response import burn
from oncall.incident_response.burn import (
    EXPLAIN_STEPS_PER_LONG_WINDOW,
    Tier,
    evaluate,
    explain,
    explain_text,
    first_fire,
    load_tiers,
    window_burn_rates,
)
from oncall.incident_response.slo import load_slo

DAY = 1440
TIERS = load_tiers()
BY_NAME = {t.name: t for t in TIERS}

# Detection times derived from the workbook's formula for 99.9 % over 30 d (the reference's
# burn_rate_tiers_derived.csv): (long_window_min, error_ratio, detection_min, budget_consumed_pct).
DERIVED = [
    (60, 1.0, 0.86, 2.0), (60, 0.1, 8.64, 2.0), (60, 0.05, 17.28, 2.0), (60, 0.02, 43.2, 2.0),
    (360, 1.0, 2.16, 5.0), (360, 0.1, 21.6, 5.0), (360, 0.05, 43.2, 5.0), (360, 0.02, 108.0, 5.0),
    (1440, 1.0, 4.32, 10.0), (1440, 0.1, 43.2, 10.0), (1440, 0.05, 86.4, 10.0), (1440, 0.02, 216.0, 10.0),
    (4320, 1.0, 4.32, 10.0), (4320, 0.1, 43.2, 10.0), (4320, 0.05, 86.4, 10.0), (4320, 0.02, 216.0, 10.0),
]


def explain_step(long_window_min: int) -> float:
    """explain()'s resolution for the workbook's tiers (short = long / 12, so long / 120000 divides both)."""
    return long_window_min / EXPLAIN_STEPS_PER_LONG_WINDOW


def predicted_fire_min(objective: float, error_ratio: float, tier: Tier, period_min: int = 30 * DAY) -> float:
    """The workbook's time to fire for a constant error ratio from a clean window."""
    return (1 - objective) / error_ratio * tier.long_window_min * tier.threshold(period_min)


def shift(bad_per_min, total_per_min, clean_min=3 * DAY):
    """Per-minute counts: ``clean_min`` minutes without errors, then the given minutes. Returns bad, total, start."""
    bad = np.concatenate([np.zeros(clean_min, dtype=np.int64), np.asarray(bad_per_min, dtype=np.int64)])
    clean_total = np.full(clean_min, total_per_min[0], dtype=np.int64)
    total = np.concatenate([clean_total, np.asarray(total_per_min, dtype=np.int64)])
    return bad, total, clean_min


def burst(error_ratio: float, error_min: int, after_min: int, rpm: int = 1000):
    """A clean history, ``error_min`` minutes at ``error_ratio``, then ``after_min`` clean minutes."""
    bad = [round(error_ratio * rpm)] * error_min + [0] * after_min
    return shift(bad, [rpm] * (error_min + after_min))


# ------------------------------------------------------------------------------------------ tiers file

def test_tiers_are_the_workbooks_for_30_days():
    got = [(t.name, t.severity, t.long_window_min, t.short_window_min, t.burn_rate) for t in TIERS]
    assert got == [
        ("page-1h", "page", 60, 5, 14.4),
        ("page-6h", "page", 360, 30, 6.0),
        ("ticket-1d", "ticket", 1440, 120, 3.0),
        ("ticket-3d", "ticket", 4320, 360, 1.0),
    ]
    assert [round(100 * t.budget_share, 6) for t in TIERS] == [2.0, 5.0, 10.0, 10.0]
    assert all(t.short_window_min * 12 == t.long_window_min for t in TIERS)  # workbook: short = long / 12
    assert all(t.min_requests > 0 and t.comment for t in TIERS)
    # The guard's reason: one failure in min_requests must stay under the fastest page at 99.9 %.
    assert 1 / TIERS[0].min_requests / 0.001 < TIERS[0].burn_rate


@pytest.mark.parametrize("edit, field", [
    ("burn_rate: 14.4", "tiers[0].burn_rate"),
    ("severity: page", "tiers[0].severity"),
    ("short_window: 5m", "tiers[0].short_window"),
    ("long_window: 1h", "tiers[0].long_window"),
    ("name: page-1h", "tiers[0].name"),
])
def test_bad_tier_values_name_file_and_field(tmp_path, edit, field):
    bad_value = {
        "burn_rate: 14.4": "burn_rate: -1", "severity: page": "severity: sms",
        "short_window: 5m": "short_window: 2h", "long_window: 1h": "long_window: 1 hour",
        "name: page-1h": "name: page-6h",  # a duplicate of the second tier's name
    }[edit]
    text = burn.TIERS_FILE.read_text(encoding="utf-8").replace(edit, bad_value, 1)
    path = tmp_path / "tiers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as info:
        load_tiers(path)
    field = "tiers[1].name" if edit.startswith("name") else field
    assert info.value.field == field
    assert "tiers.yaml" in info.value.where


@pytest.mark.parametrize("text, field", [
    ("tiers: []\n", "tiers"),
    ("min_requests: -5\ntiers: []\n", "min_requests"),
    ("period: 30 days\ntiers: []\n", "period"),
    ("tiers:\n  - {name: a, severity: page, long_window: 1h, short_window: 5m, burn_rate: 2, colour: red}\n", "tiers[0].colour"),
    ("tiers:\n  - {name: a, severity: page, long_window: 1h, short_window: 5m}\n", "tiers[0].burn_rate"),
    ("tiers: [1, 2]\n", "tiers[0]"),
    ("- just a list\n", None),
    ("tiers: [unclosed\n", None),
])
def test_bad_tier_files(tmp_path, text, field):
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as info:
        load_tiers(path)
    assert info.value.field == field
    assert "t.yaml" in info.value.line()


# ------------------------------------------------------------------------------------------ windows

@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000)), min_size=1, max_size=300),
    window=st.integers(1, 400),
    objective=st.sampled_from([0.9, 0.99, 0.999, 0.9999]),
)
def test_windows_agree_with_a_naive_rolling_sum(rows, window, objective):
    total = np.array([a + b for a, b in rows])
    bad = np.array([min(a, b) for a, b in rows])  # bad <= total by construction
    got = window_burn_rates(bad, total, 1 - objective, window)
    # The naive way: one rolling pass per window; min_periods=1 = "use what exists" at the start.
    bad_sum = pd.Series(bad, dtype=float).rolling(window, min_periods=1).sum().to_numpy()
    total_sum = pd.Series(total, dtype=float).rolling(window, min_periods=1).sum().to_numpy()
    want = np.where(total_sum > 0, bad_sum / np.where(total_sum > 0, total_sum, 1) / (1 - objective), 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


@settings(max_examples=50, deadline=None)
@given(
    bad=st.lists(st.floats(0, 50).map(lambda x: round(x, 3)), min_size=1, max_size=200),
    extra=st.floats(0, 50).map(lambda x: round(x, 3)),
    window=st.integers(1, 250),
)
def test_windows_agree_on_float_counts(bad, extra, window):
    bad = np.array(bad)
    total = bad + extra
    got = window_burn_rates(bad, total, 0.01, window)
    b = pd.Series(bad).rolling(window, min_periods=1).sum().to_numpy()
    t = pd.Series(total).rolling(window, min_periods=1).sum().to_numpy()
    want = np.divide(b, t, out=np.zeros_like(b), where=t > 1e-9) / 0.01
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-6)


def test_float_windows_that_held_nothing_burn_zero():
    # Adding 0.0 never changes a float, so a window with no events after traffic is exactly 0, not noise.
    got = window_burn_rates([0.1, 0.2, 0.0, 0.0], [0.1, 0.7, 0.0, 0.0], 0.001, 2)
    assert got[-1] == 0.0 and got[1] == pytest.approx(375.0)


def test_windows_use_what_exists_and_zero_without_traffic():
    bad, total = np.array([1, 0, 0, 0]), np.array([10, 0, 10, 0])
    got = window_burn_rates(bad, total, 0.1, 3)
    # step 0: 1/10; step 1: 1/10 (only two samples exist); step 2: 1/20; step 3: window 1..3 -> 0/10
    np.testing.assert_allclose(got, [1.0, 1.0, 0.5, 0.0])
    assert window_burn_rates([0, 0], [0, 0], 0.001, 5).tolist() == [0.0, 0.0]


def test_evaluate_takes_one_cumulative_sum_and_no_rolling_pass(monkeypatch):
    calls = []
    real_cumsum = np.cumsum

    def counting(*args, **kwargs):
        calls.append(1)
        return real_cumsum(*args, **kwargs)

    def no_rolling(*args, **kwargs):
        raise AssertionError("evaluate must not make a rolling pass per window")

    monkeypatch.setattr(burn.np, "cumsum", counting)
    monkeypatch.setattr(pd.Series, "rolling", no_rolling)
    monkeypatch.setattr(pd.DataFrame, "rolling", no_rolling)
    bad, total, _ = burst(0.15, 10, 60)
    evaluate(bad, total, 0.999, TIERS)
    assert len(calls) == 2  # one for bad, one for total, shared by all 8 windows


@pytest.mark.parametrize("bad, total, window", [
    ([1, 2], [1], 3), ([2], [1], 3), ([-1], [1], 3), ([np.nan], [1.0], 3), ([0], [1], 0), ([0], [1], 1.5),
])
def test_window_arguments_are_checked(bad, total, window):
    with pytest.raises(ValueError):
        window_burn_rates(bad, total, 0.001, window)


# --------------------------------------------------------------------------- the engine vs the formula

@pytest.mark.parametrize("long_min, error_ratio, detection_min, consumed_pct", DERIVED)
def test_explain_matches_the_derived_detection_times(long_min, error_ratio, detection_min, consumed_pct):
    result = explain(0.999, error_ratio)
    row = next(r for r in result["tiers"] if r["long_window_min"] == long_min)
    tier = next(t for t in TIERS if t.long_window_min == long_min)
    step = explain_step(long_min)
    assert row["fires"] is True
    assert abs(row["fires_after_min"] - predicted_fire_min(0.999, error_ratio, tier)) <= step + 1e-9
    assert row["fires_after_min"] == pytest.approx(detection_min, abs=0.005 + step)  # the CSV rounds to 0.01
    assert row["budget_consumed_pct"] == pytest.approx(consumed_pct, abs=0.01)


def test_explain_headline_numbers_at_5_percent():
    result = explain(0.999, 0.05)
    assert result["burn_rate"] == 50.0
    assert result["time_to_exhaustion_h"] == 14.4  # 720 h / 50
    page = result["tiers"][0]
    assert (page["fires_after_min"], page["budget_consumed_pct"]) == (17.28, 2.0)
    assert explain(0.999, 1.0)["tiers"][0]["fires_after_min"] == 0.864


@pytest.mark.parametrize("objective", [0.95, 0.99, 0.999, 0.9995, 0.9999])
@pytest.mark.parametrize("error_ratio", [0.003, 0.02, 0.3, 1.0])
def test_engine_agrees_with_the_formula(objective, error_ratio):
    result = explain(objective, error_ratio)
    burn_rate = error_ratio / (1 - objective)
    assert result["burn_rate"] == pytest.approx(burn_rate, rel=1e-9)
    assert result["time_to_exhaustion_h"] == pytest.approx(720 / burn_rate, rel=1e-4)
    assert len(result["tiers"]) == len(TIERS)
    for tier, row in zip(TIERS, result["tiers"]):
        assert row["burn_rate_threshold"] == tier.burn_rate
        if burn_rate < tier.burn_rate * (1 - 1e-9):  # the long window can never reach the threshold
            assert (row["fires"], row["fires_after_min"], row["budget_consumed_pct"]) == (False, None, None)
            continue
        step = explain_step(tier.long_window_min)
        want = predicted_fire_min(objective, error_ratio, tier)
        assert row["fires"] and abs(row["fires_after_min"] - want) <= step + 1e-9
        # budget consumed = burn x (time to fire) / period, which is burn_threshold x window / period
        assert row["budget_consumed_pct"] == pytest.approx(
            100 * burn_rate * row["fires_after_min"] / (30 * DAY), abs=1e-3)
        assert row["budget_consumed_pct"] >= 100 * tier.budget_share - 1e-3


@settings(max_examples=25, deadline=None)
@given(
    objective=st.floats(0.9, 0.99999),
    error_ratio=st.floats(0.0005, 1.0),
    period_days=st.sampled_from([7, 28, 30, 90]),
)
def test_engine_agrees_with_the_formula_property(objective, error_ratio, period_days):
    result = explain(objective, error_ratio, f"{period_days}d")
    burn_rate = error_ratio / (1 - objective)
    assert len(result["tiers"]) == len(TIERS)
    for tier, row in zip(TIERS, result["tiers"]):
        threshold = tier.threshold(period_days * DAY)
        if not math.isclose(burn_rate, threshold, rel_tol=1e-6):  # leave the exact boundary to its own test
            assert row["fires"] == (burn_rate > threshold)
        if row["fires"]:
            want = predicted_fire_min(objective, error_ratio, tier, period_days * DAY)
            assert abs(row["fires_after_min"] - want) <= explain_step(tier.long_window_min) + 1e-9


def test_a_burn_exactly_at_the_threshold_fires():
    # 144 errors in 10000 requests at 99.9 % is a burn of exactly 14.4, which floats compute as 14.3999...
    total = np.full(120, 10_000)
    bad = np.full(120, 144)
    result = evaluate(bad, total, 0.999, [BY_NAME["page-1h"]])
    assert result.frame["page-1h.long_burn"].iat[-1] < 14.4  # the tolerance is what makes it fire
    assert result.frame["page-1h.fires"].all()


def test_budget_consumed_is_burn_times_window_over_period_on_a_constant_series():
    bad, total = np.full(600, 5), np.full(600, 1000)  # 0.5 % errors at 99.9 %: burn 5
    result = evaluate(bad, total, 0.999, TIERS)
    t = result.frame["t_min"].to_numpy()
    np.testing.assert_allclose(result.frame["budget_consumed_pct"], 100 * 5 * t / (30 * DAY), rtol=1e-9)
    # An explicit period total overrides the estimate from the series' own mean traffic.
    half = evaluate(bad, total, 0.999, TIERS, period_total=2 * 1000 * 30 * DAY)
    np.testing.assert_allclose(half.frame["budget_consumed_pct"], result.frame["budget_consumed_pct"] / 2)


# -------------------------------------------------------------------------------- alerting behaviour

def test_tiers_are_ored():
    # A slow burn (0.8 % errors = burn 8 at 99.9 %) never reaches the 1 h tier's 14.4 but trips the 6 h tier's 6.
    bad, total, start = shift([8] * 400, [1000] * 400)
    slow = evaluate(bad, total, 0.999, TIERS)
    firing = first_fire(slow, "page")
    assert firing is not None and firing.tier == "page-6h"
    assert not slow.frame["page-1h.fires"].any()
    assert firing.t_min - start == pytest.approx(predicted_fire_min(0.999, 0.008, BY_NAME["page-6h"]), abs=1)
    # A fast burst trips the 1 h tier only; either way the page alert is the OR of its tiers.
    bad, total, _ = burst(0.15, 10, 60)
    fast = evaluate(bad, total, 0.999, TIERS)
    assert first_fire(fast, "page").tier == "page-1h"
    assert not fast.frame["page-6h.fires"].any()
    for result in (slow, fast):
        either = result.frame["page-1h.fires"].to_numpy() | result.frame["page-6h.fires"].to_numpy()
        np.testing.assert_array_equal(result.fires("page"), either)


def test_a_short_spike_the_long_window_does_not_see_does_not_fire():
    bad, total, start = burst(0.5, 1, 120)  # 50 % errors for one minute
    result = evaluate(bad, total, 0.999, TIERS)
    short = result.frame["page-1h.short_burn"].to_numpy()
    assert short[start] >= 14.4 * 5  # the 5-min window alone would page (burn 100)
    assert result.frame["page-1h.long_burn"].iat[start] < 14.4
    assert first_fire(result, severity=None) is None


def test_a_long_past_burst_the_short_window_no_longer_sees_does_not_fire():
    bad, total, start = burst(1.0, 3, 60)  # 100 % errors for 3 min: 5 % of the hour, burn 50
    result = evaluate(bad, total, 0.999, TIERS)
    fires = result.frame["page-1h.fires"].to_numpy()
    assert fires[start + 2]  # it does page during the burst
    later = start + 3 + 30  # half an hour after the errors stopped
    assert result.frame["page-1h.long_burn"].iat[later] >= 14.4  # the hour still remembers the burst
    assert result.frame["page-1h.short_burn"].iat[later] == 0
    assert not fires[later:].any()


def test_resets_about_one_short_window_after_errors_stop():
    # The workbook's example: 15 % errors for 10 min at 99.9 % fire the 1 h / 5 min tier and it resets
    # about 5 min after the errors end (the short window is what makes it reset fast).
    bad, total, start = burst(0.15, 10, 60)
    firing = first_fire(evaluate(bad, total, 0.999, TIERS), "page")
    assert firing.tier == "page-1h"
    # fires after 0.001 / 0.15 x 60 x 14.4 = 5.76 min: at the end of the 6th minute of errors
    assert firing.t_min - start == 6
    errors_end = start + 10
    assert firing.reset_t_min is not None
    assert 4 < firing.reset_t_min - errors_end <= BY_NAME["page-1h"].short_window_min


def test_still_firing_at_the_end_has_no_reset():
    bad, total, _ = shift([1000] * 20, [1000] * 20)
    firing = first_fire(evaluate(bad, total, 0.999, TIERS), "page")
    assert firing is not None and firing.reset_step is None and firing.reset_t_min is None


def test_low_traffic_gives_a_warning_not_a_page():
    guard = BY_NAME["page-1h"].min_requests
    rpm = guard // 50  # the page tiers' 5-min and 30-min windows hold 10 and 60 events: under the guard
    bad, total, start = shift([rpm] * 20, [rpm] * 20)  # 100 % errors, a burn of 1000
    quiet = evaluate(bad, total, 0.999, TIERS)
    assert first_fire(quiet, "page") is None
    warning = first_fire(quiet, "page", warnings=True)
    assert warning is not None and warning.tier == "page-1h" and warning.t_min - start <= 1
    # The same error ratio with enough traffic pages.
    bad, total, _ = shift([1000] * 20, [1000] * 20)
    busy = evaluate(bad, total, 0.999, TIERS)
    assert first_fire(busy, "page") is not None and not busy.low_traffic("page").any()


def test_the_guard_counts_the_short_windows_events():
    tier = dataclasses.replace(BY_NAME["page-1h"], min_requests=50)
    total = np.full(30, 10)
    result = evaluate(total, total, 0.999, [tier])  # all bad; the short window holds 10, 20, ... events
    fires = result.frame["page-1h.fires"].to_numpy()
    low = result.frame["page-1h.low_traffic"].to_numpy()
    assert low[:4].all() and not fires[:4].any()  # 10 .. 40 events
    assert fires[4:].all() and not low[4:].any()  # 50 events: enough


# ------------------------------------------------------------------------------------ other periods

@pytest.mark.parametrize("days", [7, 28, 30, 90])
def test_thresholds_rescale_so_each_tier_spends_the_same_share(days):
    result = explain(0.999, 0.5, f"{days}d")
    for tier, row in zip(TIERS, result["tiers"]):
        assert row["burn_rate_threshold"] == pytest.approx(tier.burn_rate * days / 30, abs=1e-6)  # rounded to 6
        assert row["budget_consumed_pct"] == pytest.approx(100 * tier.budget_share, abs=0.01)
    assert result["time_to_exhaustion_h"] == pytest.approx(days * 24 / 500, rel=1e-4)


def test_rescaling_changes_what_fires():
    # A burn of 4 is below the 1 h tier's 14.4 over 30 d, but above its 3.36 over 7 d.
    bad, total, _ = shift([4] * 120, [1000] * 120)
    assert first_fire(evaluate(bad, total, 0.999, TIERS), "page") is None
    week = evaluate(bad, total, 0.999, TIERS, period_min=7 * DAY)
    assert week.thresholds["page-1h"] == pytest.approx(3.36)
    assert first_fire(week, "page").tier == "page-1h"


def test_an_slo_brings_its_own_period():
    slo = dataclasses.replace(load_slo("availability"), period_min=28 * DAY)
    result = evaluate([0, 1], [10, 10], slo, TIERS)
    assert result.period_min == 28 * DAY
    assert result.thresholds["page-1h"] == pytest.approx(14.4 * 28 / 30)
    assert result.budget_ratio == pytest.approx(0.001)


# ----------------------------------------------------------------------------------------- edges

def test_objective_90_never_fires_the_fastest_page():
    result = explain(0.9, 1.0)  # burn 10 at 100 % errors: the 14.4x tier needs 144 % errors
    assert result["burn_rate"] == 10.0
    first = result["tiers"][0]
    assert (first["fires"], first["fires_after_min"], first["budget_consumed_pct"]) == (False, None, None)
    assert result["tiers"][1]["fires"] is True  # 6x does fire
    assert "can never fire" in explain_text(result, 1.0).splitlines()[1]


def test_error_ratio_zero_has_no_exhaustion_and_nothing_fires():
    result = explain(0.999, 0)
    assert result["burn_rate"] == 0 and result["time_to_exhaustion_h"] is None
    assert not any(row["fires"] for row in result["tiers"])
    assert all(row["fires_after_min"] is None and row["budget_consumed_pct"] is None for row in result["tiers"])
    assert "never spent" in explain_text(result, 0)


def test_error_ratio_one():
    result = explain(0.999, 1)
    assert result["burn_rate"] == 1000.0
    assert result["time_to_exhaustion_h"] == pytest.approx(0.72)  # 43.2 min
    assert all(row["fires"] for row in result["tiers"])


def test_explain_has_exactly_the_contracts_keys():
    result = explain(0.999, 0.05, "28d")
    assert set(result) == {"burn_rate", "time_to_exhaustion_h", "tiers"}
    assert len(result["tiers"]) == len(TIERS)
    for row in result["tiers"]:
        assert set(row) == {"severity", "long_window_min", "short_window_min", "burn_rate_threshold", "fires",
                            "fires_after_min", "budget_consumed_pct"}
        assert row["severity"] in ("page", "ticket")


def test_explain_text_in_plain_words():
    text = explain_text(explain(0.999, 0.05), 0.05)
    lines = text.splitlines()
    assert lines[0] == "At 5 % errors the burn rate is 50x: the budget is gone in 14.4 h."
    assert lines[1] == "The 1 h / 5 min page (14.4x) fires after 17.3 min, having spent 2.0 % of the budget."
    assert len(lines) == 1 + len(TIERS)


@pytest.mark.parametrize("kwargs, field", [
    ({"objective": 1.0, "error_ratio": 0.1}, "--objective"),
    ({"objective": 0, "error_ratio": 0.1}, "--objective"),
    ({"objective": "high", "error_ratio": 0.1}, "--objective"),
    ({"objective": True, "error_ratio": 0.1}, "--objective"),
    ({"objective": float("nan"), "error_ratio": 0.1}, "--objective"),
    ({"objective": 0.999, "error_ratio": -0.1}, "--error-ratio"),
    ({"objective": 0.999, "error_ratio": 1.5}, "--error-ratio"),
    ({"objective": 0.999, "error_ratio": None}, "--error-ratio"),
    ({"objective": 0.999, "error_ratio": 0.1, "period": "30x"}, "--period"),
    ({"objective": 0.999, "error_ratio": 0.1, "period": "0d"}, "--period"),
    ({"objective": 0.999, "error_ratio": 0.1, "period": 30}, "--period"),
])
def test_bad_explain_arguments_raise_bad_input(kwargs, field):
    with pytest.raises(BadInput) as info:
        explain(**kwargs)
    assert info.value.field == field
    assert field in info.value.line()


def test_explain_accepts_numbers_as_text():
    assert explain("0.999", "0.05") == explain(0.999, 0.05)


@pytest.mark.parametrize("objective", [1.0, 0.0, -1, True])
def test_evaluate_checks_its_objective(objective):
    with pytest.raises(ValueError):
        evaluate([0], [1], objective, TIERS)


def test_evaluate_rejects_windows_that_are_not_whole_steps():
    with pytest.raises(ValueError):
        evaluate([0] * 10, [1] * 10, 0.999, TIERS, step_min=7)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 50), st.integers(0, 200)), min_size=1, max_size=400))
def test_invariants_on_random_counts(rows):
    bad = np.array([min(b, t) for b, t in rows])
    total = np.array([t for _, t in rows])
    result = evaluate(bad, total, 0.99, TIERS, step_min=5)
    consumed = result.frame["budget_consumed_pct"].to_numpy()
    assert (consumed >= 0).all() and (np.diff(consumed) >= 0).all()  # budget spent never goes back
    for tier in TIERS:
        threshold = result.thresholds[tier.name] * (1 - 1e-9)
        fires = result.frame[f"{tier.name}.fires"].to_numpy()
        low = result.frame[f"{tier.name}.low_traffic"].to_numpy()
        both = ((result.frame[f"{tier.name}.long_burn"] >= threshold)
                & (result.frame[f"{tier.name}.short_burn"] >= threshold)).to_numpy()
        np.testing.assert_array_equal(fires | low, both)  # every alert condition is either a page or a warning
        assert not (fires & low).any()

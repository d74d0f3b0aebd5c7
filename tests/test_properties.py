"""Invariants as properties (hypothesis, derandomized: the same examples on every run and machine).

Over whole shifts (random seeds and break modes of ``run_shift``): the trace's seq is 1..N with time never
going backwards (ties in emission order); every alert of the shift's storm is accounted for exactly once, and
every incident's alerts are its own; cumulative bad events never decrease. Over the engines: the burn rate rises
with the error ratio (and a tier that fires keeps firing, no later, at a higher ratio); identical canary samples
pass; for metrics judged in direction ``either`` the canary judge is symmetric.

The correlator's accounting over random storms is in tests/test_correlate.py; budget spent never going back on
random counts is in tests/test_burn.py: not repeated here.
"""
from __future__ import annotations

from dataclasses import replace

import json
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.incident_response.burn import explain, window_burn_rates
from oncall.scenario import BREAK_MODES, load_scenario
from oncall.support_desk.correlate import REASONS
from oncall.trace import MODULES, PHASES

DETERMINISTIC = dict(derandomize=True, database=None, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SHIFTS = settings(max_examples=8, **DETERMINISTIC)      # a shift takes about 0.3 s

seeds = st.integers(min_value=0, max_value=2**32 - 1)
modes = st.sampled_from(BREAK_MODES)


@lru_cache(maxsize=1)
def _scenario():
    return load_scenario("bad-deploy")


@lru_cache(maxsize=64)
def _shift(seed: int, mode: str):
    from oncall.shift import run_shift

    return run_shift(_scenario(), seed, mode)


# --- the trace ---------------------------------------------------------------------------------------------------

@pytest.mark.slow
@SHIFTS
@given(seed=seeds, mode=modes)
def test_trace_seq_is_1_to_n_and_time_never_goes_backwards(seed, mode):
    record = _shift(seed, mode)
    events = record.trace.events
    assert events, "an empty trace"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(a.t <= b.t for a, b in zip(events, events[1:]))
    emitted = {id(e): i for i, e in enumerate(record.trace._emitted)}
    for a, b in zip(events, events[1:]):
        if a.t == b.t:                                   # ties keep the order they were emitted in
            assert emitted[id(a)] < emitted[id(b)]
    lines = record.trace.to_jsonl().splitlines()
    assert len(lines) == len(events)
    for n, line in enumerate(lines, start=1):
        doc = json.loads(line)
        assert doc["seq"] == n and set(doc) == {"seq", "t", "module", "phase", "kind", "message", "refs"}
        assert doc["module"] in MODULES and doc["phase"] in PHASES and doc["t"].endswith("Z")
    assert [json.loads(line)["t"] for line in lines] == sorted(json.loads(line)["t"] for line in lines)


# --- every alert accounted for exactly once, over the shift's own storm ------------------------------------------

@pytest.mark.slow
@SHIFTS
@given(seed=seeds, mode=modes)
def test_every_alert_of_the_shift_is_accounted_for_exactly_once(seed, mode):
    record = _shift(seed, mode)
    alerts, c = record.alerts, record.correlation
    a = c.assignment
    assert len(a) == len(alerts) and a.index.equals(alerts.index)
    in_incident = a.str.startswith("INC-")
    assert (in_incident | a.isin(REASONS)).all()                     # an incident or one drop reason, never both
    assert int(c.incidents["rows"].sum()) + len(c.dropped) == len(alerts)
    assert record.metrics["alerts_total"] == len(alerts)
    # an alert instance (fingerprint, startsAt) lands in one incident; a label set that fires again hours
    # later is a new alert and may open a new incident
    kept = alerts[in_incident.to_numpy()].assign(incident=a[in_incident])
    per_instance = kept.groupby(["fingerprint", "starts_at"])["incident"].nunique()
    assert (per_instance == 1).all(), per_instance[per_instance > 1].head()
    for row in c.incidents.itertuples(index=False):
        assert set(row.fingerprints) == set(kept.loc[kept.incident == row.id, "fingerprint"])
    # the trace tells each alert's story once: one alert.fired per alert instance
    firing = alerts[alerts.status == "firing"].drop_duplicates(["fingerprint", "starts_at"])
    assert len(record.trace.of_kind("alert.fired")) == len(firing)
    opened = [e.refs["incident"] for e in record.trace.of_kind("incident.opened")]
    assert sorted(opened) == sorted(c.incidents["id"]) and len(set(opened)) == len(opened)


def _alert_event_incidents(record, kind: str, status: str):
    """(what the trace says, what the correlator decided) for each alert instance's alert.fired / .resolved."""
    alerts, a = record.alerts, record.correlation.assignment
    rows = alerts[alerts.status == status].drop_duplicates(["fingerprint", "starts_at"])
    truth = [(row.fingerprint, row.received_at.to_pydatetime(),
              a.iat[i] if a.iat[i].startswith("INC-") else None) for i, row in zip(rows.index, rows.itertuples())]
    said = [(e.refs["fingerprint"], e.t, e.refs.get("incident")) for e in record.trace._emitted if e.kind == kind]
    return said, truth


@pytest.mark.parametrize("seed", [137])
def test_alert_events_name_the_incident_of_their_own_instance(seed):
    record = _shift(seed, "none")
    for kind, status in (("alert.fired", "firing"), ("alert.resolved", "resolved")):
        said, truth = _alert_event_incidents(record, kind, status)
        if kind == "alert.fired":
            assert said == truth
        else:   # a resolved row of an instance that opened an incident belongs to that incident
            assert [s[2] for s in said] == [t[2] for t in truth]


# --- cumulative bad events never decrease ------------------------------------------------------------------------

@pytest.mark.slow
@SHIFTS
@given(seed=seeds, mode=modes)
def test_cumulative_bad_events_never_decrease(seed, mode):
    record = _shift(seed, mode)
    for name, slo in record.slos.items():
        bad, total = slo.bad_and_total(record.service)
        assert (bad >= 0).all() and (bad <= total).all(), name
        assert (np.diff(np.cumsum(bad)) >= 0).all(), name
        spent = record.evaluations[name].frame["budget_consumed_pct"].to_numpy()
        assert (spent >= 0).all() and (np.diff(spent) >= -1e-9).all(), name
    assert record.metrics["budget_consumed_pct"] >= 0


# --- burn rate rises with the error ratio ------------------------------------------------------------------------

ratios = st.floats(min_value=0, max_value=1, allow_nan=False)
objectives = st.sampled_from([0.9, 0.99, 0.995, 0.999, 0.9995, 0.9999])


@pytest.mark.slow
@settings(max_examples=25, **DETERMINISTIC)
@given(objective=objectives, a=ratios, b=ratios)
def test_burn_rate_and_alerting_rise_with_the_error_ratio(objective, a, b):
    low, high = sorted((a, b))
    lo, hi = explain(objective, low), explain(objective, high)
    assert lo["burn_rate"] <= hi["burn_rate"]
    if lo["time_to_exhaustion_h"] is not None:
        assert hi["time_to_exhaustion_h"] is not None and hi["time_to_exhaustion_h"] <= lo["time_to_exhaustion_h"]
    for t_lo, t_hi in zip(lo["tiers"], hi["tiers"]):
        if t_lo["fires"]:                                  # a tier that fires keeps firing, and no later
            assert t_hi["fires"] and t_hi["fires_after_min"] <= t_lo["fires_after_min"] + 1e-9


@settings(max_examples=60, **DETERMINISTIC)
@given(rows=st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000)),
                     min_size=1, max_size=300),
       window=st.integers(1, 60), objective=objectives)
def test_burn_rate_rises_with_bad_events_in_every_window(rows, window, objective):
    total = np.array([t for t, _, _ in rows])
    few = np.array([min(x, y, t) for t, x, y in rows])
    more = np.array([min(max(x, y), t) for t, x, y in rows])          # more bad events, same traffic
    r_few = window_burn_rates(few, total, 1 - objective, window)
    r_more = window_burn_rates(more, total, 1 - objective, window)
    assert (r_more >= r_few - 1e-9 * np.maximum(1, r_few)).all()


# --- the canary judge ---------------------------------------------------------------------------------------------

from oncall.release_ops import canary  # noqa: E402  (a missing judge fails here, never skips these tests)


@st.composite
def samples(draw):
    n = draw(st.integers(10, 40))
    rows = []
    for _ in range(n):
        requests = draw(st.integers(10, 2000))
        graded = draw(st.integers(3, max(3, requests // 10)))
        rows.append({"requests": requests, "errors": draw(st.integers(0, requests)),
                     "slow": draw(st.integers(0, requests)), "graded": graded,
                     "correct": draw(st.integers(0, graded)),
                     "latency_p95_ms": draw(st.floats(50, 20_000, allow_nan=False)),
                     "tokens_per_request": draw(st.floats(10, 5_000, allow_nan=False))})
    return pd.DataFrame(rows)


@settings(max_examples=40, **DETERMINISTIC)
@given(frame=samples(), shuffle=st.integers(0, 2**16))
def test_identical_canary_samples_pass(frame, shuffle):
    """The comparison never fails a canary that is its baseline; with the SLO guard on (the course's default), a
    metric of such a canary fails only where the canary's own ratio breaks its SLO, whatever the baseline does."""
    twin = frame.sample(frac=1, random_state=shuffle).reset_index(drop=True)   # the same samples, another order
    judgment = canary.judge(frame, twin, replace(_judge_config(), slo_guard=False))
    assert judgment.verdict == "pass" and judgment.score == 100, judgment.reason
    assert all(m.classification == "pass" for m in judgment.metrics)
    guarded = canary.judge(frame, twin, _judge_config())
    assert _judge_config().slo_guard
    for m in guarded.metrics:
        assert m.classification == "pass" or m.slo_broken, (m.name, m.classification)


@lru_cache(maxsize=1)
def _judge_config():
    from oncall.paths import DATA_DIR

    return canary.load_config(DATA_DIR / "canary" / "judge.yaml")


# Metrics are non-negative (latencies, counts, ratios): with a negative mean, Kayenta's mean-ratio effect size
# changes sign and the judge is no longer symmetric (baseline [-1], canary [1] passes; swapped it is Low).
values = st.lists(st.floats(0, 1e6, allow_nan=False).map(lambda x: round(x, 3)), min_size=1, max_size=40)


@settings(max_examples=150, **DETERMINISTIC)
@given(baseline=values, candidate=values, shift=st.floats(0, 1e3, allow_nan=False))
def test_either_direction_is_symmetric(baseline, candidate, shift):
    spec = canary.MetricSpec("m", "either", min_samples=1)
    moved = [round(x + shift, 3) for x in candidate]
    forward = canary.classify_rank(spec, baseline, moved).classification
    backward = canary.classify_rank(spec, moved, baseline).classification
    assert (forward, backward) in {("pass", "pass"), ("high", "low"), ("low", "high"), ("nodata", "nodata")}

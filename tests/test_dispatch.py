"""The dispatcher's two algorithms are one model: ``dispatch.notifications`` (vectorized, the correlator's totals)
gives exactly the notifications of ``dispatch.deliver`` (alert by alert, the storm's webhook rows) for the same
alert instances: the same count, time, group and kind of each (hypothesis, derandomized)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.support_desk import dispatch

T0 = pd.Timestamp("2025-03-14T22:00:00Z")
SEC = 1_000_000_000
GROUP_BY = ("alertname",)
DETERMINISTIC = dict(derandomize=True, database=None, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _config(gw: int, gi: int, ri: int):
    storm = SimpleNamespace(group_by=GROUP_BY, group_wait_s=gw, resend_interval_s=gi, repeat_interval_s=ri)
    cfg = SimpleNamespace(group_by=GROUP_BY, group_wait_s=gw, group_interval_s=gi, repeat_interval_s=ri)
    return storm, cfg


def both(instances, gw: int, gi: int, ri: int):
    """(time ns, group key, alerts, kind) of every notification, from ``deliver`` and from ``notifications``.
    ``instances``: (group, start s, end s or None). The horizon takes in every notification an event causes."""
    storm, cfg = _config(gw, gi, ri)
    alerts = [{"labels": {"alertname": f"A{g}"}, "start": T0 + pd.Timedelta(seconds=s),
               "end": None if e is None else T0 + pd.Timedelta(seconds=e)} for g, s, e in instances]
    last = max(max(s, s if e is None else e) for _, s, e in instances)
    horizon = (T0 + pd.Timedelta(seconds=last + gw + gi)).value
    notes = dispatch._deliver_notes(alerts, storm, T0 - pd.Timedelta(hours=1), pd.Timestamp(horizon + 1, tz="UTC"))
    want = sorted((int(tick), key, len(sent), kind) for tick, key, kind, sent in notes)

    names = [f'{{}}:{{alertname="A{g}"}}' for g in range(1 + max(g for g, _, _ in instances))]
    ends = [(g, e) for g, _, e in instances if e is not None]
    group = np.array([g for g, _, _ in instances] + [g for g, _ in ends], dtype=np.int64)
    t = np.array([a["start"].value for a in alerts] + [(T0 + pd.Timedelta(seconds=e)).value for _, e in ends],
                 dtype=np.int64)
    delta = np.r_[np.ones(len(instances), np.int64), -np.ones(len(ends), np.int64)]
    out = dispatch.notifications(group, names, t, delta, cfg, horizon)
    got = sorted(zip(out["time"].astype("int64").tolist(), out["group_key"].astype(str).tolist(),
                     out["alerts"].tolist(), out["kind"].astype(str).tolist()))
    return want, got


# Times in whole seconds on a scale of the timers, so ticks, flushes and arrivals often coincide.
instance = st.tuples(st.integers(0, 2), st.integers(0, 1500),
                     st.one_of(st.none(), st.integers(0, 700))).map(
    lambda x: (x[0], x[1], None if x[2] is None else x[1] + x[2]))
timers = st.sampled_from([(30, 300, 900), (30, 60, 150), (0, 60, 60), (45, 20, 100), (10, 30, 3600)])


@settings(max_examples=400, **DETERMINISTIC)
@given(instances=st.lists(instance, min_size=1, max_size=25), timers=timers)
def test_notifications_are_delivers_notifications(instances, timers):
    want, got = both(instances, *timers)
    assert got == want


def test_an_alert_after_the_empty_flush_starts_a_new_group():
    # A resolves at 100 s; the group flushes at 300 s (group_wait 0, interval 300) and finds nothing firing, so
    # it is deleted there: B at 350 s (less than one interval after A's end) starts it anew, flushed at once.
    want, got = both([(0, 0, 100), (0, 350, 400)], 0, 300, 3600)
    assert got == want
    assert [(n[0] - T0.value) // SEC for n in got] == [0, 300, 350, 650]
    assert [n[3] for n in got] == ["first", "update", "first", "update"]
    # B at 250 s, before that flush, joins the old group on its ticks.
    want, got = both([(0, 0, 100), (0, 250, 400)], 0, 300, 3600)
    assert got == want
    assert [((n[0] - T0.value) // SEC, n[2], n[3]) for n in got] == [(0, 1, "first"), (300, 2, "update"),
                                                                     (600, 1, "update")]

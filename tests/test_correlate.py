"""M32: grouping, inhibition, silences and dedup (in the order Alertmanager runs them), and correlation of an alert
storm (oncall.support_desk.correlate)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall.errors import BadInput
from oncall.support_desk.alerts import fingerprint, parse_payloads
from oncall.support_desk.correlate import (
    REASONS, AlertingConfig, Correlation, alerting_config_from_dict, correlate, load_alerting_config,
    load_topology, naive_one_incident_per_alertname, noise_reduction_pct, pairwise_precision_recall,
    parse_duration, parse_matcher, to_json, topology_from_dict)

ROOT = Path(__file__).resolve().parent.parent
T0 = pd.Timestamp("2025-03-14T02:00:00Z")


def mk(*rows) -> pd.DataFrame:
    """An alert frame from (alertname, minute received, overrides) rows; starts_at defaults to received."""
    out = []
    for name, minute, *rest in rows:
        o = rest[0] if rest else {}
        labels = {"alertname": name, "service": o.get("service", "support-assistant"),
                  "component": o.get("component", "agent"), "severity": o.get("severity", "warning"),
                  **o.get("labels", {})}
        received = T0 + pd.Timedelta(minutes=minute)
        start = T0 + pd.Timedelta(minutes=o.get("start", minute))
        status = o.get("status", "firing")
        out.append({"fingerprint": fingerprint(labels), "alertname": name, "service": labels["service"],
                    "component": labels["component"], "severity": labels["severity"], "status": status,
                    "starts_at": start, "ends_at": received if status == "resolved" else pd.NaT,
                    "received_at": received, "labels": labels, "annotations": o.get("annotations", {"summary": name}),
                    "true_cause": o.get("cause", "x")})
    f = pd.DataFrame(out)
    for c in ("starts_at", "ends_at", "received_at"):
        f[c] = pd.to_datetime(f[c], utc=True)
    return f


def cfg(**over) -> AlertingConfig:
    doc = {"route": {"group_by": ["alertname", "service"], "group_wait": "30s", "group_interval": "5m",
                     "repeat_interval": "4h"}}
    doc.update(over)
    return alerting_config_from_dict(doc, "test.yaml")


def reasons(c: Correlation) -> list[str]:
    return list(c.assignment)


# ---------------------------------------------------------------- config parsing

def test_durations_and_matchers():
    assert parse_duration("30s") == 30 and parse_duration("1h30m") == 5400 and parse_duration("4h") == 14400
    m = parse_matcher('severity=~"page|critical"')
    assert (m.name, m.op, m.value) == ("severity", "=~", "page|critical")
    assert m.test("page") and not m.test("pager")  # anchored, as Alertmanager
    assert parse_matcher("service!=").test("x") and not parse_matcher("service!=").test("")
    assert parse_matcher("alertname = Foo").value == "Foo"
    with pytest.raises(BadInput, match="inhibit_rules\\[0\\].source_matchers\\[0\\]"):
        cfg(inhibit_rules=[{"source_matchers": ["not a matcher"], "target_matchers": ['a="b"']}])
    with pytest.raises(BadInput, match="route.group_wait"):
        alerting_config_from_dict({"route": {"group_wait": "soon"}}, "x.yaml")
    with pytest.raises(BadInput, match="silences\\[0\\].endsAt"):
        cfg(silences=[{"matchers": ['a="b"'], "startsAt": "2025-03-14T02:00:00Z", "endsAt": "2025-03-14T01:00:00Z"}])


def test_shipped_config_and_topology_load():
    c = load_alerting_config()
    assert c.group_wait_s == 30 and c.group_interval_s == 300 and c.repeat_interval_s == 14400
    assert len(c.inhibit_rules) >= 2 and len(c.silences) >= 1
    t = load_topology()
    sa = {t.cluster("support-assistant", x) for x in ("gateway", "agent", "retriever", "index", "llm-provider",
                                                         "tool-orders", "node", "db", "")}
    assert len(sa) == 1
    assert t.cluster("billing-portal", "db") not in sa and t.cluster("billing-portal", "api") not in sa
    assert t.cluster("unknown", "x") not in sa


# ---------------------------------------------------------------- pipeline steps

def test_empty_payload_gives_no_incidents():
    f = parse_payloads((ROOT / "data/alerts/empty.json").read_text(), "empty.json")
    c = correlate(f, load_alerting_config(), load_topology())
    j = to_json(c)
    assert j["incidents"] == [] and j["dropped"] == [] and len(c.notifications) == 0


def test_resends_are_duplicates():
    f = mk(("A", 0), ("A", 5, {"start": 0}), ("A", 10, {"start": 0}), ("A", 12, {"start": 0, "status": "resolved"}))
    c = correlate(f, cfg())
    assert reasons(c) == ["INC-0001", "duplicate", "duplicate", "INC-0001"]
    assert c.incidents.loc[0, "alerts"] == 1 and c.incidents.loc[0, "status"] == "resolved"


def test_flapping_refires_with_same_content_are_duplicates_but_changed_content_is_not():
    flap = mk(("A", 0), ("A", 2, {"start": 0, "status": "resolved"}), ("A", 4), ("A", 6, {"start": 4, "status": "resolved"}))
    assert reasons(correlate(flap, cfg())) == ["INC-0001", "INC-0001", "duplicate", "duplicate"]
    changed = mk(("A", 0), ("A", 4, {"annotations": {"summary": "worse"}}))
    assert reasons(correlate(changed, cfg())) == ["INC-0001", "INC-0001"]
    late = mk(("A", 0), ("A", 45))  # beyond the flap window: a new instance, and beyond the incident window
    assert reasons(correlate(late, cfg())) == ["INC-0001", "INC-0002"]


RULE = {"source_matchers": ['alertname="ToolAPIErrors"'], "target_matchers": ['component=~"agent|gateway"', 'alertname!="ToolAPIErrors"'],
        "equal": ["service"]}


def test_inhibition_by_a_firing_source_with_equal_labels():
    f = mk(("ToolAPIErrors", 0, {"component": "tool-orders", "severity": "critical"}), ("AgentErrors", 1),
           ("GatewayErrors", 1, {"component": "gateway"}), ("RetrieverSlow", 1, {"component": "retriever"}))
    c = correlate(f, cfg(inhibit_rules=[RULE]))
    assert reasons(c) == ["INC-0001", "inhibited", "inhibited", "INC-0001"]
    assert set(c.dropped["detail"]) == {"inhibit_rules[0]"}


def test_equal_label_mismatch_does_not_inhibit():
    f = mk(("ToolAPIErrors", 0, {"component": "tool-orders", "service": "other"}), ("AgentErrors", 1))
    assert "inhibited" not in reasons(correlate(f, cfg(inhibit_rules=[RULE])))
    # A label missing on both sides counts as equal (""), as in Alertmanager.
    rule = dict(RULE, equal=["service", "slo"])
    f2 = mk(("ToolAPIErrors", 0, {"component": "tool-orders"}), ("AgentErrors", 1))
    assert reasons(correlate(f2, cfg(inhibit_rules=[rule])))[1] == "inhibited"
    f3 = mk(("ToolAPIErrors", 0, {"component": "tool-orders", "labels": {"slo": "a"}}), ("AgentErrors", 1, {"labels": {"slo": "b"}}))
    assert reasons(correlate(f3, cfg(inhibit_rules=[rule])))[1] != "inhibited"


def test_a_resolved_source_does_not_inhibit():
    f = mk(("ToolAPIErrors", 0, {"component": "tool-orders"}),
           ("ToolAPIErrors", 2, {"component": "tool-orders", "start": 0, "status": "resolved"}), ("AgentErrors", 10))
    assert reasons(correlate(f, cfg(inhibit_rules=[RULE])))[2] == "INC-0001"
    # A source seen only as resolved (ended before the target) does not inhibit either.
    g = mk(("ToolAPIErrors", 2, {"component": "tool-orders", "start": 0, "status": "resolved"}), ("AgentErrors", 10))
    assert reasons(correlate(g, cfg(inhibit_rules=[RULE]))) == ["resolved", "INC-0001"]


def test_page_burn_inhibits_ticket_burn_for_same_slo_only():
    rule = {"source_matchers": ['alertname="ErrorBudgetBurn"', 'severity="page"'],
            "target_matchers": ['alertname="ErrorBudgetBurn"', 'severity="ticket"'], "equal": ["service", "slo"]}
    f = mk(("ErrorBudgetBurn", 0, {"severity": "page", "labels": {"slo": "availability"}}),
           ("ErrorBudgetBurn", 3, {"severity": "ticket", "labels": {"slo": "availability"}}),
           ("ErrorBudgetBurn", 4, {"severity": "ticket", "labels": {"slo": "latency"}}))
    assert reasons(correlate(f, cfg(inhibit_rules=[rule]))) == ["INC-0001", "inhibited", "INC-0001"]


def test_two_sided_match_does_not_inhibit_itself():
    rule = {"source_matchers": ['severity="critical"'], "target_matchers": ['severity="critical"'], "equal": ["service"]}
    f = mk(("A", 0, {"severity": "critical"}), ("B", 1, {"severity": "critical"}))
    assert "inhibited" not in reasons(correlate(f, cfg(inhibit_rules=[rule])))


def test_silences_mute_matching_alerts_inside_their_window():
    sil = [{"matchers": ['component="node"', 'instance="node-3"'], "startsAt": "2025-03-14T02:00:00Z",
            "endsAt": "2025-03-14T03:00:00Z", "comment": "maintenance"}]
    f = mk(("NodeCPUHigh", 5, {"component": "node", "labels": {"instance": "node-3"}}),
           ("NodeCPUHigh", 6, {"component": "node", "labels": {"instance": "node-1"}}),
           ("NodeCPUHigh", 70, {"component": "node", "labels": {"instance": "node-3"}}))
    c = correlate(f, cfg(silences=sil))
    assert reasons(c) == ["silenced", "INC-0001", "INC-0002"]
    assert list(c.dropped["detail"]) == ["silences[0]"]


def test_resolved_only_and_info_alerts_open_no_incident():
    f = mk(("Old", 3, {"start": 0, "status": "resolved"}), ("Watchdog", 0, {"severity": "none"}))
    c = correlate(f, cfg())
    assert reasons(c) == ["resolved", "noise"] and len(c.incidents) == 0
    assert len(c.notifications) == 1  # the Watchdog is still delivered; it just is not an incident


def test_min_alerts_threshold_makes_small_incidents_noise():
    f = mk(("A", 0), ("B", 1), ("C", 60, {"service": "other"}))
    assert reasons(correlate(f, cfg(), min_alerts=2)) == ["INC-0001", "INC-0001", "noise"]


def test_group_wait_interval_and_repeat_notification_counts():
    # One group. A at 0 -> first notification at 0:30; B and C at 1 and 2 min -> one update at 5:30;
    # nothing changes until 10 h -> repeats every 4 h after 5:30 (at 4:05:30 and 8:05:30); 4 in all.
    f = mk(("A", 0, {"labels": {"i": "1"}}), ("A", 1, {"labels": {"i": "2"}}), ("A", 2, {"labels": {"i": "3"}}))
    n = correlate(f, cfg(), until=T0 + pd.Timedelta(hours=10)).notifications
    assert list(n["kind"]) == ["first", "update", "repeat", "repeat"]
    assert list(n["alerts"]) == [1, 3, 3, 3]
    assert list(n["time"] - T0) == [pd.Timedelta(s) for s in ("30s", "5min30s", "4h5min30s", "8h5min30s")]
    # All resolved at 20 min: one resolved notification at the next tick, then no repeats.
    g = pd.concat([f, mk(*[("A", 20, {"start": k, "status": "resolved", "labels": {"i": str(k + 1)}}) for k in range(3)])],
                  ignore_index=True)
    n2 = correlate(g, cfg(), until=T0 + pd.Timedelta(hours=10)).notifications
    assert list(n2["kind"]) == ["first", "update", "update"]
    assert n2["time"].iloc[-1] - T0 == pd.Timedelta("20min30s")
    # A second group notifies independently; a short group_interval sends each change on its own tick.
    h = pd.concat([f, mk(("B", 1))], ignore_index=True)
    assert len(correlate(h, cfg()).notifications) == 3
    fast = alerting_config_from_dict({"route": {"group_wait": "0s", "group_interval": "30s"}}, "x")
    assert len(correlate(f, fast).notifications) == 3


def test_topology_and_time_window_split_incidents():
    topo = load_topology()
    f = mk(("ToolAPIErrors", 0, {"component": "tool-orders"}), ("NodeDiskFull", 3, {"component": "node"}),
           ("BillingAPIErrors", 1, {"service": "billing-portal", "component": "api"}),
           ("AgentErrors", 200))  # more than the window after anything else of its service
    assert reasons(correlate(f, cfg(), topo)) == ["INC-0001", "INC-0001", "INC-0002", "INC-0003"]


def test_a_firing_page_holds_its_incident_open_until_it_resolves():
    """An outage left burning: the page fires once and keeps firing, and its part of the graph alerts again two
    hours later. While the page fires it is one incident; the window counts again from the page's resolution."""
    topo = load_topology()
    page = ("ErrorBudgetBurn", 0, {"severity": "page", "component": ""})
    later = ("ToolAPIErrors", 120, {"component": "tool-orders"})
    burning = mk(page, ("AgentErrors", 1), later)
    assert reasons(correlate(burning, cfg(), topo)) == ["INC-0001", "INC-0001", "INC-0001"]
    # Without holding open (the Keep timeframe rule alone), the late alert opens a second incident.
    assert reasons(correlate(burning, cfg(), topo, hold_open=())) == ["INC-0001", "INC-0001", "INC-0002"]
    # A page resolved at minute 60: an alert 30 minutes later still joins, one 60 minutes later does not.
    resolved = ("ErrorBudgetBurn", 60, {"severity": "page", "component": "", "status": "resolved", "start": 0})
    assert reasons(correlate(mk(page, resolved, ("AgentErrors", 90)), cfg(), topo))[-1] == "INC-0001"
    assert reasons(correlate(mk(page, resolved, ("AgentErrors", 121)), cfg(), topo))[-1] == "INC-0002"
    # A warning that keeps firing holds nothing open.
    warning = ("AgentLatencyHigh", 0, {"severity": "warning"})
    assert reasons(correlate(mk(warning, later), cfg(), topo)) == ["INC-0001", "INC-0002"]


# ---------------------------------------------------------------- accounting (property)

@st.composite
def storms(draw):
    n = draw(st.integers(1, 40))
    rows = []
    for _ in range(n):
        name = draw(st.sampled_from(["ToolAPIErrors", "AgentErrors", "GatewayHTTP5xx", "Watchdog", "NodeCPUHigh"]))
        minute = draw(st.integers(0, 120))
        o = {"service": draw(st.sampled_from(["support-assistant", "billing-portal", "other"])),
             "component": draw(st.sampled_from(["agent", "gateway", "tool-orders", "node", "api", ""])),
             "severity": draw(st.sampled_from(["critical", "warning", "page", "ticket", "none"])),
             "status": draw(st.sampled_from(["firing", "firing", "resolved"])),
             "start": minute - draw(st.integers(0, 10)),
             "labels": {"instance": draw(st.sampled_from(["node-1", "node-3", "i"]))}}
        rows.append((name, minute, o))
    return mk(*rows)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(storms())
def test_every_alert_is_accounted_for_exactly_once(frame):
    c = correlate(frame, load_alerting_config(), load_topology())
    a = c.assignment
    assert len(a) == len(frame) and a.index.equals(frame.index)
    inc = a.str.startswith("INC-")
    assert (inc | a.isin(REASONS)).all()
    assert sorted(c.dropped["row"]) == list(np.flatnonzero(~inc.to_numpy()))
    assert c.incidents["rows"].sum() == inc.sum()
    assert set(c.incidents["id"]) == set(a[inc])
    ids = sorted(set(a[inc]))
    assert ids == [f"INC-{i:04d}" for i in range(1, len(ids) + 1)]
    j = to_json(c)
    assert len(j["dropped"]) + sum(i["rows"] for i in j["incidents"]) == len(frame)
    # Deterministic and independent of row order's labels.
    assert correlate(frame, load_alerting_config(), load_topology()).assignment.equals(a)


# ---------------------------------------------------------------- the sample storm

@pytest.fixture(scope="module")
def storm():
    f = parse_payloads((ROOT / "data/alerts/storm.jsonl").read_text(), "storm.jsonl")
    return f, correlate(f, load_alerting_config(), load_topology())


def test_sample_storm_collapses_into_the_deploy_and_the_background_incident(storm):
    f, c = storm
    assert len(c.incidents) == 2
    causes = f.groupby(c.assignment)["true_cause"].agg(set)
    assert causes["INC-0001"] == {"billing-db"} and causes["INC-0002"] == {"bad-deploy"}
    assert c.incidents.set_index("id").loc["INC-0001", "services"] == ["billing-portal"]
    assert set(c.dropped["reason"]) == set(REASONS)
    p, r = pairwise_precision_recall(c.assignment, f["true_cause"])
    assert p == 1.0 and r == 1.0
    j = to_json(c)
    assert {"incidents", "dropped"} <= set(j) and all({"id", "fingerprints"} <= set(i) for i in j["incidents"])
    assert all({"fingerprint", "reason"} <= set(d) for d in j["dropped"])
    assert j["notifications_sent"] < j["alerts_total"] and j["noise_reduction_pct"] > 50


def test_naive_baseline_gives_many_more_incidents(storm):
    f, c = storm
    naive = naive_one_incident_per_alertname(f)
    assert naive.str.startswith("NAIVE-").sum() > 0
    assert naive[naive.str.startswith("NAIVE-")].nunique() >= 5 * len(c.incidents)
    p, r = pairwise_precision_recall(naive, f["true_cause"])
    assert r < 1.0


def test_pairwise_precision_recall_and_noise_reduction():
    assignment = pd.Series(["INC-1", "INC-1", "INC-1", "INC-2", "duplicate"])
    truth = pd.Series(["a", "a", "b", "b", "a"])
    p, r = pairwise_precision_recall(assignment, truth)
    assert p == pytest.approx(1 / 3) and r == pytest.approx(1 / 2)  # 3 same-incident pairs, 2 same-cause pairs
    assert noise_reduction_pct(200, 10) == pytest.approx(95.0) and noise_reduction_pct(0, 0) == 0.0


def test_topology_rejects_bad_files():
    with pytest.raises(BadInput, match="services"):
        topology_from_dict({"nodes": []}, "t.yaml")


def test_a_flapping_page_holds_until_its_last_refire_resolves_and_holds_only_its_own_part():
    topo = load_topology()
    page = {"severity": "page", "component": ""}
    flapping = mk(("ErrorBudgetBurn", 0, page), ("AgentErrors", 1),
                  ("ErrorBudgetBurn", 2, {**page, "status": "resolved", "start": 0}),
                  ("ErrorBudgetBurn", 4, page),            # re-fires with the same content (a duplicate), burns on
                  ("ToolAPIErrors", 120, {"component": "tool-orders"}))
    assert reasons(correlate(flapping, cfg(), topo)) == ["INC-0001", "INC-0001", "INC-0001", "duplicate", "INC-0001"]
    # Another service's alerts are not held open by this page.
    other = mk(("ErrorBudgetBurn", 0, page), ("BillingAPIErrors", 1, {"service": "billing-portal", "component": "api"}),
               ("BillingWebErrors", 120, {"service": "billing-portal", "component": "web"}))
    assert reasons(correlate(other, cfg(), topo)) == ["INC-0001", "INC-0002", "INC-0003"]
    # A bare string names one severity (not its letters), and times before 1970 do not overflow.
    assert reasons(correlate(flapping, cfg(), topo, hold_open="page")) == reasons(correlate(flapping, cfg(), topo))
    early = mk(("ErrorBudgetBurn", 0, page), ("AgentErrors", 1))
    for column in ("starts_at", "received_at"):
        early[column] -= pd.Timedelta(days=365 * 60)
    assert reasons(correlate(early, cfg(), topo)) == ["INC-0001", "INC-0001"]


def _covered_reference(src_key, src_start, src_end, tgt_key, tgt_t):
    """``correlate._covered`` as pandas says it: intervals merged per key (groupby cummax), each target matched to
    the last merged block of its key starting at or before it (merge_asof backward)."""
    o = np.lexsort((src_start, src_key))
    k, s, e = src_key[o], src_start[o], src_end[o]
    run_end = pd.Series(e).groupby(k).cummax().to_numpy()
    new = np.ones(len(k), dtype=bool)
    new[1:] = (k[1:] != k[:-1]) | (s[1:] > run_end[:-1])
    block = np.cumsum(new) - 1
    b_end = pd.Series(e).groupby(block).max().to_numpy()
    left = pd.DataFrame({"t": tgt_t, "key": tgt_key, "pos": np.arange(len(tgt_t))}).sort_values("t", kind="stable")
    right = pd.DataFrame({"t": s[new], "key": k[new], "end": b_end}).sort_values("t", kind="stable")
    merged = pd.merge_asof(left, right, on="t", by="key", direction="backward")
    hit = np.zeros(len(tgt_t), dtype=bool)
    end = merged["end"].to_numpy(dtype=float)
    hit[merged["pos"].to_numpy()] = ~np.isnan(end) & (merged["t"].to_numpy(dtype=float) < end)
    return hit


def test_covered_is_the_pandas_merge_of_intervals():
    from oncall.support_desk.correlate import _covered

    rng = np.random.default_rng(5)
    never = np.iinfo(np.int64).max
    for _ in range(400):
        ns, nt, keys = int(rng.integers(1, 25)), int(rng.integers(1, 25)), int(rng.integers(1, 4))
        base, span = int(rng.choice([0, 1_700_000_000_000_000_000])), int(rng.choice([5, 30, 10**6]))
        src_key = rng.integers(0, keys, ns).astype(np.int64)
        start = base + rng.integers(0, span, ns).astype(np.int64)
        end = start + rng.integers(-3, span, ns).astype(np.int64)      # a few end before they start
        end[rng.random(ns) < 0.2] = never                                # still firing
        tgt_key = rng.integers(0, keys + 1, nt).astype(np.int64)         # some keys without a source
        t = base + rng.integers(-2, span + 3, nt).astype(np.int64)
        tie = rng.random(nt) < 0.3
        t[tie] = start[rng.integers(0, ns, int(tie.sum()))]              # targets at a source's start
        want = _covered_reference(src_key, start, end, tgt_key, t)
        assert (_covered(src_key, start, end, tgt_key, t) == want).all()

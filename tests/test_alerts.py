"""M32: the alert frame and Alertmanager v4 webhook payloads (oncall.support_desk.alerts)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from oncall.errors import BadInput
from oncall.support_desk.alerts import FRAME_COLUMNS, fingerprint, parse_payloads, to_payloads

DATA = Path(__file__).resolve().parent.parent / "data" / "alerts"


def alert(name="A", status="firing", **over):
    a = {"status": status, "labels": {"alertname": name, "service": "support-assistant", "severity": "warning"},
         "annotations": {"summary": "s"}, "startsAt": "2025-03-14T02:05:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://g"}
    a.update(over)
    return a


def payload(*alerts, **over):
    p = {"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "r", "alerts": list(alerts)}
    p.update(over)
    return p


def test_fingerprint_matches_prometheus_common_test_vectors():
    # prometheus/common model TestMetricToFingerprint: the empty set and a two-label set.
    assert fingerprint({}) == f"{14695981039346656037:016x}"
    assert fingerprint({"name": "garland, briggs", "fear": "love is not enough"}) == f"{5799056148416392346:016x}"


def test_fingerprint_matches_a_real_alertmanager_webhook():
    # A webhook payload captured from Alertmanager (liamkelly15-maker/pythonwebhook, testcurl7.sh).
    labels = {"alertname": "Deployment", "app_kubernetes_io_instance": "eric-oss-common-base",
              "app_kubernetes_io_managed_by": "Helm", "app_kubernetes_io_name": "eric-pm-kube-state-metrics",
              "app_kubernetes_io_version": "2.1.0_10", "chart": "eric-pm-kube-state-metrics-2.1.0_10",
              "deployment": "eric-log-transformer", "instance": "192.168.69.53:8080",
              "job": "eric-pm-kube-state-metrics", "kubernetes_name": "eric-pm-kube-state-metrics",
              "kubernetes_namespace": "eric-eo-cm-ci406", "namespace": "eric-eo-cm-ci406", "severity": "Warning"}
    assert fingerprint(labels) == "fbab788ec4c1018b"


def test_fingerprint_order_independent_and_separator_matters():
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})
    assert len(fingerprint({"x": "é"})) == 16


def test_three_input_shapes_give_the_same_frame():
    p1, p2 = payload(alert("A")), payload(alert("B", status="resolved", endsAt="2025-03-14T02:09:00.5+00:00"))
    as_obj = parse_payloads(json.dumps(p1), "x.json")
    as_list = parse_payloads(json.dumps([p1, p2]), "x.json")
    as_lines = parse_payloads(json.dumps(p1) + "\n\n" + json.dumps(p2) + "\n", "x.jsonl")
    assert list(as_obj.columns) == list(FRAME_COLUMNS)
    assert len(as_obj) == 1 and len(as_list) == 2
    pd.testing.assert_frame_equal(as_list, as_lines)
    row = as_list.iloc[1]
    assert row.status == "resolved" and row.ends_at == pd.Timestamp("2025-03-14T02:09:00.5Z")
    assert row.received_at == row.ends_at  # no receivedAt: a resolved alert is sent at its end
    assert pd.isna(as_list.iloc[0].ends_at)  # Alertmanager's zero time
    assert as_list.iloc[0].fingerprint == fingerprint(p1["alerts"][0]["labels"])
    assert str(as_list["starts_at"].dtype) == "datetime64[ns, UTC]"


def test_status_is_authoritative_even_with_odd_ends_at():
    f = parse_payloads(json.dumps(payload(alert(status="resolved"))), "x.json")  # endsAt is the zero time
    assert f.iloc[0].status == "resolved" and pd.isna(f.iloc[0].ends_at)


@pytest.mark.parametrize("text", ["", "   \n", json.dumps(payload()), json.dumps([])])
def test_empty_inputs_give_an_empty_frame(text):
    f = parse_payloads(text, "x.json")
    assert len(f) == 0 and list(f.columns) == list(FRAME_COLUMNS)


@pytest.mark.parametrize("text, field", [
    ('{"version": "4", "alerts": [', "line 1"),
    (json.dumps(payload()) + "\n{oops}\n", "line 2"),
    (json.dumps(payload(version="3")), "version"),
    (json.dumps(payload(version=4)), "version"),
    (json.dumps({"version": "4"}), "alerts"),
    (json.dumps(payload(alerts={"a": 1})), "alerts"),
    (json.dumps(payload(alert(labels=None))), "alerts[0].labels"),
    (json.dumps(payload(alert(), alert(labels={"service": "x"}))), "alerts[1].labels.alertname"),
    (json.dumps(payload(alert(labels={"alertname": "A", "n": 3}))), "alerts[0].labels.n"),
    (json.dumps(payload(alert(status="pending"))), "alerts[0].status"),
    (json.dumps(payload(alert(startsAt="yesterday"))), "alerts[0].startsAt"),
    (json.dumps(payload(alert(endsAt="2025-13-45T00:00:00Z"))), "alerts[0].endsAt"),
    (json.dumps([payload(alert()), payload(alert(startsAt=None))]), "[1]: alerts[0].startsAt"),
    (json.dumps(payload(alert())) + "\n" + json.dumps(payload(alert(startsAt="x"))), "line 2: alerts[0].startsAt"),
    (json.dumps(payload(alert(), receivedAt="soon")), "receivedAt"),
    (json.dumps(alert()), "bare alert"),
    (json.dumps([1]), "[0]"),
])
def test_bad_payloads_raise_bad_input_naming_the_field(text, field):
    with pytest.raises(BadInput) as e:
        parse_payloads(text, "data/x.jsonl")
    assert e.value.line().startswith("data/x.jsonl: ")
    assert field in e.value.line()


def test_to_payloads_round_trip():
    f = parse_payloads((DATA / "storm.jsonl").read_text(), "storm.jsonl")
    again = parse_payloads("\n".join(json.dumps(p) for p in to_payloads(f)), "again.jsonl")
    cols = ["fingerprint", "status", "starts_at", "ends_at", "received_at", "true_cause"]
    key = ["received_at", "fingerprint", "status"]
    pd.testing.assert_frame_equal(f[cols].sort_values(key).reset_index(drop=True),
                                  again[cols].sort_values(key).reset_index(drop=True))
    assert all(p["version"] == "4" and p["groupKey"].startswith("{}:{") for p in to_payloads(f))


def test_sample_files_parse():
    storm = parse_payloads((DATA / "storm.jsonl").read_text(), "storm.jsonl")
    as_list = parse_payloads((DATA / "storm.json").read_text(), "storm.json")
    pd.testing.assert_frame_equal(storm, as_list)
    assert 100 <= len(storm) <= 300
    assert len(parse_payloads((DATA / "page.json").read_text(), "page.json")) >= 1
    assert len(parse_payloads((DATA / "empty.json").read_text(), "empty.json")) == 0

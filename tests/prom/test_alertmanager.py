"""issue 20, 3: the course's Alertmanager model against a running Alertmanager (Debian's 0.25) on 127.0.0.1.

Alertmanager runs with the course's config (data/alerting/alertmanager.yaml; its timers scaled down: group_wait
1 s, group_interval 2 s, repeat_interval 4 s), a webhook receiver of ours on loopback, and the course's silences
posted to its API. The same alerts go to the course's model (correlate.correlate with the same config). Compared:
which alerts are inhibited and silenced, the groups notified, resends, and `oncall correlate` reading the
receiver's capture unchanged. The cases Alertmanager's users trip on are among them: an inhibit rule whose
`equal` labels both sides lack (it still matches), an alert matching both sides of a rule (never inhibited by
it), and the burn tiers (a page inhibits the ticket tiers of its SLO; a faster page tier does not inhibit a slower
page tier: the course's config has no rule for that, in either program).
"""
import json
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
import yaml

from oncall.paths import DATA_DIR
from oncall.support_desk.alerts import fingerprint, parse_payloads
from oncall.support_desk.correlate import alerting_config_from_dict, correlate

from .conftest import Server, free_port, need, skip_unless_selected

pytestmark = pytest.mark.prom

SVC = "support-assistant"
# name -> labels; the expected verdict (None: notified) is checked against both programs
ALERTS = {
    # the NodeDown rule (equal: [service, node]): neither side has `node`, so "" == "" and it still inhibits
    "node-down": {"alertname": "NodeDown", "service": "db", "severity": "page", "component": "node"},
    "db-latency": {"alertname": "DBLatencyHigh", "service": "db", "severity": "warning", "component": "postgres"},
    # the burn tiers: a page inhibits the ticket tiers of the same SLO; a faster page tier not a slower one
    "burn-page-1h": {"alertname": "ErrorBudgetBurn", "service": SVC, "slo": "availability", "severity": "page",
                     "tier": "page-1h"},
    "burn-page-6h": {"alertname": "ErrorBudgetBurn", "service": SVC, "slo": "availability", "severity": "page",
                     "tier": "page-6h"},
    "burn-ticket-1d": {"alertname": "ErrorBudgetBurn", "service": SVC, "slo": "availability", "severity": "ticket",
                       "tier": "ticket-1d"},
    "burn-ticket-latency": {"alertname": "ErrorBudgetBurn", "service": SVC, "slo": "latency", "severity": "ticket",
                            "tier": "ticket-1d"},
    # a rule added for this test: both alerts match its source AND its target side -> neither is inhibited
    "both-a": {"alertname": "BothSides", "service": "lab", "team": "sre", "severity": "warning", "n": "1"},
    "both-b": {"alertname": "BothSides", "service": "lab", "team": "sre", "severity": "warning", "n": "2"},
    # the ToolAPIErrors rule: the tool's page explains the agent's errors
    "tool-page": {"alertname": "ToolAPIErrors", "service": SVC, "severity": "page", "component": "tool-api"},
    "agent-errors": {"alertname": "AgentErrorRate", "service": SVC, "severity": "warning", "component": "agent"},
    # silenced through the API (the course's silence of node-2's disk, moved to now)
    "disk-node-2": {"alertname": "NodeDiskFillingUp", "service": "platform", "instance": "node-2",
                    "severity": "warning", "component": "node"},
}
EXPECTED = {"db-latency": "inhibited", "burn-ticket-1d": "inhibited", "agent-errors": "inhibited",
            "disk-node-2": "silenced"}
TWO_SIDED = {"source_matchers": ['alertname="BothSides"'], "target_matchers": ['team="sre"'], "equal": ["service"]}


class _Capture(BaseHTTPRequestHandler):
    payloads: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.payloads.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    skip_unless_selected()
    tmp = tmp_path_factory.mktemp("am")
    hook = HTTPServer(("127.0.0.1", 0), _Capture)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    config = yaml.safe_load((DATA_DIR / "alerting" / "alertmanager.yaml").read_text())
    config["route"].update(group_wait="1s", group_interval="2s", repeat_interval="4s")
    config["receivers"][0]["webhook_configs"][0]["url"] = f"http://127.0.0.1:{hook.server_port}/alerts"
    config["inhibit_rules"].append(TWO_SIDED)
    (tmp / "am.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    server = Server([need("prometheus-alertmanager"), f"--config.file={tmp / 'am.yml'}",
                     f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
                     "--cluster.listen-address="], f"http://127.0.0.1:{port}/-/ready", tmp / "am.log")
    try:
        yield f"http://127.0.0.1:{port}", config, _Capture.payloads
    finally:
        server.stop()
        hook.shutdown()
        hook.server_close()


def _post(url: str, path: str, doc) -> dict:
    req = urllib.request.Request(url + path, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    return json.loads(text) if text.strip() else {}


def _get(url: str, path: str):
    with urllib.request.urlopen(url + path, timeout=10) as resp:
        return json.loads(resp.read().decode())


def _rfc(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _course_verdicts(config: dict, now: datetime) -> dict:
    """The course's model over the same alerts: one webhook payload of them all, the silence moved to now."""
    start = pd.Timestamp(now) - pd.Timedelta(seconds=1)
    cfg = dict(config, silences=[{"matchers": ['alertname="NodeDiskFillingUp"', 'instance="node-2"'],
                                  "startsAt": _rfc(now - timedelta(minutes=1)),
                                  "endsAt": _rfc(now + timedelta(hours=1))}])
    payload = {"version": "4", "status": "firing", "receiver": "oncall-webhook", "groupKey": "{}:{}",
               "alerts": [{"status": "firing", "labels": labels, "annotations": {}, "startsAt": _rfc(start),
                           "endsAt": "0001-01-01T00:00:00Z", "fingerprint": fingerprint(labels)}
                          for labels in ALERTS.values()]}
    result = correlate(parse_payloads(json.dumps(payload), "<test>"), alerting_config_from_dict(cfg, "<test>"))
    by_fp = dict(zip(result.dropped["fingerprint"], result.dropped["reason"]))
    return {name: by_fp.get(fingerprint(labels)) for name, labels in ALERTS.items()}


def test_alertmanager_and_the_course_agree_on_inhibition_and_silences(alertmanager):
    url, config, payloads = alertmanager
    now = datetime.now(timezone.utc)
    _post(url, "/api/v2/silences", {"matchers": [{"name": "alertname", "value": "NodeDiskFillingUp", "isRegex": False},
                                                 {"name": "instance", "value": "node-2", "isRegex": False}],
                                    "startsAt": _rfc(now - timedelta(minutes=1)),
                                    "endsAt": _rfc(now + timedelta(hours=1)),
                                    "createdBy": "platform-oncall", "comment": "node-2 log migration (CHG-2231)"})
    _post(url, "/api/v2/alerts", [{"labels": labels, "annotations": {}, "startsAt": _rfc(now)}
                                  for labels in ALERTS.values()])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_get(url, "/api/v2/alerts")) < len(ALERTS):
        time.sleep(0.2)
    time.sleep(3)   # group_wait (1 s) and a group_interval (2 s): every group has flushed once
    am = {}
    for alert in _get(url, "/api/v2/alerts"):
        name = next(k for k, v in ALERTS.items() if v == alert["labels"])
        status = alert["status"]
        am[name] = "inhibited" if status["inhibitedBy"] else "silenced" if status["silencedBy"] else None
    course = _course_verdicts(config, now)
    expected = {name: EXPECTED.get(name) for name in ALERTS}
    assert am == expected
    assert course == expected

    # What the receiver got: one notification per group that holds a notified alert, and no muted alert in any.
    notified = {fingerprint(a["labels"]) for p in payloads for a in p["alerts"]}
    assert notified == {fingerprint(v) for k, v in ALERTS.items() if expected[k] is None}
    groups = {p["groupKey"].split("}:", 1)[-1] for p in payloads}
    want = {"{" + f'alertname="{v["alertname"]}", service="{v["service"]}"' + "}"
            for k, v in ALERTS.items() if expected[k] is None}
    assert groups == want


def test_resends_follow_repeat_interval_and_oncall_correlate_reads_the_capture(alertmanager, tmp_path):
    """Nothing changes for a while: each group is resent every repeat_interval (4 s), never at each
    group_interval (2 s): Alertmanager's dedup against its notification log. `oncall correlate` reads the
    receiver's capture as it came."""
    from oncall.cli import main

    url, config, payloads = alertmanager
    if not payloads:
        pytest.skip("runs after the first test")
    before, start = len(payloads), time.monotonic()
    per_group = len({p["groupKey"] for p in payloads})
    # Wait for two resends per group (about 8 s with a 4 s repeat on a 2 s tick; longer on a loaded machine), then
    # bound the count by the time it took: resent on repeat_interval, at most elapsed / 4 s + 1 per group. Resent on
    # every group_interval it would be about elapsed / 2 s per group, which the bound excludes.
    time.sleep(9)
    deadline = start + 40
    while len(payloads) - before < per_group * 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    elapsed, resent = time.monotonic() - start, len(payloads) - before
    assert per_group * 2 <= resent <= per_group * (elapsed / 4 + 1), (resent, per_group, elapsed)
    capture = tmp_path / "capture.jsonl"
    capture.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    assert main(["correlate", str(capture), "--json"]) == 0

"""Make the sample Alertmanager webhook files in data/alerts/ (course module M32). Deterministic: seed 32.

The night of 2025-03-14 (UTC): release r42 of support-assistant ships at 02:00 and breaks the order-lookup tool;
an alert storm follows across gateway, agent, retriever, tool-orders, the SLO burn alerts and a node, until the
rollback at 02:40. Meanwhile billing-portal (another team) has its own database incident from 01:40, a node of
ours is in a silenced maintenance window, one agent pod flaps, the Watchdog heartbeat fires as always, and a
knowledge-base sync alert arrives already resolved.

Alertmanager is simulated per group (group_by alertname, service; group_wait 30 s; group_interval 5 min): a
group notifies at its first tick and at every tick where an alert started or resolved, and each notification
carries every alert of the group, so alerts are re-sent, as a real webhook receiver sees them.

Run from the repository root:  python data/alerts/make_samples.py
Writes storm.jsonl (one payload per line), storm.json (the same payloads as a JSON list), page.json (one
payload object: the first SLO page) and empty.json (a payload with zero alerts).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
from oncall.support_desk.alerts import fingerprint, to_payloads  # noqa: E402

DAY = pd.Timestamp("2025-03-14T00:00:00Z")
GROUP_BY = ("alertname", "service")
GROUP_WAIT, GROUP_INTERVAL = pd.Timedelta("30s"), pd.Timedelta("5min")
START, END = DAY + pd.Timedelta("1h30min"), DAY + pd.Timedelta("3h30min")  # the file's night


def at(hhmm: str, rng=None, jitter_s: int = 0) -> pd.Timestamp:
    """'02:05' on the sample night, plus up to ``jitter_s`` seconds of seeded jitter."""
    extra = int(rng.integers(0, jitter_s + 1)) if rng is not None and jitter_s else 0
    return DAY + pd.Timedelta(hhmm + ":00") + pd.Timedelta(seconds=extra)


def instances(rng: np.random.Generator) -> list[dict]:
    """The alert instances of the night: labels, annotations, start, end (None: still firing), true cause."""
    out = []

    def add(name, service, component, severity, start, end, cause, summary, **extra):
        labels = {"alertname": name, "service": service, "severity": severity, **extra}
        if component:
            labels["component"] = component
        out.append({"labels": labels, "annotations": {"summary": summary, "runbook_url":
                    f"https://runbooks.example.invalid/{name}"}, "start": start, "end": end, "cause": cause})

    rollback = at("02:40")
    # The bad deploy: the cause first, then its symptoms downstream.
    for i in range(3):
        add("ToolAPIErrors", "support-assistant", "tool-orders", "critical", at("02:03", rng, 40),
            rollback + pd.Timedelta(seconds=int(rng.integers(60, 180))), "bad-deploy",
            "Order lookup API returns 5xx", instance=f"tool-orders-{i}")
    for i in range(8):
        add("AgentToolCallFailures", "support-assistant", "agent", "warning", at("02:04", rng, 90),
            rollback + pd.Timedelta(seconds=int(rng.integers(60, 240))), "bad-deploy",
            "Agent tool calls failing", instance=f"agent-{i}")
    for i in range(6):
        add("GatewayHTTP5xx", "support-assistant", "gateway", "warning", at("02:05", rng, 120),
            rollback + pd.Timedelta(seconds=int(rng.integers(60, 300))), "bad-deploy",
            "Gateway 5xx ratio above 2%", instance=f"gateway-{i}")
    for i in range(8):
        add("AgentLatencyHigh", "support-assistant", "agent", "warning", at("02:06", rng, 240),
            rollback + pd.Timedelta(seconds=int(rng.integers(60, 300))), "bad-deploy",
            "Agent p95 latency above 8 s (tool retries)", instance=f"agent-{i}")
    for i in range(4):
        add("RetrieverLatencyHigh", "support-assistant", "retriever", "warning", at("02:09", rng, 240),
            rollback + pd.Timedelta(seconds=int(rng.integers(60, 300))), "bad-deploy",
            "Retriever p95 above 1.5 s (retry load)", instance=f"retriever-{i}")
    add("ErrorBudgetBurn", "support-assistant", "", "page", at("02:08", rng, 30), rollback + pd.Timedelta("10min"),
        "bad-deploy", "Availability budget burning 14.4x (1h and 5m windows)", slo="availability", window="1h")
    add("ErrorBudgetBurn", "support-assistant", "", "ticket", at("02:12", rng, 30), rollback + pd.Timedelta("25min"),
        "bad-deploy", "Availability budget burning 6x (6h and 30m windows)", slo="availability", window="6h")
    add("ErrorBudgetBurn", "support-assistant", "", "ticket", at("02:15", rng, 30), rollback + pd.Timedelta("20min"),
        "bad-deploy", "Latency budget burning 6x (6h and 30m windows)", slo="latency", window="6h")
    add("NodeMemoryPressure", "support-assistant", "node", "warning", at("02:14", rng, 60),
        rollback + pd.Timedelta("6min"), "bad-deploy", "Node memory above 90% (retry queues)", instance="node-1", node="node-1")
    # One agent pod flaps: four short firings with the same labels and annotations.
    for k in range(4):
        s = at("02:11") + pd.Timedelta(minutes=6 * k)
        add("AgentPodRestarting", "support-assistant", "agent", "warning", s, s + pd.Timedelta("2min"),
            "bad-deploy", "Agent pod restarting", instance="agent-5")
    # Our node in its maintenance window (silenced), and the Watchdog heartbeat (informational).
    add("NodeCPUHigh", "support-assistant", "node", "warning", at("02:20", rng, 60), at("02:50"),
        "maintenance", "Node CPU above 90%", instance="node-3", node="node-3")
    add("Watchdog", "", "", "none", at("01:30"), None, "heartbeat", "Alerting pipeline heartbeat")
    # Arrives already resolved: its firing notification predates this file.
    add("KnowledgeBaseSyncLag", "support-assistant", "index", "warning", at("01:05"), at("01:35"), "kb-sync",
        "Knowledge-base sync more than 30 min behind")
    # The background incident on another team's service.
    for i in range(2):
        add("BillingDBReplicationLag", "billing-portal", "db", "warning", at("01:40", rng, 60), at("02:55"),
            "billing-db", "Replica more than 60 s behind", instance=f"billing-db-{i}")
    add("BillingAPIErrors", "billing-portal", "api", "critical", at("01:46", rng, 60), at("02:50"), "billing-db",
        "Billing API 5xx above 5%")
    for i in range(3):
        add("BillingAPILatencyHigh", "billing-portal", "api", "warning", at("01:48", rng, 120), at("02:52"),
            "billing-db", "Billing API p95 above 2 s", instance=f"billing-api-{i}")
    return out


def notifications(insts: list[dict]) -> pd.DataFrame:
    """Simulate each group's notifications; one frame row per alert per notification."""
    rows = []
    groups: dict = {}
    for a in insts:
        groups.setdefault(tuple(a["labels"].get(k, "") for k in GROUP_BY), []).append(a)
    for members in groups.values():
        first = min(a["start"] for a in members)
        # One tick grid per group: Alertmanager would delete a fully resolved group and restart its grid at
        # the next alert; only the flapping pod's group comes close, and the files do not need that detail.
        tick, last = first + GROUP_WAIT, first
        while tick <= END + GROUP_INTERVAL:
            changed = [a for a in members if last < a["start"] <= tick or (a["end"] and last < a["end"] <= tick)]
            if changed or tick == first + GROUP_WAIT:
                for a in members:
                    ended = a["end"] is not None and a["end"] <= tick
                    if a["start"] > tick or (ended and a["end"] <= last):
                        continue  # not started yet, or its resolution was already sent
                    rows.append({"labels": a["labels"], "annotations": a["annotations"], "starts_at": a["start"],
                                 "ends_at": a["end"] if ended else pd.NaT, "status": "resolved" if ended else "firing",
                                 "received_at": tick, "true_cause": a["cause"]})
            last = tick
            tick += GROUP_INTERVAL
    rows = pd.DataFrame(rows)
    # The file starts at 01:30: earlier notifications (the knowledge-base alert firing) are not in it.
    return rows[rows["received_at"] >= START]


def frame_of(rows: pd.DataFrame) -> pd.DataFrame:
    """Fill in the alert-frame columns to_payloads writes."""
    rows = rows.sort_values("received_at", kind="stable").reset_index(drop=True)
    for c in ("starts_at", "ends_at", "received_at"):
        rows[c] = pd.to_datetime(rows[c], utc=True)
    rows["fingerprint"] = [fingerprint(lab) for lab in rows["labels"]]
    rows["generator_url"] = [f"http://prometheus.example.invalid/graph?g0.expr=ALERTS%7Balertname%3D%22{lab['alertname']}%22%7D"
                             for lab in rows["labels"]]
    return rows


def main() -> None:
    rng = np.random.default_rng(32)
    frame = frame_of(notifications(instances(rng)))
    payloads = to_payloads(frame, group_by=GROUP_BY)
    (HERE / "storm.jsonl").write_text("".join(json.dumps(p, sort_keys=True) + "\n" for p in payloads), encoding="utf-8")
    (HERE / "storm.json").write_text(json.dumps(payloads, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    page = next(p for p in payloads if p["groupLabels"].get("alertname") == "ErrorBudgetBurn")
    (HERE / "page.json").write_text(json.dumps(page, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    empty = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "resolved", "receiver": "oncall-webhook",
             "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
             "externalURL": "http://alertmanager.example.invalid:9093", "alerts": []}
    (HERE / "empty.json").write_text(json.dumps(empty, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(frame)} alert rows in {len(payloads)} payloads")


if __name__ == "__main__":
    main()

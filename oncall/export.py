"""The shift's trace in a standard viewer: Chrome trace event JSON, which Perfetto (ui.perfetto.dev) and
chrome://tracing open as they are (all five course modules; written by ``oncall drill --out`` as
``trace.perfetto.json``).

Pure: a shift record in, a string out; the same record gives the same bytes. What the viewer shows:

- one track (thread) per course module, M27, M31, M32, M33, M26, with an instant event per trace event
  (its name the event's kind, its args the event's seq, phase, message and refs);
- one track per incident that the on-call worked, with its lifecycle as nested slices: the whole incident,
  then ``opened -> acknowledged -> mitigated -> resolved``;
- one track per canary, if the shift ran one: the whole canary, and a slice per analysis interval named by its
  traffic weight and verdict;
- counters per simulated minute from ``record.service``: the error ratio (%) and the requests.

Format: https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU (the "Trace Event
Format"): ``ts`` and ``dur`` in microseconds, ``ph`` the event type (``i`` instant, ``X`` complete slice, ``C``
counter, ``M`` metadata). Times count from the earliest thing in the trace (the last good deploy, days before the
shift); ``otherData.origin_utc`` says which instant ``ts = 0`` is.
"""
from __future__ import annotations

import json
from datetime import datetime

from .trace import MODULES, iso

PID = 1
# Thread ids: the course modules first, in the order the story meets them; incidents and canaries after them.
MODULE_TIDS = {module: i for i, module in enumerate(("M27", "M33", "M32", "M31", "M26"), start=1)}
INCIDENT_TID0 = 100
CANARY_TID0 = 200
LIFECYCLE = ("opened", "acknowledged", "mitigated", "resolved")
US_PER_S = 1_000_000


def _us(when: datetime, origin: datetime) -> int:
    return int(round((when - origin).total_seconds() * US_PER_S))


def _meta(name: str, tid: int, value) -> dict:
    key = "sort_index" if name.endswith("sort_index") else "name"
    return {"name": name, "ph": "M", "pid": PID, "tid": tid, "args": {key: value}}


def _instant(event, origin: datetime) -> dict:
    return {"name": event.kind, "cat": f"{event.module},{event.phase}", "ph": "i", "s": "t",
            "ts": _us(event.t, origin), "pid": PID, "tid": MODULE_TIDS[event.module],
            "args": {"seq": event.seq, "t": iso(event.t), "phase": event.phase, "message": event.message,
                     "refs": event.refs}}


def _slice(name: str, cat: str, start: datetime, end: datetime, tid: int, origin: datetime, args: dict) -> dict:
    return {"name": name, "cat": cat, "ph": "X", "ts": _us(start, origin), "dur": max(0, _us(end, start)),
            "pid": PID, "tid": tid, "args": args}


def incident_lifecycles(events) -> dict[str, list[tuple[str, datetime]]]:
    """Each incident's lifecycle from the trace: ``{incident: [(state, t), ...]}`` in the order of LIFECYCLE,
    for the incidents that got further than ``opened`` (the ones the on-call worked)."""
    states: dict[str, dict[str, datetime]] = {}
    for e in events:
        if e.kind.startswith("incident.") and e.kind.split(".", 1)[1] in LIFECYCLE and "incident" in e.refs:
            states.setdefault(e.refs["incident"], {}).setdefault(e.kind.split(".", 1)[1], e.t)
    return {inc: [(s, seen[s]) for s in LIFECYCLE if s in seen]
            for inc, seen in sorted(states.items()) if len(seen) > 1}


def _incident_slices(events, origin: datetime) -> tuple[list[dict], list[dict]]:
    meta, slices = [], []
    severity = {e.refs["incident"]: e.refs.get("severity") for e in events
                if e.kind == "page.sent" and "incident" in e.refs}
    for i, (incident, steps) in enumerate(incident_lifecycles(events).items()):
        tid = INCIDENT_TID0 + i
        sev = severity.get(incident)
        meta += [_meta("thread_name", tid, f"{incident} lifecycle" + (f" ({sev})" if sev else "")),
                 _meta("thread_sort_index", tid, tid)]
        last_state, last_t = steps[-1]
        whole = f"{incident}" + (f" {sev}" if sev else "") + f": {steps[0][0]} -> {last_state}"
        slices.append(_slice(whole, "incident", steps[0][1], last_t, tid, origin,
                             {"incident": incident, "severity": sev,
                              "states": {s: iso(t) for s, t in steps}}))
        for (state, start), (nxt, end) in zip(steps, steps[1:]):
            slices.append(_slice(state, "incident", start, end, tid, origin,
                                 {"incident": incident, "until": nxt,
                                  "minutes": round((end - start).total_seconds() / 60, 2)}))
    return meta, slices


def _canary_slices(events, origin: datetime) -> tuple[list[dict], list[dict], list[dict]]:
    """A slice per canary analysis interval (each ends at its ``canary.interval`` event and starts where the
    previous one, or the canary, started), inside one slice for the whole canary."""
    meta, slices, counters = [], [], []
    releases = []
    for e in events:
        if e.kind.startswith("canary.") and "release" in e.refs and e.refs["release"] not in releases:
            releases.append(e.refs["release"])
    for i, release in enumerate(releases):
        tid = CANARY_TID0 + i
        mine = [e for e in events if e.kind.startswith("canary.") and e.refs.get("release") == release]
        started = next((e for e in mine if e.kind == "canary.started"), mine[0])
        verdict = next((e for e in reversed(mine) if e.kind == "canary.verdict"), None)
        end = verdict.t if verdict is not None else mine[-1].t
        meta += [_meta("thread_name", tid, f"canary {release}"), _meta("thread_sort_index", tid, tid)]
        outcome = verdict.refs.get("verdict", "no verdict") if verdict is not None else "no verdict"
        slices.append(_slice(f"canary {release}: {outcome}", "canary", started.t, end, tid, origin,
                             {"release": release, "baseline": started.refs.get("baseline"),
                              "verdict": outcome, "reason": verdict.refs.get("reason") if verdict else None}))
        begin = started.t
        for e in mine:
            if e.kind != "canary.interval":
                continue
            weight = e.refs.get("weight")
            slices.append(_slice(f"{weight:g} %: {e.refs.get('verdict', '')}".strip(), "canary", begin, e.t, tid,
                                 origin, {"weight_pct": weight, "score": e.refs.get("score"),
                                          "verdict": e.refs.get("verdict")}))
            counters.append({"name": f"canary {release}", "ph": "C", "ts": _us(e.t, origin), "pid": PID,
                             "args": {"weight_pct": weight, "score": e.refs.get("score") or 0}})
            begin = e.t
    return meta, slices, counters


def _service_counters(service, origin: datetime) -> list[dict]:
    """Per simulated minute, at the minute's start: the error ratio (%, 4 decimals) and the requests."""
    if service is None or len(service) == 0:
        return []
    out = []
    for t, requests, errors in zip(service.index, service["requests"], service["errors"]):
        ratio = round(100 * int(errors) / int(requests), 4) if int(requests) > 0 else 0.0
        ts = _us(t.to_pydatetime(), origin)
        out.append({"name": "error ratio (%)", "ph": "C", "ts": ts, "pid": PID, "args": {"errors_pct": ratio}})
        out.append({"name": "requests per minute", "ph": "C", "ts": ts, "pid": PID,
                    "args": {"requests": int(requests)}})
    return out


def trace_events(record) -> dict:
    """The Chrome trace object of ``record``: ``{"traceEvents": [...], "displayTimeUnit": "ms", "otherData"}``."""
    events = record.trace.events
    service = record.service
    starts = [e.t for e in events] + ([service.index[0].to_pydatetime()] if service is not None and len(service) else [])
    origin = min(starts) if starts else record.scenario.shift.start
    scenario = record.scenario
    title = f"On-call shift: {scenario.name}, seed {record.seed}, break {record.break_mode}"
    meta = [_meta("process_name", 0, title), _meta("process_sort_index", 0, 0)]
    for module, tid in MODULE_TIDS.items():
        meta += [_meta("thread_name", tid, f"{module} {MODULES[module]}"), _meta("thread_sort_index", tid, tid)]
    inc_meta, inc_slices = _incident_slices(events, origin)
    can_meta, can_slices, can_counters = _canary_slices(events, origin)
    timed = ([_instant(e, origin) for e in events] + inc_slices + can_slices + can_counters
             + _service_counters(service, origin))
    # Stable by time: ties keep the order above (instants, lifecycles, canaries, counters), so output is stable.
    timed.sort(key=lambda ev: ev["ts"])
    return {"traceEvents": meta + inc_meta + can_meta + timed, "displayTimeUnit": "ms",
            "otherData": {"title": title, "origin_utc": iso(origin), "shift_start_utc": iso(scenario.shift.start),
                          "scenario": scenario.name, "seed": record.seed, "break": record.break_mode,
                          "events": len(events), "ts_unit": "microseconds since origin_utc"}}


def chrome_trace(record) -> str:
    """``trace_events(record)`` as text: one trace event a line (diffable), keys in a fixed order, a final newline."""
    obj = trace_events(record)
    lines = ",\n".join(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) for ev in obj["traceEvents"])
    other = json.dumps(obj["otherData"], ensure_ascii=False, sort_keys=True)
    return ('{"traceEvents":[\n' + lines + '\n],\n"displayTimeUnit":"ms",\n"otherData":' + other + "}\n")

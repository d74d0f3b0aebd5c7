"""The alert frame and Alertmanager v4 webhook payloads (course module M32: support desk and AIOps).

One row of the alert frame is one alert as received in one webhook notification. Alertmanager re-sends every
alert of a group in each notification of that group, so the same alert (same ``fingerprint``, same
``starts_at``) normally appears on several rows; the correlator (``correlate.py``) deduplicates them.

Columns (``FRAME_COLUMNS``):

- ``fingerprint`` (str): Alertmanager's label-set fingerprint, 16 hex digits (the payload's, else computed).
- ``alertname``, ``service``, ``component``, ``severity`` (str): copied from the labels; "" when absent,
  because Alertmanager's matchers treat a missing label as the empty string.
- ``status`` (str): "firing" or "resolved"; authoritative (DESIGN.md).
- ``starts_at``, ``ends_at``, ``received_at``: UTC timestamps (datetime64[ns, UTC]). ``ends_at`` is NaT for
  Alertmanager's zero time ``0001-01-01T00:00:00Z`` (what it sends for alerts still firing).
  ``received_at`` is the payload's ``receivedAt`` (a field our own files add; Alertmanager does not send it),
  else ``starts_at`` for a firing alert and ``ends_at`` (or ``starts_at``) for a resolved one: the earliest
  moment Alertmanager could have sent that state.
- ``labels``, ``annotations`` (dict), ``generator_url`` (str), ``group_key`` (str, the payload's ``groupKey``).
- ``payload`` (int): 0-based number of the payload in its file, so a row can be traced back.
- ``true_cause`` (str, optional): ground truth for generated alerts only (the non-standard alert field
  ``trueCause``); the correlator never reads it.

Accepted input (``parse_payloads``): one payload object, a JSON list of payloads, or JSON Lines with one
payload per line (blank lines ignored). A bare alert (an object with ``labels`` but no ``version``/``alerts``,
as posted to Alertmanager's ``/api/v2/alerts``) is NOT accepted: it carries no ``status``, and guessing one
from ``endsAt`` needs a "now" we do not have, so it is rejected with a message saying how to wrap it.

Speed: the common case (well-formed payloads) is decoded with msgspec (each payload's envelope, its alerts kept
as JSON text) and orjson (each distinct alert text once), JSON Lines a chunk of lines at a time, with the garbage
collector paused (the parse builds millions of acyclic objects, and each collection would walk them all), so a
million re-sent alerts hold one copy of each alert's dicts and strings. Anything off that path (any input the
fast path does not take as it is: bad JSON, a wrong type, a number orjson reads differently) is parsed again by
the reference path, the plain ``json`` loop, so results and error messages are those of the reference path
(``tests/test_alerts_fast.py``).

Pure: json, orjson, msgspec, numpy and pandas only.
"""
from __future__ import annotations

import gc
import json

import numpy as np
import pandas as pd

from ..errors import BadInput

# The frame's columns and the fingerprint (alert_frame), and the fast reader of the common case (alerts_fast).
from .alert_frame import (_FNV_OFFSET64, _FNV_PRIME64, _MASK64, _STATUSES, _TS_DTYPE, FRAME_COLUMNS,  # noqa: F401
                          ZERO_TIME, _fingerprint, _fnv1a_add, empty_frame, fingerprint, parse_times)
from .alerts_fast import _fast_file, _fast_frame  # noqa: F401


# ---------------------------------------------------------------- parsing

def _decode(text: str, where: str) -> tuple[list, list]:
    """Decode the text into payload objects and a locator per payload ("line 3", "[2]" or "").

    JSON Lines are parsed in one ``json.loads`` of the lines joined into a list (one C call instead of one per
    line); only when that fails are the lines parsed one by one, to name the bad line.
    """
    stripped = text.strip()
    if not stripped:
        return [], []
    if stripped[0] == "[":
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise BadInput(where, f"line {e.lineno}", f"not JSON ({e.msg})") from None
        if not isinstance(items, list):
            raise BadInput(where, None, "expected a JSON list of payloads")
        return items, [f"[{i}]" for i in range(len(items))]
    try:
        return [json.loads(stripped)], [""]
    except json.JSONDecodeError as e:
        if not e.msg.startswith("Extra data"):
            raise BadInput(where, f"line {e.lineno}", f"not JSON ({e.msg})") from None
    # JSON Lines: one payload per non-blank line.
    lines = text.splitlines()
    numbers = [i + 1 for i, line in enumerate(lines) if line.strip()]
    kept = [lines[n - 1] for n in numbers]
    try:
        items = json.loads("[" + ",".join(kept) + "]")
        if len(items) != len(kept):  # a line held two values ("{}, {}"): locate it below
            raise ValueError
    except (json.JSONDecodeError, ValueError):
        for n, line in zip(numbers, kept):
            try:
                json.loads(line)
            except json.JSONDecodeError as e:
                raise BadInput(where, f"line {n}", f"not JSON ({e.msg}); expected one payload object per line") from None
        raise BadInput(where, None, "expected one JSON object per line") from None
    return items, [f"line {n}" for n in numbers]


def _at(loc: str, rest: str) -> str:
    """Join a payload locator and a field path: 'line 3: alerts[0].labels'."""
    return f"{loc}: {rest}" if loc else rest


def _payload_alerts(payload, loc: str, where: str) -> list:
    """Check one payload's envelope and return its alerts list."""
    if not isinstance(payload, dict):
        raise BadInput(where, loc or "payload", f"expected a payload object, got {type(payload).__name__}")
    if "version" not in payload and "alerts" not in payload and "labels" in payload:
        raise BadInput(where, loc or "payload", 'looks like a bare alert; expected an Alertmanager v4 webhook '
                       'payload {"version": "4", "alerts": [...]} (wrap the alert in one)')
    if payload.get("version") != "4":
        raise BadInput(where, _at(loc, "version"), f'expected "4" (Alertmanager webhook v4), got {payload.get("version")!r}')
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        what = "missing" if alerts is None else f"a {type(alerts).__name__}"
        raise BadInput(where, _at(loc, "alerts"), f"expected a list of alerts, got {what}")
    return alerts


def _bad_alert(where: str, loc: str, j: int, alert) -> BadInput:
    """Name the first thing wrong with an alert the fast path refused (run only on error)."""
    at = _at(loc, f"alerts[{j}]")
    if not isinstance(alert, dict):
        return BadInput(where, at, f"expected an alert object, got {type(alert).__name__}")
    labels = alert.get("labels")
    if not isinstance(labels, dict):
        return BadInput(where, f"{at}.labels", "missing; every alert needs a labels object")
    name = labels.get("alertname")
    if not isinstance(name, str) or not name:
        return BadInput(where, f"{at}.labels.alertname", "missing; every alert needs an alertname label")
    for k, v in labels.items():
        if not isinstance(v, str):
            return BadInput(where, f"{at}.labels.{k}", f"expected a string label value, got {type(v).__name__}")
    if alert.get("status") not in _STATUSES:
        return BadInput(where, f"{at}.status", f"expected firing or resolved, got {alert.get('status')!r}")
    if not isinstance(alert.get("annotations", {}), dict):
        return BadInput(where, f"{at}.annotations", "expected an object")
    if not isinstance(alert.get("startsAt"), str):
        return BadInput(where, f"{at}.startsAt", "missing; expected an RFC 3339 time")
    ends = alert.get("endsAt")
    if ends is not None and not isinstance(ends, str):
        return BadInput(where, f"{at}.endsAt", "expected an RFC 3339 time")
    fp = alert.get("fingerprint")
    if fp is not None and not isinstance(fp, str):
        return BadInput(where, f"{at}.fingerprint", "expected a string")
    return BadInput(where, at, "not a valid alert")


def _times(values: list, field: str, rows_where, where: str, required: bool) -> pd.Series:
    """Parse RFC 3339 strings in one vectorized call; the zero time and None become NaT.

    ``rows_where(i)`` names row i's alert when a string does not parse.
    """
    parsed, bad = parse_times(values, required)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BadInput(where, f"{rows_where(i)}.{field}", f"expected an RFC 3339 time like 2025-03-14T02:05:00Z, got {values[i]!r}")
    return parsed


def parse_payloads(text: str, where: str) -> pd.DataFrame:
    """Alertmanager v4 webhook payloads (object, list or JSON Lines) -> the alert frame, one row per alert.

    Raises BadInput naming ``where``, the payload (line or index), and the field (see ``parse_payloads_reference``,
    whose frame and errors this returns: the fast path below hands anything unusual to it).
    """
    was_enabled = gc.isenabled()
    gc.disable()  # millions of acyclic dicts and strings: a collection would only walk them
    try:
        frame = _fast_frame(text)
        return parse_payloads_reference(text, where) if frame is None else frame
    finally:
        if was_enabled:
            gc.enable()


def parse_payloads_reference(text: str, where: str) -> pd.DataFrame:
    """The reference parse (plain ``json``, one alert at a time): what ``parse_payloads`` returns and raises.

    Raises BadInput naming ``where``, the payload (line or index), and the field for: text that is not JSON,
    a ``version`` other than "4", ``alerts`` missing or not a list, an alert that is not an object, has no
    ``labels`` or no ``alertname``, a non-string label value, a ``status`` other than firing/resolved, and
    timestamps that do not parse. Empty text or payloads with zero alerts give an empty frame.
    Speed: one pass of plain list appends per alert, then vectorized timestamp parsing and one DataFrame.
    """
    try:
        payloads, locs = _decode(text, where)
    except RecursionError:
        raise BadInput(where, None, "not JSON we can read (nested too deeply)") from None
    cols: dict[str, list] = {c: [] for c in ("fingerprint", "alertname", "service", "component", "severity",
                                             "status", "starts", "ends", "received", "labels", "annotations",
                                             "generator_url", "group_key", "payload", "index", "true_cause")}
    (fp_, name_, svc_, comp_, sev_, st_, starts_, ends_, recv_, lab_, ann_, gen_, gk_, pl_, idx_, tc_) = cols.values()
    memo: dict = {}  # fingerprints computed for payloads without one: re-sends share label sets
    any_truth = False
    for p, (payload, loc) in enumerate(zip(payloads, locs)):
        alerts = _payload_alerts(payload, loc, where)
        received = payload.get("receivedAt")
        group_key = payload.get("groupKey", "")
        for j, a in enumerate(alerts):
            try:
                labels = a["labels"]
                name = labels["alertname"]
                status = a["status"]
                ann = a.get("annotations") or {}
                fp = a.get("fingerprint")
                if (type(labels) is not dict or type(name) is not str or not name or type(ann) is not dict
                        or status not in _STATUSES or not all(type(v) is str for v in labels.values())
                        or not (fp is None or type(fp) is str)):
                    raise TypeError
            except (TypeError, KeyError):
                raise _bad_alert(where, loc, j, a) from None
            if not fp:
                key = tuple(sorted(labels.items()))
                fp = memo.get(key) or memo.setdefault(key, fingerprint(labels))
            fp_.append(fp)
            name_.append(name)
            svc_.append(labels.get("service", ""))
            comp_.append(labels.get("component", ""))
            sev_.append(labels.get("severity", ""))
            st_.append(status)
            starts_.append(a.get("startsAt"))
            ends_.append(a.get("endsAt"))
            recv_.append(received)
            lab_.append(labels)
            ann_.append(ann)
            gen_.append(a.get("generatorURL", ""))
            gk_.append(group_key)
            pl_.append(p)
            idx_.append(j)
            truth = a.get("trueCause")
            tc_.append(truth)
            any_truth = any_truth or truth is not None
    if not fp_:
        return empty_frame()
    return _build_frame(cols, locs, where, any_truth)

def parse_file(path, where: str | None = None) -> pd.DataFrame:
    """``parse_payloads`` of a file's text, JSON Lines read about 8 MB at a time so the whole text is never held:
    the same frame and the same errors (anything off the fast path reads the whole text and parses it as
    ``parse_payloads`` does). Raises OSError and UnicodeDecodeError as ``Path.read_text`` does."""
    where = str(path) if where is None else where
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        frame = _fast_file(path)
    finally:
        if was_enabled:
            gc.enable()
    if frame is not None:
        return frame
    with open(path, encoding="utf-8", newline="") as f:  # newline="": the text exactly as read_text gives it
        return parse_payloads(f.read(), where)


def _build_frame(cols: dict, locs: list, where: str, any_truth: bool) -> pd.DataFrame:
    """Columns as lists -> the alert frame: parse times in bulk, fill received_at, check types once."""
    def rows_where(i: int) -> str:
        return _at(locs[cols["payload"][i]], f"alerts[{cols['index'][i]}]")

    for field, key in (("startsAt", "starts"), ("endsAt", "ends"), ("receivedAt", "received")):
        bad = next((i for i, v in enumerate(cols[key]) if v is not None and type(v) is not str), None)
        if bad is not None:
            at = rows_where(bad) if key != "received" else (locs[cols["payload"][bad]] or "payload")
            raise BadInput(where, f"{at}.{field}", f"expected an RFC 3339 time, got {cols[key][bad]!r}")
    starts = _times(cols["starts"], "startsAt", rows_where, where, required=True)
    ends = _times(cols["ends"], "endsAt", rows_where, where, required=False)
    received = _times(cols["received"], "receivedAt", lambda i: locs[cols["payload"][i]] or "payload",
                      where, required=False)
    status = np.array(cols["status"], dtype=object)
    # Without receivedAt: the earliest moment Alertmanager could have sent this state.
    fallback = starts.where(~((status == "resolved") & ends.notna().to_numpy()), ends)
    received = received.where(received.notna(), fallback)
    frame = pd.DataFrame({
        "fingerprint": cols["fingerprint"], "alertname": cols["alertname"], "service": cols["service"],
        "component": cols["component"], "severity": cols["severity"], "status": status,
        "starts_at": starts, "ends_at": ends, "received_at": received,
        "labels": cols["labels"], "annotations": cols["annotations"], "generator_url": cols["generator_url"],
        "group_key": cols["group_key"], "payload": np.asarray(cols["payload"], dtype=np.int64),
    })
    if any_truth:
        frame["true_cause"] = cols["true_cause"]
    return frame


# ---------------------------------------------------------------- writing

def _rfc3339(ts) -> str:
    """A UTC timestamp as Alertmanager writes it; NaT as its zero time."""
    if ts is None or pd.isna(ts):
        return ZERO_TIME
    ts = pd.Timestamp(ts).tz_convert("UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    frac = ts.microsecond * 1000 + ts.nanosecond
    return text + (f".{frac:09d}".rstrip("0") if frac else "") + "Z"


def _common(dicts: list[dict]) -> dict:
    """The key/value pairs every dict shares (Alertmanager's commonLabels / commonAnnotations)."""
    if not dicts:
        return {}
    common = dict(dicts[0])
    for d in dicts[1:]:
        common = {k: v for k, v in common.items() if d.get(k) == v}
    return dict(sorted(common.items()))


def to_payloads(frame: pd.DataFrame, group_by: tuple[str, ...] = ("alertname", "service"),
                receiver: str = "oncall-webhook",
                external_url: str = "http://alertmanager.example.invalid:9093") -> list[dict]:
    """The alert frame -> Alertmanager v4 webhook payloads, in order of ``received_at``.

    Rows go into one payload per ``received_at``, ``payload`` number (if that column exists) and group: the group is
    the values of the ``group_by`` labels, written as Alertmanager's ``groupKey`` (``{}:{alertname="X", ...}``).
    Each payload carries our non-standard ``receivedAt`` so that re-reading gives the same frame; a row's
    ``true_cause`` (if the column exists and is set) is written as the alert's non-standard ``trueCause``.
    Parsing the result with ``parse_payloads`` gives back the same rows (up to row order within a time).
    """
    if len(frame) == 0:
        return []
    has_truth = "true_cause" in frame.columns
    batch = frame["payload"].to_numpy() if "payload" in frame.columns else np.zeros(len(frame), dtype=np.int64)
    group_labels = [tuple((k, lab.get(k, "")) for k in group_by) for lab in frame["labels"]]
    keys = pd.DataFrame({"t": frame["received_at"].to_numpy(), "b": batch,
                         "g": [repr(g) for g in group_labels]})
    order = keys.sort_values(["t", "b", "g"], kind="stable").index
    payloads: list[dict] = []
    seen: dict = {}
    for pos in order:
        k = (keys.at[pos, "t"], keys.at[pos, "b"], keys.at[pos, "g"])
        if k not in seen:
            seen[k] = len(payloads)
            labels_g = dict(group_labels[pos])
            payloads.append({
                "version": "4",
                "groupKey": "{}:{" + ", ".join(f'{n}="{v}"' for n, v in labels_g.items()) + "}",
                "truncatedAlerts": 0, "status": "resolved", "receiver": receiver, "groupLabels": labels_g,
                "commonLabels": {}, "commonAnnotations": {}, "externalURL": external_url,
                "receivedAt": _rfc3339(frame["received_at"].iat[pos]), "alerts": [],
            })
        payload = payloads[seen[k]]
        alert = {
            "status": frame["status"].iat[pos], "labels": dict(frame["labels"].iat[pos]),
            "annotations": dict(frame["annotations"].iat[pos]),
            "startsAt": _rfc3339(frame["starts_at"].iat[pos]), "endsAt": _rfc3339(frame["ends_at"].iat[pos]),
            "generatorURL": frame["generator_url"].iat[pos] if "generator_url" in frame.columns else "",
            "fingerprint": frame["fingerprint"].iat[pos],
        }
        if has_truth and isinstance(frame["true_cause"].iat[pos], str):
            alert["trueCause"] = frame["true_cause"].iat[pos]
        payload["alerts"].append(alert)
        if alert["status"] == "firing":
            payload["status"] = "firing"  # a notification is firing while any of its alerts fires
    for payload in payloads:
        payload["commonLabels"] = _common([a["labels"] for a in payload["alerts"]])
        payload["commonAnnotations"] = _common([a["annotations"] for a in payload["alerts"]])
    return payloads

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

Speed: the common case (well-formed payloads) is decoded with orjson, JSON Lines a chunk of lines at a time,
with the garbage collector paused (the parse builds millions of acyclic objects, and each collection would walk
them all), and equal label sets, annotations and strings are shared between rows, so a million re-sent alerts
hold one copy of each. Anything off that path (any input the fast path does not take as it is: bad JSON, a
wrong type, a number orjson reads differently) is parsed again by the reference path, the plain ``json``
loop, so results and error messages are those of the reference path (``tests/test_alerts_fast.py``).

Pure: json, orjson, numpy and pandas only.
"""
from __future__ import annotations

import gc
import json
import re
from functools import lru_cache

import numpy as np
import orjson
import pandas as pd

from ..errors import BadInput

FRAME_COLUMNS = (
    "fingerprint", "alertname", "service", "component", "severity", "status",
    "starts_at", "ends_at", "received_at", "labels", "annotations", "generator_url", "group_key", "payload",
)
ZERO_TIME = "0001-01-01T00:00:00Z"
_FNV_OFFSET64 = 14695981039346656037
_FNV_PRIME64 = 1099511628211
_MASK64 = 0xFFFFFFFFFFFFFFFF
_STATUSES = ("firing", "resolved")
_TS_DTYPE = "datetime64[ns, UTC]"


# ---------------------------------------------------------------- fingerprints

def _fnv1a_add(h: int, data: bytes) -> int:
    """FNV-1a 64: xor the byte in, then multiply by the prime (mod 2**64)."""
    for byte in data:
        h = ((h ^ byte) * _FNV_PRIME64) & _MASK64
    return h


def fingerprint(labels: dict) -> str:
    """Alertmanager's fingerprint of a label set, as 16 lower-case hex digits.

    As prometheus/common ``model.LabelSet.Fingerprint``: FNV-1a 64 over the label names in sorted order, each
    name and each value (UTF-8) followed by the separator byte 0xff (which cannot occur in UTF-8, so
    ``{"a": "bc"}`` and ``{"ab": "c"}`` differ); the empty set is the FNV offset basis. Rendered with
    ``%016x`` as Alertmanager's ``Fingerprint.String()`` does.
    """
    return _fingerprint(tuple((str(name), str(labels[name])) for name in sorted(labels)))


@lru_cache(maxsize=65536)
def _fingerprint(items: tuple[tuple[str, str], ...]) -> str:
    """The fingerprint of sorted (name, value) pairs; a storm repeats its label sets, so each is hashed once."""
    h = _FNV_OFFSET64
    for name, value in items:
        h = _fnv1a_add(h, name.encode("utf-8") + b"\xff")
        h = _fnv1a_add(h, value.encode("utf-8") + b"\xff")
    return f"{h:016x}"


# ---------------------------------------------------------------- parsing

def empty_frame() -> pd.DataFrame:
    """An alert frame with no rows and the right dtypes (what an empty input or a zero-alert payload gives)."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in FRAME_COLUMNS})
    for c in ("starts_at", "ends_at", "received_at"):
        frame[c] = pd.Series([], dtype=_TS_DTYPE)
    frame["payload"] = pd.Series([], dtype=np.int64)
    return frame


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
    cleaned = [None if (v is None or v == "" or v.startswith("0001-01-01")) else v for v in values]
    parsed = pd.to_datetime(pd.Series(cleaned, dtype=object), utc=True, format="ISO8601", errors="coerce")
    parsed = parsed.astype(_TS_DTYPE)
    bad = parsed.isna().to_numpy() & np.array([v is not None for v in cleaned], dtype=bool)
    if required:
        bad |= np.array([v is None for v in cleaned], dtype=bool)
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

# ---------------------------------------------------------------- the fast path

_CHUNK_CHARS = 8 << 20  # JSON Lines are decoded about 8 MB of text at a time
_FIRST_NON_SPACE = re.compile(r"\S")
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # str.splitlines() breaks there too


class _OffPath(Exception):
    """The input is not the common well-formed case: parse it with the reference path."""


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


def _fast_file(path) -> pd.DataFrame | None:
    """The frame of a JSON Lines file read in chunks, or None when the file is anything else."""
    cols, first_payload = _Columns(), 0
    with open(path, "rb") as f:
        head = f.read(_CHUNK_CHARS)
        m = _FIRST_NON_SPACE.search(head.decode("ascii", errors="replace"))
        if m is None or head[m.start():m.start() + 1] != b"{":
            return None
        newline = head.find(b"\n", m.start())
        if newline < 0:
            return None  # one value, or a first line longer than a chunk: the whole text
        try:
            orjson.loads(head[:newline])  # a whole value on the first line: JSON Lines (else one object)
        except orjson.JSONDecodeError:
            return None
        pending = head
        try:
            while True:
                more = f.read(_CHUNK_CHARS)
                cut = pending.rfind(b"\n") + 1 if more else len(pending)
                chunk, pending = pending[:cut], pending[cut:] + more
                if chunk:
                    if not chunk.isascii() or any(c.encode() in chunk for c in _OTHER_LINE_BREAKS):
                        return None  # other line breaks, or UTF-8 to check: the whole text
                    kept = [line for line in chunk.split(b"\n") if line and not line.isspace()]
                    cols.add([orjson.loads(line) for line in kept], first_payload)
                    first_payload += len(kept)
                if not more and not pending:
                    break
            if first_payload < 2:
                return None  # one payload: as parse_payloads reads one object
            return cols.frame()
        except (orjson.JSONDecodeError, _OffPath, BadInput, TypeError, KeyError, AttributeError):
            return None


def _fast_frame(text: str) -> pd.DataFrame | None:
    """The alert frame the reference parse gives, or None when the input is off the fast path (then the
    reference parse gives the frame or the error)."""
    m = _FIRST_NON_SPACE.search(text)
    if m is None or text[m.start()] not in "[{":
        return None
    cols = _Columns()
    try:
        if text[m.start()] == "[":
            items = orjson.loads(text)
            if type(items) is not list:
                return None
            cols.add(items, 0)
            return cols.frame()
        newline = text.find("\n", m.start())
        first = text[: newline if newline >= 0 else len(text)]
        try:  # a first line that is a whole value, with more after it, makes JSON Lines (else: one object)
            orjson.loads(first)
            single = newline < 0 or _FIRST_NON_SPACE.search(text, newline) is None
        except orjson.JSONDecodeError:
            single = True
        if single:
            cols.add([orjson.loads(text)], 0)
            return cols.frame()
        first_payload = 0
        for first_line, lines in _line_chunks(text):
            kept = [line for line in lines if line and not line.isspace()]
            cols.add([orjson.loads(line) for line in kept], first_payload)
            first_payload += len(kept)
        return cols.frame()
    except (orjson.JSONDecodeError, _OffPath, BadInput, TypeError, KeyError, AttributeError):
        return None


def _line_chunks(text: str):
    """(number of the first line, its lines) for chunks of about _CHUNK_CHARS, numbered as str.splitlines()
    numbers them; without copying the whole text when it is ASCII with plain newlines."""
    if not text.isascii() or any(c in text for c in _OTHER_LINE_BREAKS):
        yield 1, text.splitlines()
        return
    pos, line = 0, 1
    while pos < len(text):
        end = text.find("\n", pos + _CHUNK_CHARS)
        end = len(text) if end < 0 else end
        lines = text[pos:end].split("\n")
        yield line, lines
        line += len(lines)
        pos = end + 1


class _Columns:
    """The alerts of the payloads, as distinct alerts and a row -> distinct alert index, filled a list of
    payloads at a time. A re-sent alert (same fingerprint, equal content, labels and annotations in the same
    order) is the alert first seen, so its dicts and strings are held once and every column is computed once per
    distinct alert. Raises _OffPath (or TypeError/KeyError/AttributeError) on anything the reference would treat
    otherwise: every distinct alert is checked once."""

    def __init__(self):
        self.uniq: list = []  # the distinct alerts
        self.ids: list[np.ndarray] = []  # per chunk: each row's distinct alert
        self.payload: list[np.ndarray] = []  # per chunk: each row's payload number
        self.received: list = []  # per payload
        self.group_keys: list = []  # per payload
        self.seen: dict = {}  # fingerprint -> (the alert first seen with it, its number)
        self.memo: dict = {}  # fingerprints computed for alerts without one

    def add(self, payloads: list, first: int) -> None:
        alerts: list = []
        counts: list[int] = []
        for payload in payloads:
            if type(payload) is not dict or payload.get("version") != "4":
                raise _OffPath
            a = payload.get("alerts")
            r, g = payload.get("receivedAt"), payload.get("groupKey", "")
            if type(a) is not list or not (r is None or type(r) is str) or type(g) is not str:
                raise _OffPath
            alerts += a
            counts.append(len(a))
            self.received.append(r)
            self.group_keys.append(g)
        if not alerts:
            return
        n0 = len(self.uniq)
        ids = self._canon(alerts)
        for a in self.uniq[n0:]:
            _check(a)
        self.ids.append(ids)
        self.payload.append(np.repeat(np.arange(first, first + len(counts), dtype=np.int64),
                                      np.asarray(counts, dtype=np.int64)))

    def _canon(self, alerts: list) -> np.ndarray:
        """Each alert's number among the distinct alerts (a new one for an alert not seen before)."""
        seen, uniq, out = self.seen, self.uniq, []
        for a in alerts:
            fp = a.get("fingerprint")
            if type(fp) is str and fp:
                prev = seen.get(fp)
                if prev is not None:
                    p = prev[0]
                    # dict equality ignores key order: the labels' and annotations' order is compared too
                    if p == a and tuple(p["labels"]) == tuple(a["labels"]) and (
                            "annotations" not in a or tuple(p["annotations"] or ()) == tuple(a["annotations"] or ())):
                        out.append(prev[1])
                        continue
                seen[fp] = (a, len(uniq))
            out.append(len(uniq))
            uniq.append(a)
        return np.asarray(out, dtype=np.int64)

    def _fingerprint(self, labels: dict) -> str:
        key = tuple(sorted(labels.items()))
        return self.memo.get(key) or self.memo.setdefault(key, fingerprint(labels))

    def frame(self) -> pd.DataFrame:
        """The alert frame: columns per distinct alert, taken per row; times parsed per distinct value."""
        if not self.ids:
            return empty_frame()
        uniq, ids = self.uniq, np.concatenate(self.ids)
        pl = np.concatenate(self.payload)

        def col(values: list, at=ids):
            """A column per distinct alert (typed as pandas types the list) taken per row."""
            return pd.Series(values).array.take(at)

        labels = [a["labels"] for a in uniq]
        status = col([a["status"] for a in uniq])
        starts = _fast_times([a.get("startsAt") for a in uniq], ids, required=True)
        ends = _fast_times([a.get("endsAt") for a in uniq], ids, required=False)
        received = _fast_times(self.received, pl, required=False)
        status_arr = np.array(status, dtype=object)
        fallback = starts.where(~((status_arr == "resolved") & ends.notna().to_numpy()), ends)
        received = received.where(received.notna(), fallback)
        truth = [a.get("trueCause") for a in uniq]
        frame = pd.DataFrame({
            "fingerprint": col([a.get("fingerprint") or self._fingerprint(a["labels"]) for a in uniq]),
            "alertname": col([lab["alertname"] for lab in labels]),
            "service": col([lab.get("service", "") for lab in labels]),
            "component": col([lab.get("component", "") for lab in labels]),
            "severity": col([lab.get("severity", "") for lab in labels]), "status": status_arr,
            "starts_at": starts, "ends_at": ends, "received_at": received,
            "labels": col(labels), "annotations": col([a.get("annotations") or {} for a in uniq]),
            "generator_url": col([a.get("generatorURL", "") for a in uniq]),
            "group_key": col(self.group_keys, pl), "payload": pl,
        })
        if any(t is not None for t in truth):
            frame["true_cause"] = col(truth)
        return frame


def _fast_times(values: list, take: np.ndarray, required: bool) -> pd.Series:
    """``_times`` over distinct values, taken per row; raises _OffPath where ``_times`` would raise."""
    cleaned = [None if (v is None or v == "" or v.startswith("0001-01-01")) else v for v in values]
    parsed = pd.to_datetime(pd.Series(cleaned, dtype=object), utc=True, format="ISO8601", errors="coerce")
    parsed = parsed.astype(_TS_DTYPE)
    bad = parsed.isna().to_numpy() & np.array([v is not None for v in cleaned], dtype=bool)
    if required:
        bad |= np.array([v is None for v in cleaned], dtype=bool)
    if bad[take].any():
        raise _OffPath
    return pd.Series(parsed.array.take(take))


def _check(a: dict) -> None:
    """An alert the fast path takes as it is: what the reference accepts, with string values only (so an alert
    equal to it is identical to it: 1 == 1.0 == True, but a string equals only a string)."""
    labels, ann = a["labels"], a.get("annotations") or {}
    name = labels["alertname"]
    if (type(labels) is not dict or type(name) is not str or not name or type(ann) is not dict
            or a["status"] not in _STATUS_SET or not _STR.issuperset(map(type, labels.values()))
            or not _STR.issuperset(map(type, ann.values()))):
        raise _OffPath
    top = list(map(type, a.values()))  # strings and None, besides the labels and annotations objects
    if not _TOP.issuperset(top) or top.count(dict) != 1 + (type(a.get("annotations")) is dict):
        raise _OffPath


_STR = frozenset((str,))
_TOP = frozenset((str, type(None), dict))
_STATUS_SET = set(_STATUSES)


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

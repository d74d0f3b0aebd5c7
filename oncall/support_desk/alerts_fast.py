"""The fast reader of Alertmanager webhook payloads (course module M32): the common, well-formed case decoded
with msgspec (each payload's envelope typed, each alert kept as its raw bytes) and orjson (each distinct alert
once), JSON Lines a chunk at a time; anything else is handed back (``None`` or ``_OffPath``) so that
``alerts.parse_payloads_reference`` reads it and its errors stay the reference's.

Alertmanager re-sends every alert of a group in each notification, so most alerts of a big file are the bytes of
an alert seen before: an alert is decoded once per distinct text, and each row points at its distinct alert.
"""
from __future__ import annotations

import re
from itertools import islice, repeat

import msgspec
import numpy as np
import orjson
import pandas as pd

from ..errors import BadInput
from .alert_frame import _STATUSES, empty_frame, fingerprint, parse_times

# ---------------------------------------------------------------- the fast path

_CHUNK_CHARS = 8 << 20  # JSON Lines are decoded about 8 MB of text at a time
_FIRST_NON_SPACE = re.compile(r"\S")
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # str.splitlines() breaks there too


class _OffPath(Exception):
    """The input is not the common well-formed case: parse it with the reference path."""


class _Payload(msgspec.Struct):
    """A webhook payload's envelope as the frame reads it; its alerts stay raw JSON (decoded once per distinct
    text). Anything else (a missing version, a non-list alerts, a non-string groupKey) fails to decode."""

    version: str
    alerts: list[msgspec.Raw]
    groupKey: str = ""  # noqa: N815 (Alertmanager's field names)
    receivedAt: str | None = None  # noqa: N815


_ONE = msgspec.json.Decoder(_Payload)
_MANY = msgspec.json.Decoder(list[_Payload])
_OFF = (msgspec.DecodeError, orjson.JSONDecodeError, _OffPath, BadInput, TypeError, KeyError, AttributeError)


def _fast_file(path) -> pd.DataFrame | None:
    """The frame of a JSON Lines file read in chunks, or None when the file is anything else."""
    cols, first_payload = _Columns(), 0
    try:
        for kept in _file_lines(path):
            cols.add(_lines(kept), first_payload)
            first_payload += len(kept)
        if first_payload < 2:
            return None  # one payload: as parse_payloads reads one object
        return cols.frame()
    except _OFF:
        return None


def _file_lines(path):
    """The non-blank lines of a JSON Lines file (bytes), about _CHUNK_CHARS of text at a time. Raises _OffPath
    where the file is not plainly JSON Lines (one value, a first line longer than a chunk, other line breaks than
    newline, text that is not UTF-8): then the whole text is the reference's to read."""
    with open(path, "rb") as f:
        head = f.read(_CHUNK_CHARS)
        m = _FIRST_NON_SPACE.search(head.decode("ascii", errors="replace"))
        if m is None or head[m.start():m.start() + 1] != b"{":
            raise _OffPath
        newline = head.find(b"\n", m.start())
        if newline < 0:
            raise _OffPath  # one value, or a first line longer than a chunk: the whole text
        try:
            orjson.loads(head[:newline])  # a whole value on the first line: JSON Lines (else one object)
        except orjson.JSONDecodeError:
            raise _OffPath from None
        pending = head
        while True:
            more = f.read(_CHUNK_CHARS)
            cut = pending.rfind(b"\n") + 1 if more else len(pending)
            chunk, pending = pending[:cut], pending[cut:] + more
            if chunk:
                if not chunk.isascii() or any(c.encode() in chunk for c in _OTHER_LINE_BREAKS):
                    raise _OffPath  # other line breaks, or UTF-8 to check: the whole text
                yield [line for line in chunk.split(b"\n") if line and not line.isspace()]
            if not more and not pending:
                return


def _fast_frame(text: str) -> pd.DataFrame | None:
    """The alert frame the reference parse gives, or None when the input is off the fast path (then the
    reference parse gives the frame or the error)."""
    m = _FIRST_NON_SPACE.search(text)
    if m is None or text[m.start()] not in "[{":
        return None
    cols = _Columns()
    try:
        if text[m.start()] == "[":
            cols.add(_MANY.decode(text), 0)
            return cols.frame()
        newline = text.find("\n", m.start())
        first = text[: newline if newline >= 0 else len(text)]
        try:  # a first line that is a whole value, with more after it, makes JSON Lines (else: one object)
            orjson.loads(first)
            single = newline < 0 or _FIRST_NON_SPACE.search(text, newline) is None
        except orjson.JSONDecodeError:
            single = True
        if single:
            cols.add([_ONE.decode(text)], 0)
            return cols.frame()
        first_payload = 0
        for first_line, lines in _line_chunks(text):
            kept = [line for line in lines if line and not line.isspace()]
            cols.add(_lines(kept), first_payload)
            first_payload += len(kept)
        return cols.frame()
    except _OFF:
        return None


def _lines(kept: list) -> list:
    """The payloads of JSON Lines (bytes or str, one payload a line) decoded in one call as one JSON list (as the
    reference decodes them); a line holding more than one value (``{}, {}``) is off the path (the reference names
    it)."""
    if not kept:
        return []
    doc = b"[" + b",".join(kept) + b"]" if type(kept[0]) is bytes else "[" + ",".join(kept) + "]"
    payloads = _MANY.decode(doc)
    if len(payloads) != len(kept):
        raise _OffPath
    return payloads


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
    payloads at a time. An alert whose JSON text is that of an alert seen before is that alert: it is decoded
    once, its dicts and strings are held once, and every column is computed once per distinct alert. Raises
    _OffPath (or TypeError/KeyError/AttributeError) on anything the reference would treat otherwise: every
    distinct alert is checked once."""

    def __init__(self):
        self.uniq: list = []  # the distinct alerts, decoded
        self.index: dict = {}  # an alert's JSON text -> its number among the distinct alerts
        self.ids: list[np.ndarray] = []  # per chunk: each row's distinct alert
        self.payload: list[np.ndarray] = []  # per chunk: each row's payload number
        self.received: list = []  # per payload
        self.group_keys: list = []  # per payload
        self.memo: dict = {}  # fingerprints computed for alerts without one
        self.base = None  # the number of the first payload added (a chunk of a file starts further on)

    def add(self, payloads: list, first: int) -> None:
        if self.base is None:
            self.base = first
        if any(p.version != "4" for p in payloads):
            raise _OffPath
        self.received += [p.receivedAt for p in payloads]
        self.group_keys += [p.groupKey for p in payloads]
        counts = [len(p.alerts) for p in payloads]
        texts = [bytes(r) for p in payloads for r in p.alerts]
        if not texts:
            return
        index = self.index
        n0 = len(index)
        # One pass: a text seen before gets its number, a new one the next number (len(index) before it is added).
        ids = np.fromiter(map(index.setdefault, texts, map(len, repeat(index))), dtype=np.int64, count=len(texts))
        decoded = [orjson.loads(t) for t in islice(index, n0, None)]
        _check(decoded)
        self.uniq += decoded
        self.ids.append(ids)
        self.payload.append(np.repeat(np.arange(first, first + len(counts), dtype=np.int64),
                                      np.asarray(counts, dtype=np.int64)))

    def _fingerprint(self, labels: dict) -> str:
        key = tuple(sorted(labels.items()))
        return self.memo.get(key) or self.memo.setdefault(key, fingerprint(labels))

    def frame(self) -> pd.DataFrame:
        """The alert frame: columns per distinct alert, taken per row; times parsed per distinct value."""
        self.index = {}  # the texts are not needed any more
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
        local = pl - self.base  # the payload's place in this object's lists
        received = _fast_times(self.received, local, required=False)
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
            "group_key": col(self.group_keys, local), "payload": pl,
        })
        if any(t is not None for t in truth):
            frame["true_cause"] = col(truth)
        return frame


def _fast_times(values: list, take: np.ndarray, required: bool) -> pd.Series:
    """``_times`` over distinct values, taken per row; raises _OffPath where ``_times`` would raise."""
    parsed, bad = parse_times(values, required)
    if bad[take].any():
        raise _OffPath
    return pd.Series(parsed.array.take(take))


def _check(alerts: list) -> None:
    """Alerts the fast path takes as they are: what the reference accepts, with string values only (so a column's
    type is what pandas infers from strings). Each check is one pass over all the alerts; raises _OffPath (or
    TypeError/KeyError where the reference would name the field)."""
    labels = [a["labels"] for a in alerts]
    anns = [a.get("annotations") or {} for a in alerts]
    names = [lab["alertname"] for lab in labels]
    if (not _DICT.issuperset(map(type, labels)) or not _DICT.issuperset(map(type, anns))
            or not _STR.issuperset(map(type, names)) or "" in names
            or not _STATUS_SET.issuperset([a["status"] for a in alerts])
            or not _STR.issuperset({type(v) for lab in labels for v in lab.values()})
            or not _STR.issuperset({type(v) for ann in anns for v in ann.values()})):
        raise _OffPath
    # Top-level values: strings and None, besides the labels and annotations objects.
    if not _TOP.issuperset({type(v) for a in alerts for v in a.values()}):
        raise _OffPath
    objects = sum(type(v) is dict for a in alerts for v in a.values())
    if objects != len(alerts) + sum(type(a.get("annotations")) is dict for a in alerts):
        raise _OffPath


_DICT = frozenset((dict,))
_STR = frozenset((str,))
_TOP = frozenset((str, type(None), dict))
_STATUS_SET = set(_STATUSES)

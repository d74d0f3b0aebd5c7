"""Correlating an alert file larger than memory (course module M32): JSON Lines read a chunk at a time, each
chunk's frame cut down to the rows the correlator's incidents depend on, the rest only counted.

Alertmanager re-sends every alert of a group in each notification, so most rows of a big file are re-sends, and
``correlate`` drops a re-send as a duplicate before anything else reads it: a row matters only as the first of
its alert instance in its status (time order, ties by position), as the resolved row that ends its instance
earliest, or as the first row carrying its alert's exact content (which fixes the order in which fingerprints and
label values are first seen). Each chunk keeps those rows (a superset of them: an alert spanning two chunks is
kept in both, and the second copy is a duplicate in the kept frame as it was in the file), in file order, with
equal strings and label sets shared between chunks. ``correlate`` over the kept rows then finds the same
incidents and notifications as over the whole file (``tests/test_alerts_stream.py``); its ``dropped`` and
``assignment`` list the kept rows only (positions in the kept frame), and ``alerts_in`` counts every row.

Peak memory is one chunk's frame plus the kept rows (about a quarter of a storm's rows, sharing their objects).
A file off the fast path (not JSON Lines, not ASCII, a bad line) is read whole by ``alerts.parse_file``, so its
result and its errors are the in-memory ones.
"""
from __future__ import annotations

import gc

import numpy as np
import pandas as pd

from . import alerts
from . import correlate as corr
from .alerts_fast import _OFF, _Columns, _file_lines, _lines

CHUNK_ALERTS = 250_000  # rows per reduced chunk: big enough that few alerts span two chunks
_INTERNED = ("fingerprint", "alertname", "service", "component", "severity", "status", "generator_url", "group_key")


def correlate_file(path, config=None, topology=None, *, chunk_alerts: int = CHUNK_ALERTS,
                   **kw) -> corr.Correlation:
    """``correlate.correlate`` over an Alertmanager JSON Lines file read in chunks (see the module docstring):
    the same ``incidents`` and ``notifications`` as ``correlate(parse_file(path))``, in bounded memory."""
    kept = reduced_frame(path, chunk_alerts)
    if kept is None:  # off the fast path: the whole file, as the in-memory path reads it
        return corr.correlate(alerts.parse_file(path), config, topology, **kw)
    frame, rows, last = kept
    if rows and "until" not in kw:
        kw["until"] = pd.Timestamp(last, tz="UTC")  # the default horizon: the file's last received_at
    result = corr.correlate(frame, config, topology, **kw)
    result.alerts_in = rows
    return result


def reduced_frame(path, chunk_alerts: int = CHUNK_ALERTS) -> tuple[pd.DataFrame, int, int] | None:
    """(the kept rows as an alert frame without ``true_cause``, every row counted, the latest ``received_at`` in
    ns), or None when the file is off the fast path."""
    was_enabled = gc.isenabled()
    gc.disable()  # millions of acyclic objects (see alerts.parse_payloads)
    try:
        shared: dict = {}
        parts: list[pd.DataFrame] = []
        rows, last, first_payload = 0, np.iinfo(np.int64).min, 0
        cols = _Columns()
        for kept in _file_lines(path):
            cols.add(_lines(kept), first_payload)
            first_payload += len(kept)
            if sum(map(len, cols.ids)) >= chunk_alerts:
                part, n, t = _reduce(cols, shared)
                parts.append(part)
                rows, last, cols = rows + n, max(last, t), _Columns()
                gc.collect(0)  # the chunk's frame, if pandas left it in a cycle (the collector is paused)
        if first_payload < 2:
            return None  # one payload: read as one object
        if cols.ids:
            part, n, t = _reduce(cols, shared)
            parts.append(part)
            rows, last = rows + n, max(last, t)
    except _OFF:
        return None
    finally:
        if was_enabled:
            gc.enable()
    if not parts:
        return alerts.empty_frame(), 0, last
    return pd.concat(parts, ignore_index=True), rows, last


def _reduce(cols: _Columns, shared: dict) -> tuple[pd.DataFrame, int, int]:
    """One chunk's frame cut down to the rows that matter (module docstring), objects shared through ``shared``."""
    body = np.concatenate(cols.ids)  # each row's distinct alert text
    frame = cols.frame()
    n = len(frame)
    keep = np.zeros(n, dtype=bool)
    keep[np.unique(body, return_index=True)[1]] = True  # the first row of each alert text
    t_in, start, ends = (frame[c].array.asi8 for c in ("received_at", "starts_at", "ends_at"))
    firing = frame["status"].to_numpy(dtype=object) == "firing"
    fp = pd.factorize(frame["fingerprint"].to_numpy(dtype=object))[0].astype(np.int64)
    st = pd.factorize(start)[0].astype(np.int64)
    key = (fp * (int(st.max()) + 1) + st) * 2 + firing
    order = np.argsort(t_in, kind="stable")  # time order, ties by position: correlate's order
    keep[order[~pd.Series(key[order]).duplicated().to_numpy()]] = True  # each instance's first row per status
    res = np.flatnonzero(~firing)
    if len(res):  # each instance's resolved row that ends it earliest (correlate's instance end)
        nat = np.iinfo(np.int64).min
        res_t = np.where((ends[res] != nat) & (ends[res] >= start[res]), ends[res], t_in[res])
        o = res[np.argsort(res_t, kind="stable")]
        keep[o[~pd.Series(key[o]).duplicated().to_numpy()]] = True
    part = frame.loc[keep, list(alerts.FRAME_COLUMNS)].reset_index(drop=True)
    for c in _INTERNED:
        part[c] = np.array([shared.setdefault(v, v) for v in part[c].to_numpy(dtype=object)], dtype=object)
    for c in ("labels", "annotations"):
        part[c] = np.array([shared.setdefault((c, tuple(d.items())), d) for d in part[c].to_numpy(dtype=object)],
                           dtype=object)
    return part, n, int(t_in.max())

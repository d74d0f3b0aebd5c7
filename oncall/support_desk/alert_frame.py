"""The alert frame's columns and Alertmanager's fingerprint (course module M32): what the readers in
``alerts`` (the reference parse) and ``alerts_fast`` (the common case, fast) both build on.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

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




def parse_times(values: list, required: bool) -> tuple[pd.Series, np.ndarray]:
    """RFC 3339 strings parsed in one vectorized call (the zero time, "" and None become NaT), and which values are
    bad: a string that does not parse, or a missing value where ``required``."""
    cleaned = [None if (v is None or v == "" or v.startswith("0001-01-01")) else v for v in values]
    parsed = pd.to_datetime(pd.Series(cleaned, dtype=object), utc=True, format="ISO8601", errors="coerce")
    parsed = parsed.astype(_TS_DTYPE)
    bad = parsed.isna().to_numpy() & np.array([v is not None for v in cleaned], dtype=bool)
    if required:
        bad |= np.array([v is None for v in cleaned], dtype=bool)
    return parsed, bad


def empty_frame() -> pd.DataFrame:
    """An alert frame with no rows and the right dtypes (what an empty input or a zero-alert payload gives)."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in FRAME_COLUMNS})
    for c in ("starts_at", "ends_at", "received_at"):
        frame[c] = pd.Series([], dtype=_TS_DTYPE)
    frame["payload"] = pd.Series([], dtype=np.int64)
    return frame

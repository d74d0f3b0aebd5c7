"""Durations written in the course's files and options, the one parser for all of them.

Two spellings, one grammar (a whole number and a unit, Prometheus' units):

- ``parse_duration``: a Prometheus duration ('30s', '5m', '1h30m', '4h', '1d') -> seconds, as Alertmanager's
  and the storm's files write them (``group_wait``, ``for``, ``window`` ...); a bare number is seconds.
- ``parse_duration_min``: an OpenSLO duration ('30d', '6h', '5m': one whole number above 0 and one of m, h,
  d, w) -> whole minutes, as SLO periods and burn-rate windows are written.

Either raises BadInput naming the file (or option) and the field. Bottom layer: imports nothing of the
course's but its errors.
"""
from __future__ import annotations

import re

from .errors import BadInput

_DURATION = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_OPENSLO_UNITS = ("m", "h", "d", "w")


def parse_duration(text, where: str = "<argument>", field: str | None = None) -> float:
    """A Prometheus duration ('30s', '5m', '1h30m', '4h', '1d') -> seconds. Numbers are taken as seconds."""
    if text is None:
        raise BadInput(where, field, "missing; expected a duration like 30s, 5m or 4h")
    if isinstance(text, (int, float)) and not isinstance(text, bool) and text >= 0:
        return float(text)
    s = str(text).strip()
    parts = _DURATION.findall(s)
    if not s or "".join(n + u for n, u in parts) != s:
        raise BadInput(where, field, f"expected a duration like 30s, 5m or 4h, got {text!r}")
    return float(sum(int(n) * _UNIT_S[u] for n, u in parts))


def parse_duration_min(text, where: str, field: str) -> int:
    """'30d' -> 43200. OpenSLO durations: a whole number above 0 and one of m, h, d, w."""
    m = _DURATION.fullmatch(str(text).strip())
    if not m or m.group(2) not in _OPENSLO_UNITS or int(m.group(1)) <= 0:
        raise BadInput(where, field, f"expected a duration like 30d, 6h or 5m (units m, h, d, w), got {text!r}")
    return int(m.group(1)) * _UNIT_S[m.group(2)] // 60


__all__ = ["parse_duration", "parse_duration_min"]

"""``oncall slo report --prometheus URL --slo FILE``: the course's burn engine over a real Prometheus's counters (M31).

The SLO's ratioMetric columns map to the exporter counters of ``promrules`` (``assistant_requests_total`` and the
like). The report reads each counter's value at every whole minute of [from, to] through ``/api/v1/query_range``
(``sum(COUNTER)`` at a 60 s step), takes the differences as the per-minute counts (a counter reset counts from
zero), and runs ``burn.evaluate`` over them, as the shift does over the simulator's counts: the same budget
spent and the same firing periods. Reading raw counter values, not ``rate()``, keeps the sums exact.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd

from ..errors import BadInput
from . import burn
from .promrules import COLUMN_METRICS, JOB, LATENCY_FAMILY, _le, firing_edges, parse_time
from .slo import SLO, load_slo

MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series in one query_range


def _selector(slo: SLO, column: str) -> str:
    if column == "slow":
        return f'sum({LATENCY_FAMILY}_count{{job="{JOB}"}}) - sum({LATENCY_FAMILY}_bucket{{job="{JOB}",le="{_le(slo)}"}})'
    if column not in COLUMN_METRICS:
        raise BadInput(slo.source, "spec.indicator.spec.ratioMetric", f"no exporter metric for the column {column!r}")
    return f'sum({COLUMN_METRICS[column]}{{job="{JOB}"}})'


def query_range(url: str, query: str, start: datetime, end: datetime, timeout: float = 30.0) -> np.ndarray:
    """The query's values at every minute of [start, end] (NaN where it has none), in chunks Prometheus accepts."""
    minutes = int((end - start).total_seconds() // 60)
    out = np.full(minutes + 1, np.nan)
    for first in range(0, minutes + 1, MAX_POINTS):
        last = min(minutes, first + MAX_POINTS - 1)
        params = urllib.parse.urlencode({"query": query, "start": _epoch(start) + 60 * first,
                                         "end": _epoch(start) + 60 * last, "step": "60"})
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/query_range?{params}", timeout=timeout) as resp:
                doc = json.loads(resp.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise BadInput("--prometheus", None, f"cannot query {url} ({getattr(exc, 'reason', exc)})") from None
        if doc.get("status") != "success":
            raise BadInput("--prometheus", None, f"{url} answered {doc.get('errorType')}: {doc.get('error')}")
        for series in doc["data"]["result"][:1]:
            for t, v in series["values"]:
                out[int(round((float(t) - _epoch(start)) / 60))] = float(v)
    return out


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def counts(cumulative: np.ndarray) -> np.ndarray:
    """Per-minute counts from a counter read at each minute: the differences; a reset starts again from zero;
    a minute without a reading counts nothing."""
    filled = pd.Series(cumulative).ffill().fillna(0.0).to_numpy()
    diff = np.diff(filled)
    reset = diff < 0
    diff[reset] = filled[1:][reset]
    return np.rint(diff).astype(np.int64)


def report(url: str, slo_path: str, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Budget spent and each tier's firing periods over [start, end] (default: the 7 days to now)."""
    slo = load_slo(slo_path)
    end = end or datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = start or end - timedelta(days=7)
    if end <= start:
        raise BadInput("--to", None, "must be after --from")
    columns = sorted({c for c in (slo.total, slo.bad, slo.good) if c})
    frame = pd.DataFrame({c: counts(query_range(url, _selector(slo, c), start, end)) for c in columns})
    bad, total = slo.bad_and_total(frame)
    tiers = burn.load_tiers()
    ev = burn.evaluate(bad, total, slo, tiers, step_min=1.0)
    minute0 = start + timedelta(minutes=1)
    periods = {}
    for tier in tiers:
        runs = firing_edges(ev.frame[f"{tier.name}.fires"].to_numpy())
        periods[tier.name] = [{"from": _iso(minute0 + timedelta(minutes=a)), "to": _iso(minute0 + timedelta(minutes=b))}
                              for a, b in runs]
    spent = float(ev.frame["budget_consumed_pct"].iat[-1]) if len(ev.frame) else 0.0
    return {"slo": slo.name, "objective": slo.objective, "from": _iso(start), "to": _iso(end),
            "minutes": int(len(frame)), "events": int(total.sum()), "bad_events": int(bad.sum()),
            "budget_consumed_pct": round(spent, 4),
            "tiers": [{"name": t.name, "severity": t.severity, "threshold": ev.thresholds[t.name],
                       "firing": periods[t.name]} for t in tiers]}


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report_text(doc: dict) -> str:
    lines = [f"{doc['slo']} (objective {doc['objective']:g}) from {doc['from']} to {doc['to']}: "
             f"{doc['bad_events']} bad of {doc['events']} events, {doc['budget_consumed_pct']:.2f} % of the "
             f"period's error budget spent."]
    for tier in doc["tiers"]:
        runs = ", ".join(f"{r['from']} - {r['to']}" for r in tier["firing"]) or "never fired"
        lines.append(f"  {tier['name']:<10} ({tier['severity']}, {tier['threshold']:g}x): {runs}")
    return "\n".join(lines)


def report_command(url: str, slo_path: str, start: str | None, end: str | None, as_json: bool = False) -> str:
    doc = report(url, slo_path, parse_time(start, "--from") if start else None,
                 parse_time(end, "--to") if end else None)
    return json.dumps(doc, indent=2) if as_json else report_text(doc)

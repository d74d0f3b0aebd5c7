"""The correlator's output and its quality (M32): the ``oncall correlate --json`` object, noise reduction,
pairwise precision and recall against the true causes, and the naive one-incident-per-alert-name baseline."""
from __future__ import annotations


import numpy as np
import pandas as pd

from .frames import _ns

# Correlation (support_desk/correlate.py) imports this module: annotations name it as a string.

REASONS = ("duplicate", "inhibited", "silenced", "resolved", "noise")


def _iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def noise_reduction_pct(alerts_in: int, notifications_out: int) -> float:
    """100 x (1 - notifications / alerts), in percent; 0.0 when no alerts came in."""
    return 0.0 if alerts_in <= 0 else 100.0 * (1.0 - notifications_out / alerts_in)


def to_json(c: Correlation) -> dict:
    """The ``oncall correlate --json`` object (DESIGN.md): ``incidents`` (``id``, ``fingerprints``, ...) and
    ``dropped`` (``fingerprint``, ``reason``, ``row``), plus the totals the scorecard uses."""
    incidents = [{
        "id": r.id, "fingerprints": list(r.fingerprints), "alerts": int(r.alerts), "rows": int(r.rows),
        "services": list(r.services), "components": list(r.components), "first_at": _iso(r.first_at),
        "last_at": _iso(r.last_at), "severity": str(r.severity), "status": str(r.status),
    } for r in c.incidents.itertuples(index=False)]
    dropped = [{"fingerprint": str(f), "reason": str(rs), "row": int(rw), "detail": str(dt)}
               for rw, f, rs, dt in zip(c.dropped["row"], c.dropped["fingerprint"], c.dropped["reason"], c.dropped["detail"])]
    sent = c.oncall_notifications
    distinct = len({f for r in incidents for f in r["fingerprints"]} | {d["fingerprint"] for d in dropped})
    return {"incidents": incidents, "dropped": dropped, "alerts_total": int(c.alerts_in),
            "group_notifications": len(c.notifications), "notifications_sent": sent,
            "noise_reduction_pct": round(noise_reduction_pct(c.alerts_in, sent), 2),
            "distinct_alerts": distinct, "noise_reduction_distinct_pct": round(noise_reduction_pct(distinct, sent), 2)}


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_precision_recall(assignment: pd.Series, true_cause: pd.Series) -> tuple[float, float]:
    """Pairwise precision and recall of incidents against true causes, over rows not dropped.

    Precision: of the pairs of rows placed in one incident, the share with the same true cause; recall: of the
    pairs with the same true cause, the share placed in one incident. O(n) by the contingency table:
    pairs = sum over cells of C(n, 2). Returns 1.0 where there is no pair to judge.
    """
    a = np.asarray(assignment, dtype=object)
    reasons = set(REASONS)
    kept = np.fromiter((x not in reasons for x in a), dtype=bool, count=len(a))
    inc = pd.factorize(a[kept])[0]
    causes = np.asarray(true_cause, dtype=object)[kept]
    if not all(type(c) is str for c in causes):   # as text, as pandas writes them
        causes = pd.Series(causes).astype(str).to_numpy(dtype=object)
    cause = pd.factorize(causes)[0]
    if len(inc) == 0:
        return 1.0, 1.0
    both = _pairs(np.unique(inc * (cause.max() + 1) + cause, return_counts=True)[1])
    same_inc, same_cause = _pairs(np.bincount(inc)), _pairs(np.bincount(cause))
    return (both / same_inc if same_inc else 1.0), (both / same_cause if same_cause else 1.0)


def naive_one_incident_per_alertname(frame: pd.DataFrame) -> pd.Series:
    """The naive baseline: every alert name seen firing is its own incident (no dedup across names, no
    topology, no time). Returns the per-row assignment (NAIVE-0001... in order of first firing; rows of names
    never seen firing get "resolved")."""
    firing = frame["status"].to_numpy(dtype=object) == "firing"
    names = frame["alertname"].to_numpy(dtype=object)
    t = _ns(frame["received_at"])
    o = np.argsort(t, kind="stable")
    seen = pd.unique(names[o][firing[o]])
    ids = {nm: f"NAIVE-{i + 1:04d}" for i, nm in enumerate(seen)}
    return pd.Series([ids.get(nm, "resolved") for nm in names], index=frame.index, name="assignment")

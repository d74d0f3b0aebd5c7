"""Burn-rate alerts as the support desk receives them (M32 over M31's tiers): each episode of an SLO tier firing
becomes an Alertmanager-shaped ``ErrorBudgetBurn`` alert, so the page travels the same pipeline as every other
alert and joins the incident the correlator opens."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ..incident_response import burn
from .alerts import FRAME_COLUMNS, fingerprint


def burn_alert_labels(service_name: str, slo: str, tier: burn.Tier, component: str = "") -> dict:
    """The labels of an SLO tier's ErrorBudgetBurn alert."""
    labels = {"alertname": "ErrorBudgetBurn", "service": service_name, "slo": slo, "severity": tier.severity,
              "tier": tier.name, "long_window": f"{tier.long_window_min}m", "short_window": f"{tier.short_window_min}m"}
    if component:   # an SLO that watches one component (freshness: the index) says so in its alerts
        labels["component"] = component
    return labels


def burn_alerts(service: pd.DataFrame, evaluations: dict[str, burn.Evaluation], service_name: str,
                runbook_url: str, true_cause=None) -> pd.DataFrame:
    """One firing row when a tier starts firing and one resolved row when it stops, per episode, as alert rows.

    ``true_cause(minute) -> str`` labels each episode with its ground truth (never read by the correlator).
    """
    ends = service.index + timedelta(minutes=1)
    rows = []
    for slo, ev in evaluations.items():
        for tier in ev.tiers:
            fires = ev.frame[f"{tier.name}.fires"].to_numpy()
            edges = np.flatnonzero(np.diff(np.concatenate([[0], fires.astype(np.int8), [0]])))
            component = ev.component
            labels = burn_alert_labels(service_name, slo, tier, component)
            fp = fingerprint(labels)
            for start, stop in zip(edges[::2], edges[1::2]):
                started = ends[start]
                summary = (f"{slo} is burning its error budget at {ev.frame[f'{tier.name}.long_burn'].iat[start]:.1f}x "
                           f"over {tier.long_window_min} min (threshold {ev.thresholds[tier.name]:g}x)")
                base = dict(fingerprint=fp, alertname="ErrorBudgetBurn", service=service_name, component=component,
                            severity=tier.severity, starts_at=started, labels=labels,
                            annotations={"summary": summary, "runbook_url": runbook_url},
                            generator_url="", group_key="", payload=0,
                            true_cause=true_cause(int(start)) if true_cause else "")
                rows.append({**base, "status": "firing", "ends_at": pd.NaT, "received_at": started})
                if stop < len(fires):
                    rows.append({**base, "status": "resolved", "ends_at": ends[stop], "received_at": ends[stop]})
    frame = pd.DataFrame(rows, columns=[*FRAME_COLUMNS, "true_cause"])
    for col in ("starts_at", "ends_at", "received_at"):
        frame[col] = pd.to_datetime(frame[col], utc=True).astype("datetime64[ns, UTC]")
    frame["payload"] = frame["payload"].astype(np.int64)
    return frame


def page_fingerprint(service_name: str, page, evaluations: dict[str, burn.Evaluation]) -> str:
    """The fingerprint of the burn alert a page (``incident_response.alerting.Page``) fired as."""
    ev = evaluations[page.slo]
    tier = next(t for t in ev.tiers if t.name == page.tier)
    return fingerprint(burn_alert_labels(service_name, page.slo, tier, ev.component))

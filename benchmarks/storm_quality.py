"""How well the correlator collapses the generated alert storm (course module M32), over seeds 1..20.

For each seed: the bad-deploy shift's counts -> the storm (oncall.support_desk.monitors, data/alerting/storm.yaml)
-> the correlator (data/alerting/alertmanager.yaml, data/topology.yaml). Prints alerts in (webhook rows),
distinct alerts, notifications out, noise reduction, pairwise precision and recall against the storm's ground
truth, incidents, whether the deploy's alerts sit in exactly one incident and the billing incident apart, and
the naive baseline (one incident per alert name); then the mean and the worst seed.

The storm is the generator's honest output: its makeup was fixed before these figures were measured.
Figures on simulated data teach; they are not comparable with published research figures.

Run from the repository root:  .venv/bin/python benchmarks/storm_quality.py [--seeds 1-20]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from oncall.scenario import load_scenario  # noqa: E402
from oncall.shift import run_shift  # noqa: E402
from oncall.support_desk.correlate import (  # noqa: E402
    REASONS, correlate, load_alerting_config, load_topology, naive_one_incident_per_alertname, noise_reduction_pct,
    pairwise_precision_recall)
from oncall.support_desk.monitors import generate_alerts, load_storm  # noqa: E402

TARGETS = {"noise_reduction_pct": 98.0, "precision": 0.95, "recall": 0.95}


def measure(seed: int, scenario=None, storm=None, config=None, topology=None) -> dict:
    """The storm of one seed and what the correlator and the naive baseline make of it."""
    scenario = scenario or load_scenario("bad-deploy")
    record = run_shift(scenario, seed)
    frame = generate_alerts(record.service, scenario, seed, storm or load_storm())
    c = correlate(frame, config or load_alerting_config(), topology or load_topology())
    precision, recall = pairwise_precision_recall(c.assignment, frame["true_cause"])
    a = c.assignment
    in_inc = a.str.startswith("INC-")
    deploy = frame["true_cause"].str.startswith("release:")
    billing = frame["true_cause"] == "billing-db"
    deploy_incs = set(a[in_inc & deploy])
    billing_incs = set(a[in_inc & billing])
    naive = naive_one_incident_per_alertname(frame)
    naive_p, naive_r = pairwise_precision_recall(naive, frame["true_cause"])
    naive_incidents = int(naive[naive.str.startswith("NAIVE-")].nunique())
    return {
        "seed": seed,
        "alerts": int(c.alerts_in),
        "distinct": int(len(frame.drop_duplicates(["fingerprint", "starts_at"]))),
        "notifications": int(c.oncall_notifications),
        "group_notifications": len(c.notifications),
        "noise_reduction_pct": noise_reduction_pct(c.alerts_in, c.oncall_notifications),
        "precision": precision,
        "recall": recall,
        "incidents": int(len(c.incidents)),
        "deploy_incidents": len(deploy_incs),
        "billing_apart": len(billing_incs) == 1 and not (billing_incs & deploy_incs),
        "naive_incidents": naive_incidents,
        "naive_precision": naive_p,
        "naive_recall": naive_r,
        "dropped": {r: int((a == r).sum()) for r in REASONS},
    }


def run(seeds) -> pd.DataFrame:
    scenario, storm = load_scenario("bad-deploy"), load_storm()
    config, topology = load_alerting_config(), load_topology()
    return pd.DataFrame([measure(s, scenario, storm, config, topology) for s in seeds])


def misses(row) -> list[str]:
    out = [k for k, v in TARGETS.items() if row[k] < v]
    if row["deploy_incidents"] != 1:
        out.append("one_deploy_incident")
    if not row["billing_apart"]:
        out.append("billing_apart")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="1-20", help="a range like 1-20 (default)")
    args = p.parse_args(argv)
    lo, _, hi = args.seeds.partition("-")
    table = run(range(int(lo), int(hi or lo) + 1))
    cols = ["seed", "alerts", "distinct", "group_notifications", "notifications", "noise_reduction_pct", "precision", "recall", "incidents",
            "deploy_incidents", "billing_apart", "naive_incidents"]
    shown = table[cols].copy()
    shown["noise_reduction_pct"] = shown["noise_reduction_pct"].round(2)
    shown[["precision", "recall"]] = shown[["precision", "recall"]].round(4)
    print(shown.to_string(index=False))
    print()
    print(f"mean: alerts {table.alerts.mean():.0f}, notifications {table.notifications.mean():.1f}, noise reduction "
          f"{table.noise_reduction_pct.mean():.2f} %, precision {table.precision.mean():.4f}, recall "
          f"{table.recall.mean():.4f}, incidents {table.incidents.mean():.1f} (naive baseline "
          f"{table.naive_incidents.mean():.1f}, its precision {table.naive_precision.mean():.4f}, recall "
          f"{table.naive_recall.mean():.4f})")
    worst = table.loc[table.noise_reduction_pct.idxmin()]
    print(f"worst seed by noise reduction: {int(worst.seed)} ({worst.noise_reduction_pct:.2f} %); "
          f"lowest precision {table.precision.min():.4f} (seed {int(table.loc[table.precision.idxmin(), 'seed'])}), "
          f"lowest recall {table.recall.min():.4f} (seed {int(table.loc[table.recall.idxmin(), 'seed'])})")
    print("targets: noise reduction >= 98 %, precision and recall >= 0.95, one deploy incident, billing apart")
    missed = [(int(r["seed"]), misses(r)) for r in table.to_dict("records") if misses(r)]
    for seed, what in missed:
        print(f"  seed {seed} misses: {', '.join(what)}")
    if not missed:
        print("  every seed meets every target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

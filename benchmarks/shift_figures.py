"""The shift's figures over seeds 1..20 (or --seeds A B), each beside its naive baseline, with the worst seed.

    .venv/bin/python benchmarks/shift_figures.py

Measured on simulated data (the scenario was fixed before the code measured on it): these teach, they are not
comparable with published figures.
"""
from __future__ import annotations

import argparse

import pandas as pd

from oncall.progress import progress
from oncall.scenario import load_scenario
from oncall.shift import run_shift, scorecard

COLUMNS = ["time_to_detect_min", "time_to_mitigate_min", "budget_consumed_pct", "alerts_total",
           "notifications_sent", "noise_reduction_pct", "noise_reduction_distinct_pct", "grouping_precision", "grouping_recall",
           "baseline_incidents_opened", "baseline_grouping_recall", "ticket_link_f1", "baseline_ticket_link_f1"]


def measure(seeds: range, scenario: str = "bad-deploy") -> pd.DataFrame:
    sc = load_scenario(scenario)
    rows = []
    for seed in progress(seeds, scenario):
        card = scorecard(run_shift(sc, seed))
        rows.append({"seed": seed, "gate": "green" if card["passed"] else "RED",
                     "red": ",".join(c["name"] for c in card["checks"] if not c["passed"]),
                     **{k: card["metrics"].get(k) for k in COLUMNS}})
    return pd.DataFrame(rows).set_index("seed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs=2, type=int, default=(1, 20))
    parser.add_argument("--scenario", default="bad-deploy")
    args = parser.parse_args()
    table = measure(range(args.seeds[0], args.seeds[1] + 1), args.scenario)
    pd.set_option("display.width", 200)
    print(table.to_string())
    numeric = table.drop(columns=["gate", "red"]).astype(float)
    print("\nmean:  " + ", ".join(f"{k} {v:.2f}" for k, v in numeric.mean().items()))
    worst = {"time_to_detect_min": "max", "time_to_mitigate_min": "max", "budget_consumed_pct": "max",
             "noise_reduction_pct": "min", "noise_reduction_distinct_pct": "min", "grouping_precision": "min", "grouping_recall": "min",
             "ticket_link_f1": "min"}
    print("worst: " + ", ".join(f"{k} {getattr(numeric[k], how)():.2f} (seed {getattr(numeric[k], 'idx' + how)()})"
                                for k, how in worst.items() if numeric[k].notna().any()))
    print(f"gate green on {int((table.gate == 'green').sum())} of {len(table)} seeds")


if __name__ == "__main__":
    main()

"""The canary judge on an A/A canary under bursty, overdispersed failures, with and without its remedies (M33).

The honest fix of bad-deploy (the last good release's model and prompt) is canaried against the last good release,
once per seed, with the scenario's ``traffic.burst_dispersion`` knob off (independent draws, the judge's own
assumption) and on (each minute and release, error and slow chances multiplied by a Gamma(k, 1/k) factor: k = 4 is
mildly bursty, k = 0.25 very). Any verdict other than ``promoted`` is a false abort (or pause). Each night is
simulated once per seed and dispersion; the judge then ships a copy of it under each remedy setting
(``oncall.release_ops.canary.remedy_variants`` of data/canary/judge.yaml): no remedy, the practical-significance
floor tied to the error budget alone, a fresh baseline of the canary's size alone, the absolute SLO guard alone,
all three. The deploy gate (regression case, golden set) is off: the canary judge alone decides.

Then the catch rate: the really bad release (``--catch`` break modes, by default ``errors``: the fix still fails
lookups, about 22 % of requests) must be aborted on every seed, with no remedy and with all three, at the knob off
and at the burstiest dispersion measured.

The seeds 1..N were fixed before the knob or the remedies were measured.

Run from the repository root:  .venv/bin/python benchmarks/canary_bursty.py [--seeds 200] [--k 4,1,0.5,0.25]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.release_ops.canary import load_config, remedy_variants  # noqa: E402
from oncall.scenario import load_scenario  # noqa: E402
from oncall.ship import JUDGE_CONFIG  # noqa: E402
from oncall.sweeps import shift_before_ship, ship_from  # noqa: E402


def with_dispersion(scenario, k):
    """The scenario with ``traffic.burst_dispersion`` k (None: off)."""
    return scenario.model_copy(update={"traffic": scenario.traffic.model_copy(update={"burst_dispersion": k})})


def verdicts(scenario, seeds, break_mode: str, configs: dict) -> dict[str, list[str]]:
    """Config name -> the canary's verdict per seed; each night simulated once, shipped once per config."""
    got: dict[str, list[str]] = {name: [] for name in configs}
    for seed in seeds:
        night = shift_before_ship(scenario, seed, break_mode)
        for name, config in configs.items():
            got[name].append(ship_from(night, finish=False, config=config, regression_precheck=False).canary.verdict)
    return got


def label(k) -> str:
    return "off" if k is None else f"k = {k:g}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--k", default="4,1,0.5,0.25", help="the dispersions to measure beside the knob off")
    ap.add_argument("--catch", default="errors", help="break modes whose fix must be aborted (comma-separated; "
                                                      "empty: none)")
    args = ap.parse_args(argv)
    sc = load_scenario("bad-deploy")
    seeds = range(1, args.seeds + 1)
    variants = remedy_variants(load_config(JUDGE_CONFIG))
    ks = [None] + [float(x) for x in args.k.split(",") if x]
    t0 = time.time()
    print(f"A/A false aborts or pauses of the honest fix, bad-deploy, seeds 1-{args.seeds} (the canary judge alone):\n")
    print("| burst_dispersion | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for k in ks:
        got = verdicts(with_dispersion(sc, k), seeds, "none", variants)
        cells = []
        for name, v in got.items():
            bad = [s for s, verdict in zip(seeds, v) if verdict != "promoted"]
            cells.append(f"{len(bad)} of {len(v)}" + (f" (seeds {', '.join(map(str, bad[:6]))}"
                                                     f"{', ...' if len(bad) > 6 else ''})" if bad else ""))
        print(f"| {label(k)} | " + " | ".join(cells) + " |", flush=True)
    modes = [m for m in args.catch.split(",") if m]
    if modes:
        catch = {name: variants[name] for name in ("no remedy", "all three")}
        print(f"\nCatches of the broken fix (aborted), seeds 1-{args.seeds}:\n")
        print("| break | burst_dispersion | " + " | ".join(catch) + " |")
        print("|---|---|" + "---|" * len(catch))
        for mode in modes:
            for k in (ks[0], ks[-1]) if len(ks) > 1 else ks:
                got = verdicts(with_dispersion(sc, k), seeds, mode, catch)
                cells = []
                for name, v in got.items():
                    missed = [s for s, verdict in zip(seeds, v) if verdict != "aborted"]
                    cells.append(f"{len(v) - len(missed)} of {len(v)}"
                                 + (f" (missed: seeds {', '.join(map(str, missed[:6]))})" if missed else ""))
                print(f"| {mode} | {label(k)} | " + " | ".join(cells) + " |", flush=True)
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
import json
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


def measure_seed(sc, seed: int, ks, variants: dict, catch_modes, catch_ks) -> list[dict]:
    """One seed: the A/A canary at every dispersion under every variant, then the broken fix under no remedy and all
    three. One row per (kind, break, dispersion, variant)."""
    rows = []
    for k in ks:
        got = verdicts(with_dispersion(sc, k), [seed], "none", variants)
        rows += [{"seed": seed, "kind": "aa", "break": "none", "k": k, "variant": n, "verdict": v[0]}
                 for n, v in got.items()]
    catch = {name: variants[name] for name in ("no remedy", "all three")}
    for mode in catch_modes:
        for k in catch_ks:
            got = verdicts(with_dispersion(sc, k), [seed], mode, catch)
            rows += [{"seed": seed, "kind": "catch", "break": mode, "k": k, "variant": n, "verdict": v[0]}
                     for n, v in got.items()]
    return rows


def tables(rows: list[dict]) -> str:
    """The two markdown tables (A/A false aborts; catches) from measured rows."""
    seeds = sorted({r["seed"] for r in rows})
    span = f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1)) else f"{len(seeds)} seeds"
    out = []
    aa = [r for r in rows if r["kind"] == "aa"]
    variants = list(dict.fromkeys(r["variant"] for r in aa))
    out.append(f"A/A false aborts or pauses of the honest fix, bad-deploy, {span} (the canary judge alone):\n")
    out.append("| burst_dispersion | " + " | ".join(variants) + " |")
    out.append("|---|" + "---|" * len(variants))
    for k in dict.fromkeys(r["k"] for r in aa):
        cells = []
        for name in variants:
            mine = [r for r in aa if r["k"] == k and r["variant"] == name]
            bad = [r["seed"] for r in mine if r["verdict"] != "promoted"]
            cells.append(f"{len(bad)} of {len(mine)}" + (f" ({', '.join(map(str, bad[:5]))}"
                                                        f"{', ...' if len(bad) > 5 else ''})" if bad else ""))
        out.append(f"| {label(k)} | " + " | ".join(cells) + " |")
    catch = [r for r in rows if r["kind"] == "catch"]
    if catch:
        names = list(dict.fromkeys(r["variant"] for r in catch))
        out.append(f"\nCatches of the broken fix (aborted), {span}:\n")
        out.append("| break | burst_dispersion | " + " | ".join(names) + " |")
        out.append("|---|---|" + "---|" * len(names))
        for mode, k in dict.fromkeys((r["break"], r["k"]) for r in catch):
            cells = []
            for name in names:
                mine = [r for r in catch if r["break"] == mode and r["k"] == k and r["variant"] == name]
                missed = [r["seed"] for r in mine if r["verdict"] != "aborted"]
                cells.append(f"{len(mine) - len(missed)} of {len(mine)}"
                             + (f" (missed: {', '.join(map(str, missed[:5]))})" if missed else ""))
            out.append(f"| {mode} | {label(k)} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--k", default="4,1,0.5,0.25", help="the dispersions to measure beside the knob off")
    ap.add_argument("--catch", default="errors", help="break modes whose fix must be aborted (comma-separated; "
                                                      "empty: none)")
    ap.add_argument("--rows", help="also write every measured row here (JSON Lines, one seed at a time), or, with "
                                   "--print, read them and print the tables")
    ap.add_argument("--print", action="store_true", help="print the tables of --rows and stop")
    args = ap.parse_args(argv)
    if args.print:
        print(tables([json.loads(line) for line in Path(args.rows).read_text().splitlines() if line]))
        return 0
    sc = load_scenario("bad-deploy")
    variants = remedy_variants(load_config(JUDGE_CONFIG))
    ks = [None] + [float(x) for x in args.k.split(",") if x]
    catch_ks = [ks[0], ks[-1]] if len(ks) > 1 else ks
    modes = [m for m in args.catch.split(",") if m]
    t0 = time.time()
    rows = []
    sink = open(args.rows, "w") if args.rows else None
    for seed in range(1, args.seeds + 1):   # seed by seed, so a partial run is a table over seeds 1..n
        mine = measure_seed(sc, seed, ks, variants, modes, catch_ks)
        rows += mine
        if sink:
            sink.writelines(json.dumps(r) + "\n" for r in mine)
            sink.flush()
    print(tables(rows))
    print(f"\n({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

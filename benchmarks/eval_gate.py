"""The golden set as the deploy gate (M26), measured over seeds: how often it blocks an honest fix (a false block)
and how often it stops the quality break's fix.

    python benchmarks/eval_gate.py [--seeds 1 200] [--epochs 1]

The gate's own rule (``oncall.ship``: every suite at its threshold on the greedy answers, and not significantly
below the last good release on sampled answers, ``oncall.evals.stats``: paired McNemar at alpha 0.01 with a
5-point floor) beside the naive rule (worse at McNemar p < 0.05, no floor).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oncall.evals import stats  # noqa: E402
from oncall.evals.harness import gate_cases, run_eval  # noqa: E402
from oncall.scenario import list_scenarios, load_scenario  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs=2, type=int, default=[1, 200])
    ap.add_argument("--epochs", type=int, default=1)
    args = ap.parse_args(argv)
    seeds = range(args.seeds[0], args.seeds[1] + 1)
    cases = gate_cases()
    print(f"golden set: {len(cases)} cases, {args.epochs} epoch(s), seeds {seeds.start}-{seeds.stop - 1}")
    print("| scenario | candidate | gate blocks | naive rule (worse, p < 0.05) blocks | mean delta (worst) |")
    print("|---|---|---|---|---|")
    for name, _ in list_scenarios():
        sc = load_scenario(name)
        good = sc.releases.last_good
        modes = ["none"] + [m for m in ("quality",) if m in sc.break_modes]
        for mode in modes:
            fix = sc.fix_release(mode)
            greedy_red = not run_eval(cases, fix).passed
            blocks = naive = 0
            deltas = []
            for seed in seeds:
                pair = stats.paired(run_eval(cases, good, seed=seed, epochs=args.epochs),
                                    run_eval(cases, fix, seed=seed, epochs=args.epochs))
                blocks += greedy_red or pair.significantly_below
                naive += pair.delta < 0 and pair.p_value < 0.05
                deltas.append(pair.delta)
            worst = max(deltas) if mode != "none" else min(deltas)
            print(f"| {name} | fix ({mode}) | {blocks} of {len(seeds)} | {naive} of {len(seeds)} | "
                  f"{100 * sum(deltas) / len(deltas):+.1f} points ({100 * worst:+.1f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

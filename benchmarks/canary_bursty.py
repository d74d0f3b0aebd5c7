"""The canary judge on an A/A canary under bursty, overdispersed failures (course module M33).

The honest fix of bad-deploy (the last good release's model and prompt) is canaried against the last good release,
once per seed, with the scenario's ``traffic.burst_dispersion`` knob off (independent draws, the judge's own
assumption) and on (each minute and release, error and slow chances multiplied by a Gamma(k, 1/k) factor: k = 4 is
mildly bursty, k = 1 very). Any verdict other than ``promoted`` is a false abort (or pause). The seeds 1..N were
fixed before the knob was measured. The remedies (a practical-significance floor tied to the error budget, a fresh
baseline of the canary's size, an absolute SLO guard) are not built yet.

Run from the repository root:  .venv/bin/python benchmarks/canary_bursty.py [--seeds 200] [--k 4,1]
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.scenario import load_scenario  # noqa: E402
from oncall.sweeps import canary_verdicts  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--k", default="4,1", help="the dispersions to measure beside the knob off")
    args = ap.parse_args(argv)
    sc = load_scenario("bad-deploy")
    seeds = range(1, args.seeds + 1)
    print("| burst_dispersion | false aborts or pauses (A/A canary) | verdicts |")
    print("|---|---|---|")
    for k in [None] + [float(x) for x in args.k.split(",") if x]:
        scen = sc.model_copy(update={"traffic": sc.traffic.model_copy(update={"burst_dispersion": k})})
        got = canary_verdicts(scen, seeds, "none", {"judge": None}, regression_precheck=False)["judge"]
        tally = Counter(got)
        bad = len(got) - tally["promoted"]
        print(f"| {'off' if k is None else f'{k:g}'} | {bad} of {len(got)} ({100 * bad / len(got):.1f} %) | "
              + ", ".join(f"{v} {n}" for v, n in sorted(tally.items())) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""False reds and catches of the canary judge (course module M33) over a fixed list of seeds of bad-deploy.

For each seed the whole shift runs (``oncall.shift.run_shift``) once per break mode:

* ``none``: the fix is healthy (prompt support-v8, tool schema orders-v4.1); any canary verdict other than
  ``promoted`` is a FALSE RED (a false abort or a pause);
* ``errors``, ``latency``, ``quality``: the fix is broken; a ``promoted`` verdict is a MISS. (In ``errors`` the
  regression eval aborts the canary before any traffic, so the judge is not exercised there.)
* ``errors-judge`` (extra): ``errors`` with the regression eval skipped, so the judge alone must catch the
  failing lookups (``oncall.ship.run_shift_with_ship(..., regression_precheck=False)``).

Prints a table per mode (bad outcomes, aborted / paused / promoted, the weight of the first failed analysis), the
metric(s) behind each false red (with their test, p-value and effect size), a per-metric tally, and the worst
seed of each mode: the seed with the lowest margin, where the margin is the smallest ratio (over all analyses and
metrics) of a metric's decision p-value (Holm-adjusted when the judge reports one) to the alpha of one analysis, among
metrics that moved in their bad direction. Under ``none`` a margin below 1 is a significant bad move (it is red
only if its effect also clears the metric's allowed change); under a break mode the margin of the aborting
analysis is reported (far below 1 = a clear catch; the highest is the closest call), and the latest catch (the
highest weight the broken fix reached before its abort). "check red" counts shifts whose gate check
canary_promoted_on_pass failed.

The seeds 1..200 were fixed before the judge was changed. Each shift takes well under a second; runs are
sequential on purpose (a shared 2-CPU machine).

Run from the repository root:  .venv/bin/python benchmarks/canary_false_red.py [--seeds 200] [--modes none,...]
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oncall.release_ops.canary import stops_rollout  # noqa: E402
from oncall.scenario import load_scenario  # noqa: E402
from oncall.sweeps import run_shift_with_ship  # noqa: E402
from oncall.shift import run_shift  # noqa: E402

SEEDS = tuple(range(1, 201))           # fixed before any change to the judge
MODES = ("none", "errors", "latency", "quality", "errors-judge")


def _bad_move(m) -> bool:
    """Did the metric move in its bad direction (canary worse than baseline)?"""
    if m.baseline is None or m.canary is None or any(isinstance(v, float) and math.isnan(v)
                                                     for v in (m.baseline, m.canary)):
        return False
    direction = {"error_ratio": "increase", "slow_ratio": "increase", "quality": "decrease"}.get(m.name, "either")
    if direction == "increase":
        return m.canary > m.baseline
    if direction == "decrease":
        return m.canary < m.baseline
    return m.canary != m.baseline


def _decision_p(m) -> float | None:
    p = getattr(m, "p_adjusted", None)
    return m.p_value if p is None else p


def margin(judgment, alpha: float) -> float:
    """min over metrics of (decision p-value / alpha) among metrics that moved in their bad direction."""
    ratios = [_decision_p(m) / alpha for m in judgment.metrics
              if _decision_p(m) is not None and m.classification != "nodata" and _bad_move(m)]
    return min(ratios, default=float("inf"))


@lru_cache(maxsize=1)
def _analysis_config():
    from oncall.release_ops.canary import analysis_config_for, load_config
    from oncall.ship import JUDGE_CONFIG

    return analysis_config_for(load_config(JUDGE_CONFIG))


def measure(scenario, seed: int, mode: str, alpha: float) -> dict:
    if mode == "errors-judge":
        record = run_shift_with_ship(scenario, seed, "errors", regression_precheck=False)
    else:
        record = run_shift(scenario, seed, mode)
    run = record.canary
    failed = next((iv for iv in run.intervals if stops_rollout(iv.judgment, _analysis_config())), None)
    culprits = []
    if failed is not None:
        culprits = [(m.name, m.classification, m.test, m.p_value, _decision_p(m), m.effect_size,
                     m.rank_classification) for m in failed.judgment.metrics if m.classification in ("high", "low")]
    if mode == "none":
        marg = min((margin(iv.judgment, alpha) for iv in run.intervals), default=float("inf"))
    else:
        marg = margin(failed.judgment, alpha) if failed is not None else float("inf")
    return {"seed": seed, "mode": mode, "verdict": run.verdict, "reason": run.reason,
            "failed_weight": failed.weight if failed is not None else None, "culprits": culprits,
            "intervals": len(run.intervals), "margin": marg,
            "check": next((c.passed for c in record.checks if c.name == "canary_promoted_on_pass"), None)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=len(SEEDS), help="run the first N of the fixed seeds 1..200")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated break modes")
    args = ap.parse_args(argv)
    seeds = SEEDS[:args.seeds]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    from oncall.release_ops.canary import analysis_config_for, load_config
    from oncall.ship import JUDGE_CONFIG

    config = analysis_config_for(load_config(JUDGE_CONFIG))   # the level one analysis of the rollout is judged at
    alpha = 1 - config.confidence
    scenario = load_scenario("bad-deploy")
    t0 = time.time()
    rows = {mode: [measure(scenario, s, mode, alpha) for s in seeds] for mode in modes}
    print(f"canary judge over {len(seeds)} seeds ({seeds[0]}..{seeds[-1]}) of bad-deploy, "
          f"{time.time() - t0:.0f} s\n")
    print(f"{'mode':<13} {'want':<9} {'bad':>9} {'aborted':>8} {'paused':>7} {'promoted':>9} {'check red':>10}  "
          f"first failed analysis at weight")
    for mode, rs in rows.items():
        verdicts = Counter(r["verdict"] for r in rs)
        want = "promoted" if mode == "none" else "not promo"
        bad = sum(r["verdict"] != "promoted" for r in rs) if mode == "none" else verdicts["promoted"]
        weights = Counter(r["failed_weight"] for r in rs if r["failed_weight"] is not None)
        wtxt = ", ".join(f"{w:g} %: {n}" for w, n in sorted(weights.items())) or "-"
        red = sum(r["check"] is False for r in rs)
        print(f"{mode:<13} {want:<9} {bad:>4}/{len(rs):<4} {verdicts['aborted']:>8} {verdicts['paused']:>7} "
              f"{verdicts['promoted']:>9} {red:>10}  {wtxt}")
    if "none" in rows:
        reds = [r for r in rows["none"] if r["verdict"] != "promoted"]
        print(f"\nfalse reds under none: {len(reds)}/{len(rows['none'])}")
        tally = Counter()
        for r in reds:
            tally.update({c[0] for c in r["culprits"]} or {"(" + r["verdict"] + ")"})
            parts = "; ".join(f"{n} {cls} [{test}] p {p:.3g}" + (f" (adj {pa:.3g})" if pa != p else "")
                              + (f" effect {e:.3g}" if e is not None and not math.isnan(e) else "")
                              + (f" rank test: {rk}" if rk else "")
                              for n, cls, test, p, pa, e, rk in r["culprits"])
            print(f"  seed {r['seed']:>3}: {r['verdict']} at {r['failed_weight']} %: {parts or r['reason']}")
        print("  per metric: " + (", ".join(f"{k} {v}" for k, v in tally.most_common()) or "none"))
    print("\nworst seed per mode (lowest margin = decision p / alpha of a metric moving the bad way):")
    for mode, rs in rows.items():
        pool = rs if mode == "none" else [r for r in rs if r["verdict"] != "promoted" and r["failed_weight"]]
        if mode != "none" and not pool:
            print(f"  {mode:<13} no analysis failed (aborted before any traffic: "
                  f"{sum(r['verdict'] == 'aborted' for r in rs)}/{len(rs)})")
            continue
        worst = min(pool, key=lambda r: r["margin"]) if mode == "none" else max(pool, key=lambda r: r["margin"])
        print(f"  {mode:<13} seed {worst['seed']}: margin {worst['margin']:.3g}, verdict {worst['verdict']}, "
              f"{worst['intervals']} analyses" + (f", failed at {worst['failed_weight']:g} %" if worst['failed_weight']
                                                 else ""))
        if mode != "none":
            latest = max(pool, key=lambda r: (r["failed_weight"], r["intervals"], r["margin"]))
            print(f"  {'':<13} latest catch: seed {latest['seed']} failed at {latest['failed_weight']:g} % after "
                  f"{latest['intervals']} analyses (margin {latest['margin']:.3g})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

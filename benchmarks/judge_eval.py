"""Eval statistics against the truth (M26), over seeds: the Wilson interval's coverage, the deploy gate's power for a
20- and a 5-point quality drop by cases and epochs, and the LLM judge's bias and its Rogan-Gladen correction.

    python benchmarks/judge_eval.py [--seeds 1 200]

The simulator knows each release's true pass rate (``oncall.evals.truth``); every figure here is measured against
it, beside its naive baseline (the normal interval; 14 cases; the judged rate uncorrected) and its worst seed.
Scenario bad-deploy; the same functions (``oncall.evals.study``) compute 04_learn's tables on fewer seeds.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from oncall.evals import judge as judging  # noqa: E402
from oncall.evals import study, truth  # noqa: E402
from oncall.evals.harness import gate_cases, golden_cases  # noqa: E402
from oncall.scenario import load_scenario  # noqa: E402
from oncall.service.answer_model import live_p_correct  # noqa: E402
from oncall.service.catalog import load_catalog  # noqa: E402


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", nargs=2, type=int, default=[1, 200])
    args = ap.parse_args(argv)
    seeds = range(args.seeds[0], args.seeds[1] + 1)
    n_seeds = len(seeds)
    sc = load_scenario("bad-deploy")
    gate = gate_cases()
    good, fix, terse = sc.releases.last_good, sc.fix_release("none"), sc.fix_release("quality")
    minus5, catalog5 = study.with_quality_drop(good, 0.05)
    t = {"good": truth.case_truths(gate, good), "fix": truth.case_truths(gate, fix),
         "terse": truth.case_truths(gate, terse), "minus5": truth.case_truths(gate, minus5, catalog5)}

    print(f"## Coverage of one run's 95 % interval (fix {fix.version}, 1 sampled answer per case, seeds "
          f"{seeds.start}-{seeds.stop - 1})\n")
    print("| cases | true pass rate | Wilson holds it | naive normal interval holds it | worst seed (its rate, Wilson CI) |")
    print("|---|---|---|---|---|")
    for label, tr in (("14 (hand-written)", truth.case_truths(golden_cases(), fix)), ("336 (gate set)", t["fix"])):
        c = study.coverage(tr, fix.version, seeds)
        print(f"| {label} | {pct(c.truth)} | {pct(c.wilson)} | {pct(c.wald)} | {c.worst_seed} ({pct(c.worst_rate)}, "
              f"{pct(c.worst_interval[0])}-{pct(c.worst_interval[1])}) |")

    print(f"\n## The gate's power: share of seeds it blocks the candidate against {good.version}\n")
    rows = study.power_table(t["good"], good.version,
                             {"20-point drop (quality break)": (t["terse"], terse.version),
                              "5-point drop": (t["minus5"], minus5.version),
                              "no drop (honest fix)": (t["fix"], fix.version)},
                             (14, 50, 100, 336), (1, 3, 5), seeds)
    print("| candidate | true drop | cases x epochs: gate blocks (McNemar alone) |")
    print("|---|---|---|")
    by = {}
    for label, p in rows:
        by.setdefault((label, p.true_drop), []).append(f"{p.cases}x{p.epochs}: {pct(p.blocked)} ({pct(p.significant)})")
    for (label, drop), cells in by.items():
        print(f"| {label} | {100 * drop:.1f} points | {'; '.join(cells)} |")

    judge = load_catalog().judge
    cal = judging.calibrate(judge, seed=0)
    true_live = live_p_correct(good, load_catalog())
    print(f"\n## The LLM judge ({judge.name}: stated false pass {pct(judge.false_pass)}, false fail "
          f"{pct(judge.false_fail)})\n")
    print(f"calibration ({cal.items} human-labelled answers, {sum(cal.truth)} right): kappa {cal.kappa:.2f}, "
          f"sensitivity {pct(cal.sensitivity)}, specificity {pct(cal.specificity)}")
    print(f"live quality SLI on {good.version}: truly right {pct(true_live)}, judged "
          f"{pct(judge.expected_pass_rate(true_live))} (the judge alone spends "
          f"{100 * (true_live - judge.expected_pass_rate(true_live)) / 0.05:.0f} % of the 5 % budget)\n")
    print("| release | true pass rate | judged: mean error, mean abs error | corrected: mean error, mean abs error | "
          "Wilson on judged holds truth | corrected CI holds truth | worst seed (corrected) |")
    print("|---|---|---|---|---|---|---|")
    for label, rel, tr in (("fix", fix, t["fix"]), ("fix, quality break", terse, t["terse"])):
        s = study.judge_study(tr, rel.version, seeds)
        print(f"| {rel.version} ({label}) | {pct(s.truth)} | {100 * s.raw_mean_error:+.2f}, "
              f"{100 * s.raw_mean_abs_error:.2f} points | {100 * s.corrected_mean_error:+.2f}, "
              f"{100 * s.corrected_mean_abs_error:.2f} points | {pct(s.raw_coverage)} | {pct(s.corrected_coverage)} | "
              f"{s.worst_seed} ({pct(s.worst_corrected)}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

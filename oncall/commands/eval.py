"""``oncall eval``: eval cases run against a release of the simulated agent, or a regression case promoted (M26)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import BadInput
from ..evals import judge as judging
from ..evals import stats
from ..evals.harness import ROLES, EvalResult, gate_cases, load_cases, run_eval
from ..evals.harness import promote as promote_case
from ..evals.harness import resolve_release as _resolve_release
from ..paths import display
from ..scenario import Scenario, load_scenario


def resolve_release(version_or_role: str, scenario: Scenario | str = "bad-deploy"):
    """The release by version (like 2026.11.3) or by role (last_good, bad, fix) of a scenario (loaded, or a NAME
    or PATH); BadInput on --release."""
    return _resolve_release(version_or_role, scenario if isinstance(scenario, Scenario) else load_scenario(scenario))


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def format_result(result: EvalResult, role: str | None, scenario_name: str, source: str) -> str:
    width = max([len(c.id) for c in result.cases] + [8])
    role_text = f" ({role})" if role else ""
    lines = [f"eval {source}: {len(result.cases)} cases on release {result.release}{role_text} of {scenario_name}"]
    for c in result.cases:
        lines.append(f"{'PASS' if c.passed else 'FAIL'}  {c.id:<{width}}  {c.score:.2f}  {c.detail}")
    for s in result.suites:
        lines.append(f"suite {s.name} ({s.source}): {s.passed_cases}/{s.cases} passed, pass rate {_pct(s.pass_rate)}, "
                     f"threshold {_pct(s.pass_rate_threshold)}: {'PASS' if s.passed else 'FAIL'}")
    lines.append(f"{'PASS' if result.passed else 'FAIL'}: eval {'passed' if result.passed else 'failed'} on "
                 f"{result.release} (pass rate {_pct(result.pass_rate)})")
    return "\n".join(lines)


def format_stats(summary: stats.Summary, pair: stats.Paired | None) -> str:
    k = summary.epochs
    lines = [f"sampled: {summary.cases} cases x {k} epochs = {summary.units} answers, pass rate "
             f"{_pct(summary.pass_rate)} (95 % Wilson CI {_pct(summary.ci_low)} to {_pct(summary.ci_high)})",
             f"pass@{k} {_pct(summary.pass_at_k[k])}, pass^{k} {_pct(summary.pass_pow_k[k])}; "
             f"{len(summary.flaky_cases)} flaky cases" + (f" ({', '.join(summary.flaky_cases[:8])}"
                                                           f"{', ...' if len(summary.flaky_cases) > 8 else ''})"
                                                           if summary.flaky_cases else "")]
    if summary.by_tag:
        lines.append("by tag: " + ", ".join(f"{t} {_pct(v)}" for t, v in summary.by_tag.items()))
    if pair is not None:
        lines.append(f"paired with {pair.baseline} on the same {pair.units} answers: {_pct(pair.baseline_rate)} -> "
                     f"{_pct(pair.candidate_rate)}, delta {100 * pair.delta:+.1f} points ({pair.only_baseline} "
                     f"passed only on {pair.baseline}, {pair.only_candidate} only on {pair.candidate}), McNemar "
                     f"p = {pair.p_value:.3g}: " + ("significantly below" if pair.significantly_below else
                                                    "not significantly below") + f" (alpha {stats.GATE_ALPHA:g}, "
                                                    f"floor {100 * stats.GATE_FLOOR:g} points)")
    return "\n".join(lines)


def format_judge(j: judging.JudgedEval) -> str:
    cal, c = j.calibration, j.corrected
    return (f"LLM judge {cal.judge.name} (stated false pass {_pct(cal.judge.false_pass)}, false fail "
            f"{_pct(cal.judge.false_fail)}): on {cal.items} human-labelled answers kappa {cal.kappa:.2f}, "
            f"sensitivity {_pct(cal.sensitivity)}, specificity {_pct(cal.specificity)}\n"
            f"judged pass rate {_pct(c.raw)} ({j.false_passes} false passes, {j.false_fails} false fails against "
            f"the exact graders' {_pct(j.exact_pass_rate)}); corrected (Rogan-Gladen) {_pct(c.corrected)}, 95 % "
            f"bootstrap CI {_pct(c.ci_low)} to {_pct(c.ci_high)}")


def eval_command(cases: str | None = None, release: str | None = None, scenario: str = "bad-deploy",
                 promote: str | None = None, as_json: bool = False,
                 regressions_dir: str | Path | None = None, epochs: int | None = None, seed: int | None = None,
                 compare: str | None = None, judge: bool = False) -> tuple[int, str]:
    """What ``oncall eval`` prints and its exit status: 0 the eval passed, 1 it failed (BadInput propagates: 2).

    With ``promote``, copies that case file into data/evals/regressions/ (or ``regressions_dir``) instead.
    With ``epochs``, ``seed`` or ``compare`` the answers are sampled (``epochs`` per case, default 1; ``seed``
    default 0) and the statistics added: without ``cases`` the deploy gate's golden set runs (hand-written and
    generated); ``compare`` runs that release on the same cases and samples and tests the difference (exit 1 when
    the release is significantly below it). ``judge`` reads the sampled answers through the LLM judge too
    (``evals.judge``): raw and corrected pass rate, kappa, sensitivity and specificity (the verdict stays the
    exact graders').
    """
    if promote is not None:
        if cases is not None or release is not None or epochs is not None or compare is not None or judge:
            raise BadInput("--promote", None, "promotes a case file and runs nothing; drop --cases and --release")
        target = promote_case(promote, regressions_dir)
        if as_json:
            return 0, json.dumps({"promoted": display(target)}, indent=2)
        return 0, f"promoted {promote} to {display(target)}"
    if not release:
        raise BadInput("--release", None, "missing; expected a release version or a role (last_good, bad, fix)")
    if epochs is not None and not 1 <= epochs <= 100:
        raise BadInput("--epochs", None, f"expected a whole number from 1 to 100, got {epochs}")
    sampled = epochs is not None or seed is not None or compare is not None or judge
    scen = load_scenario(scenario)
    rel = resolve_release(release, scen)
    caseset = gate_cases() if sampled and cases is None else load_cases(cases)
    if not caseset.cases:
        raise BadInput("--cases", None, "no eval cases found")
    seed = 0 if seed is None else seed
    epochs = (epochs or 1) if sampled else None
    result = run_eval(caseset, rel, seed=seed if sampled else None, epochs=epochs)
    code = 0 if result.passed else 1
    role = next((r for r in ROLES if getattr(scen.releases, r) == rel), None)
    summary = stats.summarize(result, caseset.cases) if sampled else None
    suites = {}
    if sampled:
        # sampled, a suite is judged on its share of passing answers (a case's K epochs are K answers)
        by_id = {c.id: c for c in result.cases}
        for s in caseset.suites:
            ok = [e >= by_id[i].threshold - 1e-12 for i in s.case_ids for e in by_id[i].epoch_scores]
            rate = sum(ok) / len(ok) if ok else 1.0
            suites[s.name] = {"source": s.source, "samples": len(ok), "pass_rate": round(rate, 4),
                              "pass_rate_threshold": s.pass_rate_threshold,
                              "passed": rate >= s.pass_rate_threshold - 1e-12}
        code = 0 if all(v["passed"] for v in suites.values()) else 1
    pair = None
    if compare is not None:
        base = resolve_release(compare, scen)
        pair = stats.paired(run_eval(caseset, base, seed=seed, epochs=epochs), result)
        code = 1 if pair.significantly_below else code
    judged = judging.judge_result(result, seed) if judge else None
    if as_json:
        doc = result.to_json()
        doc.update(scenario=scen.name, role=role)
        if summary is not None:
            doc.update(summary.to_json(), seed=seed, cases=doc["cases"], case_count=summary.cases,
                       release=result.release, sampled_suites=suites, passed=code == 0)
        if pair is not None:
            doc.update(comparison=pair.to_json(), delta=round(pair.delta, 4),
                       p_value=float(f"{pair.p_value:.4g}"))
        if judged is not None:
            doc.update(judge=judged.to_json(), pass_rate_raw=round(judged.corrected.raw, 4),
                       pass_rate_corrected=round(judged.corrected.corrected, 4),
                       kappa=round(judged.calibration.kappa, 4),
                       sensitivity=round(judged.calibration.sensitivity, 4),
                       specificity=round(judged.calibration.specificity, 4))
        return code, json.dumps(doc, indent=2)
    if summary is None:
        return code, format_result(result, role, scen.name, caseset.source)
    text = format_result(result, role, scen.name, caseset.source).rsplit("\n", 1)[0]
    text += "\n" + format_stats(summary, pair)
    for name, v in suites.items():
        text += (f"\nsampled suite {name}: pass rate {_pct(v['pass_rate'])} of {v['samples']} answers, threshold "
                 f"{_pct(v['pass_rate_threshold'])}: {'PASS' if v['passed'] else 'FAIL'}")
    if judged is not None:
        text += "\n" + format_judge(judged)
    text += f"\n{'PASS' if code == 0 else 'FAIL'}: sampled eval {'passed' if code == 0 else 'failed'} on {result.release}"
    return code, text



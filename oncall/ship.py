"""The ship phase: the fix goes back out through a canary judged by statistics (M33), under the error-budget policy.

Run of show: read where the error budget stands and what the policy lets ship; the deploy gate (M26): the regression
eval from the learn phase and the golden set (hand-written and generated cases) against the candidate, the golden
set once greedily (every suite at its pass-rate threshold: budgets, tool contracts) and once sampled as production
answers, paired with the last good release on the same cases and samples (a candidate significantly below it
never takes traffic), one ``eval.gated`` event, red: abort before any traffic; then the canary steps of
``release_ops.canary.run_canary`` (5, 25, 50 %, one analysis interval each) between the baseline (what serves
now: the last good release the rollback restored) and the fix as it ships under the break mode; promote to 100 %
only when the last analysis passes, abort to weight 0 on a failure, pause when the data stay inconclusive.
Every analysis is a ``canary.interval`` event and the outcome a ``canary.verdict`` event.

Adds to the record: ``record.canary`` (a ``CanaryRun``), ``record.budget`` (where the budget stands at the
canary) and the metrics ``budget_remaining_pct_at_canary`` and ``canary_intervals``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from . import yamlsafe
from .checks import CheckResult, register
from .evals import stats
from .evals.harness import Case, EvalResult, _as_caseset, gate_cases, run_eval
from .incident_response import budget
from .incident_response.budget import POLICY, BudgetPolicy, BudgetStanding, load_policy  # noqa: F401 (re-exported)
from .paths import DATA_DIR
from .record import ShiftRecord
from .release_ops.canary import (CanaryRun, Interval, JudgeConfig, SampleSource, fresh_baseline_of,
                                 load_config, run_canary, slo_guard_note, traffic_split)
from .release_ops.releases import ReleaseOps
from .service import simulate as sim

JUDGE_CONFIG = DATA_DIR / "canary" / "judge.yaml"


# --- the error-budget policy (incident_response.budget) ------------------------------------------------------

def budget_standing(record: ShiftRecord, minute: int, policy: BudgetPolicy) -> BudgetStanding:
    """The share of the rolling 30-day budget spent by shift minute ``minute`` (``budget.standing``): the
    simulated history (3 days) and the shift so far, the rest of the window estimated at the history's ratio."""
    slo = record.slos[policy.slo]
    bad, total = slo.bad_and_total(record.service)
    hist_bad, hist_total = slo.bad_and_total(record.history) if record.history is not None else (bad[:0], total[:0])
    return budget.standing(hist_bad, hist_total, bad, minute, budget.mean_rpm(record.scenario.traffic), slo, policy)


# --- the phase ---------------------------------------------------------------------------------------------------

def ship(record: ShiftRecord, resimulate, config: JudgeConfig | None = None, policy: BudgetPolicy | None = None,
         regression_precheck: bool = True, judge_fn=None, eval_gate: bool | None = None) -> CanaryRun:
    """Canary the fix back in. ``resimulate(record)`` re-runs the service after each change of the split.

    ``regression_precheck=False`` skips the regression eval and the golden set's gate (``eval_gate``, by default
    the same) and ``judge_fn`` replaces the judge: only to measure the judge on its own (benchmarks, the
    notebook)."""
    sc = record.scenario
    record.phases_run.append("ship")
    config = config or load_config(JUDGE_CONFIG)
    policy = policy or load_policy()
    fix = sc.fix_release(record.break_mode)
    record.releases[fix.version] = fix
    if record.ops is None:
        record.ops = ReleaseOps(record.plan)
    ops: ReleaseOps = record.ops
    start = sim.minute_of(sc, sc.canary_at)
    baseline = record.plan.releases[ops.serving(start)]

    def at(minute: int):
        return sc.shift.start + timedelta(minutes=minute)

    skip = record.choices is not None and record.choices.skip_canary
    standing = budget_standing(record, start, policy)
    record.budget = standing
    record.metrics["budget_remaining_pct_at_canary"] = standing.remaining_pct
    allowed, why = standing.allows("fix", through_canary=not skip, policy=policy)
    record.trace.emit(at(start), "M33", "ship", "budget.policy",
                      f"At the canary: {budget.left_words(standing.remaining_pct, at(start), standing.slo)}, "
                      f"{why} ({budget.history_words(record.slos[policy.slo], record.history)})"
                      + ("." if allowed else "; shipping anyway breaks the policy."),
                      release=fix.version, left_pct=standing.remaining_pct, allowed=allowed)

    eval_gate = regression_precheck if eval_gate is None else eval_gate
    if regression_precheck or eval_gate:
        red = _regression_precheck(record, fix, at(start)) if regression_precheck else None
        gate = _eval_gate(record, fix, at(start), red) if eval_gate else None
        if gate is not None and not gate.passed:
            red = gate.reason
        if red:
            run = CanaryRun(fix.version, baseline.version, start, "aborted", red, start, [], [(start, 0.0)])
            record.canary = run
            record.metrics["canary_intervals"] = 0
            record.trace.emit(at(start), "M33", "ship", "canary.verdict",
                              f"Canary of {fix.version} aborted before any traffic: {red}; {baseline.version} keeps "
                              f"100 %.", release=fix.version, weight=0, verdict="aborted", reason=red)
            return run

    if skip:
        ops.deploy(start, fix, 1.0)
        resimulate(record)
        run = CanaryRun(fix.version, baseline.version, start, "skipped",
                        "the on-call skipped the canary: straight to 100 %, no analysis", start, [], [(start, 100.0)])
        record.canary = run
        record.metrics["canary_intervals"] = 0
        record.trace.emit(at(start), "M33", "ship", "release.deployed",
                          f"Release {fix.version} (fix) deployed straight to 100 % with no canary analysis.",
                          release=fix.version)
        return run

    # config.fresh_baseline: the canary is judged against a new group of its own size, not the long-running fleet
    fresh = fresh_baseline_of(baseline) if config.fresh_baseline else None

    def set_weight(minute: int, pct: float) -> None:
        if pct <= 0:
            ops.deploy(minute, baseline, 1.0)       # abort: all traffic back to the baseline
        elif fresh is not None and pct < 100:
            ops.split(minute, list(zip((fix, fresh, baseline), traffic_split(pct, True))))
        else:
            ops.deploy(minute, fix, pct / 100)
        resimulate(record)

    lost_until = start + sc.faults.canary_metrics_missing_min   # fault: the canary's metrics go missing

    source = None   # the current simulation's samples (interval_samples), read once per simulation

    def samples(s: int, e: int):
        nonlocal source
        if source is None or source.minutes is not record.minutes:
            source = SampleSource(record.minutes)
        base = source.samples((fresh or baseline).version, s, e)
        canary = source.samples(fix.version, s, e)
        if s < lost_until:   # minutes whose canary samples never reached the judge
            canary = canary[canary["minute"] >= lost_until].reset_index(drop=True)
        return base, canary

    def on_interval(iv: Interval) -> None:
        j = iv.judgment
        parts = ", ".join(f"{m.name} {m.classification}" for m in j.metrics)
        hold = f" (held, window {iv.end - iv.start} min)" if iv.hold else ""
        record.trace.emit(at(iv.end), "M33", "ship", "canary.interval",
                          f"Canary {fix.version} at {iv.weight:g} %{hold}: score {j.score:.0f}, {j.verdict} "
                          f"({parts})" + (f"; {note}" if (note := slo_guard_note(j)) else "") + ".",
                          release=fix.version, weight=iv.weight, score=round(j.score, 2),
                          verdict=j.verdict)

    if sc.faults.canary_metrics_missing_min:
        record.trace.emit(at(start), "M33", "ship", "canary.metrics_missing",
                          f"The canary's metrics stop reaching the judge for {sc.faults.canary_metrics_missing_min:g} "
                          f"min (the metrics pipeline drops them): no data is no verdict, so the rollout holds its "
                          f"weight instead of guessing, and pauses for a human if the data never come.",
                          release=fix.version)
    record.trace.emit(at(start), "M33", "ship", "canary.started",
                      f"Canary of {fix.version} starts against {baseline.version}"
                      + (f" (a fresh baseline group {fresh.version} of the canary's size)" if fresh else "") + ": steps "
                      f"{', '.join(f'{w:g}' for w in config.steps)} %, {config.interval_min} min analysis each.",
                      release=fix.version, baseline=baseline.version)
    run = run_canary(fix.version, baseline.version, start, sc.shift.minutes, config, set_weight, samples, on_interval,
                     judge_fn)
    record.canary = run
    record.metrics["canary_intervals"] = len(run.intervals)
    weight = run.weights[-1][1] if run.weights else 0.0
    last = run.intervals[-1].judgment if run.intervals else None
    tail = {"promoted": f"{fix.version} takes 100 %", "aborted": f"{baseline.version} takes 100 % again",
            "paused": f"{fix.version} stays at {weight:g} % until a human decides"}[run.verdict]
    record.trace.emit(at(run.end), "M33", "ship", "canary.verdict",
                      f"Canary of {fix.version} {run.verdict}: {run.reason}; {tail}.", release=fix.version,
                      weight=weight, score=round(last.score, 2) if last else None, verdict=run.verdict,
                      reason=run.reason)
    if run.verdict == "promoted":
        n, counts = len(run.intervals), Counter(iv.judgment.verdict for iv in run.intervals)
        said = (f"{n} passing analyses" if counts.keys() == {"pass"} else
                f"{n} analyses ({counts['pass']} passed, "
                + ", ".join(f"{c} {v}" for v, c in counts.items() if v != "pass") + ")")
        record.trace.emit(at(run.end), "M33", "ship", "release.deployed",
                          f"Release {fix.version} (fix) promoted to 100 % after {said}: "
                          + ", ".join(f"{k} {v}" for k, v in fix.config().items()) + ".",
                          release=fix.version)
    return run


def _regression_precheck(record: ShiftRecord, fix, when) -> str | None:
    """Run the learn phase's regression case against the canary release; the reason to abort, or None."""
    name = record.regression_name
    text = record.artifacts.get(f"regressions/{name}") if name else None
    if text is None:
        return None
    cases = _as_caseset([Case.model_validate(c) for c in yamlsafe.safe_load(text)["cases"]])
    result = run_eval(cases, fix)
    record.canary_regression = result
    failed = result.failed_ids
    record.trace.emit(when, "M26", "ship", "eval.regression_run",
                      f"Regression eval {name} against the canary {fix.version}: "
                      + ("green." if result.passed else f"red ({', '.join(failed)})."),
                      case=name, release=fix.version, passed=result.passed)
    return None if result.passed else f"regression eval {name} is red on {fix.version} ({', '.join(failed)})"


# --- the deploy gate: the golden set against the candidate (M26) -------------------------------------------------

GATE_EPOCHS = 1     # sampled answers per golden case; ~336 cases see a 5-point drop (tests/test_eval_gate.py)


@dataclass(frozen=True)
class EvalGate:
    release: str
    baseline: str
    passed: bool
    reason: str | None
    greedy: EvalResult               # the golden set, greedy: every suite at its own pass-rate threshold
    summary: stats.Summary           # the golden set, sampled: pass rate with its interval
    paired: stats.Paired             # ... against the last good release on the same cases and samples
    regression_red: str | None       # the regression eval's reason to abort, or None

    def to_json(self) -> dict:
        return {"release": self.release, "baseline": self.baseline, "passed": self.passed, "reason": self.reason,
                "suites": [s.to_json() for s in self.greedy.suites], "sampled": self.summary.to_json(),
                "paired": self.paired.to_json(), "regression_passed": self.regression_red is None}


_GOLDEN_RUNS: dict = {}   # (the cases, the catalog, the release, seed, epochs) -> (the inputs kept alive, EvalResult)
_GOLDEN_RUNS_KEPT = 12


def _golden_run(cases, release, seed: int | None = None, epochs: int | None = None) -> EvalResult:
    """``run_eval(cases, release, seed=seed, epochs=epochs)``, remembered: the result is a pure function of the
    cases, the catalog, the release's every field, the seed and the epochs (the answers are drawn from those alone),
    and every shift of a seed asks the same golden set of the same releases (a widget's moves, a sweep's break
    modes). The cases and the catalog are keyed by identity (both are read once per version of their files) and
    kept alive beside the result, so that a key can never be reused by other objects; the last few are kept."""
    from .service.catalog import load_catalog

    catalog = load_catalog()
    key = (tuple(map(id, cases.cases)), id(catalog), type(release).__qualname__, release.model_dump_json(), seed, epochs)
    if key in _GOLDEN_RUNS:
        return _GOLDEN_RUNS[key][1]
    result = run_eval(cases, release, catalog=catalog, seed=seed, epochs=epochs)
    _GOLDEN_RUNS[key] = ((cases.cases, catalog), result)
    while len(_GOLDEN_RUNS) > _GOLDEN_RUNS_KEPT:
        _GOLDEN_RUNS.pop(next(iter(_GOLDEN_RUNS)))
    return result


def _eval_gate(record: ShiftRecord, fix, when, regression_red: str | None) -> EvalGate:
    """Run the golden set against the candidate ``fix``; emit ``eval.gated``; the gate's verdict."""
    good = record.scenario.releases.last_good
    cases = gate_cases()
    greedy = _golden_run(cases, fix)
    sampled = _golden_run(cases, fix, seed=record.seed, epochs=GATE_EPOCHS)
    summary = stats.summarize(sampled, cases.cases)
    pair = stats.paired(_golden_run(cases, good, seed=record.seed, epochs=GATE_EPOCHS), sampled)
    reasons = []
    if regression_red:
        reasons.append(regression_red)
    for s in greedy.suites:
        if not s.passed:
            reasons.append(f"golden suite {s.name} {s.passed_cases}/{s.cases} on {fix.version} (threshold "
                           f"{100 * s.pass_rate_threshold:g} %)")
    if pair.significantly_below:
        reasons.append(f"sampled golden pass rate {100 * pair.candidate_rate:.1f} % vs {100 * pair.baseline_rate:.1f} % "
                       f"on {good.version} (paired p = {pair.p_value:.2g})")
    gate = EvalGate(fix.version, good.version, not reasons, "; ".join(reasons) or None, greedy, summary, pair,
                    regression_red)
    record.ship.eval_gate = gate
    verdict = "passed" if gate.passed else f"red: {gate.reason}"
    record.trace.emit(when, "M26", "ship", "eval.gated",
                      f"Golden set ({summary.cases} cases) against {fix.version}: pass rate "
                      f"{100 * summary.pass_rate:.1f} % (95 % CI {100 * summary.ci_low:.1f}-{100 * summary.ci_high:.1f}), "
                      f"{100 * pair.delta:+.1f} points vs {good.version} (p = {pair.p_value:.2g}); gate {verdict}.",
                      release=fix.version, passed=gate.passed, pass_rate=round(summary.pass_rate, 4),
                      ci_low=round(summary.ci_low, 4), ci_high=round(summary.ci_high, 4), baseline=good.version,
                      delta=round(pair.delta, 4), p_value=float(f"{pair.p_value:.4g}"))
    return gate


# --- the gate's check for this phase (M26) -----------------------------------------------------------------------

@register("eval_gate_passed")
def check_eval_gate_passed(record: ShiftRecord) -> CheckResult:
    gate = record.ship.eval_gate
    want = "the golden set and regression cases pass on the candidate, not significantly below the last good release"
    if gate is None:
        return CheckResult("eval_gate_passed", False, None, want, "no eval gate ran before the canary")
    value = round(gate.summary.pass_rate, 4)
    detail = (f"{gate.release}: sampled golden pass rate {100 * gate.summary.pass_rate:.1f} % (95 % CI "
              f"{100 * gate.summary.ci_low:.1f}-{100 * gate.summary.ci_high:.1f}), {100 * gate.paired.delta:+.1f} "
              f"points vs {gate.baseline} (p = {gate.paired.p_value:.2g})")
    if not gate.passed:
        detail = f"{gate.release} red: {gate.reason}; the candidate never took traffic"
    return CheckResult("eval_gate_passed", gate.passed, value, want, detail)


@register("canary_promoted_on_pass")
def check_canary_promoted_on_pass(record: ShiftRecord) -> CheckResult:
    run = record.canary
    want = "every analysis run, promoted only on pass"
    if run is None:
        return CheckResult("canary_promoted_on_pass", False, None, want, "no canary ran")
    if run.verdict == "skipped":
        budget = record.budget
        extra = (f"; the error-budget policy requires the canary ({budget.remaining_pct:.1f} % of the error budget "
                 f"left in the 30-day window, line {budget.line_left_pct:g} % left)"
                 if budget is not None and budget.restricted else "")
        return CheckResult("canary_promoted_on_pass", False, "skipped", want,
                           f"the fix went straight to 100 % with no canary analysis{extra}")
    n = len(run.intervals)
    if run.verdict != "promoted":
        return CheckResult("canary_promoted_on_pass", False, run.verdict, want,
                           f"canary {run.verdict} after {n} analyses: {run.reason}; the fix did not ship")
    ok = run.promoted_on_pass
    return CheckResult("canary_promoted_on_pass", ok, "promoted", want,
                       f"promoted after {n} analyses at {', '.join(f'{w:g}' for w, _ in _steps(run))} %, the last "
                       f"scoring {run.intervals[-1].judgment.score:.0f}"
                       + ("" if ok else " (but not every analysis passed: promoted without a pass)"))


def _steps(run: CanaryRun) -> list[tuple[float, int]]:
    seen: dict[float, int] = {}
    for iv in run.intervals:
        seen[iv.weight] = seen.get(iv.weight, 0) + 1
    return list(seen.items())

"""The eval harness (M26): eval cases (``cases``) run over the simulated assistant, graded, thresholded and compared.

The case format, its loader and ``promote`` live in ``oncall.evals.cases`` (see its docstring for the format and
the scoring) and are re-exported here, where the course imports them from. Here: which release a case runs
against, ``run_case`` / ``run_eval`` (epochs, reducers, suites), ``compare`` (two releases on the same cases) and
the ``oncall eval`` command.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import BadInput
from ..paths import display
from .cases import (DEFAULT_CASES, EVALS_DIR, GATE_CASES, REDUCERS, REGRESSIONS_DIR, ROLES,  # noqa: F401
                    Case, CaseSet, Context, Suite, _as_caseset, _case_files, _load_file, _resolve_cases,
                    gate_cases, golden_cases, load_cases, promote)
from .graders import GraderResult

# --- releases ----------------------------------------------------------------------------------------------------

def resolve_release(version_or_role: str, scenario):
    """The (loaded) scenario's release by version (like 2026.11.3) or by role (last_good, bad, fix); BadInput on
    --release. ``oncall.commands.resolve_release`` takes a scenario's NAME or PATH too."""
    releases = {role: getattr(scenario.releases, role) for role in ROLES}
    if version_or_role in releases:
        return releases[version_or_role]
    for release in releases.values():
        if release.version == version_or_role:
            return release
    known = ", ".join(f"{r.version} ({role})" for role, r in releases.items())
    raise BadInput("--release", None, f"unknown release {version_or_role!r} in scenario {scenario.name}; "
                                      f"expected one of {known}, or a role: {', '.join(ROLES)}")


# --- running -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseResult:
    id: str
    version: int
    passed: bool
    score: float
    threshold: float
    detail: str
    graders: tuple[GraderResult, ...]              # the first epoch's, or, per grader, its first failure
    epoch_scores: tuple[float, ...] = ()

    def to_json(self) -> dict:
        return {"id": self.id, "passed": self.passed, "score": round(self.score, 4), "detail": self.detail,
                "version": self.version, "threshold": self.threshold,
                "epoch_scores": [round(s, 4) for s in self.epoch_scores],
                "graders": [g.to_json() for g in self.graders]}


@dataclass(frozen=True)
class SuiteResult:
    name: str
    source: str
    cases: int
    passed_cases: int
    pass_rate: float
    pass_rate_threshold: float
    passed: bool

    def to_json(self) -> dict:
        return {"name": self.name, "source": self.source, "cases": self.cases, "passed_cases": self.passed_cases,
                "pass_rate": round(self.pass_rate, 4), "pass_rate_threshold": self.pass_rate_threshold,
                "passed": self.passed}


@dataclass(frozen=True)
class EvalResult:
    release: str
    cases: tuple[CaseResult, ...]
    suites: tuple[SuiteResult, ...]
    passed: bool
    pass_rate: float
    release_config: dict = field(default_factory=dict)

    def case(self, case_id: str) -> CaseResult:
        return next(c for c in self.cases if c.id == case_id)

    @property
    def failed_ids(self) -> list[str]:
        return [c.id for c in self.cases if not c.passed]

    def to_json(self) -> dict:
        return {"passed": self.passed, "pass_rate": round(self.pass_rate, 4),
                "cases": [c.to_json() for c in self.cases],
                "release": self.release, "release_config": self.release_config,
                "suites": [s.to_json() for s in self.suites]}


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): the chance that k of n samples, c of them correct, hold a correct one."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _reduce(case: Case, scores: list[float]) -> float:
    if case.reducer == "min":
        return min(scores)
    if case.reducer == "pass_at_k":
        passed = sum(s >= case.threshold - 1e-12 for s in scores)
        return pass_at_k(len(scores), passed, case.k or len(scores))
    return sum(scores) / len(scores)


def run_case(case: Case, release, answer_fn: Callable | None = None, catalog=None, seed: int | None = None,
             epochs: int | None = None) -> CaseResult:
    """Ask ``case.question`` ``case.epochs`` times (or ``epochs``) as ``release`` answers it; grade, reduce,
    threshold. With ``seed`` the answers are sampled (deterministic per seed, release, case and epoch); without,
    the assistant answers greedily (the same answer every epoch)."""
    from ..service import agent
    from ..service.answer_model import Sample
    from ..service.catalog import load_catalog

    answer_fn = answer_fn or agent.answer
    catalog = catalog or load_catalog()
    n_epochs = epochs or case.epochs
    if epochs is not None and case.reducer == "pass_at_k" and case.k and case.k > epochs:
        case = case.model_copy(update={"k": epochs})
    epochs: list[list[GraderResult]] = []
    for i in range(n_epochs):
        extra = {"provider_down": True} if case.context.provider_down else {}
        if seed is not None:
            extra["sample"] = Sample(seed, case.id, i, case.difficulty)
        answer = answer_fn(case.question, release, index_built=case.context.index_built, **extra)
        epochs.append([g.grade(answer, catalog) for g in case.graders])
    scores = [sum(r.passed for r in results) / len(results) for results in epochs]
    score = _reduce(case, scores)
    passed = score >= case.threshold - 1e-12
    shown: list[GraderResult] = []
    for j in range(len(case.graders)):
        runs = [results[j] for results in epochs]
        fails = [r for r in runs if not r.passed]
        shown.append(fails[0] if fails else runs[0])
    failed = []
    for j, r in enumerate(shown):
        n_fail = sum(not results[j].passed for results in epochs)
        if n_fail:
            where = f" in {n_fail}/{n_epochs} epochs" if n_epochs > 1 else ""
            failed.append(f"{r.type}{where}: {r.detail}")
    head = (f"{sum(r.passed for r in epochs[0])}/{len(case.graders)} graders passed" if n_epochs == 1 else
            f"{case.reducer} over {n_epochs} epochs = {score:.2f}")
    bar = f" (threshold {case.threshold:g})" if case.threshold < 1 or n_epochs > 1 else ""
    detail = head + bar + ("; failed: " + "; ".join(failed) if failed else "")
    return CaseResult(case.id, case.version, passed, score, case.threshold, detail, tuple(shown), tuple(scores))


def run_eval(cases, release, answer_fn: Callable | None = None, catalog=None, seed: int | None = None,
             epochs: int | None = None) -> EvalResult:
    """Run every case against ``release`` (a scenario Release) with ``answer_fn`` (default: the simulated agent).

    ``cases`` is what ``load_cases`` returns, or a list of Case (then one suite that must pass every case).
    ``seed``: sample the answers (see ``run_case``); ``epochs``: every case's number of epochs.
    """
    from ..service.catalog import load_catalog

    caseset = _as_caseset(cases)
    catalog = catalog or load_catalog()
    results = tuple(run_case(c, release, answer_fn, catalog, seed, epochs) for c in caseset.cases)
    by_id = {r.id: r for r in results}
    suites = []
    for s in caseset.suites:
        n = len(s.case_ids)
        ok = sum(by_id[i].passed for i in s.case_ids)
        rate = ok / n if n else 1.0
        suites.append(SuiteResult(s.name, s.source, n, ok, rate, s.pass_rate_threshold,
                                  rate >= s.pass_rate_threshold - 1e-12))
    total = len(results)
    pass_rate = sum(r.passed for r in results) / total if total else 1.0
    config = release.config() if hasattr(release, "config") else {}
    return EvalResult(getattr(release, "version", str(release)), results, tuple(suites),
                      all(s.passed for s in suites), pass_rate, config)


@dataclass(frozen=True)
class Flip:
    id: str
    version: int
    baseline: bool
    candidate: bool
    detail: str              # the candidate's detail

    @property
    def direction(self) -> str:
        return "pass->fail" if self.baseline else "fail->pass"

    def to_json(self) -> dict:
        return {"id": self.id, "version": self.version, "direction": self.direction, "detail": self.detail}


def compare(baseline: EvalResult, candidate: EvalResult) -> list[Flip]:
    """The cases whose verdict flipped between two runs (pass->fail, fail->pass), in the candidate's order.

    Cases are matched by (id, version): a case whose version changed is a different case and is not compared.
    """
    before = {(c.id, c.version): c for c in baseline.cases}
    flips = []
    for c in candidate.cases:
        b = before.get((c.id, c.version))
        if b is not None and b.passed != c.passed:
            flips.append(Flip(c.id, c.version, b.passed, c.passed, c.detail))
    return flips

"""``oncall eval``: eval cases run against a release of the simulated agent, or a regression case promoted (M26)."""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import BadInput
from ..evals.harness import ROLES, EvalResult, load_cases, run_eval
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


def eval_command(cases: str | None = None, release: str | None = None, scenario: str = "bad-deploy",
                 promote: str | None = None, as_json: bool = False,
                 regressions_dir: str | Path | None = None) -> tuple[int, str]:
    """What ``oncall eval`` prints and its exit status: 0 the eval passed, 1 it failed (BadInput propagates: 2).

    With ``promote``, copies that case file into data/evals/regressions/ (or ``regressions_dir``) instead.
    """
    if promote is not None:
        if cases is not None or release is not None:
            raise BadInput("--promote", None, "promotes a case file and runs nothing; drop --cases and --release")
        target = promote_case(promote, regressions_dir)
        if as_json:
            return 0, json.dumps({"promoted": display(target)}, indent=2)
        return 0, f"promoted {promote} to {display(target)}"
    if not release:
        raise BadInput("--release", None, "missing; expected a release version or a role (last_good, bad, fix)")
    scen = load_scenario(scenario)
    rel = resolve_release(release, scen)
    caseset = load_cases(cases)
    if not caseset.cases:
        raise BadInput("--cases", None, "no eval cases found")
    result = run_eval(caseset, rel)
    code = 0 if result.passed else 1
    role = next((r for r in ROLES if getattr(scen.releases, r) == rel), None)
    if as_json:
        doc = result.to_json()
        doc.update(scenario=scen.name, role=role)
        return code, json.dumps(doc, indent=2)
    return code, format_result(result, role, scen.name, caseset.source)



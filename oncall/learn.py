"""The learn phase: the postmortem (M31) and the regression eval it produces (M26).

An incident that does not change a test will happen again. The postmortem's "prevent" action item compiles
into a versioned regression case: an input and an expectation graded on the assistant's answer. It never names
a release; it is red on the bad release only because the assistant answers wrongly there, and green on the
last good release and on the fix. The case is written with the run's artifacts (``regressions/``); promoting it
into data/evals/regressions/ is a deliberate, separate step (``oncall eval --promote``).
"""
from __future__ import annotations

import csv
from datetime import timedelta

import yaml

from .checks import CheckResult, register
from .evals.harness import Case, _as_caseset, golden_cases, run_eval
from .incident_response.postmortem import (SECTIONS, api_tools, broken_tools, missing_sections, placeholders,
                                           write_postmortem)
from .paths import DATA_DIR
from .record import ShiftRecord

_QUESTIONS = {"issue_refund": ("Please refund order {order_id}", lambda o: o["refundable"] == "true"),
              "lookup_order": ("Where is my order {order_id}?", lambda o: o["status"] == "shipped")}


def _order_for(tool: str) -> dict:
    with open(DATA_DIR / "orders.csv", newline="", encoding="utf-8") as fh:
        return next(o for o in csv.DictReader(fh) if _QUESTIONS[tool][1](o))


def _suite_doc(inc: str, why: str, cases: list[dict]) -> dict:
    """A regression suite document: every case must pass (threshold 1.0), described by the postmortem's reason."""
    return {"suite": f"regression-{inc}", "description": f"From the postmortem of {inc}: {why}",
            "pass_rate_threshold": 1.0, "cases": cases}


def regression_suite(record: ShiftRecord) -> tuple[str, dict]:
    """(file name, suite document): one case per tool of the order API's contract, named after the incident."""
    inc = record.paged_incident
    api = record.catalog.tool_api
    cases = []
    for tool in api_tools(record):
        order = _order_for(tool)
        arguments = {name: (order["order_id"] if name == "order_id" else int(order["amount_cents"]))
                     for name in getattr(api, tool)}
        cases.append({
            "id": f"{inc.lower()}-{tool.replace('_', '-')}-contract",
            "version": 1,
            "question": _QUESTIONS[tool][0].format(**order),
            "tags": ["regression", inc, "tool-contract"],
            "graders": [{"type": "tool_call", "tool": tool, "arguments": arguments}, {"type": "no_error"}],
        })
    return f"{inc}-tool-contract.yaml", _suite_doc(
        inc, f"every tool call the assistant makes must be accepted by the order API ({', '.join(api_tools(record))}). "
             f"Red on a release whose tool schema the API rejects.", cases)


def latency_suite(record: ShiftRecord) -> tuple[str, dict]:
    """A latency page: every kind of question answered within the golden set's per-answer latency budget."""
    inc = record.paged_incident
    budget = _golden_latency_budget_ms()
    questions = ["How long does standard shipping take?", "Where is my order A1002?", "Please refund order A1001"]
    cases = [{"id": f"{inc.lower()}-latency-{i + 1}", "version": 1, "question": q,
              "tags": ["regression", inc, "latency"],
              "graders": [{"type": "latency_ms", "budget": budget}, {"type": "no_error"}]}
             for i, q in enumerate(questions)]
    return f"{inc}-latency-budget.yaml", _suite_doc(
        inc, f"knowledge, lookup and refund answers each within {budget} ms (the golden set's budget). Red on a "
             f"release whose model is slower.", cases)


def knowledge_suite(record: ShiftRecord, tag: str, why: str) -> tuple[str, dict]:
    """Knowledge answers must state each help article's current fact: one case per article the golden set asks
    about, with the golden set's question."""
    from .service.knowledge import load_kb

    inc = record.paged_incident
    questions = _golden_kb_questions()
    docs = [d for d in load_kb() if d.slug in questions and (tag != "freshness" or d.previous_fact is not None)]
    cases = []
    for d in docs:
        case = {"id": f"{inc.lower()}-{tag}-{d.slug}", "version": 1, "question": questions[d.slug],
                "tags": ["regression", inc, tag], "graders": [{"type": "contains", "value": d.fact}]}
        if d.previous_fact:
            case["graders"].append({"type": "contains", "value": d.previous_fact, "negate": True})
        cases.append(case)
    return f"{inc}-{tag}.yaml", _suite_doc(inc, why, cases)


def failover_suite(record: ShiftRecord) -> tuple[str, dict]:
    """With the primary model provider down, the assistant still answers (the client fails over)."""
    inc = record.paged_incident
    questions = [("How long does standard shipping take?", "Standard shipping takes 3 to 5 business days."),
                 ("Where is order A1002?", "Order A1002 is shipped.")]
    cases = [{"id": f"{inc.lower()}-provider-down-{i + 1}", "version": 1, "question": q,
              "context": {"provider_down": True}, "tags": ["regression", inc, "failover"],
              "graders": [{"type": "no_error"}, {"type": "contains", "value": want}]}
             for i, (q, want) in enumerate(questions)]
    return f"{inc}-provider-failover.yaml", _suite_doc(
        inc, "with the primary model provider failing, the assistant still answers (it fails over to the secondary "
             "provider by itself).", cases)


def _golden_latency_budget_ms() -> int:
    """The golden set's per-answer latency budget (its latency_ms grader)."""
    return next(int(g.budget) for c in golden_cases().cases for g in c.graders if g.type == "latency_ms")


def _golden_kb_questions() -> dict[str, str]:
    """Help article slug -> the golden set's first question that retrieval answers from that article."""
    from .service.knowledge import retrieve

    questions: dict[str, str] = {}
    for case in golden_cases().cases:
        doc = retrieve(case.question) if "kb" in case.tags else None
        if doc is not None:
            questions.setdefault(doc.slug, case.question)
    return questions


def regression_plan(record: ShiftRecord):
    """(file name, suite, roles) for the incident: roles maps a role to (release, answer_fn or None, must pass).
    Red where the incident's cause is at work, green on what mitigated it and on the fix."""
    from functools import partial

    from .service.agent import answer_with_index

    sc = record.scenario
    fix = sc.fix_release(record.break_mode)
    kind = sc.cause.kind
    if kind == "deploy":
        slo = record.page.slo if record.page else "availability"
        if slo == "latency":
            name, suite = latency_suite(record)
        elif slo == "quality":
            name, suite = knowledge_suite(record, "grounded", "every knowledge answer states its help article's "
                                                              "current fact. Red on a prompt that drops the "
                                                              "retrieved passages.")
        elif broken_tools(record):
            name, suite = regression_suite(record)
        else:
            return None
        roles = {"bad": (sc.releases.bad, None, False), "last_good": (sc.releases.last_good, None, True),
                 "fix": (fix, None, True)}
    elif kind == "stale-index":
        name, suite = knowledge_suite(record, "freshness", "an index serving traffic states the current fact of "
                                                           "every help article changed since its previous build. Red "
                                                           "on the index the failed nightly build left serving.")
        stale_built = _index_built_at_page(record)
        rebuilt = record.index_built_at          # None (a fresh index) when the on-call never reindexed
        roles = {"stale index": (sc.releases.last_good, partial(answer_with_index, stale_built), False),
                 "rebuilt index": (sc.releases.last_good, partial(answer_with_index, rebuilt), True),
                 "fix": (fix, partial(answer_with_index, rebuilt), True)}
    else:
        name, suite = failover_suite(record)
        roles = {"last_good": (sc.releases.last_good, None, False), "fix": (fix, None, True)}
    return name, suite, roles


def _index_built_at_page(record: ShiftRecord):
    """When the index serving at the page was built (the last successful nightly build)."""
    import pandas as pd

    from .service import simulate as sim

    return sim.last_index_build(record.scenario, pd.Timestamp(record.page.at)).to_pydatetime()


def learn(record: ShiftRecord) -> None:
    sc = record.scenario
    record.phases_run.append("learn")
    if record.paged_incident is None:
        return
    inc = record.incidents[record.paged_incident]
    plan = regression_plan(record)
    name, suite, roles = plan if plan else (None, None, {})
    resolved = inc.time_of("resolved")
    written_at = (resolved + timedelta(minutes=30)) if resolved else sc.shift.end - timedelta(minutes=2)
    record.regression_name = name
    record.trace.emit(written_at, "M31", "learn", "postmortem.written",
                      f"Postmortem of {inc.id} written (postmortem.md): {len(SECTIONS)} sections, blameless, with "
                      f"action items typed mitigate / prevent / process.", incident=inc.id, case=name)
    if suite is None:
        return
    record.artifacts[f"regressions/{name}"] = yaml.safe_dump(suite, sort_keys=False, allow_unicode=True)
    cases = _as_caseset([Case.model_validate(c) for c in suite["cases"]])
    record.regression_results = {role: run_eval(cases, rel, answer_fn=fn) for role, (rel, fn, _) in roles.items()}
    record.regression_want = {role: want for role, (_, _, want) in roles.items()}
    verdicts = ", ".join(f"{'green' if r.passed else 'red'} on {role} {roles[role][0].version}"
                         for role, r in record.regression_results.items())
    record.trace.emit(written_at + timedelta(minutes=1), "M26", "learn", "eval.regression_added",
                      f"Regression eval {name} added from the postmortem's prevent item: {verdicts}.",
                      incident=inc.id, case=name)


def render(record: ShiftRecord) -> None:
    """Write postmortem.md once the trace is final, so its timeline cites the events' final seq numbers."""
    if "learn" in record.phases_run and record.paged_incident is not None:
        record.artifacts["postmortem.md"] = write_postmortem(record, record.regression_name)


@register("postmortem_complete")
def check_postmortem(record: ShiftRecord) -> CheckResult:
    md = record.artifacts.get("postmortem.md")
    if md is None:
        return CheckResult("postmortem_complete", False, 0, len(SECTIONS), "no postmortem was written")
    missing, filler = missing_sections(md), placeholders(md)
    inc = record.incidents[record.paged_incident]
    resolved = inc.time_of("resolved") is not None
    passed = not missing and not filler and resolved and "| prevent |" in md
    detail = (f"{len(SECTIONS) - len(missing)} of {len(SECTIONS)} sections"
              + (f", missing {', '.join(missing)}" if missing else "")
              + (f", placeholder text {filler}" if filler else "")
              + ("" if resolved else ", and the incident is not resolved") + ("" if "| prevent |" in md else
                                                                              ", no prevent action item"))
    return CheckResult("postmortem_complete", bool(passed), len(SECTIONS) - len(missing), len(SECTIONS), detail)


@register("regression_case_red_green")
def check_regression(record: ShiftRecord) -> CheckResult:
    results = getattr(record, "regression_results", None)
    if not results:
        return CheckResult("regression_case_red_green", False, None, "red on bad, green on last good and fix",
                           "no regression case was made")
    want = record.regression_want
    got = {role: r.passed for role, r in results.items()}
    passed = got == want
    detail = ", ".join(f"{role} {'green' if ok else 'red'}" for role, ok in got.items())
    expected = ", ".join(f"{role} {'green' if ok else 'red'}" for role, ok in want.items())
    return CheckResult("regression_case_red_green", passed, detail, expected,
                       detail + ("" if passed else f" (expected {expected})"))

"""Regression suites the postmortem's "prevent" item compiles into (M31 -> M26), one builder per failure a cause
kind can leave: a tool contract, a latency budget, knowledge answers, a provider failover."""
from __future__ import annotations

import csv

from ..evals.harness import golden_cases
from ..incident_response.postmortem import api_tools
from ..paths import DATA_DIR
from ..service.knowledge import load_kb, retrieve

# ShiftRecord (oncall/record.py) sits above the cause kinds: annotations name it as a string, never imported.

_QUESTIONS = {"issue_refund": ("Please refund order {order_id}", lambda o: o["refundable"] == "true"),
              "lookup_order": ("Where is my order {order_id}?", lambda o: o["status"] == "shipped")}


def _order_for(tool: str) -> dict:
    with open(DATA_DIR / "orders.csv", newline="", encoding="utf-8") as fh:
        return next(o for o in csv.DictReader(fh) if _QUESTIONS[tool][1](o))


def suite_doc(inc: str, why: str, cases: list[dict]) -> dict:
    """A regression suite document: every case must pass (threshold 1.0), described by the postmortem's reason."""
    return {"suite": f"regression-{inc}", "description": f"From the postmortem of {inc}: {why}",
            "pass_rate_threshold": 1.0, "cases": cases}


def tool_contract_suite(record: "ShiftRecord") -> tuple[str, dict]:
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
    return f"{inc}-tool-contract.yaml", suite_doc(
        inc, f"every tool call the assistant makes must be accepted by the order API ({', '.join(api_tools(record))}). "
             f"Red on a release whose tool schema the API rejects.", cases)


def latency_suite(record: "ShiftRecord") -> tuple[str, dict]:
    """A latency page: every kind of question answered within the golden set's per-answer latency budget."""
    inc = record.paged_incident
    budget = _golden_latency_budget_ms()
    questions = ["How long does standard shipping take?", "Where is my order A1002?", "Please refund order A1001"]
    cases = [{"id": f"{inc.lower()}-latency-{i + 1}", "version": 1, "question": q,
              "tags": ["regression", inc, "latency"],
              "graders": [{"type": "latency_ms", "budget": budget}, {"type": "no_error"}]}
             for i, q in enumerate(questions)]
    return f"{inc}-latency-budget.yaml", suite_doc(
        inc, f"knowledge, lookup and refund answers each within {budget} ms (the golden set's budget). Red on a "
             f"release whose model is slower.", cases)


def knowledge_suite(record: "ShiftRecord", tag: str, why: str) -> tuple[str, dict]:
    """Knowledge answers must state each help article's current fact: one case per article the golden set asks
    about, with the golden set's question."""
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
    return f"{inc}-{tag}.yaml", suite_doc(inc, why, cases)


def failover_suite(record: "ShiftRecord") -> tuple[str, dict]:
    """With the primary model provider down, the assistant still answers (the client fails over)."""
    inc = record.paged_incident
    questions = [("How long does standard shipping take?", "Standard shipping takes 3 to 5 business days."),
                 ("Where is order A1002?", "Order A1002 is shipped.")]
    cases = [{"id": f"{inc.lower()}-provider-down-{i + 1}", "version": 1, "question": q,
              "context": {"provider_down": True}, "tags": ["regression", inc, "failover"],
              "graders": [{"type": "no_error"}, {"type": "contains", "value": want}]}
             for i, (q, want) in enumerate(questions)]
    return f"{inc}-provider-failover.yaml", suite_doc(
        inc, "with the primary model provider failing, the assistant still answers (it fails over to the secondary "
             "provider by itself).", cases)


def _golden_latency_budget_ms() -> int:
    """The golden set's per-answer latency budget (its latency_ms grader)."""
    return next(int(g.budget) for c in golden_cases().cases for g in c.graders if g.type == "latency_ms")


def _golden_kb_questions() -> dict[str, str]:
    """Help article slug -> the golden set's first question that retrieval answers from that article."""
    questions: dict[str, str] = {}
    for case in golden_cases().cases:
        doc = retrieve(case.question) if "kb" in case.tags else None
        if doc is not None:
            questions.setdefault(doc.slug, case.question)
    return questions

"""The assistant answers one question as a release would (M27), so evals grade real answers.

Its intent comes from the question's words; order questions call a tool through the release's tool schema
(a schema the order API rejects makes the call fail); knowledge questions retrieve a document and answer with
the fact the index holds (a stale index answers with the document's previous fact).

Whether the answer comes out right is the answer model's (``service.answer_model``), the same chance the live
traffic's quality counts are drawn with: given a ``Sample`` (seed, case, sample number, difficulty) the answer is
a draw, different across samples and deterministic per (seed, release, case, sample); without one the assistant
decodes greedily (temperature 0) and gives its most likely answer. A wrong answer keeps the tool call (the schema
decides that) and misstates what it read: another order status, the wrong refund outcome, no fact.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from ..paths import DATA_DIR
from ..scenario_model import Release
from .answer_model import Sample, answers_right
from .catalog import Catalog, load_catalog
from .knowledge import retrieve

_ORDER_ID = re.compile(r"\b([A-Z]\d{4})\b")
FAILURE_TEXT = "Sorry, something went wrong. Please try again later."


@dataclass(frozen=True)
class Answer:
    question: str
    intent: str                      # kb_question, order_lookup or refund
    text: str
    release: str
    tool_call: dict | None = None    # {"tool": name, "arguments": {...}}
    sources: tuple[str, ...] = ()
    error: str | None = None         # None, or the cause: tool, provider, timeout
    latency_ms: int = 0
    tokens: int = 0
    extra: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def _orders() -> dict[str, dict]:
    with open(DATA_DIR / "orders.csv", newline="", encoding="utf-8") as fh:
        return {row["order_id"]: row for row in csv.DictReader(fh)}


def classify(question: str) -> str:
    q = question.lower()
    if "refund" in q and _ORDER_ID.search(question):
        return "refund"
    if _ORDER_ID.search(question) or re.search(r"\b(where is|track|status of) my order\b", q):
        return "order_lookup"
    return "kb_question"


def _call_tool(tool: str, arguments: dict, catalog: Catalog) -> dict:
    """The order API: it rejects any call whose argument names are not the ones it declares."""
    expected = getattr(catalog.tool_api, tool)
    if sorted(arguments) != sorted(expected):
        raise ValueError(f"400 Bad Request: {tool} expects {', '.join(expected)}; got {', '.join(arguments)}")
    order = _orders().get(arguments[expected[0]])
    if order is None:
        return {"found": False}
    return {"found": True, **order}


NO_CONTEXT_TEXT = "I'm not sure about that; our policies vary, please check the help center."
WRONG_KB_TEXT = "Our help articles do not cover that exactly; policies usually allow it, so it should be fine."
_STATUSES = ("processing", "shipped", "delivered", "cancelled")


def answer_with_index(built_at: datetime | None, question: str, release: Release, index_built=None, **kw) -> Answer:
    """``answer`` with the index built at ``built_at``, whatever the eval case says (an eval run against a given
    index: ``functools.partial(answer_with_index, built_at)`` is an ``answer_fn``)."""
    return answer(question, release, index_built=built_at, **kw)


def answer(question: str, release: Release, index_built: datetime | None = None,
           catalog: Catalog | None = None, provider_down: bool = False, sample: Sample | None = None) -> Answer:
    """Answer ``question`` as ``release`` would, with the index built at ``index_built`` (None: fresh).

    ``sample``: draw the answer (a sampled model); None: the greedy answer.

    ``provider_down``: the primary model provider is failing; the answer is a provider error unless the release's
    client fails over to the secondary provider by itself."""
    catalog = catalog or load_catalog()
    model = catalog.models[release.model]
    intent = classify(question)
    secondary = provider_down and release.provider_failover == "auto"
    latency = model.latency_median_ms * (catalog.failover.latency_factor if secondary else 1.0)
    base = dict(question=question, intent=intent, release=release.version,
                latency_ms=int(round(latency)), tokens=int(round(model.tokens_per_request)))
    if provider_down and not secondary:
        return Answer(text=FAILURE_TEXT, error="provider", **base)
    if intent == "kb_question":
        right = answers_right(release, intent, catalog, sample)
        if not catalog.prompts[release.prompt].uses_retrieval:
            doc = retrieve(question) if right else None     # from the model's memory, now and then right
            return Answer(text=doc.fact if doc is not None else NO_CONTEXT_TEXT, **base)
        doc = retrieve(question)
        if doc is None:
            return Answer(text="I could not find that in our help articles; a human agent will follow up.", **base)
        fact = doc.fact if index_built is None else doc.fact_as_of(index_built)
        return Answer(text=fact if right else WRONG_KB_TEXT, sources=(doc.slug,), **base)
    order_id = _ORDER_ID.search(question).group(1) if _ORDER_ID.search(question) else ""
    tool = "issue_refund" if intent == "refund" else "lookup_order"
    names = catalog.tool_schemas[release.tool_schema][tool]
    values = [order_id, _amount(order_id)][: len(names)]
    call = {"tool": tool, "arguments": dict(zip(names, values))}
    try:
        result = _call_tool(tool, call["arguments"], catalog)
    except ValueError as exc:
        return Answer(text=FAILURE_TEXT, tool_call=call, error="tool", extra={"tool_error": str(exc)}, **base)
    right = answers_right(release, intent, catalog, sample)
    if not result["found"]:
        text = f"I could not find order {order_id}." if right else f"Order {order_id} is shipped."
    elif tool == "lookup_order":
        status = result["status"] if right else next(s for s in _STATUSES if s != result["status"])
        text = f"Order {order_id} is {status}."
    elif (result["refundable"] == "true") == right:
        text = f"Refund issued for order {order_id}: {int(result['amount_cents']) / 100:.2f} to your original payment method."
    else:
        text = f"Order {order_id} is not eligible for a refund."
    return Answer(text=text, tool_call=call, **base)


def _amount(order_id: str) -> int:
    order = _orders().get(order_id)
    return int(order["amount_cents"]) if order else 0

"""Generate the golden set's generated part, data/evals/golden-generated.yaml, from the knowledge base (data/kb/)
and the orders table (data/orders.csv), with a fixed seed.

    python data/evals/generate_golden.py            # rewrites data/evals/golden-generated.yaml
    python data/evals/generate_golden.py --check    # exit 1 if the file differs from what the script makes

Every case's expected answer comes from the data (a help article's current fact, an order's status and refund
eligibility), never from the assistant. Questions are written from templates, each with a difficulty in [-1, 1]
(direct -0.6, paraphrased 0, indirect +0.6, a third each, so the set is as hard as typical live traffic); the
intents are mixed as in live traffic (about 62 % knowledge questions, 23 % lookups, 15 % refunds). A knowledge
question is kept only when retrieval finds its article and a question's words give the intent it was written
for: the set measures answers, not the retriever.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent
sys.path.insert(0, str(DATA.parent))

import yaml  # noqa: E402
from oncall.service.agent import classify  # noqa: E402
from oncall.service.knowledge import load_kb, retrieve  # noqa: E402

SEED = 18
OUT = HERE / "golden-generated.yaml"
N_KB, N_LOOKUP, N_REFUND = 200, 74, 48

OPENERS = ["", "Hi, ", "Hello, ", "Quick question: ", "Hey there, ", "Good morning, "]
CLOSERS = ["", " Thanks!", " Thank you.", " Cheers.", " Please help."]

# (difficulty, template) per article; the indirect ones say less of the article's own words.
KB = {
    "refund-policy": [(-0.6, "How many days do I have to return an item for a refund?"),
                      (-0.6, "What is your refund policy?"),
                      (0.0, "How long after delivery can I still get a refund?"),
                      (0.0, "Is there a time limit on refunds for unused items?"),
                      (0.6, "I got this last month and never used it, am I too late to send it back for a refund?"),
                      (0.6, "Until when can an unused item be refunded after it was delivered?")],
    "shipping-times": [(-0.6, "How long does standard shipping take?"),
                       (-0.6, "What are your shipping times?"),
                       (0.0, "How many business days does standard shipping take?"),
                       (0.0, "When will my parcel arrive with standard shipping?"),
                       (0.6, "If I order today without express, how many days until the shipping gets it to me?"),
                       (0.6, "Roughly how long is delivery on the standard shipping option?")],
    "warranty": [(-0.6, "How long is the warranty on electronics?"),
                 (-0.6, "What warranty do electronics carry?"),
                 (0.0, "Is my laptop still under warranty after 18 months?"),
                 (0.0, "How many years of warranty cover manufacturing defects?"),
                 (0.6, "My headphones broke after a year and a half, does the warranty still cover that?"),
                 (0.6, "For electronics, how long are defects covered?")],
    "password-reset": [(-0.6, "I forgot my password, how do I reset it?"),
                       (-0.6, "How do I reset my password?"),
                       (0.0, "I can't sign in, I lost my password."),
                       (0.0, "Where do I change a forgotten password?"),
                       (0.6, "The sign-in page keeps rejecting me, how do I get back in without my password?"),
                       (0.6, "Locked out of the sign-in page, what now?")],
    "payment-methods": [(-0.6, "Which payment methods do you accept?"),
                        (-0.6, "What payment methods can I use?"),
                        (0.0, "Can I pay by bank transfer?"),
                        (0.0, "Do you take gift cards as payment?"),
                        (0.6, "I don't have a credit card, how else can I pay?"),
                        (0.6, "Is paying with cards the only option at checkout?")],
}
LOOKUP = [(-0.6, "Where is order {id}?"), (-0.6, "What is the status of {id}?"),
          (0.0, "Can you track order {id} for me?"), (0.0, "Has {id} left the warehouse yet?"),
          (0.6, "I ordered something a while ago ({id}) and nothing has happened, any news?"),
          (0.6, "{id}: is it on its way or not?")]
REFUND = [(-0.6, "Please refund order {id}"), (-0.6, "I want a refund for order {id}"),
          (0.0, "Can I get a refund for {id}?"), (0.0, "Order {id} was not what I expected, refund please."),
          (0.6, "I'd like my money back for {id}, can you refund it?"),
          (0.6, "{id} arrived and I changed my mind, is a refund possible?")]
UNKNOWN_ORDERS = ["Z9001", "Z9002", "B2040", "C3117"]


def _orders() -> dict[str, dict]:
    with open(DATA / "orders.csv", newline="", encoding="utf-8") as fh:
        return {row["order_id"]: row for row in csv.DictReader(fh)}


def _wrap(rng, text: str) -> str:
    opener = OPENERS[rng.integers(len(OPENERS))]
    closer = CLOSERS[rng.integers(len(CLOSERS))]
    if opener and text[0].isupper() and not text[:5].isupper() and not text[1].isdigit():
        text = text[0].lower() + text[1:] if not text.startswith("I ") and not text.startswith("I'") else text
    return opener + text + closer


def _unique(rng, make, n: int, intent: str, check=lambda q, t: True) -> list[tuple[float, str, object]]:
    out, seen, tries = [], set(), 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n:
            raise SystemExit(f"could not write {n} distinct {intent} questions")
        difficulty, question, target = make()
        if question in seen or classify(question) != intent or not check(question, target):
            continue
        seen.add(question)
        out.append((difficulty, question, target))
    return out


def build() -> dict:
    rng = np.random.default_rng(SEED)
    docs = {d.slug: d for d in load_kb()}
    orders = _orders()
    ids = list(orders) + UNKNOWN_ORDERS
    cases = []

    def kb():
        slug = list(KB)[rng.integers(len(KB))]
        difficulty, template = KB[slug][rng.integers(len(KB[slug]))]
        return difficulty, _wrap(rng, template), docs[slug]

    for i, (d, q, doc) in enumerate(_unique(rng, kb, N_KB, "kb_question",
                                            lambda q, doc: (retrieve(q) or doc).slug == doc.slug
                                            and retrieve(q) is not None)):
        graders = [{"type": "contains", "value": doc.fact}, {"type": "no_error"}]
        if doc.previous_fact:
            graders.insert(1, {"type": "contains", "value": doc.previous_fact, "negate": True})
        cases.append({"id": f"gen-kb-{doc.slug}-{i + 1:03d}", "version": 1, "question": q, "difficulty": d,
                      "tags": ["kb", "generated"], "graders": graders})

    def order(templates):
        def make():
            oid = ids[rng.integers(len(ids))]
            difficulty, template = templates[rng.integers(len(templates))]
            return difficulty, _wrap(rng, template.format(id=oid)), oid
        return make

    for i, (d, q, oid) in enumerate(_unique(rng, order(LOOKUP), N_LOOKUP, "order_lookup")):
        o = orders.get(oid)
        want = f"Order {oid} is {o['status']}." if o else f"I could not find order {oid}."
        cases.append({"id": f"gen-lookup-{oid.lower()}-{i + 1:03d}", "version": 1, "question": q, "difficulty": d,
                      "tags": ["lookup", "tool", "generated"],
                      "graders": [{"type": "tool_call", "tool": "lookup_order", "arguments": {"order_id": oid}},
                                  {"type": "no_error"}, {"type": "contains", "value": want}]})
    for i, (d, q, oid) in enumerate(_unique(rng, order(REFUND), N_REFUND, "refund")):
        o = orders.get(oid)
        want = (f"could not find order {oid}" if o is None else f"Refund issued for order {oid}"
                if o["refundable"] == "true" else f"Order {oid} is not eligible for a refund")
        cases.append({"id": f"gen-refund-{oid.lower()}-{i + 1:03d}", "version": 1, "question": q, "difficulty": d,
                      "tags": ["refund", "tool", "generated"],
                      "graders": [{"type": "tool_call", "tool": "issue_refund", "arguments": {"order_id": oid}},
                                  {"type": "no_error"}, {"type": "contains", "value": want}]})
    return {"suite": "golden-generated",
            "description": f"{len(cases)} cases generated from data/kb/ and data/orders.csv by "
                           f"data/evals/generate_golden.py (seed {SEED}); expected answers from the data.",
            "pass_rate_threshold": 0.9, "cases": cases}


def render() -> str:
    head = ("# Generated by data/evals/generate_golden.py (seed 18): do not edit by hand, change the script and run it.\n"
            "# Part of the golden set the deploy gate samples (with data/evals/golden.yaml).\n")
    return head + yaml.safe_dump(build(), sort_keys=False, allow_unicode=True, width=120)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        same = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        print(f"{OUT.name}: {'up to date' if same else 'differs from what the script makes'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.name}: {len(build()['cases'])} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

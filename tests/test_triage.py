"""Ticket triage and linking (M32): rules with their reasons, priority, duplicates, bad files, determinism."""
import json
from datetime import datetime, timezone

import pytest

from oncall.commands import run_triage
from oncall.errors import BadInput
from oncall.paths import DATA_DIR
from oncall.support_desk import triage as tr

UTC = timezone.utc
QUEUE = DATA_DIR / "tickets" / "bad-deploy.jsonl"
TRUTH = DATA_DIR / "tickets" / "bad-deploy.truth.jsonl"


def at(hh, mm):
    day = 26 if hh >= 12 else 27
    return datetime(2026, 11, day, hh, mm, tzinfo=UTC)


OUTAGE = tr.IncidentInfo("INC-0005", at(1, 32), None, ("support-assistant",),
                         ("agent", "gateway", "synthetic", "tool-orders"),
                         "Order API answers 400 (schema validation) to tool requests. Synthetic refund check failing. "
                         "Gateway 5xx above 2 % of requests", "SEV-1")
OTHER = tr.IncidentInfo("INC-0004", at(0, 0), None, ("support-assistant",), ("retriever",),
                        "Container killed for running out of memory")
BILLING = tr.IncidentInfo("INC-0006", at(1, 37), None, ("billing-portal",), ("api", "db", "web"),
                          "Database refusing connections. Billing API errors")
INCIDENTS = [OTHER, OUTAGE, BILLING]


def one(text, when=at(1, 40), tier=None, incidents=INCIDENTS):
    return tr.triage_text(text, when, incidents, tier)


@pytest.mark.parametrize("text, category", [
    ("the bot keeps failing on my refund", "outage"),
    ("I was charged twice for my subscription", "billing"),
    ("Would love it if the assistant could answer in French", "feature request"),
    ("How do I change my email address?", "how-to"),
    ("The assistant gave me the wrong opening hours", "bug"),
    ("Just wanted to say thanks", "other"),
    ("How do I start a warranty claim for a broken blender?", "how-to"),   # broken, but not our service
])
def test_category_rules_with_reasons(text, category):
    t = one(text)
    assert t.category == category
    assert t.reasons["category"].startswith(category) and t.reason


def test_a_failure_no_incident_matches_is_a_bug_and_says_why():
    t = one("The chat assistant shows an error when I upload a photo", when=at(23, 0), incidents=[])
    assert t.category == "bug" and t.linked_incident is None
    assert "no incident open" in t.reasons["link"]


def test_priority_from_impact_tier_and_incident():
    assert one("refund not working in the assistant", tier="free").priority == "P2"
    p1 = one("refund requests through the assistant fail, blocking our team", tier="enterprise")
    assert p1.priority == "P1" and "SEV-1" in p1.reasons["priority"]
    assert one("How do I reset my password?").priority == "P4"
    assert one("Where do I download our invoices?", tier="enterprise").priority == "P2"
    # a failure of our service while no incident is open may be the first sign of one
    early = one("The assistant errors on my refund", when=at(23, 0), incidents=[])
    assert early.priority == "P2" and "first sign" in early.reasons["priority"]


def test_team_routing():
    assert one("the bot keeps failing on my refund").team == "on-call"
    assert one("I was charged twice for my subscription").team == "billing"
    assert one("Please add dark mode").team == "product"
    assert one("The assistant gave me the wrong opening hours").team == "support-assistant"


def test_links_to_the_incident_by_time_feature_and_text():
    t = one("Your chat assistant is broken, I want my money back for order A1004")
    assert t.linked_incident == "INC-0005" and "linked to INC-0005" in t.reasons["link"]
    assert one("billing portal shows a 500 error when I update my credit card").linked_incident == "INC-0006"
    # too early, and long after it resolved
    assert one("the bot keeps failing on my refund", when=at(23, 0)).linked_incident is None
    resolved = tr.IncidentInfo(**{**OUTAGE.__dict__, "resolved_at": at(1, 58)})
    assert one("refund fails in chat", when=at(2, 30), incidents=[resolved]).linked_incident == "INC-0005"
    assert one("refund fails in chat", when=at(4, 30), incidents=[resolved]).linked_incident is None


@pytest.mark.parametrize("text", [
    "I asked the assistant how long I have for a refund, it said 30 days. Is that right?",
    "The assistant gave me the wrong opening hours for your store.",
    "I asked the bot where my order is and it said shipped. When will it arrive?",
    "Please let the chatbot export the conversation as a PDF.",
])
def test_unrelated_tickets_during_the_outage_are_not_linked(text):
    assert one(text, when=at(1, 44)).linked_incident is None


def test_empty_text_needs_a_human():
    t = one("   ")
    assert t.category == "other" and t.team == "support" and "needs a human" in t.reason
    assert "empty ticket" in tr.reply(t)


def test_duplicates_aggregate_under_one_ticket():
    tickets = [tr.Ticket("A", at(1, 33), "refund fails in the assistant"),
               tr.Ticket("B", at(1, 35), "the bot errors on my refund"),
               tr.Ticket("C", at(22, 40), "I was charged twice for my subscription, invoice 88213"),
               tr.Ticket("D", at(23, 20), "still no answer: charged twice for my subscription, invoice 88213"),
               tr.Ticket("E", at(23, 30), "How do I change my email address?")]
    out = {t.id: t for t in tr.triage_tickets(tickets, INCIDENTS)}
    assert out["B"].duplicate_of == "A" and out["A"].duplicate_of is None
    assert out["D"].duplicate_of == "C" and out["E"].duplicate_of is None
    assert "duplicate of C" in out["D"].reason


def test_shipped_queue_links_with_high_f1_beside_the_baseline():
    tickets, truth = tr.load_tickets(QUEUE), tr.load_truth(TRUTH)
    assert len(tickets) >= 40 and len(truth) == len(tickets)
    out = tr.triage_tickets(tickets, INCIDENTS)
    figures = tr.measure(out, truth, OUTAGE)
    assert figures["ticket_link_f1"] >= 0.9
    assert figures["baseline_ticket_link_f1"] < figures["ticket_link_f1"]
    assert figures["ticket_duplicate_f1"] >= 0.8


def test_queue_has_hard_negatives():
    tickets, truth = tr.load_tickets(QUEUE), tr.load_truth(TRUTH)
    hard = [t for t in tickets if not truth[t.id]["about_outage"] and at(1, 30) <= t.created_at <= at(2, 30)
            and any(w in t.text.lower() for w in ("assistant", "bot", "chat", "helper"))]
    assert len(hard) >= 0.3 * len(tickets)
    assert any(t.created_at < at(1, 30) for t in tickets)


def test_deterministic():
    a = tr.to_json(tr.triage_tickets(tr.load_tickets(QUEUE), INCIDENTS), INCIDENTS)
    b = tr.to_json(tr.triage_tickets(list(reversed(tr.load_tickets(QUEUE))), INCIDENTS), INCIDENTS)
    assert json.dumps(a) == json.dumps(b)


# --- bad input: one line naming file, line and field -------------------------------------------------------

GOOD = {"id": "X-1", "created_at": "2026-11-27T01:40:00Z", "text": "refund fails"}


@pytest.mark.parametrize("line, field", [
    ('{"id": "X-1", "created_at": "2026-11-27T01:40:00Z"', None),                       # not JSON
    (json.dumps({k: v for k, v in GOOD.items() if k != "id"}), "id"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "text"}), "text"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "created_at"}), "created_at"),
    (json.dumps({**GOOD, "created_at": "yesterday"}), "created_at"),
    (json.dumps({**GOOD, "created_at": "2026-11-27T01:40:00"}), "created_at"),          # no offset
    (json.dumps({**GOOD, "text": 42}), "text"),
    (json.dumps({**GOOD, "id": ""}), "id"),
    ('["a list"]', None),
])
def test_bad_ticket_lines(tmp_path, line, field):
    path = tmp_path / "tickets.jsonl"
    path.write_text(json.dumps(GOOD | {"id": "X-0"}) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as err:
        tr.load_tickets(path)
    assert err.value.field == field and "line 2" in err.value.where and "tickets.jsonl" in err.value.where


def test_duplicate_id_and_bad_encoding(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="id: 'X-1' already used on line 1"):
        tr.load_tickets(path)
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + b'{"id": "X-2", "text": "caf\xe9"}\n')
    with pytest.raises(BadInput, match="line 2: not UTF-8"):
        tr.load_tickets(path)


def test_incidents_from_correlate_json_and_bad_incidents(tmp_path):
    doc = {"incidents": [{"id": "INC-1", "first_at": "2026-11-27T01:32:00Z", "last_at": "2026-11-27T02:00:00Z",
                          "status": "resolved", "services": ["support-assistant"], "components": ["tool-orders"]}]}
    (inc,) = tr.incidents_from_json(doc)
    assert inc.resolved_at == at(2, 0) and inc.components == ("tool-orders",)
    with pytest.raises(BadInput) as err:
        tr.incidents_from_json([{"id": "INC-1"}], "inc.json")
    assert err.value.field == "opened_at"
    path = tmp_path / "inc.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(BadInput, match="not JSON"):
        tr.load_incidents(path)


def test_run_triage_on_an_unseen_queue(tmp_path):
    """Tickets worded unlike the shipped queue, incidents as a plain list: the command's path end to end."""
    rows = [("N1", "01:36", "Chatbot crashed when I tried to get my money back for a jacket"),
            ("N2", "01:38", "getting 'something went wrong' from the virtual agent on every refund I try"),
            ("N3", "01:41", "How long does shipping to Canada take?"),
            ("N4", "01:42", "the assistant recommended a jacket in the wrong size"),
            ("N5", "01:45", "Refunds are down??"),
            ("N6", "06:00", "refund error in chat")]
    queue = tmp_path / "export.jsonl"
    queue.write_text("".join(json.dumps({"id": i, "created_at": f"2026-11-27T{t}:00Z", "text": x}) + "\n"
                             for i, t, x in rows), encoding="utf-8")
    incidents = tmp_path / "incidents.json"
    incidents.write_text(json.dumps([{"id": "INC-9", "opened_at": "2026-11-27T01:33:00Z",
                                      "resolved_at": "2026-11-27T02:00:00Z", "services": ["support-assistant"],
                                      "components": ["tool-orders", "agent"],
                                      "summary": "Order API rejects refund tool calls"}]), encoding="utf-8")
    doc = run_triage(queue, incidents_path=incidents)
    linked = {t["id"] for t in doc["tickets"] if t["linked_incident"] == "INC-9"}
    assert linked == {"N1", "N2", "N5"}
    assert set(doc["tickets"][0]) >= {"id", "category", "priority", "linked_incident", "duplicate_of", "reason"}
    assert doc["incidents"] == [{"id": "INC-9", "tickets": 3}]
    with pytest.raises(BadInput):
        run_triage(queue, incidents_path=incidents, scenario="bad-deploy")


def test_cosine_of_the_tfidf_rows_is_sklearns_cosine_similarity():
    """The linker's similarities are dot products of TfidfVectorizer's L2-normalised rows: what sklearn's
    cosine_similarity gives, without importing sklearn.metrics at the start of every command."""
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    texts = [json.loads(line)["text"] for line in QUEUE.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = tr._Vectors(texts, [OUTAGE.summary, OTHER.summary])
    tickets, incidents = vectors.matrix[: vectors.n], vectors.matrix[vectors.n:]
    assert np.allclose(vectors.ticket_to_incident(), cosine_similarity(tickets, incidents), rtol=0, atol=1e-12)
    assert np.allclose(vectors.ticket_to_ticket(), cosine_similarity(tickets), rtol=0, atol=1e-12)

"""Each kind of failure an incident can be, in customers' words the rules were not written from: errors and
timeouts, slowness told as the wait itself, wrong or invented answers, what a customer came to do and cannot (log in,
pay, check out), and the shop's own services (the storefront) as data; beside each, hard negatives that use the same
words about something else."""
from datetime import datetime, timedelta, timezone

import pytest

from oncall.support_desk import link
from oncall.support_desk import triage as tr

UTC = timezone.utc
OPEN = datetime(2026, 5, 2, 1, 0, tzinfo=UTC)
TIMEOUTS = tr.IncidentInfo("INC-21", OPEN, OPEN + timedelta(minutes=70), ("support-assistant",),
                           ("agent", "gateway", "provider"),
                           "UpstreamModelTimeouts: model requests timing out. GatewayErrors: 504 above 5 %", "page")
SLOW = tr.IncidentInfo("INC-22", OPEN, OPEN + timedelta(minutes=70), ("support-assistant",), ("agent", "gateway"),
                       "AssistantLatencyHigh: p95 latency above 10 s", "page")
QUALITY = tr.IncidentInfo("INC-23", OPEN, OPEN + timedelta(minutes=90), ("support-assistant",), ("agent",),
                          "AnswerQualityBudgetBurn (quality SLO): graded answers incorrect", "ticket")
SHOP = tr.IncidentInfo("INC-24", OPEN, OPEN + timedelta(minutes=40), ("storefront",), ("checkout",),
                       "CheckoutErrors: checkout 5xx above 2 %", "critical")
BILLING_BEFORE = tr.IncidentInfo("INC-20", OPEN - timedelta(minutes=80), OPEN - timedelta(minutes=25),
                                 ("billing-portal",), ("api", "web"), "BillingApiErrors: billing API 5xx", "critical")
SLOW_WARNING = tr.IncidentInfo("INC-25", OPEN + timedelta(minutes=80), OPEN + timedelta(minutes=120),
                               ("support-assistant",), ("retriever",), "RetrieverSlow: one replica p95 above 1 s",
                               "warning")


def run(text, incidents, minutes=15, tier=None):
    (t,) = tr.triage_tickets([tr.Ticket("K1", OPEN + timedelta(minutes=minutes), text, tier)], incidents)
    return t


@pytest.mark.parametrize("text", [
    "the support bot times out on me every time i ask something",
    "chat assistant: request time out, again and again",
    "Our team finds the assistant completely unresponsive this evening",
    "The chat window shows 'Sorry, we could not get a response' after every message",
    "typing dots for ages in the chat then nothing",
    "the virtual assistant returns nothing, an empty reply bubble every time",
])
def test_timeouts_and_the_services_own_error_message_join_a_timeout_incident(text):
    t = run(text, [TIMEOUTS])
    assert t.linked_incident == "INC-21", t.reason
    assert t.priority in ("P1", "P2")


@pytest.mark.parametrize("text", [
    "it takes a whole minute before the assistant replies, every single question",
    "the chatbot took 40 seconds to answer where my parcel is",
    "about 20-30 secs per answer from your virtual assistant, is something wrong?",
    "assistant response times are terrible tonight",
    "the bot was thinking for so long I closed the tab",
    "waited 3 minutes for the chat to reply about my refund",
    "the helper needs about a minute per question",
    "bot replies arrive really late, often after 40 seconds",
])
def test_slowness_told_as_the_wait_itself_joins_a_latency_incident(text):
    t = run(text, [SLOW])
    assert t.linked_incident == "INC-22", t.reason
    assert "slowness" in t.reasons["link"] or "a failure" in t.reasons["link"]


@pytest.mark.parametrize("text", [
    "your assistant says returns are free but the returns page lists a 4.95 fee",
    "the bot walked me through steps for a 'Loyalty' tab that does not exist in my account",
    "is the chatbot wrong or is the invoice wrong? it said no VAT",
    "earlier the helper promised me free delivery, now it says it never promised that",
    "the assistant told me my voucher is valid until June, my account page shows it expired in May",
    "I get a different answer each time I ask the bot about the warranty",
    "the chat assistant suggested a gift wrap service you don't even offer",
    "the bot said my return was received, it wasn't, the parcel is still here",
])
def test_wrong_invented_or_contradicting_answers_join_a_quality_incident(text):
    t = run(text, [QUALITY])
    assert t.linked_incident == "INC-23", t.reason


@pytest.mark.parametrize("text", [
    "Can't check out, the cart just reloads when I press pay",
    "unable to place an order on the website since a few minutes, error 502",
    "I cannot complete my purchase, the payment step keeps failing",
    "your online shop is down?? i need to order a gift tonight",
])
def test_what_a_customer_cannot_do_on_the_shop_joins_the_storefront_incident(text):
    t = run(text, [BILLING_BEFORE, SHOP])
    assert t.linked_incident == "INC-24", t.reason
    assert t.priority in ("P1", "P2")


@pytest.mark.parametrize("text, incidents", [
    ("could the assistant talk a bit slower in voice mode? the voice speaks really fast", [SLOW]),
    ("in voice mode the speaking voice is so slow, can it go faster?", [SLOW]),
    ("was the chat down earlier? a friend mentioned it, I didn't notice anything myself", [TIMEOUTS]),
    ("the assistant keeps telling me it can't find my booking, I paid at the counter, how do I add it?", [TIMEOUTS]),
    ("the shop's answers are right, I just want the chat to be shorter", [QUALITY]),
    ("the assistant is fine but shipping is so slow, 9 days and counting", [SLOW]),
    ("slow delivery again, the chat bot could not speed it up either", [SLOW]),
])
def test_the_same_words_about_something_else_are_not_linked(text, incidents):
    t = run(text, incidents)
    assert t.linked_incident is None, t.reason


def test_an_open_major_incident_wins_over_a_resolved_one_and_a_warning():
    checkout = "checkout fails on the last step with 'something went wrong'"
    assert run(checkout, [BILLING_BEFORE, SHOP]).linked_incident == "INC-24"   # both take checkout: the open one
    late = "between 01:00 and 02:10 our agents could not use the assistant at all, please send a report"
    t = run(late, [TIMEOUTS, SLOW_WARNING], minutes=95)    # the page resolved 25 min before; a warning is open
    assert t.linked_incident == "INC-21", t.reason


def test_the_catalog_carries_the_storefront_and_its_checkout():
    words = tr.load_service_words()
    assert "storefront" in words.services and "checkout" in words.features["storefront"]
    reading = link.read("can't place an order, the cart is empty", words)
    assert reading.kind == "hard"
    assert "storefront" in link.mentions(reading, words)


def test_a_service_the_catalog_does_not_know_is_named_by_what_its_engineers_called_it():
    gift = tr.IncidentInfo("INC-26", OPEN, OPEN + timedelta(minutes=30), ("gift-cards",), ("redemption",),
                           "GiftCardRedemptionErrors: redemption 5xx above 5 %", "critical")
    t = run("Redeeming my voucher fails with an error, twice now", [gift])
    assert t.linked_incident is None, t.reason              # no word of its name: unknown to the desk
    t = run("my gift cards page errors out, can't use the card I got for my birthday", [gift])
    assert t.linked_incident == "INC-26", t.reason
    words = tr.load_service_words()
    assert words.knowing([gift]).services["gift-cards"] == ("gift cards", "gift", "cards")
    assert words.knowing([SHOP]) is words                    # the catalog's own services stay as they are
    assert tr.load_service_words().knowing([gift]).features["gift-cards"] == {"redemption": ("redemption",)}

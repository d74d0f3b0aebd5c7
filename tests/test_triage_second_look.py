"""Triage's second look (oncall/support_desk/link.py, ``second_look``): a ticket the rules leave unlinked joins an
incident customers feel when it is written while that incident is open (or soon after), speaks of what the incident
is about in the incident's own words (not the product's name, not the catalog's everyday words), and reports some
kind of trouble. Words of this file's own, beside look-alikes."""
from datetime import datetime, timedelta, timezone

import pytest

from oncall.support_desk import link
from oncall.support_desk import triage as tr

UTC = timezone.utc
OPEN = datetime(2026, 9, 14, 1, 10, tzinfo=UTC)
# A service the catalog does not know, failing in a way no rule was written for.
WALLET = tr.IncidentInfo("INC-61", OPEN, OPEN + timedelta(minutes=70), ("wallet",), ("api", "ledger"),
                         "WalletTopUpsRejected: more than 30% of wallet top-ups rejected on wallet-api-2. "
                         "WalletBalanceStale: balances older than 15 minutes", "critical")
# The assistant's own page, whose text names sessions: "chat" or "assistant" alone says which product only.
SESSIONS = tr.IncidentInfo("INC-62", OPEN + timedelta(hours=3), OPEN + timedelta(hours=4), ("support-assistant",),
                           ("gateway",), "ChatSessionsDropped: sessions dropped mid-conversation on gateway-2", "page")
# A warning on a machine customers never see.
DISK = tr.IncidentInfo("INC-63", OPEN + timedelta(hours=6), None, ("wallet",), ("node",),
                       "NodeDiskFilling: /data on wallet-node-1 above 85%", "warning")
ALL = [WALLET, SESSIONS, DISK]


def one(minutes, text, incidents=ALL):
    tickets = [tr.Ticket("S1", OPEN + timedelta(minutes=minutes), text, None)]
    return tr.triage_tickets(tickets, incidents)[0]


@pytest.mark.parametrize("text", [
    "the balance of my wallet is not the same after I added money",
    "wallet top up keeps bouncing back, is my money gone??",
    "Mi saldo del wallet no cambia después de recargar",
    "top-up went through at the bank but not in the shop wallet",
])
def test_trouble_with_what_the_incident_is_about_joins_it_while_it_is_open(text):
    t = one(20, text)
    assert t.linked_incident == "INC-61" and t.category == "outage", t.reasons
    assert "second look" in t.reasons["link"] and "created while it was open" in t.reasons["link"]
    assert t.priority in ("P1", "P2")


@pytest.mark.parametrize("minutes, text, why", [
    (20, "how do I put money on my wallet?", "a question of how, no trouble"),
    (20, "please add apple pay as a way to top up the wallet", "a wish"),
    (20, "my wallet top up failed last week and support never answered", "an older problem"),
    (20 + 70 + 300, "wallet balance still shows nothing after my top up", "hours after it resolved"),
    (200, "the assistant keeps calling me 'buddy', not ok", "names the product only"),
    (200, "the chat window is not big enough on my tablet", "the product and its everyday words only"),
    (400, "my wallet balance is wrong, not what I topped up", "a warning no customer feels"),
])
def test_a_look_alike_stays_unlinked(minutes, text, why):
    assert one(minutes, text).linked_incident is None, why


@pytest.mark.parametrize("text, word", [("chat keeps sending me back to the start, my session is gone", "'session'"),
                                        ("the chat forgets me mid conversation, again", "'convers'")])
def test_sessions_dropped_is_what_the_chat_page_is_about(text, word):
    t = one(200, text)
    assert t.linked_incident == "INC-62" and "second look" in t.reasons["link"] and word in t.reasons["link"]


def test_a_ticket_the_rules_link_keeps_their_reason():
    t = one(20, "put 50 euro on my wallet twice, the balance still shows nothing")
    assert t.linked_incident == "INC-61" and "second look" not in t.reasons["link"]


def test_the_topic_is_the_incidents_words_without_its_product_name_or_monitoring_words():
    from oncall.support_desk.tickets import load_service_words

    topic = link.incident_topic(SESSIONS, load_service_words())
    assert {"session", "dropp", "convers"} <= topic
    assert not {"chat", "assistant", "bot", "more", "than", "rate"} & topic
    wallet = link.incident_topic(WALLET, load_service_words())
    assert {"wallet", "balance", "ledger"} <= wallet       # an unknown service keeps its name
    assert not link.felt(DISK) and link.felt(WALLET) and link.felt(SESSIONS)


# A page on the order tool: "order" and "refund" are the shop's everyday words (the catalog's), which the rules read
# by the kind of failure; on the second look they say nothing of this incident.
ORDERS = tr.IncidentInfo("INC-64", OPEN + timedelta(hours=8), OPEN + timedelta(hours=9), ("support-assistant",),
                         ("tool-orders",), "OrderLookupFailing: order lookups and refund status calls failing on "
                         "tool-orders", "page")


@pytest.mark.parametrize("text", ["the refund for my order took 3 weeks, still nothing",
                                  "can the bot remember my order number? I don't want to type it again",
                                  "my order arrived without the receipt, not great"])
def test_the_catalogs_everyday_words_are_not_what_an_incident_is_about(text):
    t = one(8 * 60 + 20, text, [ORDERS])
    assert t.linked_incident is None, t.reasons


# ---- A ticket in another language: the rules read English; the second look reads the service it names ----------
@pytest.mark.parametrize("text", [
    "Der Chat bricht jede Sitzung ab, ich muss immer wieder neu anfangen",
    "El chatbot me saca de la conversación cada dos minutos, es imposible",
    "Le chat me déconnecte sans arrêt, toujours la même chose",
    "De chat gooit me steeds eruit, niks werkt",
])
def test_a_ticket_in_another_language_that_names_the_pages_service_and_trouble_joins_it(text):
    t = one(200, text)
    assert t.linked_incident == "INC-62", t.reasons
    assert "names its service" in t.reasons["link"] and "second look" in t.reasons["link"]


@pytest.mark.parametrize("minutes, text, why", [
    (200, "the chat keeps calling me 'mate', not what I expect from a shop", "English: the rules read it"),
    (200, "Wie kann ich im Chat die Sprache umstellen?", "a question, no trouble"),
    (200, "Der Chat ist super, danke für die schnelle Hilfe", "praise, no trouble"),
    (20, "Der Chat funktioniert nicht mehr", "no incident on the assistant open then"),
    (20 + 70 + 400, "Le chat ne marche pas", "hours after every incident"),
])
def test_a_foreign_ticket_without_trouble_or_outside_the_incident_stays_unlinked(minutes, text, why):
    assert one(minutes, text).linked_incident is None, why


@pytest.mark.parametrize("text, english", [
    ("the chat window keeps closing on me", True), ("my refund is not there yet", True),
    ("Der Chat antwortet mir nicht mehr", False), ("El asistente no contesta desde ayer", False),
    ("Le chat ne répond plus depuis ce matin", False), ("", True),
])
def test_english_is_told_from_other_languages_by_its_common_words(text, english):
    assert link.english(text) is english

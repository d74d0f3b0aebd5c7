"""The kinds of report the linker learned after the fifth night, each in words of this file's own and beside hard
negatives that use the same words about something else: the service turning customers away ("try again in a few
minutes"), a figure the assistant gave against another our checkout or page shows, an order action it could not
do ("it can't cancel it"), a clock time that places a report the next morning, a follow-up on an earlier linked
order, and a date that belongs to something else than the failure ("photos I sent yesterday")."""
from datetime import datetime, timedelta, timezone

import pytest

from oncall.support_desk import link
from oncall.support_desk import triage as tr

UTC = timezone.utc
OPEN = datetime(2026, 6, 10, 23, 50, tzinfo=UTC)
THROTTLED = tr.IncidentInfo("INC-31", OPEN, OPEN + timedelta(minutes=80), ("support-assistant",),
                            ("llm-provider", "agent"),
                            "ProviderRateLimited: model provider answering 429. AgentModelCallsFailing cause=rate_limited",
                            "page")
STALE = tr.IncidentInfo("INC-32", OPEN - timedelta(hours=3), OPEN - timedelta(hours=1), ("support-assistant",),
                        ("index",), "KnowledgeIndexStale: index older than 24 h. HelpCentreSyncFailing", "ticket")
ORDERS = tr.IncidentInfo("INC-33", OPEN + timedelta(hours=5), OPEN + timedelta(hours=6, minutes=30),
                         ("support-assistant",), ("tool-orders",),
                         "OrderToolFailing: refund and cancel calls failing, payments upstream 503", "page")
ALL = [STALE, THROTTLED, ORDERS]


def run(texts_at, incidents=ALL):
    """Triage (minutes after OPEN, text) pairs as one queue; returns the decisions in order."""
    tickets = [tr.Ticket(f"F{k}", OPEN + timedelta(minutes=m), text, None) for k, (m, text) in enumerate(texts_at)]
    return tr.triage_tickets(tickets, incidents)


@pytest.mark.parametrize("text", [
    "the chat only says please try again in a couple of minutes, five times now",
    "assistant: 'too many requests right now, try later'. I just want my tracking",
    "your helper keeps telling me to come back later",
    "bot answers with error 429 to everything",
    "the support chat seems overloaded, no answer only 'ask again soon'",
])
def test_the_service_turning_customers_away_joins_a_throttling_incident(text):
    (t,) = run([(20, text)])
    assert t.linked_incident == "INC-31", t.reasons
    assert t.priority in ("P1", "P2")


@pytest.mark.parametrize("text", [
    "the assistant was great, I'll try again later for my second question",
    "can I ask the bot later about my order or does the chat close at night?",
])
def test_a_customers_own_plan_to_try_later_is_not_a_report(text):
    (t,) = run([(20, text)])
    assert t.linked_incident is None, t.reasons


@pytest.mark.parametrize("text", [
    "your chatbot quoted 12.50 for the cable, my basket shows 15.90 for the same cable",
    "the assistant told me delivery is free above 60, then checkout charged 5.50 on my 64 order",
    "bot says 45 days to return shoes. the returns page says 30 days. who is right",
    "I was informed by the chat that the voucher gives 15 %, but the total only took off 10 %",
])
def test_a_figure_the_assistant_gave_against_another_of_ours_is_a_stale_answer(text):
    (t,) = run([(-100, text)])
    assert t.linked_incident == "INC-32", t.reasons


@pytest.mark.parametrize("text", [
    "the bot says 30 days to return, the page says 30 days too, I just wanted to be sure",
    "the assistant said my order 4 will come in 3 days, great!",
    "your chat told me the shop closes at 20, thanks",
])
def test_figures_that_agree_or_stand_alone_are_not_a_contradiction(text):
    (t,) = run([(-100, text)])
    assert t.linked_incident is None, t.reasons


@pytest.mark.parametrize("text", [
    "the chat finds my order but it can't cancel it, please do it by hand",
    "your assistant could not refund me, it says someone will call in 2 days",
    "why is the bot unable to reschedule my delivery? it just says sorry",
])
def test_an_order_action_the_assistant_could_not_do_joins_the_order_tool_incident(text):
    (t,) = run([(320, text)])
    assert t.linked_incident == "INC-33", t.reasons


def test_a_clock_time_places_a_next_morning_report_in_the_incident_it_names():
    text = ("Last night from about 23:55 to 01:00 our staff could not use your assistant, it said try again later. "
            "Please send an incident report.")
    (t,) = run([(9 * 60, text)])      # 08:50, after ORDERS resolved (06:20) and long after THROTTLED (01:10)
    assert t.linked_incident == "INC-31", t.reasons
    assert "says it happened at 23:55" in t.reasons["link"]
    (t,) = run([(9 * 60, text.replace("from about 23:55 to 01:00 ", ""))])
    assert t.linked_incident != "INC-31"    # without the time, the night's first incident is too long ago


def test_clock_times_are_read_in_the_forms_customers_write():
    assert link._clock_times("around 10pm") == ((22, 0),)
    assert link._clock_times("between 23:50 and 00:40 utc") == ((23, 50), (0, 40))
    assert link._clock_times("at midnight, and again at 7 a.m.") == ((0, 0), (7, 0))
    assert link._clock_times("order 6655871, 3 items, 25 % off") == ()


def test_a_follow_up_on_an_earlier_linked_order_joins_its_incident():
    first = "the bot says try again in a few minutes every time, I need to know if order 7781234 shipped"
    follow = "again me about 7781234. same message still, please answer"
    a, b = run([(10, first), (35, follow)])
    assert a.linked_incident == "INC-31"
    assert b.linked_incident == "INC-31" and "follows up F0" in b.reasons["link"]
    # the same order without referring back, or another order, is not a follow-up
    _, c = run([(10, first), (35, "order 7781234 arrived, thank you")])
    assert c.linked_incident is None
    _, d = run([(10, first), (35, "again about 7781299: still nothing")])
    assert d.linked_incident is None
    # nor long after the incident resolved
    _, e = run([(10, first), (80 + 5 * 60, follow)])
    assert e.linked_incident is None


@pytest.mark.parametrize("text,dates_failure", [
    ("the refund button in chat gives an error. I sent the photos yesterday.", False),
    ("the chat bot failed yesterday and it fails again now", True),
    ("yesterday the assistant said my refund was approved", True),
])
def test_yesterday_dates_the_failure_only_in_its_own_sentence(text, dates_failure):
    words = tr.load_service_words()
    assert link.read(text, words).yesterday is dates_failure


@pytest.mark.parametrize("text", [
    "I sent back a jacket 4 weeks ago and the refund still hasn't arrived. The chat says paid but my bank shows nothing",
    "for 3 days now the assistant can't find any order I make in the app",
])
def test_a_problem_dated_before_the_night_is_older_than_the_incident(text):
    (t,) = run([(320, text)])
    assert t.linked_incident is None, t.reasons
    assert "older problem" in t.reasons["link"]

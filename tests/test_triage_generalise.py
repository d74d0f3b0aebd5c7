"""What lets triage read a night it was not written against: other languages' trouble and little words, times on a
named place's clock, a customer's follow-up, "it works again", and the shop's things in customers' words."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from oncall.errors import BadInput
from oncall.support_desk import concepts, learned
from oncall.support_desk import link
from oncall.support_desk import triage as tr

UTC = timezone.utc


@pytest.mark.parametrize("text", [
    "Chatten svarar inte, jag har försökt tre gånger",                    # Swedish
    "Dzień dobry, nie mogę zapłacić, ta opcja zniknęła",                  # Polish
    "A chat ablak nem tölt be, csak forog a kör",                         # Hungarian
    "Kaikki tuotteet näyttävät loppuunmyydyiltä, enkä voi lisätä mitään",  # Finnish
])
def test_other_languages_are_not_english_and_their_trouble_is_read(text):
    assert not link.english(text)
    assert link._hits(link.TROUBLE, text.lower())


@pytest.mark.parametrize("text", [
    "Чат не отвечает, опять ошибка при оплате",                            # Russian
    "Το chat δεν απαντά, πάλι σφάλμα",                                     # Greek
    "الدردشة لا ترد منذ ساعة",                                             # Arabic
    "הצ'אט לא עונה, שוב שגיאה",                                            # Hebrew
    "채팅이 안 돼요, 오류가 계속 나요",                                     # Korean
    "在线客服机器人无法回答我的问题",                                        # Chinese: no spaces between words
    "チャットで注文を聞いたら、エラーが表示されました",                      # Japanese
    "shop.example.be blijft maar herladen, ERR_TOO_MANY_REDIRECTS",         # a page in a loop
    "the whatsapp bot is ignoring me??",
])
def test_trouble_in_other_scripts_and_in_loops(text):
    assert link._hits(link.TROUBLE, link._normalise(text))


@pytest.mark.parametrize("text", ["ご注文ありがとうございます。とても便利です", "the chat answered within a minute, lovely"])
def test_no_trouble_where_there_is_none(text):
    assert not link._hits(link.TROUBLE, link._normalise(text))


@pytest.mark.parametrize("text,old", [
    ("the chat has been broken for 3 days", "for 3 days"),
    ("Petra again: chat icon still missing in the Android app, a week now.", "a week now"),
    ("still 'no orders found' in the chat, this is the 8th day.", "this is the 8th day"),
    ("the refund is stuck for two weeks", "for two weeks"),
    # a term of the shop's is not the trouble's age
    ("your bot just told me returns are free for 60 days, the returns page says 30", None),
    ("the code is valid for 30 days but checkout says it expired", None),
    ("the chat fails for the third time tonight", None),
])
def test_a_trouble_older_than_tonight_and_a_term_of_the_shop(text, old):
    assert link._old(link._normalise(text)) == old


@pytest.mark.parametrize("text", [
    "Il carrello non si aggiorna",                                          # Italian's denial
    "チャットで「リクエストが多すぎます」と出ます",                          # Japanese: "too many requests"
    "客服说消息太多，请稍后再试",                                            # Chinese: "too many messages"
    "요청이 너무 많습니다 라고 나와요",                                      # Korean: "too many requests"
])
def test_trouble_read_after_the_eighteenth_night(text):
    assert link._hits(link.TROUBLE, link._normalise(text))


def test_a_prefix_non_is_not_a_denial():
    assert not link._hits(link.TROUBLE, link._normalise("As a non-member, how do I join the club?"))


@pytest.mark.parametrize("text, year, old", [
    ("I can't see the sofa I ordered in 2019 in my account any more", 2028, "in 2019"),
    ("the invoices from 2022 are missing from the portal", 2028, "from 2022"),
    ("the invoices from 2028 are missing from the portal", 2028, None),               # this year: not older
    ("the return policy changed in 2024 and the bot still quotes the old one", 2028, None),   # dates a change
    ("customer since 2015, tonight the chat won't load", 2028, None),                 # not a year it places it in
    ("I've shopped here since 2015 and never had a problem", 2028, None),
])
def test_a_year_before_the_tickets_places_the_trouble_in_an_older_past(text, year, old):
    assert link.dated(link.read(text), year).old == old


@pytest.mark.parametrize("text, old", [
    ("the app has been logging me out for a week", "for a week"),
    ("returns are accepted for a year after delivery, the bot says 14 days", None),   # a term of the shop's
])
def test_for_a_week(text, old):
    assert link._old(link._normalise(text)) == old


@pytest.mark.parametrize("text", ["What is going on with your checkout??", "Whats going on", "Was ist da los?",
                                  "Wat is er aan de hand met de chat?", "Co się dzieje z koszykiem?",
                                  "Sepette ne oluyor?", "is this a bug or a feature?"])
def test_asking_what_is_going_on_is_a_report(text):
    assert link._hits(link._HARD, link._normalise(text))


def test_a_contrast_with_our_page_needs_no_but():
    assert link._contrast(link._normalise("The assistant says shipped, my order page says 'awaiting payment'."))
    assert link._contrast(link._normalise("The assistant says shipped, order status page shows 'in packing'."))
    assert link._contrast(link._normalise("The assistant says shipped. Thanks for the quick help!")) is None


def test_a_year_in_a_likeness_is_not_the_troubles():
    assert link.dated(link.read("again: the answers are like google translate from 2005, what is going on"), 2028).old is None


@pytest.mark.parametrize("text, old", [
    ("Seit einer Woche lädt der Chat nicht", "seit einer woche"),
    ("od tygodnia w aplikacji nie działa wyszukiwanie", "od tygodnia"),
    ("depuis une semaine le panier se vide", "depuis une semaine"),
    ("聊天窗口打不开，已经一周了", "一周了"),
    ("Der Chat lädt seit 20 Minuten nicht", None),                  # tonight's trouble
])
def test_how_long_it_has_lasted_in_other_languages(text, old):
    assert link._old(link._normalise(text)) == old


@pytest.mark.parametrize("text, not_a_report", [
    ("Hej! Tack, er chattbot hjälpte mig hitta rätt storlek. Bra jobbat!", "thanks for help that worked"),
    ("Danke, der Chat hat mir sehr geholfen!", "thanks for help that worked"),
    ("Danke, aber der Chat hat mir nicht geholfen, er lädt nicht", None),      # thanks, and trouble
    ("Kunnen jullie de chat ook in donkere modus maken?", "asks for something new"),
    ("Es wäre schön, wenn der Chat auch Bilder annimmt", "asks for something new"),
    ("你们能不能支持支付宝付款？", "asks for something new"),
    ("Add dark mode to the help center please.", "asks for something new"),   # a wish in the imperative
    ("add to basket does nothing since this morning", None),                   # the button, named
])
def test_praise_and_wishes_in_other_languages_are_not_reports(text, not_a_report):
    assert link.read(text).not_a_report == not_a_report


@pytest.mark.parametrize("text, zoned", [
    ("heute Nacht so gegen halb vier (deutsche Zeit) hat der Chatbot",
     ((3, 30, "Europe/Berlin"), (15, 30, "Europe/Berlin"))),          # in words: both halves of the clock
    ("zwischen ca. 00:10 und 01:40 Uhr kamen 300 Mails", ((0, 10, "Europe/Berlin"), (1, 40, "Europe/Berlin"))),
    ("vers 2h30 le chat ne marchait pas", ((2, 30, "Europe/Berlin"),)),
    ("the chat failed at 22:10 and at 3 uhr", ()),                 # English: the desk's clock, as before
])
def test_a_time_in_a_european_language_is_on_the_shops_home_clock(text, zoned):
    assert link._clock_times(link._normalise(text))[1] == zoned


@pytest.mark.parametrize("text, at, zoned", [
    ("last night around quarter to ten (Irish time) the chat kept asking", (),
     ((9, 45, "Europe/Dublin"), (21, 45, "Europe/Dublin"))),
    ("at half past 11 it broke", ((11, 30), (23, 30)), ()),
    ("since ten o'clock nothing loads", ((10, 0), (22, 0)), ()),
    ("it took half the night", (), ()),
])
def test_a_time_in_english_words_is_read_on_both_halves_of_the_clock(text, at, zoned):
    assert link._clock_times(link._normalise(text)) == (at, zoned)


@pytest.mark.parametrize("word, read_as", [("mails", "mails"), ("fais", "fais"), ("fials", "fails"), ("eror", "error"),
                                           ("erorr", "error"), ("asistant", "assistant")])
def test_a_five_letter_word_is_read_through_a_letter_dropped_or_swapped_not_changed(word, read_as):
    assert link._spelt(word) == read_as


def test_a_two_letter_name_of_ours_is_not_read_inside_an_elision():
    assert link._phrase_hits(("ai", "chat"), "j'ai essayé le chat") == ["chat"]
    assert link._phrase_hits(("ai", "chat"), "the ai is down") == ["ai"]


@pytest.mark.parametrize("text, kind", [
    ("formularz reklamacji na waszej stronie pokazuje błąd 404", "hard"),
    ("Error 404 on the returns page", "hard"),
    ("it linked to a help article that gives a 404 page", None),
    ("Deu erro no pagamento", "hard"),
    ("the one day I need your assistant it falls over", "hard"),
    ("my flat is at 404 Main Street", None),
])
def test_errors_in_other_words(text, kind):
    assert link.read(text).kind == kind


@pytest.mark.parametrize("text, trouble", [
    ("Nu pot să plătesc comanda", ["nu"]),
    ("nu se încarcă pagina", ["nu"]),
    ("Nu lukt het wel, maar de aanbieding is voorbij", []),     # Dutch: now
    ("nu har jag fått paketet", []),                            # Swedish: now
])
def test_romanians_denial_is_not_dutch_or_swedish_now(text, trouble):
    assert link._hits(link.TROUBLE, link._normalise(text)) == trouble


@pytest.mark.parametrize("text, at, zoned", [
    ("Last night around ten (Irish time) I tried the chat", (), ((10, 0, "Europe/Dublin"), (22, 0, "Europe/Dublin"))),
    ("told me last night (about 2 UK time) that", (), ((2, 0, "Europe/London"), (14, 0, "Europe/London"))),
    ("about 2 CET it broke", ((1, 0), (13, 0)), ()),
    ("vannacht (rond 3 uur NL tijd) zei de chat", (), ((3, 0, "Europe/Amsterdam"),)),
    ("Vanochtend rond half acht (NL tijd) kon ik geen", (), ((7, 30, "Europe/Amsterdam"), (19, 30, "Europe/Amsterdam"))),
    ("i natt, runt kvart över tolv svensk tid", (), ((0, 15, "Europe/Stockholm"), (12, 15, "Europe/Stockholm"))),
    ("gisteren om kwart voor elf kon ik niet betalen", (), ((10, 45, "Europe/Berlin"), (22, 45, "Europe/Berlin"))),
    ("about 2 weeks ago", (), ()),
    ("last night around half 9, Dublin time, your chat", (), ((9, 30, "Europe/Dublin"), (21, 30, "Europe/Dublin"))),
    ("at half 11 the chat died", ((11, 30), (23, 30)), ()),                  # Ireland's and Britain's half past
    ("it took half an hour, half of the items gone", (), ()),
])
def test_a_bare_hour_before_its_zone_and_the_clock_in_dutch_and_swedish_words(text, at, zoned):
    assert link._clock_times(link._normalise(text)) == (at, zoned)


@pytest.mark.parametrize("text, at, zoned", [
    ("Last night about 10.15pm I used the chat", ((22, 15),), ()),           # a time written with a dot
    ("the total was 10.15 and it failed", (), ()),                           # a price is not a time
    ("between about 6:15 and 7:30 pm Eastern every order was declined", (),
     ((18, 15, "America/New_York"), (19, 30, "America/New_York"))),          # a range's first time takes its pm
    ("from 9:50 to 10:20pm", ((21, 50), (22, 20)), ()),
    ("between 23:50 and 00:40", ((23, 50), (0, 40)), ()),
    ("around 6:30pm Pacific the app", (), ((18, 30, "America/Los_Angeles"),)),
    ("at 10pm Eastern European time", (), ((22, 0, "Europe/Athens"),)),     # Europe's east is not New York
])
def test_a_dot_time_a_range_and_americas_zones_named_without_time(text, at, zoned):
    assert link._clock_times(link._normalise(text)) == (at, zoned)


@pytest.mark.parametrize("text, said", [
    ('die Packstation sagt "Code ungültig"', "ungültig"), ("Paczkomat pokazuje 'Nieprawidłowy kod'", "nieprawidłowy"),
    ("de code is ongeldig", "ongeldig"), ("karekod geçersiz diyor", "geçersiz"),
    ("the QR code was not recognised", "was not recognised"), ("an unrecognised code", "unrecognised"),
])
def test_a_code_refused_as_invalid_is_trouble_in_any_language(text, said):
    assert said in link._hits(link.TROUBLE, link._normalise(text))


@pytest.mark.parametrize("text, praise", [
    ("Gracias!! el chat me ha cambiado la talla de las zapatillas (42 por 43) en 2 minutos. 10/10", True),
    ("thanks, the bot fixed it in a minute", True),
    ("thanks, but the chat failed 10/10 times", False),
])
def test_thanks_with_a_rating_or_a_fix_is_praise(text, praise):
    assert (link.read(text).not_a_report == "thanks for help that worked") is praise


@pytest.mark.parametrize("text, trouble", [
    ("Hallo, wie lange dauert die Lieferung nach 01307 Dresden?", []),          # a question of how long
    ("die Antwort dauert ewig", ["dauert ewig"]),
    ("das Laden dauert so lange", ["dauert so lange"]),
])
def test_how_long_something_takes_is_trouble_only_when_too_long(text, trouble):
    assert link._hits(link.TROUBLE, link._normalise(text)) == trouble


def test_praise_alone_is_not_a_report():
    assert link.read("Il vostro assistente virtuale è stato bravissimo. Complimenti!").not_a_report == \
        "thanks for help that worked"


def test_english_stays_english():
    assert link.english("chat doesn't open, just spins then says something went wrong")
    assert not link._hits(link.TROUBLE, "how do i change the address on my account?")


@pytest.mark.parametrize("text, again", [
    ("it works now, things stay in the basket again", True),
    ("ok the bot shows it now, arriving thursday", True),
    ("Der Chat funktioniert wieder, danke", True),
    ("Pay in 3 worked now, thanks", True),
    ("the payment went through this time", True),
    ("how does the points system work?", False),
    ("it still does not work", False),
    ("When I tried again it works now", True),
    ("most of it works now", True),
    # what the customer waits for, not a report that it is over
    ("The 'notify me when it's back' button doesn't do anything", False),
    ("let me know once it works again", False),
    ("Sag Bescheid, sobald es wieder geht", False),
    ("can you tell me if it works now?", False),
])
def test_works_again(text, again):
    assert link.works_again(link._normalise(text)) is again


def test_a_place_named_in_words_gives_its_clock_on_the_tickets_day():
    utc, zoned = link._clock_times(link._normalise("Mellan ungefär 00:10 och 01:05 i natt (svensk tid) försvann"))
    assert utc == () and zoned == ((0, 10, "Europe/Stockholm"), (1, 5, "Europe/Stockholm"))
    reading = link.read("Mellan 00:10 och 01:05 i natt (svensk tid) försvann varukorgarna")
    summer = datetime(2027, 9, 22, 7, 10, tzinfo=UTC)      # CEST, two hours ahead: 22:10-23:05 UTC
    winter = datetime(2027, 1, 20, 7, 10, tzinfo=UTC)      # CET, one hour ahead: 23:10-00:05 UTC
    def inc(at, minutes):
        return tr.IncidentInfo("INC-1", at, at + timedelta(minutes=minutes), ("cart",), ("api",), "CartItemsLost", "page")
    assert link._stated_fit(inc(datetime(2027, 9, 21, 22, 0, tzinfo=UTC), 20), summer, reading)
    assert not link._stated_fit(inc(datetime(2027, 9, 21, 23, 40, tzinfo=UTC), 20), summer, reading)
    assert link._stated_fit(inc(datetime(2027, 1, 19, 23, 40, tzinfo=UTC), 20), winter, reading)
    assert "Stockholm time" in link._stated_fit(inc(datetime(2027, 9, 21, 22, 0, tzinfo=UTC), 20), summer, reading)


def test_ist_is_indias_time_in_english_and_a_verb_in_german():
    assert link._clock_times(link._normalise("between 06:10 and 07:15 IST our chats dropped"))[1] == (
        (6, 10, "Asia/Kolkata"), (7, 15, "Asia/Kolkata"))
    # German's "ist" names no zone: the time is on the shop's home clock, not India's
    assert link._clock_times(link._normalise("Um 10:30 ist der Chat weg")) == ((), ((10, 30, "Europe/Berlin"),))


@pytest.mark.parametrize("earlier, later, said", [
    ("your bot says order 4471-2290 does not exist", "order 4471-2290 - ok the bot shows it now", "order 4471-2290"),
    ("everything is sold out?? every size says sold out. Tom", "Tom again - running shoes are back", "signed Tom"),
    ("Keine Bestätigung bekommen. Grüße, J. Weber", "Nochmal J. Weber: immer noch keine Bestätigung", "signed Weber"),
    ("WHICH order?? i have two open ones. - Jake", "me again (Jake). still the curly bracket thing", "signed Jake"),
    ("Screenshot attached: the chat is broken", "Screenshot again, same thing", None),     # a word, not a name
    ("the chat is broken. Tom", "Tom here, how do I change my password?", None),            # no follow-up word
    ("order 12-34 was late", "order 12-34 again", None),                                    # too short a number
    ("the chat can't find my store purchase. Receipt no. 0412-88-2291",                      # a label, not a name
     "my refund still isn't on my card. Receipt R-5521-0093.", None),
])
def test_the_same_customer_following_up(earlier, later, said):
    assert link.same_customer(earlier, later) == said


OPEN = datetime(2026, 9, 14, 1, 10, tzinfo=UTC)
CHAT = tr.IncidentInfo("INC-62", OPEN, OPEN + timedelta(minutes=60), ("support-assistant",), ("gateway",),
                       "ChatSessionsDropped: sessions dropped mid-conversation on gateway-2", "page")


def rules_only() -> learned.Weights:
    n = len(learned.NAMES)
    return learned.Weights(np.zeros(n), np.ones(n), np.array([12.0 if m == "rules_link" else 0.0
                                                                for m in learned.NAMES]), -6.0, ["made up"])


def test_a_follow_up_joins_the_incident_its_first_ticket_joined():
    tickets = [tr.Ticket("S0", OPEN + timedelta(minutes=5), "the chat keeps dropping me, error every time. - Tom", None),
               tr.Ticket("S1", OPEN + timedelta(minutes=90), "Tom again: it works now, thanks", None),
               tr.Ticket("S2", OPEN + timedelta(minutes=95), "how do I change my password? - Ana", None)]
    out = tr.triage_tickets(tickets, [CHAT], linker="learned", weights=rules_only())
    assert [t.linked_incident for t in out] == ["INC-62", "INC-62", None]
    assert out[1].reasons["link"] == "linked to INC-62: follows up S0 (signed Tom), which is linked to it"
    later = [tickets[0], tr.Ticket("S1", OPEN + timedelta(hours=14), "Tom again: it works now", None)]
    assert tr.triage_tickets(later, [CHAT], linker="learned", weights=rules_only())[1].linked_incident is None


def test_the_shops_things_in_alerts_and_in_customers_words(tmp_path):
    path = tmp_path / "concepts.yaml"
    path.write_text("concepts:\n  cart:\n    system: [cart, basket]\n    customer: [basket, warenkorb, ostoskori]\n"
                    "  points:\n    system: [loyalty, points]\n    customer: [points, punkte]\n", encoding="utf-8")
    things = concepts.load_concepts(path)
    lost = tr.IncidentInfo("INC-1", OPEN, None, ("cart-api",), ("db",), "CartItemsLost: carts emptied", "page")
    assert things.in_incident(lost) == {"cart"}
    assert things.in_ticket("mein warenkorb ist leer") == {"cart"}
    assert things.in_ticket("wo sind meine punkte?") == {"points"}
    assert things.in_ticket("the baskets page") == frozenset()          # whole words only
    path.write_text("concepts:\n  cart:\n    system: cart\n    customer: [basket]\n", encoding="utf-8")
    with pytest.raises(BadInput, match="concepts.cart.system"):
        concepts.load_concepts(path)


def test_the_shipped_thesaurus_reads():
    things = concepts.load_concepts()
    assert len(things.names) >= 20

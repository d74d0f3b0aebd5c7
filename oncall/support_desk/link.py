"""Linking a ticket to an incident as a support engineer would (course module M32: support desk and AIOps).

The ticket's category never gates the link: a complaint asked as a question ("why does the chat keep dying?")
is a report. A ticket joins an incident when four things hold, each kept in the decision's reason:

1. **time**: it was created while the incident was open (from ``LEAD_MIN`` before the correlator opened it, users
   are faster than correlators, ``QUALITY_LEAD_MIN`` for a wrong answer before a quality burn fires, to
   ``GRACE_MIN`` after it resolved, ``QUALITY_GRACE_MIN`` for a wrong answer, which is read and checked before it
   is reported), or up to ``PAST_GRACE_MIN`` after it resolved when the ticket speaks of the
   past ("it was broken an hour ago"); a ticket about an older problem ("since last week", "last Monday") is not
   about this incident;
2. **topic**: it names a service the incident is on, in customers' words (``data/tickets/services.yaml``: the
   service's names, its features, the symptoms customers describe it by), read through one-letter misspellings;
3. **a failure**: it reports that something fails (not a how-to, a feature request or praise; "if the bot fails"
   and "never fails" are not reports; "the assistant can't look up my order", "what is going on with your bot",
   "Connection lost. Reconnecting..." are, even asked as a question), and the kind of failure fits the incident:
   errors and unavailability fit an incident that fails requests or is slow, slowness fits a slow one, wrong or
   outdated answers (or doubt about what the service said: "it says 10 days, is this true?") fit an incident on
   the answers' quality or freshness; against an incident on one feature's component (the index) they must name
   what it is about, unless they are told as out of date or against our own page ("says 14 days, but the policy
   page says 30"), which is what a stale index does to every answer; an incident on every answer's quality (no
   feature component) takes every wrong answer;
4. **the incident's own text** (its alerts' names, SLO and summaries) as one signal among these: when the
   incident points at a feature's own component (the order tool), a failure of another feature only (a photo
   upload) is a different problem; when several incidents qualify, the one whose features the ticket names, then
   the more severe, then the more similar wins.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .tickets import GRACE_MIN, LEAD_MIN, IncidentInfo, ServiceWords

# Wrong answers are read before a quality or freshness alert fires: its burn rate must hold over its long window
# (an hour) first, while a failing request shows on the 5-minute one.
QUALITY_LEAD_MIN = 60
# ... and reported later after it resolved: a wrong answer is read, checked against our page or the checkout, and
# only then written about, while an error is met and reported at once.
QUALITY_GRACE_MIN = 120
PAST_GRACE_MIN = 240      # "it was broken earlier tonight": a report about the past, after the incident resolved
MIN_SIMILARITY = 0.2      # TF-IDF cosine against the incident's description: the topic of a wrong-answer report

# Severities that make an incident major: the course's SEV-1/SEV-2, Alertmanager's page/critical labels.
MAJOR_SEVERITIES = ("sev-1", "sev-2", "sev1", "sev2", "critical", "page", "p1", "p2", "major")

# Failure reports, by kind. Text is normalised first: lower case, curly quotes straight, one-letter misspellings
# of the longer words mapped to the word (``_normalise``).
HARD = (r"err?or\w*", r"fail\w*", r"broken?", r"down", r"crash\w*", r"outage", r"unavailable", r"dead",
        r"not (work\w*|function\w*|load\w*|respond\w*|answer\w*|reply\w*|open\w*)",
        r"(does|do|did|is|are|was|were|has|have|wo|ca|could)(n'?t| not) (work|load|respond|answer|reply|open|send|"
        r"process|go through|connect|start|show)\w*",
        r"(can'?t|cannot|cant|unable to|not able to|couldn'?t|could not) (get|use|reach|access|load|open|send|chat|"
        r"talk|connect|"
        r"complete|finish|submit)\w*",
        r"wont (work|load|respond|answer|reply|open|send|process)\w*",
        r"went wrong", r"stuck", r"(falls|fell|falling) over",
        # what should have come and did not: an e-mail, a code, the human it promised ("nobody contacted me")
        # (what is sent at once: a refund or a parcel takes days, and its lateness is not a failure of ours)
        r"(e-?mails?|mails?|codes?|links?|sms|texts?|confirmations?|agents?|humans?|colleagues?)( \w+){0,2} (is |are |"
        r"was |were |has |have )?(still )?(not|never) (coming|arriving|arrived|received|come|delivered|sent)",
        r"(e-?mails?|mails?|codes?|links?|sms|confirmations?)( \w+){0,3} (doesn't|does not|didn't|did not|won't|"
        r"don't|do not|never) (come|arrive|show up)s?",
        r"(haven't|have not|hasn't|has not|never) (got|gotten|received) (the |my |any |a |an |your )?(\w+ )?"
        r"(e-?mails?|mails?|codes?|links?|sms|confirmations?)",
        r"no (e-?mail|mail|code|link|sms|text|confirmation|reset (e-?mail|mail|link)|agent|human|person|one|body|"
        r"colleague)s? (came|comes|arrived|arrives|joined|joins|showed up|called|replied|answered|contacted)",
        r"no (confirmation|reset|verification|password|order) ?(e-?mail|mail|link|code)",
        r"where is (the|my) (e-?mail|mail|code|link|confirmation)", r"nobody (contacted|called|came|answered|joined|replied|got back|took over|did)", r"still (nobody|no one|no human|"
        r"no agent|no (\w+ )?(e-?mail|mail|code|link|confirmation))", r"nothing in (my |the )?(inbox|spam|junk|mailbox)",
        r"(since|for) \d+ ?(min\w*|hours?) nothing", r"went nowhere",
        r"(have|has|had|haven't|hasn't|have not|has not)( not)? (been|ever been) able to",
        # the window or the conversation gone from under the customer
        r"(chat|window|conversation) (just |suddenly |then )?(closed|disappeared|vanished|went away)",
        r"(is|are|was|were) (no longer|not|nowhere) in (my|our|the) (chat )?(history|messages|inbox)",
        r"spinner (going|spinning|keeps|forever)\w*", r"fehlgeschlagen", r"[ée]chou[ée]", r"fallit[oa]", r"fallid[oa]",
        r"non riesco", r"no puedo", r"je ne (peux|arrive) pas",
        # the service turning the customer away: "please try again in a few minutes", "too many questions, try
        # later", "come back later", "429" (not the customer's own plan: "i'll try again later")
        r"(?<!i'll )(?<!i will )(?<!we'll )(?<!will )(?<!might )(try|ask|come back|check back)( (it|again|once more))?"
        r" (later|soon|in a (few|couple of|little|bit|moment|minute|while)\w*( (min\w*|moments?|hours?|while))?|"
        r"in \d+ ?(min\w*|hours?))",
        r"(too many|a lot of|so many|lots of) (questions|requests|messages|people|users|conversations)( right)?( now)?",
        r"too busy", r"overloaded", r"429s?", r"frozen", r"freez\w*", r"hang(s|ing)", r"tim(es|ed|ing) out",
        r"timeout\w*", r"time out", r"unresponsive",
        # an answer with nothing in it
        r"(empty|blank) (bubble|answer|reply|response|message|chat window|window)s?", r"returns nothing",
        r"(says|shows|answers|replies|returns|gives me) nothing",
        # the service's own error message, quoted ("We couldn't get an answer right now")
        r"(couldn'?t|could not|can'?t|cannot|unable to|failed to) (get|generate|load|fetch|give) (you |me )?(an|a|any|the|"
        r"your) (answer|response|reply)",
        # what the customer came to do and cannot: log in, pay, check out, order
        r"(can'?t|cannot|can not|unable to|not able to|couldn'?t|could not|impossible to) (even |still )?(log ?in|login|"
        r"sign ?in|pay|check ?out|checkout|place (an |my |the |any |our )?orders?|complete (my |the |a |our )?(order|"
        r"purchase|payment|checkout)|buy|purchase|order anything|add (\w+ )?to (my |the )?(cart|basket))\w*", r"nothing happens", r"no (response|reply)", r"never (answers|replies|responds|loads)",
        r"5\d\ds?", r"not found",
        # a page that is not there, told as an error ("error 404", "błąd 404", "404 error"; a page that "gives a 404"
        # beside a wrong answer is the answer's trouble, not the site's)
        r"(error|err|fehler|erreur|errore|erro|b[łl][ąa]d|eroare|hata|virhe|hiba|fel|fejl|feil|fout|ошибка) 404",
        r"404 (error|not found|fehler|erreur|errore|erro)",
        # the error nouns of the other languages customers write in (German's and French's are below)
        r"erro", r"b[łl][ąa]d", r"b[łl][ęe]d(u|em|y|ów)", r"eroare", r"erori", r"hata(s[ıi]|y[ıi]|lar[ıi]?)?",
        r"virhe(en|tt[äa]|ilmoitus)?", r"ошибк[аиуе]", r"non trovat[oa]", r"introuvable", r"no encontrad[oa]", r"nicht gefunden",
        r"nicht (abrufen|verf[üu]gbar|m[öo]glich)", r"stopped (working|responding|answering)", r"oops", r"unusable", r"disconnect\w*", r"offline",
        r"ain'?t work\w*", r"\d+ ?(min|mins|minutes|seconds|secs|s) (of )?(loading|spinning|waiting)",
        r"(still|keeps?|forever) (loading|spinning)", r"nothing (loads|works|happens|shows)",
        r"(won'?t|doesn'?t|does not|isn'?t|is not) (the |your |it |this )?(\w+ )?(work|load|respond|answer|reply|open|"
        r"send|process)\w*",
        # English as several languages write it
        r"(having|have|has|had|got) (\w+ )?trouble (accessing|reaching|loading|connecting|getting|using|"
        r"opening|retrieving|looking up|logging in)", r"(is|are|it's|gets?|got) blocked",
        r"(error|problem|issue)s? (persists?|continues?|remains?)",
        r"is not work", r"no funciona", r"funktioniert nicht", r"ne (marche|fonctionne) pas", r"n[aã]o funciona",
        r"non funziona", r"werkt niet", r"ne r[ée]pond pas",
        r"no responde", r"antwortet nicht", r"fehler\w*", r"erreur\w*", r"kaputt",
        # the chat dropping the customer, or the conversation with it: how a lost connection or a crashed session
        # looks from the customer's side ("Connection lost. Reconnecting...", "it ate my conversation")
        r"keeps? (dying|dropping|crashing|disconnecting|closing|restarting|resetting|reloading|logging me out|"
        r"kicking me out)", r"(died|dies|dying) on me", r"drop(ped|s|ping) me", r"kick(ed|s|ing) me out",
        r"(connection|session) (was |got |is )?(lost|dropped|failed|reset|closed|interrupted)",
        r"lost (the |my |our )?connection", r"reconnect\w*",
        r"(?<!\bi )(?<!\bwe )(ate|eats|lost|loses|wiped|erased|deleted|swallowed) (my|the|our) (whole |entire )?"
        r"(conversation|chat|messages?|history)",
        r"(conversation|chat history|messages?|history|transcripts?) (also |is |was |were |got |just |have |has )*(gone|empty|disappeared|"
        r"vanished|wiped|erased)",
        # a question about the service's state is a report of its failure ("what is going on with your bot",
        # "is the chat down?", "is anyone else getting this?")
        r"what('s| is| the hell is) (going on|happening|wrong|up) with", r"what happened to (the|your|my)",
        r"any(one|body|1) else (having|seeing|getting|with)",
        # ... in the words customers ask it ("whats going on", "was ist da los?", "is this a bug?")
        r"what('?s|'?s is| is) going on", r"was ist (da |hier |denn )?(los|passiert)",
        r"wat is er (aan de hand|mis|gebeurd)", r"qu'?est-ce qui se passe", r"que se passe-t-il",
        r"qu[ée] (est[áa] )?pas(a|ando)", r"o que (est[áa] )?(acontecendo|a acontecer|se passa)",
        r"che (cosa )?(succede|sta succedendo)", r"cosa sta succedendo", r"co się dzieje", r"co se (to )?d[ěe]je",
        r"vad (är det som )?händer", r"hvad sker der", r"hva skjer", r"mitä (nyt )?tapahtuu", r"ne oluyor",
        r"ti ginetai", r"τι γίνεται", r"что (происходит|случилось)",
        r"is (this|that|it) (a )?(bug|glitch|known (issue|problem))\b", r"(ist|is) (das|dat) (ein |een )?(fehler|störung|storing|bug)\b",
        r"(is|are) (it|the \w+|your \w+|this|that|you) (even |still )?(working|up|online|running|there)\?")
# Negated ability: "the assistant can't look up my order", "impossible to reach the service". A report when the verb
# is something the service does for the customer (reach, look up, access, process...) and the ticket names a service
# or feature of ours (``read``); not a customer's own doubt ("I can't find how to"), nor what the service is not
# made for ("couldn't tell me why my card was declined") or a detail of its screen ("doesn't scroll").
NEGATED = re.compile(r"(?<![\w'])(?<!\bi )(?<!\bwe )(?<!\byou )(can't|cannot|can not|unable to|impossible to|not able to|"
                     r"couldn't|could not|won't|doesn't|does not|didn't|did not|fails? to|failed to)"
                     r" (even |seem to |seems to |always |still |really |)"
                     r"(look ?up|reach|access|retrieve|fetch|pull up|process|complete|connect|load|track|check|get|"
                     r"issue|submit|find (my|the|any|our) (order|refund|account|ticket)|"
                     # what the customer asked it to do with an order: "it can't refund me", "could not cancel them"
                     r"refund|cancel|modify|reroute|re-route|rebook|reschedule|see|show|view)\w*")
SLOW = (r"slow\w*", r"(takes?|took|taking) (forever|ages|an eternity)", r"lag\w*", r"sluggish",
        r"gave up waiting", r"(met|prend|mis) une [ée]ternit[ée]",
        # the wait itself, in the languages customers write it ("ich warte seit 2 minuten", "j'attends depuis 5 min")
        r"(warte|wartet|warten|attends|attend|espero|aspetto) (schon |d[ée]j[àa] )?(seit|depuis|hace|da) "
        r"(\d+|einer|une|un|mehreren|plusieurs) ?(min\w*|sek\w*|sec\w*)",
        # slowness told as the wait itself: "takes a full minute", "15-25 seconds per reply", "thinking so long",
        # "waited 5 minutes", "response times are unacceptable"
        r"(takes?|took|taking|needs?|needed|needing) (like |about |almost |nearly |over |more than )?(a |an )?(full |"
        r"whole )?(minute|hour)s?",
        r"(takes?|took|taking) (over |more than |almost |nearly |about |like )?\d+ ?(-|to) ?\d* ?(sec\w*|s|min\w*)",
        r"(takes?|took|taking) (over |more than |almost |nearly |about |like )?\d+ ?(sec\w*|s|min\w*)",
        r"\d+ ?((-|to) ?\d+ ?)?(seconds|secs|sec|s|minutes|mins) (per|for (a|an|each|every|one)|to get (a|an)) (reply|"
        r"answer|response|message|question)",
        r"response times?", r"(thinking|typing|loading|waiting|spinning)'? (for )?(so|too|very|really) long",
        r"waited (for )?(\d+|a few|several|over \d+|almost \d+|nearly \d+) (min\w*|sec\w*|hours?)",
        r"forever to (answer|reply|respond|load)",
        r"(answers?|replies|responses?|messages?) (come|comes|came|arrive|arrives|arrived|show up|shows up) (very |"
        r"really |so |too |much )?late", r"after (like |about |over |almost |nearly )?\d+ ?(sec\w*|s|min\w*)")
WRONG = (r"wrong (answer|info\w*)\w*", r"incorrect", r"outdated", r"out of date",
         r"(old|older|previous|superseded|former|obsolete|expired) (\w+ )?(polic\w+|information|info|answers?|rules?|"
         r"pages?|articles?|terms|prices?|data|version|conditions)",
         r"made up", r"hallucinat\w*",
         r"(doesn't|does not|didn't|did not|can't|cannot) understand (me|my|anything|what|the|a)\w*",
         r"(says|said) (it )?(doesn't|does not|didn't|did not|can't|cannot) understand",
         # languages mixed in one answer (answering in English when asked to is a setting, not a failure)
         r"(half|moiti[ée]|mitad|halb|partly)( \w+){0,2} (in|en|auf) (english|anglais|ingl[ée]s|englisch|spanish|"
         r"espagnol|espa[ñn]ol|spanisch|german|allemand|deutsch|french|fran[çc]ais|dutch|italian)",
         r"mix(es|ed|ing) (up )?(\w+ )?(languages|english and|spanish and|french and|german and)",
         r"wrong language", r"(weird|strange|broken|bad) (answers?|english|replies)", r"(answers?|replies) (are |were )?"
         r"(\w+ )?(short and )?(weird|strange|broken|garbled)", r"like a different (bot|assistant|chat)",
         r"forgets? what (i|we) (wrote|said|asked)", r"(is|are|was) (a )?(lie|lies|lying)", r"lying",
         # an ordinary question refused ("I'm sorry, I can't help with that request")
         r"(can't|cannot|can not|unable to|not able to|won't) (help|assist) (you |me )?with (that|this)( request| "
         r"question| one)?", r"refus(es|ed|ing) to (answer|help|reply)",
         # the service contradicting an answer it gave before ("now it says 60 days", "this time it told me")
         r"(now|this time|today|tonight) (it|the bot|the assistant|the chat|he|she) (says|said|tells|told)", r"contradict\w*", r"(doesn't|does not|don't|do not) match",
         # answers made up or beside the point, in customers' words
         r"mak(es|ing) (things|stuff|it|that|this) up", r"made (things|stuff|it|that|this) up", r"invent(s|ed|ing)",
         r"nonsense", r"gibberish", r"(lied|lies|lying) to (me|us|our)", r"confidently wrong",
         r"(not|isn't|wasn't|is not|was not) (true|correct|accurate)",
         r"wrong (price|prices|date|dates|polic\w+|number|amount|details|facts|rules?|terms)",
         # the answer itself judged wrong ("is the assistant wrong or the checkout?", "it got it wrong")
         r"(is|was|are|were) (the |your |this |that |it )?(?!something|anything|everything|nothing)(\w+ )?wrong(?! with)",
         r"(got|gets|getting) (it|this|that|things|everything|my \w+) wrong",
         # instructions for what is not there ("steps for a menu that doesn't exist")
         r"(doesn't|does not|don't|do not|didn't|did not) exist\w*",
         r"no such (menu|button|option|page|setting|link|tab|field|section)s?",
         r"(isn't|aren't|is not|are not|wasn't|weren't) (there|on (my|the) (screen|page|account))",
         # the service contradicting itself ("now it says it never said that", "a different answer every time")
         r"(says|said|claims|claimed|insists|insisted) (it|that it) (never|didn't|did not|hasn't|has not) "
         r"(said|say|promised?|offered?|told|tell)\w*", r"says the opposite", r"changed its (answer|story|mind)",
         r"(different|another) answer (every|each) time",
         # what we do not sell or offer, recommended or promised
         r"(that |which |you |we |they )(don't|do not|doesn't|does not|no longer) (even )?(sell|offer|stock|carry)\w*")
STALE = re.compile(r"outdated|out of date|\b(old|older|previous|superseded|former|obsolete|expired)\b")
# A wrong answer told as a contrast: what the service said against what our own page, article, email or the customer
# knows ("the bot says 14 days, but the policy page says 30"; "bot says 1 year?? i thought it was 2").
SAID = (r"(says?|said|told|tells|telling (me|us)|quoted|quotes|answered|answers|replied|replies|claims?|claimed|"
        r"insists?|gave (me|us)|gives (me|us)|showed (me|us)|shows (me|us)|answer (me|us)|promised?|offered?|"
        r"informed (me|us)|(told|informed|quoted|promised) (me |us )?by|writes|wrote|stated|states|confirmed|"
        r"disse|dijo|dice|dit|sagt|sagte|zegt|zei)")
# our own pages, screens and papers a customer holds an answer against
OURS_SAY = (r"page|article|site|website|help cent(er|re)|faq|policy|terms|email|e-mail|docs|documentation|"
            r"confirmation|receipt|invoice|checkout|cart|basket|app|screen|account|order page|product page|"
            r"payment|quote|total|price tag")
CONTRAST = re.compile(r"\b" + SAID + r"\b.{1,160}?\b(but|while|whereas|however|although|though|yet)\b.{0,80}?\b("
                      + OURS_SAY + r")\b"
                      # ... or our page stating otherwise, with no "but" ("the bot told me X? the refund page says Y")
                      r"|\b" + SAID + r"\b.{1,160}?(?:\b(the|our|your|my) |, )(\w+ ){0,2}(" + OURS_SAY + r") (says|said|shows|showed|"
                      r"states|stated|lists|listed|charges|charged|asks|asked)\b"
                      r"|\b" + SAID + r"\b.{1,160}?\b(i thought|i was told|i read|it used to be|should be|is supposed to be|"
                      r"(that|this|it|which) (has )?changed|no longer|not any ?more|was updated|has been updated|"
                      # ... or the customer's own facts ("it said my order was delivered, it wasn't")
                      r"(it|that|this|which|but it|but that) (wasn't|isn't|hasn't|didn't|is not|was not|has not|"
                      r"did not|never was|never did)(?! (working|loading|responding|answering|replying|open))"
                      r")\b",
                      re.S)
# ... or as two figures: one the service gave ("it answered 189.00 per unit"), another our own page, checkout or bill
# shows or charged ("the quote at checkout says 214.00", "got charged 4.95 shipping"). Order numbers and the like
# (five digits or more) are not figures.
FIGURE = re.compile(r"(?<![\w.,])(\d{1,4}(?:[.,]\d{1,2})?)(?![\d])")
SAID_AT = re.compile(r"\b" + SAID + r"\b")
THEIRS = re.compile(r"\b(" + OURS_SAY + r")\b|\b(charged?|charges|adds|added|billed|bills|costs?|took|debited|"
                    r"is showing|shows|showing)\b")
# where what the service said ends: a sentence's end (not a decimal point), a turn, or our side's first word
SAID_ENDS = re.compile(r"[.!?\n](?!\d)|\b(but|then|so|while|whereas|however|and|yet)\b|" + THEIRS.pattern)


def _figure_contrast(cleaned: str) -> str | None:
    """'said 30 days ... page says 14': a figure the service gave against a different one of ours (evidence)."""
    said, spans = {}, []
    for m in SAID_AT.finditer(cleaned):
        if THEIRS.search(re.split(r"[.!?,;\n]", cleaned[max(0, m.start() - 25):m.start()])[-1]):
            continue                  # "the returns page now says 14": our side speaking
        tail = cleaned[m.end():m.end() + 100]
        stop = SAID_ENDS.search(tail)
        end = m.end() + (stop.start() if stop else len(tail))
        spans.append((m.start(), end))
        for f in FIGURE.finditer(cleaned, m.end(), end):
            said.setdefault(f.group(1).replace(",", "."), cleaned[m.start():end].strip())
    if not said:
        return None
    for f in FIGURE.finditer(cleaned, spans[0][0]):
        if f.group(1).replace(",", ".") in said or any(a <= f.start() < b for a, b in spans):
            continue
        ours = THEIRS.search(cleaned[max(0, f.start() - 50):f.start()])
        if ours:
            return f"{next(iter(said.values()))} ... {ours.group(0)} {f.group(1)}"
    return None


# What the service said, confirmed by our own page or the customer: a complaint about the rule, not the answer
# ("same as your shipping page says", "I read it, that's what it says").
AGREES = re.compile(r"\b(same as (your|the|our|it|what)|that'?s what (it|the \w+) says|that is what (it|the \w+) says|"
                    r"(it|the bot|the assistant|the chat) (is|was) right|(says|said) the same)\b")


def _contrast(cleaned: str) -> str | None:
    """What the service said held against what our own page or the customer knows, as evidence (None: nothing)."""
    if AGREES.search(cleaned):
        return None
    m = CONTRAST.search(cleaned)
    if m:
        figures = [f.group(1).replace(",", ".") for f in FIGURE.finditer(cleaned, m.start())]
        if len(figures) >= 2 and len(set(figures)) == 1:
            return None             # "says 30 days, the page says 30 days too": the two agree
        return " ... ".join([g for g in m.groups() if g and len(g) > 1][:3])
    return _figure_contrast(cleaned)


# A wrong answer told as doubt: what the service said, and the customer asking whether it is right ("it says 10 to
# 14 business days?? is this true", "which one is it?", "that's not how it worked"): a quality complaint asked as a
# question. Read only when the ticket names a service of ours.
DOUBT = re.compile(r"\b" + SAID + r"\b.{1,240}?\b(?P<doubt>is (this|that|it) (really )?(true|right|correct|accurate|real|legit|"
                   r"the case)|which (one )?is (it|right|correct|true)|which (one )?(should|do) i (believe|trust)|"
                   r"(that's|thats|that is|this is|it's|its) (not|wrong|incorrect) (right|true|correct|how|what)|"
                   r"(can|could) (that|this|it) be (right|true)|(doesn't|does not) sound right|sounds wrong|"
                   r"makes no sense|is (this|that|it) a scam|(that's|that is|isn't that|is that) the old)\b", re.S)
# What makes a failure word not a report: a condition, a denial, praise.
NOT_A_REPORT = re.compile(r"\b(what happens |what do i do |what should i do )?(if|in case|whenever) (the |your |it |my )?"
                          r"[\w' ]{0,30}?(fail|break|error|crash|go(es)? down)\w*|\b(never|not|n't|no longer) "
                          r"(fail|break|crash|error)\w*|\bno (error|errors|problem|problems|issue|issues)\b|"
                          r"\bwithout (an |any )?(error|problem|issue)s?\b|"
                          # goods damaged in the post: "arrived broken", "the handle broken off"
                          r"\b(arrived|came|delivered|got here|shipped) (\w+ )?(broken|damaged|smashed|"
                          r"cracked|crushed|shattered|dented|torn|broke)\b|\b(broken|broke|snapped|came|fell) off\b|"
                          r"\bdamaged in (transit|shipping|the post|delivery)\b|"
                          # goods or money slow in the post, not a wait on our screen ("delivery is slow")
                          r"\b(delivery|deliveries|shipping|shipment|parcel|package|courier|post|transit|refund|"
                          r"refunds|dispatch)( \w+)? (is |are |was |were |has been |seems |feels )?(so |very |really |"
                          r"too |a bit |quite )?slow\w*|\bslow (delivery|shipping|shipment|courier|post|dispatch|"
                          r"refunds?)\b|"
                          # the pace of a voice, not a wait ("in voice mode the voice is really slow")
                          r"\b(voice|speech|speak|speaks|speaking|talk|talks|talking|reading voice)( mode)? (\w+ )?"
                          r"(is |are |sounds? )?(really |very |so |too |a bit |a little |kind of )?(slow|fast)\w*")
# A customer who asks whether something failed but met no failure ("was there an outage? i didn't notice anything")
NOT_FELT = re.compile(r"\b(i|we) (didn't|did not|haven't|have not|never|don't|do not) (notice|see|saw|experience|have|"
                      r"had|get|got|run into|ran into) (anything|any (problem|issue|error|trouble)s?|a problem|an issue|"
                      r"any of (it|this|that))\b|\bworks? (fine|perfectly|great|ok) for (me|us)\b")
FEATURE_REQUEST = re.compile(r"\b(would love|please add|could you add|can you add|please let|feature request|"
                             r"would be (nice|great|cool|helpful)|it would help|suggestion|i wish|wish list|"
                             # ... as customers wish in their languages ("wäre schön", "me gustaría", "能不能支持")
                             r"wäre (es )?(schön|toll|super|praktisch|gut)|hätte (das |es )?gern|fände (es )?(schön|toll)|"
                             r"ce serait (bien|super|génial|pratique)|j'aimerais (bien )?(que|pouvoir)|"
                             r"ser[ií]a (genial|estupendo|bueno|útil|possible|posible|ótimo|bom)|me gustar[ií]a|"
                             r"m'agradaria|gostaria (que|de poder)|sarebbe (bello|utile|ottimo|comodo)|vorrei (che|poter)|"
                             r"zou (het )?(fijn|handig|mooi|leuk) zijn|(kunnen|kunt) (jullie|u) (de \w+ )?(ook )?(\w+ ){0,4}"
                             r"(toevoegen|maken|aanbieden)|byłoby (fajnie|super|miło)|chciał(a|ym|abym) (by|żeby)|"
                             r"skulle vara (bra|kul|trevligt|smidigt)|olisi (kiva|hyvä|kätevä)|güzel olurdu)\b|"
                             r"能不能(支持|加|增加|提供)|可以(支持|加|增加)|希望(能|可以)|できれば|欲しい|있으면 좋겠|"
                             # ... or asked for in the imperative ("Add dark mode to the help center please."), not the
                             # button a customer names ("add to basket does nothing")
                             r"^\W*add (?!to (the |my |your )?(basket|cart|bag|trolley|wish ?list|favou?rites)\b)")
# Thanks for help that worked, with no trouble told: praise, not a report ("Tack, den hjälpte mig!")
PRAISE = re.compile(r"\b(thanks?|thank you|danke|merci|gracias|obrigad[oa]|grazie|tack|dank (je|u)|bedankt|dziękuję|"
                    r"děkuji|kiitos|teşekkür\w*|köszönöm)\b.{0,120}?\b(helped|help(ful)?|geholfen|aid[ée]|ayud[óo]|"
                    r"ajudou|aiutato|hjälpte|geholpen|pomógł|pomogła|pomohl\w*|auttoi|yardımcı|segített|great job|"
                    r"well done|bra jobbat|super|top|perfect|perfekt|parfait|perfecto|perfeito|perfetto|"
                    r"(fixed|solved|sorted|resolved) (it|that|this)|gelöst|résolu|resuelto|resolvido|risolto|opgelost|"
                    r"rozwiązan\w*)\b|"
                    # a rating given with the thanks ("Gracias!! ... 10/10", "five stars")
                    r"\b(thanks?|thank you|danke|merci|gracias|obrigad[oa]|grazie|tack|bedankt|dziękuję|kiitos|"
                    r"teşekkür\w*)\b.{0,160}?(?<![\d/])(10/10|5/5|five stars|5 stars|5 sterne|5 étoiles|5 estrellas|"
                    r"5 estrelas|5 stelle|5 sterren)(?![\d/])|"
                    r"\b(helped me|hat mir (sehr )?geholfen|m'a (bien )?aidé|me ayudó|me ajudou|mi ha aiutato|hjälpte mig|"
                    r"heeft me (goed )?geholpen|bra jobbat|great job|well done|complimenti|bravissim[oa]|félicitations|"
                    r"felicidades|parabéns|gratulacje|chapeau|kudos)\b")
# A problem older than the incident.
OLD = re.compile(r"\b(last (week|month|year|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
                 r"(it's|it has|its) been (a|one|two|three|over a|more than a|\d+) (days?|weeks?|months?)|\d+ (days|weeks|months) ago|(a|one|two|few|couple of) (days|weeks|months)"
                 r" ago|for (\d+ |two |three |four |five |six |seven |eight |nine |ten |several |a few |a couple of |many |)"
                 r"(days|weeks|months)|since (last week|monday|tuesday|wednesday|thursday|friday|saturday|"
                 r"sunday|last month)|back in (january|february|march|april|may|june|july|august|september|october|"
                 r"november|december)|"
                 r"(a|one|two|three|four|five|six|\d+) (days?|weeks?|months?) now|"
                 r"for (a|one|over a|more than a|about a|almost a|nearly a|the (last|past)) (week|month|year)|"
                 r"(this is the|the|on the|for the) (\d+(st|nd|rd|th)|second|third|fourth|fifth|sixth|seventh|eighth|"
                 r"ninth|tenth) day)\b")
# ... and as customers in other languages say how long it has lasted ("seit einer Woche", "od tygodnia", "一周了")
OLD_ABROAD = re.compile(
    r"\b(seit (einer|zwei|drei|vier|mehreren|ein paar|\d+) (woche|wochen|tagen|monaten?)|seit letzter woche|"
    r"depuis (une|deux|trois|quelques|plusieurs|\d+) (semaines?|jours|mois)|depuis la semaine derni[èe]re|"
    r"desde hace (una|dos|tres|varias|unas|\d+) (semanas?|d[ií]as|mes(es)?)|desde la semana pasada|"
    r"h[áa] (uma|duas|tr[êe]s|v[áa]rias|\d+) (semanas?|dias|m[êe]s(es)?)|desde a semana passada|"
    r"da (una|due|tre|qualche|diversi|\d+) (settimane?|giorni|mes[ei])|dalla settimana scorsa|"
    r"al (een|twee|drie|een paar|\d+) (weken?|dagen|maanden?)|sinds vorige week|"
    r"od (tygodnia|miesiąca|kilku dni|\d+ dni|dwóch tygodni|zeszłego tygodnia)|od (týdne|minulého týdne)|"
    r"už (týden|měsíc|několik dní)|sedan (en vecka|förra veckan|flera dagar)|i (en|två) veckor?|"
    r"(viikon|kuukauden) ajan|bir haftadır|haftalardır|günlerdir)\b|"
    r"一周了|一个星期了|好几天了|几天了|一週間前から|1週間前から|数日前から|일주일째|며칠째")
# Which of OLD's phrases measure how long the failure has lasted ("for weeks", "a week now", "the 8th day"): these
# always place it before tonight.
DURATION = re.compile(r"^(for |since |it's been|it has been|its been)|( now| day)$")
# A term of the shop's that a duration can belong to ("returns are free for 60 days", "the code is valid for 30 days").
TERMS = re.compile(r"\b(free|valid|guarantee[ds]?|warrant(y|ies)|return window|policy|trial|within|up to|allowed|"
                   r"accepted)\b")
# Something owed that never came ("the refund still hasn't arrived"): dated weeks ago, it is an older problem.
OVERDUE = re.compile(r"\b(still|never|not yet)( \w+)? (arrived|came|come|received|credited|refunded|paid|here)\b|"
                     r"\b(hasn't|has not|haven't|have not|didn't|did not|never) (\w+ )?(arrived|come|reached|received|"
                     r"been (refunded|credited|paid|returned))\b|\bstill waiting\b")
# A date that places something else in the past ("the policy changed last month") says nothing about the failure;
# nor does a bare one when the ticket places the failure now ("it worked last week, tonight it fails"). A duration
# of the failure ("for weeks", "since last week") always does.
CHANGED = re.compile(r"\b(changed?|changes|updated?|introduced|announced|extended|shortened|new|raised|lowered|"
                     r"went into effect|came into effect|took effect|effective|since then)\b")
NOW = re.compile(r"\b(tonight|today|right now|just now|this evening|at the moment|currently|"
                 r"now (it|the \w+|he|she) (says|tells|shows|answers))\b")
YESTERDAY = re.compile(r"\byesterday\b")
# A clock time the ticket gives ("between about 23:50 and 00:40", "around 10pm", "about 10.15pm", "around
# midnight"; a time with a dot only with am or pm after it, so that a price is not a time), read on the
# desk's clock (UTC, as the tickets' own times are).
CLOCK = re.compile(r"\b(\d{1,2})(?::|\.(?=\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)))(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?(?![\d:])|"
                   r"\b(\d{1,2})\s*(am|pm|a\.m\.|p\.m\.)(?!\w)|\b(midnight|noon)\b")
# "between 6:15 and 7:30 pm": the first time of a range takes the half of the day the second one names
RANGE_TO = re.compile(r"\s*(and|to|until|till|-|–)\s*")
# ... or on the customer's own clock, when they name it ("09:30 to 10:20 SGT"): hours ahead of UTC
ZONES = {"utc": 0, "gmt": 0, "z": 0, "bst": 1, "cet": 1, "cest": 2, "eet": 2, "eest": 3, "msk": 3,
         "ict": 7, "wib": 7, "sgt": 8, "hkt": 8, "awst": 8, "pht": 8, "jst": 9, "kst": 9, "aest": 10,
         "aedt": 11, "nzst": 12, "nzdt": 13, "est": -5, "edt": -4, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8,
         "pdt": -7}
ZONE = re.compile(r"\b(" + "|".join(sorted(ZONES, key=len, reverse=True)) + r")\b")
# ... or a place's time said in words ("svensk tid", "ora României", "Oslo time", "IST"): a time zone whose offset
# on the ticket's day the tz database gives (summer time included)
NAMED_ZONES = {
    "ist": "Asia/Kolkata", "indian time": "Asia/Kolkata", "india time": "Asia/Kolkata",
    "uk time": "Europe/London", "london time": "Europe/London", "british time": "Europe/London",
    "irish time": "Europe/Dublin", "dublin time": "Europe/Dublin", "portuguese time": "Europe/Lisbon",
    "lisbon time": "Europe/Lisbon", "hora de portugal": "Europe/Lisbon", "hora de lisboa": "Europe/Lisbon",
    "hora de madrid": "Europe/Madrid", "ora di roma": "Europe/Rome", "heure de bruxelles": "Europe/Brussels",
    "heure belge": "Europe/Brussels", "horário de brasília": "America/Sao_Paulo", "hora de brasília": "America/Sao_Paulo",
    "german time": "Europe/Berlin", "berlin time": "Europe/Berlin", "deutscher zeit": "Europe/Berlin",
    "deutsche zeit": "Europe/Berlin", "french time": "Europe/Paris", "paris time": "Europe/Paris",
    "heure de paris": "Europe/Paris", "heure française": "Europe/Paris", "heure francaise": "Europe/Paris",
    "spanish time": "Europe/Madrid", "madrid time": "Europe/Madrid", "hora de españa": "Europe/Madrid",
    "hora peninsular": "Europe/Madrid", "italian time": "Europe/Rome", "ora italiana": "Europe/Rome",
    "dutch time": "Europe/Amsterdam", "amsterdam time": "Europe/Amsterdam", "nederlandse tijd": "Europe/Amsterdam",
    "nl tijd": "Europe/Amsterdam", "nl time": "Europe/Amsterdam", "belgische tijd": "Europe/Brussels",
    "be tijd": "Europe/Brussels", "se tid": "Europe/Stockholm",
    "belgian time": "Europe/Brussels", "swiss time": "Europe/Zurich", "austrian time": "Europe/Vienna",
    "swedish time": "Europe/Stockholm", "stockholm time": "Europe/Stockholm", "svensk tid": "Europe/Stockholm",
    "danish time": "Europe/Copenhagen", "copenhagen time": "Europe/Copenhagen", "dansk tid": "Europe/Copenhagen",
    "norwegian time": "Europe/Oslo", "oslo time": "Europe/Oslo", "norsk tid": "Europe/Oslo",
    "finnish time": "Europe/Helsinki", "helsinki time": "Europe/Helsinki", "suomen aikaa": "Europe/Helsinki",
    "polish time": "Europe/Warsaw", "warsaw time": "Europe/Warsaw", "czasu polskiego": "Europe/Warsaw",
    "czech time": "Europe/Prague", "prague time": "Europe/Prague", "hungarian time": "Europe/Budapest",
    "romanian time": "Europe/Bucharest", "ora româniei": "Europe/Bucharest", "ora romaniei": "Europe/Bucharest",
    "bucharest time": "Europe/Bucharest", "greek time": "Europe/Athens", "athens time": "Europe/Athens",
    "turkish time": "Europe/Istanbul", "istanbul time": "Europe/Istanbul", "türkiye saati": "Europe/Istanbul",
    "eastern time": "America/New_York", "new york time": "America/New_York", "central time": "America/Chicago",
    "mountain time": "America/Denver", "pacific time": "America/Los_Angeles",
    # "7:30 pm Eastern": America's zones are named without "time" too (not Europe's eastern and central ones)
    "eastern": "America/New_York", "us eastern": "America/New_York", "pacific": "America/Los_Angeles",
    "eastern european time": "Europe/Athens", "central european time": "Europe/Berlin",
    "singapore time": "Asia/Singapore", "tokyo time": "Asia/Tokyo", "japan time": "Asia/Tokyo",
    "sydney time": "Australia/Sydney", "melbourne time": "Australia/Melbourne", "perth time": "Australia/Perth",
    "auckland time": "Pacific/Auckland", "dubai time": "Asia/Dubai", "gulf time": "Asia/Dubai",
}
NAMED_ZONE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, NAMED_ZONES), key=len, reverse=True)) + r")\b")
STATED_TOLERANCE_MIN = 30     # "around 10pm": a customer's clock time is a rough one
STATED_GRACE_H = 12           # "last night between 23:50 and 00:40": a report the next morning, placed by its time
# The same customer writing again: an order number both tickets give, or a name both sign with, in a ticket that
# says it follows up ("me again", "still", "nochmal").
ORDER_NUMBER = re.compile(r"(?<![\w-])\d[\d-]{3,}\d(?![\w-])")
FOLLOW_UP = re.compile(
    r"\b(again|still|update|following up|follow-up|as i (wrote|said|mentioned)|as written|any news|"
    r"same (message|error|problem|issue|thing|answer)|my (earlier|previous|last|first) (message|ticket|e-?mail|mail)|"
    r"nochmal|noch einmal|immer noch|nachtrag|wieder|encore|toujours|otra vez|de nuevo|todavía|todavia|weer|nog steeds|"
    r"opnieuw|novamente|de novo|ainda|ancora|di nuovo|igen|fortfarande|stadig|igjen|taas|vieläkään|znowu|nadal|"
    r"ciągle|zase|znovu|znova|stále|opet|megint|még mindig|din nou|încă|yine|hâlâ|tekrar)\b")
NAME = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]{2,}\b")


def same_customer(earlier: str, later: str) -> str | None:
    """What says two tickets come from one customer, the later following up the earlier: an order number both give,
    or a capitalised name both carry that no common word is (None: nothing does)."""
    (orders_e, _, names_e, signed_e), (orders_l, follows_up, names_l, signed_l) = _marks(earlier), _marks(later)
    shared = {n for n in orders_e & orders_l if sum(c.isdigit() for c in n) >= 5}
    if shared:
        return f"order {min(shared)}"
    if not follows_up:
        return None
    both = (signed_e & names_l) | (names_e & signed_l)
    return f"signed {min(both)}" if both else None


def refers_back(text: str) -> bool:
    """Whether a ticket says it follows up ("again", "still", "nochmal"): ``_marks``' reading, read once per text."""
    return _marks(text)[1]


@functools.lru_cache(maxsize=65536)
def _marks(text: str) -> tuple[frozenset, bool, frozenset, frozenset]:
    """What ``same_customer`` reads of a ticket, once per text (a queue compares each ticket with every earlier
    one): its order numbers, whether it says it follows up, the names it carries and those it signs with."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    def names(part):
        return frozenset(w for w in NAME.findall(part) if w.lower() not in ENGLISH_STOP_WORDS
                         and w.lower() not in OTHER_TONGUES and w.lower() not in COMMON_CAPITALS)
    signed = " ".join(m.group(1) for rx in SIGNATURES for m in rx.finditer(text.strip()))
    return (frozenset(ORDER_NUMBER.findall(text)), bool(FOLLOW_UP.search(_normalise(text))), names(text),
            names(signed))


# Where a customer's name stands: at the end ("- Petra", "Grüße, J. Weber"), at the start before "again" or "here"
# ("Tom again", "Vilja Interiors here"), or in brackets ("me again (Jake)")
SIGNATURES = (re.compile(r"(?:^|[-–—,.!?\n])\s*((?:[A-ZÀ-Ý][\w.'-]*\s?){1,3})\s*$"),
              re.compile(r"^\W*(?:\w+\W+){0,2}?((?:[A-ZÀ-Ý][\w.'-]*\s){1,3})(?:again|here|hier|igen|encore|"
                         r"again:|nochmal|wieder|taas|znowu|opet|ismét|din nou)\b"),
              re.compile(r"\(((?:[A-ZÀ-Ý][\w.'-]*\s?){1,3})[),]"))


# Capitalised words many customers write that name no one: greetings, days, months, brands of payment and phones,
# and the labels of the numbers they give ("Receipt R-5521-0093", "Rechnung 4411": a label, not a signature)
COMMON_CAPITALS = frozenset("""
screenshot update also same just sorry note fyi
hello hallo hola hej hei hi dear thanks thank cheers regards best kind greetings bonjour buongiorno buenas
olá ola merhaba dobry dobré dobrý pozdrav szia bună sorry please urgent help order orders customer support
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december today tomorrow yesterday tonight morning evening
paypal visa mastercard amex klarna apple google android iphone ipad samsung chrome safari firefox windows
amazon bankid ideal sofort twint revolut wise dhl ups fedex gls dpd postnl hermes royal mail
chat bot assistant app website site shop store plus pro enterprise free
receipt invoice ref reference booking account ticket case quittung beleg rechnung bestellung kvitto faktura
factura recibo pedido fattura ricevuta ordine facture reçu commande bon bestelling
""".split())


# "It works again": a customer writing that the failure is over, in the languages above.
WORKS_AGAIN = re.compile(
    r"\b((it|that|this|everything|all|the \w+)('s| is| are|'re)? (working|works|fine|ok|okay|back) (again|now)|"
    r"works? (again|now)|worked (now|again|this time|in the end)|went through (now|this time|in the end)|working again|(is|are|'s|'re) back( now| again| online| up)?(?! (in|to|on|from|at|for|with)\b)|"
    r"seems (ok|okay|fine|to work)( again| now)|"
    r"fixed now|resolved now|shows? (it|them|up) (now|again)|"
    r"funktioniert (wieder|jetzt)|geht wieder|wieder da|fonctionne (à nouveau|de nouveau|maintenant)|remarche|"
    r"funciona (de nuevo|otra vez|ya|ahora)|ya funciona|werkt (weer|nu)|weer terug|funciona (novamente|de novo|agora)|"
    r"funziona (di nuovo|ora|adesso)|fungerar (igen|nu)|virker (igen|nu)|fungerer (igjen|nå)|toimii (taas|nyt)|"
    r"näkyy taas|działa (już|znowu|ponownie)|funguje (už|znovu|zase)|radi (opet|sada)|működik (már|újra)|"
    r"funcționează (din nou|acum)|çalışıyor( artık)?|düzeldi)\b")
# ... but not when it is what the customer waits for: "notify me when it's back", "let me know once it works again",
# "sobald es wieder geht", "tell me if it works now?" (a wish or a question, not a report that the failure is over).
_AWAITED = re.compile(r"\b(when|once|until|till|if|whether|soon as|wenn|sobald|falls|ob|quand|dès que|si|cuando|"
                      r"en cuanto|wanneer|zodra|quando|assim que|appena|när|så snart|om|jos|gdy|kiedy)"
                      r"( (it|that|this|they|everything|all|the \w+|es|das|er|sie|ça|il|elle|eso|het|dat|det|den))?\s*$")


def works_again(text: str) -> bool:
    """Whether a (normalised) ticket says the failure is over (``WORKS_AGAIN``), not only that it waits for that."""
    return any(not _AWAITED.search(text[max(0, m.start() - 40):m.start()]) for m in WORKS_AGAIN.finditer(text))


PAST = re.compile(r"\b(earlier|ago|last night|this morning|tonight|was (broken|down|failing|not working)|"
                  r"were (broken|down|failing|not working)|(is|it's|its) (working|fine|ok) (again|now)|fixed now)\b")

# The incident's kind of failure, from its text: errors, slowness, answers' quality or freshness.
INCIDENT_KINDS = (("quality", re.compile(r"fresh\w*|stale|index older|outdated|quality|grader|correct\w*|"
                                         r"hallucinat\w*|wrong", re.I)),
                  ("slow", re.compile(r"latency|slow\w*|p9\d|timeout\w*|time out|saturat\w*", re.I)),
                  ("errors", re.compile(r"5xx|4xx|\b[45]\d\d\b|error\w*|fail\w*|reject\w*|down|unavailable|"
                                        r"crash\w*|refus\w*|exhaust\w*|killed|outage|availability", re.I)))
ERROR_BUDGET = re.compile(r"error[- _]?budget\w*", re.I)


def _rx(words) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(words) + r")(?![\w-])")


_HARD, _SLOW, _WRONG = _rx(HARD), _rx(SLOW), _rx(WRONG)

# One-letter misspellings of these words are read as the word ("asistant", "brokn", "wokring"): a letter changed or
# added only for words of six letters or more (shorter words have too many real neighbours), a letter dropped or
# two swapped for the five-letter ones ("eror"). A misspelt form that is itself an English word is that word
# ("crushed" is not "crashed", "broker" is not "broken", "filed" is not "failed").
FUZZY = ("error", "errors", "failed", "failing", "fails", "broken", "working", "loading", "spinning", "crashed",
         "crashing", "crashes", "assistant", "chatbot", "responding", "answering", "refund", "refunds", "doesn't",
         "unavailable", "timeout", "outdated")
NOT_FUZZY = {"leading", "wording", "worked", "lading", "terror", "mirror", "loaning", "spanning", "refine", "refunded",
             "assistants", "fails", "fairs", "errand", "errands", "dresses", "answered",
             # English words one letter from a FUZZY word
             "crushed", "trashed", "clashed", "cashed", "crusher", "crushes", "trashes", "clashes", "cashes",
             "crasher", "crushing", "trashing", "clashing", "cashing", "brashed", "broker", "brokers", "brokes",
             "foiled", "filed", "hailed", "jailed", "mailed", "nailed", "sailed", "wailed", "railed", "tailed",
             "bailed", "flailed", "fained", "filing", "foiling", "hailing", "mailing", "nailing", "sailing",
             "wailing", "railing", "tailing", "bailing", "jailing", "flailing", "forking", "corking", "porking",
             "worming", "wonking", "working", "loafing", "goading", "lauding", "sinning", "pinning", "skinning",
             "shinning", "spinner", "refind", "errs", "eerie", "outrated", "outdate", "outdates", "timeouts",
             "responded", "answerin", "chatbox", "chatbots",
             # other languages' words one letter from a FUZZY word ("je fais comment ?")
             "fais"}
MIN_FUZZY_LEN = 6


def _near(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance at most one (one letter added, dropped, changed, or two swapped)."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def _dropped_or_swapped(word: str, target: str) -> bool:
    """One letter of ``target`` dropped ("eror") or two of its neighbours swapped ("erorr"); a letter changed is
    too often another word ("mails" is not "fails")."""
    if len(word) == len(target) - 1:
        return _near(word, target)
    diff = [i for i in range(len(word)) if word[i] != target[i]] if len(word) == len(target) else []
    return len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == target[diff[1]] \
        and word[diff[1]] == target[diff[0]]


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\b(doesnt|dosent|doesent|dosnt)\b", "doesn't", text)
    text = re.sub(r"\b(isnt|cant|wont|dont|didnt|wasnt|arent)\b", lambda m: m.group(1)[:-1] + "'t", text)

    return re.sub(r"[a-z']+", lambda m: _spelt(m.group(0)), text)


@functools.lru_cache(maxsize=65536)
def _spelt(word: str) -> str:
    """The FUZZY word a word is one letter from, else the word itself (remembered: a queue repeats its words)."""
    if len(word) < 4 or word in FUZZY or word in NOT_FUZZY:
        return word
    for target in FUZZY:
        if len(target) >= MIN_FUZZY_LEN and _near(word, target):
            return target
        if len(target) == MIN_FUZZY_LEN - 1 and _dropped_or_swapped(word, target):
            return target           # a letter dropped or two swapped ("eror", "erorr"), not changed ("mails")
    return word


def _hits(pattern: re.Pattern, text: str) -> list[str]:
    out = []
    for m in pattern.finditer(text):
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


@dataclass(frozen=True)
class Reading:
    """What a ticket says, before any incident is looked at."""

    text: str                          # normalised
    kind: str | None                   # "hard", "slow", "wrong" or None (no failure reported)
    evidence: tuple[str, ...]          # the words that say so
    not_a_report: str | None           # why failure words are not a report (a feature request, a condition)
    old: str | None                    # "last week": a problem older than tonight
    yesterday: bool
    past: bool                         # speaks of the past ("earlier", "was broken")
    stale: bool = False                # a wrong answer told as out of date or against our own page ("old rules")
    at: tuple[tuple[int, int], ...] = ()   # clock times it gives (hour, minute)
    zoned: tuple[tuple[int, int, str], ...] = ()   # clock times on a named place's clock (hour, minute, tz name)


CONDITION = "its failure words are a condition or a denial, not a report"   # a Reading's not_a_report


def read(text: str, words: ServiceWords | None = None) -> Reading:
    norm = _normalise(text)
    cleaned = NOT_A_REPORT.sub(" ", norm)
    kind, evidence = None, ()
    for name, pattern in (("hard", _HARD), ("wrong", _WRONG), ("slow", _SLOW)):
        found = _hits(pattern, cleaned)
        if found:
            kind, evidence = name, tuple(found)
            break
    if kind is None:                            # "the bot says 14 days, but the policy page says 30"
        contrast = _contrast(cleaned)       # "says ... but ... page", "said 40 ... checkout adds 4.95"
        if contrast:
            kind, evidence = "wrong", (contrast,)
    if kind is None and words is not None and _names_ours(cleaned, words):
        negated = _negated(cleaned)          # "the assistant can't look up my order"
        doubt = DOUBT.search(cleaned)        # "it says 10 to 14 business days?? is this true"
        if negated:
            kind, evidence = "hard", tuple(negated)
        elif doubt:
            kind, evidence = "wrong", (f"{doubt.group(1)} ... {doubt.group('doubt')}",)
    if kind is None and words is not None:    # "it just keeps spinning": a symptom is a failure report
        symptoms = [h for ws in words.symptoms.values() for h in _phrase_hits(ws, cleaned)]
        if symptoms:
            kind, evidence = "hard", tuple(dict.fromkeys(symptoms))
    not_report = None
    if NOT_FELT.search(norm):
        not_report = "asks about a failure it did not meet"
        kind = None
    elif FEATURE_REQUEST.search(norm):
        not_report = "asks for something new"
    elif kind is None and PRAISE.search(norm) and not _hits(TROUBLE, cleaned):
        not_report = "thanks for help that worked"
    elif kind is None and _hits(_HARD, norm):
        not_report = CONDITION
    old = _old(norm)
    stale = kind == "wrong" and (_contrast(cleaned) is not None or any(STALE.search(e) for e in evidence))
    return Reading(norm, kind, evidence, not_report, old, _yesterday(norm, words),
                   bool(PAST.search(norm)), stale, *_clock_times(norm))


# A clock time as customers in other languages write it ("gegen 3 Uhr", "om 3 uur", "vers 2h30", "às 3h")
LOCAL_CLOCK = re.compile(r"\b(\d{1,2}) ?(?:uhr|uur)\b|"
                         r"\b(?:à|às|vers|por volta das|a las|hacia las|alle|om|um|gegen|o) (\d{1,2})h(\d{2})?\b")
# ... and in words, German, Dutch and Swedish ("halb vier", "half acht", "kwart over twaalf", "kvart i tolv"): on a
# twelve-hour clock, so both of its hours are read
_HOURS = {"ein": 1, "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
          "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12,
          "een": 1, "twee": 2, "vijf": 5, "zes": 6, "zeven": 7, "negen": 9, "tien": 10, "twaalf": 12,
          "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9, "tio": 10,
          "elva": 11, "tolv": 12}
_HOUR_WORD = "(" + "|".join(sorted(_HOURS, key=len, reverse=True)) + r"|\d{1,2})\b"
LOCAL_WORD_CLOCK = re.compile(r"\b(halb|half|halv|viertel nach|kwart over|kvart över|viertel vor|kwart voor|kvart i) "
                              + _HOUR_WORD)
_WORD_MINUTES = {"halb": -30, "half": -30, "halv": -30, "viertel nach": 15, "kwart over": 15, "kvart över": 15,
                 "viertel vor": -15, "kwart voor": -15, "kvart i": -15}      # minutes from the hour it names
# ... and as English says it in words ("quarter to ten", "half past eleven", "ten o'clock"): on a twelve-hour
# clock, so both of its hours are read
_EN_HOURS = {w: i for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), 1)}
_EN_MINUTES = {"five": 5, "ten": 10, "quarter": 15, "a quarter": 15, "twenty": 20, "twenty-five": 25,
               "twenty five": 25, "half": 30}
WORD_CLOCK = re.compile(r"\b(" + "|".join(sorted(_EN_MINUTES, key=len, reverse=True)) + r") (past|after|to|til|till) ("
                        + "|".join(_EN_HOURS) + r"|\d{1,2})\b|\b(" + "|".join(_EN_HOURS) + r") o'?clock\b|"
                        # Ireland's and Britain's "half 9": half past nine
                        r"\bhalf (" + "|".join(_EN_HOURS) + r"|\d{1,2})\b(?! (?:of|percent|%|hours?|mins?|minutes?))")
# A bare hour just before a zone ("around ten (Irish time)", "about 2 UK time", "rond 3 NL tijd"): both halves
BARE_HOUR = re.compile(r"\b(?:around|about|at|by|circa|ca\.?|approx\.?|approximately|gegen|um|om|rond|runt|omkring|"
                       r"vers|verso|sobre|hacia|około) (" + "|".join(_EN_HOURS) + r"|\d{1,2})"
                       r"(?=[ (]+(?:" + NAMED_ZONE.pattern + "|" + ZONE.pattern + "))")
_OPENING = re.compile(r"[ (]*")
# The shop's home clock: a clock time in a European language's ticket that names no zone is read on it
HOME_ZONE = "Europe/Berlin"
# Letters of languages whose customers are not on the home clock: Greek, Cyrillic, Hebrew and Arabic, the scripts of
# India, Japanese kana, Chinese, Korean, Thai
OTHER_SCRIPTS = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u06ff\u0900-\u0dff\u3040-\u30ff\u4e00-\u9fff"
                           r"\uac00-\ud7af\u0e00-\u0e7f]")


def _clock_times(norm: str) -> tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int, str], ...]]:
    """Clock times in the text: in UTC, on the customer's clock when a zone abbreviation follows them within a few
    words; and those a place's time in words follows (hour, minute, tz database name), placed by the ticket's day.
    In a ticket in another language written in Latin letters ("gegen 3 Uhr", "vers 2h30"), a time that names no zone
    is on the shop's home clock (Central European); in English, as before, on the desk's (UTC)."""
    out, zoned = [], []
    in_english = english(norm)
    home = None if in_english or not re.search(r"[a-z]", norm) or OTHER_SCRIPTS.search(norm) else HOME_ZONE
    named = [(m.start(), NAMED_ZONES[m.group(1)]) for m in NAMED_ZONE.finditer(norm)
             if m.group(1) != "ist" or in_english]          # German's "ist" is not India's time
    for m in CLOCK.finditer(norm):
        if m.group(6):
            hour, minute = (0 if m.group(6) == "midnight" else 12), 0
        else:
            hour, minute = int(m.group(1) or m.group(4)), int(m.group(2) or 0)
            half = _half(m)
            if not half and hour <= 12:
                to = RANGE_TO.match(norm, m.end())
                after = CLOCK.match(norm, to.end()) if to else None
                half = _half(after) if after else ""
            if half and not 1 <= hour <= 12:
                continue
            hour = hour % 12 + (12 if half == "pm" else 0) if half else hour
        if not (hour < 24 and minute < 60):
            continue
        place = next((name for at, name in named if m.end() <= at <= m.end() + 40), None)
        if place is not None:
            if (hour, minute, place) not in zoned:
                zoned.append((hour, minute, place))
            continue
        zone = ZONE.search(norm, m.end(), m.end() + 30)
        if zone and zone.group(1) != "z":
            hour, minute = _on_desk_clock(hour, minute, zone.group(1))
        elif home is not None and not zone:
            if (hour, minute, home) not in zoned:
                zoned.append((hour, minute, home))
            continue
        if (hour, minute) not in out:
            out.append((hour, minute))
    for m in WORD_CLOCK.finditer(norm):
        if m.group(5):
            if not in_english:          # Dutch's "half acht" is half past seven: read below
                continue
            hour, minute = _EN_HOURS.get(m.group(5)) or int(m.group(5)), 30
        elif m.group(4):
            hour, minute = _EN_HOURS[m.group(4)], 0
        else:
            hour = _EN_HOURS.get(m.group(3)) or int(m.group(3))
            minute = _EN_MINUTES[m.group(1)]
            if m.group(2) not in ("past", "after"):
                hour, minute = hour - 1, 60 - minute
        if not 0 <= hour <= 12:
            continue
        place = next((name for at, name in named if m.end() <= at <= m.end() + 40), None)
        _both_halves(hour, minute, place, out, zoned)
    for m in BARE_HOUR.finditer(norm):           # "around ten (Irish time)", "about 2 UK time"
        hour = _EN_HOURS.get(m.group(1)) or int(m.group(1))
        if not 1 <= hour <= 12:
            continue
        place = next((name for at, name in named if m.end() <= at <= m.end() + 4), None)
        zone = ZONE.match(norm, _OPENING.match(norm, m.end()).end())     # "about 2 (cet)", "about 2 cet"
        if place is not None:
            _both_halves(hour, 0, place, out, zoned)
        elif zone and zone.group(1) != "z":
            for h in (hour % 12, hour % 12 + 12):
                at = _on_desk_clock(h, 0, zone.group(1))
                if at not in out:
                    out.append(at)
    if home is not None or named:
        for m in LOCAL_CLOCK.finditer(norm):
            hour, minute = int(m.group(1) or m.group(2)), int(m.group(3) or 0)
            if not (hour < 24 and minute < 60):
                continue
            place = next((name for at, name in named if m.end() <= at <= m.end() + 40), home)
            if place is not None and (hour, minute, place) not in zoned:
                zoned.append((hour, minute, place))
        for m in LOCAL_WORD_CLOCK.finditer(norm):
            named_hour = _HOURS.get(m.group(2)) or int(m.group(2))
            if not 1 <= named_hour <= 12 or (m.group(1) == "half" and in_english):
                continue
            hour, minute = divmod(named_hour * 60 + _WORD_MINUTES[m.group(1)], 60)
            place = next((name for at, name in named if m.end() <= at <= m.end() + 40), home)
            if place is not None:
                _both_halves(hour, minute, place, out, zoned)
    return tuple(out), tuple(zoned)


def _half(m: re.Match) -> str:
    """The half of the day a ``CLOCK`` match names ("am", "pm"), or "" when it names none."""
    return (m.group(3) or m.group(5) or "").replace(".", "")


def _on_desk_clock(hour: int, minute: int, zone: str) -> tuple[int, int]:
    """A time on a zone's clock (``ZONES``: hours ahead of UTC) as the desk reads it (UTC)."""
    return divmod((hour * 60 + minute - round(ZONES[zone] * 60)) % (24 * 60), 60)


def _both_halves(hour: int, minute: int, place: str | None, out: list, zoned: list) -> None:
    """A time said on a twelve-hour clock ("half 9", "kwart over twaalf"): both of its hours, on ``place``'s clock
    (``zoned``) or, with no place, on the desk's (``out``)."""
    for h in (hour % 12, hour % 12 + 12):
        if place is not None and (h, minute, place) not in zoned:
            zoned.append((h, minute, place))
        elif place is None and (h, minute) not in out:
            out.append((h, minute))


CLAUSE = re.compile(r"[.!?;,\n]|\b(?:but|and|so|while|although|though|because)\b")
SENTENCE = re.compile(r"[.!?;\n]")


def _around(text: str, m: re.Match, ends: re.Pattern, reach: int | None = None) -> str:
    """The sentence or clause (``ends`` marks where one ends) that holds the match ``m``, looking back at most
    ``reach`` characters."""
    before = text[max(0, m.start() - reach) if reach else 0:m.start()]
    return ends.split(before)[-1] + m.group(0) + ends.split(text[m.end():])[0]


def _yesterday(norm: str, words: ServiceWords | None) -> bool:
    """Whether 'yesterday' dates the failure: only in a clause that reports one, or says what a service of ours
    said ("the bot failed yesterday", "yesterday the assistant said"), not one that dates something else ("photos I
    sent yesterday", "but yesterday I got an email")."""
    for m in YESTERDAY.finditer(norm):
        clause = _around(norm, m, CLAUSE)
        if any(p.search(clause) for p in (_HARD, _SLOW, _WRONG, NEGATED)):
            return True
        if words is not None and _names_ours(clause, words) and SAID_AT.search(clause):
            return True
    return False


# What the service answered, not how it failed: "it keeps saying it can't find my order" is its answer about the
# customer's data (a guest order, a typo in the number).
ANSWERED = re.compile(r"\b(says?|said|saying|tells? (me|us)|telling (me|us)|told (me|us)|replies|replied|answers)"
                      r"( that)? (it|they|he|she) $")


def _negated(cleaned: str) -> list[str]:
    out = []
    for m in NEGATED.finditer(cleaned):
        if m.group(3).startswith("find") and ANSWERED.search(cleaned[max(0, m.start() - 40):m.start()]):
            continue
        if m.group(0) not in out:
            out.append(m.group(0))
    return out


def _old(norm: str) -> str | None:
    """The phrase placing the failure in an older past, if one does: a duration of it ("for weeks", "since last
    week", "a week now", "the 8th day"), or a date in the failure's own sentence ("last month the chatbot failed"), unless that sentence dates a
    change ("the policy changed last month") or the ticket places the failure now ("tonight")."""
    abroad = OLD_ABROAD.search(norm)
    if abroad:
        return abroad.group(0)
    for m in OLD.finditer(norm):
        phrase = m.group(0)
        if DURATION.search(phrase):
            if phrase.startswith("for ") and TERMS.search(_around(norm, m, SENTENCE, reach=40)):
                continue                # "returns are free for 60 days": a term of the shop's, not the trouble's age
            return phrase
        sentence = _around(norm, m, SENTENCE, reach=40)
        if CHANGED.search(sentence) or NOW.search(norm.replace(phrase, " ")):
            continue
        if not any(p.search(sentence) for p in (_HARD, _SLOW, _WRONG, NEGATED, OVERDUE)):
            continue                    # "my item arrived 20 days ago": the date is the delivery's, not the failure's
        return phrase
    return None


# A year the text places the failing thing in ("the order I placed in 2021", "my invoices from 2019"): a thing of the
# customer's with the shop, not a likeness ("answers like google translate from 2005").
YEAR = re.compile(r"\b(order\w*|placed|bought|purchased?|purchases|paid|invoices?|receipts?|subscri\w+|booked|"
                  r"delivered|received|returned|account) (\w+ ){0,3}?(in|from|of|back in|during) ((?:19|20)\d\d)\b")


def dated(reading: Reading, year: int) -> Reading:
    """``reading`` with a year before the ticket's (``year``) as its older past, when the year is in a sentence that
    speaks of trouble ("I can't find the order I placed in 2021") and the ticket neither dates a change ("the
    policy changed in 2024") nor places the failure now ("tonight")."""
    if reading.old is not None:
        return reading
    norm = reading.text
    for m in YEAR.finditer(norm):
        if int(m.group(4)) >= year:
            continue
        sentence = _around(norm, m, SENTENCE, reach=80)
        if CHANGED.search(sentence) or NOW.search(norm.replace(m.group(0), " ")):
            continue
        if TROUBLE.search(sentence):
            return replace(reading, old=f"{m.group(3)} {m.group(4)}")
    return reading


def _names_ours(norm: str, words: ServiceWords) -> bool:
    """Whether the text names one of our services or features (the words of services.yaml)."""
    for service, names in words.services.items():
        if _phrase_hits(names, norm):
            return True
        if any(_phrase_hits(ws, norm) for c, ws in words.features.get(service, {}).items()
               if c not in words.shared.get(service, ())):
            return True
    return False


def mentions(reading: Reading, words: ServiceWords) -> dict[str, dict[str, list[str]]]:
    """service -> {"names": words naming it, "symptoms": ..., component: feature words} the ticket uses."""
    out = {}
    for service, names in words.services.items():
        found = {"names": _phrase_hits(names, reading.text),
                 "symptoms": _phrase_hits(words.symptoms.get(service, ()), reading.text)}
        for comp, comp_words in words.features.get(service, {}).items():
            hit = _phrase_hits(comp_words, reading.text)
            if hit:
                found[comp] = hit
        # a feature that is not the service's alone ("upload") names the service only beside another word of it
        own = [c for c, hits in found.items() if hits and c not in words.shared.get(service, ())]
        if own:
            out[service] = {k: v for k, v in found.items() if v}
    return out


def _phrase_hits(words, text: str) -> list[str]:
    return _hits(_phrases_rx(tuple(words)), text) if words else []


@functools.lru_cache(maxsize=4096)
def _phrases_rx(words: tuple[str, ...]) -> re.Pattern:
    """The pattern of a list of phrases, built once per list (the catalog's lists are read for every ticket). A
    two-letter word ("ai") does not count after an apostrophe: French's "j'ai" is "I have"."""
    return _rx([re.escape(w) if len(w) > 2 else "(?<!')" + re.escape(w) for w in words])


def incident_kinds(incident: IncidentInfo) -> set[str]:
    """The kinds of failure an incident's text speaks of. An incident with no text is taken to fail requests; one
    whose text speaks of no failure ("TLS certificate expires in 14 days", "disk predicted to fill") is a warning
    customers do not feel yet, unless it paged."""
    return set(_kinds_of(incident.summary, tuple(incident.components), incident.severity))


@functools.lru_cache(maxsize=4096)
def _kinds_of(summary: str, components: tuple, severity) -> frozenset:
    """``incident_kinds`` on what it reads of an incident (its text, components and severity), once per incident:
    each ticket of a queue asks it of every incident."""
    text = ERROR_BUDGET.sub(" ", summary)     # an error budget burns for any SLO, errors or not
    kinds = {name for name, pattern in INCIDENT_KINDS if pattern.search(text)}
    if "index" in components:
        kinds.add("quality")
    if not summary.strip():
        kinds |= {"errors", "slow"}          # no text: it may fail requests or be slow, we cannot tell which
    elif not kinds and is_major(severity):
        kinds.add("errors")
    return frozenset(kinds)


def is_major(severity) -> bool:
    return str(severity or "").strip().lower() in MAJOR_SEVERITIES


FITS = {"hard": ("errors", "slow"), "slow": ("slow",), "wrong": ("quality",)}


@dataclass
class Verdict:
    incident: IncidentInfo | None
    reason: str
    covered: tuple[str, ...] = ()


def feature_level_of(incident: IncidentInfo, services, words: ServiceWords) -> set[str]:
    """The incident's components that are one feature of its service (the order tool, the index), not the whole
    service (its front door, its model, or no component at all)."""
    comps = set(incident.components)
    return {c for s in services
            for c in (comps - words.service_wide.get(s, frozenset())) & set(words.features.get(s, {}))}


def feature_cover(found: dict, incident: IncidentInfo, services, words: ServiceWords) -> tuple[list, list]:
    """The ticket's feature words (``mentions``) of ``services`` that the incident touches, and those it does not."""
    comps = set(incident.components)
    covered, other = [], []
    for s in services:
        feature_level = feature_level_of(incident, [s], words)
        for comp, hits in found[s].items():
            if comp in ("names", "symptoms"):
                continue
            # an incident on the service's front door or model touches every feature of it
            into = covered if comp in comps or not feature_level else other
            into.extend(h for h in hits if h not in into)
    return covered, [h for h in other if h not in covered]


def _window(incident: IncidentInfo, when: datetime, reading: Reading) -> str | None:
    """Why the ticket's time fits the incident (None: it does not)."""
    lead = LEAD_MIN
    if reading.kind == "wrong" and "quality" in incident_kinds(incident):
        lead = QUALITY_LEAD_MIN
    if when < incident.opened_at - timedelta(minutes=lead):
        return None
    if incident.resolved_at is None or when <= incident.resolved_at:
        return "created while it was open" if when >= incident.opened_at else "created just before it opened"
    after = (when - incident.resolved_at).total_seconds() / 60
    if after <= GRACE_MIN:
        return f"created {after:.0f} min after it resolved"
    if lead == QUALITY_LEAD_MIN and after <= QUALITY_GRACE_MIN:
        return f"a wrong answer reported {after:.0f} min after it resolved"
    if reading.past and after <= PAST_GRACE_MIN:
        return f"speaks of the past, {after:.0f} min after it resolved"
    return None


def _stated_fit(incident: IncidentInfo, when: datetime, reading: Reading) -> str | None:
    """Whether a clock time the ticket gives falls while the incident was open (the time's last occurrence before
    the ticket, within a day), give or take ``STATED_TOLERANCE_MIN``."""
    tol = timedelta(minutes=STATED_TOLERANCE_MIN)
    end = incident.resolved_at or when
    for hour, minute, place in (*((h, m, None) for h, m in reading.at), *reading.zoned):
        local = when if place is None else when.astimezone(_zone(place))
        t = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if t > local:
            t -= timedelta(days=1)
        t = t.astimezone(when.tzinfo)
        if incident.opened_at - tol <= t <= end + tol:
            said = f"{hour:02d}:{minute:02d}" + ("" if place is None else f" {place.split('/')[-1]} time")
            return f"says it happened at {said}, while it was open"
    return None


@functools.lru_cache(maxsize=None)
def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def link(reading: Reading, when: datetime, found: dict, incidents: list[IncidentInfo], words: ServiceWords,
         similarity) -> Verdict:
    """The incident a failure report joins, with the reason; ``similarity(j)`` is the TF-IDF cosine to incident j."""
    if reading.kind is None:
        return Verdict(None, "not linked: reports no failure")
    if reading.old:
        return Verdict(None, f"not linked: about an older problem ({reading.old!r})")
    best, refusals = None, []
    for j, inc in enumerate(incidents):
        services = [s for s in inc.services if s in found] if inc.services else sorted(found)
        if not services:
            continue
        when_ok = _window(inc, when, reading)
        stated = _stated_fit(inc, when, reading)
        if when_ok is None and stated and reading.past and when >= inc.opened_at \
                and inc.resolved_at is not None and when - inc.resolved_at <= timedelta(hours=STATED_GRACE_H):
            when_ok = stated
        if when_ok is None:
            continue
        if reading.yesterday and inc.opened_at.date() >= when.date():
            refusals.append(f"says yesterday, {inc.id} opened today")
            continue
        kinds = incident_kinds(inc)
        if not kinds:
            refusals.append(f"{inc.id} is a warning, not a failure customers feel")
            continue
        if not set(FITS[reading.kind]) & kinds:
            refusals.append(f"a {reading.kind} report, {inc.id} is about {'/'.join(sorted(kinds))}")
            continue
        covered, other = feature_cover(found, inc, services, words)
        cos = float(similarity(j))
        # a wrong answer's feature words are the topic of the customer's question ("the refund window"), not the
        # part that failed: only a failure or slowness of another feature is another problem
        if other and not covered and reading.kind != "wrong":
            refusals.append(f"about {', '.join(map(repr, other[:2]))}, which {inc.id} does not touch")
            continue
        # a plain wrong answer must be about what the incident names; one told as out of date is what a stale
        # index does to every answer, whatever its topic; one to an incident on a feature's component (the
        # index) must be about what it names; an incident on the quality of every answer (no feature of the
        # service in its components) is what every wrong answer of that service reports
        if (reading.kind == "wrong" and not covered and cos < MIN_SIMILARITY and not reading.stale
                and feature_level_of(inc, services, words)
                and not any(set(inc.components) & words.service_wide.get(s, frozenset()) for s in services)):
            refusals.append(f"a wrong answer about something {inc.id} does not name (similarity {cos:.2f})")
            continue
        # a major incident before a warning; then one open when the ticket was written before one already resolved
        open_now = inc.resolved_at is None or when <= inc.resolved_at
        key = (bool(stated), bool(covered), is_major(inc.severity), open_now, inc.severity is not None, round(cos, 12),
               -inc.opened_at.timestamp())
        if best is None or key > best[0]:
            names = [w for s in services for k in ("names", "symptoms") for w in found[s].get(k, [])]
            said = ", ".join(map(repr, (names + covered)[:3]))
            reason = (f"linked to {inc.id}: {when_ok}, on {', '.join(services)} ({said}), reports "
                      f"{'a failure' if reading.kind == 'hard' else 'slowness' if reading.kind == 'slow' else 'wrong answers'}"
                      f" ({', '.join(map(repr, reading.evidence[:2]))})"
                      + (f", feature {', '.join(map(repr, covered[:2]))}" if covered else "")
                      + f", similarity {cos:.2f}")
            best = (key, Verdict(inc, reason, tuple(covered)))
    if best is not None:
        return best[1]
    if refusals:
        return Verdict(None, "not linked: " + "; ".join(refusals[:2]))
    return Verdict(None, f"not linked: no incident open on {', '.join(sorted(found))} at {when:%H:%M}")


# ---- The second look: a report of trouble, on what an open incident is about, while it is open -------------------
# The rules above read a ticket by the kind of failure it reports (an error, slowness, a wrong answer) and the
# catalog's words for our services. A night brings failures of kinds no rule has met ("the answer stops at 'go
# to'", "app open then close") on services the catalog does not know. A support engineer with a page open reads
# such a ticket another way: is it written while an incident customers feel is open (or soon after); does it speak
# of what that incident is about, in the incident's own words (its alerts' texts and its components' names); and
# does it say something is not as it should be (any kind of trouble, not a how-to, a wish or a bill)? A ticket the
# rules left unlinked that passes all three joins the incident.

# Words of alert texts that say nothing of what failed (how it is measured, by whom, how much).
MONITORING_WORDS = frozenset("""
a above after again against alert alerts all also an and answer answers any api are as at avg baseline be below
between budget burn burning by check checks count db down error errors expected failing fast for from has have
high higher hold holds in instance instances into is it its job last less low lower metric more most normally not
of on over p50 p95 p99 per percent percentile rate ratio requests request return returns returning share slo slow
than that the their this to under up with within x
call calls called question questions wait waiting waited write writes writing written""".split())   # any ticket's
_WORD = re.compile(r"[a-zà-ÿ]{3,}")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Trouble in any words: a denial, something missing or gone, the same thing again; in the languages customers write
# in, in Latin letters and other scripts. (A how-to or a wish has none of these; a failure report almost always has one.)
TROUBLE = re.compile(
    r"\b(not|no|nothing|never|none|nobody|cannot|without|"
    r"(do|does|did|is|are|was|were|has|have|had|could|would|ca|wo)n'?t|"
    r"stops?|stopp\w*|stuck|empty|blank|zero|half|cut|incomplete|again|still|same (thing|problem|issue)|keeps?|"
    r"kicked|thrown|throw\w*|crash\w*|clos(e|es|ed|ing)|freez\w*|froze|gone|lost|missing|"
    r"random|weird|strange|wrong|err?or\w*|err_\w+|fail\w*|broken|problem|issue|expired|invalid|rejected|refused|declined|"
    r"loop\w*|endless\w*|forever|ignor(e|es|ed|ing)|unanswered|no (reply|answer|response)|nobody (answers|replies)|"
    r"late|delay\w*|"
    # the same in the other languages customers write in: denials, "still", "again", broken, slow, wrong, late
    r"nicht|kein\w*|nichts|pas|rien|jamais|não|nao|nada|nunca|niet|geen|nooit|niks|ningun\w*|ninguna|"
    r"impossible|imposible|impossibile|problema|probleem|problème|fehler\w*|erreur\w*|échec|fout\w*|erro|"
    r"noch|toujours|todav[ií]a|ainda|nog steeds|nochmal|encore|otra vez|de nuevo|opnieuw|à nouveau|wieder|weer|"
    r"ewig|lent\w*|lento|langzaam|traag|demor\w*|tarda\w*|dauert (ewig|zu lange|so lange|ewigkeiten|stunden)|falsch\w*|faux|fausse|equivocad\w*|errad\w*|"
    r"fehlt|manque|falta|verspät\w*|retard|retraso|atras\w*|vertraag\w*|"
    r"blijft|ständig|endlos\w*|boucle|en bucle|bucle|à l'infini|oneindig\w*|sigue|"
    # and in the other languages of Europe's shoppers: Swedish, Danish and Norwegian, Finnish, Polish, Czech and
    # Slovak, Croatian, Hungarian, Romanian, Turkish (a denial, an error or problem, still, again, empty, gone)
    r"non(?!-)|"            # Italian's denial ("non c'è", "non trova"), not English's prefix ("non-member")
    r"inte|ingen|inget|aldrig|aldri|ikke|fel|fejl|feil|fortfarande|stadig|igjen|borta|væk|borte|försv\w*|forsv\w*|"
    r"ei|eikä|enkä|virhe\w*|ongelm\w*|rikki|vieläkään|taas|tyhjä|kadon\w*|hävi\w*|"
    r"nie|brak|błąd|błędu|błędem|nadal|ciągle|znowu|pust\w*|znikn\w*|zniknęł\w*|"
    r"nejde|nefunguj\w*|neexistuj\w*|nemůž\w*|nemôž\w*|nedostal\w*|nepřiš\w*|neprišl\w*|chyb\w*|stále|pořád|"
    r"znovu|znova|zase|prázdn\w*|zmizl\w*|zmizel\w*|"
    r"nije|nisam|nema|greška|grešku|opet|prazn\w*|nestal\w*|"
    r"nem|nincs|hib\w*|probléma|megint|újra|üres|eltűnt|"
    # Romanian's "nu" before a verb or its little words ("nu merge", "nu se încarcă"), not Dutch's and Swedish's
    # "nu" (now: "nu lukt het", "nu har jag")
    r"nu(?= (se|s-|m[ăa]|[îi]mi|mi|l-|le|i-|am|ai|a|au|e|este|era|pot\w*|put\w*|merg\w*|func\w*|g[ăa]s\w*|"
    r"prim\w*|exist\w*|v[ăa]d\w*|apar\w*|mai|vr\w*|[îi]n\w*|[șs]ti\w*|are|avem|trimi\w*|d[ăa]\w*|vine|venit|"
    r"ajun\w*|accept\w*|r[ăa]spun\w*)\b)|niciun\w*|nicio|eroare|eșu\w*|esu\w*|problemă|încă|iar|dispăr\w*|"
    r"değil|yok|hata\w*|sorun\w*|hâlâ|yine|tekrar|boş|kayb\w*|çalışmıyor|olmuyor|"
    # invalid, not recognised: what a machine at a counter or a locker says of a code
    r"(is|was|are|were)(n't| not) recogni[sz]ed|not recogni[sz]ed|unrecogni[sz]ed|ungültig\w*|nicht erkannt|"
    r"ongeldig\w*|niet herkend|ogiltig\w*|känns inte igen|nieprawidłow\w*|niepoprawn\w*|nierozpoznan\w*|"
    # ("invalide", "invalida"; Italian's "non" and Spanish's "no" are above)
    r"inválid\w*|invalid\w*|geçersiz|tanınmadı|neplatn\w*|érvénytelen|nevalid\w*|"
    # Vietnamese, Indonesian and Malay (a denial, not yet, an error, wrong, still, again, late)
    r"không|chưa|lỗi|sai|vẫn|lại|trễ|tidak|tak|belum|gagal|masalah|salah|masih|lagi|terlambat|"
    # and in the other scripts: Cyrillic (Russian, Ukrainian, Bulgarian, Serbian), Greek, Arabic, Hebrew, Korean
    r"не|нет|ні|немає|няма|нема|ошибк\w*|помилк\w*|грешк\w*|проблем\w*|опять|снова|знову|отново|ещё|еще|досі|още|"
    r"пуст\w*|порожн\w*|пропал\w*|исчез\w*|зник\w*|неправильн\w*|невозможно|неможливо|"
    r"δεν|όχι|σφάλμα|πρόβλημα|ακόμα|ακόμη|ξανά|λάθος|άδει\w*|χάθηκε|"
    r"لا|لم|لن|خطأ|مشكلة|ما زال|مازال|مرة أخرى|فارغ\w*|"
    r"לא|אין|שגיאה|בעיה|עדיין|שוב|ריק\w*|"
    r"안|못|없\w*|오류\w*|에러\w*|문제\w*|아직|또|실패\w*|안돼\w*|너무 많\w*|"
    r"नहीं|गलत|ग़लत|समस्या|त्रुटि|फिर से|अभी भी|अभी तक)\b|"
    # Chinese and Japanese write no spaces between words: their words are found inside the text
    r"できない|できません|ません|ない|エラー|失敗|おかしい|間違|違う|まだ|また|届かない|遅い|消え|問題|不具合|すぎ|"
    r"不|没|沒|無法|无法|错误|錯誤|失败|失敗|还是|還是|又|问题|問題|消失|太多|"
    # Thai writes no spaces between words either
    r"ไม่|ผิด|ปัญหา|ยังไม่|อีกแล้ว|ล้มเหลว|ข้อผิดพลาด")
SECOND_LOOK_MIN_WORDS = 1


def _stem(word: str) -> str:
    """A crude stem: enough that "crashes", "crashing" and "crash", or "searches" and "search", meet."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def stems(text: str, shortest: int = 1) -> set[str]:
    """The stems of a text's words (``_stem``), of the words at least ``shortest`` letters long."""
    return {_stem(w) for w in _WORD.findall(text) if len(w) >= shortest}


def incident_topic(incident: IncidentInfo, catalog: ServiceWords) -> frozenset[str]:
    """The stems of what an incident is about: its alerts' texts (CamelCase alert names split) and its components'
    names; without English's common words (scikit-learn's list), the words of
    monitoring itself, the catalog's names of its services ("assistant", "bot", "chat": a ticket that only names
    the product says which product, not what went wrong with it) and the catalog's words for their features (the
    rules read those). A service the catalog does not know keeps its name: "search" or "loyalty" is what such an
    incident is about."""
    return incident_topics([incident], catalog)[0]


def incident_topics(incidents: list[IncidentInfo], catalog: ServiceWords) -> list[frozenset[str]]:
    """``incident_topic`` of each incident, the catalog's feature words read once."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    everyday = catalog_stems(catalog)
    out = []
    for incident in incidents:
        text = " ".join([_CAMEL.sub(" ", incident.summary), *incident.components]).lower().replace("-", " ")
        names = {_stem(w) for s in incident.services if s in catalog.services
                 for n in (*catalog.services[s], s.replace("-", " ")) for w in _WORD.findall(n.lower())}
        out.append(frozenset(_stem(w) for w in _WORD.findall(text)
                             if w not in MONITORING_WORDS and w not in ENGLISH_STOP_WORDS) - names - everyday)
    return out


def catalog_stems(catalog: ServiceWords) -> frozenset[str]:
    """Every word the catalog has for the features of the services it knows ("order", "refund", "checkout"): the
    rules above read those by the kind of failure; the second look reads only what the catalog does not cover."""
    return frozenset(_stem(w) for feats in catalog.features.values() for ws in feats.values() for phrase in ws
                     for w in _WORD.findall(phrase.lower()))


# The commonest little words of the other languages customers write in (German, French, Spanish, Dutch,
# Portuguese, Italian; Swedish, Danish, Norwegian, Finnish, Polish, Czech, Slovak, Croatian, Hungarian, Romanian,
# Turkish; Indonesian and Malay); a word English has too counts for them when it is far commoner there ("de",
# "la", "die").
OTHER_TONGUES = frozenset("""
de la en un une des du del al lo se te die den dem zu im op het van
seit heute gestern depuis hier aujourd'hui desde hoy ayer ahora sinds gisteren vandaag hoje ontem ieri oggi
der das und ist nicht ich mit auf für wie auch noch bitte mein meine sie wir kein keine schon immer nur wird
le les et est pas je avec pour vous une mon ma mes est-ce c'est ça très aussi encore toujours rien plus
el los las que es y con para por una mi pero muy está también todavía nada hace
het een en niet ik met voor mijn maar ook nog geen wel niks zijn heb werkt
os que não é eu com para uma meu minha mas muito está também ainda nada
il che non è sono con per una mio mia ma molto anche ancora niente
och jag det är att för med har inte kan min mitt ett och också ikke og jeg til af ikkje ingen ei ole että ja
kanssa voi onko minun nie się jest że czy już jak mój moja dzień jsem není jsou ako som sa mám už je nemám
nije sam za kako mogu ili što hogy és az nem van egy meg még nincs și să pentru este nu cu mai sunt bir ve
bu için ile değil mı mi musunuz
saya yang dan ini itu untuk dengan tidak sudah belum bisa apakah kami anda tolong terima kasih
""".split())


def english(text: str) -> bool:
    """Whether a ticket is written in English: it has more of English's common words (scikit-learn's list: "the",
    "is", "my", "it") than of the other languages' (``OTHER_TONGUES``) and words with letters English does not
    write ("tölt", "zniknęła"). A ticket in German or Spanish has few of the first and many of the second; one with
    none of the second counts as English."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())
    theirs = sum(w in OTHER_TONGUES or not w.isascii() for w in words)
    return theirs == 0 or sum(w in ENGLISH_STOP_WORDS and w not in OTHER_TONGUES for w in words) > theirs


def felt(incident: IncidentInfo) -> bool:
    """An incident customers feel: one that pages (or is critical), or one on the quality of the answers."""
    return is_major(incident.severity) or "quality" in incident_kinds(incident)


def second_look(reading: Reading, when: datetime, incidents: list[IncidentInfo],
                topics: list[frozenset[str]], found: dict | None = None) -> Verdict:
    """The incident a ticket the rules left unlinked joins on the second look, with the reason (None: none)."""
    if reading.old or reading.not_a_report not in (None, CONDITION):
        return Verdict(None, "")
    trouble = _hits(TROUBLE, NOT_A_REPORT.sub(" ", reading.text))
    if not trouble and reading.kind is None:
        return Verdict(None, "")
    said = stems(reading.text)
    foreign = not english(reading.text)
    best = None
    for inc, topic in zip(incidents, topics):
        if not felt(inc):
            continue
        when_ok = _window(inc, when, reading) or (_stated_fit(inc, when, reading) if reading.past else None)
        if when_ok is None:
            continue
        shared = sorted(said & topic)
        named = [w for s in inc.services if s in (found or {}) for hits in found[s].values() for w in hits] \
            if foreign else []
        if len(shared) < SECOND_LOOK_MIN_WORDS and not named:
            continue
        open_now = inc.resolved_at is None or when <= inc.resolved_at
        key = (len(shared), bool(named), is_major(inc.severity), open_now, -inc.opened_at.timestamp())
        if best is None or key > best[0]:
            about = (f"speaks of what it is about ({', '.join(map(repr, shared[:3]))})" if shared else
                     f"names its service ({', '.join(map(repr, dict.fromkeys(named)))})")
            reason = (f"linked to {inc.id} on a second look: {when_ok}, {about} and of trouble "
                      f"({', '.join(map(repr, (list(reading.evidence) + trouble)[:2]))})")
            best = (key, Verdict(inc, reason))
    return best[1] if best else Verdict(None, "")

"""A linker whose weights are learned from the labelled nights (course module M32).

The rules (``link.py``) were each written after reading a night's misses, and every night brings reports they have
not met. A support engineer weighs the same few signals on every ticket: was it written while the incident was open;
does it name the service that is failing, or speak of the thing of the shop its alerts speak of (the cart, product
images: ``data/tickets/concepts.yaml``, in customers' words and languages); does it report trouble, in any language,
or ask how, or wish, or say it works again; does it quote what the page showed or the chat said; does it give a time
while the incident was open; did others write about the same thing at the same time, naming the service or in the
same words; does it read like the outage reports of the labelled nights (a text model of their tickets,
``text_model``). This linker measures those signals (``FEATURES``) for every (ticket, incident) pair whose time fits,
the rules' own decision one signal among them, and lets a logistic regression fitted on the labelled nights
(``data/tickets/heldout*/truth.jsonl``) say how much each counts, and how much each pair of them counts together
(``PAIRS``, ``PAIRED``). Each ticket joins the incident it gives the highest probability, if that is at least
``THRESHOLD``; its reason names what weighed most. (A customer's follow-up then joins the incident its first ticket
joined, as with the rules: ``rules._follow_ups``.)

The weights are data (``data/tickets/linker_weights.json``), refitted with ``python benchmarks/fit_linker.py``
from the queues listed in it (the labelled nights and the course's two queues); a test refits them and compares.
How well it does on a night it has not seen is measured two ways: leave one night out (each night scored by
weights fitted on the others: ``leave_one_out``), and once on a night written after the weights were frozen
(``evaluation.UNTOUCHED``).
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import numpy as np

from . import link as _link
from .tickets import IncidentInfo, load_tickets, load_truth

THRESHOLD = 0.4            # a ticket joins its likeliest incident when the weights give it at least this: about
#                           half the F1 the linker reaches, where a calibrated classifier's F1 is best (Lipton et al.
#                           2014); fitted on the nights before each, 0.4 scores 0.816 on the 12th-43rd, 0.5 0.806
C = 1.0                    # the logistic regression's inverse regularisation strength (scikit-learn's default)
C_PAIRS = 0.03             # ... with a weight for every pair of signals: chosen among 0.01-1 leaving one night out
#                           over 26 nights (0.03: mean F1 0.870; 1.0: 0.864)
BURST_MIN = 30             # "others wrote about it too": tickets naming the same service within this many minutes
BURST_CAP = 5
# "Reads like the outage reports": the probability a ticket is about an outage, from its text alone, by a logistic
# regression over hashed character 2-5-grams (any language, any spelling) fitted on the tickets and truth of the
# queues the weights learn from (``text_model``). The weights learn how far to trust it on the queues they are fitted
# on, each scored by a text model that never read it: the queues are cut into TEXT_FOLDS groups, each scored by a
# model fitted on the others (cross-fitting). Leaving one night out over 55 nights it raised the mean F1 from 0.854
# to 0.881 (42 nights up, 11 down; worst 0.71 to 0.78); fitted on the nights before each, from 0.829 to 0.845 over
# the 12th-55th (30 up, 11 down).
TEXT_FOLDS = 5
TEXT_FEATURES = 2 ** 18

# (name, what it says in a reason when the pair has more of it than an average pair, and when it has less).
# Values are 0/1 unless said otherwise.
FEATURES = (
    ("rules_link", "the rules link it here", "the rules do not link it here"),
    ("rules_elsewhere", "the rules link it to another incident", "the rules link it nowhere else"),
    ("topic_words", "speaks of what the alerts speak of", "shares no word with the alerts"),         # stems, <= 3
    ("names_service", "names the failing service", "does not name the failing service"),
    ("names_other", "names only other services", "names no other service only"),
    ("names_nothing", "names no service of ours", "names a service of ours"),
    ("other_feature", "names a feature the incident does not touch", "names no feature it does not touch"),
    ("kind_fits", "reports the kind of failure the incident has", "reports no failure of the incident's kind"),
    ("reports_failure", "reports a failure", "reports no failure"),
    ("trouble", "speaks of trouble", "speaks of little trouble"),                                     # words, <= 3
    ("not_a_report", "its failure words are a condition, a denial or a wish", "its failure words are a report"),
    ("old", "speaks of an older problem", "speaks of no older problem"),
    ("wish", "asks for something new", "asks for nothing new"),
    ("how_to", "asks how", "does not ask how"),
    ("open_now", "was written before it resolved", "was written after it resolved"),
    ("hours_after", "was written hours after it resolved", "was written soon after, or while it was open"),
    ("early", "was written before it opened", "was not written before it opened"),
    ("early_quality", "is a wrong answer before a quality incident opened", "is no early wrong answer"),
    ("past", "speaks of the past", "does not speak of the past"),
    ("stated_time", "gives a time while it was open", "gives no time while it was open"),
    ("major", "the incident pages or is critical", "the incident neither pages nor is critical"),
    ("felt", "customers feel the incident", "customers do not feel the incident"),
    ("slo_burns", "an SLO's error budget burns in it", "no SLO's error budget burns in it"),
    ("quality", "the incident is on the answers' quality", "the incident is not on the answers' quality"),
    ("similarity", "its words are the incident's", "its words are not the incident's"),            # TF-IDF cosine
    ("burst", "others wrote about the same service then", "few others wrote about the service then"),
    ("foreign_names", "in another language, names the failing service", "is not a foreign ticket naming it"),
    ("long", "is long (over 200 characters)", "is short"),
    ("foreign_trouble", "in another language, speaks of trouble", "is not a foreign ticket speaking of trouble"),
    ("works_again", "says it works again", "does not say it works again"),
    ("concept_fits", "speaks of a thing of the shop its alerts speak of", "speaks of no thing its alerts speak of"),
    ("concept_other", "speaks only of other things of the shop", "does not speak only of other things"),
    ("asks", "asks a question", "asks no question"),
    ("quotes", "quotes what it was shown or told", "quotes nothing"),
    ("reads_like_reports", "reads like the nights' outage reports", "reads unlike the nights' outage reports"),  # 0-1
    ("word_burst", "shares words many others wrote only while it was open",
     "shares no word that many others wrote only while it was open"),                               # 0-1
)
NAMES = tuple(f[0] for f in FEATURES)
# Every pair of signals has a weight of its own besides each signal's: how much a signal counts depends on the
# others (speaking of the past weighs against a ticket written while its incident is open, "it was broken last
# week", and not against one written after it). Leaving one night out over 26 nights, the pairs raised the mean F1
# from 0.846 to 0.870. On the five nights then measured once (the 27th-31st) weights without them scored as well
# (0.76), so the 32nd was measured without them: 0.68, where the pairs would have scored 0.76. Over those six
# nights the pairs lead 0.76 to 0.75, and leaving one night out over 32 nights 0.85 to 0.83, so they are back
# (``python benchmarks/fit_linker.py --pairs`` measures both).
PAIRED = True
PAIRS = tuple((i, j) for i in range(len(NAMES)) for j in range(i + 1, len(NAMES)))
_I = np.array([i for i, _ in PAIRS], dtype=int)
_J = np.array([j for _, j in PAIRS], dtype=int)
PAIR_NAMES = tuple(f"{NAMES[i]} x {NAMES[j]}" for i, j in PAIRS)
SAYS = {name: (more, less) for name, more, less in FEATURES}
WEIGHTS_FILE = "linker_weights.json"
# Words set in quotation marks, in any script's marks: a customer who copies what the page showed or the chat said
# ("Sorry, something went wrong", 「有効なお名前を入力してください」) is mostly reporting it. A single quote counts only
# where it opens after a space and does not close inside a word, so "don't" and "it's" are not quotes.
QUOTE = re.compile(r'"[^"\n]{8,}"|\u201c[^\u201d\n]{8,}\u201d|\u201e[^\u201c\u201d\n]{8,}[\u201c\u201d]'
                   r'|\u00ab[^\u00bb\n]{8,}\u00bb|\u300c[^\u300d\n]{4,}\u300d|\u300e[^\u300f\n]{4,}\u300f'
                   r"|(?:^|(?<=\s))'[^'\n]{8,}'(?![A-Za-z])")


def _weights_path() -> Path:
    from ..paths import DATA_DIR

    return DATA_DIR / "tickets" / WEIGHTS_FILE


def pairs(first, incidents: list[IncidentInfo],
          reads: tuple[str, ...] | None = None) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The signals of every (ticket, incident) pair whose time fits (``link._window``, or a clock time the ticket
    gives while it was open): a matrix (one row per pair, ``NAMES`` columns) and (ticket index, incident index).
    ``reads``: the labelled nights whose text model scores "reads like the outage reports" (0 if none of them is
    one); None leaves it unscored (NaN), for ``fit`` to score by cross-fitting."""
    from .concepts import load_concepts

    seen, tickets = first.seen, first.tickets
    like = (np.full(len(tickets), np.nan) if reads is None
            else text_scores(tuple(reads), tuple(t.text for t in tickets)))
    thesaurus = load_concepts()
    things_of = [thesaurus.in_incident(inc) for inc in incidents]
    services_of = [set(d["found"]) for d in seen]
    times = [t.created_at for t in tickets]
    bursts = _word_bursts(tickets, seen, incidents)
    rows, keys = [], []
    for k, (ticket, d) in enumerate(zip(tickets, seen)):
        reading, when = d["reading"], ticket.created_at
        if not ticket.text.strip():
            continue
        said = _link.stems(reading.text)
        trouble = _link._hits(_link.TROUBLE, _link.NOT_A_REPORT.sub(" ", reading.text))
        english = _link.english(reading.text)
        again = _link.works_again(reading.text)
        things = thesaurus.in_ticket(reading.text)
        kind0 = d["kind"]
        asks = "?" in ticket.text or "\uff1f" in ticket.text
        quotes = bool(QUOTE.search(ticket.text))
        for j, inc in enumerate(incidents):
            window = _link._window(inc, when, reading)
            stated = _link._stated_fit(inc, when, reading)
            if window is None and not stated:
                continue
            named = bool(set(inc.services) & services_of[k])
            kinds = _link.incident_kinds(inc)
            open_now = inc.resolved_at is None or when <= inc.resolved_at    # before it opened too: see "early"
            burst = 0
            if named:
                burst = sum(1 for i, other in enumerate(times) if i != k
                            and abs((other - when).total_seconds()) < BURST_MIN * 60
                            and set(inc.services) & services_of[i])
            row = {
                "rules_link": d["linked"] is inc,
                "rules_elsewhere": d["linked"] is not None and d["linked"] is not inc,
                "topic_words": min(3, len(said & first.topics[j])),
                "names_service": named,
                "names_other": bool(services_of[k]) and not named,
                "names_nothing": not services_of[k],
                "other_feature": _other_feature(d["found"], inc, d["words"]),
                "kind_fits": reading.kind is not None and bool(set(_link.FITS[reading.kind]) & kinds),
                "reports_failure": reading.kind is not None,
                "trouble": min(3, len(trouble)),
                "not_a_report": reading.not_a_report is not None,
                "old": bool(reading.old),
                "wish": bool(_link.FEATURE_REQUEST.search(reading.text)),
                "how_to": kind0 == "how-to",
                "open_now": open_now,
                "hours_after": 0.0 if open_now else (when - inc.resolved_at).total_seconds() / 3600,
                "early": when < inc.opened_at and "quality" not in kinds,
                "early_quality": when < inc.opened_at and "quality" in kinds and reading.kind == "wrong",
                "past": reading.past,
                "stated_time": bool(stated),
                "major": _link.is_major(inc.severity),
                "felt": _link.felt(inc),
                "slo_burns": bool(_link.ERROR_BUDGET.search(inc.summary)),
                "quality": "quality" in kinds,
                "similarity": float(first.sims[k, j]) if first.sims is not None else 0.0,
                "burst": min(BURST_CAP, burst) / BURST_CAP,
                "foreign_names": named and not english,
                "long": len(ticket.text) > 200,
                "foreign_trouble": not english and bool(trouble),
                "works_again": again,
                "concept_fits": bool(things & things_of[j]),
                "concept_other": bool(things) and not things & things_of[j],
                "asks": asks,
                "quotes": quotes,
                "reads_like_reports": like[k],
                "word_burst": bursts[j][k],
            }
            rows.append([float(row[n]) for n in NAMES])
            keys.append((k, j))
    return np.array(rows, dtype=float).reshape(-1, len(NAMES)), keys


# "Shares words many others wrote only while it was open": customers who meet the same failure write the same few
# words for it ("instructions", "PDF", "Apple Pay", 「時間」), whatever the words are, and a desk sees them come in a
# burst. A word counts when at least BURST_WORDS_MIN other tickets written while the incident was open use it and it
# is at least BURST_LIFT times as common among those tickets as in the whole queue (so "the", "order" and "please" do
# not count); the signal is how many such words the ticket has, up to BURST_WORDS_CAP, over the cap. The three values
# were set before it was measured, not chosen among others. Leaving one night out over 61 nights it raised the mean
# F1 from 0.881 to 0.883 (22 nights up, 17 down); fitted on the nights before each, from 0.848 to 0.851 over the
# 12th-61st (23 up, 19 down). (A signal for "the rules link it to a paging incident on a service it names", tried
# first, scored 0.882 and 0.845 there: it was not kept.)
_CJK2 = re.compile(r"(?=([\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]{2}))")
BURST_WORDS_MIN = 3
BURST_LIFT = 2.0
BURST_WORDS_CAP = 3


def _word_bursts(tickets, seen, incidents: list[IncidentInfo]) -> list[list[float]]:
    """For each incident, for each ticket: how many of its words (Latin stems of 4+ letters, pairs of CJK characters)
    at least ``BURST_WORDS_MIN`` other tickets written while the incident was open (from its opening less
    ``BURST_MIN`` to its resolution plus ``BURST_MIN``) use too, and are ``BURST_LIFT`` times as common among those
    tickets as in the whole queue, up to ``BURST_WORDS_CAP``, over the cap: what a desk sees when many customers
    suddenly write about the same thing, in whatever words."""
    from collections import Counter
    from datetime import timedelta

    words = []
    for d in seen:
        text = d["reading"].text
        words.append(_link.stems(text, shortest=4) | set(_CJK2.findall(text)))
    everywhere = Counter(w for ws in words for w in ws)
    n, last = len(tickets), max((t.created_at for t in tickets), default=None)
    out = []
    margin = timedelta(minutes=BURST_MIN)
    for inc in incidents:
        end = (inc.resolved_at or last or inc.opened_at) + margin
        inside = {k for k, t in enumerate(tickets) if inc.opened_at - margin <= t.created_at <= end}
        then = Counter(w for k in inside for w in words[k])
        row = []
        for k in range(n):
            mine = 1 if k in inside else 0
            hot = sum(1 for w in words[k] if then[w] - mine >= BURST_WORDS_MIN
                      and (then[w] / max(1, len(inside))) >= BURST_LIFT * everywhere[w] / n)
            row.append(min(BURST_WORDS_CAP, hot) / BURST_WORDS_CAP)
        out.append(row)
    return out


def _other_feature(found: dict, incident: IncidentInfo, words) -> bool:
    """Whether the ticket names a feature of the incident's service that the incident does not touch (an upload
    during an incident on the order tool), and none it does."""
    covered, other = _link.feature_cover(found, incident, [s for s in incident.services if s in found], words)
    return bool(other) and not covered


class Weights:
    """A fitted linker: the features' means and scales (standardisation), their coefficients and the intercept;
    and, when fitted with them, a coefficient for every pair of standardised features (``PAIRS``) with the pair's
    mean product over the pairs it was fitted on (so that an average pair moves nothing)."""

    def __init__(self, mean, scale, coef, intercept: float, nights: list[str], pair_coef=None, pair_mean=None):
        self.mean, self.scale = np.asarray(mean, float), np.asarray(scale, float)
        self.coef, self.intercept, self.nights = np.asarray(coef, float), float(intercept), list(nights)
        self.pair_coef = None if pair_coef is None else np.asarray(pair_coef, float)
        self.pair_mean = np.zeros(len(PAIRS)) if pair_mean is None else np.asarray(pair_mean, float)

    def logit(self, X: np.ndarray) -> np.ndarray:
        z = (X - self.mean) / self.scale
        out = z @ self.coef + self.intercept
        if self.pair_coef is not None:
            out = out + (z[..., _I] * z[..., _J]) @ self.pair_coef
        return out

    def probability(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(X)))

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """How much each feature moves this pair's log-odds from an average pair's: its own weight's part, and half
        of each of its pairs' parts (the other half goes to the other feature of the pair)."""
        z = (x - self.mean) / self.scale
        out = z * self.coef
        if self.pair_coef is not None:
            half = (z[_I] * z[_J] - self.pair_mean) * self.pair_coef / 2
            np.add.at(out, _I, half)
            np.add.at(out, _J, half)
        return out

    def to_json(self) -> str:
        doc = {"about": "triage's learned linker (oncall/support_desk/learned.py): logistic regression over the "
                        "features below, standardised" + ("" if self.pair_coef is None else
                                                          ", and the products of every pair of them") +
                        "; refit with python benchmarks/fit_linker.py",
               "nights": self.nights, "C": C if self.pair_coef is None else C_PAIRS, "threshold": THRESHOLD,
               "intercept": round(self.intercept, 6),
               "features": {n: {"mean": round(m, 6), "scale": round(s, 6), "coef": round(c, 6)}
                            for n, m, s, c in zip(NAMES, self.mean, self.scale, self.coef)}}
        if self.pair_coef is not None:
            doc["pairs"] = {n: {"mean": round(m, 6), "coef": round(c, 6)}
                            for n, m, c in zip(PAIR_NAMES, self.pair_mean, self.pair_coef)}
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = WEIGHTS_FILE) -> "Weights":
        from ..errors import BadInput

        doc = json.loads(text)
        feats = doc.get("features", {})
        if list(feats) != list(NAMES):
            raise BadInput(where, "features", f"expected the features {', '.join(NAMES)}")
        pairs = doc.get("pairs")
        if pairs is not None and list(pairs) != list(PAIR_NAMES):
            raise BadInput(where, "pairs", "expected every pair of the features, in their order (a x b)")
        return cls([feats[n]["mean"] for n in NAMES], [feats[n]["scale"] for n in NAMES],
                   [feats[n]["coef"] for n in NAMES], doc["intercept"], doc.get("nights", []),
                   None if pairs is None else [pairs[n]["coef"] for n in PAIR_NAMES],
                   None if pairs is None else [pairs[n]["mean"] for n in PAIR_NAMES])


_LOADED: dict[str, Weights] = {}


def _night_texts(name: str) -> tuple[tuple[str, ...], np.ndarray] | None:
    """A labelled queue's ticket texts and whether each is about an outage (its truth), by the queue's name: a
    labelled night ("held-out 12": ``data/tickets/heldout12``) or a course queue ("course stale-index (seed 1)":
    ``data/tickets/stale-index.jsonl``); None for any other name."""
    from ..paths import DATA_DIR

    where = DATA_DIR / "tickets"
    if name.startswith("held-out"):
        folder = where / name.replace("-", "").replace(" ", "")
        tickets, truth = folder / "tickets.jsonl", folder / "truth.jsonl"
    elif name.startswith("course "):
        tickets = where / f"{name.split()[1]}.jsonl"
        truth = tickets.with_suffix(".truth.jsonl")
    else:
        return None
    return _read_queue(tickets, truth) if truth.is_file() and tickets.is_file() else None


@functools.lru_cache(maxsize=None)
def _read_queue(tickets: Path, truth: Path) -> tuple[tuple[str, ...], np.ndarray]:
    read, about = load_tickets(tickets, warn=lambda line: None), load_truth(truth)     # tiers do not matter here
    return tuple(t.text for t in read), np.array([float(bool(about.get(t.id, {}).get("about_outage"))) for t in read])


@functools.lru_cache(maxsize=256)         # each queue's tickets, read for every model fitted on it
def _hashed(texts: tuple[str, ...]):
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=TEXT_FEATURES,
                             alternate_sign=False, norm=None).transform(texts)


def on_one_thread(fitting):
    """Run ``fitting`` on one BLAS thread (threadpoolctl): the same weights on a laptop of many cores as on two, and
    faster here too: leaving one night out on three nights took 18.9 s on two threads (35.5 s of CPU) and 10.7 s on
    one, with the same figures, and two threads per process oversubscribe ``make test``'s two workers."""
    @functools.wraps(fitting)
    def wrapper(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fitting(*args, **kwargs)

    return wrapper


@functools.lru_cache(maxsize=TEXT_FOLDS + 1)      # a fit's folds and the model of all its nights
@on_one_thread
def text_model(nights: tuple[str, ...]):
    """The text model fitted on the labelled queues among ``nights`` (TF-IDF of hashed character 2-5-grams, then a
    logistic regression: scikit-learn, lbfgs, deterministic): a function of ticket texts to probabilities, or None
    when none of ``nights`` is a labelled queue (``_night_texts``)."""
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    read = [r for r in map(_night_texts, nights) if r is not None]
    if not read or len({y for _, ys in read for y in ys}) < 2:
        return None
    counts = sp.vstack([_hashed(texts) for texts, _ in read]).tocsr()
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    model = LogisticRegression(C=C, max_iter=5000).fit(tfidf.transform(counts), np.concatenate([y for _, y in read]))
    return lambda texts: model.predict_proba(tfidf.transform(_hashed(texts)))[:, 1]


# Leaving one night out scores every other night's queue with models that never read it, once with the pairs and
# once without (the same text models: only the last fit differs); kept for all of one pass (nights x nights), the
# second pass reads them back instead of fitting every text model again.
@functools.lru_cache(maxsize=16384)
def text_scores(nights: tuple[str, ...], texts: tuple[str, ...]) -> np.ndarray:
    """``text_model(nights)``'s probability for each text, to four places (0 for each without a model)."""
    model = text_model(nights) if texts else None
    return np.zeros(len(texts)) if model is None else np.round(model(texts), 4)


def cross_fitted(nights: dict[str, tuple], names: list[str]) -> dict[str, np.ndarray]:
    """Each queue's signals with "reads like the outage reports", where ``pairs`` left it unscored, scored by a text
    model that never read the queue: the labelled queues among ``names`` cut into ``TEXT_FOLDS`` groups in turn,
    each scored by the model of the others; any other queue by the model of them all. A queue given without its
    tickets (a matrix and labels only) gets 0 there; a value already set (``fit_linker.without``) is kept."""
    col = NAMES.index("reads_like_reports")
    labelled = [n for n in names if _night_texts(n) is not None]
    fold = {n: i % TEXT_FOLDS for i, n in enumerate(labelled)}
    out = {}
    for n in sorted(names, key=lambda n: fold.get(n, TEXT_FOLDS)):      # a fold's nights together: one model each
        X = nights[n][0]
        if not np.isnan(X[:, col]).any():
            out[n] = X
            continue
        X = X.copy()
        if len(nights[n]) < 4:
            X[:, col] = np.nan_to_num(X[:, col])
        else:
            first, keys = nights[n][2], nights[n][3]
            train = tuple(m for m in labelled if n not in fold or fold[m] != fold[n])
            like = text_scores(train, tuple(t.text for t in first.tickets))
            X[:, col] = [like[k] for k, _ in keys]
        out[n] = X
    return out


def load_weights(path: Path | None = None) -> Weights:
    path = Path(path) if path else _weights_path()
    key = str(path)
    if key not in _LOADED:
        _LOADED[key] = Weights.from_json(path.read_text(), str(path))
    return _LOADED[key]


def labels(first, incidents: list[IncidentInfo], truth: dict[str, dict], keys) -> np.ndarray:
    """1 for a pair whose incident is the one the truth links the ticket to, else 0."""
    want = {tid: row.get("incident") for tid, row in truth.items() if row.get("about_outage")}
    return np.array([float(want.get(first.tickets[k].id) == incidents[j].id) for k, j in keys])


@on_one_thread
def fit(nights: dict[str, tuple[np.ndarray, np.ndarray]], names: list[str], paired: bool = PAIRED) -> Weights:
    """Logistic regression (scikit-learn, lbfgs: deterministic) on the standardised signals of the given nights
    (``paired``: and the products of every pair of them, ``PAIRS``, regularised by ``C_PAIRS``)."""
    from sklearn.linear_model import LogisticRegression

    fitted = cross_fitted(nights, names)
    X = np.vstack([fitted[n] for n in names])
    y = np.concatenate([nights[n][1] for n in names])
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    z = (X - mean) / scale
    if not paired:
        model = LogisticRegression(C=C, max_iter=5000).fit(z, y)
        return Weights(mean, scale, model.coef_[0], model.intercept_[0], names)
    products = z[:, _I] * z[:, _J]
    model = LogisticRegression(C=C_PAIRS, max_iter=5000).fit(np.hstack([z, products]), y)
    coef = model.coef_[0]
    return Weights(mean, scale, coef[:len(NAMES)], model.intercept_[0], names, coef[len(NAMES):],
                   products.mean(axis=0))


def decide(weights: Weights, X: np.ndarray, keys) -> dict[int, tuple[int, float]]:
    """ticket index -> (incident index, probability) of the likeliest incident at or above ``THRESHOLD``."""
    best: dict[int, tuple[int, float]] = {}
    if not len(keys):
        return best
    for (k, j), p in zip(keys, weights.probability(X)):
        if p >= THRESHOLD and (k not in best or p > best[k][1]):
            best[k] = (j, float(p))
    return best


def _why(weights: Weights, x: np.ndarray, sign: int) -> str:
    """The three signals that moved this pair's log-odds most in the direction of the decision (``sign`` +1: towards
    linking), each said as the pair has it ("is written in another language") with its push."""
    contrib = weights.contributions(x) * sign
    top = [i for i in np.argsort(-contrib, kind="stable")[:3] if contrib[i] > 0]
    return ", ".join(f"{SAYS[NAMES[i]][0 if x[i] > weights.mean[i] else 1]} ({sign * contrib[i]:+.1f})" for i in top)


def choose(first, incidents: list[IncidentInfo], weights: Weights | None = None) -> None:
    """Replace the rules' link of each ticket by the learned weights' choice (``first.seen`` changed in place),
    with the reason: the probability and the signals that weighed most. A ticket the weights leave where the rules
    put it keeps the rules' reason."""
    weights = weights or load_weights()
    X, keys = pairs(first, incidents, tuple(weights.nights))
    best = decide(weights, X, keys)
    row_of = {key: i for i, key in enumerate(keys)}
    for k, d in enumerate(first.seen):
        choice = incidents[best[k][0]] if k in best else None
        if choice is d["linked"]:
            continue
        if choice is not None:
            p = best[k][1]
            x = X[row_of[(k, best[k][0])]]
            d["why_link"] = (f"linked to {choice.id} by the learned weights (p {p:.2f}): "
                             + _why(weights, x, +1))
            d["linked"], d["failure"] = choice, True
            d["why_kind"] = d["why_link"].split(": ", 1)[1]
        else:
            was = d["linked"]
            x = X[row_of[(k, incidents.index(was))]]
            p = float(weights.probability(x[None, :])[0])
            d["linked"] = None
            d["failure"], d["why_kind"] = d["read_as"]["failure"], d["read_as"]["why_kind"]
            d["why_link"] = (f"not linked: the learned weights give {was.id} p {p:.2f}, below {THRESHOLD} ("
                             + _why(weights, x, -1) + ")")

"""Triage's learned linker (oncall/support_desk/learned.py): the rules' decision one signal among others, weighed
by a logistic regression fitted on the labelled nights. Its mechanics with weights of this file's own, the shipped
weights' provenance (a refit gives them), and the command line."""
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from oncall.errors import BadInput
from oncall.paths import DATA_DIR
from oncall.support_desk import learned
from oncall.support_desk import triage as tr
from oncall.support_desk.rules import first_pass

ROOT = DATA_DIR.parent
UTC = timezone.utc
OPEN = datetime(2026, 9, 14, 1, 10, tzinfo=UTC)
WALLET = tr.IncidentInfo("INC-61", OPEN, OPEN + timedelta(minutes=70), ("wallet",), ("api", "ledger"),
                         "WalletTopUpsRejected: more than 30% of wallet top-ups rejected on wallet-api-2", "critical")
CHAT = tr.IncidentInfo("INC-62", OPEN + timedelta(hours=3), OPEN + timedelta(hours=4), ("support-assistant",),
                       ("gateway",), "ChatSessionsDropped: sessions dropped mid-conversation on gateway-2", "page")
ALL = [WALLET, CHAT]
TEXTS = [(20, "wallet top up keeps bouncing back, is my money gone??"),
         (25, "how do I change my delivery address?"),
         (200, "Der Chat bricht jede Sitzung ab, immer wieder"),
         (900, "the chat was fine all day, thanks")]


def queue():
    return [tr.Ticket(f"S{i}", OPEN + timedelta(minutes=m), text, None) for i, (m, text) in enumerate(TEXTS)]


def flat(intercept: float, **coefs) -> learned.Weights:
    n = len(learned.NAMES)
    coef = np.array([coefs.get(name, 0.0) for name in learned.NAMES])
    return learned.Weights(np.zeros(n), np.ones(n), coef, intercept, ["made up"])


def test_pairs_are_the_incidents_whose_time_fits_each_ticket():
    first = first_pass(queue(), ALL)
    X, keys = learned.pairs(first, ALL)
    assert X.shape == (len(keys), len(learned.NAMES))
    assert sorted(keys) == [(0, 0), (1, 0), (2, 1)]          # nine hours later: no incident's time fits
    row = dict(zip(learned.NAMES, X[keys.index((2, 1))]))
    assert row["names_service"] == 1 and row["foreign_names"] == 1 and row["foreign_trouble"] == 1 and row["open_now"] == 1
    assert dict(zip(learned.NAMES, X[keys.index((0, 0))]))["rules_link"] == 1


def test_word_burst_counts_words_many_others_wrote_only_while_the_incident_was_open():
    """Four customers write "instructions" and "booklet" during the wallet incident and nowhere else in the queue:
    those words burst; "order", as common before the incident as during it, does not."""
    texts = [(-300 - 20 * k, f"order {k} late, where is it") for k in range(6)] + [
             (-300, "where is my order, it is late"), (-250, "order history is empty"), (-200, "order question"),
             (5, "instructions booklet wrong for my order"), (10, "wrong instructions booklet in the parcel"),
             (15, "instructions booklet is for another product"), (20, "booklet instructions do not match, order 55"),
             (30, "my order arrived, thanks"), (40, "order number please?"), (45, "question about my order")]
    tickets = [tr.Ticket(f"B{i}", OPEN + timedelta(minutes=m), text, None) for i, (m, text) in enumerate(texts)]
    first = first_pass(tickets, [WALLET])
    burst = learned._word_bursts(first.tickets, first.seen, [WALLET])[0]
    assert burst[9:13] == [2 / 3] * 4                      # "instruction(s)" and "booklet": two of at most three
    assert burst[:9] == [0.0] * 9 and burst[13:] == [0.0] * 3   # before it opened, or only "order" and "thanks"
    X, keys = learned.pairs(first, [WALLET])
    col = learned.NAMES.index("word_burst")
    assert X[keys.index((10, 0)), col] == 2 / 3 and X[keys.index((14, 0)), col] == 0.0


@pytest.mark.parametrize("text, quotes", [
    ('it says "Sorry, something went wrong" after every message', True),
    ("注文すると『ご注文金額がオンライン注文の上限を超えています』と出ます", True),
    ("名前が「有効なお名前を入力してください」となって進めません", True),
    ("przy „Złóż zamówienie”: „Zamówienie przekracza maksymalną wartość”", True),
    ("« Veuillez saisir un nom valide » à chaque fois", True),
    ("누르면 '주문 금액이 온라인 주문 최대 금액을 초과합니다'라고 나와요", True),
    ("I don't know why it's slow, it's been like this, isn't it odd", False),   # apostrophes, not quotes
    ('he said "ok" and left', False),                                             # too short to be a message
    ("the chat is broken again tonight", False),
])
def test_a_ticket_that_quotes_what_it_was_shown_has_the_quotes_signal(text, quotes):
    ticket = tr.Ticket("Q1", OPEN + timedelta(minutes=5), text, None)
    first = first_pass([ticket], ALL)
    X, keys = learned.pairs(first, ALL)
    assert keys and X[keys.index((0, 0)), learned.NAMES.index("quotes")] == float(quotes)


def test_weights_that_link_nothing_unlink_what_the_rules_linked_and_say_why():
    out = tr.triage_tickets(queue(), ALL, linker="learned", weights=flat(-10.0))
    assert [t.linked_incident for t in out] == [None] * 4
    said = out[0].reasons["link"]
    assert said.startswith(f"not linked: the learned weights give INC-61 p 0.00, below {learned.THRESHOLD}")
    alone = tr.triage_tickets(queue(), [])          # read as the rules read it with no incident at all
    assert [t.category for t in out] == [t.category for t in alone]


def test_weights_that_link_every_fitting_pair_link_it_with_the_signals_that_weighed_most():
    out = tr.triage_tickets(queue(), ALL, linker="learned", weights=flat(0.0, open_now=5.0, trouble=1.0))
    assert [t.linked_incident for t in out] == ["INC-61", "INC-61", "INC-62", None]
    why = out[1].reasons["link"]
    assert why.startswith("linked to INC-61 by the learned weights (p 0.99)") and "was written before it resolved" in why
    assert out[1].category == "outage" and out[1].team == "on-call"


def test_the_rules_choice_kept_keeps_the_rules_reason():
    rules = tr.triage_tickets(queue(), ALL)
    same = tr.triage_tickets(queue(), ALL, linker="learned", weights=flat(-10.0, rules_link=20.0))
    assert [(t.linked_incident, t.reasons) for t in same] == [(t.linked_incident, t.reasons) for t in rules]


def test_the_rules_linker_is_the_default_and_an_unknown_one_is_refused():
    assert [t.reasons for t in tr.triage_tickets(queue(), ALL)] == \
        [t.reasons for t in tr.triage_tickets(queue(), ALL, linker="rules")]
    with pytest.raises(ValueError, match="linker"):
        tr.triage_tickets(queue(), ALL, linker="magic")


def test_the_same_queue_gives_the_same_decisions():
    a = tr.triage_tickets(queue(), ALL, linker="learned")
    b = tr.triage_tickets(queue(), ALL, linker="learned")
    assert [(t.linked_incident, t.priority, t.reasons) for t in a] == [(t.linked_incident, t.priority, t.reasons)
                                                                      for t in b]


def test_a_weights_file_with_other_features_is_refused_by_name(tmp_path):
    doc = json.loads((DATA_DIR / "tickets" / learned.WEIGHTS_FILE).read_text())
    doc["features"].pop("burst")
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        learned.load_weights(bad)
    assert str(bad) in str(exc.value) and "features" in str(exc.value)


def test_the_shipped_weights_come_from_their_nights():
    doc = json.loads((DATA_DIR / "tickets" / learned.WEIGHTS_FILE).read_text())
    from oncall.support_desk import evaluation as ev
    assert doc["nights"] == [n for n, _, _ in ev.NIGHTS] + ["course bad-deploy (seed 1)", "course stale-index (seed 1)"]
    assert list(doc["features"]) == list(learned.NAMES) and doc["threshold"] == learned.THRESHOLD
    assert not {n for n, _, _ in ev.UNTOUCHED} & set(doc["nights"])     # the untouched night is not learned from


@pytest.mark.slow   # every labelled queue read and the weights fitted again (about 10 s)
def test_a_refit_gives_the_shipped_weights():
    done = subprocess.run([sys.executable, "benchmarks/fit_linker.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_what_a_signal_is_worth_is_asked_by_a_name_it_knows():
    done = subprocess.run([sys.executable, "benchmarks/fit_linker.py", "--worth", "slo_burn"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()] and "--worth: expected one of" in done.stderr
    assert "slo_burns" in done.stderr and "got 'slo_burn'" in done.stderr


def test_a_signal_set_to_zero_is_a_signal_the_fit_does_not_have():
    """``fit_linker.without``: weights fitted with one signal at 0 everywhere give it no weight, and decide every
    pair as weights fitted without it would (its column carries nothing)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("fit_linker", ROOT / "benchmarks" / "fit_linker.py")
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    X, keys = learned.pairs(first_pass(queue(), ALL), ALL)
    y = np.array([1.0 if (k, j) in {(0, 0), (2, 1)} else 0.0 for k, j in keys])
    data = {"made up": (X, y)}
    col = learned.NAMES.index("how_to")
    assert X[:, col].std() > 0                                  # it tells the pairs apart here
    plain = fit.without(data, "how_to")
    assert not plain["made up"][0][:, col].any() and data["made up"][0][:, col].any()   # the input is left alone
    w = learned.fit(plain, ["made up"], paired=False)
    assert w.coef[col] == 0.0 and learned.fit(data, ["made up"], paired=False).coef[col] != 0.0


def test_the_command_line_takes_the_learned_linker(oncall_cli):
    folder = DATA_DIR / "tickets" / "heldout10"
    run = ["triage", folder / "tickets.jsonl", "--storm", folder / "storm.jsonl", "--json"]
    rules, mine = (oncall_cli(args) for args in (run, run + ["--linker", "learned"]))
    assert rules.returncode == mine.returncode == 0, (rules.stderr, mine.stderr)
    links = lambda done: {t["id"]: t["linked_incident"] for t in json.loads(done.stdout)["tickets"]}  # noqa: E731
    assert links(rules) != links(mine) and sum(v is not None for v in links(mine).values()) > \
        sum(v is not None for v in links(rules).values())
    bad = oncall_cli(run + ["--linker", "magic"])
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr


def test_a_reason_says_each_signal_as_the_ticket_has_it():
    weights = learned.Weights(np.full(len(learned.NAMES), 0.5), np.ones(len(learned.NAMES)),
                              np.array([3.0 if n == "foreign_names" else 0.0 for n in learned.NAMES]), 0.0, ["made up"])
    tickets = queue()
    tickets[2] = tr.Ticket("S2", OPEN + timedelta(minutes=200), "Der Chat ist heute so komisch", None)
    assert tr.triage_tickets(tickets, ALL)[2].linked_incident is None          # the rules leave it
    out = tr.triage_tickets(tickets, ALL, linker="learned", weights=weights)
    german = out[2]
    assert german.linked_incident == "INC-62"
    assert "in another language, names the failing service (+1.5)" in german.reasons["link"], german.reasons
    assert "not linked: the learned weights give INC-61 p 0.18" in out[0].reasons["link"]
    assert "is not a foreign ticket naming it (-1.5)" in out[0].reasons["link"], out[0].reasons


def test_a_pair_of_signals_has_a_weight_of_its_own_and_each_signal_gets_half_of_its_part():
    n = len(learned.NAMES)
    a, b = learned.NAMES.index("asks"), learned.NAMES.index("open_now")
    pair = learned.PAIRS.index((min(a, b), max(a, b)))
    pair_coef = np.zeros(len(learned.PAIRS))
    pair_coef[pair] = 2.0
    weights = learned.Weights(np.zeros(n), np.ones(n), np.zeros(n), -1.0, ["made up"], pair_coef,
                              np.full(len(learned.PAIRS), 0.25))
    x = np.zeros((4, n))
    x[1, a] = x[2, b] = 1.0
    x[3, [a, b]] = 1.0
    # only both together move the log-odds: a question written while the incident is open
    assert np.allclose(weights.logit(x), [-1.0, -1.0, -1.0, 1.0])
    both = weights.contributions(x[3])
    assert both[a] == both[b] == pytest.approx((1.0 - 0.25) * 2.0 / 2)       # from an average pair's product, halved
    # the contributions add up to the log-odds less an average pair's
    for row in x:
        average = weights.intercept + weights.pair_mean @ weights.pair_coef
        assert weights.contributions(row).sum() == pytest.approx(weights.logit(row[None, :])[0] - average)


def test_the_shipped_weights_have_pairs_and_both_kinds_of_fit_round_trip(tmp_path):
    shipped = learned.load_weights()
    assert learned.PAIRED and len(shipped.pair_coef) == len(learned.PAIRS)
    assert json.loads(shipped.to_json())["C"] == learned.C_PAIRS
    plain = learned.Weights(shipped.mean, shipped.scale, shipped.coef, shipped.intercept, ["made up"])
    doc = json.loads(plain.to_json())
    assert "pairs" not in doc and doc["C"] == learned.C
    assert learned.Weights.from_json(plain.to_json()).pair_coef is None
    rng = np.random.default_rng(0)
    n = len(learned.NAMES)
    paired = learned.Weights(rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n), -1.0, ["made up"],
                             rng.normal(size=len(learned.PAIRS)), rng.normal(size=len(learned.PAIRS)))
    again = learned.Weights.from_json(paired.to_json())
    X = rng.normal(size=(5, n))
    assert np.allclose(again.probability(X), paired.probability(X), atol=1e-4)
    assert json.loads(paired.to_json())["C"] == learned.C_PAIRS
    doc = json.loads(paired.to_json())
    doc["pairs"].pop(learned.PAIR_NAMES[3])
    bad = tmp_path / "weights.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as exc:
        learned.load_weights(bad)
    assert str(bad) in str(exc.value) and "pairs" in str(exc.value)


def test_a_fit_weighs_pairs_of_signals_only_when_asked():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 2, size=(200, len(learned.NAMES))).astype(float)
    a, b = learned.NAMES.index("asks"), learned.NAMES.index("open_now")
    y = (X[:, a] * X[:, b]).astype(float)               # linked only when both: a pair's weight says it best
    nights = {"one": (X[:100], y[:100]), "two": (X[100:], y[100:])}
    plain = learned.fit(nights, ["one", "two"], paired=False)
    paired = learned.fit(nights, ["one", "two"], paired=True)
    assert plain.pair_coef is None and len(paired.pair_coef) == len(learned.PAIRS)
    pair = learned.PAIRS.index((min(a, b), max(a, b)))
    assert np.argmax(paired.pair_coef) == pair
    wrong = lambda w: int(((w.probability(X) >= 0.5) != (y == 1)).sum())      # noqa: E731
    assert wrong(paired) <= wrong(plain)


def _nights(*numbers):
    from oncall.support_desk import evaluation as ev
    return {f"held-out {k}": ev.night(DATA_DIR / "tickets" / f"heldout{k}") for k in numbers}


def test_reads_like_reports_is_scored_by_a_text_model_that_never_read_the_night(monkeypatch):
    """The text signal of each night the weights learn from comes from a text model fitted without that night
    (cross-fitting), and a night triaged by weights fitted without it is scored by a model of their nights only."""
    from oncall.support_desk import evaluation as ev
    data = _nights(2, 3, 4, 5, 6, 7)
    calls = []
    real = learned.text_scores
    monkeypatch.setattr(learned, "text_scores",
                        lambda nights, texts: calls.append((nights, texts)) or real(nights, texts))
    names = list(data)
    weights = learned.fit(data, names, paired=False)
    scored = {texts: nights for nights, texts in calls}
    col = learned.NAMES.index("reads_like_reports")
    for name in names:
        read_by = scored[tuple(t.text for t in data[name][2].tickets)]
        assert name not in read_by and len(read_by) >= len(names) - 2, (name, read_by)
    assert set().union(*scored.values()) == set(names)
    assert weights.coef[col] > 0 and np.isnan(data["held-out 2"][0][:, col]).all()     # the input is left alone
    calls.clear()
    ev.heldout(DATA_DIR / "tickets" / "heldout8", linker="learned", weights=weights)
    assert [nights for nights, _ in calls] == [tuple(names)]


def test_the_text_model_tells_outage_reports_apart_on_a_night_it_never_read():
    from scipy.stats import mannwhitneyu
    texts, about = learned._night_texts("held-out 20")
    scores = learned.text_scores(tuple(f"held-out {k}" for k in range(2, 12)), texts)
    auc = mannwhitneyu(scores[about == 1], scores[about == 0]).statistic / (about.sum() * (1 - about).sum())
    assert auc > 0.8, auc
    assert not learned.text_scores(("made up", "course no-such-scenario (seed 1)"), texts).any()   # none labelled: 0


def test_a_text_signal_set_to_zero_is_not_scored_again():
    """``fit_linker.without`` works for the text signal too: the fit keeps the zeros it is given."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("fit_linker", ROOT / "benchmarks" / "fit_linker.py")
    fit = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fit)
    data = _nights(2, 3, 4)
    col = learned.NAMES.index("reads_like_reports")
    assert learned.fit(data, list(data), paired=False).coef[col] != 0.0
    assert learned.fit(fit.without(data, "reads_like_reports"), list(data), paired=False).coef[col] == 0.0


def test_the_notebook_counts_the_signals_the_linker_measures():
    """02_triage says how many signals the learned linker measures: as many as it has."""
    import re
    nb = json.loads((ROOT / "notebooks" / "02_triage.ipynb").read_text())
    text = " ".join(" ".join("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown")
    said = re.findall(r"`oncall\.support_desk\.learned` measures (\d+) of them", text)
    assert said == [str(len(learned.NAMES))], said

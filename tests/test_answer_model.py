"""The answer model (M27): one chance of a right answer for the live quality counts and the eval answers."""
import numpy as np
import pandas as pd
import pytest

from oncall.evals.harness import golden_cases, run_eval
from oncall.scenario import load_scenario
from oncall.service import agent, answer_model
from oncall.service import simulate as sim
from oncall.service.answer_model import INTENTS, Sample, live_p_correct, p_correct
from oncall.service.catalog import load_catalog


@pytest.fixture(scope="module")
def sc():
    return load_scenario("bad-deploy")


def _release(sc, **over):
    return sc.releases.last_good.model_copy(update=over)


@pytest.mark.parametrize("prompt", ["support-v7", "support-v8", "support-v8-terse", "support-v9-lean"])
def test_live_chance_is_the_traffic_mean_of_the_per_intent_chances(sc, prompt):
    catalog = load_catalog()
    rel = _release(sc, prompt=prompt)
    mean = sum(catalog.intent_mix[i] * p_correct(rel, i, 0.0, catalog) for i in INTENTS)
    want = catalog.models[rel.model].quality + catalog.prompts[prompt].quality_delta
    assert live_p_correct(rel, catalog) == pytest.approx(mean, abs=1e-12) == pytest.approx(want, abs=1e-12)


def test_dropping_retrieval_hurts_knowledge_answers_only(sc):
    catalog = load_catalog()
    lean = _release(sc, prompt="support-v9-lean")
    assert p_correct(lean, "kb_question", 0, catalog) < 0.1
    assert p_correct(lean, "order_lookup", 0, catalog) == catalog.models[lean.model].quality
    terse = _release(sc, prompt="support-v8-terse")
    assert len({p_correct(terse, i, 0, catalog) for i in INTENTS}) == 1


def test_harder_questions_are_answered_right_less_often(sc):
    catalog = load_catalog()
    rel = _release(sc, prompt="support-v8-terse")
    ps = [p_correct(rel, "kb_question", d, catalog) for d in (-1, -0.5, 0, 0.5, 1)]
    assert ps == sorted(ps, reverse=True) and 0 <= ps[-1] and ps[0] <= 1
    with pytest.raises(ValueError, match="difficulty"):
        p_correct(rel, "kb_question", 1.5, catalog)


def test_sampled_answers_vary_across_samples_and_repeat_per_seed_release_case_sample(sc):
    terse = _release(sc, prompt="support-v8-terse", version="t")
    q = "How long does standard shipping take?"
    texts = [agent.answer(q, terse, sample=Sample(1, "c", i)).text for i in range(60)]
    assert len(set(texts)) == 2                     # right and wrong both drawn
    again = [agent.answer(q, terse, sample=Sample(1, "c", i)).text for i in range(60)]
    assert texts == again
    other = [agent.answer(q, terse.model_copy(update={"version": "u"}), sample=Sample(1, "c", i)).text
             for i in range(60)]
    assert other != texts                           # another release draws its own answers
    share = np.mean([t == "Standard shipping takes 3 to 5 business days." for t in texts])
    assert 0.6 < share < 0.95


def test_greedy_answers_are_the_most_likely_answer(sc):
    """Without a sample the assistant decodes greedily: the terse prompt (p about 0.78) answers every golden case
    right, which is why a greedy eval cannot see it and the gate samples."""
    terse = _release(sc, prompt="support-v8-terse")
    assert run_eval(golden_cases(), terse).pass_rate == run_eval(golden_cases(), sc.releases.last_good).pass_rate
    lean = _release(sc, prompt="support-v9-lean")
    assert agent.answer("How long does standard shipping take?", lean).text == agent.NO_CONTEXT_TEXT


def test_wrong_answers_keep_the_tool_call(sc):
    rel = _release(sc, prompt="support-v8-terse", version="t")
    answers = [agent.answer("Where is order A1002?", rel, sample=Sample(3, "x", i, 1.0)) for i in range(40)]
    assert {a.text for a in answers} == {"Order A1002 is shipped.", "Order A1002 is processing."}
    assert all(a.tool_call == {"tool": "lookup_order", "arguments": {"order_id": "A1002"}} for a in answers)


def test_simulate_draws_the_correct_counts_with_the_answer_model(sc, monkeypatch):
    good = sc.releases.last_good
    plan = sim.ServingPlan(releases={good.version: good}, changes=[(0, {good.version: 1.0})])
    short = sc.model_copy(update={"shift": sc.shift.model_copy(update={"length_h": 1})})
    before = sim.simulate(short, plan, 1)
    assert before["correct"].sum() > 0.9 * (before["graded"] - before["stale_answers"]).sum()
    monkeypatch.setattr(sim, "live_p_correct", lambda release, catalog: 0.5)
    half = sim.simulate(short, plan, 1)
    ratio = half["correct"].sum() / (half["graded"] - half["stale_answers"]).sum()
    assert 0.35 < ratio < 0.65
    pd.testing.assert_series_equal(half["graded"], before["graded"])   # only the correct draw moved


def test_answer_model_is_the_agents(sc, monkeypatch):
    calls = []
    real = answer_model.p_correct

    def spy(*a, **kw):
        calls.append(a[1])
        return real(*a, **kw)
    monkeypatch.setattr(answer_model, "p_correct", spy)
    agent.answer("Where is order A1002?", sc.releases.last_good, sample=Sample(0, "x"))
    assert calls == ["order_lookup"]

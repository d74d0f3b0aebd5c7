"""The grader that errs, measured (M26): the LLM judge's stated rates, its deterministic verdicts, the quality
SLI read through it, the calibration set, kappa, sensitivity and specificity, and the Rogan-Gladen correction
with its bootstrap interval."""
import json

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from oncall.commands import eval_command
from oncall.errors import BadInput
from oncall.evals import judge as J
from oncall.scenario import load_scenario
from oncall.service import simulate as sim
from oncall.service.answer_model import draw, live_p_correct
from oncall.service.catalog import load_catalog
from oncall.service.judge import JudgeModel, judge_draw


@pytest.fixture(scope="module")
def judge():
    return load_catalog().judge


def test_the_judge_states_its_error_rates_in_the_service_catalog(judge):
    assert (judge.false_pass, judge.false_fail) == (0.12, 0.015)
    assert judge.sensitivity == pytest.approx(0.985) and judge.specificity == pytest.approx(0.88)
    assert judge.expected_pass_rate(1.0) == pytest.approx(0.985)
    assert judge.expected_pass_rate(0.0) == pytest.approx(0.12)


def test_verdicts_are_deterministic_and_err_at_the_stated_rates(judge):
    n = 20000
    passes_right = sum(judge.verdict(True, 7, "2026.11.4", f"c{i}", i % 3) for i in range(n))
    passes_wrong = sum(judge.verdict(False, 7, "2026.11.4", f"c{i}", i % 3) for i in range(n))
    # binomial sd: false fail sqrt(.015*.985/20000) = 0.00086; false pass 0.0023; 4 sd either side
    assert abs(1 - passes_right / n - judge.false_fail) < 0.0035
    assert abs(passes_wrong / n - judge.false_pass) < 0.0092
    again = [judge.verdict(True, 7, "2026.11.4", f"c{i}", 0) for i in range(200)]
    assert again == [judge.verdict(True, 7, "2026.11.4", f"c{i}", 0) for i in range(200)]


def test_the_judges_draw_is_not_the_answers_draw():
    pairs = [(draw(1, "r", f"c{i}", 0), judge_draw(1, "r", f"c{i}", 0)) for i in range(2000)]
    assert all(a != b for a, b in pairs)
    assert abs(np.corrcoef(np.array(pairs).T)[0, 1]) < 0.08


def test_the_live_quality_sli_counts_what_the_judge_passes():
    sc = load_scenario("bad-deploy")
    good = sc.releases.last_good
    plan = sim.ServingPlan(releases={good.version: good}, changes=[(0, {good.version: 1.0})])
    frame = sim.simulate(sc, plan, 3)
    graded, correct = int(frame["graded"].sum()), int(frame["correct"].sum())
    judge = load_catalog().judge
    want = judge.expected_pass_rate(live_p_correct(good, load_catalog()))
    sd = (want * (1 - want) / graded) ** 0.5
    assert abs(correct / graded - want) < 4 * sd
    # a perfect judge would count the true share (0.98); this one counts fewer: its false fails outweigh
    assert correct / graded < live_p_correct(good, load_catalog()) - 4 * sd
    assert (frame["correct"] <= frame["graded"]).all()


def test_a_perfect_judge_counts_the_truth():
    perfect = JudgeModel(false_pass=0.0, false_fail=0.0)
    rng = np.random.default_rng(0)
    right, wrong = rng.integers(0, 50, 100), rng.integers(0, 5, 100)
    assert (perfect.judged_correct(right, wrong, rng, rng) == right).all()


def test_the_calibration_set_is_hand_labelled_with_both_labels():
    items = J.load_calibration()
    assert 60 <= len(items) <= 100
    right = sum(i.right for i in items)
    assert 0.35 < right / len(items) < 0.65
    assert len({(i.question, i.answer) for i in items}) == len(items)
    # every golden intent is there: refunds, lookups, and each help article
    ids = " ".join(i.id for i in items)
    for word in ("refund-a", "lookup-", "kb-refund", "kb-warranty", "kb-shipping", "kb-password", "kb-payment"):
        assert word in ids


@pytest.mark.parametrize("line, field", [('{"id": "x", "question": "q", "reference": "r", "answer": "a", '
                                          '"label": "maybe"}', "label"),
                                         ('{"id": "x", "question": "q", "reference": "r", "label": "pass"}', "answer"),
                                         ("not json", None)])
def test_a_bad_calibration_line_names_file_line_and_field(tmp_path, line, field):
    path = tmp_path / "cal.jsonl"
    good = '{"id": "a", "question": "q", "reference": "r", "answer": "a", "label": "pass"}'
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        J.load_calibration(path)
    assert exc.value.where.endswith("cal.jsonl:2")
    assert exc.value.field == field


def test_kappa_sensitivity_and_specificity_on_the_calibration_set(judge):
    cal = J.calibrate(judge, seed=0)
    t, j = np.array(cal.truth), np.array(cal.judged)
    assert cal.kappa == pytest.approx(cohen_kappa_score(t, j))
    assert cal.sensitivity == pytest.approx((j & t).sum() / t.sum())
    assert cal.specificity == pytest.approx((~j & ~t).sum() / (~t).sum())
    assert len(cal.disagreements) == int((t != j).sum()) > 0
    assert J.calibrate(judge, seed=0) == cal
    perfect = J.calibrate(JudgeModel(false_pass=0.0, false_fail=0.0))
    assert (perfect.kappa, perfect.sensitivity, perfect.specificity) == (1.0, 1.0, 1.0)


def test_rogan_gladen_inverts_the_judges_expected_rate():
    for p in (0.0, 0.3, 0.78, 0.97, 1.0):
        for sens, spec in ((0.985, 0.88), (0.9, 0.7)):
            p_obs = p * sens + (1 - p) * (1 - spec)
            assert J.rogan_gladen(p_obs, sens, spec) == pytest.approx(p)
    assert J.rogan_gladen(0.99, 0.9, 0.9) == 1.0 and J.rogan_gladen(0.01, 0.9, 0.9) == 0.0
    assert np.isnan(J.rogan_gladen(0.5, 0.5, 0.5))


def test_the_corrected_interval_carries_the_calibrations_uncertainty(judge):
    cal = J.calibrate(judge, seed=0)
    c = J.correct_rate(900, 1000, cal)
    assert c.ci_low < c.corrected < c.ci_high
    # the calibration's 72 labels are the wider source: the interval is wider than the judged answers' own
    from oncall.evals.stats import wilson
    lo, hi = wilson(900, 1000)
    assert c.ci_high - c.ci_low > 1.5 * (hi - lo)
    assert J.correct_rate(900, 1000, cal) == c


def test_the_correction_recovers_the_truth_where_the_raw_rate_misses_it(judge):
    """Over 60 seeds of 2000 judged answers truly right at 0.80, each seed's own calibration: the raw judged rate
    is biased (0.80 * 0.985 + 0.2 * 0.12 = 0.812 on average, never containing the truth by luck alone), the corrected
    interval covers 0.80 on most seeds."""
    p, n, covered = 0.80, 2000, 0
    for seed in range(60):
        truth = np.random.default_rng(seed).random(n) < p
        judged = [judge.verdict(bool(t), seed, "r", f"u{i}") for i, t in enumerate(truth)]
        c = J.correct_rate(int(sum(judged)), n, J.calibrate(judge, seed=seed), seed)
        covered += c.ci_low <= p <= c.ci_high
    assert covered >= 54


def test_oncall_eval_judge_reports_raw_and_corrected_rates_keeping_the_keys():
    code, text = eval_command(release="fix", epochs=1, judge=True, as_json=True)
    doc = json.loads(text)
    for key in ("passed", "pass_rate", "ci_low", "ci_high", "epochs", "cases", "flaky_cases", "pass_rate_raw",
                "pass_rate_corrected", "kappa", "sensitivity", "specificity"):
        assert key in doc, key
    j = doc["judge"]
    assert j["calibration_items"] == len(J.load_calibration())
    assert j["corrected_ci_low"] <= doc["pass_rate_corrected"] <= j["corrected_ci_high"]
    assert doc["pass_rate"] == j["pass_rate_exact"] and code == 0
    assert abs(doc["pass_rate_raw"] - doc["pass_rate"]) > 0.001
    code, text = eval_command(release="fix", epochs=1, judge=True)
    assert "kappa" in text and "corrected (Rogan-Gladen)" in text


def test_the_command_line_takes_judge_and_refuses_it_with_promote(oncall_cli):
    r = oncall_cli(["eval", "--release", "fix", "--cases", "golden", "--judge", "--json"])
    doc = json.loads(r.stdout)
    assert r.returncode == 0 and doc["epochs"] == 1 and "pass_rate_corrected" in doc
    r = oncall_cli(["eval", "--promote", "x.yaml", "--judge"])
    assert r.returncode == 2 and "--promote" in r.stderr and r.stderr.count("\n") == 1

"""The eval harness (M26): graders, thresholds, epochs and reducers, the golden set on each release, comparison,
bad case files, the command's verdict and exit status, and promotion (into temporary folders only)."""
import itertools
import json

import pytest

from oncall.commands import eval_command, resolve_release
from oncall.errors import BadInput
from oncall.evals import graders as G
from oncall.evals.harness import Case, compare, load_cases, pass_at_k, promote, run_case, run_eval
from oncall.service.agent import Answer
from oncall.service.catalog import load_catalog

REFUND_CASES = ["refund-eligible-a1001", "refund-eligible-a1005", "refund-not-eligible-a1003"]
LOOKUP_CASES = ["lookup-shipped-a1002", "lookup-processing-a1004", "lookup-unknown-order"]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def golden():
    return load_cases("golden")


def _answer(text="Refunds are accepted within 30 days of delivery.", tool_call=None, error=None,
            latency_ms=1400, tokens=900, **extra):
    return Answer(question="q", intent="kb_question", text=text, release="test", tool_call=tool_call,
                  error=error, latency_ms=latency_ms, tokens=tokens, extra=extra)


def _grader(**spec):
    return Case.model_validate({"id": "t", "version": 1, "question": "q", "graders": [spec]}).graders[0]


GOOD_REFUND = {"tool": "issue_refund", "arguments": {"order_id": "A1001", "amount_cents": 4599}}
BAD_REFUND = {"tool": "issue_refund", "arguments": {"orderId": "A1001", "amountCents": 4599}}


# --- every grader passes and fails where it should ---------------------------------------------------------------

@pytest.mark.parametrize("spec, answer, passed", [
    ({"type": "exact", "value": "Refunds are accepted within 30 days of delivery."}, _answer(), True),
    ({"type": "exact", "value": "Refunds are accepted within 30 days."}, _answer(), False),
    ({"type": "exact", "value": "refunds ARE accepted within 30 days of delivery.", "ignore_case": True}, _answer(), True),
    ({"type": "contains", "value": "30 days"}, _answer(), True),
    ({"type": "contains", "value": "14 days"}, _answer(), False),
    ({"type": "contains", "value": "14 days", "negate": True}, _answer(), True),
    ({"type": "contains", "value": "30 days", "negate": True}, _answer(), False),
    ({"type": "contains", "value": "REFUNDS", "ignore_case": True}, _answer(), True),
    ({"type": "regex", "pattern": r"within \d+ days"}, _answer(), True),
    ({"type": "regex", "pattern": r"^\d+ days"}, _answer(), False),
    ({"type": "no_error"}, _answer(), True),
    ({"type": "no_error"}, _answer(error="tool", tool_error="400 Bad Request"), False),
    ({"type": "latency_ms", "budget": 1400}, _answer(latency_ms=1400), True),
    ({"type": "latency_ms", "budget": 2000}, _answer(latency_ms=3900), False),
    ({"type": "cost", "budget": 1000}, _answer(tokens=900), True),
    ({"type": "cost", "budget": 1000}, _answer(tokens=1400), False),
    ({"type": "tool_call", "tool": "issue_refund"}, _answer(tool_call=GOOD_REFUND), True),
    ({"type": "tool_call", "tool": "issue_refund", "arguments": {"order_id": "A1001", "amount_cents": 4599}},
     _answer(tool_call=GOOD_REFUND), True),
    ({"type": "tool_call", "tool": "issue_refund", "required": ["order_id"]}, _answer(tool_call=GOOD_REFUND), True),
    ({"type": "tool_call", "tool": "issue_refund", "arguments": {"order_id": "A1002"}}, _answer(tool_call=GOOD_REFUND), False),
    ({"type": "tool_call", "tool": "issue_refund"}, _answer(tool_call=BAD_REFUND), False),     # the API rejects it
    ({"type": "tool_call", "tool": "lookup_order"}, _answer(tool_call=GOOD_REFUND), False),    # the wrong tool
    ({"type": "tool_call", "tool": "issue_refund"}, _answer(), False),                         # no call at all
    ({"type": "tool_call", "tool": "issue_refund"},                                            # a missing argument
     _answer(tool_call={"tool": "issue_refund", "arguments": {"order_id": "A1001"}}), False),
])
def test_grader(spec, answer, passed, catalog):
    result = _grader(**spec).grade(answer, catalog)
    assert result.passed is passed, result.detail
    assert result.type == spec["type"] and result.detail


REFUND_SCHEMA = {"type": "object", "required": ["order_id", "amount_cents"], "additionalProperties": False,
                 "properties": {"order_id": {"type": "string", "pattern": "^[A-Z][0-9]{4}$"},
                                "amount_cents": {"type": "integer", "minimum": 1}}}


@pytest.mark.parametrize("use_jsonschema", [True, False], ids=["jsonschema", "subset"])
@pytest.mark.parametrize("arguments, passed", [
    ({"order_id": "A1001", "amount_cents": 4599}, True),
    ({"orderId": "A1001", "amountCents": 4599}, False),
    ({"order_id": "A1001", "amount_cents": "4599"}, False),
    ({"order_id": "A1001", "amount_cents": True}, False),
    ({"order_id": "a-1", "amount_cents": 4599}, False),
    ({"order_id": "A1001", "amount_cents": 0}, False),
    ({"order_id": "A1001"}, False),
])
def test_json_schema_grader(use_jsonschema, arguments, passed, catalog):
    if use_jsonschema:
        pytest.importorskip("jsonschema")
    grader = _grader(type="json_schema", schema=REFUND_SCHEMA)
    result = grader.grade(_answer(tool_call={"tool": "issue_refund", "arguments": arguments}), catalog,
                          use_jsonschema=use_jsonschema)
    assert result.passed is passed, result.detail


def test_json_schema_grader_fails_without_a_tool_call(catalog):
    assert not _grader(type="json_schema", schema=REFUND_SCHEMA).grade(_answer(), catalog).passed


def test_subset_validator_refuses_keywords_it_cannot_honour():
    G.subset_check_schema(REFUND_SCHEMA)
    with pytest.raises(ValueError, match="oneOf"):
        G.subset_check_schema({"oneOf": [{"type": "string"}]})


# --- thresholds, epochs and reducers -----------------------------------------------------------------------------

def _case(graders, **extra):
    return Case.model_validate({"id": "c", "version": 1, "question": "q", "graders": graders} | extra)


def test_case_threshold_is_the_share_of_graders_that_must_pass(scenario):
    graders = [{"type": "contains", "value": "30 days"}, {"type": "contains", "value": "nope"},
               {"type": "no_error"}, {"type": "contains", "value": "also nope"}]
    fake = lambda q, r, index_built=None: _answer()
    strict = run_case(_case(graders), scenario.releases.fix, fake)
    assert not strict.passed and strict.score == 0.5
    assert "failed: contains" in strict.detail and "nope" in strict.detail
    assert run_case(_case(graders, threshold=0.5), scenario.releases.fix, fake).passed
    assert not run_case(_case(graders, threshold=0.75), scenario.releases.fix, fake).passed


class Flaky:
    """A nondeterministic answer function: it answers right on the epochs listed in ``pattern`` (cycling)."""

    def __init__(self, pattern):
        self.pattern = itertools.cycle(pattern)
        self.calls = 0

    def __call__(self, question, release, index_built=None):
        self.calls += 1
        return _answer("within 30 days" if next(self.pattern) else "within 14 days")


@pytest.mark.parametrize("pattern, reducer, k, score, passed", [
    ([1, 0, 1, 1], "mean", None, 0.75, False),
    ([1, 1, 1, 1], "mean", None, 1.0, True),
    ([1, 0, 1, 1], "min", None, 0.0, False),
    ([1, 1, 1, 1], "min", None, 1.0, True),
    ([0, 0, 0, 1], "pass_at_k", None, 1.0, True),           # pass@4 with one of four right: some answer passes
    ([0, 0, 0, 0], "pass_at_k", None, 0.0, False),
    ([1, 0, 1, 1], "pass_at_k", 1, 0.75, False),            # pass@1 is the share of passing epochs
    ([1, 0, 0, 0], "pass_at_k", 2, 0.5, False),             # 1 - C(3,2)/C(4,2) = 1 - 3/6
])
def test_epochs_and_reducers_with_a_nondeterministic_answer(scenario, pattern, reducer, k, score, passed):
    extra = {"epochs": 4, "reducer": reducer} | ({"k": k} if k else {})
    fake = Flaky(pattern)
    result = run_case(_case([{"type": "contains", "value": "30 days"}], **extra), scenario.releases.fix, fake)
    assert fake.calls == 4
    assert result.score == pytest.approx(score)
    assert result.passed is passed
    assert len(result.epoch_scores) == 4
    if 0 in pattern:
        assert "epochs" in result.detail


def test_pass_at_k_estimator():
    assert pass_at_k(10, 0, 3) == 0.0
    assert pass_at_k(10, 10, 3) == 1.0
    assert pass_at_k(5, 1, 1) == pytest.approx(0.2)
    assert pass_at_k(5, 3, 3) == 1.0                         # only two failures: any three hold a pass


def test_mean_threshold_below_one_tolerates_a_flaky_epoch(scenario):
    case = _case([{"type": "contains", "value": "30 days"}], epochs=4, reducer="mean", threshold=0.7)
    assert run_case(case, scenario.releases.fix, Flaky([1, 0, 1, 1])).passed


def test_the_deterministic_agent_gives_the_same_score_every_epoch(scenario):
    case = _case([{"type": "contains", "value": "30 days"}], epochs=3,
                 question="How many days do I have to return an item for a refund?")
    result = run_case(case, scenario.releases.fix)
    assert result.epoch_scores == (1.0, 1.0, 1.0) and result.passed


def test_context_index_built_reaches_the_agent(scenario):
    graders = [{"type": "contains", "value": "30 days"}]
    stale = _case(graders, context={"index_built": "2026-11-20T02:00:00Z"})
    fresh = _case(graders, context={"index_built": "2026-11-26T02:00:00Z"})
    case_q = {"question": "How many days do I have to return an item for a refund?"}
    assert not run_case(stale.model_copy(update=case_q), scenario.releases.fix).passed
    assert run_case(fresh.model_copy(update=case_q), scenario.releases.fix).passed


# --- the golden set on the scenario's releases -------------------------------------------------------------------

def test_golden_set_shape(golden, scenario):
    assert 10 <= len(golden) <= 20
    types = {g.type for c in golden for g in c.graders}
    assert types == set(G.GRADER_TYPES)
    assert golden.suites[0].pass_rate_threshold == 0.9
    dumped = json.dumps([c.model_dump(mode="json") for c in golden])    # a case never names a release
    for role in ("last_good", "bad", "fix"):
        assert getattr(scenario.releases, role).version not in dumped


@pytest.mark.parametrize("role", ["last_good", "fix"])
def test_golden_set_passes_on_good_releases(golden, scenario, role):
    result = run_eval(golden, getattr(scenario.releases, role))
    assert result.passed and result.pass_rate == 1.0, result.failed_ids


def test_golden_set_fails_on_the_bad_release_because_refund_calls_are_rejected(golden, scenario):
    result = run_eval(golden, scenario.releases.bad)
    assert not result.passed
    assert result.failed_ids == REFUND_CASES
    for case_id in REFUND_CASES:
        detail = result.case(case_id).detail
        assert "tool_call: the order API would reject issue_refund(orderId, amountCents)" in detail


def test_compare_lists_exactly_the_refund_cases(golden, scenario):
    good, bad, fix = (run_eval(golden, getattr(scenario.releases, r)) for r in ("last_good", "bad", "fix"))
    flips = compare(good, bad)
    assert [f.id for f in flips] == REFUND_CASES
    assert {f.direction for f in flips} == {"pass->fail"}
    back = compare(bad, fix)
    assert [f.id for f in back] == REFUND_CASES and {f.direction for f in back} == {"fail->pass"}
    assert compare(good, fix) == []


def test_compare_matches_cases_by_id_and_version(golden, scenario):
    bad = run_eval(golden, scenario.releases.bad)
    bumped = [c.model_copy(update={"version": c.version + 1}) if c.id == REFUND_CASES[0] else c for c in golden]
    good = run_eval(bumped, scenario.releases.last_good)
    assert [f.id for f in compare(good, bad)] == REFUND_CASES[1:]


def test_errors_break_mode_fix_fails_the_lookup_cases(golden, scenario):
    result = run_eval(golden, scenario.fix_release("errors"))
    assert not result.passed
    assert result.failed_ids == LOOKUP_CASES


def test_latency_break_mode_fix_fails_the_budgets(golden, scenario):
    result = run_eval(golden, scenario.fix_release("latency"))
    assert result.failed_ids == ["budget-latency", "budget-cost"]


def test_a_suite_passes_at_its_pass_rate_threshold(tmp_path, scenario):
    doc = {"pass_rate_threshold": 0.5, "cases": [
        {"id": "a", "version": 1, "question": "Please refund order A1001", "graders": [{"type": "no_error"}]},
        {"id": "b", "version": 1, "question": "Where is order A1002?", "graders": [{"type": "no_error"}]}]}
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(doc))
    result = run_eval(load_cases(path), scenario.releases.bad)
    assert result.pass_rate == 0.5 and result.passed
    path.write_text(json.dumps(doc | {"pass_rate_threshold": 0.6}))
    assert not run_eval(load_cases(path), scenario.releases.bad).passed


# --- releases ----------------------------------------------------------------------------------------------------

def test_resolve_release_by_version_and_role(scenario):
    assert resolve_release("2026.11.3", scenario) == scenario.releases.bad
    assert resolve_release("fix", scenario) == scenario.releases.fix
    assert resolve_release("last_good", "bad-deploy").version == "2026.11.2"
    with pytest.raises(BadInput) as err:
        resolve_release("2026.12.1", scenario)
    assert err.value.where == "--release"
    assert "2026.11.2" in err.value.line() and "2026.11.4" in err.value.line() and "last_good" in err.value.line()


# --- bad case files ----------------------------------------------------------------------------------------------

BASE = "id: x\nversion: 1\nquestion: Please refund order A1001\n"


@pytest.mark.parametrize("text, field, words", [
    (BASE + "graders:\n  - {type: fuzzy, value: a}\n", "graders[0].type", "unknown grader 'fuzzy'"),
    (BASE + "graders:\n  - {type: contains}\n", "graders[0].value", "expected value"),
    (BASE + "graders:\n  - {type: regex}\n", "graders[0].pattern", "missing"),
    (BASE + "graders:\n  - {type: latency_ms}\n", "graders[0].budget", "missing"),
    (BASE + "graders:\n  - {type: regex, pattern: '('}\n", "graders[0].pattern", "regular expression"),
    (BASE + "graders:\n  - {value: a}\n", "graders[0].type", "missing"),
    (BASE + "graders:\n  - {type: contains, value: a, weight: 2}\n", "graders[0].weight", "unknown field"),
    (BASE + "graders: []\n", "graders", "at least 1"),
    (BASE + "graders:\n  - {type: no_error}\nthreshold: 1.5\n", "threshold", "less than or equal"),
    (BASE + "graders:\n  - {type: no_error}\nrelease: 2026.11.3\n", "release", "unknown field"),
    (BASE + "graders:\n  - {type: no_error}\nreducer: median\n", "reducer", "mean"),
    (BASE + "graders:\n  - {type: no_error}\nreducer: mean\nk: 2\n", "k", "pass_at_k"),
    ("id: x\nquestion: q\ngraders:\n  - {type: no_error}\n", "version", "missing"),
    (BASE + "graders:\n  - {type: tool_call, tool: cancel_order}\n", "graders[0].tool", "unknown tool"),
    (BASE + "graders:\n  - {type: tool_call, tool: issue_refund, arguments: {orderId: A1001}}\n",
     "graders[0].arguments.orderId", "accepts order_id, amount_cents"),
    (BASE + "graders:\n  - {type: tool_call, tool: issue_refund, required: [amountCents]}\n",
     "graders[0].required", "accepts order_id"),
    (BASE + "graders:\n  - {type: json_schema, schema: {type: objekt}}\n", "graders[0].schema", "JSON Schema"),
    ("cases:\n  - " + BASE.replace("\n", "\n    ").rstrip() + "\n    graders: [{type: contains}]\n",
     "cases[0].graders[0].value", "missing"),
    ("cases:\n  - {id: a, version: 1, question: q, graders: [{type: no_error}]}\n"
     "  - {id: a, version: 1, question: q, graders: [{type: no_error}]}\n", "cases[1].id", "duplicate"),
    ("cases: []\n", "cases", "at least 1"),
    ("title: nothing here\n", "cases", "missing"),
])
def test_bad_case_file_names_the_field(tmp_path, text, field, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        load_cases(path)
    assert err.value.where.endswith("bad.yaml")
    assert err.value.field == field, err.value.line()
    assert words in err.value.line()
    assert "\n" not in err.value.line()


@pytest.mark.parametrize("text", ["id: [unclosed\n", "- just\n- a list\n", ""])
def test_not_yaml_or_not_a_mapping(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as err:
        load_cases(path)
    assert "bad.yaml" in err.value.line()


def test_unknown_case_name_and_missing_path(tmp_path):
    with pytest.raises(BadInput, match="golden"):
        load_cases("no-such-set")
    with pytest.raises(BadInput, match="no such file"):
        load_cases(tmp_path / "missing.yaml")


def test_a_folder_loads_every_file_and_refuses_an_id_twice(tmp_path):
    (tmp_path / "a.yaml").write_text("id: a\nversion: 1\nquestion: q\ngraders: [{type: no_error}]\n")
    (tmp_path / "README.md").write_text("not a case")
    assert [c.id for c in load_cases(tmp_path)] == ["a"]
    (tmp_path / "b.yaml").write_text("id: a\nversion: 2\nquestion: q\ngraders: [{type: no_error}]\n")
    with pytest.raises(BadInput, match="already used"):
        load_cases(tmp_path)


# --- the command: exit status agrees with the verdict; JSON keys --------------------------------------------------

@pytest.mark.parametrize("release, code", [("2026.11.2", 0), ("2026.11.3", 1), ("2026.11.4", 0), ("bad", 1)])
def test_eval_command_exit_code_agrees_with_its_verdict(release, code):
    got, text = eval_command(cases="golden", release=release)
    assert got == code
    last = text.splitlines()[-1]
    assert last.startswith("PASS: eval passed" if code == 0 else "FAIL: eval failed")
    got_json, doc = eval_command(cases="golden", release=release, as_json=True)
    doc = json.loads(doc)
    assert got_json == code and doc["passed"] is (code == 0)
    assert {"passed", "pass_rate", "cases"} <= set(doc) and doc["cases"]
    for case in doc["cases"]:
        assert {"id", "passed", "score", "detail"} <= set(case)
        assert isinstance(case["passed"], bool) and 0 <= case["score"] <= 1 and isinstance(case["detail"], str)


def test_eval_command_runs_one_regression_case_red_then_green(tmp_path):
    path = tmp_path / "inc-refund.yaml"
    path.write_text("id: inc-refund-tool-args\nversion: 1\nquestion: Please refund order A1005\n"
                    "graders:\n  - {type: tool_call, tool: issue_refund}\n  - {type: no_error}\n")
    assert eval_command(cases=str(path), release="2026.11.3")[0] == 1
    assert eval_command(cases=str(path), release="2026.11.4")[0] == 0
    assert eval_command(cases=str(path), release="2026.11.2")[0] == 0


def test_eval_command_bad_input():
    with pytest.raises(BadInput, match="--release"):
        eval_command(release="9.9.9")
    with pytest.raises(BadInput, match="--release"):
        eval_command()
    with pytest.raises(BadInput, match="--promote"):
        eval_command(promote="x.yaml", release="fix")


# --- promote: atomic, never overwriting, refusing a duplicate id --------------------------------------------------

CASE = "id: {id}\nversion: 1\nquestion: Please refund order A1005\ngraders:\n  - {{type: no_error}}\n"


def test_promote_copies_and_refuses_to_overwrite(tmp_path):
    src, target = tmp_path / "run" / "regressions", tmp_path / "evals" / "regressions"
    src.mkdir(parents=True)
    target.mkdir(parents=True)
    (src / "INC-1.yaml").write_text(CASE.format(id="inc-1-refund"))
    out = promote(src / "INC-1.yaml", target)
    assert out == target / "INC-1.yaml" and out.read_text() == (src / "INC-1.yaml").read_text()
    (src / "INC-1.yaml").write_text(CASE.format(id="inc-1-other"))
    with pytest.raises(BadInput, match="already exists"):
        promote(src / "INC-1.yaml", target)
    assert "inc-1-refund" in out.read_text()                                  # untouched
    assert sorted(p.name for p in target.iterdir()) == ["INC-1.yaml"]         # no temporary file left behind


def test_promote_refuses_a_duplicate_id(tmp_path):
    target = tmp_path / "regressions"
    target.mkdir()
    (target / "README.md").write_text("what goes here")
    (target / "INC-1.yaml").write_text(CASE.format(id="inc-1-refund"))
    (tmp_path / "INC-2.yaml").write_text(CASE.format(id="inc-1-refund"))
    with pytest.raises(BadInput, match="already promoted") as err:
        promote(tmp_path / "INC-2.yaml", target)
    assert err.value.field == "id"
    assert sorted(p.name for p in target.iterdir()) == ["INC-1.yaml", "README.md"]


def test_promote_refuses_a_malformed_case(tmp_path):
    target = tmp_path / "regressions"
    target.mkdir()
    (tmp_path / "bad.yaml").write_text("id: x\nversion: 1\nquestion: q\ngraders: [{type: contains}]\n")
    with pytest.raises(BadInput, match="value"):
        promote(tmp_path / "bad.yaml", target)
    assert list(target.iterdir()) == []


def test_eval_command_promote_into_a_given_folder(tmp_path):
    target = tmp_path / "regressions"
    target.mkdir()
    (tmp_path / "INC-3.yaml").write_text(CASE.format(id="inc-3"))
    code, text = eval_command(promote=str(tmp_path / "INC-3.yaml"), regressions_dir=target)
    assert code == 0 and "INC-3.yaml" in text and (target / "INC-3.yaml").is_file()



def test_cases_load_and_grade_without_jsonschema(monkeypatch, scenario):
    monkeypatch.setattr(G, "_jsonschema", None)
    golden = load_cases("golden")
    assert run_eval(golden, scenario.releases.fix).passed
    assert run_eval(golden, scenario.releases.bad).failed_ids == REFUND_CASES
    with pytest.raises(ValueError):
        G.subset_check_schema({"type": "object", "anyOf": []})


@pytest.mark.slow
def test_jsonschema_is_imported_without_the_iri_format_grammar():
    """jsonschema is used for json_schema graders, but the optional rfc3987-syntax grammar (most of a second at
    every start) is left out; once the graders are imported, rfc3987_syntax can still be imported by anyone."""
    import importlib.util
    import subprocess
    import sys

    code = ("import sys, oncall.evals.graders as g\n"
            "print(g._jsonschema is not None, 'rfc3987_syntax' in sys.modules)\n"
            "import importlib.util\n"
            "if importlib.util.find_spec('rfc3987_syntax'):\n"
            "    import rfc3987_syntax; print(rfc3987_syntax.is_valid_syntax('iri', 'https://example.org/a'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["True", "False"]
    if importlib.util.find_spec("rfc3987_syntax"):
        assert out[2] == "True"

"""Bad input everywhere, through the real command line (DESIGN.md: exit 2, one line naming the file and the
field, no traceback, nothing half-written).

Every case runs ``oncall ...`` (``oncall.cli.main`` in this process, its exit status and what it printed). A drill
case also passes ``--out`` pointing at an earlier run's folder and checks that the folder is byte-identical
afterwards and that nothing (no temporary folder) appeared beside it. SLO files and runbooks are read only from
``data/`` (a scenario names them), so those cases run ``python -m oncall ...`` in a fresh process inside a copy of
the package and its data with the broken file added there: the real entry point's exit status.

CSV metric exports are judged by ``oncall canary-judge`` against a good baseline export.
"""
from __future__ import annotations

import contextlib
import copy
import io
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = yaml.safe_load((ROOT / "data" / "scenarios" / "bad-deploy.yaml").read_text(encoding="utf-8"))
SLO_TEXT = (ROOT / "data" / "slos" / "availability.yaml").read_text(encoding="utf-8")
RUNBOOK_TEXT = (ROOT / "data" / "runbooks" / "bad-deploy-rollback.md").read_text(encoding="utf-8")
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_YAML = "[" * 5_000 + "]" * 5_000
TICKET = {"id": "T-1", "created_at": "2026-11-27T01:40:00Z", "text": "Refunds fail with an error since an hour"}
ALERT = {"status": "firing", "labels": {"alertname": "ToolAPIErrors", "service": "support-assistant",
                                        "component": "tool-orders", "severity": "critical", "instance": "i-1"},
         "annotations": {}, "startsAt": "2026-11-27T01:33:00Z", "endsAt": "0001-01-01T00:00:00Z"}
CASE = "id: c1\nversion: 1\nquestion: Please refund order A1001\ngraders: [{type: no_error}]\n"


def run(args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m oncall ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "oncall", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def assert_bad_input(result: subprocess.CompletedProcess, words) -> str:
    err = result.stderr
    assert result.returncode == 2, (result.returncode, err)
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


# --- what each case writes and runs ------------------------------------------------------------------------------

@dataclass
class Ctx:
    tmp: Path           # a fresh folder for this case's files
    tree: Path | None   # a copy of oncall/ and data/ (only for cases that add a file to data/)

    def write(self, name: str, content) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
        return path

    def scenario(self, change: Callable[[dict], None]) -> Path:
        doc = copy.deepcopy(SCENARIO)
        change(doc)
        return self.write("scenario.yaml", doc)

    def data_file(self, folder: str, name: str, text) -> str:
        """Add a file to the copy's data/<folder>/; returns its NAME."""
        path = self.tree / "data" / folder / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return path.stem


@dataclass
class Case:
    id: str
    build: Callable[[Ctx], tuple[list, list[str]]]   # -> (arguments, words the one line must contain)
    drill: bool = False                               # add --out <an earlier run> and check it is untouched
    tree: bool = False                                # run in the copy of the package and its data


def _set(path: str, value):
    def change(doc):
        node = doc
        keys = path.split(".")
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


def scenario_case(id_, change, field, *more):
    def build(ctx):
        path = ctx.scenario(change)
        return ["drill", "--scenario", path], [str(path), field, *more]
    return Case(id_, build, drill=True)


def scenario_text_case(id_, content, *words):
    def build(ctx):
        path = ctx.write("scenario.yaml", content)
        return ["drill", "--scenario", path], [str(path), *words]
    return Case(id_, build, drill=True)


def slo_case(id_, text, *words):
    def build(ctx):
        name = ctx.data_file("slos", f"broken-{id_}.yaml", text)
        path = ctx.scenario(lambda d: d["slos"].append(name))
        return ["drill", "--scenario", path], [f"broken-{id_}.yaml", *words]
    return Case(id_, build, drill=True, tree=True)


def runbook_case(id_, edit, *words):
    def build(ctx):
        text = edit if isinstance(edit, (str, bytes)) and not isinstance(edit, tuple) else None
        if isinstance(edit, tuple):
            assert edit[0] in RUNBOOK_TEXT, edit[0]
            text = RUNBOOK_TEXT.replace(edit[0], edit[1], 1)
        name = ctx.data_file("runbooks", f"broken-{id_}.md", text)
        path = ctx.scenario(_set("runbook", name))
        return ["drill", "--scenario", path], [f"broken-{id_}.md", *words]
    return Case(id_, build, drill=True, tree=True)


def tickets_case(id_, content, *words, extra=()):
    def build(ctx):
        path = ctx.write("tickets.jsonl", content)
        return ["triage", path, *extra], [str(path), *words]
    return Case(id_, build)


def incidents_case(id_, content, *words):
    def build(ctx):
        tickets = ctx.write("tickets.jsonl", json.dumps(TICKET) + "\n")
        path = ctx.write("incidents.json", content)
        return ["triage", tickets, "--incidents", path], [str(path), *words]
    return Case(id_, build)


def payload(*alerts, **envelope):
    return {"version": "4", "status": "firing", "receiver": "oncall", "groupKey": "{}:{}", **envelope,
            "alerts": list(alerts)}


def alerts_case(id_, content, *words):
    def build(ctx):
        path = ctx.write("alerts.json", content)
        return ["correlate", path, "--json"], [str(path), *words]
    return Case(id_, build)


def cases_case(id_, content, *words):
    def build(ctx):
        path = ctx.write("case.yaml", content)
        return ["eval", "--cases", path, "--release", "bad"], [str(path), *words]
    return Case(id_, build)


GOOD_CSV = "error_ratio,latency_ms,requests,errors\n0.01,100,10,1\n0.02,120,10,0\n"


def csv_case(id_, content, *words, config=None):
    def build(ctx):
        base = ctx.write("baseline.csv", GOOD_CSV)
        path = ctx.write("canary.csv", content)
        args = ["canary-judge", "--baseline", base, "--canary", path]
        if config is not None:
            cfg = ctx.write("judge.yaml", config)
            return args + ["--config", cfg], [str(cfg), *words]
        return args, [str(path), *words]
    return Case(id_, build)


def args_case(id_, args, *words, drill=False):
    return Case(id_, lambda ctx: (list(args), list(words)), drill=drill)


def _folder(ctx, name="folder"):
    path = ctx.tmp / name
    path.mkdir()
    (path / "notes.txt").write_text("not a data file")
    return path


CASES = [
    # --- scenarios (drill --scenario PATH) ---------------------------------------------------------------------
    scenario_text_case("scenario-empty-file", "", "empty", "0 bytes"),
    scenario_text_case("scenario-only-white-space", "  \n\n\t\n", "empty", "white space"),
    scenario_text_case("scenario-binary-file", BINARY, "not valid YAML"),
    scenario_text_case("scenario-nested-too-deeply", DEEP_YAML, "not valid YAML"),
    Case("scenario-is-a-folder", lambda ctx: (["drill", "--scenario", str(_folder(ctx)) + "/"],
                                              [str(ctx.tmp / "folder"), "is a folder"]), drill=True),
    scenario_case("scenario-infinite-traffic", _set("traffic.peak_rpm", float("inf")), "traffic.peak_rpm", "finite"),
    scenario_case("scenario-huge-shift-length", _set("shift.length_h", 1e308), "shift.length_h"),
    scenario_case("scenario-traffic-not-a-number", _set("traffic.peak_rpm", "lots"), "traffic.peak_rpm"),
    scenario_case("scenario-start-without-zone", _set("shift.start", "2026-11-26T22:00:00"), "shift.start", "zone"),
    scenario_case("scenario-runbook-escapes-data", _set("runbook", "../../../etc/passwd"), "runbook",
                  "no runbook named"),
    scenario_case("scenario-unknown-runbook", _set("runbook", "reboot-everything"), "runbook"),
    scenario_case("scenario-slo-escapes-data", _set("slos", ["../slos/availability"]), "slos[0]"),
    scenario_case("scenario-too-many-rollback-failures", _set("faults", {"rollback_failures": 9}),
                  "faults.rollback_failures"),
    scenario_case("scenario-unknown-severity", _set("expected_severity", "SEV-9"), "expected_severity"),
    scenario_case("scenario-huge-delay", _set("break_modes.no-mitigation.on_call.delay_min", 1e9),
                  "break_modes.no-mitigation.on_call.delay_min"),
    scenario_case("scenario-negative-seed", _set("seed", -3), "seed"),
    scenario_text_case("scenario-duplicate-key",
                       (ROOT / "data" / "scenarios" / "bad-deploy.yaml").read_text().replace("seed: 7\n",
                                                                                       "seed: 7\nseed: 8\n"),
                       "not valid YAML", "duplicate key 'seed'"),
    scenario_case("scenario-deploy-without-a-bad-release", _set("releases.bad", None), "releases.bad"),
    scenario_case("scenario-stale-index-without-a-failing-build", _set("cause", {"kind": "stale-index"}),
                  "index.build_fails_from"),
    scenario_case("scenario-provider-outage-without-a-start", _set("cause", {"kind": "provider-outage",
                                                                             "error_ratio": 0.3}),
                  "cause.starts_at"),
    scenario_case("scenario-unknown-cause", _set("cause", {"kind": "meteor"}), "cause.kind"),
    # --- SLO files (OpenSLO v1 in data/slos/, named by a scenario) ---------------------------------------------
    slo_case("slo-target-above-one", SLO_TEXT.replace("target: 0.999", "target: 1.5"), "spec.objectives[0].target"),
    slo_case("slo-unknown-column", SLO_TEXT.replace("column: errors", "column: failures"),
             "spec.indicator.spec.ratioMetric.bad.metricSource.spec.column", "unknown column"),
    slo_case("slo-bad-duration", SLO_TEXT.replace("duration: 30d", "duration: forever"),
             "spec.timeWindow[0].duration"),
    slo_case("slo-threshold-a-list", SLO_TEXT.replace("  displayName: Requests",
                                                      "  annotations: {oncall/threshold_ms: [4000]}\n"
                                                      "  displayName: Requests"),
             "metadata.annotations.oncall/threshold_ms"),
    slo_case("slo-good-and-bad", SLO_TEXT.replace("        bad:", "        good:\n          metricSource: "
                                                                   "{spec: {column: requests}}\n        bad:"),
             "spec.indicator.spec.ratioMetric", "exactly one of good or bad"),
    slo_case("slo-nested-too-deeply", DEEP_YAML, "not valid YAML"),
    slo_case("slo-max-age-not-a-number", SLO_TEXT.replace("  displayName: Requests",
                                                          "  annotations: {oncall/max_age_h: soon}\n"
                                                          "  displayName: Requests"),
             "metadata.annotations.oncall/max_age_h"),
    # --- runbooks (Markdown with YAML front matter in data/runbooks/, named by a scenario) ----------------------
    runbook_case("runbook-verifies-an-unknown-slo", ("    slo: availability\n    within", "    slo: happiness\n    within"),
                 "steps[4].slo", "not one of the scenario's SLOs"),
    runbook_case("runbook-duplicate-key", ("    takes_min: 2\n    retries: 1", "    takes_min: 2\n    takes_min: 3\n"
                                                                          "    retries: 1"),
                 "duplicate key 'takes_min'"),
    runbook_case("runbook-infinite-step", ("    takes_min: 2\n    retries: 1", "    takes_min: .inf\n    retries: 1"),
                 "steps[3].takes_min"),
    runbook_case("runbook-huge-timeout", ("timeout_min: 30", "timeout_min: 1e12"), "steps[4].timeout_min"),
    runbook_case("runbook-unknown-fallback", ("fallback_action: redeploy", "fallback_action: teleport"),
                 "escalation.fallback_action"),
    runbook_case("runbook-empty-file", "", "front matter"),
    runbook_case("runbook-binary-file", BINARY, "not UTF-8"),
    # --- tickets (triage FILE, JSON Lines) ---------------------------------------------------------------------
    tickets_case("tickets-time-out-of-range", json.dumps({**TICKET, "created_at": "0001-01-01T00:00:00+14:00"}) + "\n",
                 "line 1", "created_at"),
    tickets_case("tickets-nested-too-deeply", json.dumps(TICKET) + "\n" + DEEP_JSON + "\n", "line 2"),
    tickets_case("tickets-binary-file", BINARY, "not UTF-8"),
    Case("tickets-csv-without-a-text-column", lambda ctx: (lambda p: (["triage", p], [str(p), "line 1", "header"]))(
        ctx.write("tickets.csv", "id,created_at\nT-1,2026-11-27T01:40:00Z\n"))),
    tickets_case("tickets-text-not-a-string", json.dumps({**TICKET, "text": 42}) + "\n", "line 1", "text"),
    Case("tickets-a-folder", lambda ctx: (["triage", _folder(ctx)], [str(ctx.tmp / "folder"), "cannot read it"])),
    Case("tickets-missing-file", lambda ctx: (["triage", ctx.tmp / "nope.jsonl"], [str(ctx.tmp / "nope.jsonl")])),
    incidents_case("incidents-without-opened-at", json.dumps([{"id": "INC-1", "services": ["x"]}]),
                   "incidents[0]", "opened_at"),
    incidents_case("incidents-not-json", "{incidents: nope", "not JSON"),
    tickets_case("tickets-empty-file", "", "empty", "0 bytes"),
    tickets_case("tickets-only-white-space", "  \n\n\t\n", "empty", "white space"),
    incidents_case("incidents-empty-file", "", "empty", "0 bytes"),
    incidents_case("incidents-only-white-space", "  \n\n\t\n", "empty", "white space"),
    Case("triage-scenario-empty-file", lambda ctx: (["triage", ctx.write("t.jsonl", json.dumps(TICKET) + "\n"),
                                                     "--scenario", ctx.write("s.yaml", "")],
                                                    [str(ctx.tmp / "s.yaml"), "empty"])),
    Case("triage-seed-not-a-number", lambda ctx: (["triage", ctx.write("t.jsonl", json.dumps(TICKET) + "\n"),
                                                   "--scenario", "bad-deploy", "--seed", "seven"], ["--seed"])),
    # --- Alertmanager webhook payloads (correlate FILE) ---------------------------------------------------------
    alerts_case("alerts-binary-file", BINARY, "not UTF-8"),
    alerts_case("alerts-nested-too-deeply", DEEP_JSON, "nested too deeply"),
    alerts_case("alerts-version-3", json.dumps(payload(ALERT, version="3")), "version"),
    alerts_case("alerts-unknown-status", json.dumps(payload({**ALERT, "status": "burning"})), "alerts[0].status"),
    alerts_case("alerts-bare-alert", json.dumps(ALERT), "bare alert"),
    alerts_case("alerts-year-99999", json.dumps(payload({**ALERT, "startsAt": "99999-01-01T00:00:00Z"})),
                "alerts[0].startsAt"),
    alerts_case("alerts-number-label", json.dumps(payload({**ALERT, "labels": {**ALERT["labels"], "instance": 7}})),
                "alerts[0].labels.instance"),
    alerts_case("alerts-bad-json-line", json.dumps(payload(ALERT)) + "\n" + '{"version": "4", "alerts": [' + "\n",
                "line 2"),
    Case("alerts-a-folder", lambda ctx: (["correlate", _folder(ctx)], [str(ctx.tmp / "folder"), "cannot read it"])),
    alerts_case("alerts-empty-file", "", "empty", "failed export"),
    alerts_case("alerts-only-white-space", "  \n\n\t\n", "empty", "failed export"),
    # --- eval cases (eval --cases PATH) ------------------------------------------------------------------------
    cases_case("cases-empty-file", "", "empty", "0 bytes"),
    cases_case("cases-only-white-space", "  \n\n\t\n", "empty", "white space"),
    Case("eval-scenario-empty-file", lambda ctx: (["eval", "--release", "bad", "--scenario",
                                                   ctx.write("s.yaml", " \n")], [str(ctx.tmp / "s.yaml"), "empty"])),
    Case("eval-promote-empty-file", lambda ctx: (["eval", "--promote", ctx.write("c.yaml", "")],
                                                  [str(ctx.tmp / "c.yaml"), "empty"])),
    cases_case("cases-binary-file", BINARY, "not valid YAML"),
    cases_case("cases-nested-too-deeply", DEEP_YAML, "not valid YAML"),
    cases_case("cases-huge-epochs", CASE + "epochs: 1000000\n", "epochs"),
    cases_case("cases-unknown-grader", CASE.replace("no_error", "vibes"), "graders[0].type"),
    cases_case("cases-duplicate-id", "cases:\n" + "".join(
        "  - " + CASE.replace("\n", "\n    ").rstrip() + "\n" for _ in range(2)), "cases[1].id", "duplicate"),
    Case("cases-folder-without-cases", lambda ctx: (["eval", "--cases", _folder(ctx), "--release", "bad"],
                                                    [str(ctx.tmp / "folder"), "no case files"])),
    args_case("eval-unknown-release", ["eval", "--release", "2099.1.1"], "--release", "unknown release"),
    Case("eval-promote-a-folder", lambda ctx: (["eval", "--promote", _folder(ctx)],
                                               [str(ctx.tmp / "folder"), "no such case file"])),
    # --- command-line values -----------------------------------------------------------------------------------
    args_case("seed-in-scientific-notation", ["drill", "--seed", "1e3"], "--seed", "whole number", drill=True),
    args_case("seed-empty", ["drill", "--seed", ""], "--seed", drill=True),
    args_case("break-in-capitals", ["drill", "--break", "ERRORS"], "--break", "expected one of", drill=True),
    args_case("scenario-empty-name", ["drill", "--scenario", ""], "--scenario", drill=True),
    Case("out-is-a-file", lambda ctx: (["drill", "--out", ctx.write("out.txt", "my notes")], ["--out", "is a file"])),
    Case("out-holds-something-else", lambda ctx: (["drill", "--out", _folder(ctx)], ["--out", "not empty"])),
    Case("out-under-a-file", lambda ctx: (["drill", "--out", ctx.write("notes.txt", "my notes") / "runs" / "run"],
                                          ["--out", "notes.txt", "is a file"])),
    args_case("slo-explain-huge-objective", ["slo", "explain", "--objective", "1e999", "--error-ratio", "0.1"],
              "--objective"),
    args_case("slo-explain-negative-error-ratio", ["slo", "explain", "--objective", "0.999", "--error-ratio", "-0.1"],
              "--error-ratio"),
    args_case("slo-explain-zero-period", ["slo", "explain", "--objective", "0.999", "--error-ratio", "0.1",
                                          "--period", "0d"], "--period"),
    args_case("slo-explain-objective-missing", ["slo", "explain", "--error-ratio", "0.1"], "--objective"),
    args_case("correlate-without-file", ["correlate"], "file"),
    Case("slo-rules-empty-file", lambda ctx: (["slo", "rules", "--slo", ctx.write("slo.yaml", "")],
                                              [str(ctx.tmp / "slo.yaml"), "empty", "0 bytes"])),
    Case("slo-report-empty-file", lambda ctx: (["slo", "report", "--prometheus", "http://127.0.0.1:9",
                                                "--slo", ctx.write("slo.yaml", "  \n\n\t\n")],
                                               [str(ctx.tmp / "slo.yaml"), "empty", "white space"])),
    Case("triage-incidents-and-scenario", lambda ctx: (["triage", ctx.write("t.jsonl", json.dumps(TICKET) + "\n"),
                                                        "--incidents", ctx.write("i.json", "[]"), "--scenario",
                                                        "bad-deploy"], ["--scenario", "--incidents"])),
    # --- CSV metric exports (oncall canary-judge) ------------------------------------------------------------
    csv_case("csv-empty-file", "", "empty", "0 bytes"),
    csv_case("csv-only-white-space", "  \n\n\t\n", "empty", "white space"),
    Case("csv-empty-baseline", lambda ctx: (["canary-judge", "--baseline", ctx.write("b.csv", ""), "--canary",
                                             ctx.write("c.csv", GOOD_CSV)], [str(ctx.tmp / "b.csv"), "empty"])),
    csv_case("csv-config-empty-file", GOOD_CSV, "empty", "0 bytes", config=""),
    csv_case("csv-config-only-white-space", GOOD_CSV, "empty", "white space", config="  \n\n\t\n"),
    csv_case("csv-header-only", "error_ratio,latency_ms,requests,errors\n", "no rows"),
    csv_case("csv-text-in-a-metric", GOOD_CSV.replace("120", "slow"), "latency_ms", "expected numbers", "line 3"),
    csv_case("csv-infinite-value", GOOD_CSV.replace("120", "inf"), "latency_ms", "finite", "line 3"),
    csv_case("csv-negative-count", GOOD_CSV.replace("10,1", "10,-1"), "errors", "whole count", "line 2"),
    csv_case("csv-fractional-count", GOOD_CSV.replace("10,0", "9.5,0"), "requests", "whole count", "line 3"),
    csv_case("csv-columns-differ", "error_ratio\n0.01\n", "same columns"),
    csv_case("csv-config-confidence-above-one", GOOD_CSV, "confidence", config="confidence: 2\n"),
    csv_case("csv-config-duplicate-key", GOOD_CSV, "duplicate key 'confidence'",
             config="confidence: 0.98\nconfidence: 0.9\n"),
]


def _files(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory) -> Path:
    """An earlier drill's artifacts: a bad run with --out pointing here must leave them as they are."""
    from oncall.cli import main

    out = tmp_path_factory.mktemp("earlier") / "run"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        status = main(["drill", "--seed", "3", "--out", str(out)])
    assert status in (0, 1), err.getvalue()
    assert (out / "trace.jsonl").is_file()
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the package and its data, so a case can add a broken SLO file or runbook to data/."""
    root = tmp_path_factory.mktemp("tree")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "oncall", root / "oncall", ignore=ignore)
    shutil.copytree(ROOT / "data", root / "data", ignore=ignore)
    return root


# One fresh process runs every case of the copy (its imports paid once, not once a case): each case adds a file of
# its own name to the copy's data/ and writes its own scenario, so no case sees another's file.
_BATCH = """
import contextlib, io, json, sys
from oncall.cli import main
results = {}
for case_id, args in json.load(open(sys.argv[1], encoding="utf-8")).items():
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(args)
        except SystemExit as stop:
            status = stop.code
    results[case_id] = [status, out.getvalue(), err.getvalue()]
json.dump(results, open(sys.argv[2], "w", encoding="utf-8"))
"""


@dataclass
class Prepared:
    args: list
    words: list
    out_parent: Path | None = None
    before: object = None
    siblings: list | None = None
    result: subprocess.CompletedProcess | None = None


def _prepare(case: Case, work: Path, tree: Path | None, earlier: Callable[[], Path], runs: Path) -> Prepared:
    """Build a case's files and arguments; with --out, copy an earlier run there and note what is there now."""
    args, words = case.build(Ctx(work, tree))
    prep = Prepared(args, words)
    if case.drill:
        runs.mkdir()
        out = runs / "run"
        shutil.copytree(earlier(), out)
        prep.out_parent, prep.before, prep.siblings = runs, _files(out), sorted(p.name for p in runs.iterdir())
        prep.args = [*args, "--out", out]
    elif args and args[0] == "drill" and "--out" in args:
        target = Path(args[args.index("--out") + 1])
        if target.parent.exists():
            prep.out_parent = target.parent
            prep.before = _files(target) if target.is_dir() else target.read_bytes()
            prep.siblings = sorted(p.name for p in target.parent.iterdir())
    return prep


@pytest.fixture(scope="module")
def tree_runs(tree, earlier_run, tmp_path_factory) -> dict[str, Prepared]:
    """Every case run in the copy of the package, in one fresh ``python`` from the copy."""
    preps = {}
    for case in CASES:
        if case.tree:
            base = tmp_path_factory.mktemp(case.id)
            (base / "work").mkdir()
            preps[case.id] = _prepare(case, base / "work", tree, lambda: earlier_run, base / "runs")
    jobs = tmp_path_factory.mktemp("batch")
    (jobs / "args.json").write_text(json.dumps({k: [str(a) for a in p.args] for k, p in preps.items()}),
                                    encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", _BATCH, jobs / "args.json", jobs / "results.json"],
                          capture_output=True, text=True, cwd=tree, timeout=600)
    assert done.returncode == 0, done.stderr
    for case_id, (status, out, err) in json.loads((jobs / "results.json").read_text(encoding="utf-8")).items():
        preps[case_id].result = subprocess.CompletedProcess(preps[case_id].args, status, out, err)
    return preps


def test_there_are_at_least_30_bad_inputs():
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_exit_2_one_line_and_nothing_written(case, tmp_path, request, oncall_cli):
    if case.tree:
        prep = request.getfixturevalue("tree_runs")[case.id]
    else:
        (tmp_path / "work").mkdir()
        prep = _prepare(case, tmp_path / "work", None, lambda: request.getfixturevalue("earlier_run"),
                        tmp_path / "runs")
        prep.result = oncall_cli(prep.args)
    assert_bad_input(prep.result, prep.words)
    if prep.out_parent is not None:
        target = Path(prep.args[prep.args.index("--out") + 1])
        now = _files(target) if target.is_dir() else target.read_bytes()
        assert now == prep.before, "the earlier run's artifacts changed"
        assert sorted(p.name for p in prep.out_parent.iterdir()) == prep.siblings, "something was left beside --out"


@pytest.mark.parametrize("args", [
    lambda tmp: ["triage", _write(tmp, "t.jsonl", json.dumps(TICKET) + "\n"), "--incidents", _write(tmp, "i.json", "[]")],
    lambda tmp: ["triage", _write(tmp, "t.jsonl", json.dumps(TICKET) + "\n"), "--incidents",
                 _write(tmp, "i.json", json.dumps({"incidents": []}))],
    lambda tmp: ["correlate", _write(tmp, "a.json", json.dumps(payload()))],
], ids=["incidents-empty-list", "incidents-correlate-json-without-incidents", "alerts-payload-without-alerts"])
def test_a_well_formed_file_with_no_records_stays_valid(args, tmp_path, oncall_cli):
    """Only a file with nothing in it is refused as empty: a list or a payload with no records is an answer."""
    result = oncall_cli(args(tmp_path))
    assert result.returncode == 0, result.stderr


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_out_makes_missing_parent_folders(tmp_path, oncall_cli):
    """``oncall drill --out runs/night-1`` in a fresh clone, where runs/ does not exist yet: the folders are made
    and the run is moved into place, nothing else left beside it."""
    out = tmp_path / "runs" / "nights" / "night-1"
    result = oncall_cli(["drill", "--seed", "3", "--out", out])
    assert result.returncode in (0, 1), result.stderr
    assert (out / "trace.jsonl").is_file() and (out / "scorecard.json").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["night-1"]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes anywhere")
def test_out_in_a_folder_we_cannot_write_in(tmp_path, oncall_cli):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = oncall_cli(["drill", "--seed", "3", "--out", locked / "runs" / "run"])
        assert_bad_input(result, ["--out", "locked", "cannot write"])
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)

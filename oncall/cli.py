"""The command line, the package's public face (DESIGN.md). Exit status: 0 green, 1 a verdict of no,
2 bad input (one line naming the file and field), 3 an internal error (the traceback only with --debug)."""
from __future__ import annotations

import argparse
import contextlib
import io
import importlib.util
import json
import os
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

from .commands import canary_judge_command, eval_command, run_triage
from .errors import BadInput
from .export import chrome_trace
from .incident_response.promreport import report_command
from .incident_response.promrules import artifacts as prom_artifacts
from .incident_response.promrules import rules_command
from .incident_response.burn import explain, explain_text
from .scenario import BREAK_MODES, list_scenarios, load_scenario
from .shift import run_shift, scorecard
from .story import header, story_lines, summary_lines, verdict_lines
from .support_desk.alerts import parse_file
from .support_desk.correlate import correlate, load_alerting_config, load_topology, to_json

EXIT_OK, EXIT_NO, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit 2 (no usage dump)."""

    def error(self, message: str):
        raise BadInput("command line", None, message)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadInput("--seed", None, f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise BadInput("--seed", None, f"expected a whole number >= 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="oncall", description="Run one on-call shift for a simulated AI service.")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    for name, help_text in (("drill", "run the whole shift and print the key events of its story and the verdict"),
                            ("gate", "run the shift and print the eval gate's scorecard")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--scenario", default="bad-deploy", help="a scenario NAME in data/scenarios/ or a PATH")
        p.add_argument("--seed", type=str, default=None, help="random seed (default: the scenario's)")
        p.add_argument("--break", dest="break_mode", default="none", help=f"one of {', '.join(BREAK_MODES)}, or a mode the scenario defines")
        p.add_argument("--json", action="store_true", help="print the scorecard as JSON")
        if name == "drill":
            p.add_argument("--out", default=None, help="write the run's artifacts into this folder")
            p.add_argument("--full", action="store_true", help="print the whole numbered story (long runs folded)")
            p.add_argument("--no-fold", action="store_true", help="print the whole story, every event, no folding")
    sub.add_parser("scenarios", help="list the scenarios")
    gd = sub.add_parser("gameday", help="a game day: the scenario hidden, your moves scored by the gate")
    gd.add_argument("--scenario", default=None, help="a scenario NAME or PATH (default: drawn by the seed)")
    gd.add_argument("--seed", type=str, default=None, help="random seed (default 1)")
    gd.add_argument("--play", nargs="+", default=None, help="a move file; several, or a folder: a leaderboard")
    gd.add_argument("--out", default=None, help="write the debrief (report.html, debrief.md) and the action log")
    gd.add_argument("--spread", type=str, default="0", help="also replay one game on this many further seeds")
    gd.add_argument("--json", action="store_true")

    slo = sub.add_parser("slo", help="SLO arithmetic").add_subparsers(dest="slo_command", required=True,
                                                                       parser_class=_Parser)
    explain = slo.add_parser("explain", help="burn rate, time to exhaustion and which alert tier fires when")
    explain.add_argument("--objective", required=True, help="the SLO target, strictly between 0 and 1 (e.g. 0.999)")
    explain.add_argument("--error-ratio", required=True, help="a constant error ratio from 0 to 1 (e.g. 0.05)")
    explain.add_argument("--period", default="30d", help="the SLO period (default 30d)")
    explain.add_argument("--json", action="store_true")
    rules = slo.add_parser("rules", help="Prometheus recording and alerting rules for the SLOs (Sloth's shape)")
    rules.add_argument("--slo", action="append", help="an SLO NAME in data/slos/ or a PATH (repeat; default: all)")
    rules.add_argument("--out", default=None, help="write slo_rules.yaml and alertmanager.yaml into this folder")
    rep = slo.add_parser("report", help="the burn engine over a Prometheus's counters (/api/v1/query_range)")
    rep.add_argument("--prometheus", required=True, help="the Prometheus URL, e.g. http://127.0.0.1:9090")
    rep.add_argument("--slo", required=True, help="an SLO NAME in data/slos/ or a PATH (OpenSLO v1)")
    rep.add_argument("--from", dest="start", default=None, help="start, ISO 8601 UTC (default: 7 days before --to)")
    rep.add_argument("--to", dest="end", default=None, help="end, ISO 8601 UTC (default: now)")
    rep.add_argument("--json", action="store_true")

    correlate = sub.add_parser(
        "correlate", help="correlate Alertmanager v4 webhook payloads into incidents",
        description="Alertmanager groups alerts first and, on each group flush, inhibits, silences, then dedups "
                    "against its notification log; over the payloads it delivered, this dedups by fingerprint "
                    "(receiver-side, Keep-style), re-applies inhibition and silences at each group's flush "
                    "(data/alerting/alertmanager.yaml, silences.yaml) and counts the groups' notifications, "
                    "then opens incidents: alerts of connected components "
                    "(data/topology.yaml) at most 30 min apart, or within 30 min of a page of the incident "
                    "resolving (a firing page holds its incident open).")
    correlate.add_argument("file", help="one JSON payload, a JSON list of payloads, or JSON Lines")
    correlate.add_argument("--json", action="store_true",
                           help="print the incidents, the dropped alerts with their reasons and the totals as JSON")

    tri = sub.add_parser("triage", help="triage tickets (JSON Lines) and link them to incidents")
    tri.add_argument("file", help="tickets as JSON Lines: id, created_at, text, optional customer_tier")
    src = tri.add_mutually_exclusive_group()
    src.add_argument("--incidents", default=None, help="incidents JSON (the output of oncall correlate --json)")
    src.add_argument("--storm", default=None, help="Alertmanager webhook payloads (JSON Lines): correlated into "
                                                   "incidents as oncall correlate does, then linked")
    src.add_argument("--scenario", default=None, help="link to the incidents of this scenario's shift")
    tri.add_argument("--seed", type=str, default=None, help="the shift's seed (with --scenario)")
    tri.add_argument("--tiers", default=None, help="the desk's tier names -> free, pro, enterprise (YAML: default, "
                                                   "aliases; as data/tickets/tiers.yaml)")
    tri.add_argument("--linker", choices=("rules", "learned"), default="rules",
                     help="rules: the rules and their second look (default); learned: the rules' decisions weighed "
                          "with the other signals by weights learned from labelled nights "
                          "(data/tickets/linker_weights.json)")
    tri.add_argument("--json", action="store_true")

    cj = sub.add_parser("canary-judge", help="judge a canary against a baseline (CSV metric exports)")
    cj.add_argument("--baseline", required=True, help="baseline CSV: one column per metric, one row per sample")
    cj.add_argument("--canary", required=True, help="canary CSV with the same columns")
    cj.add_argument("--config", default=None, help="judge config YAML (default: Kayenta's defaults, every column a "
                                                   "metric; data/canary/judge.yaml is the simulated service's)")
    cj.add_argument("--json", action="store_true")

    ev = sub.add_parser("eval", help="run eval cases against a release of the simulated agent, or promote a case")
    ev.add_argument("--cases", default=None, help="a case set NAME in data/evals/ (golden, regressions) or a PATH "
                                                  "(default: the golden set and data/evals/regressions/)")
    ev.add_argument("--release", default=None, help="a release VERSION (e.g. 2026.11.3) or a role: last_good, bad, fix")
    ev.add_argument("--scenario", default="bad-deploy", help="a scenario NAME in data/scenarios/ or a PATH")
    ev.add_argument("--promote", default=None, metavar="CASE",
                    help="copy this regression case file into data/evals/regressions/ (atomic, never overwriting)")
    ev.add_argument("--epochs", type=int, default=None, metavar="K",
                    help="K sampled answers per case: pass rate with its CI, pass@k, pass^k, flaky cases (default "
                         "cases: the deploy gate's golden set)")
    ev.add_argument("--seed", type=int, default=None, help="the seed of the sampled answers (default 0)")
    ev.add_argument("--compare", default=None, metavar="RELEASE",
                    help="also run RELEASE on the same cases and samples: delta and McNemar p-value")
    ev.add_argument("--judge", action="store_true",
                    help="also read the sampled answers through the LLM judge: raw and corrected pass rate, the "
                         "judge's kappa, sensitivity and specificity on data/evals/judge_calibration.jsonl")
    ev.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except BadInput as exc:
        print(f"oncall: {exc.line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # an internal error: one line, the traceback only with --debug
        if debug:
            traceback.print_exc()
        print(f"oncall: internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL


def run_here(*args: str, cwd: str | Path = ".") -> tuple[int, str]:
    """Run the command line in this process (a notebook's kernel): the same main() the ``oncall`` command calls,
    in folder cwd. Return its exit status and what it printed (stdout and stderr, in the order it printed them);
    taught in 04_learn."""
    printed = io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        code = main([str(a) for a in args])
    return code, printed.getvalue().strip()


def _dispatch(args) -> int:
    if args.command == "scenarios":
        for name, title in list_scenarios():
            print(f"{name:<20} {title}")
        return EXIT_OK
    if args.command == "slo" and args.slo_command == "rules":
        return print(rules_command(args.slo, args.out)) or EXIT_OK
    if args.command == "slo" and args.slo_command == "report":
        return print(report_command(args.prometheus, args.slo, args.start, args.end, args.json)) or EXIT_OK
    if args.command == "slo":
        return _slo_explain(args)
    if args.command == "correlate":
        return _correlate(args)
    if args.command == "triage":
        return _triage(args)
    if args.command == "canary-judge":
        code, text = canary_judge_command(args.baseline, args.canary, args.config, args.json)
        print(text)
        return code
    if args.command == "eval":
        code, text = eval_command(args.cases, args.release, args.scenario, args.promote, args.json,
                                  epochs=args.epochs, seed=args.seed, compare=args.compare, judge=args.judge)
        print(text)
        return code
    if args.command == "gameday":
        from .gameday.command import gameday_command   # deferred: only this subcommand needs the game
        seed = _seed(args.seed) if args.seed is not None else None
        spread = int(args.spread) if args.spread.isdigit() else None
        if spread is None:
            raise BadInput("--spread", None, f"expected a whole number of seeds >= 0, got {args.spread!r}")
        code, text = gameday_command(args.scenario, seed, args.play, args.out, args.json, min(spread, 200))
        print(text)
        return code
    return _run(args)


def _triage(args) -> int:
    seed = _seed(args.seed) if args.seed is not None else None
    doc = run_triage(args.file, incidents_path=args.incidents, scenario=args.scenario, seed=seed,
                     storm_path=args.storm, tiers_path=args.tiers, linker=args.linker)
    if args.json:
        print(json.dumps(doc, indent=2))
        return EXIT_OK
    for t in doc["tickets"]:
        link = f" -> {t['linked_incident']}" if t["linked_incident"] else ""
        dup = f" (duplicate of {t['duplicate_of']})" if t["duplicate_of"] else ""
        print(f"{t['id']:<10} {t['priority']} {t['category']:<16} {t['team']:<18}{link}{dup}")
    for inc in doc.get("incidents", []):
        if inc["tickets"]:
            print(f"  {inc['id']}: {inc['tickets']} linked ticket(s)")
    return EXIT_OK


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise BadInput(option, None, f"expected a number, got {text!r}") from None


def _slo_explain(args) -> int:
    error_ratio = _number(args.error_ratio, "--error-ratio")
    result = explain(_number(args.objective, "--objective"), error_ratio, args.period)
    print(json.dumps(result, indent=2) if args.json else explain_text(result, error_ratio))
    return EXIT_OK


def _correlate(args) -> int:
    path = Path(args.file)
    try:
        with open(path, "rb") as f:
            empty = not f.read(1 << 16).strip()   # a JSON Lines export of 0 bytes or only white space
        if empty and not path.read_bytes().strip():
            raise BadInput(str(path), None, "empty: no payload at all, which is almost always a failed export "
                                            '(a webhook payload with no alerts is {"alerts": [], ...})')
        frame = parse_file(path, str(path))     # JSON Lines streamed in chunks: the whole text is never held
    except OSError as exc:
        raise BadInput(str(path), None, f"cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            start = len(data)
        except UnicodeDecodeError as exc:
            start = exc.start
        line = data[:start].count(b"\n") + 1
        raise BadInput(str(path), f"line {line}", "not UTF-8 text (Alertmanager sends UTF-8 JSON)") from None
    result = correlate(frame, load_alerting_config(), load_topology())
    doc = to_json(result)
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return EXIT_OK
    print(f"{doc['alerts_total']} alert notifications in, {doc['notifications_sent']} notifications out "
          f"({doc['noise_reduction_pct']:.1f} % noise reduction on notifications, "
          f"{doc['noise_reduction_distinct_pct']:.1f} % on {doc['distinct_alerts']} distinct alerts), "
          f"{len(doc['incidents'])} incidents.")
    for row in result.incidents.itertuples():
        parts = []
        for key in ("services", "components", "severity"):
            value = getattr(row, key, None)
            if value is not None:
                shown = ", ".join(v for v in value if v) if isinstance(value, (list, tuple)) else str(value)
                parts.append(f"{key}: {shown}")
        print(f"  {row.id}  {len(row.fingerprints)} alerts  " + "; ".join(parts))
    reasons = result.dropped["reason"].value_counts().sort_index() if len(result.dropped) else {}
    if len(reasons):
        print("  dropped: " + ", ".join(f"{n} {reason}" for reason, n in reasons.items()))
    return EXIT_OK


def _run(args) -> int:
    seed = _seed(args.seed) if args.seed is not None else None
    out = Path(args.out) if getattr(args, "out", None) else None
    if out is not None:
        _check_out(out)
    scenario = load_scenario(args.scenario)
    if args.break_mode not in BREAK_MODES and args.break_mode not in scenario.break_modes:
        modes = dict.fromkeys([*BREAK_MODES, *scenario.break_modes])   # a scenario may add modes of its own
        raise BadInput("--break", None, f"expected one of {', '.join(modes)}, got {args.break_mode!r}")
    scenario.check_break_mode(args.break_mode)

    record = run_shift(scenario, seed, args.break_mode)
    card = scorecard(record)
    if out is not None:
        write_artifacts(record, card, out)
    if args.json:
        print(json.dumps(card, indent=2))
    elif args.command == "gate":
        for c in card["checks"]:
            print(f"{'PASS' if c['passed'] else 'FAIL'}  {c['name']:<26} {c['detail']}")
        print(verdict_lines(card)[-1])
    else:
        events = record.trace.events
        full = args.full or args.no_fold
        body = story_lines(events, fold=not args.no_fold) if full else summary_lines(events)
        lines = header(scenario, record.seed, args.break_mode) + body
        print("\n".join(lines + verdict_lines(card)))
    return EXIT_OK if card["passed"] else EXIT_NO


def _check_out(out: Path) -> None:
    """--out must be a new folder or one an earlier run wrote (it holds trace.jsonl); never a file. Its parent
    folders may be missing (they are made), but not a file nor a place we cannot write in."""
    if out.exists() and not out.is_dir():
        raise BadInput("--out", None, f"{out} is a file; expected a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "trace.jsonl").is_file():
        raise BadInput("--out", None, f"{out} is not empty and holds no earlier run (no trace.jsonl); choose another folder")
    folder = out.resolve().parent   # missing parent folders are made when the run is written (runs/ in a fresh clone)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise BadInput("--out", None, f"{folder} is a file; expected a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput("--out", None, f"cannot write in {folder}")


def write_artifacts(record, card: dict, out: Path) -> None:
    """Write the run into a temporary folder beside ``out``, then move it into place in one step."""
    files = {"trace.jsonl": record.trace.to_jsonl(), "scorecard.json": json.dumps(card, indent=2) + "\n",
             "trace.perfetto.json": chrome_trace(record)}
    files.update(record.artifacts)
    files.update(prom_artifacts(record))
    if importlib.util.find_spec("matplotlib") is not None:  # the course extra; the bare runtime skips the report
        from .report import render_report   # deferred on purpose: matplotlib is an optional, heavy library

        files["report.html"] = render_report(record, card)
    parent = out.resolve().parent
    made = []   # the parent folders this run makes, removed again if writing fails
    folder = parent
    while not folder.exists() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    try:
        for folder in reversed(made):
            folder.mkdir()
    except OSError as exc:
        _remove_empty(made)
        raise BadInput("--out", None, f"cannot make {folder} ({exc.strerror or exc})") from None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    except BaseException:
        _remove_empty(made)
        raise
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)   # mkdtemp makes it private (0700); the run's folder is an ordinary one
    try:
        for name, text in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=parent))
            os.rename(out, old / out.name)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_empty(made)
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed write made (innermost first), as long as they are empty."""
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()

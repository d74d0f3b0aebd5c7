"""Fit triage's learned linker (oncall/support_desk/learned.py) and write its weights to
data/tickets/linker_weights.json: a logistic regression over the signals of every (ticket, incident) pair of the
labelled held-out nights (``evaluation.NIGHTS``) and of the course's two queues (bad-deploy and stale-index, seed 1).
Then print each night's figures with weights fitted on every other queue (leave one night out), beside the rules'.

    python benchmarks/fit_linker.py            # refit, write, print
    python benchmarks/fit_linker.py --check    # refit and compare with the shipped weights (exit 1 if they differ)
    python benchmarks/fit_linker.py --pairs    # leave one night out with a weight for every pair of signals too,
                                               # beside the shipped fit's (writes nothing)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COURSE = ("bad-deploy", "stale-index")


def course_night(scenario: str, seed: int = 1) -> tuple:
    """``evaluation.night`` of a course queue: the shift's tickets and incidents, its truth about the paged incident."""
    from oncall.detect import detect
    from oncall.paths import DATA_DIR
    from oncall.scenario import load_scenario
    from oncall.shift import serve
    from oncall.support_desk import learned
    from oncall.support_desk import triage as desk
    from oncall.support_desk.rules import first_pass
    from oncall.triage import queue_path

    sc = load_scenario(scenario)
    record = serve(sc, seed, "none")
    record.choices = sc.on_call("none")
    detect(record)
    tickets, incidents = desk.load_tickets(queue_path(record)), desk.incidents_from_record(record)
    truth = {k: dict(v, incident=record.paged_incident)
             for k, v in desk.load_truth(DATA_DIR / "tickets" / f"{scenario}.truth.jsonl").items()}
    first = first_pass(tickets, incidents)
    X, keys = learned.pairs(first, incidents)
    return X, learned.labels(first, incidents, truth, keys), first, keys, truth, incidents


def course_figures(scenario: str, seed: int = 1, linker: str = "learned") -> dict:
    """``evaluation.figures`` of a course queue triaged by ``linker`` (scored on the paged incident)."""
    from oncall.paths import DATA_DIR
    from oncall.support_desk import evaluation as ev
    from oncall.support_desk import triage as desk

    _X, _y, first, _keys, _truth, incidents = course_night(scenario, seed)
    paged = next(i for i in incidents if i.id == _truth[next(iter(_truth))]["incident"])
    triaged = desk.triage_tickets(first.tickets, incidents, linker=linker)
    return ev.figures(triaged, desk.load_truth(DATA_DIR / "tickets" / f"{scenario}.truth.jsonl"), incidents, paged)


def training_queues() -> dict[str, tuple]:
    """Every queue the weights learn from, by name: the tuned held-out nights, then the course's queues."""
    from oncall.support_desk import evaluation as ev

    data = ev.tuned_nights()
    data.update({f"course {s} (seed 1)": course_night(s) for s in COURSE})
    return data


PAIRS_FROM = 27   # the first night measured once after the pairs came in


def ahead(fits: list[tuple[dict, bool]], folders: dict, first: int) -> dict[str, tuple[float, ...]]:
    """Each tuned night from the ``first``-th on scored as if it were being measured now for the first time: by
    weights fitted on the queues before it (the earlier nights and the course's), once for each (queues, paired) of
    ``fits``; its F1 for each, in that order."""
    from oncall.support_desk import evaluation as ev
    from oncall.support_desk import learned

    out = {}
    for name, folder in folders.items():
        k = ev.night_number(name)
        if k < first:
            continue
        out[name] = tuple(
            ev.figures(*ev.heldout(folder, linker="learned", weights=learned.fit(
                data, [n for n in data if n.startswith("course") or ev.night_number(n) < k], paired)))
            ["linker"]["link_f1"] for data, paired in fits)
    return out


def since_the_pairs(data: dict[str, tuple], folders: dict) -> dict[str, tuple[float, float]]:
    """Each tuned night from ``PAIRS_FROM`` on scored by weights fitted, without and with the pairs, on the queues
    before it: what each would score if it were first measured with today's signals."""
    return ahead([(data, False), (data, True)], folders, PAIRS_FROM)


def without(data: dict[str, tuple], name: str) -> dict[str, tuple]:
    """``data`` with the signal ``name`` set to 0 in every pair: weights fitted on it are weights without it."""
    from oncall.support_desk import learned

    col = learned.NAMES.index(name)
    out = {}
    for queue, (X, *rest) in data.items():
        X = X.copy()
        X[:, col] = 0.0
        out[queue] = (X, *rest)
    return out


def signal_worth(data: dict[str, tuple], folders: dict, name: str, first: int = 12) -> None:
    """What the signal ``name`` is worth: leaving one night out, and each night from the ``first``-th on scored by
    weights fitted on the queues before it (as if it had been measured with the signal), without it and with it."""
    from oncall.support_desk import evaluation as ev
    from oncall.support_desk import learned

    plain = without(data, name)
    left_out = [{n: f["linker"]["link_f1"] for n, f in ev.leave_one_out(d, folders).items()} for d in (plain, data)]
    report(name, f"leaving one night out over {len(folders)} nights",
           {n: (left_out[0][n], left_out[1][n]) for n in folders})
    before = ahead([(plain, learned.PAIRED), (data, learned.PAIRED)], folders, first)
    report(name, f"fitted on the nights before each, from the {first}th on ({len(before)} nights)", before)


def report(name: str, what: str, scores: dict[str, tuple[float, float]]) -> None:
    """One line of ``signal_worth``: each night's F1 (without the signal, with it), their means and how many moved."""
    print(f"{name}: {what}, mean F1 {sum(a for a, _ in scores.values()) / len(scores):.4f} without it, "
          f"{sum(b for _, b in scores.values()) / len(scores):.4f} with it "
          f"({sum(b > a for a, b in scores.values())} nights up, {sum(b < a for a, b in scores.values())} down)")


def main(argv=None) -> int:
    from oncall.support_desk import evaluation as ev
    from oncall.support_desk import learned

    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="compare a refit with the shipped weights")
    args.add_argument("--pairs", action="store_true", help="leave one night out with and without pairs of signals")
    args.add_argument("--worth", metavar="SIGNAL", help="what one signal is worth: the nights without it and with it")
    opts = args.parse_args(argv)
    if opts.worth and opts.worth not in learned.NAMES:
        print(f"fit_linker.py: --worth: expected one of {', '.join(learned.NAMES)}, got {opts.worth!r}",
              file=sys.stderr)
        return 2
    data = training_queues()
    if opts.worth:
        signal_worth(data, ev.tuned_folders(), opts.worth)
        return 0
    if opts.pairs:
        folders = ev.tuned_folders()
        f1 = {paired: {n: f["linker"]["link_f1"] for n, f in ev.leave_one_out(data, folders, paired).items()}
              for paired in (learned.PAIRED, not learned.PAIRED)}
        print("leave one night out, F1 without the pairs / with them:")
        for name in folders:
            print(f"  {name:12s} {f1[False][name]:.2f} / {f1[True][name]:.2f}")
        for paired, said in ((False, "without the pairs"), (True, "with them")):
            values = list(f1[paired].values())
            print(f"mean {sum(values) / len(values):.3f}, worst {min(values):.2f}: {said}")
        now = since_the_pairs(data, folders)
        print("each night since the pairs came in, fitted on the nights before it, F1 without the pairs / with them: "
              "as first measured (evaluation.PAIRS_FIRST), and refitted with today's signals:")
        for name in sorted(set(ev.PAIRS_FIRST) | set(now), key=ev.night_number):
            then = "{:.2f} / {:.2f}".format(*ev.PAIRS_FIRST[name]) if name in ev.PAIRS_FIRST else "  -  "
            today = "{:.2f} / {:.2f}".format(*now[name]) if name in now else "  -  "
            print(f"  {name:12s} {then}   {today}")
        for record, when in ((ev.PAIRS_FIRST, "as first measured"), (now, "refitted now")):
            print(f"mean over {len(record)} nights, {when}: {sum(v[0] for v in record.values()) / len(record):.3f} "
                  f"without the pairs, {sum(v[1] for v in record.values()) / len(record):.3f} with them")
        return 0
    weights = learned.fit(data, list(data))
    path = learned._weights_path()
    if opts.check:
        same = weights.to_json() == path.read_text()
        print(f"{path.name}: {'the same as a refit' if same else 'NOT what a refit gives'}")
        return 0 if same else 1
    path.write_text(weights.to_json())
    print(f"wrote {path.name}: fitted on {', '.join(data)}")
    print("leave one night out (weights fitted on every other queue) beside the rules:")
    folders = ev.tuned_folders()
    for name, fig in ev.leave_one_out(data, folders).items():
        rules = ev.figures(*ev.heldout(folders[name]))["linker"]
        f = fig["linker"]
        print(f"  {name:12s} P {f['link_precision']:.2f} R {f['link_recall']:.2f} F1 {f['link_f1']:.2f} "
              f"P1/P2 {f['outage_p1_p2_share']:.0%}   the rules: F1 {rules['link_f1']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

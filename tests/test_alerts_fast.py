"""parse_payloads' fast path (orjson, chunked JSON Lines, shared dicts) gives the reference parse's frame, dtypes
included, and its errors word for word; inputs off the fast path are handed to the reference parse."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from oncall.errors import BadInput
from oncall.support_desk import alerts, alerts_fast

from benchload import load_bench

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "alerts"


_bench = load_bench


def alert(name="A", status="firing", **over):
    a = {"status": status, "labels": {"alertname": name, "service": "svc", "severity": "warning"},
         "annotations": {"summary": "s"}, "startsAt": "2025-03-14T02:05:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://g", "fingerprint": "00000000000000aa"}
    a.update(over)
    return a


def payload(*alerts_, **over):
    p = {"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "r", "alerts": list(alerts_)}
    p.update(over)
    return p


def same(text: str, fast: bool = True) -> pd.DataFrame:
    """Both parses agree (frame and dtypes); ``fast``: the fast path took the input itself."""
    assert (alerts._fast_frame(text) is not None) == fast
    got, want = alerts.parse_payloads(text, "f"), alerts.parse_payloads_reference(text, "f")
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got["labels"].map(list)) == list(want["labels"].map(list))  # key order kept too
    return got


def jsonl(*payloads) -> str:
    return "".join(json.dumps(p) + "\n" for p in payloads)


@pytest.mark.parametrize("name", ["storm.json", "storm.jsonl", "page.json", "empty.json"])
def test_course_payloads(name):
    same((DATA / name).read_text(encoding="utf-8"))


def test_generated_storm_across_chunks(monkeypatch, tmp_path):
    monkeypatch.setattr(alerts_fast, "_CHUNK_CHARS", 2000)  # many chunks: line numbers and payload numbers carry on
    bench = _bench()
    bench.write_jsonl(bench.make_storm(3000), tmp_path / "s.jsonl")
    text = (tmp_path / "s.jsonl").read_text(encoding="utf-8")
    frame = same(text)
    assert len(frame) == 3000 and "true_cause" in frame.columns
    lines = text.split("\n")
    same("\n\n" + "\n  \n".join(lines[:50]) + "\n")  # blank lines between payloads


def test_edge_cases_take_the_fast_path_and_agree():
    a = alert()
    no_fp = {k: v for k, v in a.items() if k != "fingerprint"}
    missing = alert(labels={"alertname": "B"}, endsAt="0001-01-01T00:00:00Z")  # no service/component/severity
    extra = alert(labels={"zone": "b", "alertname": "C", "service": "s", "team": "t", "component": "c"})
    resolved = alert(status="resolved", endsAt="2025-03-14T02:15:00.5+01:00")
    bare = {"status": "firing", "labels": {"alertname": "D"}, "startsAt": "2025-03-14T02:05:00Z"}  # nothing else
    items = [payload(a, no_fp, missing), payload(extra, resolved, receivedAt="2025-03-14T02:20:00Z"),
             payload(), payload(bare, no_fp, groupKey="g2")]
    same(jsonl(*items))
    same(json.dumps(items))  # a JSON list
    same(json.dumps(items[0], indent=2))  # one object over several lines
    same(jsonl(*items).replace("\n", "\r\n"), fast=True)  # Windows line ends
    same("", fast=False)  # empty text: the reference answers (an empty frame)
    same(jsonl(payload()))
    same(json.dumps(payload(alert(annotations=None), alert(annotations={}))))
    same(json.dumps(payload(alert(annotations=[]))), fast=False)  # read as {} by the reference
    truth = same(jsonl(payload(alert(trueCause="x"), alert())))
    assert truth["true_cause"].iat[0] == "x" and truth["true_cause"].isna().iat[1]


def test_off_path_inputs_are_parsed_by_the_reference():
    # json reads these, orjson does not (or reads them otherwise): the reference parse must.
    same('{"version": "4", "alerts": [], "x": NaN}', fast=False)
    same(json.dumps(payload(alert(annotations={"n": 2 ** 70}))), fast=False)  # orjson: a float
    same(json.dumps(payload(alert(annotations={"n": 1, "m": True}))), fast=False)
    same(json.dumps(payload(alert(annotations={"s": "\ud800"}))), fast=False)
    same(jsonl(payload(alert())) + "\x0c" + jsonl(payload(alert())))  # a line break to str.splitlines: lines 1, 3


BAD = [
    "{not json",
    jsonl(payload(alert())) + "{\n",
    jsonl(payload(alert()), payload(alert(status="pending"))),
    jsonl(payload(alert()), payload(alert(labels={"alertname": "A", "n": 1}))),
    jsonl(payload(alert()), payload(alert(labels={"service": "s"}))),
    jsonl(payload(alert()), payload(alert(startsAt="yesterday"))),
    jsonl(payload(alert()), payload(alert(), receivedAt=5)),
    jsonl(payload(alert()), payload(alert(fingerprint=7))),
    jsonl(payload(alert()), payload(alert(annotations="x"))),
    jsonl(payload(alert()), {"version": "3", "alerts": []}),
    jsonl(payload(alert()), alert()),
    json.dumps([payload(alert()), 5]),
    json.dumps(payload(alert(), "x")),
    jsonl(payload(alert())) + "\u00a0" + jsonl(payload(alert())),  # not JSON whitespace
]


@pytest.mark.parametrize("text", BAD)
def test_bad_input_gives_the_reference_error(text):
    with pytest.raises(BadInput) as want:
        alerts.parse_payloads_reference(text, "f.jsonl")
    with pytest.raises(BadInput) as got:
        alerts.parse_payloads(text, "f.jsonl")
    assert str(got.value) == str(want.value)


def test_equal_label_sets_are_shared_and_gc_is_restored():
    import gc

    frame = alerts.parse_payloads(jsonl(payload(alert(), alert()), payload(alert())), "f")
    assert frame["labels"].iat[0] is frame["labels"].iat[2]
    assert gc.isenabled()


def test_parse_file_streams_json_lines_to_the_same_frame(monkeypatch, tmp_path):
    monkeypatch.setattr(alerts_fast, "_CHUNK_CHARS", 1500)  # many chunks, lines cut across reads
    bench = _bench()
    path = tmp_path / "s.jsonl"
    bench.write_jsonl(bench.make_storm(2000), path)
    assert alerts._fast_file(path) is not None
    pd.testing.assert_frame_equal(alerts.parse_file(path), alerts.parse_payloads_reference(
        path.read_text(encoding="utf-8"), str(path)), check_exact=True)
    for name in ["storm.json", "storm.jsonl", "page.json", "empty.json"]:
        pd.testing.assert_frame_equal(alerts.parse_file(DATA / name), alerts.parse_payloads_reference(
            (DATA / name).read_text(encoding="utf-8"), str(DATA / name)), check_exact=True)


@pytest.mark.parametrize("text", BAD + ["\ufeff" + jsonl(payload(alert()), payload(alert())),
                                        jsonl(payload(alert()), payload(alert())).replace("\n", "\r\n") + "{"])
def test_parse_file_gives_the_reference_error(text, tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(BadInput) as want:
        alerts.parse_payloads_reference(path.read_text(encoding="utf-8"), str(path))
    with pytest.raises(BadInput) as got:
        alerts.parse_file(path)
    assert str(got.value) == str(want.value)


def _random_payloads(seed: int, n: int) -> list[dict]:
    """Payloads mixing what a real Alertmanager file holds: re-sends (the same alert text again), the same alert
    with its labels in another order, missing labels, resolved alerts, unicode, extra fields, alerts without a
    fingerprint or annotations."""
    import random

    rng = random.Random(seed)
    names = ["HighLatency", "Erreur élevée", "高错误率", "Disk🔥Full"]
    pool = []
    for i in range(40):
        labels = {"alertname": rng.choice(names), "service": f"svc-{i % 7}",
                  "severity": rng.choice(["page", "warning", "info"])}
        if rng.random() < 0.3:
            del labels["service"]  # missing label: ""
        if rng.random() < 0.3:
            labels["zone"] = rng.choice(["eu-1", "zürich"])
        a = alert(labels=labels, annotations={"summary": f"{labels['alertname']} – {i}"},
                  startsAt=f"2025-03-14T02:{i:02d}:00Z", fingerprint=f"{i:016x}")
        if rng.random() < 0.3:
            a["status"], a["endsAt"] = "resolved", f"2025-03-14T03:{i:02d}:30.25+00:00"
        if rng.random() < 0.2:
            a["silenceURL"] = "http://am/silence"  # an extra field the frame does not read
        if rng.random() < 0.1:
            del a["fingerprint"]
        if rng.random() < 0.1:
            del a["annotations"]
        pool.append(a)
    out = []
    for k in range(n):
        chosen = [dict(rng.choice(pool)) for _ in range(rng.randint(0, 6))]
        for a in chosen:
            if rng.random() < 0.1:  # the same alert, its labels in another order: a row of its own order
                a["labels"] = dict(reversed(list(a["labels"].items())))
        extra = {"receivedAt": f"2025-03-14T04:{k % 60:02d}:00Z"} if rng.random() < 0.5 else {}
        out.append(payload(*chosen, groupKey=f"{{}}:{{n=\"{k % 5}\"}}", commonLabels={"x": "y"}, **extra))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_payloads_with_edge_cases_agree(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(alerts_fast, "_CHUNK_CHARS", 3000)
    items = _random_payloads(seed, 200)
    ascii_text = "".join(json.dumps(p) + "\n" for p in items)  # \u escapes: ASCII, read by the file path too
    text = "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in items)  # UTF-8 as written
    for t in (ascii_text, text):
        frame = same(t)
        path = tmp_path / "p.jsonl"
        path.write_text(t, encoding="utf-8")
        got = alerts.parse_file(path)
        pd.testing.assert_frame_equal(got, frame, check_exact=True)
        assert list(got["labels"].map(list)) == list(frame["labels"].map(list))
    assert alerts._fast_file(tmp_path / "p.jsonl") is None  # not ASCII: the whole text, read by parse_payloads
    assert "高错误率" in set(frame["alertname"]) and "" in set(frame["service"])
    bad = ascii_text.splitlines(keepends=True)
    bad.insert(150, json.dumps(payload(alert(status="pending"))) + "\n")  # a bad line deep in the file
    path.write_text("".join(bad), encoding="utf-8")
    with pytest.raises(BadInput) as want:
        alerts.parse_payloads_reference("".join(bad), str(path))
    with pytest.raises(BadInput) as got_err:
        alerts.parse_file(path)
    assert str(got_err.value) == str(want.value) and "line 151" in str(want.value)


def test_a_bad_line_exits_2_naming_file_and_field(oncall_cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(jsonl(payload(alert()), payload(alert(labels={"alertname": "A", "n": 1}))), encoding="utf-8")
    r = oncall_cli(["correlate", path])
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "p.jsonl" in r.stderr and "line 2: alerts[0].labels.n" in r.stderr

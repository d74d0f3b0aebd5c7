"""Correlating a file in chunks (alerts_stream) finds the incidents and notifications of correlating the whole
frame in memory, on a generated storm cut into many chunks, shuffled, and with re-sends that disagree."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from oncall.errors import BadInput
from oncall.support_desk import alerts, alerts_fast, alerts_stream
from oncall.support_desk import correlate as corr

from benchload import load_bench

ROOT = Path(__file__).resolve().parent.parent


_bench = load_bench


def same_grouping(path, chunk_alerts):
    cfg, topo = corr.load_alerting_config(), corr.load_topology()
    frame = alerts.parse_file(path)
    want = corr.correlate(frame, cfg, topo)
    kept = alerts_stream.reduced_frame(path, chunk_alerts)
    assert kept is not None and kept[1] == len(frame)  # streamed, every row counted
    assert len(kept[0]) < len(frame)  # re-sends were not kept
    got = alerts_stream.correlate_file(path, cfg, topo, chunk_alerts=chunk_alerts)
    pd.testing.assert_frame_equal(got.incidents, want.incidents, check_exact=True)
    pd.testing.assert_frame_equal(got.notifications, want.notifications, check_exact=True)
    assert got.alerts_in == len(frame)
    return want


@pytest.fixture(scope="module")
def storm_lines(tmp_path_factory):
    path = tmp_path_factory.mktemp("storm") / "s.jsonl"
    _bench().write_jsonl(_bench().make_storm(12_000), path)
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_chunked_equals_in_memory(storm_lines, tmp_path, monkeypatch):
    monkeypatch.setattr(alerts_fast, "_CHUNK_CHARS", 20_000)  # many reads, many chunks
    path = tmp_path / "s.jsonl"
    path.write_text("".join(storm_lines), encoding="utf-8")
    want = same_grouping(path, chunk_alerts=700)
    assert len(want.incidents) > 10
    same_grouping(path, chunk_alerts=10 ** 9)  # one chunk


def test_chunked_equals_in_memory_out_of_order(storm_lines, tmp_path, monkeypatch):
    monkeypatch.setattr(alerts_fast, "_CHUNK_CHARS", 20_000)
    lines = list(storm_lines)
    # Re-sends that disagree with the first send: the same resolved instances ending at their start, and the
    # last payload sent again hours later (its rows are duplicates, but they move the observation's end).
    for i in range(0, len(lines), 7):
        p = json.loads(lines[i])
        for a in p["alerts"]:
            if a["status"] == "resolved":
                a["endsAt"] = a["startsAt"]
        lines.append(json.dumps(p) + "\n")
    late = json.loads(storm_lines[-1])
    late["receivedAt"] = "2025-03-16T12:00:00Z"
    lines.append(json.dumps(late) + "\n")
    random.Random(5).shuffle(lines)  # payloads out of time order: a re-send may come before the first send
    path = tmp_path / "s.jsonl"
    path.write_text("".join(lines), encoding="utf-8")
    same_grouping(path, chunk_alerts=500)


def test_off_path_files_give_the_in_memory_result_and_errors(tmp_path):
    path = tmp_path / "one.json"
    path.write_text((ROOT / "data" / "alerts" / "page.json").read_text(encoding="utf-8"), encoding="utf-8")
    cfg, topo = corr.load_alerting_config(), corr.load_topology()
    got = alerts_stream.correlate_file(path, cfg, topo)
    want = corr.correlate(alerts.parse_file(path), cfg, topo)
    pd.testing.assert_frame_equal(got.incidents, want.incidents)
    bad = tmp_path / "bad.jsonl"
    good = json.dumps({"version": "4", "alerts": []})
    bad.write_text(good + "\n" + good + "\n{\n", encoding="utf-8")
    with pytest.raises(BadInput) as want_err:
        alerts.parse_file(bad)
    with pytest.raises(BadInput) as got_err:
        alerts_stream.correlate_file(bad)
    assert str(got_err.value) == str(want_err.value)

"""oncall triage reads what real desks export: JSON Lines or a CSV export (by extension or by sniffing), tiers
it does not know read as the default with one warning on stderr, extra fields kept; bad input still exit 2."""
import json

import pytest

from oncall.cli import main
from oncall.support_desk import triage as tr

INCIDENTS = [{"id": "INC-9", "opened_at": "2026-11-27T01:33:00Z", "resolved_at": None,
              "services": ["support-assistant"], "components": ["agent", "gateway"], "severity": "page"}]
CSV = ("Ticket ID;Created at;Subject;Description;Plan;Requester;Channel\n"
       "Z-1;2026-11-27 01:40:00 UTC;Chat broken;the assistant errors on everything;Gold;ana@example.invalid;web\n"
       "Z-2;2026-11-27T01:41:00Z;Question;\"How do I change my address; and my name?\";ENTERPRISE;bo@example.invalid;mail\n"
       "Z-3;2026-11-27T01:42:00Z;;bot not working;;cy@example.invalid;web\n")


def run(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    inc = tmp_path / "incidents.json"
    inc.write_text(json.dumps(INCIDENTS), encoding="utf-8")
    code = main(["triage", str(path), "--incidents", str(inc), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else out), err


def test_csv_export_with_unknown_tier_and_extra_fields(tmp_path, capsys):
    code, doc, err = run(tmp_path, capsys, "export.csv", CSV)
    assert code == 0
    by_id = {t["id"]: t for t in doc["tickets"]}
    assert by_id["Z-1"]["linked_incident"] == "INC-9" and by_id["Z-3"]["linked_incident"] == "INC-9"
    assert by_id["Z-2"]["linked_incident"] is None
    assert by_id["Z-1"]["extra"] == {"Requester": "ana@example.invalid", "Channel": "web", "customer_tier_given": "Gold"}
    assert "extra" in by_id["Z-3"] and "customer_tier_given" not in by_id["Z-3"]["extra"]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "export.csv" in lines[0] and "'Gold'" in lines[0] and "read as free" in lines[0]


def test_sniffed_without_extension_and_tiers_case_blind(tmp_path, capsys):
    rows = [{"id": "A", "created_at": "2026-11-27T01:40:00Z", "text": "the bot is down", "customer_tier": "Enterprise",
             "channel": "email"},
            {"id": "B", "created_at": "2026-11-27T01:41:00Z", "text": "chat broken", "customer_tier": "premium"}]
    code, doc, err = run(tmp_path, capsys, "export", "".join(json.dumps(r) + "\n" for r in rows))
    assert code == 0 and err == ""
    tickets = tr.load_tickets(tmp_path / "export")
    assert [t.customer_tier for t in tickets] == ["enterprise", "pro"]
    assert tickets[0].extra == {"channel": "email", "customer_tier_given": "Enterprise"}
    code, doc, err = run(tmp_path, capsys, "export2", CSV)             # sniffed as CSV
    assert code == 0 and len(doc["tickets"]) == 3
    code, doc, err = run(tmp_path, capsys, "excel.csv", "\ufeff" + CSV)   # a spreadsheet's byte-order mark
    assert code == 0 and len(doc["tickets"]) == 3


def test_bad_csv_is_exit_2_with_one_line(tmp_path, capsys):
    code, out, err = run(tmp_path, capsys, "bad.csv", "Ticket ID;Created at;Description\nZ-1;yesterday;broken\n")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "bad.csv: line 2" in err and "created_at" in err
    code, out, err = run(tmp_path, capsys, "bad2.csv", "who,when\n1,2\n")
    assert code == 2 and "bad2.csv: line 1" in err and "header" in err


def test_a_desks_api_export_a_json_array_or_an_object_of_tickets(tmp_path, capsys):
    rows = [{"id": "A", "created_at": "2026-11-27T01:40:00Z", "text": "the bot is down", "status": "open"},
            {"id": "B", "created_at": "2026-11-27T01:41:00Z", "text": "How do I change my address?"}]
    code, doc, err = run(tmp_path, capsys, "api.json", json.dumps(rows, indent=2))
    assert code == 0 and [t["id"] for t in doc["tickets"]] == ["A", "B"]
    assert doc["tickets"][0]["linked_incident"] == "INC-9" and doc["tickets"][0]["extra"] == {"status": "open"}
    code, doc, err = run(tmp_path, capsys, "api2", json.dumps({"tickets": rows, "count": 2}))
    assert code == 0 and len(doc["tickets"]) == 2
    code, out, err = run(tmp_path, capsys, "api3.json", json.dumps({"tickets": [rows[0], 7]}))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "api3.json: tickets[1]" in err
    code, out, err = run(tmp_path, capsys, "api4.json", '[{"id": "A",\n')
    assert code == 2 and len(err.strip().splitlines()) == 1 and "api4.json" in err


def test_a_multi_line_description_keeps_the_line_numbers_of_the_file(tmp_path, capsys):
    csv = ('Ticket ID,Created at,Description\nZ-1,2026-11-27T02:40:00+01:00,"the bot\nerrors on, ""everything"""\n'
           "Z-2,soon,x\n")
    code, out, err = run(tmp_path, capsys, "multi.csv", csv)
    assert code == 2 and "multi.csv: line 4" in err and "created_at" in err
    code, doc, err = run(tmp_path, capsys, "multi2.csv", csv.replace("soon", "2026-11-27T01:45:00Z"))
    assert code == 0 and doc["tickets"][0]["linked_incident"] == "INC-9"


def test_the_desks_own_tier_mapping(tmp_path, capsys):
    (tmp_path / "tiers.yaml").write_text("default: pro\naliases:\n  enterprise: [gold]\n", encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    tickets = {t.id: t for t in tr.load_tickets(path, warn=lambda line: None, tiers=tmp_path / "tiers.yaml")}
    assert tickets["Z-1"].customer_tier == "enterprise" and tickets["Z-2"].customer_tier == "enterprise"
    (tmp_path / "bad.yaml").write_text("default: gold\n", encoding="utf-8")
    code = main(["triage", str(path), "--tiers", str(tmp_path / "bad.yaml")])
    out, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bad.yaml" in err and "default" in err


STORM = [{"version": "4", "status": "firing", "receiver": "oncall", "groupKey": "{}:{alertname=\"GatewayErrors\"}",
          "groupLabels": {"alertname": "GatewayErrors"}, "commonLabels": {}, "commonAnnotations": {},
          "externalURL": "http://alertmanager.invalid", "truncatedAlerts": 0,
          "alerts": [{"status": "firing", "labels": {"alertname": "GatewayErrors", "service": "support-assistant",
                                                     "component": "gateway", "severity": "page"},
                      "annotations": {"summary": "Chat gateway 5xx above 5 %"},
                      "startsAt": "2026-11-27T01:30:00Z", "endsAt": "0001-01-01T00:00:00Z",
                      "generatorURL": "http://prometheus.invalid", "fingerprint": "a1b2c3d4e5f60718"}]}]


def test_incidents_straight_from_a_storm_file(tmp_path, capsys):
    storm = tmp_path / "storm.jsonl"
    storm.write_text("".join(json.dumps(p) + "\n" for p in STORM), encoding="utf-8")
    tickets = tmp_path / "t.jsonl"
    tickets.write_text(json.dumps({"id": "A", "created_at": "2026-11-27T01:40:00Z", "text": "chat bot gives errors"})
                       + "\n", encoding="utf-8")
    assert main(["triage", str(tickets), "--storm", str(storm), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["tickets"][0]["linked_incident"] == doc["incidents"][0]["id"]
    from oncall.commands.triage import incidents_from_storm
    (inc,) = incidents_from_storm(storm)
    assert inc.summary == "GatewayErrors: Chat gateway 5xx above 5 %" and inc.severity == "page"


@pytest.mark.parametrize("content, says", [(b"", "empty"), (b"\xff\xfe{", "line 1"), (b"not json\n", "line 1"),
                                           (b'{"id": "A", "created_at": "x", "text": "y"}\n', "version")])
def test_a_bad_storm_file_is_exit_2_with_one_line(tmp_path, capsys, content, says):
    storm = tmp_path / "storm.jsonl"
    storm.write_bytes(content)
    tickets = tmp_path / "t.jsonl"
    tickets.write_text(json.dumps({"id": "A", "created_at": "2026-11-27T01:40:00Z", "text": "bot down"}) + "\n",
                       encoding="utf-8")
    assert main(["triage", str(tickets), "--storm", str(storm)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "storm.jsonl" in err and says in err
    assert main(["triage", str(tickets), "--storm", str(storm), "--incidents", str(storm)]) == 2

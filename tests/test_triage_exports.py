"""oncall triage reads what real desks export: JSON Lines or a CSV export (by extension or by sniffing), tiers
it does not know read as the default with one warning on stderr, extra fields kept; bad input still exit 2."""
import json

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

"""Ticket exports as help desks write them (course module M32): JSON Lines, or a CSV export with the desk's own
column names ("Ticket ID", "Created at", "Description", "Plan", ...), told apart by the file's extension or,
without one we know, by its first character.

A desk's API export, a JSON array of tickets (or an object whose ``tickets`` is one), is read too.

Pure: text in, ``(line number, "FILE: line N", row)`` out, each row with the course's field names (``id``,
``created_at``, ``text``, ``customer_tier``) and every other column kept under its own name.
"""
from __future__ import annotations

import csv
import io
import json
import re

from ..errors import BadInput

# A desk's column name (lower case, runs of spaces, dashes and underscores as one space) -> the course's field.
COLUMNS = {
    "id": ("id", "ticket id", "ticket", "ticket number", "ticket no", "number", "#", "key", "case id", "case number"),
    "created_at": ("created at", "created", "created time", "created date", "creation date", "date created",
                   "opened at", "opened", "submitted at", "submitted", "timestamp", "date", "time"),
    "text": ("text", "description", "body", "message", "comment", "content", "details"),
    "subject": ("subject", "title", "summary"),
    "customer_tier": ("customer tier", "tier", "plan", "customer plan", "segment", "support level", "sla"),
}
_BY_NAME = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}


def _column(name: str) -> str:
    key = re.sub(r"[\s_\-]+", " ", name.strip().lower())
    return _BY_NAME.get(key, name.strip())


def kind_of(path_name: str, text: str) -> str:
    """"csv" or "jsonl": by extension (.csv, .tsv; .jsonl, .ndjson, .json), else by the first non-blank
    character ("{" starts a JSON object)."""
    lower = path_name.lower()
    if lower.endswith((".csv", ".tsv")):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def json_document_rows(text: str, where: str):
    """The rows of a JSON document export (a desk's API: a JSON array of tickets, or an object whose ``tickets`` is
    one), or None when the text is not one such document (JSON Lines)."""
    start = text.lstrip()[:1]
    if start not in ("[", "{"):
        return None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        if start == "[":
            raise BadInput(where, None, "not a JSON array of tickets (nor JSON Lines)") from None
        return None                          # JSON Lines: one object a line
    rows = doc.get("tickets") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        return None
    out = []
    for i, row in enumerate(rows):
        at = f"{where}: tickets[{i}]"
        if not isinstance(row, dict):
            raise BadInput(at, None, "expected a JSON object (a ticket)")
        out.append((i + 1, at, row))
    return out


def csv_rows(text: str, where: str):
    """The rows of a CSV export (comma, semicolon or tab separated, a header line first)."""
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise BadInput(f"{where}: line 1", None, f"not a CSV header ({exc})") from None
    names = [_column(h) for h in header]
    if "id" not in names or "created_at" not in names or not ({"text", "subject"} & set(names)):
        raise BadInput(f"{where}: line 1", "header", "a CSV export needs columns for the ticket's id, its creation "
                                                     f"time and its text (got {', '.join(header) or 'none'})")
    while True:
        at_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BadInput(f"{where}: line {at_line}", None, f"not CSV ({exc})") from None
        if not any(c.strip() for c in cells):
            continue
        at = f"{where}: line {at_line}"
        if len(cells) > len(names):
            raise BadInput(at, None, f"{len(cells)} cells for {len(names)} columns")
        row = {}
        for name, cell in zip(names, cells):
            row[name] = cell
        subject, body = row.pop("subject", "").strip(), row.get("text", "").strip()
        row["text"] = f"{subject}. {body}" if subject and body else subject or body
        if not (row.get("customer_tier") or "").strip():
            row.pop("customer_tier", None)
        yield at_line, at, row

"""The run of show (70 minutes of core path in slots that do not overlap), the glossary every notebook links to,
links instead of bare issue numbers, and the README's map from the course text's file names to ours."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
GLOSSARY = ROOT / "notebooks" / "glossary.md"
SLOT = re.compile(r"Run of show (\d):(\d\d)-(\d):(\d\d): (\d+) minutes of the course's 70")


def _cells(path):
    return nbformat.read(path, 4).cells


def _minutes(h, m):
    return 60 * int(h) + int(m)


def test_the_core_path_fits_70_minutes_in_slots_that_do_not_overlap():
    slots = []
    for path in NOTEBOOKS:
        header = _cells(path)[0].source
        match = SLOT.search(header)
        if path.stem == "console":
            continue
        if match is None:
            assert re.search(r"optional challenge|not part of the core path", header), \
                f"{path.name}: its header gives neither a slot of the run of show nor says it is optional"
            continue
        start, end = _minutes(*match.group(1, 2)), _minutes(*match.group(3, 4))
        assert end - start == int(match.group(5)), f"{path.name}: the slot and its minutes disagree"
        slots.append((start, end, path.name))
    slots.sort()
    assert slots[0][0] == 0 and slots[-1][1] <= 70, slots
    for (_, end, a), (start, _, b) in zip(slots, slots[1:]):
        assert end <= start, f"{a} and {b} overlap"
    assert sum(end - start for start, end, _ in slots) <= 70


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "console"], ids=lambda p: p.stem)
def test_deeper_sections_are_marked(path):
    cells = _cells(path)
    says = "**Deeper**" in cells[0].source
    marked = any(re.search(r"^## Deeper: ", c.source, re.M) for c in cells if c.cell_type == "markdown")
    assert says == marked, f"{path.name}: the header and the '## Deeper:' headings disagree"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_links_the_glossary_from_its_header(path):
    first_line = _cells(path)[0].source.splitlines()[0]
    assert "](glossary.md)" in first_line


def test_the_glossary_spells_out_every_term():
    text = GLOSSARY.read_text(encoding="utf-8")
    terms = re.findall(r"^\*\*(.+?)\*\*$", text, re.M)
    for term in ("SLI", "SLO", "SLA", "Error budget", "Burn rate", "SEV-1", "Run of show", "Part E", "F1", "TF-IDF",
                 "Hodges-Lehmann", "Holm", "Bonferroni", "Brown-Forsythe", "Kayenta", "M26", "M33",
                 "Incident commander", "Canary", "Regression eval"):
        assert any(term in t for t in terms), term
    assert "https://github.com/spinnaker/kayenta/issues/426" in text


BARE_ISSUE = re.compile(r"(?<![\w/\[(])#\d{2,}\b")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_bare_issue_numbers_in_the_text(path):
    for i, cell in enumerate(_cells(path)):
        if cell.cell_type == "markdown":
            text = re.sub(r"\[[^\]]*\]\([^)]*\)", "", cell.source)   # a link may name its issue
            assert not BARE_ISSUE.search(text), f"{path.name} cell {i}: {BARE_ISSUE.search(text).group(0)}"


def test_the_readme_maps_the_course_texts_file_names_to_ours():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("drill.py", "evals.py", "notes.md", "parts.py", "starters/extend.py", "solution/evals.py"):
        assert re.search(rf"^\| `{re.escape(name)}`", readme, re.M), name

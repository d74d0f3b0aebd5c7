"""No word cut mid-way in what a notebook shows: tables keep every cell's whole text (display options, set once
by ``oncall.course``), printed lines are never sliced, and the stored text outputs hold no word cut by "...".

The stored-outputs test reads the notebooks as committed: it fails until they are re-executed (``make notebooks``)."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# A word followed by an ellipsis: what pandas (max_colwidth) and widget reprs leave when they cut. A quoted excerpt
# ('..."': a ticket's words as the trace quotes them) is an ellipsis a reader sees as one, and so is one the
# sentence goes on after ("refund issued... then said it again", "On est le 8 mars… Commande 7730": a customer's
# own, one space and a word; pandas pads a cut cell with two or more; or the full stop or comma of Chinese and
# Japanese: 「思ったのに…。」).
CUT = re.compile(r"\w(\.\.\.|…)(?![\"'。、！？」])(?! \w)")
# Text sliced to a length by the code that prints it ("How long is t", "100.0 % of e").
SLICED = re.compile(r"\b(message|text|detail|evidence|reason|description)\b[\w.'\"()\]]*\[:\d+\]"
                    r"|artifacts\[[^\]]+\]\[:\d+\]")


def cut_lines(nb) -> list[str]:
    """The stored text output lines of ``nb`` that end a word with an ellipsis (widget reprs aside)."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("data", {}).get("text/plain") or ""
            text = "".join(text) if isinstance(text, list) else text
            if re.match(r"\s*(VBox|HBox|Output|Dropdown|IntSlider|Text)\(", text):
                continue   # a widget's repr (its model is what a browser shows)
            found += [f"cell {i}: {line.strip()[:120]}" for line in text.splitlines() if CUT.search(line)]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_code_cell_slices_the_text_it_prints(path):
    for i, cell in enumerate(nbformat.read(path, 4).cells):
        if cell.cell_type == "code":
            assert not SLICED.search(cell.source), f"{path.name} cell {i}: {SLICED.search(cell.source).group(0)}"


def test_the_course_import_shows_whole_cells():
    import pandas as pd

    import oncall.course  # noqa: F401

    assert pd.get_option("display.max_colwidth") is None
    for path in NOTEBOOKS:   # and no notebook narrows it again
        for cell in nbformat.read(path, 4).cells:
            assert "display.max_colwidth" not in cell.source, path.name


def test_a_cut_is_found_and_a_writers_own_ellipsis_is_not():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("t", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text=text)]) for text in (
        "T1  The assistant answers every question wi...  P2\n",           # pandas' cut, a column after it
        "a reason that ends in the middle of a wor...\n",                  # cut at the line's end
        "'my chat said refund issued... then said it again... and again'\n",  # the customer's own
        "'猫の日セールで買おうと思ったのに…。直してください。'\n",              # the customer's own, in Japanese
        "'On est le 8 mars… Commande 7730-1570.'\n",                     # the customer's own, a capital after it
        "quoted: \"it says the order...\"\n")])                              # an excerpt, quoted
    assert [line.split(": ", 1)[0] for line in cut_lines(nb)] == ["cell 0", "cell 1"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_cut_no_word(path):
    cut = cut_lines(nbformat.read(path, 4))
    assert not cut, f"{path.name}: {len(cut)} line(s) cut mid-word, e.g. {cut[:3]}"


def long_lines(nb, width: int) -> list[str]:
    """Stored printed lines longer than ``width`` that hold a space after their indent (a line JupyterLab would
    break mid-word, as its output area breaks anywhere); a table shown as HTML, a figure or a widget aside."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(k in data for k in ("text/html", "image/png", "application/vnd.jupyter.widget-view+json")):
                continue
            text = out.get("text") or data.get("text/plain") or ""
            text = "".join(text) if isinstance(text, list) else text
            found += [f"cell {i}: {line[:100]}" for line in text.splitlines()
                      if len(line) > width and " " in line.strip()]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_printed_lines_fit_the_output_area(path):
    from oncall.story import WIDTH

    found = long_lines(nbformat.read(path, 4), WIDTH)
    assert not found, f"{path.name}: {len(found)} line(s) over {WIDTH} characters, e.g. {found[:2]}"


def test_wrap_folds_between_words_under_the_last_column():
    from oncall.story import wrap

    line = ("      193  11-27 01:37  M31  detect    page.sent             " + "Paged Sam Rivera at SEV-1 " * 6).rstrip()
    out = wrap(line, 100).split("\n")
    assert len(out) > 1 and all(len(x) <= 100 for x in out)
    assert all(x.startswith(" " * 61) and x[61] != " " for x in out[1:])          # under the message column
    assert " ".join(x.strip() for x in out).split() == line.split()              # no word lost or cut
    plain = "word " * 50
    assert all(len(x) <= 100 for x in wrap(plain).split("\n")) and wrap("short") == "short"
    assert wrap("x" * 150) == "x" * 150                                           # one long token stays whole
    for k in range(40):                  # wherever the line breaks, a number keeps its unit
        glued = wrap("w" * k + " deployed to 100 % of them, and 60 min later again and again", 30).split("\n")
        assert not any(x.rstrip().endswith(("100", "60")) for x in glued), glued

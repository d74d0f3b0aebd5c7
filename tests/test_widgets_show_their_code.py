"""After Run All, a widget shows what the code that made it asked for: no later cell moves a widget that a cell
showed (check cells drive widget instances of their own, never shown)."""
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted(p for p in (Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb")
                   if p.stem != "console")   # the console's check cell restores its one control (tested there)
SHOWN = re.compile(r"^(\w+) = \w+\(.*\)\.show\(\)\s*$", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_cell_moves_a_shown_widget(path):
    cells = [c.source for c in nbformat.read(path, 4).cells if c.cell_type == "code"]
    for i, source in enumerate(cells):
        for name in SHOWN.findall(source):
            moved = re.compile(rf"\b{name}(\.\w+)*\.value\s*=[^=]")
            later = [j for j, s in enumerate(cells[i + 1:], i + 1)
                     if moved.search(s) and not re.search(rf"^{name} = ", s, re.M)]
            assert not later, f"{path.name}: code cell {later[0]} moves {name!r}, the widget a learner sees"

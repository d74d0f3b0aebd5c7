"""The exercises of a notebook as the learner reads them: the markdown cell that starts with "## Exercises" and the
markdown cells after it (solutions kept in a collapsed <details> block, or a "Worked solutions" cell), an item's
text, its solution's text and the commands or code blocks they tell the learner to run."""
from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent


def cells(notebook: str):
    return nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells


def exercises(notebook: str) -> str:
    """The exercise cell and the markdown cells that follow it, up to the next code cell."""
    out, on = [], False
    for cell in cells(notebook):
        if cell.cell_type == "markdown" and "## Exercises" in cell.source:
            on = True
            out.append(cell.source[cell.source.index("## Exercises"):])
        elif on and cell.cell_type == "markdown":
            out.append(cell.source)
        elif on:
            break
    assert out, f"{notebook}: no exercises"
    return "\n\n".join(out)


def item(text: str, number: int) -> str:
    """List item ``number`` of ``text`` (up to the next item at the margin, or a <details> / </details> line)."""
    m = re.search(rf"^{number}\. (.*?)(?=^\d+\. |^<details>|^</details>|^### |\Z)", text, re.S | re.M)
    assert m, f"no item {number}"
    return m.group(1)


def task(notebook: str, number: int) -> str:
    """Exercise ``number`` as posed (not its solution)."""
    return item(_posed(exercises(notebook)), number)


def solution(notebook: str, number: int) -> str:
    """The solution of exercise ``number``: item ``number`` of a solutions block, or the <details> block right
    after the exercise."""
    text = exercises(notebook)
    block = re.search(r"<summary>(?:Solutions|Worked solutions)</summary>(.*?)(?:</details>|\Z)|"
                      r"### Worked solutions(.*)", text, re.S)
    if block:
        return item(block.group(1) or block.group(2), number)
    posed = item(_posed(text), number).strip()
    after = text.split(posed, 1)[1]
    return re.search(r"<details>.*?</summary>(.*?)</details>", after, re.S).group(1)


def _posed(text: str) -> str:
    """The text without its solution blocks."""
    text = re.sub(r"<details>.*?</details>", "", text, flags=re.S)
    return text.split("### Worked solutions")[0]


def code(text: str, lang: str = "python") -> list[str]:
    """The fenced blocks of a text, dedented."""
    return [textwrap.dedent(b) for b in re.findall(rf"```{lang}\n(.*?)^\s*```", text, re.S | re.M)]


def commands(text: str, prefix: str = "oncall ") -> list[list[str]]:
    """The inline `oncall ...` commands of a text, as argument lists (a line break inside one is a space)."""
    return [re.sub(r"\s+", " ", c).split()[1:] for c in re.findall(rf"`({prefix}[^`]*)`", text)]


def fresh_clone(folder: Path, *files: str) -> Path:
    """``folder`` laid out as a fresh clone: notebooks/ and the repository files the exercise names, nothing else
    (no runs/, no scratch/)."""
    (folder / "notebooks").mkdir(parents=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, folder / name)
    return folder

"""01_detect's and 02_triage's exercise 2 as written: the code in each exercise and its solution runs in the
notebook's kernel (after the notebook's first code cell, from ``notebooks/`` of a fresh clone: no scratch folder
yet) and gives the answer the solution states."""
from __future__ import annotations

import re
import textwrap
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cells(notebook: str):
    return nbformat.read(ROOT / "notebooks" / notebook, as_version=4).cells


def _exercises(notebook: str) -> str:
    return next(c.source for c in _cells(notebook) if c.cell_type == "markdown" and c.source.startswith("## Exercises"))


def _item(text: str, number: int) -> str:
    """List item ``number`` of ``text`` (up to the next item at the margin, or a <details> / </details> line)."""
    m = re.search(rf"^{number}\. (.*?)(?=^\d+\. |^<details>|^</details>|\Z)", text, re.S | re.M)
    assert m, f"no item {number}"
    return m.group(1)


def _code(text: str) -> list[str]:
    """The fenced Python blocks of a list item, dedented."""
    return [textwrap.dedent(block) for block in re.findall(r"```python\n(.*?)^\s*```", text, re.S | re.M)]


def _kernel(notebook: str, folder: Path, monkeypatch) -> dict:
    """The notebook's first code cell run in a fresh namespace, from ``folder/notebooks``."""
    (folder / "notebooks").mkdir()
    monkeypatch.chdir(folder / "notebooks")
    setup = next(c.source for c in _cells(notebook) if c.cell_type == "code")
    env: dict = {}
    exec(compile(setup, f"{notebook}: first code cell", "exec"), env)
    return env


def _run(blocks: list[str], env: dict, where: str):
    """Run blocks like notebook cells: the value of a last bare expression is returned."""
    value = None
    for i, block in enumerate(blocks):
        body = block.rstrip().splitlines()
        tail = len(body)
        while tail and (not body[tail - 1].strip() or body[tail - 1].startswith((" ", ")", "]"))):
            tail -= 1        # the last statement starts at the margin
        head, last = "\n".join(body[:tail - 1]), "\n".join(body[tail - 1:])
        exec(compile(head, f"{where} block {i + 1}", "exec"), env)
        try:
            value = eval(compile(last, f"{where} block {i + 1}", "eval"), env)
        except SyntaxError:
            exec(compile(last, f"{where} block {i + 1}", "exec"), env)
            value = None
    return value


@pytest.mark.slow
def test_01_exercise_2_correlates_without_inhibition(tmp_path, monkeypatch):
    text = _exercises("01_detect.ipynb")
    exercise, solution = _item(text, 2), _item(text.split("<details>", 1)[1], 2)
    env = _kernel("01_detect.ipynb", tmp_path, monkeypatch)
    _run(_code(exercise), env, "01 exercise 2")
    assert (tmp_path / "notebooks" / "scratch" / "my.yaml").is_file()
    table = _run(_code(solution), env, "01 solution 2")
    configured, mine = table["as configured"], table["no inhibition"]
    stage = "after inhibition and silences"
    assert mine[stage] > configured[stage], "the inhibited alerts come back"
    assert mine["after dedup"] == configured["after dedup"]
    incidents = "incidents opened (what pages a person)"
    assert mine[incidents] == configured[incidents], "the solution says the incidents stay the same"
    assert not (env["mine"].assignment == "inhibited").any()


@pytest.mark.slow
def test_02_exercise_2_triages_with_a_catalog_without_uploads(tmp_path, monkeypatch):
    text = _exercises("02_triage.ipynb")
    exercise = _item(text, 2)
    solution = text.split(exercise, 1)[1].split("</details>", 1)[0]
    env = _kernel("02_triage.ipynb", tmp_path, monkeypatch)
    changed = _run(_code(exercise), env, "02 exercise 2")
    stated = re.search(r"One ticket changes: `(\[.*?\])`", solution)
    assert stated, "the solution states the answer"
    assert repr(changed) == stated.group(1)
    # the course's own catalog is untouched: the same queue with it changes nothing
    from oncall.support_desk import triage as desk

    again = desk.triage_tickets(env["tickets"], desk.incidents_from_record(env["record"]))
    assert [t.linked_incident for t in again] == [env["by_id"][t.id].linked_incident for t in again]

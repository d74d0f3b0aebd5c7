"""04_learn's exercises 3 and 4 as written, in a fresh clone's folder layout (no runs/ yet, the notebook's kernel
in notebooks/): the drill writes runs/inc, and the exercise's own Python lines promote its case into a scratch
folder once, and refuse it the second time."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from oncall.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent


def _exercise(number: int) -> str:
    nb = nbformat.read(ROOT / "notebooks" / "04_learn.ipynb", as_version=4)
    text = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Exercises"))
    return re.search(rf"^{number}\. (.*?)(?=^\d+\. |^<details>)", text, re.S | re.M).group(1)


def test_exercise_4_promotes_once_and_refuses_the_second_time(tmp_path, monkeypatch, oncall_cli):
    (tmp_path / "notebooks").mkdir()
    drill = re.search(r"`oncall (drill --out \S+)`", _exercise(3)).group(1).split()
    result = oncall_cli(drill, cwd=tmp_path)                  # in a terminal, in the course's folder
    assert result.returncode in (0, 1), result.stderr
    case_file = next((tmp_path / drill[-1] / "regressions").glob("*.yaml")).name

    lines = [s.replace("\n", " ").replace("   ", " ").replace("<file>", case_file)
             for s in re.findall(r"`([^`]*(?:eval_command|mkdir)\([^`]*)`", _exercise(4))]
    first = [s for s in lines if "runs/inc" in s or "mkdir" in s]
    assert any("eval_command" in s for s in first), lines
    monkeypatch.chdir(tmp_path / "notebooks")                  # the notebook's kernel
    from oncall.commands import eval_command

    env = {"Path": Path, "eval_command": eval_command}
    for line in first[:-1]:
        exec(line, env)
    code, text = eval(first[-1], env)
    assert code == 0 and "promoted" in text, text
    with pytest.raises(BadInput, match="already exists"):
        eval(first[-1], env)

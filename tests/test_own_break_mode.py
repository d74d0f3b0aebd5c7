"""06_gate's exercise 2 as written: a copy of the scenario with a break mode of the learner's own, run from the
command line and through the notebook's `scenario` parameter (a path)."""
import json
import re
from pathlib import Path

import nbformat
import pytest

from oncall.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "06_gate.ipynb"


def _exercise_yaml() -> str:
    """The YAML block of 06's exercise 2, as the learner would paste it under break_modes."""
    text = next(c.source for c in nbformat.read(NOTEBOOK, 4).cells if "## Exercises" in c.source)
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    return "\n".join(line[3:] for line in block.splitlines()) + "\n"   # the list item's indent


def _my_scenario(folder: Path) -> Path:
    path = folder / "my.yaml"
    path.write_text((ROOT / "data" / "scenarios" / "bad-deploy.yaml").read_text() + _exercise_yaml())
    return path


def test_a_break_mode_of_ones_own_runs_from_the_command_line(tmp_path, capsys):
    my = _my_scenario(tmp_path)
    assert main(["gate", "--scenario", str(my), "--break", "slow-and-terse", "--json"]) == 1
    card = json.loads(capsys.readouterr().out)
    assert sorted(c["name"] for c in card["checks"] if not c["passed"]) == ["canary_promoted_on_pass", "eval_gate_passed"]
    # the course's own scenario does not know it
    assert main(["gate", "--break", "slow-and-terse"]) == 2
    assert "--break: expected one of" in capsys.readouterr().err


def test_a_mode_that_changes_nothing_is_refused(tmp_path, capsys):
    my = tmp_path / "my.yaml"
    my.write_text((ROOT / "data" / "scenarios" / "bad-deploy.yaml").read_text()
                  + "  idle:\n    description: nothing\n    must_fail: [page_fired]\n")
    assert main(["gate", "--scenario", str(my)]) == 2
    err = capsys.readouterr().err
    assert "break_modes.idle" in err and "changes nothing" in err and err.count("\n") == 1


@pytest.mark.slow   # a kernel
def test_06_gate_takes_the_scenario_as_a_parameter(tmp_path):
    pytest.importorskip("papermill")
    my = _my_scenario(tmp_path)
    out = tmp_path / "out.ipynb"
    from papermill_run import papermill_run

    papermill_run(out, NOTEBOOK, scenario=str(my), break_mode="slow-and-terse")
    printed = "".join("".join(o.get("text", "")) for c in json.loads(out.read_text())["cells"]
                      if c["cell_type"] == "code" for o in c.get("outputs", []))
    assert "break slow-and-terse: red ['canary_promoted_on_pass', 'eval_gate_passed']" in printed

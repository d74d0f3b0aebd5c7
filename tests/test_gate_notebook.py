"""06_gate under papermill, once per break mode: the notebook's own check cell asserts the gate's red set."""
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")

from oncall.scenario import load_scenario  # noqa: E402

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MODES = ["none", *load_scenario("bad-deploy").break_modes]


@pytest.mark.parametrize("mode", MODES)
def test_gate_notebook_goes_red_as_the_scenario_says(tmp_path, mode):
    out = tmp_path / f"06_gate-{mode}.ipynb"
    nb = papermill.execute_notebook(str(NOTEBOOKS / "06_gate.ipynb"), str(out), parameters={"break_mode": mode},
                                    kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False,
                                    execution_timeout=300, start_timeout=120)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert f"break {mode}: red" in printed

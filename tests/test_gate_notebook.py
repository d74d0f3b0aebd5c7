"""06_gate under papermill, once per break mode: the notebook's own check cell asserts the gate's red set."""
import json
from pathlib import Path

import pytest

pytest.importorskip("papermill")

from oncall.scenario import load_scenario  # noqa: E402
from papermill_run import papermill_run  # noqa: E402

pytestmark = pytest.mark.slow   # a kernel per break mode

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MODES = ["none", *load_scenario("bad-deploy").break_modes]


@pytest.mark.parametrize("mode", MODES)
def test_gate_notebook_goes_red_as_the_scenario_says(tmp_path, mode):
    out = tmp_path / f"06_gate-{mode}.ipynb"
    papermill_run(out, NOTEBOOKS / "06_gate.ipynb", break_mode=mode)
    nb = json.loads(out.read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert f"break {mode}: red" in printed

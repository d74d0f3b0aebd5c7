"""06_gate under papermill, once per break mode: the notebook's own check cell asserts the gate's red set."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("papermill")

from oncall.scenario import load_scenario  # noqa: E402

pytestmark = pytest.mark.slow   # a kernel per break mode

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
MODES = ["none", *load_scenario("bad-deploy").break_modes]
WALL_S = 150   # one run takes about 5 s; a kernel that stops answering is killed at this bound


def _papermill(out: Path, mode: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "papermill", str(NOTEBOOKS / "06_gate.ipynb"), str(out), "-p", "break_mode", mode,
           "-k", "python3", "--cwd", str(NOTEBOOKS), "--no-progress-bar", "--execution-timeout", "120"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=WALL_S)


@pytest.mark.parametrize("mode", MODES)
def test_gate_notebook_goes_red_as_the_scenario_says(tmp_path, mode):
    out = tmp_path / f"06_gate-{mode}.ipynb"
    try:
        run = _papermill(out, mode)
    except subprocess.TimeoutExpired:
        # A kernel that stops answering (a lost message) is retried once in a fresh process; a failing
        # assertion exits non-zero at once and is never retried.
        run = _papermill(out, mode)
    assert run.returncode == 0, run.stderr[-2000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    printed = "".join("".join(o.get("text", "")) for c in nb["cells"] if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert f"break {mode}: red" in printed

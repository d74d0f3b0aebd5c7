"""Re-execute notebooks in place, as ``make notebooks`` does: each in a fresh kernel (nbclient, as
``jupyter nbconvert --execute`` runs them), with the kernel's replies waited for in slices (``kernel_wait``:
without it a cell that shows an Output widget can stall until its timeout), no timings recorded in the outputs.

    python benchmarks/execute_notebooks.py notebooks/*.ipynb
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TIMEOUT_S = 300


def main(paths: list[str]) -> int:
    import nbformat
    from nbclient import NotebookClient

    from benchmarks.kernel_wait import install

    install()
    os.environ["ONCALL_PROGRESS"] = "0"
    for path in paths:
        start = time.monotonic()
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(Path(path).resolve().parent)}}).execute()
        nbformat.write(nb, path)
        print(f"{path}: executed in {time.monotonic() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

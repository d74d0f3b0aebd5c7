"""Progress feedback for what a learner waits on (multi-seed sweeps in the notebooks, benchmarks).

Off unless asked for, so stored and compared outputs (nbval, ``make notebooks``, papermill, CI) never hold a
progress bar: ``make lab`` and ``make console`` set ``ONCALL_PROGRESS=1``; a terminal (stderr a TTY) gets one too.
``ONCALL_PROGRESS=0`` or ``CI`` switches it off everywhere. The bar is tqdm's (a widget in Jupyter).
"""
from __future__ import annotations

import os
import sys


def enabled() -> bool:
    flag = os.environ.get("ONCALL_PROGRESS", "")
    if flag == "0" or os.environ.get("CI"):
        return False
    if flag == "1":
        return True
    return bool(getattr(sys.stderr, "isatty", lambda: False)()) and "ipykernel" not in sys.modules


def progress(iterable, desc: str = "", total: int | None = None):
    """``iterable`` itself when progress is off; else the same items under a tqdm bar named ``desc``."""
    if not enabled():
        return iterable
    from tqdm.auto import tqdm   # deferred on purpose: an optional library, only when a bar is shown

    return tqdm(iterable, desc=desc, total=total, leave=False)

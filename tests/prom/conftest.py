"""The real programs' tests (marker ``prom``): Debian's prometheus (promtool) and prometheus-alertmanager (amtool).

They run under ``make test-prom`` (ONCALL_PROM_TESTS=1). Without the programs they skip with a reason; with
ONCALL_REQUIRE_PROM=1 (CI) a missing program fails them instead. Every server they start listens on 127.0.0.1
only and is stopped by its own process id."""
import os
import shutil
import subprocess

import pytest

PROGRAMS = {"promtool": "prometheus", "prometheus": "prometheus", "amtool": "prometheus-alertmanager",
            "prometheus-alertmanager": "prometheus-alertmanager"}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/prom/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.prom)


@pytest.fixture(autouse=True)
def _selected():
    if not (os.environ.get("ONCALL_PROM_TESTS") == "1" or os.environ.get("ONCALL_REQUIRE_PROM") == "1"):
        pytest.skip("the real Prometheus/Alertmanager tests run with `make test-prom`")


def need(program: str) -> str:
    """The program's path; skip (or, with ONCALL_REQUIRE_PROM=1, fail) when it is not installed."""
    path = shutil.which(program)
    if path is None:
        why = f"{program} is not installed (apt-get install {PROGRAMS[program]})"
        if os.environ.get("ONCALL_REQUIRE_PROM") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return path


def run(*args, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)

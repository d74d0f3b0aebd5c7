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


def skip_unless_selected() -> None:
    """Skip unless `make test-prom` (or CI) asked for the real programs; module-scoped fixtures that start servers
    call it first, since they are set up before the autouse check below."""
    if not (os.environ.get("ONCALL_PROM_TESTS") == "1" or os.environ.get("ONCALL_REQUIRE_PROM") == "1"):
        pytest.skip("the real Prometheus/Alertmanager tests run with `make test-prom`")


@pytest.fixture(autouse=True)
def _selected():
    skip_unless_selected()


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


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A program started on 127.0.0.1, waited for (bounded), and stopped by its own process id."""

    def __init__(self, args, ready_url: str, log_path, timeout_s: float = 60.0):
        import time
        import urllib.request

        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"{args[0]} exited with {self.proc.returncode}: {open(log_path).read()[-2000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{args[0]} not ready within {timeout_s} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()          # this process only, by its id
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        self.log.close()

"""Fixtures shared by the tests: the bad-deploy scenario, its shift on the default seed and on seeds 1-20 (each
run once per session: read them, never change them), and the command line run in this process."""
import subprocess
from pathlib import Path

import pytest

from oncall.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SWEEP_SEEDS = range(1, 21)


def pytest_configure(config):
    """Kernels driven by nbclient in this process (papermill, the benchmarks' Run All) wait for a reply in
    half-second slices: one long poll can miss a reply that an Output widget's send woke (benchmarks/kernel_wait.py)."""
    import sys

    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks.kernel_wait import install

    install()


@pytest.fixture(scope="session")
def scenario():
    return load_scenario("bad-deploy")


@pytest.fixture(scope="session")
def shift(scenario):
    from oncall.shift import run_shift

    return run_shift(scenario)


@pytest.fixture(scope="session")
def shift_by_seed(scenario, shift):
    """{seed: bad-deploy's whole shift on that seed} for seeds 1-20, the sweep several tests read. Shared by the
    whole session: a test that changes a record runs its own shift instead."""
    from oncall.shift import run_shift

    return {seed: shift if seed == shift.seed else run_shift(scenario, seed) for seed in SWEEP_SEEDS}


@pytest.fixture
def oncall_cli(capsys, monkeypatch):
    """``oncall ARGS`` run in this process (``oncall.cli.main``) from ``cwd``: a CompletedProcess with the exit
    status and what it printed. Only a case that needs a fresh process (the entry point, another copy of the
    package, the environment) spawns one."""
    from oncall.cli import main

    def run(args, cwd: Path = ROOT) -> subprocess.CompletedProcess:
        args = [str(a) for a in args]
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        status = main(args)
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["oncall", *args], status, out, err)

    return run

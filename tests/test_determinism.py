"""Determinism: the same seed gives the same artifacts, byte for byte, across processes, hash seeds and working
directories (DESIGN.md: integer counts, values rounded at output, no timings in stored outputs).

Every (seed, break mode) below is run twice as ``python -m oncall drill --seed N --break MODE --out DIR`` in
separate processes with different ``PYTHONHASHSEED`` values; one more run goes from another working directory
with a relative ``--out``. The runs go two at a time.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from oncall.scenario import BREAK_MODES

pytestmark = pytest.mark.slow   # 15 drills in fresh processes

ROOT = Path(__file__).resolve().parent.parent
MATRIX = [(7, mode) for mode in BREAK_MODES] + [(1, "none"), (123456, "none")]
HASH_SEEDS = ("0", "4242")
REQUIRED = ("trace.jsonl", "scorecard.json", "postmortem.md", "handoff.md")


def _drill(seed: int, mode: str, out: Path, cwd: Path, hash_seed: str):
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    env.pop("PYTHONPATH", None)
    if cwd != ROOT:
        env["PYTHONPATH"] = str(ROOT)          # the same package, imported from another working directory
    result = subprocess.run([sys.executable, "-m", "oncall", "drill", "--seed", str(seed), "--break", mode,
                             "--out", str(out)], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)
    assert result.returncode in (0, 1), result.stderr
    return result


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{(seed, mode, label): (completed process, artifacts)} for every run, made once for the module."""
    base = tmp_path_factory.mktemp("determinism")
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    jobs = {}
    for seed, mode in MATRIX:
        for hash_seed in HASH_SEEDS:
            jobs[(seed, mode, f"hash{hash_seed}")] = (seed, mode, base / f"{seed}-{mode}-{hash_seed}", ROOT, hash_seed)
    jobs[(7, "none", "elsewhere")] = (7, "none", Path("out-7"), elsewhere, HASH_SEEDS[0])   # relative to cwd
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(_drill, *job) for key, job in jobs.items()}
        done = {key: f.result() for key, f in futures.items()}
    out = {}
    for key, (seed, mode, folder, cwd, _) in jobs.items():
        path = folder if folder.is_absolute() else cwd / folder
        out[key] = (done[key], _tree(path))
    return out


@pytest.mark.parametrize("seed, mode", MATRIX, ids=[f"seed{s}-{m}" for s, m in MATRIX])
def test_same_seed_same_bytes_across_processes_and_hash_seeds(runs, seed, mode):
    (ra, a), (rb, b) = (runs[(seed, mode, f"hash{h}")] for h in HASH_SEEDS)
    for name in REQUIRED:
        assert name in a, f"{name} missing from the artifacts"
    assert any(name.startswith("regressions/") for name in a) or mode == "no-mitigation", sorted(a)
    assert sorted(a) == sorted(b)
    for name in a:
        assert a[name] == b[name], f"{name} differs between PYTHONHASHSEED {HASH_SEEDS[0]} and {HASH_SEEDS[1]}"
    assert ra.returncode == rb.returncode
    assert ra.stdout == rb.stdout                  # the printed story too: no timings, no progress


def test_another_working_directory_gives_the_same_bytes(runs):
    (r_here, here), (r_there, there) = runs[(7, "none", f"hash{HASH_SEEDS[0]}")], runs[(7, "none", "elsewhere")]
    assert sorted(here) == sorted(there)
    for name in here:
        assert here[name] == there[name], f"{name} depends on the working directory"
    assert r_here.stdout == r_there.stdout


def test_seeds_and_modes_actually_change_the_run(runs):
    """Guard against a trivially 'deterministic' run: other seeds and modes give other traces."""
    traces = {(s, m): runs[(s, m, f"hash{HASH_SEEDS[0]}")][1]["trace.jsonl"] for s, m in MATRIX}
    assert len({traces[(s, "none")] for s in (1, 7, 123456)}) == 3
    assert len({traces[(7, m)] for m in BREAK_MODES}) == len(BREAK_MODES)

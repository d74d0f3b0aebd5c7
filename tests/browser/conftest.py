"""Browser tests: the widgets in a real browser (Debian's chromium, driven by Playwright from PyPI).

Run by ``make test-browser`` (and by ``.ci/run`` after ``make test``), not by ``make test``: this folder is only
collected when ONCALL_BROWSER_TESTS=1. The browser is the system's /usr/bin/chromium (never ``playwright
install``, which downloads a browser of its own). Without it these tests skip, unless ONCALL_REQUIRE_BROWSER=1
(CI), where a missing browser fails them.

Each server a test starts (JupyterLab, Voilà) serves a copy of the notebooks in a temporary folder, so that
nothing the browser runs or saves touches the repository, listens on 127.0.0.1 with a token, and is stopped by
its own PID at the end. Screenshots go to tests/browser/screenshots/ (git-ignored).
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
NOTEBOOKS = ROOT / "notebooks"
SCREENSHOTS = HERE / "screenshots"
CHROMIUM = os.environ.get("ONCALL_CHROMIUM", "/usr/bin/chromium")
# The flags that work on these machines (no sandbox as root, no GPU, nothing that reaches the network).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
BIN = Path(sys.executable).parent

if os.environ.get("ONCALL_BROWSER_TESTS") != "1":
    collect_ignore_glob = ["test_*.py"]   # `make test` stays fast: only `make test-browser` runs these


def _missing(why: str):
    if os.environ.get("ONCALL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ONCALL_REQUIRE_BROWSER=1 but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        _missing(f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (make test-browser installs the course extra)")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a browser that does not start is as good as none
            _missing(f"{CHROMIUM} did not start: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_notebooks(dest: Path, names: list[str], strip: bool) -> None:
    """Copy notebooks to ``dest``; with ``strip``, without outputs, execution counts or widget state, so that a
    test can tell when Run All has run every cell (each prompt gets a number again)."""
    import nbformat

    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        if strip:
            nb.metadata.pop("widgets", None)
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, dest / name)
    shutil.copy(NOTEBOOKS / "sanitize.cfg", dest / "sanitize.cfg")
    for extra in ("glossary.md", "starter"):   # the notebooks link the glossary; 07 reads starter/ files
        src = NOTEBOOKS / extra
        if src.is_dir() and not (dest / extra).exists():
            shutil.copytree(src, dest / extra)
        elif src.is_file():
            shutil.copy(src, dest / extra)


class Server:
    """A server process on 127.0.0.1 with a token; ``stop`` ends it by its own PID."""

    def __init__(self, argv: list[str], port: int, token: str, cwd: Path, env: dict, log: Path):
        self.port, self.token, self.log = port, token, log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{sep}token={self.token}"

    def wait_ready(self, path: str | None, timeout_s: float = 90) -> None:
        """Until ``path`` answers 200 (or, with None, until the port accepts connections)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if path is None:
                    socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                    return
                with urllib.request.urlopen(self.url(path), timeout=5) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError(f"server not ready after {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()          # SIGTERM to our own PID: the server shuts its kernels down
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def server_env(tmp: Path) -> dict:
    """Keep every Jupyter file the server writes (runtime, settings, workspaces) inside ``tmp``."""
    env = dict(os.environ)
    env.update(JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_CONFIG_DIR=str(tmp / "config"),
               IPYTHONDIR=str(tmp / "ipython"), MPLBACKEND="module://matplotlib_inline.backend_inline",
               JUPYTER_PATH=str(ROOT / "share" / "jupyter"))   # the course's Voila template
    return env


@pytest.fixture
def lab_server(tmp_path):
    """JupyterLab on a copy of the notebooks without outputs; cells render all at once (no windowing)."""
    yield from _lab(tmp_path)


@pytest.fixture(scope="module")
def lab_module_server(tmp_path_factory):
    """One JupyterLab for every test of a module (the learner's pass opens all notebooks in one server)."""
    yield from _lab(tmp_path_factory.mktemp("lab"))


def _lab(tmp_path):
    root = tmp_path / "notebooks"
    root.mkdir()
    copy_notebooks(root, sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")), strip=True)
    settings = tmp_path / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    news = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')  # no "news?" toast
    port, token = free_port(), secrets.token_hex(16)
    argv = [str(BIN / "jupyter-lab"), "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=None",
            "--ServerApp.open_browser=False"]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    server = Server(argv, port, token, root, server_env(tmp_path), tmp_path / "jupyterlab.log")
    try:
        server.wait_ready("/api/status")
        server.root = root
        yield server
    finally:
        server.stop()


def _voila(tmp_path: Path, notebook: str):
    """Voilà serving one notebook from a copy, on 127.0.0.1 with a token; stopped at the end."""
    root = tmp_path / "notebooks"
    root.mkdir()
    copy_notebooks(root, [notebook], strip=False)
    port, token = free_port(), secrets.token_hex(16)
    argv = [str(BIN / "voila"), notebook, "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
            f"--token={token}", f"--Voila.root_dir={root}"]
    server = Server(argv, port, token, root, server_env(tmp_path), tmp_path / "voila.log")
    try:
        server.wait_ready(None)   # Voilà's own pages start a kernel: only wait for the port
        yield server
    finally:
        server.stop()


# The console's server cull idle kernels of closed tabs after seconds, not voila.json's minutes, so a test can watch;
# not so few that a page still loading its widgets (no connection to its kernel yet) loses the kernel it runs on.
CULL_FLAGS = ["--MappingKernelManager.cull_idle_timeout=30", "--MappingKernelManager.cull_interval=2"]


@pytest.fixture
def voila_server(tmp_path):
    """Voila serving the notebooks folder with notebooks/voila.json, as ``make console`` does (the console is at
    ``CONSOLE``); kernels of closed tabs are culled after seconds."""
    root = tmp_path / "notebooks"
    root.mkdir()
    copy_notebooks(root, sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")), strip=False)
    shutil.copy(NOTEBOOKS / "voila.json", root / "voila.json")
    port, token = free_port(), secrets.token_hex(16)
    argv = [str(BIN / "voila"), "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}", f"--token={token}",
            *CULL_FLAGS]
    server = Server(argv, port, token, root, server_env(tmp_path), tmp_path / "voila.log")
    try:
        server.wait_ready(None)
        yield server
    finally:
        server.stop()




@pytest.fixture
def gameday_server(tmp_path):
    """Voilà serving the game day (as ``make gameday`` does)."""
    yield from _voila(tmp_path, "08_game_day.ipynb")

# On-call Shift. Two commands do all the set-up: `make drill` runs the shift, `make test` passes the tests.
# Each creates .venv/ on first use from the pinned requirements.lock, so outputs match on every machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout=300

.PHONY: drill test test-fast test-prom test-browser console gameday lab notebooks book bench lock clean help
help:
	@echo "make drill      run the whole on-call shift and print its story (ARGS='--seed 3 --break errors')"
	@echo "make test       run the unit tests and every notebook under nbval"
	@echo "make test-fast  the unit tests not marked slow, no notebooks (the quick loop, on two workers)"
	@echo "make lab        open JupyterLab on the notebooks (loopback only)"
	@echo "make console    serve the on-call console (notebooks/console.ipynb) as a Voila app on 127.0.0.1"
	@echo "make gameday    serve the game day (notebooks/08_game_day.ipynb) as a Voila app on 127.0.0.1"
	@echo "make test-prom  the rules under promtool, a real Prometheus and Alertmanager on 127.0.0.1 (apt-get install prometheus prometheus-alertmanager)"
	@echo "make test-browser  JupyterLab and the console in a real browser (needs /usr/bin/chromium)"
	@echo "make notebooks  re-execute the notebooks so their stored outputs are what the code prints today"
	@echo "make book       build the course website (book/_build/html/) from the notebooks' stored outputs"
	@echo "make bench      measure the speed figures into benchmarks/results.json"
	@echo "make lock       re-pin requirements.lock from pyproject.toml (needs the package registry)"

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# The gate's verdict is the drill's exit status (1 = red); only bad input (2) or an internal error (3) fails make.
drill: $(STAMP)
	@$(VENV)/bin/oncall drill $(ARGS); status=$$?; [ $$status -le 1 ]

# Two workers (pytest-xdist; every test writes only under its own tmp_path, and --dist loadfile keeps a file's
# tests, so a notebook's cells, together and in order). Kernels driven by nbclient wait for a reply in half-second
# slices (benchmarks/kernel_wait.py), so a busy machine no longer stalls an Output-widget cell. TEST_WORKERS=0: one
# process.
TEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: $(STAMP)
	ONCALL_PROGRESS=0 $(PY) -m pytest $(XDIST) $(NBVAL) tests notebooks

# The quick loop while editing: the unit tests without the ones marked slow (the 06_gate notebook under papermill,
# the determinism matrix of drills in fresh processes, the benchmark smoke, the exercises and the README's figures,
# ...) and without the notebooks, on two workers.
FAST_WORKERS ?= 2
test-fast: $(STAMP)
	ONCALL_PROGRESS=0 $(PY) -m pytest -m "not slow" -n $(FAST_WORKERS) --dist loadfile tests

# The real programs (Debian's prometheus with promtool, prometheus-alertmanager with amtool): the generated rules
# under promtool, a back-filled Prometheus and a running Alertmanager, all on 127.0.0.1. Without the programs
# the tests skip with a reason; with ONCALL_REQUIRE_PROM=1 (CI) they fail.
test-prom: $(STAMP)
	ONCALL_PROM_TESTS=1 $(PY) -m pytest -m prom tests/prom

# The widgets in a real browser: Debian's chromium (apt-get install chromium; never `playwright install`) driven by
# Playwright. Without the browser the tests skip; with ONCALL_REQUIRE_BROWSER=1 (CI) they fail. Screenshots go to
# tests/browser/screenshots/.
test-browser: $(STAMP)
	ONCALL_BROWSER_TESTS=1 $(PY) -m pytest tests/browser

# Voila serves the notebooks folder with notebooks/voila.json (the course's offline template from share/jupyter,
# code and check cells hidden, idle kernels of closed tabs culled): the console's links to other notebooks work.
console: $(STAMP)
	@echo "open the printed address, then console.ipynb (/voila/render/console.ipynb)"
	cd notebooks && JUPYTER_PATH=$(CURDIR)/share/jupyter ONCALL_PROGRESS=1 $(CURDIR)/$(VENV)/bin/voila \
	  --Voila.ip=127.0.0.1 --no-browser

gameday: $(STAMP)
	$(VENV)/bin/voila notebooks/08_game_day.ipynb --Voila.ip=127.0.0.1 --no-browser

# The course as a website: Jupyter Book 1.x over the notebooks, never executing them (book/_config.yml). The book's
# source folder is the repository root, so the notebooks stay in notebooks/; book/_toc.yml lists the pages. Warnings
# are tolerated; an error fails the build (and CI), including the docutils ERROR/SEVERE messages Sphinx only logs.
# The log is book/_build/build.log; open book/_build/html/index.html.
book: $(STAMP)
	rm -rf book/_build && mkdir -p book/_build
	@status=0; $(VENV)/bin/jupyter-book build . --config book/_config.yml --toc book/_toc.yml --path-output book \
	  > book/_build/build.log 2>&1 || status=$$?; cat book/_build/build.log; \
	if [ $$status -ne 0 ]; then echo "make book: jupyter-book failed (exit $$status)" >&2; exit 1; fi; \
	if grep -E '(ERROR|SEVERE|CRITICAL):' book/_build/build.log >&2; then echo "make book: errors above" >&2; exit 1; fi; \
	test -f book/_build/html/notebooks/00_tour.html

bench: $(STAMP)
	$(PY) benchmarks/run.py

lab: $(STAMP)
	ONCALL_PROGRESS=1 $(VENV)/bin/jupyter-lab --ip=127.0.0.1 --no-browser $(ROOT_FLAG) --notebook-dir=notebooks

notebooks: $(STAMP)
	$(PY) benchmarks/execute_notebooks.py notebooks/*.ipynb

lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[course]'
	( echo "# Pinned by 'make lock' from pyproject.toml (runtime + the course extra), for Python 3.11."; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^oncall' ) > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache

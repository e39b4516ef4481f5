# Thin wrappers over the tools. Every target creates or reuses the virtual environment in .venv
# and installs what it needs into it, so `make book` and `make test` work on a fresh clone.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Re-install when the project's declared dependencies change.
STAMP  := $(VENV)/.installed-book-test

.PHONY: venv book test serve lab bench bench-results lint exercises clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[book,test]"
	@touch $(STAMP)

## Build the website into _build/html (offline, warnings are errors).
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

## Run every test: unit, gradient and cross-checks, nbval on the chapters and solved exercises, the
## exercise grader, the built site in a browser, and the linter. nbval's options (this environment, a cell timeout,
## output sanitising) live in pyproject.toml, so a plain `pytest --nbval` runs the notebooks the same way. One BLAS
## thread per process: the tests run several processes at once (grading, notebooks), and small matrices gain
## nothing from threads.
test: $(STAMP)
	$(BIN)/ruff check .
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest --nbval

## Build the site, then serve it on http://localhost:$(PORT)/ for a person to click through (`make serve PORT=8001`).
PORT ?= 8000
serve: book
	@echo "Serving _build/html at http://localhost:$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/python -m http.server $(PORT) --directory _build/html --bind 127.0.0.1

## Benchmark the fast path against the reference, PyTorch and the matrix-product limit: every ratio with its
## spread over repeated runs, the targets, the compile time and where one step's time goes (installs the
## crosscheck and fast extras on first use).
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/bench_lstm.py

$(VENV)/.installed-bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[crosscheck,fast]"
	@touch $@

## Open JupyterLab on the course, to read the chapters and do the exercises (installs JupyterLab on first use).
LAB_ARGS ?=
lab: $(VENV)/.installed-learn
	$(BIN)/jupyter lab --notebook-dir=. $(LAB_ARGS)

$(VENV)/.installed-learn: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[learn]"
	@touch $@

## Regenerate the committed benchmark results that chapter 9 shows (run it on an idle machine: the scripts record
## the load and say "loaded" when it was not idle), then re-execute chapter 9, which reads them. About five
## minutes on 2 idle cores.
bench-results: $(VENV)/.installed-bench
	$(BIN)/python bench/bench_lstm.py --json results/benchmark.json
	$(BIN)/python bench/bench_scaling.py --json results/scaling.json
	@echo "re-executing chapter 9, whose text is glued from these results"
	$(BIN)/jupyter-execute --inplace chapters/09_making_it_fast.ipynb

## Regenerate the learner notebooks from the solved ones.
exercises: $(STAMP)
	$(BIN)/python -m grading.generate

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf _build

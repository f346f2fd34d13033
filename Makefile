# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NB     ?=
SEEDS  ?= 1 2 3
# The Keras backend `make run` executes the notebooks with. TensorFlow's full runs are the committed
# ones; under another backend the Keras-only notebooks run and their outputs go to artifacts/<backend>/.
BACKEND ?= tensorflow
# Colab's versions (requirements-colab.txt) in a venv of their own, with the Python nearest Colab's 3.12.
COLAB_VENV   := .venv-colab
COLAB_PY     := $(COLAB_VENV)/bin/python
COLAB_STAMP  := $(COLAB_VENV)/.installed
COLAB_PYTHON ?= $(shell tools/find_python.sh 3.12 3.11 3.13)

.PHONY: help setup data run seeds lint test test-colab test-lab browser lab readme sync clean

help:
	@echo "make run              set up, execute every notebook in full mode, refresh results/ and README"
	@echo "make run NB=notebooks/00_data_tour.ipynb   the same for one notebook"
	@echo "make run BACKEND=jax  the Keras-only notebooks on JAX, outputs to artifacts/jax/"
	@echo "make seeds NB=notebooks/07_overfitting_and_dropout.ipynb SEEDS=\"1 2 3\""
	@echo "                      run notebooks in full mode under other seeds (outputs to artifacts/seeds/),"
	@echo "                      summarise each metric's spread in results/seeds/ and the README"
	@echo "make test             set up, then unit tests and every notebook in smoke mode (nbval), and the"
	@echo "                      Keras-only notebooks in smoke mode on JAX"
	@echo "make test-colab       the same smoke suite with Colab's versions (requirements-colab.txt)"
	@echo "make test-lab         JupyterLab in a real browser (Debian's chromium): Run All on three"
	@echo "                      notebooks in smoke mode, no errors, figures drawn, progress shown"
	@echo "make lint             ruff over the code and the notebooks (make test runs it first)"
	@echo "make lab              JupyterLab on notebooks/ with the project's environment"
	@echo "make data             find, install or download Fashion-MNIST and verify it"

setup: $(STAMP) data

# The virtual environment, rebuilt only when requirements.txt changes.
$(STAMP): requirements.txt requirements-run.txt
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || { \
	  echo "error: the pinned requirements need Python 3.11 to 3.13; $(PYTHON) is $$($(PYTHON) -V 2>&1)." \
	       "Run make with PYTHON=python3.12 (for example)" >&2; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "error: $(PYTHON) cannot create virtual environments; on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# Real Fashion-MNIST: use a copy that is already here; else, as root with apt, install Debian's
# package dataset-fashion-mnist (this is how machines without internet get it); else download.
data: $(STAMP)
	@if ! $(PY) -m tools.data --no-download >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's package dataset-fashion-mnist ..."; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null; } \
	      || echo "apt-get could not install it; trying a download instead"; \
	  fi; \
	fi
	@$(PY) -m tools.data

run: setup
	KERAS_BACKEND=$(BACKEND) $(PY) -m tools.run_notebooks $(NB)
	$(PY) -m tools.readme

# Seed runs are separate from `make run`: NB is required (one or more notebooks), SEEDS defaults to 1 2 3.
seeds: setup
	@test -n "$(NB)" || { echo "error: name the notebooks: make seeds NB=notebooks/07_overfitting_and_dropout.ipynb" >&2; exit 2; }
	$(PY) -m tools.seeds $(NB) --seeds $(SEEDS)
	$(PY) -m tools.readme

# The tests run in TEST_WORKERS pytest processes (pytest-xdist); `--dist loadscope` keeps each notebook
# on one worker, because its cells share one kernel. On 2 cores two workers halve `make test` (16.8 to
# 8.2 minutes in one measurement). Each process gets one BLAS thread: NumPy's OpenBLAS threads spin
# while they wait, and two processes spinning on the same 2 cores ran NumPy 3x slower than with one each.
TEST_WORKERS ?= 2
PYTEST = OPENBLAS_NUM_THREADS=1 FMNIST_RUN_MODE=smoke $(1) -m pytest -n $(TEST_WORKERS) --dist loadscope

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: setup lint
	KERAS_BACKEND=tensorflow $(call PYTEST,$(PY))
	KERAS_BACKEND=jax $(call PYTEST,$(PY)) notebooks

$(COLAB_STAMP): requirements-colab.txt requirements-run.txt
	@test -n "$(COLAB_PYTHON)" || exit 1
	@echo "Colab's versions with $$($(COLAB_PYTHON) -V 2>&1) ($(COLAB_PYTHON))"
	rm -rf $(COLAB_VENV)
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_PY) -m pip install --quiet --upgrade pip
	$(COLAB_PY) -m pip install --quiet -r requirements-colab.txt
	@touch $@

test-colab: $(COLAB_STAMP) data
	KERAS_BACKEND=tensorflow $(call PYTEST,$(COLAB_PY))

# Debian's chromium, for make test-lab: already here, or installed as root with apt-get (as `make data`
# installs the dataset); Playwright (requirements-run.txt) drives it and downloads no browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's package chromium ..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  fi; \
	  command -v chromium >/dev/null 2>&1 || { \
	    echo "error: make test-lab needs a chromium browser: apt-get install chromium (as root)" >&2; exit 1; }; }

test-lab: setup browser
	FMNIST_TEST_LAB=1 KERAS_BACKEND=tensorflow $(PY) -m pytest -p no:xdist tests/lab

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

readme: $(STAMP)
	$(PY) -m tools.readme

sync: $(STAMP)
	$(PY) -m tools.nbmeta

clean:
	rm -rf artifacts

# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NB     ?=

.PHONY: help setup data run test lab readme sync clean

help:
	@echo "make run              set up, execute every notebook in full mode, refresh results/ and README"
	@echo "make run NB=notebooks/00_data_tour.ipynb   the same for one notebook"
	@echo "make test             set up, then unit tests and every notebook in smoke mode (nbval)"
	@echo "make lab              JupyterLab on notebooks/ with the project's environment"
	@echo "make data             find, install or download Fashion-MNIST and verify it"

setup: $(STAMP) data

# The virtual environment, rebuilt only when requirements.txt changes.
$(STAMP): requirements.txt
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
	$(PY) -m tools.run_notebooks $(NB)
	$(PY) -m tools.readme

test: setup
	FMNIST_RUN_MODE=smoke $(PY) -m pytest

lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

readme: $(STAMP)
	$(PY) -m tools.readme

sync: $(STAMP)
	$(PY) -m tools.nbmeta

clean:
	rm -rf artifacts

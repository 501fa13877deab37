# The two commands of the quick start: `make demo` and `make test`.
# Both create .venv if missing and install the project with its pinned tools into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS := dev,notebooks,book

.PHONY: demo test lint format install clean lock book book-catalogues handouts chromium notebooks exercise-notebooks bench

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/m100 inventory data/inventories/cluj_napoca_2021.csv --out results/inventory_cluj_napoca_2021 --force
	$(BIN)/m100 run data/scenarios/m100_2035.yaml --out results/m100_2035 --force

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# `make test` builds the course book first: tests/test_book_offline.py opens every page of
# it in headless Chromium with the network blocked.
test: lint chromium book
	$(BIN)/python -m pytest

# The course book (Jupyter Book 1) as HTML in book/_build/html. Code cells run at build
# time, cached in book/_build/.jupyter_cache (delete book/_build to run them all again);
# any warning, broken reference or cell error fails the build.
# Then the English pages' messages (book/_build/pot/_build/gettext, checked against the
# catalogues by tests/test_translations.py) and the Romanian edition in book/_build/html/ro,
# built from the same sources and the catalogues in locales/ro/LC_MESSAGES; its code cells
# run again with M100_LANG=ro (their own cache, book/_build/.jupyter_cache_ro), so that the
# charts and tables they draw are in Romanian; the numbers are the same.
book: $(STAMP)
	$(BIN)/jupyter-book build . --path-output book --builder html -W -n --keep-going
	$(BIN)/python scripts/book_edition.py en book/_build/_config_pot.yml
	$(BIN)/jupyter-book build . --config book/_build/_config_pot.yml --path-output book/_build/pot \
		--builder custom --custom-builder gettext -W -n --keep-going
	$(BIN)/python scripts/book_edition.py ro book/_build/_config_ro.yml
	M100_LANG=ro $(BIN)/jupyter-book build . --config book/_build/_config_ro.yml --path-output book/_build/ro \
		--builder html -W -n --keep-going
	rm -rf book/_build/html/ro && cp -r book/_build/ro/_build/html book/_build/html/ro

# Printable handouts: each module page as a PDF per built edition (book/_build/handouts).
handouts: book chromium
	$(BIN)/python scripts/handouts.py

# After the English pages change: extract their messages (book/_build/pot/_build/gettext)
# and bring the catalogues up to date (new messages empty, changed ones marked fuzzy).
POT := book/_build/pot/_build/gettext
book-catalogues: $(STAMP)
	$(BIN)/jupyter-book build . --path-output book --builder html -W -n --keep-going
	$(BIN)/python scripts/book_edition.py en book/_build/_config_pot.yml
	$(BIN)/jupyter-book build . --config book/_build/_config_pot.yml --path-output book/_build/pot \
		--builder custom --custom-builder gettext
	$(BIN)/sphinx-intl update -p $(POT) -l ro -d locales

# Debian's Chromium, for the book's offline browser test: installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium (for tests/test_book_offline.py)"; \
	  apt-get update -q && apt-get install -y -q chromium; }

# Re-execute the notebooks in place (their stored outputs are what the nbval tests compare).
# Widget state is not stored: it would carry the Vega JavaScript bundle (about 1 MB).
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False --ExecutePreprocessor.record_timing=False \
		notebooks/*.ipynb notebooks/workshop/*.ipynb notebooks/workshop/ro/*.ipynb

# Every benchmark (speed and memory beside HiGHS alone or `import pandas`), one JSON in
# benchmarks/results/latest.json. Takes about half an hour; BENCH_ARGS=--quick for a short run.
bench: $(STAMP) chromium
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# Regenerate the exact pins after changing dependencies in pyproject.toml.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e ".[$(EXTRAS)]"
	.venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache .hypothesis book/_build

# The exercise notebooks (exercises/, and their Romanian edition in exercises/ro/) written from
# their one source, and the worked solutions of both re-executed in place (their stored outputs are what the nbval tests compare).
exercise-notebooks: $(STAMP)
	$(BIN)/python exercises/make_notebooks.py
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False --ExecutePreprocessor.record_timing=False \
		exercises/solutions/*.ipynb exercises/ro/solutions/*.ipynb

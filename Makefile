# Entry points. A fresh machine needs only Python 3.11: everything else is installed here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench messages clean-data serve worker beat release

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## run: start PostgreSQL (embedded unless DATABASE_URL), migrate, seed the demo, serve on $PORT (8000) with a worker and beat
run: $(STAMP)
	$(BIN)/python -m config.dev

## serve, worker, beat, release: the production processes (python -m config.prod, config/prod.py), as the container runs them (Dockerfile, compose.yaml); DJANGO_ENV=production and its variables (docs/deployment.md)
serve: $(STAMP)
	$(BIN)/python -m config.prod web

worker: $(STAMP)
	$(BIN)/python -m config.prod worker

beat: $(STAMP)
	$(BIN)/python -m config.prod beat

release: $(STAMP)
	$(BIN)/python -m config.prod release

## test: install what the tests need and run them
test: $(STAMP)
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests (exit 5)"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@# mypy's Django plugin loads the settings, which only parse DATABASE_URL (no connection).
	DATABASE_URL="$${DATABASE_URL:-postgres://localhost/fullmobs}" $(BIN)/mypy

## bench: provisioning by clone vs by migrations; pledge sign-ups over HTTP vs raw SQL; report figures and PDFs at a million pledges; the lab's A/A and power simulations
bench: $(STAMP)
	$(BIN)/python bench/provisioning.py
	$(BIN)/python bench/pledges.py
	$(BIN)/python bench/reports.py
	$(BIN)/python bench/experiments.py

## messages: merge the code's new texts into locale/fr/LC_MESSAGES/django.po (needs GNU gettext), compile the .mo (polib)
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l fr --ignore=.venv --ignore=.data
	$(BIN)/python scripts/compile_messages.py

clean-data:
	rm -rf .data

# leadbot — the two commands a new user needs: `make run` and `make test`.
# Both work on a fresh machine: they create .venv and install what is needed first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LEADBOT := $(BIN)/leadbot

.PHONY: run test install lint bench bench-matching bench-imports bench-news bench-cockpit bench-fanout serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing leadbot into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
	@$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]' > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "Installation failed (log: $(VENV)/install.log)"; exit 1; }
	@$(BIN)/python -c "import bot, slack_bolt, telegram, sqlalchemy" && touch $(STAMP)

install: $(STAMP)

## make run: migrate the embedded SQLite database, load the samples, start the console chat.
run: $(STAMP)
	@$(LEADBOT) migrate
	@$(LEADBOT) partners import examples/partners.csv
	@$(LEADBOT) reps import examples/reps.csv
	@$(LEADBOT) leads import examples/leads.json
	@$(LEADBOT) console

## make test: the whole suite, on SQLite and on the local PostgreSQL, with Redis.
test: $(STAMP)
	@$(BIN)/python -m pytest -q

lint: $(STAMP)
	@$(BIN)/ruff check .

serve: $(STAMP)
	@$(LEADBOT) migrate
	@$(LEADBOT) serve

## make bench: the benchmarks in bench/ (never part of the test suite).
bench: bench-matching bench-imports bench-news bench-cockpit bench-fanout

bench-matching: $(STAMP)
	@$(BIN)/python bench/matching.py

bench-imports: $(STAMP)
	@$(BIN)/python bench/imports.py

bench-news: $(STAMP)
	@$(BIN)/python bench/news_matching.py

## 100,000 leads / 1,000,000 events: the cockpit overview and `leadbot report`, SQLite and PostgreSQL.
bench-cockpit: $(STAMP)
	@$(BIN)/python bench/cockpit.py

## Delivery: 500 Slack channels, 500 Telegram groups, both at once, a 600-lead staff burst
## (leadbot serve in its own process against the emulators), SQLite and PostgreSQL.
bench-fanout: $(STAMP)
	@$(BIN)/python bench/fanout.py
	@$(BIN)/python bench/fanout.py --backend postgresql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis leadbot.db leadbot.db-*

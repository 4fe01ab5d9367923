# leadbot — the two commands a new user needs: `make run` and `make test`.
# Both work on a fresh machine: they create .venv and install what is needed first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LEADBOT := $(BIN)/leadbot

.PHONY: run reset test install lint bench bench-matching bench-imports bench-news bench-cockpit bench-webhooks bench-fairness bench-fanout bench-intake bench-claims bench-explain serve clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing leadbot into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
	@$(BIN)/python -m pip install --disable-pip-version-check -e '.[dev]' > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; echo "Installation failed (log: $(VENV)/install.log)"; exit 1; }
	@$(BIN)/python -c "import bot, slack_bolt, telegram, sqlalchemy" && touch $(STAMP)

install: $(STAMP)

## make run: the demo — a fresh SQLite database (DEMO_DB) with the samples, then the console.
## Every run starts from scratch, so the README's demo shows the same each time. It never
## takes settings from the environment: every LEADBOT_* variable (LEADBOT_DATABASE__URL,
## LEADBOT_CONFIG, chat tokens, ...) is dropped, so the demo runs on bot.toml and DEMO_DB alone
## and can neither fill an operator's database with samples nor post to a real Slack.
DEMO_DB ?= demo.db
run: $(STAMP)
	@rm -f "$(DEMO_DB)" "$(DEMO_DB)"-*
	@for name in $$(env | sed -n 's/^\(LEADBOT_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$$name"; done; \
	  export LEADBOT_DATABASE__URL="sqlite:///$(abspath $(DEMO_DB))"; \
	  $(LEADBOT) migrate && \
	  $(LEADBOT) partners import examples/partners.csv && \
	  $(LEADBOT) reps import examples/reps.csv && \
	  $(LEADBOT) leads import examples/leads.json && \
	  $(LEADBOT) console

## make reset: forget the demo database (make run also starts afresh by itself).
reset:
	rm -f "$(DEMO_DB)" "$(DEMO_DB)"-*

## make test: the whole suite, on SQLite and on the local PostgreSQL, with Redis. Most tests
## wait on sockets, processes and databases, so TEST_WORKERS processes share them (pytest-xdist);
## the few marked `serial` (they need the whole machine) run alone afterwards.
TEST_WORKERS ?= 3
test: $(STAMP)
	@$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m "not serial"
	@$(BIN)/python -m pytest -q -m serial

lint: $(STAMP)
	@$(BIN)/ruff check .

serve: $(STAMP)
	@$(LEADBOT) migrate
	@$(LEADBOT) serve

## make bench: the benchmarks in bench/ (never part of the test suite).
bench: bench-matching bench-imports bench-news bench-cockpit bench-webhooks bench-fairness bench-fanout \
	bench-intake bench-claims bench-explain

bench-matching: $(STAMP)
	@$(BIN)/python bench/matching.py

bench-imports: $(STAMP)
	@$(BIN)/python bench/imports.py

bench-news: $(STAMP)
	@$(BIN)/python bench/news_matching.py

## 100,000 leads / 1,000,000 events: the cockpit overview and `leadbot report`, SQLite and PostgreSQL.
bench-cockpit: $(STAMP)
	@$(BIN)/python bench/cockpit.py

## Webhook deliveries per second from one process to a receiver answering in 10 ms (target >= 200/s).
bench-webhooks: $(STAMP)
	@$(BIN)/python bench/webhooks.py

## Fairness: 2,000 leads over 50 comparable partners, spread of offers and wins, off vs on.
bench-fairness: $(STAMP)
	@$(BIN)/python bench/fairness.py

## Delivery: 500 Slack channels, 500 Telegram groups, both at once, a 600-lead staff burst
## (leadbot serve in its own process against the emulators), SQLite and PostgreSQL.
bench-fanout: $(STAMP)
	@$(BIN)/python bench/fanout.py
	@$(BIN)/python bench/fanout.py --backend postgresql

## Intake under load: leads/s at 8 and 32 clients, first-teaser p50/p99 of 200 at once, import
## leads/s, SQL statements and CPU per lead; SQLite 1 process, PostgreSQL 1 and 3 (BENCH_ARGS=--quick).
bench-intake: $(STAMP)
	@$(BIN)/python bench/intake.py $(BENCH_ARGS)

## 200 reps press Claim on one lead at once over Slack: ack p50/p99, errors; same three setups.
bench-claims: $(STAMP)
	@$(BIN)/python bench/claims.py $(BENCH_ARGS)

## Staff's explain and pipeline for a lead offered to 300 and 1,000 partners: statements, ms.
bench-explain: $(STAMP)
	@$(BIN)/python bench/explain.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis leadbot.db leadbot.db-* demo.db demo.db-*

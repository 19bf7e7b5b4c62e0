# Crisis Room. `make demo` starts the dashboard; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Tests run in services mode against PostgreSQL and Redis. tests/services.py installs
# what is missing from Debian, and starts throw-away servers on spare ports when
# nothing answers at these URLs (stopped again afterwards).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# pytest-xdist workers: each gets its own test database (pytest-django) and Redis
# database (tests/xdist_services.py). TEST_WORKERS=0 runs in one process. Three
# with --dist worksteal ran the suite in 18-19 min instead of 25 on two cores, but
# one of two such runs failed three tests (README, "Try it, test it"): two
# workers stay the default.
TEST_WORKERS ?= 2

.PHONY: demo serve test test-system lint check messages venv clean

$(BIN)/.installed-dev: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@

$(BIN)/.installed: pyproject.toml requirements/base.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.lock
	touch $@

venv: $(BIN)/.installed

# Embedded mode: SQLite under var/, in-process worker and scheduler, no other service.
demo: $(BIN)/.installed
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py demo

serve: $(BIN)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/daphne -b 127.0.0.1 -p 8000 crisisroom.asgi:application

# Debian packages first: the virtualenv itself needs python3.11-venv.
test-system:
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PYTHON) tests/services.py install

test: test-system $(BIN)/.installed-dev
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(PYTHON) tests/services.py run -- $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check: $(BIN)/.installed-dev
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=false HTTPS=true SECRET_KEY=$$($(BIN)/python -c 'import secrets;print(secrets.token_urlsafe(60))') \
		ALLOWED_HOSTS=crisis.example.com DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

messages: $(BIN)/.installed-dev
	$(BIN)/python manage.py makemessages -l zh_Hant --no-obsolete --no-location -i ".venv/*" -i "var/*"
	$(BIN)/python manage.py compilemessages -l zh_Hant -i .venv -i var

clean:
	rm -rf $(VENV) var

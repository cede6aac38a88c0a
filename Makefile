# The README's two commands are `make run` and `make test`; both install first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := static/vendor

.PHONY: install run test lint lock format vendor messages clean

install: $(STAMP) $(VENDOR)/.stamp .env

# A development checkout runs manage.py in debug mode (a fixed dev secret key, console
# e-mail). Never created if one exists; production sets its variables (see README).
.env:
	printf '# Development settings written by `make install`; see README, "Environment".\nDEBUG=true\n' > .env

# Python packages come from the lock file (exact versions and hashes, written by
# `make lock` from pyproject.toml); the project itself is installed on top, without
# resolving anything again.
$(STAMP): pyproject.toml requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

# After a change to the dependencies in pyproject.toml: pin them again. base.txt is
# what production installs (Dockerfile), dev.txt adds the test and dev extras.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --no-header
lock: install
	$(UV_COMPILE) -o requirements/base.txt
	$(UV_COMPILE) --extra test --extra dev -o requirements/dev.txt

# Designsystemet and htmx come from the npm registry, pinned in package-lock.json,
# and are served from our own static files (never a CDN).
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/@digdir/designsystemet-css/dist/src/index.css $(VENDOR)/designsystemet.css
	cp node_modules/@digdir/designsystemet-css/dist/theme/designsystemet.css $(VENDOR)/designsystemet-theme.css
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	mkdir -p $(VENDOR)/fonts
	for w in 400 500 600 700; do cp node_modules/@fontsource/inter/files/inter-latin-$$w-normal.woff2 $(VENDOR)/fonts/; done
	@touch $@

run: install
	@scripts/run

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	@# The lock files must match pyproject.toml (run `make lock` after changing it). The
	@# check compiles onto a copy of the lock, as `make lock` does, so a newer release
	@# upstream does not count as a change of ours.
	tmp=$$(mktemp) && cp requirements/dev.txt $$tmp \
	  && $(UV_COMPILE) --extra test --extra dev -o $$tmp && diff -q $$tmp requirements/dev.txt >/dev/null \
	  || { echo "requirements/dev.txt is out of date: run make lock"; exit 1; }

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l en -l nn --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var --ignore=static --ignore=tests
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules

clean:
	rm -rf $(VENV) node_modules $(VENDOR)

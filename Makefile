# Bohai: `make run` starts the platform on a fresh machine; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BOHAI := $(BIN)/bohai

.PHONY: run test bench setup install demo clean-db test-postgres

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The broker plugin that counts refused MQTT connections; needs mosquitto's headers (mosquitto-dev,
# libmosquitto-dev). Without them the broker runs without it and refused connections are not counted.
MOSQUITTO_PLUGIN := build/mosquitto/bohai_refusals.so
$(MOSQUITTO_PLUGIN): bohai/iot/mqtt/refusals_plugin.c
	@if [ -f /usr/include/mosquitto_broker.h ] && [ -f /usr/include/mosquitto.h ]; then \
		mkdir -p $(@D) && $(CC) -shared -fPIC -O2 -Wall -Wextra -o $@ $< && echo "built $@"; \
	else \
		echo "note: mosquitto's headers are missing (apt-get install mosquitto-dev libmosquitto-dev):" \
		     "the broker will not count refused MQTT connections"; \
	fi

install: $(VENV)/.installed node_modules/.installed $(MOSQUITTO_PLUGIN)

# The MQTT benchmark's device traffic in C, so the load generator leaves the CPU to what is measured; without
# libmosquitto's headers the benchmark falls back on its Python publisher.
MQTT_PUBLISHER := build/bench/mqtt_publisher
$(MQTT_PUBLISHER): benchmarks/mqtt_publisher.c
	@if [ -f /usr/include/mosquitto.h ]; then \
		mkdir -p $(@D) && $(CC) -O2 -Wall -Wextra -o $@ $< -lmosquitto && echo "built $@"; \
	else \
		echo "note: libmosquitto's headers are missing (apt-get install libmosquitto-dev):" \
		     "the MQTT benchmark will publish from Python"; \
	fi

# Migrate, load the city's reference data and the demo data set (idempotent).
setup: install
	$(BOHAI) setup

run: setup
	BOHAI_DEBUG=1 $(BOHAI) serve

test: install
	$(BIN)/python -m pytest

test-postgres: install
	BOHAI_DATABASE_URL=$${BOHAI_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bohai} $(BIN)/python -m pytest

bench: install $(MQTT_PUBLISHER)
	$(BIN)/python benchmarks/run_all.py

clean-db:
	rm -f var/bohai.sqlite3 var/bohai.sqlite3-wal var/bohai.sqlite3-shm

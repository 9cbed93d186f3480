# snowpiped — every target installs what it needs first (scripts/install-deps.sh is idempotent).
SHELL := /bin/bash
SWIFT ?= swift
VENV := .venv
FORMAT_PATHS := Package.swift Sources Tests

.DEFAULT_GOAL := help

.PHONY: demo-stage help deps build test test-systemd test-swift test-python test-container lint format demo emulator deb bench bench-stream bench-upload

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-15s %s\n", $$1, $$2}'

deps: ## Install missing apt packages and the Python venv
	@bash scripts/install-deps.sh

build: deps ## Build everything (debug), tests included
	$(SWIFT) build --build-tests

test: build ## Run every test: unit checks, Swift suites, the .deb in a real systemd, official-SDK tests
	$(MAKE) --no-print-directory test-systemd
	$(MAKE) --no-print-directory test-swift
	$(MAKE) --no-print-directory test-container
	$(MAKE) --no-print-directory test-python

test-systemd:
	bash scripts/check-systemd-unit.sh
	bash tests/system/journal-fields-test.sh

# Serial: in-process HTTP servers share the 2-thread cooperative pool with CPU-heavy tests, and a parallel run
# can starve them into client timeouts. Serial takes well under two minutes.
test-swift:
	$(SWIFT) test --skip-build --no-parallel

test-python:
	SNOWPIPED_BIN_DIR=$$($(SWIFT) build --show-bin-path) $(VENV)/bin/python -m pytest -q tests/python

bench: deps ## Benchmarks vs the C probe and the Python alternative (~12 min, root); writes BENCHMARKS.md
	bash scripts/bench.sh $(BENCH_ARGS)

bench-stream: deps ## Stream mode vs the official Snowpipe Streaming SDK, same rows, same run (root)
	bash scripts/bench.sh --stream $(BENCH_ARGS)

bench-upload: deps ## Upload mode vs the official Python connector's PUT, same files, same run (root)
	bash scripts/bench.sh --upload $(BENCH_ARGS)

deb: deps ## Build the Debian package (release, static Swift runtime) and lint it
	bash packaging/build-deb.sh

test-container: build ## Boot a real systemd in a container, install the .deb, test the service end to end
	bash tests/system/run-container-test.sh

lint: ## Check formatting with swift format (fails on any difference)
	$(SWIFT) format lint --strict --recursive $(FORMAT_PATHS)

format: ## Reformat the sources in place
	$(SWIFT) format format --in-place --recursive $(FORMAT_PATHS)

emulator: build ## Run the Snowpipe emulator on 127.0.0.1 (demo configuration)
	bash scripts/demo.sh --emulator-only

demo: build ## Run the demos against the emulator on loopback: demo/drop as the stage, then upload mode (moto)
	bash scripts/demo.sh
	bash scripts/demo.sh --stage

demo-stage: build ## Only the upload-mode demo: a plain folder, files uploaded to an encrypted internal stage
	bash scripts/demo.sh --stage

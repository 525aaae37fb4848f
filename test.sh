#!/usr/bin/env bash
# Runs every test: installs and builds first (setup.sh --no-up), then the unit tests (no root
# needed) and the integration tests (root, real namespaces, real nginx and curl) under ctest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh --no-up
cd build
# Unit tests run in parallel; integration tests are RUN_SERIAL (they share the machine).
# Alone: ctest -L unit, ctest -L integration.
ctest --output-on-failure -j2

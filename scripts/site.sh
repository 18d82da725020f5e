#!/usr/bin/env bash
# Build the example site into site/ (creates .venv and installs optin on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
.venv/bin/optin build "$@"

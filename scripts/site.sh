#!/usr/bin/env bash
# Build the example site into site/ (creates .venv and installs optin on first run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_setup.sh
make_venv .
.venv/bin/optin build "$@"

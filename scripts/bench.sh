#!/usr/bin/env bash
# The benchmarks, side by side with Hugo: installs Debian's hugo (for the twin site) and the
# test tools (gunicorn, PostgreSQL for the receiver bench), then prints each table.
#   bash scripts/bench.sh            # build (optin vs Hugo), check, --help, receiver
#   bash scripts/bench.sh build      # only the build table
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_setup.sh
command -v hugo >/dev/null || apt_install hugo
make_venv '.[test]'
what="${1:-all}"
if [ "$what" = all ] || [ "$what" = build ]; then .venv/bin/python bench/bench_build.py --campaigns 200 --runs 3; fi
if [ "$what" = all ] || [ "$what" = cli ]; then .venv/bin/python bench/bench_cli.py; fi
if [ "$what" = all ] || [ "$what" = receiver ]; then PYTHONPATH=tests .venv/bin/python bench/bench_receiver.py; fi

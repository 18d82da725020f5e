#!/usr/bin/env bash
# Run the whole test suite (unit, build, browser). Installs what it needs: a venv with the test
# extras, Debian's chromium (Playwright drives it; never `playwright install`), Java for the
# Nu HTML Checker, gettext for `msgfmt --check`, zbar-tools (QR decoding) and PostgreSQL (the
# ledger suite's second backend).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_setup.sh
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)  # decodes the QR codes the build writes
# Debian's PostgreSQL server binaries: the ledger tests start their own server (initdb, pg_ctl).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
apt_install "${need[@]}"
make_venv '.[test]'
# Chromium, Java, zbarimg and PostgreSQL are installed above, so tests that need them must fail, never skip, here.
export OPTIN_REQUIRE_TOOLS=1
.venv/bin/python -m pytest "$@"
# The publishing gate, run as a marketer would on the example site: a strict build (translations
# complete, legal texts approved) and `optin check` (the browser rules run inside the suite).
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
.venv/bin/optin build --strict --out "$out/site"
.venv/bin/optin check "$out/site"

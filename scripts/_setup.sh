# Shared by scripts/site.sh and scripts/test.sh (sourced, not run).

# apt_install PKG...: install Debian packages (as root, or with sudo).
apt_install() {
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# make_venv EXTRAS: .venv with optin installed (editable), e.g. make_venv '.[test]'.
# Debian's python3 needs python3-venv for `python3 -m venv` (ensurepip); install it if missing.
make_venv() {
  if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    apt_install python3-venv
  fi
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$1"
}

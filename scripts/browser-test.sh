#!/usr/bin/env bash
# The answering page in a real browser (tests/browser/answering_page.py): Debian's Chromium
# driven by Playwright for Python, with axe-core from npm. Installs what is missing:
# chromium and fonts from Debian's packages, Playwright into .venv, axe-core into
# tests/browser/node_modules. Playwright's own browser download is never used.
# SCREENSHOTS=docs scripts/browser-test.sh refreshes the pictures committed under docs/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "browser-test: installing chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
venv=.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/browser/requirements.txt
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  npm install --prefix tests/browser --no-audit --no-fund --silent
fi

cargo build --quiet --bin followup
"$venv/bin/python" tests/browser/answering_page.py target/debug/followup

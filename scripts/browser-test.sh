#!/usr/bin/env bash
# What a person sees, in a real browser: the answering page (tests/browser/answering_page.py)
# and the printed report with the round's timeline (tests/browser/report_print.py), in
# Debian's Chromium driven by Playwright for Python, with axe-core from npm; the HTML the
# service sends is checked with the Nu Html Checker (vnu-jar from npm, run with java;
# tests/browser/html_check.py). Installs what is missing: chromium, fonts, poppler-utils
# (pdftotext) and a Java runtime from Debian's packages, Playwright into .venv, axe-core and
# vnu-jar into tests/browser/node_modules. Playwright's own browser download is never used,
# nor vnu-jar's Java download (its install script is not run).
# SCREENSHOTS=docs scripts/browser-test.sh refreshes the pictures committed under docs/.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
  echo "browser-test: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  mkdir -p /usr/share/man/man1   # the JRE's install links its man pages there; slim images lack it
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
venv=.venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" -c 'import playwright' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/browser/requirements.txt
fi
if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ] \
  || [ ! -f tests/browser/node_modules/vnu-jar/build/dist/vnu.jar ]; then
  npm install --prefix tests/browser --no-audit --no-fund --silent --ignore-scripts
fi

cargo build --quiet --bin followup
"$venv/bin/python" tests/browser/answering_page.py target/debug/followup
"$venv/bin/python" tests/browser/report_print.py target/debug/followup

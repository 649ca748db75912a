#!/usr/bin/env bash
# Makes sure the tools the test suite calls besides cargo are here: Node.js with npm (the
# OpenAPI lint and the TypeScript client check), Python with venv (schemathesis), curl, and
# Dovecot (the IMAP server the bounce mailbox's tests start on loopback, each its own).
# On a fresh Debian machine, installs what is missing from Debian's packages.
set -euo pipefail

missing=()
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The tests run Dovecot instances of their own; the packaged service is not needed.
if [[ " ${missing[*]} " == *" dovecot-imapd "* ]] && command -v systemctl >/dev/null 2>&1 \
  && [ -d /run/systemd/system ]; then
  systemctl disable --now dovecot >/dev/null 2>&1 || true
fi

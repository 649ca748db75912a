#!/usr/bin/env bash
# Makes sure the tools the test suite calls besides cargo are here: Node.js with npm (the
# OpenAPI lint and the TypeScript client check), Python with venv (schemathesis) and curl.
# On a fresh Debian machine, installs what is missing from Debian's packages.
set -euo pipefail

missing=()
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-tools: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

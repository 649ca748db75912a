#!/usr/bin/env bash
# The Python client a user would generate: openapi-python-client (pinned) with its default
# settings on openapi/openapi.json must generate without a single warning, and a whole
# round driven through that client alone must pass (tests/client/flow.py, against the
# service started on its embedded defaults but for mail and webhooks: mail goes to an SMTP
# port nobody listens on and fails for good, webhooks may target 127.0.0.1). The flow also
# receives the webhooks of every event type and checks each against the document's
# `webhooks` section: its Standard Webhooks signature, its body against the schema.
#
# Usage: scripts/python-client-test.sh [BINARY]   (default target/debug/followup; this
# script builds nothing: run `cargo build --bin followup` first, as scripts/test does)
# OPENAPI_DOC=path generates from another document (to try a change of it out); the flow
# then checks webhook bodies against that document too.
#
# Installs into .venv-client (git-ignored): the generator, openpyxl (to open the exported
# workbook), jsonschema with referencing and rfc3339-validator (to validate webhook bodies,
# their date-times included), then the generated package itself. The generator's
# post-hooks are ruff (a dependency of the generator): the venv's bin is put first on PATH,
# else the generator warns "ruff is not in PATH".
set -euo pipefail
cd "$(dirname "$0")/.."

GENERATOR=openapi-python-client==0.29.1
OPENPYXL=openpyxl==3.1.5
JSONSCHEMA=(jsonschema==4.26.0 referencing==0.37.0 rfc3339-validator==0.1.4)
binary=${1:-target/debug/followup}
document=${OPENAPI_DOC:-openapi/openapi.json}   # another document only to try a change out
venv=.venv-client

if [ ! -x "$binary" ]; then
  echo "python-client-test: no service binary at $binary (cargo build --bin followup)" >&2
  exit 1
fi
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
installed=$("$venv/bin/pip" freeze --disable-pip-version-check)
for requirement in "$GENERATOR" "$OPENPYXL" "${JSONSCHEMA[@]}"; do
  if ! grep -qixF "$requirement" <<<"$installed"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "$GENERATOR" "$OPENPYXL" "${JSONSCHEMA[@]}"
    break
  fi
done
export PATH="$PWD/$venv/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/client"

# Default settings: no --config. --fail-on-warning changes only the exit status.
set +e
openapi-python-client generate --path "$document" --output-path "$out" \
  --overwrite --fail-on-warning >"$work/generate.log" 2>&1
status=$?
set -e
cat "$work/generate.log"
# The generator's markers: "Warning(s) encountered while generating. Client was generated,
# but some pieces may be missing" and "Error(s) encountered while generating, client was
# not created" (openapi_python_client/cli.py, handle_errors); an exception is a traceback.
if [ "$status" -ne 0 ] || grep -q -e 'Warning(s) encountered' -e 'Error(s) encountered' \
    -e 'Traceback' -e 'WARNING' -e 'Skipping Integration' "$work/generate.log"; then
  echo "python-client-test: openapi-python-client did not generate the client cleanly" \
       "(exit $status); see its output above" >&2
  exit 1
fi

# The import package is named after the document's title.
package=$(cd "$out" && for d in */; do [ -f "$d/__init__.py" ] && echo "${d%/}"; done)
if [ "$(printf '%s\n' "$package" | wc -l)" -ne 1 ] || [ -z "$package" ]; then
  echo "python-client-test: expected one package in the generated client, found: $package" >&2
  exit 1
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$out"

CLIENT_PACKAGE=$package CLIENT_DOCUMENT=$document \
  "$venv/bin/python" tests/client/flow.py "$binary"

#!/usr/bin/env bash
# Generates TypeScript types from openapi/openapi.json with openapi-typescript and
# compiles the typed example client in openapi/typescript (tsc --noEmit): a document a
# front end cannot consume fails here. Versions are pinned in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../openapi/typescript"
if ! command -v npm >/dev/null; then
  echo "npm is required (Node.js 20 or later)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --silent
npm run --silent check
echo "TypeScript client: types generated and the example client compiles"

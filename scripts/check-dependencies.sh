#!/usr/bin/env bash
# Dependency policy with cargo-deny (deny.toml): licenses on an allow-list, crates only from
# crates.io, no wildcard versions, no second version of a crate beyond the listed ones.
# The advisories check (known vulnerabilities, unmaintained and yanked crates) needs the
# RustSec database from GitHub; where GitHub is reachable it runs too, here it is skipped
# with a notice (see SECURITY.md).
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.20.2
if [ "$(cargo deny --version 2>/dev/null | awk '{print $2}')" != "$version" ]; then
  cargo install --quiet --locked cargo-deny --version "$version"
fi
cargo deny --log-level error check bans licenses sources
if timeout 10 git ls-remote https://github.com/RustSec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny --log-level error check advisories
else
  echo "cargo deny: advisories not checked: the RustSec database (GitHub) is unreachable from here"
fi

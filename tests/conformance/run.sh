#!/bin/sh
# Runs one conformance test file with node's test runner; skipped (77) when
# the reference implementations are not installed (npm ci in this folder).
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/standardwebhooks" ]; then
  echo "SKIP: run 'npm ci' in $here to install the reference implementations"
  exit 77
fi
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed"
  exit 77
fi
CRIER=$1 exec node --test --test-reporter=tap "$here/$2"

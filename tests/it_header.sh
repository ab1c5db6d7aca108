#!/bin/bash
# Integration: include/pkcs11.h against p11-kit's 2.40 header and the 3.0
# function-list layout (see tests/check-header.sh).  Run by
# tests/run-integration.sh from the repository root; needs no build.
set -eu
cd "$(dirname "$0")/.."
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/kt-it-header.XXXXXX")
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
bash tests/check-header.sh

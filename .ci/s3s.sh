#!/usr/bin/env bash
# Installs the real S3 server the media tests talk to (s3s-fs, from crates.io) into
# .ci/tools unless it is already there. 0.14.1 is the last release that builds with our
# rustc; 0.17 needs a newer one. A debug build: it compiles in half the time and the tests
# send it a few small files. Prints the binary's path.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.ci/tools"
BIN="$TOOLS/bin/s3s-fs"
VERSION="0.14.1"

if [ ! -x "$BIN" ]; then
    echo "installing s3s-fs $VERSION from crates.io into $TOOLS (a few minutes)" >&2
    # Its own target dir so the workspace's shared target dir is not locked meanwhile.
    CARGO_TARGET_DIR="$TOOLS/build" cargo install "s3s-fs@$VERSION" --features binary --locked --debug --root "$TOOLS"
    rm -rf "$TOOLS/build"
fi
echo "$BIN"

#!/bin/sh
# Sets up, builds, and boots the demo guest in the foreground, its console on stdout.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
exec build/dom0-tools/svctl run build/examples/hello.xml

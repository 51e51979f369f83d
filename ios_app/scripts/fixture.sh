#!/usr/bin/env bash
# Run the fixture executable (Sources/cloformer-bench-fixture) in the Swift root, from the ios_app
# folder: paths must lie under ios_app/ (tests/ios_app uses .build/fixture-io). Build it first
# (test_linux.sh): its binary links the root's Swift runtime, which the host cannot load.
source "$(dirname "$0")/swift_env.sh"
args=$(printf " %q" "$@")
in_swift "./.build/linux/debug/cloformer-bench-fixture$args"

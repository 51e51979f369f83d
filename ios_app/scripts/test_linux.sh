#!/usr/bin/env bash
# What can be proven about the iOS app without a Mac: CloFormerBenchCore built and tested with Swift 6 on
# Linux (swift build, swift test with XCTest), and the Apple-only sources (Core ML, ExecuTorch, SwiftUI)
# syntax-checked (swiftc -parse), type-checked where Linux can (below) and linted (swift-format lint
# --strict). The fixture executable it builds is what tests/ios_app uses. Set up by swift_env.sh (a cached Debian trixie root; needs root).
source "$(dirname "$0")/swift_env.sh"
swift_root
# .build is shared with the host's checkout: keep it in the package folder, ignored by git. SwiftPM keeps
# absolute paths in it, so a build made with the package mounted elsewhere is started afresh.
in_swift '[ "$(cat .build/linux/.package-path 2>/dev/null)" = "$PWD" ] || rm -rf .build/linux; mkdir -p .build/linux && echo "$PWD" > .build/linux/.package-path'
in_swift "swift build --build-path .build/linux 2>&1 | tail -3 && swift test --build-path .build/linux 2>&1 | tail -15"
apple=$(cd "$IOS_DIR" && find Sources/CloFormerBenchApple App BenchmarkTests -name '*.swift' | sort | tr '\n' ' ')
in_swift "for f in $apple; do swiftc -parse \$f || exit 1; done && echo \"parsed: $apple\""
# Type-check CloFormerBenchApple against the core just built: here the CoreML / ExecuTorch / CoreGraphics
# blocks drop out (#if canImport), everything else in those files is checked as on a Mac.
in_swift "swiftc -typecheck -I .build/linux/debug/Modules Sources/CloFormerBenchApple/*.swift \
  && echo 'type-checked on Linux: CloFormerBenchApple outside its canImport blocks'"
in_swift "/usr/libexec/swift/bin/swift-format lint --strict --recursive Package.swift Sources Tests App BenchmarkTests && echo 'swift-format lint: clean'"
echo "fixture built: .build/linux/debug/cloformer-bench-fixture (run it with scripts/fixture.sh)"

// swift-tools-version:6.0
// libFuzzer harness for the sans-IO HTTP/1.1 code. Sources/HTTP1 is a symlink to the main
// package's Sources/HTTP1 (SwiftPM refuses target paths outside the package root).
// Build and run: scripts/fuzz.sh [SECONDS] from the repository root.
import PackageDescription

let package = Package(
    name: "EventideFuzz",
    targets: [
        .target(name: "HTTP1", path: "Sources/HTTP1"),
        .executableTarget(
            name: "HTTP1Fuzzer",
            dependencies: ["HTTP1"],
            path: "Sources/HTTP1Fuzzer",
            // Its single file defines the entry point itself (see HTTP1Fuzzer.swift).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // The main package's HTTP1 tests (Tests/HTTP1Tests is a symlink), so they can run
        // against this copy without building the server's dependencies:
        //   swift test --package-path Fuzz --scratch-path Fuzz/.build-tests
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], path: "Tests/HTTP1Tests"),
    ],
    swiftLanguageModes: [.v6]
)

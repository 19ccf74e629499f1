// swift-tools-version:6.0
// libFuzzer harness for the sans-IO HTTP/1.1 code. Sources/EventideHTTP1 is a symlink to the main
// package's Sources/EventideHTTP1 (SwiftPM refuses target paths outside the package root).
// Build and run: scripts/fuzz.sh [SECONDS] from the repository root.
import PackageDescription

let package = Package(
    name: "EventideFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "EventideHTTP1",
            dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Sources/EventideHTTP1"
        ),
        .executableTarget(
            name: "HTTP1Fuzzer",
            dependencies: ["EventideHTTP1"],
            path: "Sources/HTTP1Fuzzer",
            // Its single file defines the entry point itself (see HTTP1Fuzzer.swift).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
        // The main package's EventideHTTP1 tests (Tests/EventideHTTP1Tests is a symlink), so they can run
        // against this copy without building the server's dependencies:
        //   swift test --package-path Fuzz --scratch-path Fuzz/.build-tests
        .testTarget(
            name: "EventideHTTP1Tests",
            dependencies: ["EventideHTTP1", .product(name: "HTTPTypes", package: "swift-http-types")],
            path: "Tests/EventideHTTP1Tests"
        ),
    ],
    swiftLanguageModes: [.v6]
)

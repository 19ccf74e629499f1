// swift-tools-version:6.2
// Micro-benchmarks of Eventide's request path (parser, router, serializer, the whole
// sans-IO pipeline) with ordo-one/benchmark. Run from the repository root:
//
//     swift package --package-path Benchmarks/Micro benchmark
//
// Tools 6.2 like the package it measures (this manifest's own API, package traits, is 6.1's).
// See Benchmarks/README.md ("Micro-benchmarks").
import PackageDescription

let package = Package(
    name: "EventideMicroBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Eventide", path: "../.."),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The measured operations, shared by the benchmarks and micro-probe.
        // (a) parser and (c) serializer: the sans-IO HTTP1 module on its own.
        .target(
            name: "HTTP1Scenarios",
            dependencies: [
                .product(name: "EventideHTTP1", package: "Eventide"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // (b) router, the /plaintext handler, (d) the whole pipeline, via @_spi(Benchmarks).
        .target(
            name: "EventideScenarios",
            dependencies: ["HTTP1Scenarios", .product(name: "Eventide", package: "Eventide")]
        ),
        // Registers a scenario as a benchmark with the shared metrics and limits.
        .target(
            name: "BenchmarkRegistration",
            dependencies: ["HTTP1Scenarios", .product(name: "Benchmark", package: "benchmark")]
        ),
        .executableTarget(
            name: "HTTP1Benchmarks",
            dependencies: ["BenchmarkRegistration", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/HTTP1Benchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "EventideBenchmarks",
            dependencies: ["BenchmarkRegistration", "EventideScenarios", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/EventideBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One scenario N times in a plain process, for heaptrack, callgrind and perf.
        .executableTarget(name: "micro-probe", dependencies: ["HTTP1Scenarios", "EventideScenarios"], path: "Sources/MicroProbe"),
    ],
    swiftLanguageModes: [.v6]
)

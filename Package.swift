// swift-tools-version:6.2
// 6.2 because the lowest swift-log (1.16.2) and swift-metrics (2.13.0) allowed below declare
// it, so an older SwiftPM cannot resolve the dependencies; this manifest's own API is 6.0's.
import PackageDescription

let package = Package(
    name: "Eventide",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Eventide", targets: ["Eventide"]),
        .library(name: "EventideTesting", targets: ["EventideTesting"]),
        // The sans-IO HTTP/1.1 parser and serializer, usable on their own.
        .library(name: "EventideHTTP1", targets: ["EventideHTTP1"]),
        // The PostgreSQL client driven on a libuv loop, usable on its own.
        .library(name: "EventidePostgres", targets: ["EventidePostgres"]),
        // Eventide's metrics in Prometheus' text format (swift-prometheus), with help texts.
        .library(name: "EventidePrometheus", targets: ["EventidePrometheus"]),
        // The router as a swift-openapi-runtime ServerTransport: serves generated APIProtocols.
        .library(name: "EventideOpenAPI", targets: ["EventideOpenAPI"]),
        // The task dashboard: durable and in-process tasks in a browser.
        .library(name: "EventideDashboard", targets: ["EventideDashboard"]),
        .executable(name: "eventide-example", targets: ["EventideExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
    ],
    targets: [
        // Debian's libuv1-dev, found with pkg-config. Only EventideUVLoop imports it.
        .systemLibrary(
            name: "CLibUV",
            path: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        // The libuv boundary: event loop, executor, timers, TCP. Swift-only public API.
        .target(name: "EventideUVLoop", dependencies: ["CLibUV"]),
        // Debian's libsqlite3-dev, found with pkg-config. Only EventideSQLite imports it.
        .systemLibrary(
            name: "CSQLite",
            path: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The SQLite boundary: connections, prepared statements, transactions, typed errors.
        // Swift-only public API.
        .target(name: "EventideSQLite", dependencies: ["CSQLite"]),
        // Debian's libpq-dev, found with pkg-config. Only EventidePostgres imports it.
        .systemLibrary(
            name: "CLibPQ",
            path: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        // The PostgreSQL boundary: non-blocking connections and pipelines on an EventideUVLoop
        // loop, a pool with reconnect, LISTEN/NOTIFY, typed errors. Swift-only public API.
        .target(
            name: "EventidePostgres",
            dependencies: ["CLibPQ", "EventideUVLoop", .product(name: "Logging", package: "swift-log")]
        ),
        // Sans-IO HTTP/1.1: parser, connection state machine, serializer. Never touches a socket.
        // Responses are written from swift-http-types' vocabulary (HTTPResponse.Status, HTTPFields).
        .target(name: "EventideHTTP1", dependencies: [.product(name: "HTTPTypes", package: "swift-http-types")]),
        // The public server API: configuration, routing, requests, responses, middleware.
        .target(
            name: "Eventide",
            dependencies: [
                "EventideUVLoop", "EventideHTTP1", "EventideSQLite", "EventidePostgres",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The task dashboard (`router.mount("/admin/tasks", TaskDashboard(...))`). A module of
        // its own so that `Eventide` does not build swift-crypto (BoringSSL) for everyone:
        // HMAC-SHA256 for its credentials, session cookie and CSRF tokens.
        .target(
            name: "EventideDashboard",
            dependencies: [
                "Eventide", "EventideHTTP1",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // A swift-metrics factory for swift-prometheus that gives Eventide's metrics their
        // help texts and buckets, and the `GET /metrics` route.
        .target(
            name: "EventidePrometheus",
            dependencies: [
                "Eventide",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // swift-openapi-runtime's ServerTransport on Eventide's Router and RouteGroup.
        .target(
            name: "EventideOpenAPI",
            dependencies: [
                "Eventide",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // Test support for users' own tests: in-process requests, three task modes.
        .target(
            name: "EventideTesting",
            dependencies: [
                "Eventide", "EventideUVLoop", "EventideHTTP1",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "EventideExample",
            dependencies: [
                "Eventide", "EventidePrometheus", "EventideDashboard",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                // Only for `Locked` (see its doc comment): your own code would use Mutex.
                "EventideUVLoop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "EventideOpenAPI",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ],
            // The openapi app: Generated/ is swift-openapi-generator's code for openapi.yaml,
            // committed and rewritten by scripts/generate-openapi.sh (which CI runs with --check)
            // rather than the generator's build plugin, which would build the generator in each
            // of CI's four builds: 4.5 minutes more for the release one alone (measured in the
            // script). The document itself is a resource, served at GET /openapi.yaml.
            exclude: ["openapi-generator-config.yaml"],
            resources: [.copy("openapi.yaml")]
        ),
        .testTarget(name: "EventideUVLoopTests", dependencies: ["EventideUVLoop"]),
        .testTarget(name: "EventideSQLiteTests", dependencies: ["EventideSQLite"]),
        // Runs against a real server: `make test` starts one (scripts/with-postgres.sh).
        .testTarget(
            name: "EventidePostgresTests",
            dependencies: ["EventidePostgres", "EventideUVLoop", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "EventideHTTP1Tests",
            dependencies: ["EventideHTTP1", .product(name: "HTTPTypes", package: "swift-http-types")]
        ),
        .testTarget(
            name: "EventideTests",
            dependencies: [
                "Eventide", "EventideTesting", "EventideUVLoop", "EventideHTTP1", "EventideSQLite", "EventidePostgres",
                "EventidePrometheus", .product(name: "Prometheus", package: "swift-prometheus"), "EventideDashboard",
                "EventideOpenAPI",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                // A recording MetricsFactory for DurableTaskMetricsTests.
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Eventide",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Eventide", targets: ["Eventide"]),
        .library(name: "EventideTesting", targets: ["EventideTesting"]),
        // The sans-IO HTTP/1.1 parser and serializer, usable on their own.
        .library(name: "EventideHTTP1", targets: ["EventideHTTP1"]),
        .executable(name: "eventide-example", targets: ["EventideExample"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
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
        // Sans-IO HTTP/1.1: parser, connection state machine, serializer. Never touches a socket.
        .target(name: "EventideHTTP1"),
        // The public server API: configuration, routing, requests, responses, middleware.
        .target(
            name: "Eventide",
            dependencies: [
                "EventideUVLoop", "EventideHTTP1",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Test support for users' own tests: in-process requests, three task modes.
        .target(
            name: "EventideTesting",
            dependencies: ["Eventide", "EventideUVLoop", "EventideHTTP1", .product(name: "Logging", package: "swift-log")]
        ),
        .executableTarget(
            name: "EventideExample",
            dependencies: [
                "Eventide",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["static-libstdc++.ld", "static-libuv.ld", "link-order.txt"],
            // Release builds on Linux link the Swift runtime and FoundationEssentials statically,
            // so the process maps only the pages of them it touches, and lld packs the relative
            // relocations (glibc 2.36+), so ld.so reads 8 KiB instead of 0.9 MiB at start: idle
            // RSS 14.9 -> 11.0 MiB. Compiled with -static-stdlib too, the example's objects name
            // the static libraries FoundationEssentials needs (_FoundationCollections, ...).
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                        // The unwinder from libgcc_eh.a: ld.so no longer loads libgcc_s.so and looks up
                        // its symbols: idle RSS -0.2 MiB.
                        "-Xclang-linker", "-static-libgcc",
                        // The functions a starting and serving `bench` runs, laid out together
                        // (scripts/link_order.py): idle RSS -1.5 MiB. Names it lists that no longer
                        // exist are skipped without a warning.
                        "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/EventideExample/link-order.txt",
                        "-Xlinker", "--no-warn-symbol-ordering",
                        // The toolchain's static-stdlib-args.lnk passes -export-dynamic, which puts the
                        // example's 3,000 Swift symbols in .dynsym; nothing dlopens or dlsyms them, and
                        // ld.so's look-ups fault in the 280 KiB table: idle RSS -0.3 MiB.
                        "-Xlinker", "--no-export-dynamic",
                        // The runtime's few C++ needs (operator new, std::__throw_*, ...) come from
                        // libstdc++.a, so ld.so no longer loads and relocates all of libstdc++.so
                        // (0.95 MiB resident, 0.6 of it its symbol tables): idle RSS -0.9 MiB. The
                        // .lnk names -lstdc++ itself, so lld reads the linker script instead.
                        "-Xlinker", "--remap-inputs=*/libstdc++.so=\(Context.packageDirectory)/Sources/EventideExample/static-libstdc++.ld",
                        // libuv likewise (libuv_a.a, PIC): the process no longer maps all of libuv.so and
                        // its tables, only the pages of the loop code it runs: idle RSS -0.1 to -0.2 MiB.
                        "-Xlinker", "--remap-inputs=*/libuv.so=\(Context.packageDirectory)/Sources/EventideExample/static-libuv.ld",
                    ],
                    .when(platforms: [.linux], configuration: .release)),
            ]
        ),
        .testTarget(name: "EventideUVLoopTests", dependencies: ["EventideUVLoop"]),
        .testTarget(name: "EventideHTTP1Tests", dependencies: ["EventideHTTP1"]),
        .testTarget(
            name: "EventideTests",
            dependencies: [
                "Eventide", "EventideTesting", "EventideUVLoop", "EventideHTTP1",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

import Benchmark
@_exported import HTTP1Scenarios

/// Shared by both benchmark executables. Wall clock, CPU time, instructions (where the
/// CPU exposes the counter), mallocs and throughput, per operation: 1,000 operations per
/// measured iteration (`.kilo`).
public var configuration: Benchmark.Configuration {
    .init(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput],
        warmupIterations: 10, scalingFactor: .kilo, maxDuration: .seconds(2), maxIterations: 10_000)
}

public func register(_ scenario: Scenario) {
    Benchmark(scenario.name, configuration: configuration) { benchmark in
        let operation: () -> Int
        do { operation = try scenario.prepare() } catch { fatalError("\(scenario.name): \(error)") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(operation()) }
        benchmark.stopMeasurement()
    }
}

import Benchmark
import BenchmarkRegistration
import HTTP1Scenarios

// (a) parsing and (c) serialization: the sans-IO HTTP1 module on its own
// (Sources/HTTP1Scenarios).
let benchmarks: @Sendable () -> Void = {
    for scenario in HTTP1Scenarios.all { register(scenario) }
}

import Benchmark
import BenchmarkRegistration
import EventideScenarios

// (b) route lookup, the /plaintext handler, and (d) one keep-alive request through the
// whole sans-IO pipeline (Sources/EventideScenarios).
let benchmarks: @Sendable () -> Void = {
    for scenario in EventideScenarios.all { register(scenario) }
}

import EventideScenarios
import HTTP1Scenarios
#if canImport(Glibc)
import Glibc
#endif

// Runs one scenario COUNT times outside the benchmark harness, for tools that need a
// plain process: heaptrack (which allocation sites run COUNT times), valgrind's callgrind
// (instructions: compare COUNT and 2×COUNT), perf.
//
//     micro-probe                      # lists the scenarios
//     micro-probe "Pipeline keep-alive GET /plaintext" 100000
let scenarios = HTTP1Scenarios.all + EventideScenarios.all
let arguments = CommandLine.arguments.dropFirst()
guard let name = arguments.first, let scenario = scenarios.first(where: { $0.name == name }) else {
    print("usage: micro-probe SCENARIO [COUNT]\nscenarios:")
    for scenario in scenarios { print("  \(scenario.name)") }
    exit(arguments.isEmpty ? 0 : 2)
}
let count = arguments.dropFirst().first.flatMap { Int($0) } ?? 100_000
let operation = try scenario.prepare()
for _ in 0..<100 { _ = operation() }  // warm-up: caches, first buffer growths
var sink = 0
for _ in 0..<count { sink &+= operation() }
print("\(scenario.name): \(count) operations (\(sink))")

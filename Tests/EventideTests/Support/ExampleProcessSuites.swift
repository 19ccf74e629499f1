import Testing

/// The suites that run the example as processes, one test at a time across all of them.
///
/// Their tests wait for processes, pipes and sockets by blocking the thread they run on,
/// which is one of Swift concurrency's pool (as wide as the machine has cores: 2 here).
/// Several at once would leave no thread for the hundreds of async tests beside them,
/// whose timeouts would then run out while they wait to be scheduled.
@Suite(.serialized) enum ExampleProcessSuites {}

/// A pipeline sent and awaiting its results: the steps libpq will answer, in order, and
/// the results gathered so far.
struct PendingPipeline {
    /// One thing the server answers, as libpq returns it.
    enum Step {
        /// A PQsendPrepare (answered by one result, then NULL).
        case prepare(PreparedStatements.Key, name: String)
        /// Statement `index` of the run, by prepared name (nil: unnamed).
        case statement(Int, name: String?)
        /// A PQpipelineSync (answered by PGRES_PIPELINE_SYNC, with no NULL after it).
        case sync
    }

    var steps: [Step] = []
    /// The step whose result comes next.
    var cursor = 0
    /// Whether the current step got its result (its terminating NULL is next).
    var stepAnswered = false
    var results: [Result<PostgresRows, PostgresError>?]
    let completion: ([Result<PostgresRows, PostgresError>]) -> Void

    init(statementCount: Int, completion: @escaping ([Result<PostgresRows, PostgresError>]) -> Void) {
        results = Array(repeating: nil, count: statementCount)
        self.completion = completion
    }

    var currentStep: Step? { cursor < steps.count ? steps[cursor] : nil }

    /// Every statement's result; one that got none (a protocol surprise) reads as a failure.
    var finalResults: [Result<PostgresRows, PostgresError>] {
        results.map { $0 ?? .failure(PostgresError(.client, "no result arrived for this statement")) }
    }
}
